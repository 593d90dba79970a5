//! DPoP at the API (RFC 9449 §7): a token bound to a key is accepted only with a proof
//! made by that key for this very request (method, URL, token) and not seen before.
//!
//! Replays are remembered in memory, per instance, for as long as the proof's `iat`
//! keeps it acceptable (three minutes): a database write on every API call would cost
//! more than the proof protects (docs/decisions/0015-dpop-bound-tokens.md).

use std::{collections::HashMap, sync::Mutex};

use app::error::AppError;
use http::{header, request::Parts};

/// Most proofs remembered at once (about 50 MB): three minutes of 5,000 DPoP calls a
/// second. When full, expired ones go; if all are live, all go (see `first_use`).
const MAX_REMEMBERED: usize = 1_000_000;

#[derive(Default)]
pub struct ProofCheck {
    /// Replay key → until when (Unix seconds) to remember it.
    seen: Mutex<HashMap<[u8; 32], i64>>,
}

impl ProofCheck {
    /// Checks the request's one `DPoP` header against the request, the token and the key
    /// the token is bound to (`jkt`).
    pub fn check(&self, request: &Parts, token: &str, jkt: &str, now: i64) -> Result<(), AppError> {
        let mut proofs = request.headers.get_all("dpop").iter();
        let (Some(proof), None) = (proofs.next(), proofs.next()) else {
            return Err(refused(&"not exactly one DPoP header"));
        };
        let proof = proof.to_str().map_err(|_| refused(&"not ASCII"))?;
        let url = request_url(request).ok_or_else(|| refused(&"the request names no host"))?;
        let checked = dpop::verify(
            proof,
            &dpop::Expected {
                method: request.method.as_str(),
                url: &url,
                access_token: Some(token),
                nonces: &[],
                now,
            },
        )
        .map_err(|reason| refused(&reason))?;
        if checked.jkt != jkt {
            return Err(refused(
                &"the proof's key is not the one the token is bound to",
            ));
        }
        if !self.first_use(checked.replay_key(), checked.remember_until(), now) {
            return Err(refused(&"the proof was used before"));
        }
        Ok(())
    }

    /// Records a proof; false when it was seen before and is still remembered.
    fn first_use(&self, key: [u8; 32], until: i64, now: i64) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.get(&key).is_some_and(|until| *until >= now) {
            return false;
        }
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= MAX_REMEMBERED {
                // All live: a flood. Refusing every new proof would shut everyone out;
                // forgetting lets a captured proof be replayed, for its one method, URL
                // and token, until its `iat` is too old.
                tracing::warn!("too many DPoP proofs to remember; forgetting them");
                seen.clear();
            }
        }
        seen.insert(key, until);
        true
    }
}

fn refused(reason: &dyn std::fmt::Display) -> AppError {
    // Why, for the operator; the client gets `invalid_dpop_proof` whatever the reason.
    tracing::debug!(%reason, "DPoP proof refused");
    AppError::InvalidDpopProof
}

/// The URL the client addressed, as its proof's `htu` names it: the host it asked for
/// (`Host`, kept by a proxy), the scheme a TLS-terminating proxy reports, and the path
/// before any nesting of routers stripped a prefix. The query does not count.
fn request_url(request: &Parts) -> Option<String> {
    let host = request
        .headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| request.uri.authority().map(|authority| authority.as_str()))?;
    let scheme = request
        .headers
        .get("x-forwarded-proto")
        .and_then(|proto| proto.to_str().ok())
        .and_then(|proto| proto.split(',').next())
        .map(str::trim)
        .filter(|proto| *proto == "https")
        .unwrap_or("http");
    let path = request
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(request.uri.path(), |original| original.0.path());
    Some(format!("{scheme}://{host}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_refused_the_second_time_until_it_would_be_stale_anyway() {
        let check = ProofCheck::default();
        let key = [7u8; 32];
        assert!(check.first_use(key, 1_000, 900));
        assert!(!check.first_use(key, 1_000, 950));
        assert!(!check.first_use(key, 1_000, 1_000));
        assert!(check.first_use(key, 1_200, 1_001));
        assert!(check.first_use([8u8; 32], 1_000, 900));
    }

    #[test]
    fn the_url_is_the_one_the_client_addressed() {
        let (mut parts, ()) = http::Request::builder()
            .method("POST")
            .uri("/entries?week=2026-W49")
            .header(header::HOST, "time.example.com:8080")
            .body(())
            .expect("a request")
            .into_parts();
        parts.extensions.insert(axum::extract::OriginalUri(
            "/api/entries?week=2026-W49".parse().expect("a uri"),
        ));
        assert_eq!(
            request_url(&parts).as_deref(),
            Some("http://time.example.com:8080/api/entries")
        );
        parts
            .headers
            .insert("x-forwarded-proto", http::HeaderValue::from_static("https"));
        assert_eq!(
            request_url(&parts).as_deref(),
            Some("https://time.example.com:8080/api/entries")
        );
    }
}

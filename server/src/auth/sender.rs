//! DPoP at the API (RFC 9449 §7): a token bound to a key is accepted only with a proof
//! made by that key for this very request (method, URL, token) and not seen before.
//!
//! Replays are remembered in memory, per instance, for as long as the proof's `iat`
//! keeps it acceptable (three minutes): a database write on every API call would cost
//! more than the proof protects (docs/decisions/0015-dpop-bound-tokens.md).

use std::{collections::HashSet, sync::Mutex};

use app::error::AppError;
use http::{header, request::Parts};

/// How long a generation of remembered proofs lasts: at least as long as a proof is
/// acceptable, so that one is always found in this generation or the one before.
const GENERATION_SECS: i64 = dpop::MAX_AGE_SECS + dpop::FUTURE_LEEWAY_SECS;
/// Most proofs one generation holds (about 40 MB with the one before): three minutes of
/// 5,000 DPoP calls a second. When full, a new generation starts early (see `first_use`).
const MAX_PER_GENERATION: usize = 1_000_000;

pub struct ProofCheck {
    /// The origin clients address (`PUBLIC_URL`), which proofs' `htu` must name.
    public_origin: Option<String>,
    seen: Mutex<Generations>,
}

/// Proofs seen in this generation and the one before: a check and an insert are O(1),
/// and a whole generation is forgotten at once.
#[derive(Default)]
struct Generations {
    current: HashSet<[u8; 32]>,
    previous: HashSet<[u8; 32]>,
    /// When (Unix seconds) the current generation began.
    started: i64,
}

impl ProofCheck {
    pub fn new(public_origin: Option<String>) -> ProofCheck {
        ProofCheck {
            public_origin,
            seen: Mutex::default(),
        }
    }

    /// Checks the request's one `DPoP` header against the request, the token and the key
    /// the token is bound to (`jkt`).
    pub fn check(&self, request: &Parts, token: &str, jkt: &str, now: i64) -> Result<(), AppError> {
        let mut proofs = request.headers.get_all("dpop").iter();
        let (Some(proof), None) = (proofs.next(), proofs.next()) else {
            return Err(refused(&"not exactly one DPoP header"));
        };
        let proof = proof.to_str().map_err(|_| refused(&"not ASCII"))?;
        let url = self
            .request_url(request)
            .ok_or_else(|| refused(&"the request names no host"))?;
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
        if !self.first_use(checked.replay_key(), now) {
            return Err(refused(&"the proof was used before"));
        }
        Ok(())
    }

    /// Records a proof; false when it was seen in this generation or the one before.
    fn first_use(&self, key: [u8; 32], now: i64) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if now.saturating_sub(seen.started) >= GENERATION_SECS {
            seen.previous = if now.saturating_sub(seen.started) >= 2 * GENERATION_SECS {
                HashSet::new()
            } else {
                std::mem::take(&mut seen.current)
            };
            seen.current = HashSet::new();
            seen.started = now;
        }
        if seen.current.contains(&key) || seen.previous.contains(&key) {
            return false;
        }
        if seen.current.len() >= MAX_PER_GENERATION {
            // A flood: refusing every new proof would shut everyone out; starting a new
            // generation early forgets the older one, whose proofs (one method, URL and
            // token each) could then be replayed until their `iat` is too old.
            tracing::warn!("too many DPoP proofs to remember; forgetting the older ones");
            seen.previous = std::mem::take(&mut seen.current);
            seen.started = now;
        }
        seen.current.insert(key)
    }

    /// The URL the client addressed, as its proof's `htu` names it: `PUBLIC_URL`'s origin
    /// when set (behind a proxy the request's own `Host` and scheme are the upstream's),
    /// else `http://` and the `Host` asked for; the path before any nesting of routers
    /// stripped a prefix. The query does not count.
    fn request_url(&self, request: &Parts) -> Option<String> {
        let path = request
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(request.uri.path(), |original| original.0.path());
        if let Some(origin) = &self.public_origin {
            return Some(format!("{origin}{path}"));
        }
        let host = request
            .headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .or_else(|| request.uri.authority().map(|authority| authority.as_str()))?;
        Some(format!("http://{host}{path}"))
    }
}

fn refused(reason: &dyn std::fmt::Display) -> AppError {
    // Why, for the operator; the client gets `invalid_dpop_proof` whatever the reason.
    tracing::debug!(%reason, "DPoP proof refused");
    AppError::InvalidDpopProof
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_refused_again_until_its_generation_and_the_next_are_over() {
        let check = ProofCheck::new(None);
        let (key, start) = ([7u8; 32], 1_000);
        assert!(check.first_use(key, start));
        assert!(!check.first_use(key, start + 1));
        // In the next generation it is still remembered: a proof lives at most one.
        assert!(!check.first_use(key, start + GENERATION_SECS + 1));
        // Two generations later it is gone; its `iat` is too old by then anyway.
        assert!(check.first_use(key, start + 3 * GENERATION_SECS));
        assert!(check.first_use([8u8; 32], start + 3 * GENERATION_SECS));
    }

    fn request(host: &str) -> Parts {
        let (mut parts, ()) = http::Request::builder()
            .method("POST")
            .uri("/entries?week=2026-W49")
            .header(header::HOST, host)
            .header("x-forwarded-proto", "https")
            .body(())
            .expect("a request")
            .into_parts();
        parts.extensions.insert(axum::extract::OriginalUri(
            "/api/entries?week=2026-W49".parse().expect("a uri"),
        ));
        parts
    }

    #[test]
    fn the_url_is_the_public_one_when_configured_else_the_host_asked_for() {
        let proxied = ProofCheck::new(Some("https://time.example.com".into()));
        assert_eq!(
            proxied.request_url(&request("127.0.0.1:3000")).as_deref(),
            Some("https://time.example.com/api/entries")
        );
        // No PUBLIC_URL: the Host, and `X-Forwarded-*` (which anyone can send) unread.
        let direct = ProofCheck::new(None);
        assert_eq!(
            direct.request_url(&request("127.0.0.1:3000")).as_deref(),
            Some("http://127.0.0.1:3000/api/entries")
        );
    }
}

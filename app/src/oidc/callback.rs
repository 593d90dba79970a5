//! Reading the provider's answer at `/auth/callback` against the sign-in this tab started.
//! Pure, so every refusal (replay, forged `state`, mix-up, provider error) is unit-tested.

use serde::{Deserialize, Serialize};

/// A sign-in this tab started: kept in `sessionStorage` from the redirect to the provider
/// until the callback reads it, once. Holds no token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go once signed in (a path of this app).
    pub return_to: String,
    /// A `prompt=none` attempt to restore a session: "login required" is then no error.
    pub silent: bool,
    /// Unix milliseconds when the redirect started.
    pub started_ms: f64,
    /// The thumbprint of the DPoP key made for this sign-in (`dpop_jkt`), when the
    /// provider offers DPoP: the code is redeemed with a proof by that key.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

/// A pending sign-in older than this is not answered any more.
pub const PENDING_MAX_AGE_MS: f64 = 10.0 * 60.0 * 1000.0;

/// What a valid callback carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Exchange this code (with the pending PKCE verifier) for tokens.
    Code(String),
    /// A silent attempt found no provider session: show the sign-in button, quietly.
    LoginRequired,
}

/// Why a callback is refused; shown with a "sign in again" button, never retried by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("This sign-in link was already used or has expired.")]
    NoPendingSignIn,
    #[error(
        "The answer from the sign-in page does not match the sign-in this app started (state)."
    )]
    StateMismatch,
    #[error("The answer came from {found}, not from the configured sign-in provider.")]
    WrongIssuer { found: String },
    #[error("The sign-in provider did not say who answered (iss).")]
    MissingIssuer,
    #[error("The sign-in provider refused: {description}")]
    Provider { error: String, description: String },
    #[error("The answer from the sign-in page is incomplete.")]
    Malformed,
}

/// `query` is the callback's parameters in order; `iss_required` is the provider's
/// `authorization_response_iss_parameter_supported` (RFC 9207).
pub fn read_callback(
    query: &[(String, String)],
    pending: Option<&PendingSignIn>,
    issuer: &str,
    iss_required: bool,
    now_ms: f64,
) -> Result<CallbackOutcome, CallbackError> {
    let pending = pending
        .filter(|pending| now_ms - pending.started_ms <= PENDING_MAX_AGE_MS)
        .ok_or(CallbackError::NoPendingSignIn)?;
    let param = |name: &str| -> Result<Option<&str>, CallbackError> {
        let mut values = query.iter().filter(|(key, _)| key == name);
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some((_, value)), None) => Ok(Some(value.as_str())),
            // A repeated parameter is an attack or a bug, never guessed at.
            (Some(_), Some(_)) => Err(CallbackError::Malformed),
        }
    };
    if param("state")? != Some(pending.state.as_str()) {
        return Err(CallbackError::StateMismatch);
    }
    match param("iss")? {
        Some(iss) if iss != issuer => {
            return Err(CallbackError::WrongIssuer {
                found: iss.to_owned(),
            })
        }
        None if iss_required => return Err(CallbackError::MissingIssuer),
        _ => {}
    }
    if let Some(error) = param("error")? {
        let quiet = matches!(
            error,
            "login_required"
                | "interaction_required"
                | "consent_required"
                | "account_selection_required"
        );
        if pending.silent && quiet {
            return Ok(CallbackOutcome::LoginRequired);
        }
        let description = param("error_description")?
            .filter(|text| !text.is_empty())
            .unwrap_or(error);
        return Err(CallbackError::Provider {
            error: error.to_owned(),
            description: description.to_owned(),
        });
    }
    match param("code")? {
        Some(code) if !code.is_empty() => Ok(CallbackOutcome::Code(code.to_owned())),
        _ => Err(CallbackError::Malformed),
    }
}

/// Only a path of this app may be returned to after sign-in (no open redirect).
pub fn safe_return_path(path: &str) -> String {
    let is_local = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if is_local && !path.starts_with(super::CALLBACK_PATH) {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://id.example";

    fn pending(silent: bool) -> PendingSignIn {
        PendingSignIn {
            state: "s1".into(),
            nonce: "n1".into(),
            pkce_verifier: "v".into(),
            return_to: "/".into(),
            silent,
            started_ms: 1_000.0,
            dpop_jkt: None,
        }
    }

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn read(pairs: &[(&str, &str)], silent: bool) -> Result<CallbackOutcome, CallbackError> {
        read_callback(&query(pairs), Some(&pending(silent)), ISSUER, true, 2_000.0)
    }

    #[test]
    fn a_code_with_our_state_and_issuer_is_accepted() {
        assert_eq!(
            read(&[("code", "c1"), ("state", "s1"), ("iss", ISSUER)], false),
            Ok(CallbackOutcome::Code("c1".into()))
        );
    }

    #[test]
    fn a_missing_or_forged_state_is_refused() {
        assert_eq!(
            read(&[("code", "c1"), ("iss", ISSUER)], false),
            Err(CallbackError::StateMismatch)
        );
        assert_eq!(
            read(&[("code", "c1"), ("state", "s2"), ("iss", ISSUER)], false),
            Err(CallbackError::StateMismatch)
        );
        assert_eq!(
            read(
                &[
                    ("code", "c1"),
                    ("state", "s1"),
                    ("state", "s1"),
                    ("iss", ISSUER)
                ],
                false
            ),
            Err(CallbackError::Malformed)
        );
    }

    #[test]
    fn a_replayed_or_stale_callback_has_no_pending_sign_in() {
        let params = query(&[("code", "c1"), ("state", "s1"), ("iss", ISSUER)]);
        assert_eq!(
            read_callback(&params, None, ISSUER, true, 2_000.0),
            Err(CallbackError::NoPendingSignIn)
        );
        let late = 1_000.0 + PENDING_MAX_AGE_MS + 1.0;
        assert_eq!(
            read_callback(&params, Some(&pending(false)), ISSUER, true, late),
            Err(CallbackError::NoPendingSignIn)
        );
    }

    #[test]
    fn another_issuer_is_refused_and_a_missing_one_when_the_provider_sends_it() {
        assert_eq!(
            read(
                &[
                    ("code", "c1"),
                    ("state", "s1"),
                    ("iss", "https://evil.example")
                ],
                false
            ),
            Err(CallbackError::WrongIssuer {
                found: "https://evil.example".into()
            })
        );
        assert_eq!(
            read(&[("code", "c1"), ("state", "s1")], false),
            Err(CallbackError::MissingIssuer)
        );
        let params = query(&[("code", "c1"), ("state", "s1")]);
        assert_eq!(
            read_callback(&params, Some(&pending(false)), ISSUER, false, 2_000.0),
            Ok(CallbackOutcome::Code("c1".into()))
        );
    }

    #[test]
    fn provider_errors_are_shown_except_login_required_on_a_silent_attempt() {
        let denied = [
            ("error", "access_denied"),
            ("error_description", "The user said no"),
            ("state", "s1"),
            ("iss", ISSUER),
        ];
        assert_eq!(
            read(&denied, false),
            Err(CallbackError::Provider {
                error: "access_denied".into(),
                description: "The user said no".into()
            })
        );
        let login_required = [
            ("error", "login_required"),
            ("state", "s1"),
            ("iss", ISSUER),
        ];
        assert_eq!(
            read(&login_required, true),
            Ok(CallbackOutcome::LoginRequired)
        );
        assert!(matches!(
            read(&login_required, false),
            Err(CallbackError::Provider { .. })
        ));
        assert!(matches!(
            read(&denied, true),
            Err(CallbackError::Provider { .. })
        ));
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_path("/profile?x=1"), "/profile?x=1");
        for path in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "profile",
            "/auth/callback?code=1",
        ] {
            assert_eq!(safe_return_path(path), "/", "{path}");
        }
    }
}

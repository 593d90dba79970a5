//! The error type shared by browser and server. It carries only what a user may see:
//! internal causes are logged on the server and never serialized.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

use crate::{domain::ValidationError, scope::Scope};

/// The DPoP proof algorithms the API accepts (the PWA makes ES256 proofs).
pub const DPOP_ALGORITHMS: &str = "ES256";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    /// No access token, or one that is not valid: the body never says which check failed.
    #[error("a valid access token is required")]
    Unauthorized,
    /// The DPoP proof sent with a DPoP-bound token is missing or wrong (RFC 9449 §7.1).
    #[error("a valid DPoP proof is required")]
    InvalidDpopProof,
    /// A valid token whose sign-in is older than the operation allows (RFC 9470):
    /// sign in again, then retry.
    #[error("sign in again to do this (a sign-in within {max_age} s is needed)")]
    InsufficientUserAuthentication { max_age: u64 },
    /// A valid token that does not grant `scope`.
    #[error("the access token does not grant {scope}")]
    InsufficientScope { scope: Scope },
    #[error("not allowed: {message}")]
    Forbidden { message: String },
    #[error("not found")]
    NotFound,
    /// The request itself is unreadable (malformed JSON, bad query string).
    #[error("bad request: {message}")]
    BadRequest { message: String },
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("send the body as {expected}")]
    UnsupportedMediaType { expected: String },
    /// An `If-Match` version that is not the current one.
    #[error("the entry was changed meanwhile (precondition failed)")]
    PreconditionFailed,
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// The service cannot answer now (e.g. the database is down); retrying may help.
    #[error("the service is unavailable, please retry")]
    Unavailable,
    #[error("internal error")]
    Internal,
    /// The call did not reach the server function or its answer could not be read.
    #[error("request failed: {message}")]
    Transport { message: String },
}

impl AppError {
    /// The `WWW-Authenticate` challenge (RFC 6750, RFC 9449, RFC 9470) that goes with a
    /// 401 or a missing scope.
    pub fn bearer_challenge(&self) -> Option<String> {
        match self {
            AppError::Unauthorized => Some(r#"Bearer error="invalid_token""#.to_owned()),
            AppError::InvalidDpopProof => Some(format!(
                r#"DPoP error="invalid_dpop_proof", algs="{DPOP_ALGORITHMS}""#
            )),
            AppError::InsufficientUserAuthentication { max_age } => Some(format!(
                r#"Bearer error="insufficient_user_authentication", error_description="A more recent sign-in is needed", max_age={max_age}"#
            )),
            AppError::InsufficientScope { scope } => Some(format!(
                r#"Bearer error="insufficient_scope", scope="{scope}""#
            )),
            _ => None,
        }
    }

    /// The HTTP status this error is answered with, in one place.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthorized
            | AppError::InvalidDpopProof
            | AppError::InsufficientUserAuthentication { .. } => 401,
            AppError::InsufficientScope { .. } | AppError::Forbidden { .. } => 403,
            AppError::NotFound => 404,
            AppError::BadRequest { .. } => 400,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType { .. } => 415,
            AppError::PreconditionFailed => 412,
            AppError::Validation { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
            AppError::Transport { .. } => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport {
            message: value.to_string(),
        }
    }
}

/// Sets the HTTP status (and the bearer challenge) of a failing server function from the
/// error, so that clients and proxies see a 4xx/5xx that matches the body instead of
/// Leptos's default 500.
#[cfg(feature = "ssr")]
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(err.status_code()) {
                options.set_status(status);
            }
            if let Some(challenge) = err
                .bearer_challenge()
                .and_then(|value| http::HeaderValue::from_str(&value).ok())
            {
                options.insert_header(http::header::WWW_AUTHENTICATE, challenge);
            }
        }
    }
    result
}

impl From<ValidationError> for AppError {
    fn from(error: ValidationError) -> AppError {
        AppError::Validation {
            field: error.field.to_owned(),
            message: error.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_a_client_or_server_status() {
        let cases = [
            (AppError::Unauthorized, 401),
            (
                AppError::InsufficientScope {
                    scope: Scope::BatchUpload,
                },
                403,
            ),
            (
                AppError::Forbidden {
                    message: "x".into(),
                },
                403,
            ),
            (AppError::NotFound, 404),
            (
                AppError::Validation {
                    field: "minutes".into(),
                    message: "too long".into(),
                },
                422,
            ),
            (
                AppError::Conflict {
                    message: "stale".into(),
                },
                409,
            ),
            (AppError::Unavailable, 503),
            (AppError::Internal, 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code(), status, "{err:?}");
        }
    }

    #[test]
    fn errors_serialize_with_a_machine_readable_code() {
        let json = serde_json_like(&AppError::Validation {
            field: "date".into(),
            message: "not a date".into(),
        });
        assert!(json.contains(r#""error":"validation""#), "{json}");
        assert!(json.contains(r#""field":"date""#), "{json}");
    }

    #[test]
    fn auth_errors_carry_the_rfc_6750_challenge() {
        assert_eq!(
            AppError::Unauthorized.bearer_challenge().as_deref(),
            Some(r#"Bearer error="invalid_token""#)
        );
        assert_eq!(
            AppError::InsufficientScope {
                scope: Scope::ApproveTimesheets
            }
            .bearer_challenge()
            .as_deref(),
            Some(r#"Bearer error="insufficient_scope", scope="approve:timesheets""#)
        );
        assert_eq!(
            AppError::InvalidDpopProof.bearer_challenge().as_deref(),
            Some(r#"DPoP error="invalid_dpop_proof", algs="ES256""#)
        );
        let step_up = AppError::InsufficientUserAuthentication { max_age: 900 };
        assert_eq!(step_up.status_code(), 401);
        assert!(step_up.bearer_challenge().is_some_and(|challenge| challenge
            .starts_with(r#"Bearer error="insufficient_user_authentication""#)
            && challenge.ends_with("max_age=900")));
        assert_eq!(AppError::NotFound.bearer_challenge(), None);
    }

    fn serde_json_like(err: &AppError) -> String {
        String::from_utf8(err.ser().to_vec()).expect("JSON is UTF-8")
    }
}

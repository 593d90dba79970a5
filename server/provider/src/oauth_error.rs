//! OAuth 2.0 error answers of the token, revocation and userinfo endpoints (RFC 6749
//! §5.2): `{"error": code, "error_description": …}`, never cached.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    /// The client tried HTTP Basic: a 401 then names that scheme (RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_grant", description)
    }

    pub fn invalid_client(basic: bool) -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client",
            description: "client authentication failed".into(),
            basic_challenge: basic,
        }
    }

    /// Too many secret checks at once: retry shortly.
    pub fn busy() -> OAuthError {
        OAuthError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "temporarily_unavailable",
            description: "too many requests at once; retry shortly".into(),
            basic_challenge: false,
        }
    }

    pub fn server_error(error: impl std::fmt::Display) -> OAuthError {
        tracing::error!(%error, "the provider failed");
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: "the sign-in service failed; try again".into(),
            basic_challenge: false,
        }
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(error: sqlx::Error) -> Self {
        // Busy (SQLite's write lock past its timeout, no pooled connection) or away
        // (PostgreSQL restarting) is worth a retry, as on the API: a 503.
        if db::is_away(&error) {
            tracing::warn!(%error, "the provider's database is busy or away");
            return OAuthError::busy();
        }
        OAuthError::server_error(error)
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(error: anyhow::Error) -> Self {
        OAuthError::server_error(format!("{error:#}"))
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if self.basic_challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"timesheets\""),
            );
        }
        response
    }
}

/// Token answers must never be cached (RFC 6749 §5.1).
pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Form parameters, refusing repeated ones (RFC 6749 §3.1: each parameter at most once).
pub fn single_params(
    pairs: Vec<(String, String)>,
) -> Result<std::collections::HashMap<String, String>, String> {
    let mut params = std::collections::HashMap::new();
    for (name, value) in pairs {
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("{name} is repeated"));
        }
    }
    Ok(params)
}

/// A form-encoded OAuth request body, each parameter at most once; anything else is an
/// `invalid_request` in OAuth's JSON shape (not axum's plain-text rejection).
pub struct OAuthForm(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, OAuthError> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|rejection| {
                OAuthError::invalid_request(format!("expected a form-encoded body: {rejection}"))
            })?;
        single_params(pairs)
            .map(OAuthForm)
            .map_err(OAuthError::invalid_request)
    }
}

#[cfg(test)]
mod tests {
    use super::OAuthError;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn a_busy_database_is_temporarily_unavailable_and_a_broken_one_a_server_error() {
        let busy = OAuthError::from(db::testing::sqlite_busy_error().await);
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.code, "temporarily_unavailable");

        let broken = OAuthError::from(sqlx::Error::RowNotFound);
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(broken.code, "server_error");
    }
}

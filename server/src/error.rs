//! The HTTP layer's error: every REST failure becomes a status, a JSON body with a
//! machine-readable `error` and a human `message`, and for auth failures the RFC 6750
//! `WWW-Authenticate` challenge — in this one place.

use app::error::AppError;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A failure the caller may see as it is.
    #[error(transparent)]
    App(#[from] AppError),
    /// A bug or an outage: logged in full, answered with a generic 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<app::domain::ValidationError> for ApiError {
    fn from(error: app::domain::ValidationError) -> ApiError {
        ApiError::App(error.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        match error {
            // The database is away or saturated: the client may retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!(%error, "database unavailable");
                ApiError::App(AppError::Unavailable)
            }
            // PostgreSQL shutting down or restarting (SQLSTATE class 57P, "operator
            // intervention"), or the connection lost (class 08): away, not broken.
            sqlx::Error::Database(ref database)
                if database
                    .code()
                    .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")) =>
            {
                tracing::warn!(%error, "database unavailable");
                ApiError::App(AppError::Unavailable)
            }
            error => ApiError::Internal(error.into()),
        }
    }
}

/// What a client may see of an error, for REST responses and server functions alike: an
/// internal failure is logged here, in full, and shows as the generic 500.
impl From<ApiError> for AppError {
    fn from(error: ApiError) -> AppError {
        match error {
            ApiError::App(error) => error,
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed");
                AppError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        app_error_response(&self.into())
    }
}

/// The response for an [`AppError`]: its serialized form plus a `message`.
pub fn app_error_response(error: &AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = serde_json::to_value(error).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(fields) = body.as_object_mut() {
        fields
            .entry("message")
            .or_insert_with(|| error.to_string().into());
    }
    let mut response = (status, Json(body)).into_response();
    if let Some(challenge) = error
        .bearer_challenge()
        .and_then(|value| HeaderValue::from_str(&value).ok())
    {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

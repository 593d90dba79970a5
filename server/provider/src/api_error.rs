//! How the API answers an [`AppError`]: here so that the API and the provider's JSON
//! endpoints for the app (`/account/passkeys`) answer alike, and the app reads both.

use app::error::AppError;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

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

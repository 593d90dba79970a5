//! The REST API under `/api`: JSON in and out, Bearer tokens, CORS for allowed origins.

use std::time::Duration;

use app::{auth::User, error::AppError};
use axum::{
    http::{header, HeaderName, HeaderValue, Method},
    response::Response,
    routing::{any, get},
    Json, Router,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{auth::AuthUser, config::Origin, error::app_error_response, startup::AppState};

pub fn router(cors_origins: &[Origin]) -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .merge(super::timesheets::router())
        .route("/api/{*path}", any(not_found))
        .layer(cors(cors_origins))
}

/// Exact origins only, no cookies (the API reads Bearer tokens, never cookies).
fn cors(origins: &[Origin]) -> CorsLayer {
    let origins = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin.as_str()).ok());
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::WWW_AUTHENTICATE])
        .allow_credentials(false)
        .max_age(Duration::from_secs(600))
}

/// `GET /api/me`: who the token speaks for and which of the API's scopes it grants.
async fn me(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}

async fn not_found() -> Response {
    app_error_response(&AppError::NotFound)
}

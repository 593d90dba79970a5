//! The REST API under `/api`: JSON in and out, Bearer tokens, CORS for allowed origins.

use std::time::Duration;

use app::error::AppError;
use axum::{
    body::Bytes,
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method},
    response::{IntoResponse, Response},
    routing::{any, get},
    Router,
};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_axum::router::OpenApiRouter;

use crate::{config::Origin, error::app_error_response, state::AppState};

mod approvals;
mod entries;
mod export;
mod json;
mod me;
mod openapi;
mod people;
mod projects;
mod push;
mod team;
mod timer;
mod upload;

/// Request bodies of single entries and decisions are small (uploads have their own).
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(cors_origins: &[Origin]) -> Router<AppState> {
    let (router, document) = OpenApiRouter::with_openapi(openapi::base())
        .merge(me::router())
        .merge(
            OpenApiRouter::new()
                .merge(entries::router())
                .merge(approvals::router())
                .merge(export::router())
                .merge(team::router())
                .merge(timer::router())
                .merge(push::router())
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .merge(upload::router())
        .merge(projects::router())
        .merge(people::router())
        .split_for_parts();
    // Serialized once: the document only changes with the code.
    let document = Bytes::from(
        openapi::complete(document)
            .to_json()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the OpenAPI document does not serialize");
                "{}".to_owned()
            }),
    );
    router
        .route(
            "/api/openapi.json",
            get(move || async move {
                ([(header::CONTENT_TYPE, "application/json")], document).into_response()
            }),
        )
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
            // RFC 9449: the proof that goes with a DPoP-bound token.
            HeaderName::from_static("dpop"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::WWW_AUTHENTICATE])
        .allow_credentials(false)
        .max_age(Duration::from_secs(600))
}

async fn not_found() -> Response {
    app_error_response(&AppError::NotFound)
}

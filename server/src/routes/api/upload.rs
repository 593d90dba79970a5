//! `POST /api/timesheets/upload`: batches of entries from other systems (machine clients).

use app::entries::{UploadBody, UploadReport};
use axum::{
    extract::{DefaultBodyLimit, State},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{auth::AuthClient, error::ApiError, services::ServerServices, state::AppState};

/// A 10,000-row upload is a few MB.
const UPLOAD_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

/// Upload entries for users: one row or an array of up to 10,000, in one transaction.
///
/// Each row is checked on its own; the report lists accepted rows (with their entry ids)
/// and rejected ones (with the field and reason). A row whose `external_id` this client
/// already uploaded is reported as a `duplicate` and not stored again, so a retried upload
/// is safe. Accepted rows await approval, with `source = batch:<client id>`.
/// Machine clients only (client credentials); user tokens get 403.
#[utoipa::path(
    post, path = "/api/timesheets/upload", tag = "batch",
    request_body = UploadBody,
    responses(
        (status = 200, description = "What happened to each row", body = UploadReport),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 16 MiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "No rows, or more than 10,000", body = ErrorBody),
    ),
    security(("bearer" = ["batch:upload"])),
)]
async fn upload(
    State(services): State<ServerServices>,
    AuthClient(client): AuthClient,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<Json<UploadReport>, ApiError> {
    Ok(Json(services.upload(&client, body.into_rows()).await?))
}

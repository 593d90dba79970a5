//! `/api/timer`: the caller's running timer (one per person, across devices).

use app::{
    domain::EntryId,
    timer::{RunningTimer, StartTimer},
};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{entries::entry_id, json::ApiJson, openapi::ErrorBody};
use crate::{auth::AuthUser, error::ApiError, services::ServerServices, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(running, start))
        .routes(routes!(discard))
}

/// The caller's running timer; 204 when none runs.
#[utoipa::path(
    get, path = "/api/timer", tag = "timer",
    responses(
        (status = 200, description = "The running timer", body = RunningTimer),
        (status = 204, description = "No timer runs"),
    ),
    security(("bearer" = ["read:timesheets"])),
)]
async fn running(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Response, ApiError> {
    Ok(match services.running_timer(&user).await? {
        Some(timer) => Json(timer).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Start the caller's timer (the same `id` again updates it). Stopping it is creating the
/// entry it makes with the timer's id (`POST /api/timesheets`), which ends it.
#[utoipa::path(
    put, path = "/api/timer", tag = "timer",
    request_body = StartTimer,
    responses(
        (status = 200, description = "The running timer", body = RunningTimer),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "Another timer of the caller's runs, or this one was stopped", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`), or the project is unknown or archived", body = ErrorBody),
    ),
    security(("bearer" = ["create:timesheets"])),
)]
async fn start(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<StartTimer>,
) -> Result<Json<RunningTimer>, ApiError> {
    Ok(Json(services.start_timer(&user, body).await?))
}

/// Discard the caller's timer `id` without logging it (204 also when it no longer runs).
#[utoipa::path(
    delete, path = "/api/timer/{id}", tag = "timer",
    params(("id" = EntryId, Path, description = "The timer's id")),
    responses(
        (status = 204, description = "It no longer runs"),
        (status = 404, description = "Not a timer id", body = ErrorBody),
    ),
    security(("bearer" = ["create:timesheets"])),
)]
async fn discard(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    services.discard_timer(&user, entry_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

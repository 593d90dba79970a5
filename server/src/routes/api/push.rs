//! `/api/push`: Web Push reminders: the server's key, and the caller's devices.

use app::push::{NewPushSubscription, PushEndpoint, PushKey};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{auth::AuthUser, error::ApiError, services::ServerServices, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(key))
        .routes(routes!(subscribe, unsubscribe))
}

/// The server's VAPID public key: a browser's `applicationServerKey` (RFC 8292).
#[utoipa::path(
    get, path = "/api/push/key", tag = "reminders",
    responses((status = 200, description = "The key", body = PushKey)),
    security(("bearer" = ["read:timesheets"])),
)]
async fn key(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<PushKey>, ApiError> {
    Ok(Json(services.push_key(&user)?))
}

/// Remind the caller on a device: its `PushSubscription.toJSON()` and IANA time zone.
/// Reminders: "your week is not submitted" (weekly, `REMINDER_WEEK_AT`), and to devices
/// subscribed with `approve:timesheets`, "N entries wait for your approval" (daily,
/// `REMINDER_APPROVALS_AT`), at the device's local time.
#[utoipa::path(
    put, path = "/api/push/subscriptions", tag = "reminders",
    request_body = NewPushSubscription,
    responses(
        (status = 204, description = "Subscribed"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Not an https endpoint, a P-256 key, a 16-byte secret or a time zone (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"])),
)]
async fn subscribe(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<NewPushSubscription>,
) -> Result<StatusCode, ApiError> {
    services.subscribe_push(&user, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop reminding the caller on the device at `endpoint` (204 also when it was not).
#[utoipa::path(
    delete, path = "/api/push/subscriptions", tag = "reminders",
    request_body = PushEndpoint,
    responses(
        (status = 204, description = "Not subscribed (any more)"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"])),
)]
async fn unsubscribe(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<PushEndpoint>,
) -> Result<StatusCode, ApiError> {
    services.unsubscribe_push(&user, &body.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

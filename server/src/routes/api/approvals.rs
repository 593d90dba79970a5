//! `/api/approvals`: what awaits a manager's decision, and the decisions.

use app::{
    domain::{EntryId, IsoWeek, Note, Transition},
    entries::Entry,
    error::AppError,
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Json,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{auth::AuthUser, error::ApiError, services::ServerServices, state::AppState};

use super::entries::{entry_id, entry_response, if_match, week_param};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(awaiting_approval))
        .routes(routes!(entry_to_decide, approve))
        .routes(routes!(reject))
        .routes(routes!(approve_week))
        .routes(routes!(undo))
}

#[derive(Debug, Deserialize, ToSchema)]
struct WeekOwner {
    /// The person's subject (the `user_id` of their entries).
    user_id: String,
    /// Their issuer; the manager's own when left out.
    issuer: Option<String>,
    /// The entries the manager looked at, id → version: when given, the week is approved
    /// only if its submitted entries are exactly these (else 412, nothing approved).
    #[serde(default)]
    versions: Option<std::collections::BTreeMap<String, i64>>,
}

/// Approve all of one person's submitted entries of a week.
#[utoipa::path(
    post, path = "/api/approvals/weeks/{week}", tag = "approvals",
    params(("week" = IsoWeek, Path, description = "An ISO week, e.g. 2026-W48")),
    request_body = WeekOwner,
    responses(
        (status = 200, description = "The entries now approved", body = Vec<Entry>),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "One's own week, or the scope is missing", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "An entry changed meanwhile: nothing was approved", body = ErrorBody),
        (status = 412, description = "The week's submitted entries are not the `versions` given: nothing was approved", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Not an ISO week, or a missing user_id", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn approve_week(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(week): Path<String>,
    ApiJson(owner): ApiJson<WeekOwner>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    let week = week_param(&week)?;
    let issuer = owner.issuer.unwrap_or_else(|| user.issuer.clone());
    let seen = owner
        .versions
        .map(|versions| {
            versions
                .iter()
                .map(|(id, version)| Ok((EntryId::parse(id).map_err(AppError::from)?, *version)))
                .collect::<Result<Vec<_>, AppError>>()
        })
        .transpose()?;
    Ok(Json(
        services
            .approve_week(&user, &issuer, &owner.user_id, week, seen.as_deref())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
struct Decided {
    /// The entries whose decisions to take back (1 to 500).
    #[schema(value_type = Vec<EntryId>)]
    ids: Vec<String>,
}

/// Take back one's own approvals or rejections, within seconds of making them (the
/// server's `DECISION_UNDO_SECS`, 30 by default): the entries await a decision again, with
/// the note they had before. All or nothing.
#[utoipa::path(
    post, path = "/api/approvals/undo", tag = "approvals",
    request_body = Decided,
    responses(
        (status = 200, description = "The entries, submitted again", body = Vec<Entry>),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "The scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Not decided by this manager, changed since, or too late", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "No ids, too many, or one that is not an entry id", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn undo(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(decided): ApiJson<Decided>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    let ids = decided
        .ids
        .iter()
        .map(|id| EntryId::parse(id).map_err(AppError::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(services.undo_decisions(&user, &ids).await?))
}

/// List others' submitted entries awaiting a decision, by person and date.
#[utoipa::path(
    get, path = "/api/approvals", tag = "approvals",
    responses((status = 200, description = "Up to 500 entries", body = Vec<Entry>)),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn awaiting_approval(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Entry>>, ApiError> {
    Ok(Json(services.awaiting_approval(&user).await?))
}

/// Anyone's entry as it is now, to decide on it (its `ETag` is the version for `If-Match`).
#[utoipa::path(
    get, path = "/api/approvals/{id}", tag = "approvals",
    params(("id" = EntryId, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "The entry", body = Entry,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 403, description = "The scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn entry_to_decide(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let entry = services.entry_to_decide(&user, entry_id(&id)?).await?;
    Ok(entry_response(StatusCode::OK, entry))
}

/// Approve someone else's submitted entry (the seed sends no body; any body is ignored).
///
/// `If-Match: "<version>"` approves only the version the manager saw: an entry changed
/// since answers 412 — unless this manager's same decision made that change (a retry
/// whose answer was lost), which answers 200 and is applied once.
#[utoipa::path(
    put, path = "/api/approvals/{id}", tag = "approvals",
    params(
        ("id" = EntryId, Path, description = "The entry's id"),
        ("If-Match" = Option<String>, Header, description = "The version decided on, quoted: `\"3\"`"),
    ),
    responses(
        (status = 200, description = "The approved entry, now locked", body = Entry),
        (status = 403, description = "One's own entry, or the scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Not submitted (a draft, or already decided)", body = ErrorBody),
        (status = 412, description = "The entry changed since that version", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn approve(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let seen = if_match(&headers)?;
    let entry = services
        .decide(&user, entry_id(&id)?, Transition::Approve, None, seen)
        .await?;
    Ok(entry_response(StatusCode::OK, entry))
}

#[derive(Debug, Deserialize, ToSchema)]
struct Decision {
    /// Why: shown to the person so they can fix the entry.
    #[schema(value_type = Note)]
    note: String,
}

/// Reject someone else's submitted entry with a note; its owner can edit and resubmit it.
/// `If-Match` as for approving.
#[utoipa::path(
    post, path = "/api/approvals/{id}/reject", tag = "approvals",
    params(
        ("id" = EntryId, Path, description = "The entry's id"),
        ("If-Match" = Option<String>, Header, description = "The version decided on, quoted: `\"3\"`"),
    ),
    request_body = Decision,
    responses(
        (status = 200, description = "The rejected entry", body = Entry),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "One's own entry, or the scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Not submitted (a draft, or already decided)", body = ErrorBody),
        (status = 412, description = "The entry changed since that version", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A missing or too long note", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn reject(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    let seen = if_match(&headers)?;
    let note = Note::rejection_reason(&decision.note)?;
    let entry = services
        .decide(&user, entry_id(&id)?, Transition::Reject, Some(note), seen)
        .await?;
    Ok(entry_response(StatusCode::OK, entry))
}

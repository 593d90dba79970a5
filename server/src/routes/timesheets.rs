//! `/api/timesheets` and `/api/approvals`: thin adapters from HTTP to the service layer.
//! Each handler's `#[utoipa::path]` documents it in `/api/openapi.json` and, through
//! `routes!`, registers it, so the document lists exactly the routes that exist.

use app::{
    domain::{EntryId, EntryStatus, IsoWeek, Note, Transition, WorkDate},
    entries::{Entry, NewEntry, Page, UploadBody, UploadReport},
    error::AppError,
};
use axum::{
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{
    auth::{AuthClient, AuthUser},
    error::ApiError,
    services::{entries::parse_cursor, EntryRange, ExportRequest, ServerServices},
    startup::AppState,
    timesheet_csv,
};

/// Request bodies of single entries are small; a 10,000-row upload is a few MB.
const BODY_LIMIT: usize = 64 * 1024;
const UPLOAD_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(export))
        .routes(routes!(submit_week))
        .routes(routes!(awaiting_approval))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(approve_week))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload))
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
}

/// An id in a path; one that is not a UUID names no entry.
fn entry_id(id: &str) -> Result<EntryId, AppError> {
    EntryId::parse(id).map_err(|_| AppError::NotFound)
}

/// The entry, with its version as a strong `ETag` for `If-Match`.
fn entry_response(status: StatusCode, entry: Entry) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", entry.version)).ok();
    let location = HeaderValue::from_str(&format!("/api/timesheets/{}", entry.id)).ok();
    let mut response = (status, Json(entry)).into_response();
    let headers = response.headers_mut();
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    if let (StatusCode::CREATED, Some(location)) = (status, location) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// Log time for oneself.
///
/// The seed's body `{"project", "date", "hours"}` works as is. Without `status` the entry
/// awaits approval (as in the seed); `"status": "draft"` keeps it editable. A client-chosen
/// `id` makes a retry idempotent: the same id with the same content answers 200 with the
/// stored entry, with other content 409.
#[utoipa::path(
    post, path = "/api/timesheets", tag = "timesheets",
    request_body = NewEntry,
    responses(
        (status = 201, description = "Created", body = Entry,
            headers(("ETag" = String, description = "The version, for If-Match"),
                    ("Location" = String, description = "The entry's URL"))),
        (status = 200, description = "A retried create: the entry already stored", body = Entry),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "The id is taken by an entry with other content", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`), no such project, or over 24 h that day", body = ErrorBody),
    ),
    security(("bearer" = ["create:timesheets"])),
)]
async fn create(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<NewEntry>,
) -> Result<Response, ApiError> {
    let draft = body.parse()?;
    let (entry, created) = services.create_entry(&user, draft, "api").await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(entry_response(status, entry))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// First day, `YYYY-MM-DD` (default: no lower bound).
    #[param(value_type = Option<WorkDate>)]
    from: Option<String>,
    /// Last day, inclusive (default: no upper bound).
    #[param(value_type = Option<WorkDate>)]
    to: Option<String>,
    /// An ISO week, instead of `from`/`to`.
    #[param(value_type = Option<IsoWeek>)]
    week: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Entries per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

impl ListQuery {
    fn range(self) -> Result<EntryRange, AppError> {
        let (from, to) = match (self.week, self.from, self.to) {
            (Some(week), None, None) => {
                let week = IsoWeek::parse(&week)?;
                (week.monday(), week.sunday())
            }
            // Open ends reach the first and last days the domain allows.
            (None, from, to) => (
                date_param("from", from.as_deref())?.unwrap_or(WorkDate::EARLIEST),
                date_param("to", to.as_deref())?.unwrap_or(WorkDate::LATEST),
            ),
            _ => {
                return Err(AppError::Validation {
                    field: "week".into(),
                    message: "give week, or from/to, not both".into(),
                })
            }
        };
        if from > to {
            return Err(AppError::Validation {
                field: "from".into(),
                message: "from is after to".into(),
            });
        }
        Ok(EntryRange {
            from,
            to,
            after: self.cursor.as_deref().map(parse_cursor).transpose()?,
            limit: self.limit.unwrap_or(100),
        })
    }
}

fn date_param(name: &str, value: Option<&str>) -> Result<Option<WorkDate>, AppError> {
    value
        .map(WorkDate::parse)
        .transpose()
        .map_err(|error| AppError::Validation {
            field: name.into(),
            message: error.message,
        })
}

/// List one's own entries, by `week` or `from`/`to`, oldest first, a page at a time.
#[utoipa::path(
    get, path = "/api/timesheets", tag = "timesheets",
    params(ListQuery),
    responses(
        (status = 200, description = "One page", body = Page<Entry>),
        (status = 400, description = "Unreadable query string", body = ErrorBody),
        (status = 422, description = "A bad date, week or cursor", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"])),
)]
async fn list(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| AppError::BadRequest {
        message: rejection.body_text(),
    })?;
    let page = services.list_entries(&user, query.range()?).await?;
    // Written from the shared page, which may be the cache's.
    Ok(Json(&*page).into_response())
}

/// Read one of one's own entries; its version comes as the `ETag`.
#[utoipa::path(
    get, path = "/api/timesheets/{id}", tag = "timesheets",
    params(("id" = EntryId, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "The entry", body = Entry,
            headers(("ETag" = String, description = "The version, for If-Match"))),
        (status = 404, description = "No such entry of the caller's", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"])),
)]
async fn get_one(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let entry = services.get_entry(&user, entry_id(&id)?).await?;
    Ok(entry_response(StatusCode::OK, entry))
}

/// The version an `If-Match` header names (`"3"`); any other value can never match.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|value| {
            value
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')?
                .parse()
                .ok()
        })
        .map(Some)
        .ok_or(AppError::PreconditionFailed)
}

/// Edit one's own draft or rejected entry (a rejected one becomes a draft again).
/// `status` may be left out or be `draft`; submitting is `POST …/weeks/{week}/submit`.
///
/// `If-Match: "<version>"` guards against lost updates: a stale version answers 412.
/// Submitted entries answer 409 and approved ones are locked.
#[utoipa::path(
    put, path = "/api/timesheets/{id}", tag = "timesheets",
    params(
        ("id" = EntryId, Path, description = "The entry's id"),
        ("If-Match" = Option<String>, Header, description = "The version last read, quoted: `\"3\"`"),
    ),
    request_body = NewEntry,
    responses(
        (status = 200, description = "The edited entry", body = Entry,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "No such entry of the caller's", body = ErrorBody),
        (status = 409, description = "Submitted or approved: not editable", body = ErrorBody),
        (status = 412, description = "The entry changed since that version", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = ["create:timesheets"])),
)]
async fn update(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewEntry>,
) -> Result<Response, ApiError> {
    // An edit leaves the entry a draft: saying so (a client sending back what it read) is
    // fine, asking for anything else is not.
    let keeps_draft = body
        .status
        .as_deref()
        .is_none_or(|status| matches!(status.parse(), Ok(EntryStatus::Draft)));
    if !keeps_draft {
        return Err(AppError::Validation {
            field: "status".into(),
            message: "an edit keeps the entry a draft; submit its week to send it".into(),
        }
        .into());
    }
    let expected = if_match(&headers)?;
    let entry = services
        .update_entry(&user, entry_id(&id)?, body.parse()?, expected)
        .await?;
    Ok(entry_response(StatusCode::OK, entry))
}

fn week_param(week: &str) -> Result<IsoWeek, AppError> {
    Ok(IsoWeek::parse(week)?)
}

/// Submit one's drafts of a week for approval; answers the entries it submitted.
#[utoipa::path(
    post, path = "/api/timesheets/weeks/{week}/submit", tag = "timesheets",
    params(("week" = IsoWeek, Path, description = "An ISO week, e.g. 2026-W48")),
    responses(
        (status = 200, description = "The entries now submitted (empty when there were no drafts)", body = Vec<Entry>),
        (status = 422, description = "Not an ISO week", body = ErrorBody),
    ),
    security(("bearer" = ["create:timesheets"])),
)]
async fn submit_week(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(week): Path<String>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    Ok(Json(services.submit_week(&user, week_param(&week)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
struct WeekOwner {
    /// The person's subject (the `user_id` of their entries).
    user_id: String,
    /// Their issuer; the manager's own when left out.
    issuer: Option<String>,
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
    Ok(Json(
        services
            .approve_week(&user, &issuer, &owner.user_id, week)
            .await?,
    ))
}

/// Delete one's own draft or rejected entry.
#[utoipa::path(
    delete, path = "/api/timesheets/{id}", tag = "timesheets",
    params(("id" = EntryId, Path, description = "The entry's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such entry of the caller's", body = ErrorBody),
        (status = 409, description = "Submitted or approved: not deletable", body = ErrorBody),
    ),
    security(("bearer" = ["delete:timesheets"])),
)]
async fn delete(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    services.delete_entry(&user, entry_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// Approve someone else's submitted entry (the seed sends no body; any body is ignored).
#[utoipa::path(
    put, path = "/api/approvals/{id}", tag = "approvals",
    params(("id" = EntryId, Path, description = "The entry's id")),
    responses(
        (status = 200, description = "The approved entry, now locked", body = Entry),
        (status = 403, description = "One's own entry, or the scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Not submitted (a draft, or already decided)", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn approve(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let entry = services
        .decide(&user, entry_id(&id)?, Transition::Approve, None)
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
#[utoipa::path(
    post, path = "/api/approvals/{id}/reject", tag = "approvals",
    params(("id" = EntryId, Path, description = "The entry's id")),
    request_body = Decision,
    responses(
        (status = 200, description = "The rejected entry", body = Entry),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "One's own entry, or the scope is missing", body = ErrorBody),
        (status = 404, description = "No such entry", body = ErrorBody),
        (status = 409, description = "Not submitted (a draft, or already decided)", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A missing or too long note", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn reject(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    let note = Note::rejection_reason(&decision.note)?;
    let entry = services
        .decide(&user, entry_id(&id)?, Transition::Reject, Some(note))
        .await?;
    Ok(entry_response(StatusCode::OK, entry))
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(value_type = WorkDate)]
    from: Option<String>,
    /// Last day, inclusive; at most 366 days after `from`.
    #[param(value_type = WorkDate)]
    to: Option<String>,
    /// Only entries in this status.
    #[param(value_type = Option<EntryStatus>)]
    status: Option<String>,
    /// `true`: everyone's approved entries (needs `approve:timesheets`), not one's own.
    everyone: Option<bool>,
}

impl ExportQuery {
    fn parse(self) -> Result<ExportRequest, AppError> {
        let required = |field: &str| AppError::Validation {
            field: field.into(),
            message: "is required (YYYY-MM-DD)".into(),
        };
        let from = date_param("from", self.from.as_deref())?.ok_or_else(|| required("from"))?;
        let to = date_param("to", self.to.as_deref())?.ok_or_else(|| required("to"))?;
        let status = self
            .status
            .as_deref()
            .map(str::parse::<EntryStatus>)
            .transpose()?;
        Ok(ExportRequest {
            from,
            to,
            status,
            everyone: self.everyone.unwrap_or(false),
        })
    }
}

/// Download entries of a date range as CSV: one's own (any status, or `status`), or with
/// `everyone=true` everyone's approved entries. The columns are those batch imports read,
/// so an export can be imported elsewhere; free text that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`) is written with a leading `'`.
#[utoipa::path(
    get, path = "/api/timesheets/export", tag = "timesheets",
    params(ExportQuery),
    responses(
        (status = 200, description = "RFC 4180 CSV with a header row: id, external_id, \
            user_issuer, user_subject, user_email, user_name, date, project, minutes, hours, \
            status, note, decision_note, source",
            content_type = "text/csv", body = String,
            headers(("Content-Disposition" = String, description = "attachment; filename=…"))),
        (status = 400, description = "Unreadable query string", body = ErrorBody),
        (status = 422, description = "A missing or bad date, a range over 366 days, too many \
            entries, or a status other than approved with everyone=true", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"]), ("bearer" = ["approve:timesheets"])),
)]
async fn export(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| AppError::BadRequest {
        message: rejection.body_text(),
    })?;
    let request = query.parse()?;
    let name = format!(
        "timesheets-{}-to-{}{}.csv",
        request.from,
        request.to,
        if request.everyone { "-approved" } else { "" }
    );
    let entries = services.export(&user, request).await?;
    let body = timesheet_csv::write(&entries).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

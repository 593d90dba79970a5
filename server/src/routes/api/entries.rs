//! `/api/timesheets`: one's own entries (log, list, read, edit, delete) and submitting a
//! week. Thin adapters from HTTP to the service layer; each handler's `#[utoipa::path]`
//! documents it in `/api/openapi.json` and, through `routes!`, registers it, so the
//! document lists exactly the routes that exist.

use app::{
    domain::{EntryId, EntryStatus, IsoWeek, WorkDate},
    entries::{Entry, NewEntry, Page},
    error::AppError,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{
    auth::AuthUser,
    error::ApiError,
    services::{
        entries::{parse_cursor, DEFAULT_PAGE},
        EntryRange, ServerServices,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(submit_week))
}

/// An id in a path; one that is not a UUID names no entry.
pub(super) fn entry_id(id: &str) -> Result<EntryId, AppError> {
    EntryId::parse(id).map_err(|_| AppError::NotFound)
}

/// The entry, with its version as a strong `ETag` for `If-Match`.
pub(super) fn entry_response(status: StatusCode, entry: Entry) -> Response {
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
            limit: self.limit.unwrap_or(DEFAULT_PAGE),
        })
    }
}

pub(super) fn date_param(name: &str, value: Option<&str>) -> Result<Option<WorkDate>, AppError> {
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
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
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

/// Edit one's own draft, submitted or rejected entry (it is a draft afterwards).
/// `status` may be left out or be `draft`; submitting is `POST …/weeks/{week}/submit`.
///
/// `If-Match: "<version>"` guards against lost updates: a stale version answers 412.
/// A submitted entry may be corrected until it is decided: it becomes a draft again (out
/// of the approvals queue until its week is submitted again). Approved ones are locked.
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
        (status = 409, description = "Approved: locked", body = ErrorBody),
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

pub(super) fn week_param(week: &str) -> Result<IsoWeek, AppError> {
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

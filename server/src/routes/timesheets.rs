//! `/api/timesheets` and `/api/approvals`: thin adapters from HTTP to the service layer.

use app::{
    domain::{EntryId, IsoWeek, Note, Transition, WorkDate},
    entries::{Entry, NewEntry, Page, UploadBody, UploadReport},
    error::AppError,
};
use axum::{
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use serde::Deserialize;

use super::json::ApiJson;
use crate::{
    auth::{AuthClient, AuthUser},
    error::ApiError,
    services::{entries::parse_cursor, EntryRange, ServerServices},
    startup::AppState,
    store::projects::Project,
};

/// Request bodies of single entries are small; a 10,000-row upload is a few MB.
const BODY_LIMIT: usize = 64 * 1024;
const UPLOAD_BODY_LIMIT: usize = 16 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/timesheets", post(create).get(list))
        .route(
            "/api/timesheets/{id}",
            get(get_one).put(update).delete(delete),
        )
        .route("/api/timesheets/weeks/{week}/submit", post(submit_week))
        .route("/api/approvals/weeks/{week}", post(approve_week))
        .route("/api/projects", get(projects))
        .route("/api/approvals", get(awaiting_approval))
        .route("/api/approvals/{id}", put(approve))
        .route("/api/approvals/{id}/reject", post(reject))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(
            Router::new()
                .route("/api/timesheets/upload", post(upload))
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

/// `POST /api/timesheets`: 201 with the new entry; 200 with the existing one when a
/// client-chosen id is retried with the same content.
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

#[derive(Debug, Deserialize)]
struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    week: Option<String>,
    cursor: Option<String>,
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

/// `GET /api/timesheets`: the caller's own entries, by `week` or `from`/`to`, paginated.
async fn list(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Page<Entry>>, ApiError> {
    let Query(query) = query.map_err(|rejection| AppError::BadRequest {
        message: rejection.body_text(),
    })?;
    Ok(Json(services.list_entries(&user, query.range()?).await?))
}

/// `GET /api/timesheets/{id}`: one of the caller's entries, with its version as `ETag`.
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

/// `PUT /api/timesheets/{id}`: replaces the content of one's own draft or rejected entry
/// (which becomes a draft again). `If-Match: "<version>"` guards against lost updates.
async fn update(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewEntry>,
) -> Result<Response, ApiError> {
    if body.status.is_some() {
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

/// `POST /api/timesheets/weeks/{week}/submit`: submits the caller's drafts of that week.
async fn submit_week(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(week): Path<String>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    Ok(Json(services.submit_week(&user, week_param(&week)?).await?))
}

#[derive(Debug, Deserialize)]
struct WeekOwner {
    /// The person's subject (the `user_id` of their entries).
    user_id: String,
    /// Their issuer; the manager's own when left out.
    issuer: Option<String>,
}

/// `POST /api/approvals/weeks/{week}` with `{"user_id": …}`: approves all of that person's
/// submitted entries of the week.
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

/// `DELETE /api/timesheets/{id}`: 204; only the owner's draft or rejected entries.
async fn delete(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    services.delete_entry(&user, entry_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/projects`: every project, active ones first (for the entry form's picker).
async fn projects(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(services.projects(&user).await?))
}

/// `GET /api/approvals`: others' submitted entries awaiting a decision.
async fn awaiting_approval(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Entry>>, ApiError> {
    Ok(Json(services.awaiting_approval(&user).await?))
}

/// `PUT /api/approvals/{id}`: approves; the seed sends no body.
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

#[derive(Debug, Deserialize)]
struct Decision {
    note: String,
}

/// `POST /api/approvals/{id}/reject` with `{"note": "why"}`: sends the entry back.
async fn reject(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    let note = Note::parse_field("note", &decision.note)?.ok_or(AppError::Validation {
        field: "note".into(),
        message: "say why the entry is rejected".into(),
    })?;
    let entry = services
        .decide(&user, entry_id(&id)?, Transition::Reject, Some(note))
        .await?;
    Ok(entry_response(StatusCode::OK, entry))
}

/// `POST /api/timesheets/upload`: one row or an array; a per-row report.
async fn upload(
    State(services): State<ServerServices>,
    AuthClient(client): AuthClient,
    ApiJson(body): ApiJson<UploadBody>,
) -> Result<Json<UploadReport>, ApiError> {
    Ok(Json(services.upload(&client, body.into_rows()).await?))
}

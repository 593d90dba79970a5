//! `/api/projects`: listed for everyone who logs time; added, renamed, archived and
//! reactivated with `manage:projects`. Thin adapters over the service layer.

use app::{
    admin::{NewProject, ProjectUpdate},
    entries::Project,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{json::ApiJson, openapi::ErrorBody};
use crate::{
    auth::AuthUser,
    error::ApiError,
    services::{Operator, ServerServices},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(get_one, update))
        .routes(routes!(archive))
        .routes(routes!(activate))
}

/// List the projects, active ones first (for the entry form's picker and the admin screen).
#[utoipa::path(
    get, path = "/api/projects", tag = "projects",
    responses((status = 200, description = "Every project", body = Vec<Project>)),
    security(("bearer" = ["read:timesheets"]), ("bearer" = ["manage:projects"])),
)]
async fn list(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(services.projects(Operator::User(&user)).await?))
}

/// Add a project; time can be logged on it at once.
#[utoipa::path(
    post, path = "/api/projects", tag = "projects",
    request_body = NewProject,
    responses(
        (status = 201, description = "Added", body = Project,
            headers(("Location" = String, description = "The project's URL"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 409, description = "A project with this code exists", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = ["manage:projects"])),
)]
async fn add(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<Response, ApiError> {
    let project = services.add_project(Operator::User(&user), &body).await?;
    let mut response = (StatusCode::CREATED, Json(&project)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/projects/{}", project.code)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// One project by code (case-insensitive).
#[utoipa::path(
    get, path = "/api/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "The project's code")),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 404, description = "No such project", body = ErrorBody),
    ),
    security(("bearer" = ["read:timesheets"]), ("bearer" = ["manage:projects"])),
)]
async fn get_one(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(services.project(Operator::User(&user), &code).await?))
}

/// Rename a project, or change its customer or colour (absent ones are cleared). Its code
/// stays; its entries show the new name.
#[utoipa::path(
    put, path = "/api/projects/{code}", tag = "projects",
    params(("code" = String, Path, description = "The project's code")),
    request_body = ProjectUpdate,
    responses(
        (status = 200, description = "The changed project", body = Project),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = ["manage:projects"])),
)]
async fn update(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ProjectUpdate>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        services
            .update_project(Operator::User(&user), &code, &body)
            .await?,
    ))
}

/// Archive a project: it keeps its entries, reports and exports, and takes no new time
/// (creating an entry on it is a 422). Archiving an archived project changes nothing.
#[utoipa::path(
    post, path = "/api/projects/{code}/archive", tag = "projects",
    params(("code" = String, Path, description = "The project's code")),
    responses(
        (status = 200, description = "The archived project", body = Project),
        (status = 404, description = "No such project", body = ErrorBody),
    ),
    security(("bearer" = ["manage:projects"])),
)]
async fn archive(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        services
            .set_project_active(Operator::User(&user), &code, false)
            .await?,
    ))
}

/// Reactivate an archived project: time can be logged on it again.
#[utoipa::path(
    post, path = "/api/projects/{code}/activate", tag = "projects",
    params(("code" = String, Path, description = "The project's code")),
    responses(
        (status = 200, description = "The active project", body = Project),
        (status = 404, description = "No such project", body = ErrorBody),
    ),
    security(("bearer" = ["manage:projects"])),
)]
async fn activate(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Path(code): Path<String>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(
        services
            .set_project_active(Operator::User(&user), &code, true)
            .await?,
    ))
}

//! `GET /api/team/hours`: everyone's hours of a week or month, for managers.

use app::{
    domain::WorkDate,
    error::AppError,
    overview::{Period, TeamHours},
};
use axum::{
    extract::{Query, State},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{entries::date_param, openapi::ErrorBody};
use crate::{auth::AuthUser, error::ApiError, services::ServerServices, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(team_hours))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HoursQuery {
    /// An ISO week (`2026-W49`) or a month (`2026-12`).
    #[param(value_type = Period)]
    period: Option<String>,
    /// The caller's date (`YYYY-MM-DD`): working days up to it with nothing logged are
    /// `missing`. The server's date (UTC) when left out.
    #[param(value_type = Option<WorkDate>)]
    today: Option<String>,
}

/// Per person: hours per day and per project, and the working days with nothing logged;
/// per project: everyone's hours. Entries of any status count. People who logged time in
/// the four weeks before the period are listed even with nothing in it.
#[utoipa::path(
    get, path = "/api/team/hours", tag = "approvals",
    params(HoursQuery),
    responses(
        (status = 200, description = "The period's hours", body = TeamHours),
        (status = 400, description = "Unreadable query string", body = ErrorBody),
        (status = 403, description = "The scope is missing", body = ErrorBody),
        (status = 422, description = "No period, or not a week or month; a bad date", body = ErrorBody),
    ),
    security(("bearer" = ["approve:timesheets"])),
)]
async fn team_hours(
    State(services): State<ServerServices>,
    AuthUser(user): AuthUser,
    Query(query): Query<HoursQuery>,
) -> Result<Json<TeamHours>, ApiError> {
    let period =
        Period::parse(query.period.as_deref().unwrap_or_default()).map_err(AppError::from)?;
    let today = match date_param("today", query.today.as_deref())? {
        Some(today) => today,
        None => WorkDate::from_date(time::OffsetDateTime::now_utc().date()),
    };
    Ok(Json(services.team_hours(&user, period, today).await?))
}

//! `GET /api/timesheets/export`: entries as CSV or JSON for payroll and reports.

use app::{
    domain::{EntryStatus, WorkDate},
    error::AppError,
};
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{entries::date_param, openapi::ErrorBody};
use crate::{
    auth::AuthUser,
    error::ApiError,
    services::{ExportRequest, ServerServices},
    state::AppState,
    timesheet_csv,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
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

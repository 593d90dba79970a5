//! Exports of a date range: one's own entries, or (for managers) everyone's approved
//! entries, e.g. for payroll. The HTTP adapter writes them as CSV.

use app::{
    auth::{Scope, User},
    domain::{EntryStatus, WorkDate},
    entries::Entry,
    error::AppError,
};

use super::ServerServices;
use crate::{
    error::ApiError,
    store::{entries as entry_store, users},
};

/// The longest range one export covers (a leap year).
pub const MAX_EXPORT_DAYS: i64 = 366;
/// The most entries one export holds: a company of a few hundred people over a year.
pub const MAX_EXPORT_ROWS: u32 = 200_000;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub from: WorkDate,
    pub to: WorkDate,
    /// Only entries in this status.
    pub status: Option<EntryStatus>,
    /// Everyone's approved entries (needs `approve:timesheets`) instead of one's own.
    pub everyone: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
    }
    .into()
}

impl ServerServices {
    pub async fn export(
        &self,
        user: &User,
        request: ExportRequest,
    ) -> Result<Vec<Entry>, ApiError> {
        let status = if request.everyone {
            user.require(Scope::ApproveTimesheets)?;
            match request.status {
                None | Some(EntryStatus::Approved) => Some(EntryStatus::Approved),
                Some(_) => {
                    return Err(invalid(
                        "status",
                        "everyone's export holds approved entries only",
                    ))
                }
            }
        } else {
            user.require(Scope::ReadTimesheets)?;
            request.status
        };
        if request.from > request.to {
            return Err(invalid("from", "from is after to"));
        }
        let days = (request.to.date() - request.from.date()).whole_days() + 1;
        if days > MAX_EXPORT_DAYS {
            return Err(invalid(
                "to",
                format!("export at most {MAX_EXPORT_DAYS} days at a time"),
            ));
        }

        let user_id = if request.everyone {
            None
        } else {
            let mut conn = self.db.acquire().await?;
            match users::find(&mut conn, &user.issuer, &user.subject).await? {
                Some(id) => Some(id),
                // Never signed in through the API: nothing logged yet.
                None => return Ok(Vec::new()),
            }
        };
        let entries = entry_store::in_range(
            &self.db,
            user_id.as_deref(),
            status,
            request.from,
            request.to,
            MAX_EXPORT_ROWS + 1,
        )
        .await?;
        if entries.len() > MAX_EXPORT_ROWS as usize {
            return Err(invalid(
                "to",
                format!("more than {MAX_EXPORT_ROWS} entries: export a shorter range"),
            ));
        }
        Ok(entries)
    }
}

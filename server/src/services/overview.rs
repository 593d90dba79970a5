//! The manager's week or month at a glance: everyone's hours, built from the entries of
//! the period and of the weeks before it (who is on the team).

use app::{
    auth::{Scope, User},
    domain::WorkDate,
    error::AppError,
    overview::{team_hours, Period, TeamHours, ACTIVE_DAYS_BEFORE},
};

use super::ServerServices;
use crate::{
    error::ApiError,
    store::{entries as entry_store, projects},
};

/// The most entries one overview reads: a company of several hundred people over a month
/// and the four weeks before it.
const MAX_OVERVIEW_ROWS: u32 = 100_000;

impl ServerServices {
    /// Everyone's hours in `period`; `today` (the manager's calendar) ends the days that
    /// can be missing.
    pub async fn team_hours(
        &self,
        user: &User,
        period: Period,
        today: WorkDate,
    ) -> Result<TeamHours, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        let since = period
            .first()
            .date()
            .checked_sub(time::Duration::days(ACTIVE_DAYS_BEFORE))
            .map_or(WorkDate::EARLIEST, WorkDate::from_date)
            .max(WorkDate::EARLIEST);
        let entries = entry_store::in_range(
            &self.db,
            None,
            None,
            since,
            period.last(),
            MAX_OVERVIEW_ROWS + 1,
        )
        .await?;
        if entries.len() > MAX_OVERVIEW_ROWS as usize {
            return Err(AppError::Validation {
                field: "period".into(),
                message: format!("more than {MAX_OVERVIEW_ROWS} entries: look at a week"),
            }
            .into());
        }
        let projects: Vec<_> = {
            let mut conn = self.db.acquire().await?;
            projects::list(&mut conn)
                .await?
                .into_iter()
                .map(|stored| stored.project)
                .collect()
        };
        Ok(team_hours(&entries, period, today, &projects))
    }
}

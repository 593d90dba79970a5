//! The running timer: one per person, whichever device started it. Its stop is an entry
//! with the timer's id (`create_entry` ends the timer); a discard ends it without one.

use app::{
    auth::{Scope, User},
    domain::EntryId,
    error::AppError,
    timer::{RunningTimer, StartTimer},
};
use db::clock::now_ms;

use super::{entries::active_project, ServerServices};
use crate::{
    error::ApiError,
    store::{
        entries as entry_store,
        timers::{self, NewTimer},
        users,
    },
};

impl ServerServices {
    /// The user's running timer, if any.
    pub async fn running_timer(&self, user: &User) -> Result<Option<RunningTimer>, ApiError> {
        user.require(Scope::ReadTimesheets)?;
        let mut conn = self.db.acquire().await?;
        let Some(user_id) = users::find(&mut conn, &user.issuer, &user.subject).await? else {
            return Ok(None);
        };
        Ok(timers::of_user(&mut conn, &user_id).await?)
    }

    /// Starts the user's timer (or updates it: the same id sent again), its start checked
    /// against this server's clock. Another running timer of theirs is a conflict that
    /// names it: one timer per person.
    pub async fn start_timer(
        &self,
        user: &User,
        start: StartTimer,
    ) -> Result<RunningTimer, ApiError> {
        user.require(Scope::CreateTimesheets)?;
        let now = now_ms();
        let start = start.parse(now)?;
        let mut tx = self.db.begin_write().await?;
        let user_id = users::upsert(&mut tx, user, now).await?;
        // A start arriving after its stop (sent late by a phone) does not bring it back.
        if entry_store::get(&mut tx, start.id).await?.is_some() {
            return Err(AppError::Conflict {
                message: "this timer was stopped already".into(),
            }
            .into());
        }
        let project = active_project(&mut tx, &start.project).await?;
        let timer = NewTimer {
            id: start.id,
            user_id: &user_id,
            project_id: &project.id,
            note: start.note.as_ref().map(|note| note.as_str()),
            started_at: start.started_at,
            now,
        };
        let started = match timers::start(&mut tx, &timer).await {
            Ok(started) => started,
            // The id is another person's timer.
            Err(error) if db::is_unique_violation(&error) => {
                return Err(AppError::Conflict {
                    message: "this timer id is taken".into(),
                }
                .into())
            }
            Err(error) => return Err(error.into()),
        };
        let running = timers::of_user(&mut tx, &user_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the timer vanished inside its transaction"))?;
        if !started {
            return Err(AppError::Conflict {
                message: format!(
                    "a timer for {} already runs; stop or discard it first",
                    running.project_name
                ),
            }
            .into());
        }
        tx.commit().await?;
        Ok(running)
    }

    /// Ends the user's timer `id` without an entry. Ending one that no longer runs is
    /// done already: another device stopped or discarded it.
    pub async fn discard_timer(&self, user: &User, id: EntryId) -> Result<(), ApiError> {
        user.require(Scope::CreateTimesheets)?;
        let mut tx = self.db.begin_write().await?;
        let Some(user_id) = users::find(&mut tx, &user.issuer, &user.subject).await? else {
            return Ok(());
        };
        timers::end(&mut tx, &user_id, id).await?;
        tx.commit().await?;
        Ok(())
    }
}

//! Approvals by managers: what awaits a decision, and deciding on an entry or a week.
//! Nobody decides on their own entries.

use app::{
    auth::{Scope, User},
    domain::{EntryId, EntryStatus, IsoWeek, Note, Transition},
    entries::Entry,
    error::AppError,
};

use super::{
    entries::{actor, transition_all, MAX_PAGE},
    ServerServices,
};
use crate::{
    error::ApiError,
    store::{entries as entry_store, users},
};

impl ServerServices {
    /// Approves every submitted entry of one person's `week`.
    pub async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
    ) -> Result<Vec<Entry>, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        if owner_issuer == user.issuer && owner_subject == user.subject {
            return Err(own_decision().into());
        }
        let mut tx = self.db.begin_write().await?;
        let owner_id = users::find(&mut tx, owner_issuer, owner_subject)
            .await?
            .ok_or(AppError::NotFound)?;
        let submitted = entry_store::with_status_in_range(
            &mut tx,
            &owner_id,
            EntryStatus::Submitted,
            week.monday(),
            week.sunday(),
        )
        .await?;
        let approved =
            transition_all(&mut tx, actor(user), submitted, Transition::Approve, None).await?;
        tx.commit().await?;
        Ok(approved)
    }

    /// Others' submitted entries awaiting a decision.
    pub async fn awaiting_approval(&self, user: &User) -> Result<Vec<Entry>, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        let user_id = {
            let mut conn = self.db.acquire().await?;
            users::find(&mut conn, &user.issuer, &user.subject)
                .await?
                .unwrap_or_default()
        };
        Ok(entry_store::awaiting_approval(&self.db, &user_id, MAX_PAGE).await?)
    }

    /// Approves or rejects someone else's submitted entry.
    pub async fn decide(
        &self,
        user: &User,
        id: EntryId,
        transition: Transition,
        note: Option<Note>,
    ) -> Result<Entry, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        let mut tx = self.db.begin_write().await?;
        let stored = entry_store::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let entry = &stored.entry;
        if entry.owner.issuer == user.issuer && entry.owner.subject == user.subject {
            return Err(own_decision().into());
        }
        let note = note.as_ref().map(Note::as_str);
        let mut changed =
            transition_all(&mut tx, actor(user), vec![stored], transition, note).await?;
        tx.commit().await?;
        changed
            .pop()
            .ok_or_else(|| anyhow::anyhow!("entry {id} vanished inside its transaction").into())
    }
}

fn own_decision() -> AppError {
    AppError::Forbidden {
        message: "nobody approves or rejects their own entries".into(),
    }
}

//! Approvals by managers: what awaits a decision, and deciding on an entry or a week.
//! Nobody decides on their own entries.

use std::time::Duration;

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
    store::{audit, entries as entry_store, users},
};
use db::clock::now_ms;

/// How long after a decision its manager may take it back (the app's toast offers Undo
/// for less).
pub const UNDO_WINDOW: Duration = Duration::from_secs(30);

/// How recent a manager's sign-in must be to approve or reject (RFC 9470 step-up).
pub const APPROVAL_MAX_AUTH_AGE: Duration = Duration::from_secs(15 * 60);

/// At most this many entries are taken back at once (a week's worth, many times over).
const MAX_UNDO: usize = 500;

impl ServerServices {
    /// Approves every submitted entry of one person's `week`. `seen`: the entries and
    /// versions the manager looked at; when given, a week whose submitted entries are not
    /// exactly those (one corrected, taken back or added since) is refused as stale (412)
    /// and nothing is approved.
    pub async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
        seen: Option<&[(EntryId, i64)]>,
    ) -> Result<Vec<Entry>, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        self.require_recent_sign_in(user)?;
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
        if let Some(seen) = seen {
            let mut now: Vec<(EntryId, i64)> = submitted
                .iter()
                .map(|stored| (stored.entry.id, stored.entry.version))
                .collect();
            let mut seen = seen.to_vec();
            now.sort_unstable();
            seen.sort_unstable();
            if now != seen {
                return Err(AppError::PreconditionFailed.into());
            }
        }
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

    /// Any entry, for a manager about to decide on it (or told a decision was stale: what
    /// it is now).
    pub async fn entry_to_decide(&self, user: &User, id: EntryId) -> Result<Entry, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        let mut conn = self.db.acquire().await?;
        let stored = entry_store::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(stored.entry)
    }

    /// Approves or rejects someone else's submitted entry. `seen`: the version the manager
    /// decided on (`If-Match`; a phone's decision made offline carries it), so a decision
    /// on an entry changed meanwhile is refused as stale (412) instead of applied to what
    /// the manager never saw. The same decision sent again after its answer was lost is
    /// answered with the entry as it made it, and applied once.
    pub async fn decide(
        &self,
        user: &User,
        id: EntryId,
        transition: Transition,
        note: Option<Note>,
        seen: Option<i64>,
    ) -> Result<Entry, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        // Submitting is the owner's, and an undo has checks of its own (`undo_decisions`):
        // neither may come through here.
        if !matches!(transition, Transition::Approve | Transition::Reject) {
            return Err(anyhow::anyhow!("decide called with {transition:?}").into());
        }
        self.require_recent_sign_in(user)?;
        let mut tx = self.db.begin_write().await?;
        let stored = entry_store::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let entry = &stored.entry;
        if entry.owner.issuer == user.issuer && entry.owner.subject == user.subject {
            return Err(own_decision().into());
        }
        if let Some(seen) = seen.filter(|&seen| seen != entry.version) {
            // One past the version decided on, by this very decision: its answer was lost.
            let last = audit::last_change(&mut tx, &id.to_string()).await?;
            if seen + 1 == entry.version
                && last
                    .is_some_and(|last| last.action == transition.as_str() && made_by(&last, user))
            {
                return Ok(stored.entry);
            }
            return Err(AppError::PreconditionFailed.into());
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

impl ServerServices {
    /// Step-up (RFC 9470): a decision needs a sign-in within the configured age, so that a
    /// phone left signed in for weeks cannot approve in its owner's name. Taking a
    /// decision back (undo) does not: it only restores what awaited a decision.
    fn require_recent_sign_in(&self, user: &User) -> Result<(), AppError> {
        let max_age = self.approval_max_auth_age.as_secs();
        if max_age == 0 {
            return Ok(());
        }
        user.require_sign_in_within(max_age, now_ms() / 1000)
    }

    /// Takes back the user's own decisions on `ids`, made within [`UNDO_WINDOW`]: the
    /// entries await a decision again, with the note they had before. All or nothing.
    pub async fn undo_decisions(
        &self,
        user: &User,
        ids: &[EntryId],
    ) -> Result<Vec<Entry>, ApiError> {
        user.require(Scope::ApproveTimesheets)?;
        if ids.is_empty() || ids.len() > MAX_UNDO {
            return Err(AppError::Validation {
                field: "ids".into(),
                message: format!("give between 1 and {MAX_UNDO} entry ids"),
            }
            .into());
        }
        let window_ms = i64::try_from(self.undo_window().as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.db.begin_write().await?;
        // Once the write lock is held: waiting for it does not lengthen the window.
        let now = now_ms();
        // An id given twice is taken back once.
        let mut seen = std::collections::HashSet::new();
        let mut undone = Vec::with_capacity(ids.len());
        for &id in ids.iter().filter(|id| seen.insert(**id)) {
            let stored = entry_store::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let entry_id = id.to_string();
            let last = audit::last_change(&mut tx, &entry_id).await?;
            let Some(decision) = last.filter(|last| {
                matches!(last.action.as_str(), "approve" | "reject") && made_by(last, user)
            }) else {
                return Err(AppError::Conflict {
                    message: format!(
                        "entry {id} has no decision of yours to undo (it changed since, or someone else decided)"
                    ),
                }
                .into());
            };
            if now.saturating_sub(decision.at) >= window_ms {
                return Err(AppError::Conflict {
                    message: format!(
                        "too late to undo the decision on entry {id}: decisions can be undone for {} seconds",
                        self.undo_window().as_secs()
                    ),
                }
                .into());
            }
            let note = audit::decision_note_before(&mut tx, &entry_id, decision.id).await?;
            undone.extend(
                transition_all(
                    &mut tx,
                    actor(user),
                    vec![stored],
                    Transition::Undo,
                    note.as_deref(),
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(undone)
    }
}

fn made_by(change: &audit::LastChange, user: &User) -> bool {
    change.actor_issuer.as_deref() == Some(user.issuer.as_str())
        && change.actor_subject.as_deref() == Some(user.subject.as_str())
}

fn own_decision() -> AppError {
    AppError::Forbidden {
        message: "nobody approves or rejects their own entries".into(),
    }
}

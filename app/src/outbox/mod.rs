//! The offline outbox: saves the device could not send yet. Each keeps the entry's id made
//! on the device, so sending it again after an unanswered attempt is harmless (the API's
//! create is idempotent by id; an edit carries the version it was made on).
//!
//! This module holds the rules (pure, tested natively); [`store`] keeps the outbox in
//! `localStorage` (it survives closing the app and reloads) and sends it when it can.

pub mod decisions;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    domain::{Minutes, Note, ProjectCode, WorkDate},
    entries::{Entry, NewEntry},
    error::AppError,
};

/// Where a queued save stands, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// Waiting for the network (or for the session to be restored).
    Pending,
    Syncing,
    /// The server has it; kept a little while so the user sees it went through.
    Synced {
        at_ms: i64,
    },
    /// The server refused it; it stays until the user retries or discards it.
    Failed {
        reason: String,
    },
    /// Someone changed the entry meanwhile, or it clashes with what is stored.
    /// `latest_version`: the stored entry's version, to send this edit over it if the
    /// user keeps theirs.
    Conflict {
        reason: String,
        #[serde(default)]
        latest_version: Option<i64>,
    },
    /// A manager's decision the server refused for a sign-in older than `max_age` seconds
    /// (RFC 9470): it waits until they sign in again.
    SignInAgain {
        max_age: u64,
    },
}

impl SyncState {
    pub fn label(&self) -> &'static str {
        match self {
            SyncState::Pending => "Waiting for network",
            SyncState::Syncing => "Syncing…",
            SyncState::Synced { .. } => "Synced",
            SyncState::Failed { .. } => "Not saved",
            SyncState::Conflict { .. } => "Conflict",
            SyncState::SignInAgain { .. } => "Waiting for a fresh sign-in",
        }
    }

    /// For styles and tests: `pending`, `syncing`, `synced`, `failed`, `conflict`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SyncState::Pending => "pending",
            SyncState::Syncing => "syncing",
            SyncState::Synced { .. } => "synced",
            SyncState::Failed { .. } => "failed",
            SyncState::Conflict { .. } => "conflict",
            SyncState::SignInAgain { .. } => "sign_in_again",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            SyncState::Failed { reason } | SyncState::Conflict { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Still to be sent by the automatic sync.
    pub fn is_due(&self) -> bool {
        matches!(self, SyncState::Pending)
    }

    /// Not on the server (as far as this device knows): shown instead of the server's copy.
    pub fn is_unsynced(&self) -> bool {
        !matches!(self, SyncState::Synced { .. })
    }
}

/// One save waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedSave {
    /// The signed-in person's subject when it was saved: only their session sends it.
    pub owner: String,
    /// Always carries its id (made on the device for a new entry).
    pub entry: NewEntry,
    /// `None` creates; `Some` is the version the edit was made on.
    pub version: Option<i64>,
    /// For display while the server has not answered.
    pub project_name: String,
    pub date: WorkDate,
    pub minutes: Minutes,
    pub state: SyncState,
}

impl QueuedSave {
    /// A save to queue; `None` when the entry has no id or is invalid (the form checks
    /// both before it gets here).
    pub fn new(
        owner: &str,
        entry: NewEntry,
        version: Option<i64>,
        project_name: &str,
    ) -> Option<QueuedSave> {
        entry.id.as_ref()?;
        let draft = entry.clone().parse().ok()?;
        Some(QueuedSave {
            owner: owner.to_owned(),
            entry,
            version,
            project_name: project_name.to_owned(),
            date: draft.date,
            minutes: draft.minutes,
            state: SyncState::Pending,
        })
    }

    pub fn id(&self) -> &str {
        self.entry.id.as_deref().unwrap_or_default()
    }

    /// Whether `stored` already holds what this save asks for (an edit whose answer was
    /// lost on the way back, then refused as stale when sent again).
    pub fn is_applied_in(&self, stored: &Entry) -> bool {
        // Compared as the server stored it: parsed by the same domain rules (a blank
        // note is none, a project is a code in any case, else a name).
        let Ok(draft) = self.entry.clone().parse() else {
            return false;
        };
        stored.id.to_string() == self.id()
            && stored.date == draft.date
            && stored.minutes == draft.minutes
            && stored.note.as_deref() == draft.note.as_ref().map(Note::as_str)
            && (ProjectCode::parse(&draft.project).is_ok_and(|code| code == stored.project)
                || stored.project_name == draft.project)
    }
}

/// An approval or rejection waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedDecision {
    /// The manager's subject: only their session sends it.
    pub owner: String,
    /// The entry as the manager saw it; its `version` is what the decision is on.
    pub entry: Entry,
    pub approve: bool,
    /// A rejection's reason.
    pub note: Option<String>,
    pub state: SyncState,
}

impl QueuedDecision {
    pub fn new(owner: &str, entry: Entry, approve: bool, note: Option<String>) -> Self {
        QueuedDecision {
            owner: owner.to_owned(),
            entry,
            approve,
            note,
            state: SyncState::Pending,
        }
    }

    pub fn id(&self) -> String {
        self.entry.id.to_string()
    }

    /// "Approved" or "Rejected".
    pub fn outcome(&self) -> &'static str {
        if self.approve {
            "Approved"
        } else {
            "Rejected"
        }
    }
}

/// What to do after one attempt to send a queued save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Settled(SyncState),
    /// Refused as stale: look at the stored entry before calling it a conflict.
    CheckStored,
}

/// No network, the service or the session is not available right now: a save refused
/// so is kept in the outbox and sent later (the entry form queues it; the sync retries).
pub fn is_for_later(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Transport { .. } | AppError::Unavailable | AppError::Unauthorized
    )
}

/// The state an attempt's answer leaves a queued save in.
pub fn after_attempt(result: &Result<Entry, AppError>, now_ms: i64) -> Attempt {
    let state = match result {
        Ok(_) => SyncState::Synced { at_ms: now_ms },
        Err(err) if is_for_later(err) => SyncState::Pending,
        Err(AppError::PreconditionFailed) => return Attempt::CheckStored,
        Err(AppError::InsufficientUserAuthentication { max_age }) => {
            SyncState::SignInAgain { max_age: *max_age }
        }
        Err(AppError::Conflict { message }) => SyncState::Conflict {
            reason: capitalized(message),
            latest_version: None,
        },
        Err(err) => SyncState::Failed {
            reason: capitalized(&err.to_string()),
        },
    };
    Attempt::Settled(state)
}

/// The state of an edit refused as stale, given the stored entry (if still there).
pub fn after_stale(save: &QueuedSave, stored: Option<&Entry>, now_ms: i64) -> SyncState {
    match stored {
        Some(stored) if save.is_applied_in(stored) => SyncState::Synced { at_ms: now_ms },
        Some(stored) => SyncState::Conflict {
            reason: "The entry was changed elsewhere after you edited it here".into(),
            latest_version: Some(stored.version),
        },
        None => SyncState::Conflict {
            reason: "The entry was deleted elsewhere after you edited it here".into(),
            latest_version: None,
        },
    }
}

/// `text` with its first letter in upper case (the server's messages start lower case).
pub(crate) fn capitalized(text: &str) -> String {
    let first = text.chars().next().map_or(0, char::len_utf8);
    crate::browser::uppercase(&text[..first]) + &text[first..]
}

/// How long a synced save stays visible as "Synced".
pub const SHOW_SYNCED_MS: i64 = 10 * 60 * 1000;

/// The outbox's list of saves, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub items: Vec<QueuedSave>,
    /// Managers' approvals and rejections (kept apart: they are sent after the saves).
    #[serde(default)]
    pub decisions: Vec<QueuedDecision>,
}

impl Outbox {
    /// Queues `save`. Saving the same entry again replaces the queued save; an edit of a
    /// queued new entry stays a create, and an edit keeps the version it started from.
    pub fn queue(&mut self, mut save: QueuedSave) {
        match self.items.iter_mut().find(|item| item.id() == save.id()) {
            Some(queued) => {
                if queued.state.is_unsynced() {
                    save.version = queued.version;
                }
                *queued = save;
            }
            None => self.items.push(save),
        }
    }

    pub fn set_state(&mut self, id: &str, state: SyncState) {
        if let Some(item) = self.items.iter_mut().find(|item| item.id() == id) {
            item.state = state;
        }
    }

    /// Sends a refused or conflicting save again; `latest_version` sends an edit over
    /// the stored version (the user keeps theirs).
    pub fn retry(&mut self, id: &str, latest_version: Option<i64>) {
        if let Some(save) = self.items.iter_mut().find(|save| save.id() == id) {
            save.state = SyncState::Pending;
            save.version = latest_version.or(save.version);
        }
    }

    pub fn remove(&mut self, id: &str) {
        self.items.retain(|item| item.id() != id);
    }

    /// Queues a decision; a newer decision on the same entry replaces the one queued.
    pub fn queue_decision(&mut self, decision: QueuedDecision) {
        self.decisions.retain(|queued| queued.id() != decision.id());
        self.decisions.push(decision);
    }

    pub fn set_decision_state(&mut self, id: &str, state: SyncState) {
        if let Some(decision) = self.decisions.iter_mut().find(|item| item.id() == id) {
            decision.state = state;
        }
    }

    /// Sends a refused decision again.
    pub fn retry_decision(&mut self, id: &str) {
        self.set_decision_state(id, SyncState::Pending);
    }

    /// `owner`'s decisions that waited for a fresh sign-in are sent again (they signed in).
    pub fn resume_after_sign_in(&mut self, owner: &str) {
        for decision in self.decisions.iter_mut().filter(|item| item.owner == owner) {
            if matches!(decision.state, SyncState::SignInAgain { .. }) {
                decision.state = SyncState::Pending;
            }
        }
    }

    pub fn remove_decision(&mut self, id: &str) {
        self.decisions.retain(|item| item.id() != id);
    }

    /// `owner`'s decisions.
    pub fn decisions_of<'a>(
        &'a self,
        owner: &'a str,
    ) -> impl Iterator<Item = &'a QueuedDecision> + 'a {
        self.decisions
            .iter()
            .filter(move |item| item.owner == owner)
    }

    /// `owner`'s decisions the automatic sync should send, oldest first.
    pub fn due_decisions<'a>(
        &'a self,
        owner: &'a str,
    ) -> impl Iterator<Item = &'a QueuedDecision> + 'a {
        self.decisions_of(owner).filter(|item| item.state.is_due())
    }

    /// Forgets saves shown as synced for long enough. A save left "syncing" by a closed
    /// app is pending again: its answer never arrived.
    pub fn tidy(&mut self, now_ms: i64) {
        let shown = |state: &SyncState| match state {
            SyncState::Synced { at_ms } => now_ms - at_ms < SHOW_SYNCED_MS,
            _ => true,
        };
        self.items.retain(|item| shown(&item.state));
        self.decisions.retain(|item| shown(&item.state));
        let states = self.items.iter_mut().map(|item| &mut item.state);
        for state in states.chain(self.decisions.iter_mut().map(|item| &mut item.state)) {
            if *state == SyncState::Syncing {
                *state = SyncState::Pending;
            }
        }
    }

    /// `owner`'s saves.
    pub fn of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a QueuedSave> + 'a {
        self.items.iter().filter(move |item| item.owner == owner)
    }

    /// `owner`'s saves the automatic sync should send, oldest first.
    pub fn due<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a QueuedSave> + 'a {
        self.of(owner).filter(|item| item.state.is_due())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryStatus;

    const ID: &str = "7d1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f70";

    fn new_entry(minutes: u32, note: Option<&str>) -> NewEntry {
        NewEntry {
            id: Some(ID.into()),
            project: "ACME".into(),
            date: "2026-11-16".into(),
            minutes: Some(minutes),
            note: note.map(Into::into),
            status: Some("draft".into()),
            ..NewEntry::default()
        }
    }

    fn queued(minutes: u32, version: Option<i64>) -> QueuedSave {
        QueuedSave::new("emma", new_entry(minutes, Some("Design")), version, "Acme").unwrap()
    }

    fn stored(minutes: u32, note: Option<&str>) -> Entry {
        Entry {
            note: note.map(Into::into),
            status: EntryStatus::Draft,
            version: 2,
            ..Entry::for_test("emma", "2026-11-16", "ACME", minutes)
        }
    }

    #[test]
    fn only_valid_saves_with_an_id_are_queued() {
        assert!(QueuedSave::new("emma", new_entry(90, None), None, "Acme").is_some());
        let without_id = NewEntry {
            id: None,
            ..new_entry(90, None)
        };
        assert!(QueuedSave::new("emma", without_id, None, "Acme").is_none());
        assert!(QueuedSave::new("emma", new_entry(0, None), None, "Acme").is_none());
    }

    #[test]
    fn saving_a_queued_entry_again_replaces_it_and_keeps_its_first_version() {
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, Some(3)));
        outbox.queue(queued(90, Some(4)));
        assert_eq!(outbox.items.len(), 1);
        assert_eq!(outbox.items[0].minutes, Minutes::new(90).unwrap());
        assert_eq!(outbox.items[0].version, Some(3));
        // A queued create edited before it was sent is still a create.
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, None));
        outbox.queue(queued(90, Some(1)));
        assert_eq!(outbox.items[0].version, None);
    }

    #[test]
    fn answers_map_to_states() {
        let now = 1_000;
        let settled = |result: Result<Entry, AppError>| match after_attempt(&result, now) {
            Attempt::Settled(state) => state,
            Attempt::CheckStored => panic!("not settled"),
        };
        assert_eq!(
            settled(Ok(stored(60, None))),
            SyncState::Synced { at_ms: now }
        );
        for retry_later in [
            AppError::Transport {
                message: "offline".into(),
            },
            AppError::Unavailable,
            AppError::Unauthorized,
        ] {
            assert_eq!(settled(Err(retry_later)), SyncState::Pending);
        }
        assert_eq!(
            settled(Err(AppError::Conflict {
                message: "an entry with this id exists with other content".into()
            })),
            SyncState::Conflict {
                reason: "An entry with this id exists with other content".into(),
                latest_version: None,
            }
        );
        assert!(matches!(
            settled(Err(AppError::Validation {
                field: "project".into(),
                message: "no such project".into()
            })),
            SyncState::Failed { reason } if reason == "Project: no such project"
        ));
        assert_eq!(
            after_attempt(&Err(AppError::PreconditionFailed), now),
            Attempt::CheckStored
        );
        assert_eq!(
            settled(Err(AppError::InsufficientUserAuthentication {
                max_age: 900
            })),
            SyncState::SignInAgain { max_age: 900 }
        );
    }

    #[test]
    fn a_stale_edit_already_applied_is_synced_else_a_conflict() {
        let save = queued(60, Some(1));
        assert_eq!(
            after_stale(&save, Some(&stored(60, Some("Design"))), 5),
            SyncState::Synced { at_ms: 5 }
        );
        assert!(matches!(
            after_stale(&save, Some(&stored(45, Some("Design"))), 5),
            SyncState::Conflict {
                latest_version: Some(2),
                ..
            }
        ));
        // Stored as the server normalises: trimmed note, the code in capitals.
        let untidy = QueuedSave::new(
            "emma",
            NewEntry {
                project: "acme".into(),
                note: Some("  Design ".into()),
                ..new_entry(60, None)
            },
            Some(1),
            "Acme",
        )
        .unwrap();
        assert_eq!(
            after_stale(&untidy, Some(&stored(60, Some("Design"))), 5),
            SyncState::Synced { at_ms: 5 }
        );
        // A blank note is no note.
        let blank = QueuedSave::new("emma", new_entry(60, Some("   ")), Some(1), "Acme").unwrap();
        assert_eq!(
            after_stale(&blank, Some(&stored(60, None)), 5),
            SyncState::Synced { at_ms: 5 }
        );
        assert!(matches!(
            after_stale(&save, None, 5),
            SyncState::Conflict { reason, latest_version: None } if reason.contains("deleted")
        ));
    }

    #[test]
    fn tidy_forgets_old_synced_saves_and_resends_interrupted_ones() {
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, None));
        outbox.set_state(ID, SyncState::Syncing);
        outbox.tidy(0);
        assert_eq!(outbox.items[0].state, SyncState::Pending);
        outbox.set_state(ID, SyncState::Synced { at_ms: 0 });
        outbox.tidy(SHOW_SYNCED_MS - 1);
        assert_eq!(outbox.items.len(), 1);
        outbox.tidy(SHOW_SYNCED_MS);
        assert!(outbox.items.is_empty());
    }

    #[test]
    fn keeping_mine_sends_the_edit_over_the_stored_version() {
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, Some(1)));
        let conflict = SyncState::Conflict {
            reason: "changed".into(),
            latest_version: Some(4),
        };
        outbox.set_state(ID, conflict);
        outbox.retry(ID, Some(4));
        assert_eq!(outbox.items[0].state, SyncState::Pending);
        assert_eq!(outbox.items[0].version, Some(4));
        // "Try again" keeps the version it had.
        outbox.set_state(
            ID,
            SyncState::Failed {
                reason: "no".into(),
            },
        );
        outbox.retry(ID, None);
        assert_eq!(outbox.items[0].version, Some(4));
        assert_eq!(outbox.due("emma").count(), 1);
    }

    #[test]
    fn only_the_owners_pending_saves_are_due() {
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, None));
        assert_eq!(outbox.due("emma").count(), 1);
        assert_eq!(outbox.due("maria").count(), 0);
        outbox.set_state(
            ID,
            SyncState::Failed {
                reason: "no".into(),
            },
        );
        assert_eq!(outbox.due("emma").count(), 0);
    }

    #[test]
    fn a_decision_replaces_the_one_queued_for_its_entry_and_is_tidied_once_synced() {
        let seen = Entry {
            status: EntryStatus::Submitted,
            ..stored(60, None)
        };
        let mut outbox = Outbox::default();
        outbox.queue_decision(QueuedDecision::new("maria", seen.clone(), true, None));
        outbox.queue_decision(QueuedDecision::new(
            "maria",
            seen,
            false,
            Some("Which project?".into()),
        ));
        assert_eq!(outbox.decisions.len(), 1);
        assert!(!outbox.decisions[0].approve);
        assert_eq!(outbox.decisions_of("maria").count(), 1);
        assert_eq!(outbox.decisions_of("emma").count(), 0);
        outbox.set_decision_state(ID, SyncState::Syncing);
        outbox.tidy(0);
        assert_eq!(outbox.decisions[0].state, SyncState::Pending);
        outbox.set_decision_state(ID, SyncState::Synced { at_ms: 0 });
        outbox.tidy(SHOW_SYNCED_MS);
        assert!(outbox.decisions.is_empty());
        // An outbox kept by an earlier version has no decisions.
        let old: Outbox = serde_json::from_str(r#"{"items":[]}"#).unwrap();
        assert!(old.decisions.is_empty());
    }

    #[test]
    fn the_outbox_survives_a_round_trip_through_storage() {
        let mut outbox = Outbox::default();
        outbox.queue(queued(60, Some(2)));
        outbox.set_state(
            ID,
            SyncState::Conflict {
                reason: "changed".into(),
                latest_version: Some(3),
            },
        );
        let json = serde_json::to_string(&outbox).unwrap();
        assert_eq!(serde_json::from_str::<Outbox>(&json).unwrap(), outbox);
    }
}

//! A manager's decisions made offline: each carries the entry as the manager saw it, so the
//! server applies it only to that version, and a refusal as stale can say what changed.

use super::{QueuedDecision, SyncState};
use crate::{
    browser::{day_label, duration_label},
    domain::EntryStatus,
    entries::Entry,
};

/// The state of a decision refused as stale, given the entry as it is now (`None`: deleted).
pub fn after_stale_decision(decision: &QueuedDecision, now: Option<&Entry>) -> SyncState {
    let Some(now) = now else {
        return conflict("The entry was deleted meanwhile".into());
    };
    // The server answers this manager's own decision sent again (its answer lost) as done:
    // a decision found here was made elsewhere.
    match now.status {
        EntryStatus::Approved | EntryStatus::Rejected => {
            return conflict(format!(
                "Already {} (by another manager, or on another device)",
                now.status
            ))
        }
        EntryStatus::Draft | EntryStatus::Submitted => {}
    }
    let changes = changes(&decision.entry, now);
    // A draft with a manager's note was sent back first (by a rejection, perhaps this
    // manager's, whose answer was lost) and then edited; without one, its owner took it
    // back.
    let how = match (now.status, now.decision_note.is_some()) {
        (EntryStatus::Draft, true) => "Sent back, then changed by its owner",
        (EntryStatus::Draft, false) => "Taken back by its owner",
        _ => "Changed meanwhile",
    };
    let reason = if changes.is_empty() {
        how.to_owned()
    } else {
        format!("{how}: {}", changes.join("; "))
    };
    conflict(reason)
}

fn conflict(reason: String) -> SyncState {
    SyncState::Conflict {
        reason,
        latest_version: None,
    }
}

/// What differs between the entry as seen and as it is now, in the user's words.
pub fn changes(seen: &Entry, now: &Entry) -> Vec<String> {
    let mut changes = Vec::new();
    if seen.date != now.date {
        changes.push(format!(
            "{} → {}",
            day_label(seen.date),
            day_label(now.date)
        ));
    }
    if seen.project != now.project {
        changes.push(format!("{} → {}", seen.project_name, now.project_name));
    }
    if seen.minutes != now.minutes {
        changes.push(format!(
            "{} → {}",
            duration_label(seen.minutes.get()),
            duration_label(now.minutes.get())
        ));
    }
    if seen.note != now.note {
        changes.push(match now.note.as_deref() {
            Some(note) => format!("note “{note}”"),
            None => "note removed".to_owned(),
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WorkDate;

    fn entry(minutes: u32, status: EntryStatus, version: i64) -> Entry {
        Entry {
            note: Some("Design".into()),
            status,
            approved: status == EntryStatus::Approved,
            version,
            ..Entry::for_test("emma", "2026-11-16", "ACME", minutes)
        }
    }

    fn approval() -> QueuedDecision {
        QueuedDecision::new("maria", entry(120, EntryStatus::Submitted, 2), true, None)
    }

    fn reason(state: SyncState) -> String {
        match state {
            SyncState::Conflict { reason, .. } => reason,
            other => panic!("not a conflict: {other:?}"),
        }
    }

    #[test]
    fn a_changed_entry_is_a_conflict_that_says_what_changed() {
        let mut now = entry(180, EntryStatus::Submitted, 4);
        now.note = None;
        assert_eq!(
            reason(after_stale_decision(&approval(), Some(&now))),
            "Changed meanwhile: 2:00 → 3:00; note removed"
        );
        let draft = entry(120, EntryStatus::Draft, 3);
        assert_eq!(
            reason(after_stale_decision(&approval(), Some(&draft))),
            "Taken back by its owner"
        );
        let mut sent_back = entry(120, EntryStatus::Draft, 4);
        sent_back.decision_note = Some("Which project?".into());
        assert_eq!(
            reason(after_stale_decision(&approval(), Some(&sent_back))),
            "Sent back, then changed by its owner"
        );
        let mut moved = entry(120, EntryStatus::Draft, 3);
        moved.date = WorkDate::parse("2026-11-17").unwrap();
        assert!(reason(after_stale_decision(&approval(), Some(&moved)))
            .starts_with("Taken back by its owner: "));
        assert_eq!(
            reason(after_stale_decision(&approval(), None)),
            "The entry was deleted meanwhile"
        );
    }

    #[test]
    fn someone_elses_decision_is_a_conflict() {
        let approved = entry(120, EntryStatus::Approved, 3);
        assert_eq!(
            reason(after_stale_decision(&approval(), Some(&approved))),
            "Already approved (by another manager, or on another device)"
        );
        let mut rejection = approval();
        rejection.approve = false;
        assert_eq!(
            reason(after_stale_decision(&rejection, Some(&approved))),
            "Already approved (by another manager, or on another device)"
        );
    }

    #[test]
    fn decisions_survive_a_round_trip_through_storage() {
        let json = serde_json::to_string(&approval()).unwrap();
        assert_eq!(
            serde_json::from_str::<QueuedDecision>(&json).unwrap(),
            approval()
        );
    }
}

//! How saves waiting in the outbox show: as entry rows with their sync state, and a
//! summary line.

use leptos::prelude::*;

use crate::{
    browser::duration_label,
    entries::Entry,
    outbox::{store::use_outbox, QueuedSave, SyncState},
    session::use_session,
};

#[component]
pub fn SyncBadge(state: SyncState) -> impl IntoView {
    view! {
        <span class=format!("badge sync {}", state.as_str()) data-testid="sync-state">
            {state.label()}
        </span>
    }
}

/// Minutes of the server's entries plus this device's unsent saves (a day's or week's total).
pub fn minutes_of(entries: &[Entry], saves: &[QueuedSave]) -> u32 {
    entries
        .iter()
        .map(|entry| u32::from(entry.minutes))
        .sum::<u32>()
        + saves
            .iter()
            .map(|save| u32::from(save.minutes))
            .sum::<u32>()
}

/// A save the server does not have yet, in its day's list.
#[component]
pub fn QueuedRow(save: QueuedSave) -> impl IntoView {
    let outbox = use_outbox();
    let id = save.id().to_owned();
    let actions = match &save.state {
        SyncState::Failed { .. } | SyncState::Conflict { latest_version: None, .. } => {
            Some(("Try again", None))
        }
        SyncState::Conflict {
            latest_version: Some(version),
            ..
        } => Some(("Keep mine", Some(*version))),
        _ => None,
    }
    .map(|(retry_label, version)| {
        let (retry_id, discard_id) = (id.clone(), id.clone());
        view! {
            <div class="entry-actions">
                <button type="button" class="button small" on:click=move |_| outbox.retry(&retry_id, version)>
                    {retry_label}
                </button>
                <button type="button" class="button small" on:click=move |_| outbox.discard(&discard_id)>
                    "Discard"
                </button>
            </div>
        }
    });
    view! {
        <li class="entry queued" data-testid="entry">
            <div class="entry-main">
                <span class="entry-project">{save.project_name.clone()}</span>
                <span class="entry-duration">{duration_label(save.minutes.get())}</span>
            </div>
            {save.entry.note.clone().map(|note| view! { <p class="entry-note">{note}</p> })}
            <div class="entry-meta">
                <SyncBadge state=save.state.clone()/>
                {save.state.reason().map(|reason| view! { <span class="decision-note" role="alert">{reason.to_owned()}</span> })}
            </div>
            {actions}
        </li>
    }
}

/// "2 entries saved on this phone wait for the network", when any do.
#[component]
pub fn OutboxSummary() -> impl IntoView {
    let outbox = use_outbox();
    let session = use_session();
    move || {
        let saves = session
            .owner()
            .map(|owner| outbox.saves_of(&owner))
            .unwrap_or_default();
        summary(&saves)
            .map(|text| view! { <p class="notice outbox-summary" role="status">{text}</p> })
    }
}

fn summary(saves: &[QueuedSave]) -> Option<String> {
    let count =
        |wanted: fn(&SyncState) -> bool| saves.iter().filter(|save| wanted(&save.state)).count();
    let waiting = count(|state| matches!(state, SyncState::Pending | SyncState::Syncing));
    let stuck =
        count(|state| matches!(state, SyncState::Failed { .. } | SyncState::Conflict { .. }));
    let entries = |count: usize| {
        if count == 1 {
            "1 entry".to_owned()
        } else {
            format!("{count} entries")
        }
    };
    match (waiting, stuck) {
        (0, 0) => None,
        (waiting, 0) => Some(format!(
            "{} saved on this phone {} to be sent.",
            entries(waiting),
            if waiting == 1 { "waits" } else { "wait" }
        )),
        (_, stuck) => Some(format!(
            "{} saved on this phone {} not accepted by the server: each is marked in its day.",
            entries(stuck),
            if stuck == 1 { "was" } else { "were" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::NewEntry;

    fn save(n: u32, state: SyncState) -> QueuedSave {
        let entry = NewEntry {
            id: Some(format!("7d1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f7{n}")),
            project: "ACME".into(),
            date: "2026-11-16".into(),
            minutes: Some(30),
            ..NewEntry::default()
        };
        let mut save = QueuedSave::new("emma", entry, None, "Acme").unwrap();
        save.state = state;
        save
    }

    #[test]
    fn the_summary_counts_what_waits_and_what_was_refused() {
        assert_eq!(summary(&[]), None);
        assert_eq!(summary(&[save(1, SyncState::Synced { at_ms: 1 })]), None);
        assert_eq!(
            summary(&[save(1, SyncState::Pending)]).as_deref(),
            Some("1 entry saved on this phone waits to be sent.")
        );
        assert_eq!(
            summary(&[save(1, SyncState::Pending), save(2, SyncState::Syncing)]).as_deref(),
            Some("2 entries saved on this phone wait to be sent.")
        );
        let refused = SyncState::Failed {
            reason: "no".into(),
        };
        assert_eq!(
            summary(&[save(1, SyncState::Pending), save(2, refused)]).as_deref(),
            Some("1 entry saved on this phone was not accepted by the server: each is marked in its day.")
        );
    }
}

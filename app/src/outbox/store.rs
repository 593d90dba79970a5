//! The outbox on this device: a signal the screens read, mirrored to `localStorage`, and
//! the sync that sends it when the session and the network are there (after sign-in or a
//! relaunch, when the browser comes back online, every half minute while saves wait).

use leptos::prelude::*;

use super::{Outbox, QueuedDecision, QueuedSave};
use crate::{
    domain::IsoWeek,
    entries::{Entry, Project},
};

/// The outbox context: `provide_outbox()` in the root component, `use_outbox()` below.
#[derive(Debug, Clone, Copy)]
pub struct OutboxStore {
    outbox: RwSignal<Outbox>,
    /// Counts saves that reached the server, so screens showing server data reload.
    synced: RwSignal<u32>,
}

pub fn provide_outbox() -> OutboxStore {
    // Empty while server rendering and hydrating (the server cannot know this device's
    // outbox); read from storage once the app runs.
    let store = OutboxStore {
        outbox: RwSignal::new(Outbox::default()),
        synced: RwSignal::new(0),
    };
    provide_context(store);
    store
}

pub fn use_outbox() -> OutboxStore {
    expect_context::<OutboxStore>()
}

impl OutboxStore {
    /// `owner`'s saves (tracked).
    pub fn saves_of(&self, owner: &str) -> Vec<QueuedSave> {
        self.outbox
            .with(|outbox| outbox.of(owner).cloned().collect())
    }

    /// `owner`'s saves dated in `week` (tracked).
    pub fn saves_in(&self, owner: &str, week: IsoWeek) -> Vec<QueuedSave> {
        self.outbox.with(|outbox| {
            outbox
                .of(owner)
                .filter(|save| save.date.week() == week)
                .cloned()
                .collect()
        })
    }

    /// Tracked: changes each time a save reaches the server.
    pub fn synced_count(&self) -> u32 {
        self.synced.get()
    }

    /// Keeps `save` on this device and sends it when it can. `Err` says why it could not
    /// be kept (storage full or unavailable): the caller must not drop the entry then.
    pub fn queue(&self, save: QueuedSave) -> Result<(), String> {
        self.update(|outbox| outbox.queue(save))?;
        self.sync_soon();
        Ok(())
    }

    /// Keeps all of `saves` or none (one write to storage), and sends them when it can.
    pub fn queue_all(&self, saves: Vec<QueuedSave>) -> Result<(), String> {
        self.update(|outbox| {
            for save in saves {
                outbox.queue(save);
            }
        })?;
        self.sync_soon();
        Ok(())
    }

    /// Sends a failed save or a conflicting edit again (an edit as the latest version:
    /// the user chose their change over the other one).
    pub fn retry(&self, id: &str, latest_version: Option<i64>) {
        let _ = self.update(|outbox| outbox.retry(id, latest_version));
        self.sync_soon();
    }

    pub fn discard(&self, id: &str) {
        let _ = self.update(|outbox| outbox.remove(id));
    }

    /// `owner`'s decisions (tracked).
    pub fn decisions_of(&self, owner: &str) -> Vec<QueuedDecision> {
        self.outbox
            .with(|outbox| outbox.decisions_of(owner).cloned().collect())
    }

    /// Keeps a manager's decision on this device and sends it when it can; `Err` as for
    /// [`OutboxStore::queue`].
    pub fn queue_decision(&self, decision: QueuedDecision) -> Result<(), String> {
        self.update(|outbox| outbox.queue_decision(decision))?;
        self.sync_soon();
        Ok(())
    }

    pub fn retry_decision(&self, id: &str) {
        let _ = self.update(|outbox| outbox.retry_decision(id));
        self.sync_soon();
    }

    /// Signs in again (RFC 9470 step-up, at most `max_age` seconds old) to send the
    /// decisions that waited for it: they are sent when the app is back from the provider.
    pub fn sign_in_to_send(&self, owner: &str, session: crate::session::Session, max_age: u64) {
        let _ = self.update(|outbox| outbox.resume_after_sign_in(owner));
        session.step_up(max_age);
    }

    pub fn discard_decision(&self, id: &str) {
        let _ = self.update(|outbox| outbox.remove_decision(id));
    }

    #[cfg(feature = "hydrate")]
    fn set_state(&self, id: &str, state: super::SyncState) {
        let _ = self.update(|outbox| outbox.set_state(id, state));
    }

    #[cfg(feature = "hydrate")]
    fn set_decision_state(&self, id: &str, state: super::SyncState) {
        let _ = self.update(|outbox| outbox.set_decision_state(id, state));
    }

    /// Applies `change` to the stored outbox (another tab may have changed it), stores it
    /// and shows it.
    fn update(&self, change: impl FnOnce(&mut Outbox)) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            let mut outbox = storage::load();
            change(&mut outbox);
            outbox.tidy(storage::now_ms());
            storage::save(&outbox)?;
            self.outbox.set(outbox);
        }
        #[cfg(not(feature = "hydrate"))]
        self.outbox.update(change);
        Ok(())
    }

    fn sync_soon(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(sync::outbox_job(*self, sync::Job::Send));
    }
}

/// Starts the outbox once the app runs in the browser: reads it from storage, follows other
/// tabs' changes and sends it whenever it can.
pub fn start_in_browser(store: OutboxStore, session: crate::session::Session) {
    let _ = (store, session);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| sync::start(store, session));
}

/// Keeps the projects last loaded, so an entry can be logged in an app opened offline.
pub fn remember_projects(projects: &[Project]) {
    let _ = projects;
    #[cfg(feature = "hydrate")]
    storage::save_projects(projects);
}

/// Keeps the approvals queue `owner` last loaded, so decisions can be made offline.
pub fn remember_queue(owner: &str, entries: &[Entry]) {
    let _ = (owner, entries);
    #[cfg(feature = "hydrate")]
    storage::save_queue(owner, entries);
}

/// Forgets the approvals queue kept on this device (colleagues' entries): at sign-out.
pub fn forget_queue() {
    #[cfg(feature = "hydrate")]
    crate::browser::forget(storage::QUEUE_KEY);
}

/// The approvals queue `owner` last loaded on this device, and when (ms since the epoch).
pub fn remembered_queue(owner: &str) -> Option<(i64, Vec<Entry>)> {
    let _ = owner;
    #[cfg(feature = "hydrate")]
    {
        storage::load_queue(owner)
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The projects last loaded on this device (empty if never).
pub fn remembered_projects() -> Vec<Project> {
    #[cfg(feature = "hydrate")]
    {
        storage::load_projects()
    }
    #[cfg(not(feature = "hydrate"))]
    Vec::new()
}

#[cfg(feature = "hydrate")]
mod storage {
    use serde::{Deserialize, Serialize};

    use super::Outbox;
    use crate::{
        browser::{keep, kept},
        entries::{Entry, Project},
    };

    pub use crate::browser::now_ms;

    pub const KEY: &str = "timesheets.outbox";
    const PROJECTS_KEY: &str = "timesheets.projects";
    pub const QUEUE_KEY: &str = "timesheets.approvals";

    /// The approvals queue as last loaded: whose, and when.
    #[derive(Default, Serialize, Deserialize)]
    struct KeptQueue {
        owner: String,
        at_ms: i64,
        entries: Vec<Entry>,
    }

    /// Best effort, like the projects: without it, an approvals screen opened offline
    /// says it has nothing kept.
    pub fn save_queue(owner: &str, entries: &[Entry]) {
        let kept = KeptQueue {
            owner: owner.to_owned(),
            at_ms: now_ms(),
            entries: entries.to_vec(),
        };
        let _ = keep(QUEUE_KEY, &kept);
    }

    pub fn load_queue(owner: &str) -> Option<(i64, Vec<Entry>)> {
        let queue: KeptQueue = kept(QUEUE_KEY);
        (queue.owner == owner).then_some((queue.at_ms, queue.entries))
    }

    pub fn load() -> Outbox {
        kept(KEY)
    }

    pub fn save(outbox: &Outbox) -> Result<(), String> {
        keep(KEY, outbox).map_err(|err| {
            format!("This phone could not keep the entry ({err}); it is not saved yet.")
        })
    }

    pub fn load_projects() -> Vec<Project> {
        kept(PROJECTS_KEY)
    }

    /// Best effort: without it, only the form of an app opened offline has no projects.
    pub fn save_projects(projects: &[Project]) {
        let _ = keep(PROJECTS_KEY, projects);
    }
}

#[cfg(feature = "hydrate")]
mod sync {
    use std::{cell::Cell, time::Duration};

    use leptos::{lazy, prelude::*};
    use wasm_bindgen::{prelude::*, JsCast};

    use super::{storage, OutboxStore};
    use crate::browser::is_online;
    use crate::{
        api::{decide_entry, get_entry, get_entry_to_decide, save_entry},
        api_client::authorized,
        error::AppError,
        outbox::{
            after_attempt, after_stale, decisions::after_stale_decision, Attempt, QueuedDecision,
            QueuedSave, SyncState,
        },
        session::{signed_in_subject, Session},
    };

    /// While saves wait, the sync is tried this often (the `online` event is not reliable
    /// on every phone, and a server that was down comes back without one).
    const EVERY: Duration = Duration::from_secs(30);

    thread_local! {
        static RUNNING: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs on every page, so it reads nothing itself: the outbox is loaded (a chunk of its
    /// own, with the JSON decoding) when this device keeps one, and sent once signed in.
    pub fn start(store: OutboxStore, session: Session) {
        if crate::browser::is_kept(storage::KEY) {
            leptos::task::spawn_local(outbox_job(store, Job::Load));
        }
        let on_online = Closure::<dyn Fn()>::new(move || send_if_signed_in(store, session));
        let _ =
            window().add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget();
        // Another tab queued or sent something.
        let on_storage =
            Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
                if event.key().as_deref() == Some(storage::KEY) {
                    leptos::task::spawn_local(outbox_job(store, Job::Reload));
                }
            });
        let _ = window()
            .add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        on_storage.forget();
        let _ = set_interval_with_handle(move || send_if_signed_in(store, session), EVERY);
        // Signed in (now, or later): send what waits.
        Effect::new(move |_| {
            if session.is_signed_in() {
                leptos::task::spawn_local(outbox_job(store, Job::Send));
            }
        });
    }

    fn send_if_signed_in(store: OutboxStore, session: Session) {
        if session.is_signed_in_untracked() {
            leptos::task::spawn_local(outbox_job(store, Job::Send));
        }
    }

    pub enum Job {
        /// Read the outbox this device keeps, tidied (sent saves shown long enough go).
        Load,
        /// Read it again: another tab changed it.
        Reload,
        /// Send what waits.
        Send,
    }

    /// The one entry into the outbox's chunk (the JSON of storage, the server functions):
    /// one split point, not one per job (see `session::driver::tokens`).
    #[lazy]
    pub async fn outbox_job(store: OutboxStore, job: Job) {
        match job {
            Job::Load => load(store),
            Job::Reload => store.outbox.set(storage::load()),
            Job::Send => run(store).await,
        }
    }

    fn load(store: OutboxStore) {
        let mut outbox = storage::load();
        outbox.tidy(storage::now_ms());
        let _ = storage::save(&outbox);
        store.outbox.set(outbox);
    }

    /// Sends the signed-in person's pending saves one by one, oldest first, then their
    /// decisions; stops at the first that cannot be sent now (no network, no session), to
    /// try again later.
    async fn run(store: OutboxStore) {
        if RUNNING.replace(true) {
            return;
        }
        let mut any_synced = false;
        while is_online() {
            let Some(owner) = signed_in_subject() else {
                break;
            };
            let outbox = storage::load();
            let state = if let Some(save) = outbox.due(&owner).next().cloned() {
                let id = save.id().to_owned();
                store.set_state(&id, SyncState::Syncing);
                let state = send(save).await;
                store.set_state(&id, state.clone());
                state
            } else if let Some(decision) = outbox.due_decisions(&owner).next().cloned() {
                let id = decision.id();
                store.set_decision_state(&id, SyncState::Syncing);
                let state = send_decision(decision).await;
                store.set_decision_state(&id, state.clone());
                // A conflict changes the queue too: the entry is shown as it is now.
                any_synced |= matches!(state, SyncState::Conflict { .. });
                state
            } else {
                break;
            };
            any_synced |= matches!(state, SyncState::Synced { .. });
            if state == SyncState::Pending {
                break;
            }
        }
        // Screens showing server data reload once for the whole run, not once per save.
        if any_synced {
            store.synced.update(|count| *count += 1);
        }
        RUNNING.set(false);
    }

    async fn send(save: QueuedSave) -> SyncState {
        let result = authorized(|| save_entry(save.entry.clone(), save.version)).await;
        let now = storage::now_ms();
        match after_attempt(&result, now) {
            Attempt::Settled(state) => state,
            // Looked up by id: the other change may have moved it to another week.
            Attempt::CheckStored => match authorized(|| get_entry(save.id().to_owned())).await {
                Ok(stored) => after_stale(&save, Some(&stored), now),
                Err(AppError::NotFound) => after_stale(&save, None, now),
                Err(_) => SyncState::Pending,
            },
        }
    }

    /// Sends a decision on the version the manager saw; a refusal as stale becomes a
    /// conflict saying what changed (the server answers a decision it already applied as
    /// done, so a retry after a lost answer is synced, once).
    async fn send_decision(decision: QueuedDecision) -> SyncState {
        let (id, approve, note) = (decision.id(), decision.approve, decision.note.clone());
        let seen = Some(decision.entry.version);
        let result = authorized(|| decide_entry(id.clone(), approve, note.clone(), seen)).await;
        match after_attempt(&result, storage::now_ms()) {
            Attempt::Settled(state) => state,
            Attempt::CheckStored => match authorized(|| get_entry_to_decide(id.clone())).await {
                Ok(now) => after_stale_decision(&decision, Some(&now)),
                Err(AppError::NotFound) => after_stale_decision(&decision, None),
                Err(_) => SyncState::Pending,
            },
        }
    }
}

//! The timer on this device: a signal the screens read, mirrored to `localStorage` (so a
//! running timer survives closing the app, reloads and going offline), a clock that ticks
//! while it runs (header, title), and the agreement with the server's timer when signed in
//! and online: after sign-in, back online, back in front, and every minute.

use leptos::prelude::*;

use super::{KeptTimer, LocalTimer, RunningTimer};
use crate::{
    domain::{EntryId, ProjectCode},
    outbox::{store::OutboxStore, QueuedSave},
};

/// The timer context: `provide_timer()` in the root component, `use_timer()` below.
#[derive(Debug, Clone, Copy)]
pub struct TimerStore {
    kept: RwSignal<KeptTimer>,
    /// The phone's clock (Unix ms), moved on every second while a timer runs.
    now: RwSignal<i64>,
}

pub fn provide_timer() -> TimerStore {
    // Nothing while server rendering and hydrating; read from storage once the app runs.
    let store = TimerStore {
        kept: RwSignal::new(KeptTimer::default()),
        now: RwSignal::new(0),
    };
    provide_context(store);
    store
}

pub fn use_timer() -> TimerStore {
    expect_context::<TimerStore>()
}

impl TimerStore {
    /// `owner`'s running timer (tracked).
    pub fn running(&self, owner: &str) -> Option<LocalTimer> {
        self.kept.with(|kept| {
            kept.current
                .as_ref()
                .filter(|local| local.owner == owner)
                .cloned()
        })
    }

    /// How long `timer` has run, by the ticking clock (tracked).
    pub fn elapsed_ms(&self, timer: &RunningTimer) -> i64 {
        (self.now.get() - timer.started_at).max(0)
    }

    /// Starts a timer for `owner` on a project, now. `Err` says why the phone could not
    /// keep it.
    pub fn start(
        &self,
        owner: &str,
        project: ProjectCode,
        project_name: String,
        note: Option<String>,
    ) -> Result<(), String> {
        let id = crate::browser::random_uuid()
            .and_then(|id| EntryId::parse(&id).ok())
            .ok_or("This browser cannot make ids; the timer did not start.")?;
        let now = crate::browser::now_ms();
        let local = LocalTimer {
            owner: owner.to_owned(),
            timer: RunningTimer {
                id,
                project,
                project_name,
                note,
                started_at: now,
            },
            on_server: false,
            problem: None,
        };
        self.now.set(now);
        self.update(|kept| kept.current = Some(local))?;
        self.agree_soon();
        Ok(())
    }

    /// Stops the timer into `saves` (the entries it makes, the first with the timer's id),
    /// queued in the outbox, which sends them; the server ends the timer when the first
    /// arrives. All or nothing: if the phone cannot keep them, the timer runs on.
    pub fn stop(&self, outbox: OutboxStore, saves: Vec<QueuedSave>) -> Result<(), String> {
        outbox.queue_all(saves)?;
        self.update(|kept| kept.end())?;
        self.agree_soon();
        Ok(())
    }

    /// Ends the timer without logging it.
    pub fn discard(&self) {
        let _ = self.update(|kept| kept.end());
        self.agree_soon();
    }

    /// Applies `change` to the stored timer (another tab may have changed it), stores it
    /// and shows it.
    fn update(&self, change: impl FnOnce(&mut KeptTimer)) -> Result<(), String> {
        #[cfg(feature = "hydrate")]
        {
            let mut kept = storage::load();
            change(&mut kept);
            storage::save(&kept)?;
            // Unchanged, nothing redraws: a screen reader is not told it again.
            if self.kept.with_untracked(|shown| *shown != kept) {
                self.kept.set(kept);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        self.kept.update(change);
        Ok(())
    }

    fn agree_soon(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(sync::timer_job(*self, sync::Job::Agree));
    }
}

const ROUNDING_KEY: &str = "timesheets.rounding";

/// What a stopped timer's time is rounded to on this phone, in minutes (one of
/// [`super::ROUNDINGS`]; 1 when never set).
pub fn rounding() -> u32 {
    let kept: u32 = crate::browser::kept(ROUNDING_KEY);
    if super::ROUNDINGS.contains(&kept) {
        kept
    } else {
        1
    }
}

/// Sets [`rounding`]; `Err` when the phone cannot keep it.
pub fn set_rounding(minutes: u32) -> Result<(), String> {
    if !super::ROUNDINGS.contains(&minutes) {
        return Err(format!(
            "{minutes} minutes is not one of the roundings offered"
        ));
    }
    crate::browser::keep(ROUNDING_KEY, &minutes)
}

/// Starts the timer once the app runs in the browser: reads it from storage, ticks while
/// one runs, shows it in the title, follows other tabs and agrees with the server.
pub fn start_in_browser(store: TimerStore, session: crate::session::Session) {
    let _ = (store, session);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| sync::start(store, session));
}

#[cfg(feature = "hydrate")]
mod storage {
    use super::KeptTimer;
    use crate::browser::{keep, kept};

    pub const KEY: &str = "timesheets.timer";

    pub fn load() -> KeptTimer {
        kept(KEY)
    }

    pub fn save(timer: &KeptTimer) -> Result<(), String> {
        keep(KEY, timer).map_err(|err| format!("This phone could not keep the timer ({err})."))
    }
}

#[cfg(feature = "hydrate")]
mod sync {
    use std::{cell::Cell, time::Duration};

    use leptos::{lazy, prelude::*};
    use wasm_bindgen::{prelude::*, JsCast};

    use super::{storage, TimerStore};
    use crate::{
        api::{discard_timer, get_timer, start_running_timer},
        api_client::authorized,
        browser::{is_online, moment_label, now_ms, set_title},
        error::AppError,
        outbox::{capitalized, is_for_later},
        session::{signed_in_subject, Session},
        timer::{elapsed_label, LocalTimer, Reconcile, StartTimer},
    };

    /// How often the server's timer is looked at while the app is open (a timer started
    /// or stopped on another device shows within this).
    const EVERY: Duration = Duration::from_secs(60);

    thread_local! {
        static AGREEING: Cell<bool> = const { Cell::new(false) };
        /// Asked for while a round ran: one more round after it (a stop or a start made
        /// meanwhile is told at once, not a minute later).
        static AGAIN: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs on every page, so it reads nothing itself: the timer is loaded (in the
    /// timer's chunk, with the JSON decoding) when this device keeps one.
    pub fn start(store: TimerStore, session: Session) {
        if crate::browser::is_kept(storage::KEY) {
            leptos::task::spawn_local(timer_job(store, Job::Load));
        }
        let agree = move || {
            if session.is_signed_in_untracked() {
                leptos::task::spawn_local(timer_job(store, Job::Agree));
            }
        };
        let targets: [(web_sys::EventTarget, &str); 2] = [
            (window().into(), "online"),
            // Back in front: a timer started or stopped on another device shows.
            (document().into(), "visibilitychange"),
        ];
        for (target, event) in targets {
            let on_event = Closure::<dyn Fn()>::new(agree);
            let _ =
                target.add_event_listener_with_callback(event, on_event.as_ref().unchecked_ref());
            on_event.forget();
        }
        let on_storage =
            Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
                if event.key().as_deref() == Some(storage::KEY) {
                    leptos::task::spawn_local(timer_job(store, Job::Load));
                }
            });
        let _ = window()
            .add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        on_storage.forget();
        let _ = set_interval_with_handle(agree, EVERY);
        // The clock ticks every second, but only moves the signal while a timer runs.
        let _ = set_interval_with_handle(
            move || {
                if store.kept.with_untracked(|kept| kept.current.is_some()) {
                    store.now.set(now_ms());
                }
            },
            Duration::from_secs(1),
        );
        // The running time in the title: the installed app's window and task switcher.
        Effect::new(move |_| {
            let owner = session.owner();
            let running = owner.and_then(|owner| store.running(&owner));
            match running {
                Some(local) => set_title(&format!(
                    "{} {} · Timesheets",
                    elapsed_label(store.elapsed_ms(&local.timer)),
                    local.timer.project
                )),
                None => set_title("Timesheets"),
            }
        });
        Effect::new(move |_| {
            if session.is_signed_in() {
                leptos::task::spawn_local(timer_job(store, Job::Agree));
            }
        });
    }

    pub enum Job {
        /// Read the timer this device keeps (at start, or another tab changed it).
        Load,
        /// Tell the server what changed here and take what it says.
        Agree,
    }

    /// The one entry into the timer's chunk (the server functions, the JSON).
    #[lazy]
    pub async fn timer_job(store: TimerStore, job: Job) {
        match job {
            Job::Load => {
                store.now.set(now_ms());
                store.kept.set(storage::load());
            }
            Job::Agree => agree(store).await,
        }
    }

    /// Tells the server what this phone ended or started, then takes what it says.
    async fn agree(store: TimerStore) {
        if AGREEING.replace(true) {
            AGAIN.set(true);
            return;
        }
        loop {
            AGAIN.set(false);
            agree_once(store).await;
            if !AGAIN.get() {
                break;
            }
        }
        AGREEING.set(false);
    }

    async fn agree_once(store: TimerStore) {
        if !is_online() {
            return;
        }
        let Some(owner) = signed_in_subject() else {
            return;
        };
        for id in storage::load().to_end {
            match authorized(|| discard_timer(id.clone())).await {
                Err(err) if is_for_later(&err) => return,
                // Done, or refused for good (nothing to retry): either way not again.
                _ => {
                    let _ = store.update(|kept| kept.to_end.retain(|queued| *queued != id));
                }
            }
        }
        let Ok(server) = authorized(get_timer).await else {
            return;
        };
        let decision = storage::load().reconcile(&owner, server.as_ref());
        match decision {
            Reconcile::Keep => {}
            Reconcile::Adopt(timer) => {
                store.now.set(now_ms());
                let _ = store.update(|kept| {
                    kept.current = Some(LocalTimer {
                        owner: owner.clone(),
                        timer,
                        on_server: true,
                        problem: None,
                    });
                });
            }
            Reconcile::Clear => {
                let _ = store.update(|kept| kept.current = None);
            }
            Reconcile::Clash(other) => {
                let problem = format!(
                    "A timer for {} runs on another device since {}: stop or discard this one.",
                    other.project_name,
                    moment_label(other.started_at)
                );
                let _ = store.update(|kept| {
                    if let Some(local) = &mut kept.current {
                        local.problem = Some(problem);
                    }
                });
            }
            Reconcile::Send => send(store, &owner).await,
        }
        let _ = store.update(|kept| kept.forget_ended(server.as_ref()));
    }

    /// Tells the server about the timer started here (offline, or a moment ago).
    async fn send(store: TimerStore, owner: &str) {
        let Some(local) = store.running(owner) else {
            return;
        };
        let start = StartTimer {
            id: local.timer.id.to_string(),
            project: local.timer.project.to_string(),
            note: local.timer.note.clone(),
            started_at: local.timer.started_at,
        };
        let answer = authorized(|| start_running_timer(start.clone())).await;
        let (on_server, problem) = match answer {
            Ok(_) => (true, None),
            Err(err) if is_for_later(&err) => return,
            Err(AppError::Conflict { message }) => (false, Some(capitalized(&message))),
            Err(err) => (false, Some(err.to_string())),
        };
        // Only the same timer: it may have been stopped while the answer was on its way.
        let _ = store.update(|kept| {
            if let Some(current) = &mut kept.current {
                if current.timer.id == local.timer.id {
                    current.on_server = on_server;
                    current.problem = problem;
                }
            }
        });
    }
}

//! The running timer as the screens show it: the card on the week screen (and on the
//! offline start screen) that starts and stops it, and the header's running time.

use leptos::prelude::*;

use crate::{
    browser::{day_label, duration_label, local_day_and_second, moment_label, now_ms, time_label},
    components::confirm::Confirmed,
    components::toast::use_toasts,
    domain::{ProjectCode, WorkDate},
    entries::{NewEntry, Project},
    outbox::{store::use_outbox, QueuedSave},
    session::use_session,
    timer::{
        elapsed_label, ran_over_midnight, stop_entries,
        store::{rounding, use_timer},
        LocalMoment, LocalTimer, OverMidnight,
    },
};

/// The running time in the header, on every screen; a tap opens the week. The link is
/// drawn once per timer; only its time moves (focus stays, its name does not change).
#[component]
pub fn TimerBadge() -> impl IntoView {
    let timer = use_timer();
    let session = use_session();
    let running = Memo::new(move |_| {
        session
            .owner()
            .and_then(|owner| timer.running(&owner))
            .map(|local| local.timer)
    });
    move || {
        let running = running.get()?;
        let label = format!("Timer running: {}", running.project_name);
        let code = running.project.to_string();
        let elapsed = move || elapsed_label(timer.elapsed_ms(&running));
        Some(view! {
            <a href="/" class="timer-badge" aria-label=label data-testid="timer-badge">
                <span class="timer-dot" aria-hidden="true"></span>
                {code} " " {elapsed}
            </a>
        })
    }
}

/// Start a timer on a project, or the one running: its time, Stop and Discard; over
/// midnight, what to log.
#[component]
pub fn TimerCard(
    projects: Vec<Project>,
    /// Closes the idle card (Cancel, or once started: the running one stays); none where
    /// the card is always shown.
    #[prop(optional)]
    on_close: Option<Callback<()>>,
) -> impl IntoView {
    let timer = use_timer();
    let session = use_session();
    let running = move || session.owner().and_then(|owner| timer.running(&owner));
    let projects = StoredValue::new(
        projects
            .into_iter()
            .filter(|project| project.active)
            .collect::<Vec<_>>(),
    );
    let chosen = RwSignal::new(
        projects
            .with_value(|projects| projects.first().map(|project| project.code.clone()))
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<String>);
    let start = move |_| {
        let Some(owner) = session.owner() else {
            return;
        };
        let code = chosen.get_untracked();
        let Some(project) = projects.with_value(|projects| {
            projects
                .iter()
                .find(|project| project.code == code)
                .cloned()
        }) else {
            error.set(Some("Choose a project first.".into()));
            return;
        };
        let Ok(code) = ProjectCode::parse(&project.code) else {
            error.set(Some("This project's code is not valid.".into()));
            return;
        };
        match timer.start(&owner, code, project.name, None) {
            Ok(()) => {
                error.set(None);
                if let Some(close) = on_close {
                    close.run(());
                }
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let idle = move || {
        let options = projects.get_value();
        if options.is_empty() {
            return view! { <p class="muted">"No projects to time yet."</p> }.into_any();
        }
        let label = move || format!("Start {}", chosen.get());
        view! {
            <div class="timer-start">
                <label class="field">
                    <span>"Time a project"</span>
                    <select name="timer-project" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                        {options.into_iter().map(|option| {
                            let code = option.code.clone();
                            view! { <option value=code.clone() selected=move || chosen.get() == code>{format!("{} · {}", option.name, option.code)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" class="button primary" data-testid="timer-start" on:click=start>{label}</button>
                {on_close.map(|close| view! {
                    <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                })}
            </div>
        }
        .into_any()
    };
    view! {
        <section id="timer" class="card timer-card" aria-label="Timer" data-testid="timer">
            {move || match running() {
                Some(local) => view! { <Running local/> }.into_any(),
                None => idle(),
            }}
            {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
        </section>
    }
}

#[component]
fn Running(local: LocalTimer) -> impl IntoView {
    let timer = use_timer();
    let outbox = use_outbox();
    let toasts = use_toasts();
    let error = RwSignal::new(None::<String>);
    let running = local.timer.clone();
    let started = local_day_and_second(running.started_at);
    // Whether the timer started on an earlier day than now, by the phone's calendar.
    let over_midnight = move || {
        started.zip(local_day_and_second(now_ms())).is_some_and(
            |((day, second), (now_day, now_second))| {
                ran_over_midnight(
                    LocalMoment { day, second },
                    LocalMoment {
                        day: now_day,
                        second: now_second,
                    },
                )
            },
        )
    };
    // Asked when the screen shows a timer from an earlier day, or when Stop is tapped
    // after midnight passed with the screen open.
    let asking = RwSignal::new(over_midnight());
    let stop = {
        let running = running.clone();
        let owner = local.owner.clone();
        move |over: OverMidnight| {
            let now = now_ms();
            let (Some((day, second)), Some((end_day, end_second))) =
                (started, local_day_and_second(now))
            else {
                error.set(Some("This phone's clock cannot be read.".into()));
                return;
            };
            let elapsed =
                u32::try_from((now - running.started_at).max(0) / 1000).unwrap_or(u32::MAX);
            let entries = stop_entries(
                LocalMoment { day, second },
                LocalMoment {
                    day: end_day,
                    second: end_second,
                },
                elapsed,
                rounding(),
                over,
            );
            let Some(saves) = saves_for(&owner, &running, &entries) else {
                error.set(Some(
                    "This browser cannot make ids; the timer runs on.".into(),
                ));
                return;
            };
            match timer.stop(outbox, saves) {
                Ok(()) => {
                    let total: u32 = entries.iter().map(|(_, minutes)| minutes).sum();
                    toasts.show(
                        format!(
                            "Logged {} on {}",
                            duration_label(total),
                            running.project_name
                        ),
                        None,
                    );
                }
                Err(message) => error.set(Some(message)),
            }
        }
    };
    let stop = StoredValue::new(stop);
    let tap_stop = move |_| {
        if over_midnight() {
            asking.set(true);
        } else {
            stop.with_value(|stop| stop(OverMidnight::UntilMidnight));
        }
    };
    let since_time = time_label(running.started_at);
    let since_moment = moment_label(running.started_at);
    let elapsed = {
        let running = running.clone();
        move || elapsed_label(timer.elapsed_ms(&running))
    };
    let first_day = started.map(|(day, _)| day_label(day)).unwrap_or_default();
    let question = {
        let since = since_moment.clone();
        move || {
            let first_day = first_day.clone();
            view! {
                <p class="notice" role="status" data-testid="timer-over-midnight">
                    {format!("This timer has run since {since}. What should it log?")}
                </p>
                <div class="form-actions">
                    <button type="button" class="button primary" on:click=move |_| stop.with_value(|stop| stop(OverMidnight::UntilMidnight))>
                        {format!("{first_day} until midnight")}
                    </button>
                    <button type="button" class="button" on:click=move |_| stop.with_value(|stop| stop(OverMidnight::SplitByDay))>
                        "Every day until now"
                    </button>
                    <DiscardTimer/>
                </div>
            }
        }
    };
    let actions = move || {
        if asking.get() {
            question().into_any()
        } else {
            view! {
                <div class="form-actions">
                    <button type="button" class="button primary" data-testid="timer-stop" on:click=tap_stop>
                        "Stop"
                    </button>
                    <DiscardTimer/>
                </div>
            }
            .into_any()
        }
    };
    let since = if asking.get_untracked() {
        since_moment
    } else {
        since_time
    };
    view! {
        <div class="timer-running">
            <p class="timer-project">{format!("{} · {}", running.project_name, running.project)}</p>
            <p class="timer-elapsed" role="timer" data-testid="timer-elapsed">{elapsed}</p>
            <p class="muted">{format!("Since {since} · rounded to {} min", rounding())}</p>
            {(!local.on_server).then(|| view! {
                <p class="muted" data-testid="timer-not-sent">"On this phone only, until it is back online."</p>
            })}
            {local.problem.clone().map(|problem| view! { <p class="field-error" role="status">{problem}</p> })}
        </div>
        {actions}
        {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
    }
}

/// Discard, asked once more: the time is not logged anywhere.
#[component]
fn DiscardTimer() -> impl IntoView {
    let timer = use_timer();
    view! {
        <Confirmed
            label="Discard"
            class="button danger"
            question="Discard this timer? Its time is not logged."
            confirm="Discard timer"
            confirm_class="button danger-solid"
            cancel="Keep it"
            on_confirm=Callback::new(move |()| timer.discard())
        />
    }
}

/// The saves a stop makes: the first carries the timer's id (its arrival ends the timer
/// on the server), any others (days after midnight) new ids. `None` without ids.
fn saves_for(
    owner: &str,
    running: &crate::timer::RunningTimer,
    entries: &[(WorkDate, u32)],
) -> Option<Vec<QueuedSave>> {
    entries
        .iter()
        .enumerate()
        .map(|(index, (day, minutes))| {
            let id = if index == 0 {
                running.id.to_string()
            } else {
                crate::browser::random_uuid()?
            };
            let entry = NewEntry {
                id: Some(id),
                project: running.project.to_string(),
                date: day.to_string(),
                minutes: Some(*minutes),
                note: running.note.clone(),
                status: Some("draft".into()),
                ..NewEntry::default()
            };
            QueuedSave::new(owner, entry, None, &running.project_name)
        })
        .collect()
}

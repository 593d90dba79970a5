//! The week screen: the signed-in person's entries Monday to Sunday with day and week
//! totals, on one phone screen; add (on any day), edit and delete entries; submit the week
//! for approval; swipe to the next or previous week.

use leptos::prelude::*;

use crate::{
    api::{delete_entry, get_projects, get_week, submit_week},
    api_client::authorized,
    auth::Scope,
    browser::{buzz, day_label, duration_label, today, week_label},
    components::{
        confirm::Confirmed,
        entry_form::{Editing, EntryForm},
        queued::{minutes_of, OutboxSummary, QueuedRow, SyncBadge},
        skeleton::Skeleton,
        timer::TimerCard,
        toast::use_toasts,
    },
    domain::{EntryStatus, IsoWeek, WorkDate},
    entries::Entry,
    error::AppError,
    outbox::{
        store::{remember_projects, use_outbox},
        QueuedSave, SyncState,
    },
    session::use_session,
    timer::store::use_timer,
};

fn status_label(status: EntryStatus) -> &'static str {
    match status {
        EntryStatus::Draft => "Draft",
        EntryStatus::Submitted => "Submitted",
        EntryStatus::Approved => "Approved",
        EntryStatus::Rejected => "Rejected",
    }
}

/// How far a finger moves sideways, in CSS pixels, before the week changes.
const SWIPE: i32 = 60;

#[component]
pub fn WeekView() -> impl IntoView {
    let session = use_session();
    let outbox = use_outbox();
    // This week from the first frame: the screen only ever renders in the browser (it is
    // loaded on demand), and a title that changed by itself a moment later made a tap on
    // "Next week" look lost (seen in Playwright: an entry landed a week early).
    let week = RwSignal::new(today().map(WorkDate::week));
    // The week's writes: the list is a resource keyed on them, so each one finished
    // (accepted or not) shows the server's copy again.
    let submit = Action::new_unsync(|week: &IsoWeek| {
        let week = *week;
        async move { authorized(|| submit_week(week.to_string())).await }
    });
    let delete = Action::new_unsync(|id: &String| {
        let id = id.clone();
        async move { authorized(|| delete_entry(id.clone())).await }
    });
    let entries = LocalResource::new(move || {
        let shown = week.get();
        submit.version().track();
        delete.version().track();
        // A save from the outbox reached the server: show the server's copy.
        outbox.synced_count();
        async move {
            match shown {
                Some(shown) => authorized(|| get_week(shown.to_string())).await,
                None => Ok(Vec::new()),
            }
        }
    });
    let projects = LocalResource::new(|| async {
        let loaded = authorized(get_projects).await;
        if let Ok(projects) = &loaded {
            remember_projects(projects);
        }
        loaded
    });
    let editing = RwSignal::new(None::<Editing>);
    let message = RwSignal::new(None::<String>);
    let toasts = use_toasts();
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(sent)) => {
            message.set(None);
            let noun = if sent.len() == 1 { "entry" } else { "entries" };
            toasts.show(
                format!("Week submitted: {} {noun} sent for approval", sent.len()),
                None,
            );
            buzz();
        }
        Some(Err(err)) => message.set(Some(format!("Not submitted: {err}"))),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => {
            message.set(None);
            toasts.show("Entry deleted", None);
        }
        Some(Err(err)) => message.set(Some(format!("Not deleted: {err}"))),
        None => {}
    });
    let done = Callback::new(move |saved: bool| {
        editing.set(None);
        if saved {
            entries.refetch();
        }
    });

    let go = move |weeks: i64| {
        editing.set(None);
        message.set(None);
        week.update(|shown| *shown = shown.map(|shown| shown.plus_weeks(weeks)));
    };
    // A sideways swipe on the week turns it; vertical movement stays the page's scroll
    // (`touch-action: pan-y` in the style).
    let swipe_from = StoredValue::new(None::<(i32, i32)>);
    let swipe_start = move |ev: leptos::ev::PointerEvent| {
        let touch = ev.pointer_type() == "touch";
        swipe_from.set_value(touch.then(|| (ev.client_x(), ev.client_y())));
    };
    let swipe_end = move |ev: leptos::ev::PointerEvent| {
        if let Some((x, y)) = swipe_from.get_value() {
            swipe_from.set_value(None);
            let (dx, dy) = (ev.client_x() - x, ev.client_y() - y);
            if dx.abs() >= SWIPE && dx.abs() > 2 * dy.abs() {
                go(if dx < 0 { 1 } else { -1 });
            }
        }
    };
    let add_on = move |day: WorkDate| editing.set(Some(Editing::New(day)));
    let timer = use_timer();
    let timing = RwSignal::new(false);
    let timer_running = move || {
        session
            .owner()
            .is_some_and(|owner| timer.running(&owner).is_some())
    };
    let can_create = move || session.has(Scope::CreateTimesheets);

    view! {
        {move || {
            let form_for = editing.get()?;
            let projects = projects.get().and_then(Result::ok).unwrap_or_default();
            let on_delete = match &form_for {
                Editing::Existing(entry)
                    if entry.status.is_deletable() && session.has(Scope::DeleteTimesheets) =>
                {
                    let id = entry.id.to_string();
                    Some(Callback::new(move |()| {
                        editing.set(None);
                        delete.dispatch(id.clone());
                    }))
                }
                _ => None,
            };
            Some(view! { <EntryForm editing=form_for projects on_done=done on_delete/> })
        }}
        {move || {
            // A running timer shows above the week; an idle one only when asked for (the
            // week stays one phone screen). Hidden while the entry form is open.
            let projects = projects.get().and_then(Result::ok)?;
            let shown = timer_running() || timing.get();
            (can_create() && shown && editing.with(Option::is_none)).then(|| {
                let on_close = Callback::new(move |()| timing.set(false));
                view! { <TimerCard projects on_close/> }
            })
        }}
        <section
            class="card week"
            aria-labelledby="week-title"
            hidden=move || editing.with(Option::is_some)
            on:pointerdown=swipe_start
            on:pointerup=swipe_end
            on:pointercancel=move |_| swipe_from.set_value(None)
        >
            <div class="week-nav">
                <button type="button" class="button icon" aria-label="Previous week" on:click=move |_| go(-1)>"‹"</button>
                <div class="week-heading">
                    <h1 id="week-title" data-testid="week-title">{move || week.get().map(week_label).unwrap_or_else(|| "This week".into())}</h1>
                    <span class="week-number">{move || week.get().map(|shown| format!("Week {}", shown.number()))}</span>
                </div>
                <button type="button" class="button icon" aria-label="Next week" on:click=move |_| go(1)>"›"</button>
            </div>
            {move || message.get().map(|text| view! { <p class="notice" role="alert">{text}</p> })}
            <OutboxSummary/>
            {move || {
                let (Some(loaded), Some(shown)) = (entries.get(), week.get()) else {
                    return view! { <Skeleton label="Loading your week"/> }.into_any();
                };
                // This device's saves of the week: unsent ones stand in for the server's
                // copy; sent ones mark theirs as synced.
                let saves = session
                    .owner()
                    .map(|owner| outbox.saves_in(&owner, shown))
                    .unwrap_or_default();
                let (unsent, sent): (Vec<QueuedSave>, Vec<QueuedSave>) =
                    saves.into_iter().partition(|save| save.state.is_unsynced());
                let list = match loaded {
                    Ok(list) => list,
                    Err(err) => return view! {
                        <p class="notice" role="alert">{format!("Could not load your week: {err}")}</p>
                        <button type="button" class="button" on:click=move |_| entries.refetch()>"Retry"</button>
                        <ul class="entries">
                            {unsent.into_iter().map(|save| view! { <QueuedRow save/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                };
                let list: Vec<Entry> = list
                    .into_iter()
                    .filter(|entry| !unsent.iter().any(|save| save.id() == entry.id.to_string()))
                    .collect();
                let total = minutes_of(&list, &unsent);
                // What Submit week sends: drafts (a rejected entry is edited first).
                let drafts = list.iter().filter(|entry| entry.status == EntryStatus::Draft).count();
                let synced: Vec<String> = sent.iter().map(|save| save.id().to_owned()).collect();
                let days = shown
                    .days()
                    .map(|day| {
                        let items: Vec<Entry> = list.iter().filter(|entry| entry.date == day).cloned().collect();
                        let queued: Vec<QueuedSave> = unsent.iter().filter(|save| save.date == day).cloned().collect();
                        let synced = synced.clone();
                        let add = can_create().then(|| Callback::new(add_on));
                        view! { <Day day items queued synced editing add/> }
                    })
                    .collect_view();
                view! {
                    <p class="week-total" data-testid="week-total">"Week total " <strong>{duration_label(total)}</strong></p>
                    {days}
                    // Sticky: the two things done most stay under the thumb however long the week.
                    <div class="week-actions">
                        {can_create().then(|| view! {
                            <button
                                type="button"
                                class="button primary add"
                                on:click=move |_| {
                                    let day = today().filter(|today| today.week() == shown).unwrap_or(shown.monday());
                                    add_on(day);
                                }
                            >
                                "Add entry"
                            </button>
                        })}
                        {(can_create() && !timer_running()).then(|| view! {
                            // A stopwatch: the bar keeps Add and Submit wide enough for one line.
                            <button
                                type="button"
                                class="button timer-open"
                                aria-label="Timer"
                                title="Timer"
                                aria-controls="timer"
                                aria-expanded=move || timing.get().to_string()
                                on:click=move |_| timing.update(|open| *open = !*open)
                            >
                                <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                                    <circle cx="12" cy="13" r="8" fill="none" stroke="currentColor" stroke-width="2"></circle>
                                    <path d="M12 13V9M9 2h6M12 2v3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path>
                                </svg>
                            </button>
                        })}
                        {(drafts > 0 && can_create()).then(|| view! { <SubmitWeek week=shown count=drafts submit/> })}
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

/// One day: a single line when nothing is logged; its entries otherwise.
#[component]
fn Day(
    day: WorkDate,
    items: Vec<Entry>,
    queued: Vec<QueuedSave>,
    /// Ids of entries this device just sent from its outbox.
    synced: Vec<String>,
    editing: RwSignal<Option<Editing>>,
    /// Opens the form for a new entry on a day, when the person may log time.
    add: Option<Callback<WorkDate>>,
) -> impl IntoView {
    let total = minutes_of(&items, &queued);
    let label = day_label(day);
    let empty = items.is_empty() && queued.is_empty();
    let day_class = if empty { "day empty-day" } else { "day" };
    let add_button = add.map(|add| {
        let aria_label = format!("New entry on {label}");
        view! {
            <button type="button" class="button icon day-add" aria-label=aria_label on:click=move |_| add.run(day)>"+"</button>
        }
    });
    let heading = label.clone();
    view! {
        <section class=day_class aria-label=label data-testid=format!("day-{day}")>
            <div class="day-head">
                <h2>{heading}</h2>
                <span class="day-total">{(!empty).then(|| duration_label(total))}</span>
                {add_button}
            </div>
            {(!empty).then(|| view! {
                <ul class="entries">
                    {items
                        .into_iter()
                        .map(|entry| {
                            let synced = synced.contains(&entry.id.to_string());
                            view! { <EntryRow entry synced editing/> }
                        })
                        .collect_view()}
                    {queued.into_iter().map(|save| view! { <QueuedRow save/> }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// One entry on one line (its note below, when it has one); a tap opens it for editing
/// while it may still change.
#[component]
fn EntryRow(
    entry: Entry,
    /// Just sent from this device's outbox.
    synced: bool,
    editing: RwSignal<Option<Editing>>,
) -> impl IntoView {
    let session = use_session();
    let status = entry.status;
    let can_edit = status.is_editable() && session.has(Scope::CreateTimesheets);
    let decision_note = (status == EntryStatus::Rejected)
        .then(|| entry.decision_note.clone())
        .flatten();
    let content = view! {
        <span class="entry-main">
            <span class="entry-project">{entry.project_name.clone()}</span>
            <span class="entry-duration">{duration_label(entry.minutes.get())}</span>
        </span>
        <span class="entry-meta">
            <span class=format!("badge {}", status.as_str())>{status_label(status)}</span>
            {synced.then(|| view! { <SyncBadge state=SyncState::Synced { at_ms: 0 }/> })}
            {entry.note.clone().map(|note| view! { <span class="entry-note">{note}</span> })}
        </span>
        {decision_note.map(|note| view! { <span class="decision-note">{format!("Manager: {note}")}</span> })}
    };
    let row = if can_edit {
        let for_edit = entry.clone();
        view! {
            <button
                type="button"
                class="entry-open"
                on:click=move |_| editing.set(Some(Editing::Existing(Box::new(for_edit.clone()))))
            >
                {content}
            </button>
        }
        .into_any()
    } else {
        view! { <div class="entry-open">{content}</div> }.into_any()
    };
    view! { <li class="entry" data-testid="entry">{row}</li> }
}

#[component]
fn SubmitWeek(
    week: IsoWeek,
    count: usize,
    submit: Action<IsoWeek, Result<Vec<Entry>, AppError>>,
) -> impl IntoView {
    let noun = if count == 1 { "entry" } else { "entries" };
    view! {
        <Confirmed
            label="Submit week"
            class="button submit"
            question=format!("Send {count} {noun} to your manager for approval? They cannot be changed while they wait.")
            confirm=format!("Submit {count} {noun}")
            confirm_class="button primary"
            cancel="Cancel"
            busy=submit.pending()
            on_confirm=Callback::new(move |()| {
                submit.dispatch(week);
            })
        />
    }
}

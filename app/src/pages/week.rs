//! The week screen: the signed-in person's entries Monday to Sunday with day and week
//! totals; add, edit and delete entries; submit the week for approval.

use leptos::prelude::*;

use crate::{
    api::{delete_entry, get_projects, get_week, submit_week},
    api_client::authorized,
    auth::Scope,
    browser::{day_label, today},
    components::{
        entry_form::{Editing, EntryForm},
        queued::{minutes_of, OutboxSummary, QueuedRow, SyncBadge},
        skeleton::Skeleton,
    },
    domain::{clock, EntryStatus, IsoWeek, WorkDate},
    entries::Entry,
    error::AppError,
    outbox::{
        store::{remember_projects, use_outbox},
        QueuedSave, SyncState,
    },
    session::use_session,
};

fn status_label(status: EntryStatus) -> &'static str {
    match status {
        EntryStatus::Draft => "Draft",
        EntryStatus::Submitted => "Submitted",
        EntryStatus::Approved => "Approved",
        EntryStatus::Rejected => "Rejected",
    }
}

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
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(_)) => message.set(None),
        Some(Err(err)) => message.set(Some(format!("Not submitted: {err}"))),
        None => {}
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(())) => message.set(None),
        Some(Err(err)) => message.set(Some(format!("Not deleted: {err}"))),
        None => {}
    });
    let done = Callback::new(move |saved: bool| {
        editing.set(None);
        if saved {
            entries.refetch();
        }
    });

    let title = move || {
        week.get().map(|shown| {
            let (monday, sunday) = (shown.monday(), shown.sunday());
            format!("{} – {}", day_label(monday), day_label(sunday))
        })
    };
    let go = move |weeks: i64| {
        editing.set(None);
        message.set(None);
        week.update(|shown| *shown = shown.map(|shown| shown.plus_weeks(weeks)));
    };

    view! {
        <section class="card week" aria-labelledby="week-title">
            <div class="week-nav">
                <button type="button" class="button icon" aria-label="Previous week" on:click=move |_| go(-1)>"‹"</button>
                <h1 id="week-title" data-testid="week-title">{move || title().unwrap_or_else(|| "This week".into())}</h1>
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
                let open = list.iter().filter(|entry| entry.status.is_editable()).count();
                let synced: Vec<String> = sent.iter().map(|save| save.id().to_owned()).collect();
                view! {
                    <p class="week-total" data-testid="week-total">"Week total " <strong>{clock(total)}</strong></p>
                    {shown
                        .days()
                        .map(|day| {
                            let items: Vec<Entry> = list.iter().filter(|entry| entry.date == day).cloned().collect();
                            let queued: Vec<QueuedSave> = unsent.iter().filter(|save| save.date == day).cloned().collect();
                            let synced = synced.clone();
                            view! { <Day day items queued synced editing delete/> }
                        })
                        .collect_view()}
                    {(open > 0 && session.has(Scope::CreateTimesheets)).then(|| view! {
                        <SubmitWeek week=shown count=open submit/>
                    })}
                }
                .into_any()
            }}
        </section>
        {move || {
            let form_for = editing.get()?;
            let projects = projects.get().and_then(Result::ok).unwrap_or_default();
            Some(view! { <EntryForm editing=form_for projects on_done=done/> })
        }}
        {move || (session.has(Scope::CreateTimesheets) && editing.get().is_none()).then(|| view! {
            <button
                type="button"
                class="button primary fab"
                on:click=move |_| {
                    let shown = week.get_untracked();
                    let day = today()
                        .filter(|today| Some(today.week()) == shown)
                        .or_else(|| shown.map(IsoWeek::monday));
                    if let Some(day) = day {
                        editing.set(Some(Editing::New(day)));
                    }
                }
            >
                "Add entry"
            </button>
        })}
    }
}

#[component]
fn Day(
    day: WorkDate,
    items: Vec<Entry>,
    queued: Vec<QueuedSave>,
    /// Ids of entries this device just sent from its outbox.
    synced: Vec<String>,
    editing: RwSignal<Option<Editing>>,
    delete: Action<String, Result<(), AppError>>,
) -> impl IntoView {
    let total = minutes_of(&items, &queued);
    let label = day_label(day);
    let aria_label = label.clone();
    view! {
        <section class="day" aria-label=aria_label data-testid=format!("day-{day}")>
            <h2 class="day-head">
                <span>{label}</span>
                <span class="day-total">{clock(total)}</span>
            </h2>
            {if items.is_empty() && queued.is_empty() {
                view! { <p class="muted empty">"Nothing logged"</p> }.into_any()
            } else {
                view! {
                    <ul class="entries">
                        {items
                            .into_iter()
                            .map(|entry| {
                                let synced = synced.contains(&entry.id.to_string());
                                view! { <EntryRow entry synced editing delete/> }
                            })
                            .collect_view()}
                        {queued.into_iter().map(|save| view! { <QueuedRow save/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn EntryRow(
    entry: Entry,
    /// Just sent from this device's outbox.
    synced: bool,
    editing: RwSignal<Option<Editing>>,
    delete: Action<String, Result<(), AppError>>,
) -> impl IntoView {
    let session = use_session();
    let confirming = RwSignal::new(false);
    let gone = RwSignal::new(false);
    let status = entry.status;
    let can_edit = entry.status.is_editable() && session.has(Scope::CreateTimesheets);
    let can_delete = entry.status.is_deletable() && session.has(Scope::DeleteTimesheets);
    let id = entry.id.to_string();
    let for_edit = entry.clone();
    // Optimistic: the row goes at once; the week read again afterwards brings it back,
    // with the reason above, if the server refused.
    let remove = move |_| {
        gone.set(true);
        delete.dispatch(id.clone());
    };
    view! {
        <li class="entry" class:hidden=move || gone.get() data-testid="entry">
            <div class="entry-main">
                <span class="entry-project">{entry.project_name.clone()}</span>
                <span class="entry-duration">{entry.minutes.clock()}</span>
            </div>
            {entry.note.clone().map(|note| view! { <p class="entry-note">{note}</p> })}
            <div class="entry-meta">
                <span class=format!("badge {}", status.as_str())>{status_label(status)}</span>
                {synced.then(|| view! { <SyncBadge state=SyncState::Synced { at_ms: 0 }/> })}
                {(status == EntryStatus::Rejected)
                    .then(|| entry.decision_note.clone())
                    .flatten()
                    .map(|note| view! { <span class="decision-note">{format!("Manager: {note}")}</span> })}
            </div>
            <div class="entry-actions">
                {can_edit.then(|| {
                    let for_edit = for_edit.clone();
                    view! {
                        <button type="button" class="button small" on:click=move |_| editing.set(Some(Editing::Existing(Box::new(for_edit.clone()))))>
                            "Edit"
                        </button>
                    }
                })}
                {can_delete.then(|| view! {
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button type="button" class="button small" on:click=move |_| confirming.set(true)>"Delete"</button>
                        }
                    >
                        <button type="button" class="button small danger-solid" on:click=remove.clone()>"Delete for good"</button>
                        <button type="button" class="button small" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </Show>
                })}
            </div>
        </li>
    }
}

#[component]
fn SubmitWeek(
    week: IsoWeek,
    count: usize,
    submit: Action<IsoWeek, Result<Vec<Entry>, AppError>>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = submit.pending();
    let send = move |_| {
        submit.dispatch(week);
    };
    let noun = if count == 1 { "entry" } else { "entries" };
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! {
                <button type="button" class="button primary" on:click=move |_| confirming.set(true)>"Submit week"</button>
            }
        >
            <div class="confirm" role="group" aria-label="Submit week">
                <p>{format!("Send {count} {noun} to your manager for approval? They cannot be changed while they wait.")}</p>
                <button type="button" class="button primary" disabled=move || busy.get() on:click=send>
                    {format!("Submit {count} {noun}")}
                </button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

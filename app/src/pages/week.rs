//! The week screen: the signed-in person's entries Monday to Sunday with day and week
//! totals; add, edit and delete entries; submit the week for approval.

use leptos::prelude::*;

use super::{
    home::Skeleton,
    outbox::{minutes_of, OutboxSummary, QueuedRow, SyncBadge},
    today,
};
use crate::{
    api::{delete_entry, get_projects, get_week, save_entry, submit_week},
    api_client::authorized,
    auth::Scope,
    domain::{clock, EntryStatus, IsoWeek, Minutes, WorkDate},
    entries::{Entry, NewEntry, Project},
    error::AppError,
    outbox::{
        is_for_later,
        store::{is_online, remember_projects, use_outbox},
        QueuedSave, SyncState,
    },
    session::use_session,
};

/// "Mon, 16 Nov" in the user's locale.
fn day_label(day: WorkDate) -> String {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::js_sys::{Date, Object, Reflect};
        let date = day.date();
        let js = Date::new_with_year_month_day(
            date.year() as u32,
            i32::from(u8::from(date.month())) - 1,
            i32::from(date.day()),
        );
        let options = Object::new();
        for (key, value) in [("weekday", "short"), ("day", "numeric"), ("month", "short")] {
            let _ = Reflect::set(&options, &key.into(), &value.into());
        }
        let locale = window()
            .navigator()
            .language()
            .unwrap_or_else(|| "en".into());
        js.to_locale_date_string(&locale, &options).into()
    }
    #[cfg(not(feature = "hydrate"))]
    day.to_string()
}

fn status_label(status: EntryStatus) -> &'static str {
    match status {
        EntryStatus::Draft => "Draft",
        EntryStatus::Submitted => "Submitted",
        EntryStatus::Approved => "Approved",
        EntryStatus::Rejected => "Rejected",
    }
}

/// Entries their owner may still change: not sent for approval, or sent back.
fn editable(entry: &Entry) -> bool {
    matches!(entry.status, EntryStatus::Draft | EntryStatus::Rejected)
}

/// What the entry form is open for.
#[derive(Clone, PartialEq)]
pub(crate) enum Editing {
    New(WorkDate),
    Existing(Box<Entry>),
}

#[component]
pub fn WeekView() -> impl IntoView {
    let session = use_session();
    let outbox = use_outbox();
    let week = RwSignal::new(None::<IsoWeek>);
    Effect::new(move |_| {
        if week.get_untracked().is_none() {
            week.set(today().map(WorkDate::week));
        }
    });
    let reload = RwSignal::new(0u32);
    let entries = LocalResource::new(move || {
        let shown = week.get();
        reload.track();
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
    let done = Callback::new(move |saved: bool| {
        editing.set(None);
        if saved {
            reload.update(|count| *count += 1);
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
                        <button type="button" class="button" on:click=move |_| reload.update(|count| *count += 1)>"Retry"</button>
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
                let open = list.iter().filter(|entry| editable(entry)).count();
                let synced: Vec<String> = sent.iter().map(|save| save.id().to_owned()).collect();
                view! {
                    <p class="week-total" data-testid="week-total">"Week total " <strong>{clock(total)}</strong></p>
                    {shown
                        .days()
                        .map(|day| {
                            let items: Vec<Entry> = list.iter().filter(|entry| entry.date == day).cloned().collect();
                            let queued: Vec<QueuedSave> = unsent.iter().filter(|save| save.date == day).cloned().collect();
                            let synced = synced.clone();
                            view! { <Day day items queued synced editing/> }
                        })
                        .collect_view()}
                    {(open > 0 && session.has(Scope::CreateTimesheets)).then(|| view! {
                        <SubmitWeek week=shown count=open message reload/>
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
                                view! { <EntryRow entry synced editing/> }
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
) -> impl IntoView {
    let session = use_session();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let gone = RwSignal::new(false);
    let status = entry.status;
    let can_edit = editable(&entry) && session.has(Scope::CreateTimesheets);
    let can_delete = editable(&entry) && session.has(Scope::DeleteTimesheets);
    let id = entry.id.to_string();
    let for_edit = entry.clone();
    let delete = move |_| {
        let id = id.clone();
        // Optimistic: the row goes at once and comes back if the server refuses.
        gone.set(true);
        leptos::task::spawn_local(async move {
            if let Err(err) = authorized(|| delete_entry(id.clone())).await {
                gone.set(false);
                confirming.set(false);
                error.set(Some(format!("Not deleted: {err}")));
            }
        });
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
            {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
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
                        <button type="button" class="button small danger-solid" on:click=delete.clone()>"Delete for good"</button>
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
    message: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match authorized(|| submit_week(week.to_string())).await {
                Ok(_) => message.set(None),
                Err(err) => message.set(Some(format!("Not submitted: {err}"))),
            }
            busy.set(false);
            confirming.set(false);
            reload.update(|count| *count += 1);
        });
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
                <button type="button" class="button primary" disabled=move || busy.get() on:click=submit>
                    {format!("Submit {count} {noun}")}
                </button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </div>
        </Show>
    }
}

/// A new id for an entry, made on the device so a retried save never duplicates it.
fn new_entry_id() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        window().crypto().ok().map(|crypto| crypto.random_uuid())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

#[component]
pub(crate) fn EntryForm(
    editing: Editing,
    projects: Vec<Project>,
    on_done: Callback<bool>,
) -> impl IntoView {
    let (existing, date) = match &editing {
        Editing::New(date) => (None, *date),
        Editing::Existing(entry) => (Some((**entry).clone()), entry.date),
    };
    let project = RwSignal::new(
        existing
            .as_ref()
            .map(|entry| entry.project.to_string())
            .or_else(|| projects.first().map(|project| project.code.clone()))
            .unwrap_or_default(),
    );
    let day = RwSignal::new(date.to_string());
    let duration = RwSignal::new(
        existing
            .as_ref()
            .map(|entry| entry.minutes.clock())
            .unwrap_or_default(),
    );
    let note = RwSignal::new(
        existing
            .as_ref()
            .and_then(|entry| entry.note.clone())
            .unwrap_or_default(),
    );
    let outbox = use_outbox();
    let owner = use_session().owner();
    let project_name = {
        let projects = projects.clone();
        move |code: &str| {
            projects
                .iter()
                .find(|project| project.code == code)
                .map_or_else(|| code.to_owned(), |project| project.name.clone())
        }
    };
    let field_error = RwSignal::new(None::<(String, String)>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = existing
        .as_ref()
        .map(|entry| entry.id.to_string())
        .or_else(new_entry_id);
    let version = existing.as_ref().map(|entry| entry.version);
    let heading = if existing.is_some() {
        "Edit entry"
    } else {
        "New entry"
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form_error.set(None);
        // The same rules as the server (shared domain types), before anything is sent.
        let minutes = match Minutes::parse_duration(&duration.get()) {
            Ok(minutes) => minutes,
            Err(err) => {
                field_error.set(Some(("duration".into(), err.message)));
                return;
            }
        };
        let entry = NewEntry {
            id: id.clone(),
            project: project.get(),
            date: day.get(),
            hours: None,
            minutes: Some(u32::from(minutes)),
            note: Some(note.get()).filter(|text| !text.trim().is_empty()),
            status: Some("draft".into()),
        };
        if let Err(err) = entry.clone().parse() {
            field_error.set(Some((err.field.to_owned(), err.message)));
            return;
        }
        field_error.set(None);
        busy.set(true);
        let (owner, project_name) = (owner.clone(), project_name(&entry.project));
        leptos::task::spawn_local(async move {
            let result = if is_online() {
                authorized(|| save_entry(entry.clone(), version)).await
            } else {
                Err(AppError::Transport {
                    message: "this phone is offline".into(),
                })
            };
            match result {
                Ok(_) => on_done.run(true),
                // No network, no service or no session right now: the outbox keeps it and
                // sends it later (the id makes a repeat harmless).
                Err(err) if is_for_later(&err) => {
                    let save = owner
                        .as_deref()
                        .and_then(|owner| QueuedSave::new(owner, entry, version, &project_name));
                    match save.map(|save| outbox.queue(save)) {
                        Some(Ok(())) => on_done.run(false),
                        Some(Err(message)) => form_error.set(Some(message)),
                        None => form_error.set(Some(err.to_string())),
                    }
                }
                Err(AppError::Validation { field, message }) => field_error.set(Some((field, message))),
                Err(AppError::PreconditionFailed) => form_error.set(Some(
                    "This entry was changed meanwhile (on another device?). Close the form to see the current version.".into(),
                )),
                Err(err) => form_error.set(Some(err.to_string())),
            }
            busy.set(false);
        });
    };
    let error_for = move |fields: &'static [&'static str]| {
        move || {
            field_error.get().and_then(|(field, message)| {
                fields
                    .contains(&field.as_str())
                    .then(|| view! { <span class="field-error" role="alert">{message}</span> })
            })
        }
    };

    view! {
        <form class="card entry-form" on:submit=submit novalidate=true aria-label=heading>
            <h2>{heading}</h2>
            <label class="field">
                <span>"Project"</span>
                <select name="project" required=true prop:value=move || project.get() on:change=move |ev| project.set(event_target_value(&ev))>
                    {projects
                        .into_iter()
                        .map(|option| {
                            let code = option.code.clone();
                            view! { <option value=code.clone() selected=move || project.get() == code>{format!("{} · {}", option.name, option.code)}</option> }
                        })
                        .collect_view()}
                </select>
                {error_for(&["project"])}
            </label>
            <label class="field">
                <span>"Date"</span>
                <input type="date" name="date" required=true prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev))/>
                {error_for(&["date"])}
            </label>
            <label class="field">
                <span>"Duration"</span>
                <input
                    type="text"
                    name="duration"
                    inputmode="decimal"
                    autocomplete="off"
                    placeholder="1:30, 1.5 or 90m"
                    required=true
                    prop:value=move || duration.get()
                    on:input=move |ev| duration.set(event_target_value(&ev))
                />
                {error_for(&["duration", "minutes", "hours"])}
            </label>
            <label class="field">
                <span>"Note (optional)"</span>
                <textarea name="note" rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                {error_for(&["note"])}
            </label>
            {move || form_error.get().map(|text| view! { <p class="notice" role="alert">{text}</p> })}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="button" on:click=move |_| on_done.run(false)>"Cancel"</button>
            </div>
        </form>
    }
}

//! The entry form: a new entry for a day, or changes to one, saved at once when online
//! and into the outbox when not.

use leptos::prelude::*;

use crate::{
    api::save_entry,
    api_client::authorized,
    browser::{is_online, random_uuid},
    components::{confirm::Confirmed, toast::use_toasts},
    domain::{EntryStatus, Minutes, WorkDate},
    entries::{Entry, NewEntry, Project},
    error::AppError,
    outbox::{is_for_later, store::use_outbox, QueuedSave},
    session::use_session,
};

/// What the entry form is open for.
#[derive(Clone, PartialEq)]
pub enum Editing {
    New(WorkDate),
    Existing(Box<Entry>),
}

#[component]
pub fn EntryForm(
    editing: Editing,
    projects: Vec<Project>,
    /// Closes the form: `true` once the server has the entry.
    on_done: Callback<bool>,
    /// Deletes the entry being edited, when its owner may.
    #[prop(default = None)]
    on_delete: Option<Callback<()>>,
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
    // Saving a submitted entry takes it back from approval: say so before, not after.
    let withdraws = existing
        .as_ref()
        .is_some_and(|entry| entry.status == EntryStatus::Submitted);
    let outbox = use_outbox();
    let toasts = use_toasts();
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
        .or_else(random_uuid);
    let version = existing.as_ref().map(|entry| entry.version);
    let heading = if existing.is_some() {
        "Edit entry"
    } else {
        "New entry"
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form_error.set(None);
        // The date picker gives a valid day or nothing; the domain's message for nothing
        // would show an ISO example.
        if day.get().trim().is_empty() {
            field_error.set(Some(("date".into(), "choose a day".into())));
            return;
        }
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
            status: Some(EntryStatus::Draft.to_string()),
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
                Ok(_) => {
                    toasts.show("Saved", None);
                    on_done.run(true);
                }
                // No network, no service or no session right now: the outbox keeps it and
                // sends it later (the id makes a repeat harmless).
                Err(err) if is_for_later(&err) => {
                    let save = owner
                        .as_deref()
                        .and_then(|owner| QueuedSave::new(owner, entry, version, &project_name));
                    match save.map(|save| outbox.queue(save)) {
                        Some(Ok(())) => {
                            toasts.show("Kept on this phone until you are online", None);
                            on_done.run(false);
                        }
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

    // The form replaces the week on screen: focus moves to its heading (not a field, which
    // would pop up the keyboard), so keyboard and screen-reader users are not left on a
    // hidden row.
    let heading_ref = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading_ref.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <form class="card entry-form" on:submit=submit novalidate=true aria-label=heading>
            <h2 tabindex="-1" node_ref=heading_ref>{heading}</h2>
            {withdraws.then(|| view! {
                <p class="notice" data-testid="withdraws">"This entry awaits approval. Saving a change takes it back: submit the week again afterwards."</p>
            })}
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
            {on_delete.map(|delete| view! {
                <Confirmed
                    label="Delete entry"
                    class="button danger"
                    question="Delete this entry? This cannot be undone."
                    confirm="Delete for good"
                    confirm_class="button danger-solid"
                    cancel="Keep"
                    on_confirm=delete
                />
            })}
        </form>
    }
}

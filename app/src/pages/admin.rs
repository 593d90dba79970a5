//! `/admin`: for tokens with `manage:projects` (projects) or `manage:people` (the embedded
//! provider's people); the server checks again on every call. Writes are Leptos
//! `Action`s, and each list is a resource keyed on their versions, so a change reloads
//! the list it touched.

use leptos::{lazy, prelude::*};

use super::home::{on_demand, SignedInOnly};
use crate::{
    admin::{Invitation, NewPerson, NewProject, Person, PersonStatus, ProjectUpdate, Role},
    api::{
        add_project, get_every_project, get_people, invite_person, reinvite_person,
        set_person_disabled, set_person_role, set_project_active, update_project,
    },
    api_client::authorized,
    auth::Scope,
    browser::copy_text,
    entries::Project,
    error::AppError,
    session::use_session,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <SignedInOnly>
            <h1 class="page-title">"Admin"</h1>
            {on_demand("Loading administration", admin_screen())}
        </SignedInOnly>
    }
}

/// A chunk of its own: see [`on_demand`].
#[lazy]
fn admin_screen() -> AnyView {
    view! { <Admin/> }.into_any()
}

#[component]
fn Admin() -> impl IntoView {
    let session = use_session();
    move || {
        let (projects, people) = (
            session.has(Scope::ManageProjects),
            session.has(Scope::ManagePeople),
        );
        if !projects && !people {
            return view! {
                <section class="card">
                    <p class="notice" role="alert">"Your account may not administer this instance (it lacks manage:projects and manage:people)."</p>
                </section>
            }
            .into_any();
        }
        view! {
            {projects.then(|| view! { <Projects/> })}
            {people.then(|| view! { <People/> })}
        }
        .into_any()
    }
}

/// A refusal as a form shows it: (field, message) for a field, else a message.
fn refusal(error: AppError) -> (Option<String>, String) {
    match error {
        AppError::Validation { field, message } => (Some(field), message),
        AppError::Conflict { message } | AppError::Forbidden { message } => (None, message),
        other => (None, other.to_string()),
    }
}

/// The field's message, when the last refusal was about one of `fields`.
fn error_for(
    error: RwSignal<Option<(Option<String>, String)>>,
    fields: &'static [&'static str],
) -> impl Fn() -> Option<AnyView> {
    move || {
        error.get().and_then(|(field, message)| {
            field
                .filter(|field| fields.contains(&field.as_str()))
                .map(|_| {
                    view! { <span class="field-error" role="alert">{message}</span> }.into_any()
                })
        })
    }
}

/// A refusal that is about no field of the form.
fn form_error(error: RwSignal<Option<(Option<String>, String)>>) -> impl Fn() -> Option<AnyView> {
    move || {
        error.get().and_then(|(field, message)| {
            field
                .is_none()
                .then(|| view! { <p class="notice" role="alert">{message}</p> }.into_any())
        })
    }
}

// ---- projects ----

#[component]
fn Projects() -> impl IntoView {
    let add = Action::new_unsync(|new: &NewProject| {
        let new = new.clone();
        async move { authorized(|| add_project(new.clone())).await }
    });
    let toggle = Action::new_unsync(|(code, active): &(String, bool)| {
        let (code, active) = (code.clone(), *active);
        async move { authorized(|| set_project_active(code.clone(), active)).await }
    });
    let rename = Action::new_unsync(|(code, update): &(String, ProjectUpdate)| {
        let (code, update) = (code.clone(), update.clone());
        async move { authorized(|| update_project(code.clone(), update.clone())).await }
    });
    let projects = LocalResource::new(move || {
        add.version().track();
        toggle.version().track();
        rename.version().track();
        authorized(get_every_project)
    });
    let status = RwSignal::new(None::<String>);
    Effect::new(move |_| match toggle.value().get() {
        Some(Ok(project)) => status.set(Some(format!(
            "{} is {}",
            project.name,
            if project.active {
                "active again"
            } else {
                "archived"
            }
        ))),
        Some(Err(err)) => status.set(Some(format!("Not changed: {err}"))),
        None => {}
    });
    view! {
        <section class="card" aria-labelledby="projects-title" data-testid="admin-projects">
            <h2 id="projects-title">"Projects"</h2>
            <p class="status" role="status" aria-live="polite">{move || status.get()}</p>
            {move || match projects.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading projects…"</p> }.into_any(),
                Some(Err(err)) => view! {
                    <p class="notice" role="alert">{format!("Could not load the projects: {err}")}</p>
                }
                .into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="muted" data-testid="no-projects">"No projects yet: add the first one below."</p>
                }
                .into_any(),
                Some(Ok(list)) => view! {
                    <ul class="entries admin-list">
                        {list.into_iter().map(|project| view! { <ProjectRow project toggle rename/> }).collect_view()}
                    </ul>
                }
                .into_any(),
            }}
            <AddProject add/>
        </section>
    }
}

type Toggle = Action<(String, bool), Result<Project, AppError>>;
type Rename = Action<(String, ProjectUpdate), Result<Project, AppError>>;

#[component]
fn ProjectRow(project: Project, toggle: Toggle, rename: Rename) -> impl IntoView {
    let editing = RwSignal::new(false);
    let name = RwSignal::new(project.name.clone());
    let customer = RwSignal::new(project.customer.clone().unwrap_or_default());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let code = StoredValue::new(project.code.clone());
    let colour = project.colour.clone();
    let active = project.active;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let update = ProjectUpdate {
            name: name.get_untracked(),
            customer: Some(customer.get_untracked()),
            colour: colour.clone(),
        };
        // The server's own rules, before anything is sent.
        if let Err(err) = update.parse() {
            error.set(Some((Some(err.field.to_owned()), err.message)));
            return;
        }
        error.set(None);
        rename.dispatch((code.get_value(), update));
        editing.set(false);
    };
    let label = format!("{} · {}", project.name, project.code);
    let aria_label = label.clone();
    view! {
        <li class="entry" data-testid="admin-project" aria-label=aria_label>
            <div class="entry-main">
                <span class="entry-project">
                    // An SVG fill, not a style attribute: the page's CSP allows no inline styles.
                    <svg class="swatch" viewBox="0 0 14 14" aria-hidden="true">
                        <circle cx="7" cy="7" r="6" fill=project.colour.clone().unwrap_or_else(|| "none".into())/>
                    </svg>
                    {label}
                </span>
                {(!active).then(|| view! { <span class="badge">"Archived"</span> })}
            </div>
            {project.customer.clone().map(|customer| view! { <p class="entry-note">{format!("For {customer}")}</p> })}
            {move || if editing.get() {
                view! {
                    <form class="entry-form" on:submit=save.clone() novalidate=true aria-label="Rename project">
                        <label class="field">
                            <span>"Name"</span>
                            <input type="text" name="name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                            {error_for(error, &["name"])}
                        </label>
                        <label class="field">
                            <span>"Customer (optional)"</span>
                            <input type="text" name="customer" prop:value=move || customer.get() on:input=move |ev| customer.set(event_target_value(&ev))/>
                            {error_for(error, &["customer"])}
                        </label>
                        <div class="entry-actions">
                            <button type="submit" class="button small primary">"Save"</button>
                            <button type="button" class="button small" on:click=move |_| editing.set(false)>"Cancel"</button>
                        </div>
                    </form>
                }
                .into_any()
            } else {
                view! {
                    <div class="entry-actions">
                        <button type="button" class="button small" on:click=move |_| editing.set(true)>"Rename"</button>
                        <button type="button" class="button small" on:click=move |_| { toggle.dispatch((code.get_value(), !active)); }>
                            {if active { "Archive" } else { "Reactivate" }}
                        </button>
                    </div>
                }
                .into_any()
            }}
        </li>
    }
}

#[component]
fn AddProject(add: Action<NewProject, Result<Project, AppError>>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let customer = RwSignal::new(String::new());
    let colour = RwSignal::new("#1d4ed8".to_owned());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let added = RwSignal::new(None::<String>);
    Effect::new(move |_| match add.value().get() {
        Some(Ok(project)) => {
            error.set(None);
            added.set(Some(format!("Added {} · {}", project.name, project.code)));
            code.set(String::new());
            name.set(String::new());
            customer.set(String::new());
        }
        Some(Err(err)) => {
            added.set(None);
            error.set(Some(refusal(err)));
        }
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewProject {
            code: code.get_untracked(),
            name: name.get_untracked(),
            customer: Some(customer.get_untracked()),
            colour: Some(colour.get_untracked()),
        };
        if let Err(err) = new.parse() {
            error.set(Some((Some(err.field.to_owned()), err.message)));
            return;
        }
        error.set(None);
        add.dispatch(new);
    };
    view! {
        <form class="entry-form" on:submit=submit novalidate=true aria-label="Add a project">
            <h3>"Add a project"</h3>
            <div class="field-row">
                <label class="field">
                    <span>"Code"</span>
                    <input type="text" name="code" autocapitalize="characters" autocomplete="off" placeholder="ACME"
                        prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                    {error_for(error, &["project", "code"])}
                </label>
                <label class="field">
                    <span>"Colour"</span>
                    <input type="color" name="colour" prop:value=move || colour.get() on:input=move |ev| colour.set(event_target_value(&ev))/>
                    {error_for(error, &["colour"])}
                </label>
            </div>
            <label class="field">
                <span>"Name"</span>
                <input type="text" name="name" autocomplete="off" placeholder="Acme website"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {error_for(error, &["name"])}
            </label>
            <label class="field">
                <span>"Customer (optional)"</span>
                <input type="text" name="customer" autocomplete="off"
                    prop:value=move || customer.get() on:input=move |ev| customer.set(event_target_value(&ev))/>
                {error_for(error, &["customer"])}
            </label>
            {form_error(error)}
            <p class="status" role="status" aria-live="polite">{move || added.get()}</p>
            <button type="submit" class="button primary" disabled=move || add.pending().get()>
                {move || if add.pending().get() { "Adding…" } else { "Add project" }}
            </button>
        </form>
    }
}

// ---- people ----

#[component]
fn People() -> impl IntoView {
    let invite = Action::new_unsync(|new: &NewPerson| {
        let new = new.clone();
        async move { authorized(|| invite_person(new.clone())).await }
    });
    let reinvite = Action::new_unsync(|id: &String| {
        let id = id.clone();
        async move { authorized(|| reinvite_person(id.clone())).await }
    });
    let disable = Action::new_unsync(|(id, disabled): &(String, bool)| {
        let (id, disabled) = (id.clone(), *disabled);
        async move { authorized(|| set_person_disabled(id.clone(), disabled)).await }
    });
    let role = Action::new_unsync(|(id, role): &(String, Role)| {
        let (id, role) = (id.clone(), role.as_str().to_owned());
        async move { authorized(|| set_person_role(id.clone(), role.clone())).await }
    });
    let people = LocalResource::new(move || {
        invite.version().track();
        disable.version().track();
        role.version().track();
        authorized(get_people)
    });
    let status = RwSignal::new(None::<String>);
    Effect::new(move |_| match disable.value().get() {
        Some(Ok(person)) => status.set(Some(match person.status {
            PersonStatus::Disabled => format!("{} can no longer sign in", person.name),
            _ => format!("{} may sign in again", person.name),
        })),
        Some(Err(err)) => status.set(Some(format!("Not changed: {err}"))),
        None => {}
    });
    Effect::new(move |_| match role.value().get() {
        Some(Ok(person)) => status.set(Some(format!(
            "{} is now {}; they sign in again to use it",
            person.name,
            person.role.label().to_ascii_lowercase()
        ))),
        Some(Err(err)) => status.set(Some(format!("Not changed: {err}"))),
        None => {}
    });
    let me = use_session().owner();
    view! {
        <section class="card" aria-labelledby="people-title" data-testid="admin-people">
            <h2 id="people-title">"People"</h2>
            <p class="status" role="status" aria-live="polite">{move || status.get()}</p>
            {move || match people.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading people…"</p> }.into_any(),
                Some(Err(err)) => view! {
                    <p class="notice" role="alert">{format!("Could not load the people: {err}")}</p>
                }
                .into_any(),
                Some(Ok(list)) => {
                    let me = me.clone();
                    view! {
                        <ul class="entries admin-list">
                            {list.into_iter().map(|person| {
                                let is_me = me.as_deref() == Some(person.id.as_str());
                                view! { <PersonRow person is_me reinvite disable role/> }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
            <InvitationLink invitation=Signal::derive(move || reinvite.value().get())/>
            <InvitePerson invite/>
        </section>
    }
}

#[component]
fn PersonRow(
    person: Person,
    is_me: bool,
    reinvite: Action<String, Result<Invitation, AppError>>,
    disable: Action<(String, bool), Result<Person, AppError>>,
    role: Action<(String, Role), Result<Person, AppError>>,
) -> impl IntoView {
    let id = StoredValue::new(person.id.clone());
    let current = person.role;
    let disabled = person.status == PersonStatus::Disabled;
    let badge = match person.status {
        PersonStatus::Active => None,
        PersonStatus::Invited => Some("Invited"),
        PersonStatus::Disabled => Some("Disabled"),
    };
    let invited = person.status == PersonStatus::Invited;
    view! {
        <li class="entry" data-testid="admin-person" aria-label=person.name.clone()>
            <div class="entry-main">
                <span class="entry-project">{person.name.clone()}</span>
                {badge.map(|text| view! { <span class="badge">{text}</span> })}
            </div>
            <p class="entry-note">{person.email.clone()}</p>
            {if is_me {
                view! { <p class="muted">{format!("{} · you", current.label())}</p> }.into_any()
            } else {
                view! {
                    <div class="entry-actions">
                        <label class="field inline">
                            <span class="visually-hidden">{format!("Role of {}", person.name)}</span>
                            <select name="role" on:change=move |ev| {
                                if let Ok(chosen) = event_target_value(&ev).parse::<Role>() {
                                    if chosen != current {
                                        role.dispatch((id.get_value(), chosen));
                                    }
                                }
                            }>
                                {Role::ALL.into_iter().map(|option| view! {
                                    <option value=option.as_str() selected=option == current>{option.label()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        {invited.then(|| view! {
                            <button type="button" class="button small" on:click=move |_| { reinvite.dispatch(id.get_value()); }>"New link"</button>
                        })}
                        <button type="button" class="button small" on:click=move |_| { disable.dispatch((id.get_value(), !disabled)); }>
                            {if disabled { "Enable" } else { "Disable" }}
                        </button>
                    </div>
                }
                .into_any()
            }}
        </li>
    }
}

/// The one-time link of an invitation, shown once, with a button to copy it.
#[component]
fn InvitationLink(invitation: Signal<Option<Result<Invitation, AppError>>>) -> impl IntoView {
    let copied = RwSignal::new(false);
    move || {
        invitation.get().map(|answer| match answer {
            Err(err) => view! { <p class="notice" role="alert">{format!("No link made: {err}")}</p> }.into_any(),
            Ok(invitation) => {
                let link = invitation.link.clone();
                let copy = move |_| {
                    copy_text(&link);
                    copied.set(true);
                };
                view! {
                    <div class="invitation" data-testid="invitation">
                        <p role="status">{format!(
                            "Send {} this link to choose a password. It works once, for 7 days, and is not shown again.",
                            invitation.person.name
                        )}</p>
                        <label class="field">
                            <span>"Invitation link"</span>
                            <input type="text" readonly=true name="invitation-link" prop:value=invitation.link.clone() data-testid="invitation-link"/>
                        </label>
                        <button type="button" class="button small" on:click=copy>
                            {move || if copied.get() { "Copied" } else { "Copy link" }}
                        </button>
                    </div>
                }
                .into_any()
            }
        })
    }
}

#[component]
fn InvitePerson(invite: Action<NewPerson, Result<Invitation, AppError>>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Employee.as_str().to_owned());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    Effect::new(move |_| match invite.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            email.set(String::new());
            name.set(String::new());
        }
        Some(Err(err)) => error.set(Some(refusal(err))),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewPerson {
            email: email.get_untracked(),
            name: name.get_untracked(),
            role: role.get_untracked(),
        };
        if let Err(err) = new.parse() {
            error.set(Some((Some(err.field.to_owned()), err.message)));
            return;
        }
        error.set(None);
        invite.dispatch(new);
    };
    let answer = Signal::derive(move || invite.value().get().filter(Result::is_ok));
    view! {
        <InvitationLink invitation=answer/>
        <form class="entry-form" on:submit=submit novalidate=true aria-label="Invite a person">
            <h3>"Invite a person"</h3>
            <label class="field">
                <span>"Email"</span>
                <input type="email" name="email" autocomplete="off" inputmode="email" autocapitalize="none"
                    prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                {error_for(error, &["email"])}
            </label>
            <label class="field">
                <span>"Name"</span>
                <input type="text" name="name" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                {error_for(error, &["name"])}
            </label>
            <label class="field">
                <span>"Role"</span>
                <select name="role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                    {Role::ALL.into_iter().map(|option| view! {
                        <option value=option.as_str() selected=move || role.get() == option.as_str()>{option.label()}</option>
                    }).collect_view()}
                </select>
                {error_for(error, &["role"])}
            </label>
            {form_error(error)}
            <button type="submit" class="button primary" disabled=move || invite.pending().get()>
                {move || if invite.pending().get() { "Inviting…" } else { "Invite" }}
            </button>
        </form>
    }
}

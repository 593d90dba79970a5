//! Server functions: thin adapters over [`crate::ports::Services`].

use leptos::prelude::*;

use crate::{
    admin::{Invitation, NewPerson, NewProject, Person, ProjectUpdate},
    auth::User,
    entries::{Entry, NewEntry, Project},
    error::AppError,
    overview::TeamHours,
    push::{NewPushSubscription, PushKey},
    timer::{RunningTimer, StartTimer},
};
#[cfg(feature = "ssr")]
use crate::{
    domain::{EntryId, IsoWeek, Note, Transition, WorkDate},
    overview::Period,
};

/// Who is signed in and which of the API's scopes their token grants.
#[server(prefix = "/api/rpc", endpoint = "me", client = crate::api_client::BearerClient)]
pub async fn get_me() -> Result<User, AppError> {
    crate::error::with_status(crate::ports::current_user().await)
}

// The PWA's calls. Each verifies the access token first (`current_user`), parses its
// input into domain values (a 422 naming the field), then calls one service method.

/// Runs `call` for the signed-in user and gives its failure its HTTP status.
#[cfg(feature = "ssr")]
async fn as_signed_in<T, Fut>(
    call: impl FnOnce(User, crate::ports::SharedServices) -> Fut,
) -> Result<T, AppError>
where
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let result = async {
        let user = crate::ports::current_user().await?;
        call(user, crate::ports::services()?).await
    };
    crate::error::with_status(result.await)
}

/// The signed-in user's entries of an ISO week (`2026-W47`).
#[server(prefix = "/api/rpc", endpoint = "week", client = crate::api_client::BearerClient)]
pub async fn get_week(week: String) -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move {
        services.week_entries(&user, IsoWeek::parse(&week)?).await
    })
    .await
}

/// The projects time can be booked on.
#[server(prefix = "/api/rpc", endpoint = "projects", client = crate::api_client::BearerClient)]
pub async fn get_projects() -> Result<Vec<Project>, AppError> {
    as_signed_in(|user, services| async move { services.projects(&user).await }).await
}

/// Creates an entry (`version: None`; idempotent by `entry.id`) or changes one (`version`
/// as last seen: a stale one is a 412).
#[server(prefix = "/api/rpc", endpoint = "save_entry", client = crate::api_client::BearerClient)]
pub async fn save_entry(entry: NewEntry, version: Option<i64>) -> Result<Entry, AppError> {
    as_signed_in(|user, services| async move {
        services.save_entry(&user, entry.parse()?, version).await
    })
    .await
}

/// One of the signed-in user's entries, wherever it is now (a 404 once deleted).
#[server(prefix = "/api/rpc", endpoint = "entry", client = crate::api_client::BearerClient)]
pub async fn get_entry(id: String) -> Result<Entry, AppError> {
    as_signed_in(|user, services| async move { services.entry(&user, EntryId::parse(&id)?).await })
        .await
}

#[server(prefix = "/api/rpc", endpoint = "delete_entry", client = crate::api_client::BearerClient)]
pub async fn delete_entry(id: String) -> Result<(), AppError> {
    as_signed_in(|user, services| async move {
        services.delete_entry(&user, EntryId::parse(&id)?).await
    })
    .await
}

/// Submits the week's drafts and rejected entries for approval.
#[server(prefix = "/api/rpc", endpoint = "submit_week", client = crate::api_client::BearerClient)]
pub async fn submit_week(week: String) -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move {
        services.submit_week(&user, IsoWeek::parse(&week)?).await
    })
    .await
}

/// Others' entries awaiting the manager's decision.
#[server(prefix = "/api/rpc", endpoint = "awaiting_approval", client = crate::api_client::BearerClient)]
pub async fn get_awaiting_approval() -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move { services.awaiting_approval(&user).await }).await
}

/// Approves (`approve: true`) or rejects an entry; a rejection needs a note. `seen`: the
/// entry's version the manager decided on (a changed entry is `PreconditionFailed`).
#[server(prefix = "/api/rpc", endpoint = "decide", client = crate::api_client::BearerClient)]
pub async fn decide_entry(
    id: String,
    approve: bool,
    note: Option<String>,
    seen: Option<i64>,
) -> Result<Entry, AppError> {
    as_signed_in(|user, services| async move {
        let id = EntryId::parse(&id)?;
        let note = note.as_deref().unwrap_or_default();
        let (transition, note) = if approve {
            (Transition::Approve, Note::parse_field("note", note)?)
        } else {
            (Transition::Reject, Some(Note::rejection_reason(note)?))
        };
        services.decide(&user, id, transition, note, seen).await
    })
    .await
}

/// Anyone's entry as it is now, for a manager (after a decision refused as stale).
#[server(prefix = "/api/rpc", endpoint = "entry_to_decide", client = crate::api_client::BearerClient)]
pub async fn get_entry_to_decide(id: String) -> Result<Entry, AppError> {
    as_signed_in(|user, services| async move {
        services.entry_to_decide(&user, EntryId::parse(&id)?).await
    })
    .await
}

/// Approves every submitted entry of one person's week; `seen` (entry id, version): what
/// the manager looked at (a week that changed since is `PreconditionFailed`).
#[server(prefix = "/api/rpc", endpoint = "approve_week", client = crate::api_client::BearerClient)]
pub async fn approve_week(
    issuer: String,
    subject: String,
    week: String,
    seen: Option<Vec<(String, i64)>>,
) -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move {
        let seen = seen
            .map(|seen| {
                seen.iter()
                    .map(|(id, version)| Ok((EntryId::parse(id)?, *version)))
                    .collect::<Result<Vec<_>, AppError>>()
            })
            .transpose()?;
        services
            .approve_week(&user, &issuer, &subject, IsoWeek::parse(&week)?, seen)
            .await
    })
    .await
}

/// Takes back the signed-in manager's decisions on `ids`, made seconds ago: the entries
/// await a decision again.
#[server(prefix = "/api/rpc", endpoint = "undo_decisions", client = crate::api_client::BearerClient)]
pub async fn undo_decisions(ids: Vec<String>) -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move {
        let ids = ids
            .iter()
            .map(|id| EntryId::parse(id))
            .collect::<Result<Vec<_>, _>>()?;
        services.undo_decisions(&user, &ids).await
    })
    .await
}

/// The signed-in person's running timer, if any (it may have started on another device).
#[server(prefix = "/api/rpc", endpoint = "timer", client = crate::api_client::BearerClient)]
pub async fn get_timer() -> Result<Option<RunningTimer>, AppError> {
    as_signed_in(|user, services| async move { services.running_timer(&user).await }).await
}

/// Starts the signed-in person's timer (the same id again updates it).
#[server(prefix = "/api/rpc", endpoint = "start_timer", client = crate::api_client::BearerClient)]
pub async fn start_running_timer(start: StartTimer) -> Result<RunningTimer, AppError> {
    as_signed_in(|user, services| async move { services.start_timer(&user, start).await }).await
}

/// Ends the signed-in person's timer `id` without logging it.
#[server(prefix = "/api/rpc", endpoint = "discard_timer", client = crate::api_client::BearerClient)]
pub async fn discard_timer(id: String) -> Result<(), AppError> {
    as_signed_in(|user, services| async move {
        services.discard_timer(&user, EntryId::parse(&id)?).await
    })
    .await
}

/// The server's VAPID public key (`applicationServerKey`).
#[server(prefix = "/api/rpc", endpoint = "push_key", client = crate::api_client::BearerClient)]
pub async fn get_push_key() -> Result<PushKey, AppError> {
    as_signed_in(|user, services| async move { services.push_key(&user).await }).await
}

/// Reminds the signed-in person on this device.
#[server(prefix = "/api/rpc", endpoint = "subscribe_push", client = crate::api_client::BearerClient)]
pub async fn subscribe_to_reminders(subscription: NewPushSubscription) -> Result<(), AppError> {
    as_signed_in(|user, services| async move { services.subscribe_push(&user, subscription).await })
        .await
}

/// Stops reminding the signed-in person on the device at `endpoint`.
#[server(prefix = "/api/rpc", endpoint = "unsubscribe_push", client = crate::api_client::BearerClient)]
pub async fn unsubscribe_from_reminders(endpoint: String) -> Result<(), AppError> {
    as_signed_in(|user, services| async move { services.unsubscribe_push(&user, &endpoint).await })
        .await
}

/// Everyone's hours of `period` (`2026-W49` or `2026-12`) for a manager; `today` is the
/// phone's date (days after it are not missing yet).
#[server(prefix = "/api/rpc", endpoint = "team_hours", client = crate::api_client::BearerClient)]
pub async fn get_team_hours(period: String, today: String) -> Result<TeamHours, AppError> {
    as_signed_in(|user, services| async move {
        let period = Period::parse(&period)?;
        let today = WorkDate::parse(&today)?;
        services.team_hours(&user, period, today).await
    })
    .await
}

// Administration: projects with `manage:projects`, the embedded provider's people with
// `manage:people` (the services check the scope).

/// Every project, archived ones too.
#[server(prefix = "/api/rpc", endpoint = "every_project", client = crate::api_client::BearerClient)]
pub async fn get_every_project() -> Result<Vec<Project>, AppError> {
    as_signed_in(|user, services| async move { services.every_project(&user).await }).await
}

#[server(prefix = "/api/rpc", endpoint = "add_project", client = crate::api_client::BearerClient)]
pub async fn add_project(project: NewProject) -> Result<Project, AppError> {
    as_signed_in(|user, services| async move { services.add_project(&user, project).await }).await
}

/// New name, customer and colour of the project `code`.
#[server(prefix = "/api/rpc", endpoint = "update_project", client = crate::api_client::BearerClient)]
pub async fn update_project(code: String, update: ProjectUpdate) -> Result<Project, AppError> {
    as_signed_in(
        |user, services| async move { services.update_project(&user, &code, update).await },
    )
    .await
}

/// Archives (`active: false`) or reactivates the project `code`.
#[server(prefix = "/api/rpc", endpoint = "set_project_active", client = crate::api_client::BearerClient)]
pub async fn set_project_active(code: String, active: bool) -> Result<Project, AppError> {
    as_signed_in(
        |user, services| async move { services.set_project_active(&user, &code, active).await },
    )
    .await
}

#[server(prefix = "/api/rpc", endpoint = "people", client = crate::api_client::BearerClient)]
pub async fn get_people() -> Result<Vec<Person>, AppError> {
    as_signed_in(|user, services| async move { services.people(&user).await }).await
}

/// Adds a person; the answer holds their one-time link to choose a password.
#[server(prefix = "/api/rpc", endpoint = "invite_person", client = crate::api_client::BearerClient)]
pub async fn invite_person(person: NewPerson) -> Result<Invitation, AppError> {
    as_signed_in(|user, services| async move { services.invite_person(&user, person).await }).await
}

/// A new one-time link for someone already added.
#[server(prefix = "/api/rpc", endpoint = "reinvite_person", client = crate::api_client::BearerClient)]
pub async fn reinvite_person(id: String) -> Result<Invitation, AppError> {
    as_signed_in(|user, services| async move { services.reinvite_person(&user, &id).await }).await
}

#[server(prefix = "/api/rpc", endpoint = "set_person_disabled", client = crate::api_client::BearerClient)]
pub async fn set_person_disabled(id: String, disabled: bool) -> Result<Person, AppError> {
    as_signed_in(|user, services| async move {
        services.set_person_disabled(&user, &id, disabled).await
    })
    .await
}

#[server(prefix = "/api/rpc", endpoint = "set_person_role", client = crate::api_client::BearerClient)]
pub async fn set_person_role(id: String, role: String) -> Result<Person, AppError> {
    as_signed_in(|user, services| async move { services.set_person_role(&user, &id, &role).await })
        .await
}

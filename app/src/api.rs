//! Server functions: thin adapters over [`crate::ports::Services`].

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::domain::{EntryId, IsoWeek, Note, Transition};
use crate::{
    auth::User,
    entries::{Entry, NewEntry, Project},
    error::AppError,
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

/// Approves (`approve: true`) or rejects an entry; a rejection needs a note.
#[server(prefix = "/api/rpc", endpoint = "decide", client = crate::api_client::BearerClient)]
pub async fn decide_entry(
    id: String,
    approve: bool,
    note: Option<String>,
) -> Result<Entry, AppError> {
    as_signed_in(|user, services| async move {
        let id = EntryId::parse(&id)?;
        let note = note.as_deref().unwrap_or_default();
        let (transition, note) = if approve {
            (Transition::Approve, Note::parse_field("note", note)?)
        } else {
            (Transition::Reject, Some(Note::rejection_reason(note)?))
        };
        services.decide(&user, id, transition, note).await
    })
    .await
}

/// Approves every submitted entry of one person's week.
#[server(prefix = "/api/rpc", endpoint = "approve_week", client = crate::api_client::BearerClient)]
pub async fn approve_week(
    issuer: String,
    subject: String,
    week: String,
) -> Result<Vec<Entry>, AppError> {
    as_signed_in(|user, services| async move {
        services
            .approve_week(&user, &issuer, &subject, IsoWeek::parse(&week)?)
            .await
    })
    .await
}

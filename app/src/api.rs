//! Server functions: thin adapters over [`crate::ports::Services`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::domain::{EntryId, IsoWeek, Note, Transition};
use crate::{
    auth::User,
    entries::{Entry, NewEntry, Project},
    error::AppError,
};

/// What `get_server_status` answers: enough for a client to know whom it talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    pub name: String,
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Whether the database answered a query just now.
    pub database_ok: bool,
}

/// The server's name, version and database backend.
#[server(prefix = "/api/rpc", endpoint = "server_status")]
pub async fn get_server_status() -> Result<ServerStatus, AppError> {
    let services = crate::ports::services()?;
    crate::error::with_status(services.server_status().await)
}

/// Who is signed in and which of the API's scopes their token grants.
#[server(prefix = "/api/rpc", endpoint = "me", client = crate::api_client::BearerClient)]
pub async fn get_me() -> Result<User, AppError> {
    crate::error::with_status(crate::ports::current_user().await)
}

// The PWA's calls. Each verifies the access token first (`current_user`), parses its
// input into domain values (a 422 naming the field), then calls one service method.

#[cfg(feature = "ssr")]
async fn signed_in() -> Result<(User, crate::ports::SharedServices), AppError> {
    let user = crate::ports::current_user().await?;
    Ok((user, crate::ports::services()?))
}

/// The signed-in user's entries of an ISO week (`2026-W47`).
#[server(prefix = "/api/rpc", endpoint = "week", client = crate::api_client::BearerClient)]
pub async fn get_week(week: String) -> Result<Vec<Entry>, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let week = IsoWeek::parse(&week)?;
            services.week_entries(&user, week).await
        }
        .await,
    )
}

/// The projects time can be booked on.
#[server(prefix = "/api/rpc", endpoint = "projects", client = crate::api_client::BearerClient)]
pub async fn get_projects() -> Result<Vec<Project>, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            services.projects(&user).await
        }
        .await,
    )
}

/// Creates an entry (`version: None`; idempotent by `entry.id`) or changes one (`version`
/// as last seen: a stale one is a 412).
#[server(prefix = "/api/rpc", endpoint = "save_entry", client = crate::api_client::BearerClient)]
pub async fn save_entry(entry: NewEntry, version: Option<i64>) -> Result<Entry, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let draft = entry.parse()?;
            services.save_entry(&user, draft, version).await
        }
        .await,
    )
}

#[server(prefix = "/api/rpc", endpoint = "delete_entry", client = crate::api_client::BearerClient)]
pub async fn delete_entry(id: String) -> Result<(), AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let id = EntryId::parse(&id)?;
            services.delete_entry(&user, id).await
        }
        .await,
    )
}

/// Submits the week's drafts and rejected entries for approval.
#[server(prefix = "/api/rpc", endpoint = "submit_week", client = crate::api_client::BearerClient)]
pub async fn submit_week(week: String) -> Result<Vec<Entry>, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let week = IsoWeek::parse(&week)?;
            services.submit_week(&user, week).await
        }
        .await,
    )
}

/// Others' entries awaiting the manager's decision.
#[server(prefix = "/api/rpc", endpoint = "awaiting_approval", client = crate::api_client::BearerClient)]
pub async fn get_awaiting_approval() -> Result<Vec<Entry>, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            services.awaiting_approval(&user).await
        }
        .await,
    )
}

/// Approves (`approve: true`) or rejects an entry; a rejection needs a note.
#[server(prefix = "/api/rpc", endpoint = "decide", client = crate::api_client::BearerClient)]
pub async fn decide_entry(
    id: String,
    approve: bool,
    note: Option<String>,
) -> Result<Entry, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let id = EntryId::parse(&id)?;
            let note = note.as_deref().unwrap_or_default();
            let (transition, note) = if approve {
                (Transition::Approve, Note::parse_field("note", note)?)
            } else {
                (Transition::Reject, Some(Note::rejection_reason(note)?))
            };
            services.decide(&user, id, transition, note).await
        }
        .await,
    )
}

/// Approves every submitted entry of one person's week.
#[server(prefix = "/api/rpc", endpoint = "approve_week", client = crate::api_client::BearerClient)]
pub async fn approve_week(
    issuer: String,
    subject: String,
    week: String,
) -> Result<Vec<Entry>, AppError> {
    crate::error::with_status(
        async {
            let (user, services) = signed_in().await?;
            let week = IsoWeek::parse(&week)?;
            services.approve_week(&user, &issuer, &subject, week).await
        }
        .await,
    )
}

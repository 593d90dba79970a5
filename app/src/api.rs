//! Server functions: thin adapters over [`crate::ports::Services`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::User, error::AppError};

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

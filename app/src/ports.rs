//! What the server functions need from the server (hexagonal "ports").
//!
//! The `server` crate implements [`Services`] over its database and provides it as
//! context; server functions are thin adapters that read it and call one method, so
//! the REST API, the server functions and the CLI share one business layer.

use std::sync::Arc;

use crate::{api::ServerStatus, error::AppError};

#[async_trait::async_trait]
pub trait Services: Send + Sync + 'static {
    /// Name, version and database status of this server.
    async fn server_status(&self) -> Result<ServerStatus, AppError>;
}

/// How server functions receive the services: `provide_context(SharedServices::new(..))`.
pub type SharedServices = Arc<dyn Services>;

/// The services of the current request; an `Internal` error when the server forgot
/// to provide them (a wiring bug, not a user error).
pub fn services() -> Result<SharedServices, AppError> {
    leptos::prelude::use_context::<SharedServices>().ok_or(AppError::Internal)
}

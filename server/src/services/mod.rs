//! The business layer every adapter calls: REST handlers, Leptos server functions, CLI.

use app::{api::ServerStatus, error::AppError, ports::Services};

use crate::db::Db;

pub mod entries;
mod export;
mod upload;

pub use entries::EntryRange;
pub use export::{ExportRequest, MAX_EXPORT_DAYS};

/// [`Services`] backed by the database.
#[derive(Clone, Debug)]
pub struct ServerServices {
    db: Db,
}

impl ServerServices {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

#[async_trait::async_trait]
impl Services for ServerServices {
    async fn server_status(&self) -> Result<ServerStatus, AppError> {
        Ok(ServerStatus {
            name: "Timesheets".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database: self.db.backend().to_string(),
            database_ok: self.db.ping().await,
        })
    }
}

//! The business layer every adapter calls: REST handlers, Leptos server functions, CLI.

use app::{
    api::ServerStatus,
    auth::User,
    domain::{EntryId, IsoWeek, Note, Transition},
    entries::{Entry, EntryDraft, Project},
    error::AppError,
    ports::Services,
};

use crate::{db::Db, error::ApiError};

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

    async fn week_entries(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError> {
        let range = EntryRange {
            from: week.monday(),
            to: week.sunday(),
            after: None,
            limit: entries::MAX_PAGE,
        };
        app_result(self.list_entries(user, range).await).map(|page| page.items)
    }

    async fn projects(&self, user: &User) -> Result<Vec<Project>, AppError> {
        let projects = app_result(ServerServices::projects(self, user).await)?;
        Ok(projects
            .into_iter()
            .filter(|project| project.active)
            .map(|project| Project {
                code: project.code,
                name: project.name,
                active: project.active,
            })
            .collect())
    }

    async fn save_entry(
        &self,
        user: &User,
        draft: EntryDraft,
        version: Option<i64>,
    ) -> Result<Entry, AppError> {
        match (version, draft.id) {
            (None, _) => {
                app_result(self.create_entry(user, draft, "app").await).map(|(entry, _)| entry)
            }
            (Some(version), Some(id)) => {
                app_result(self.update_entry(user, id, draft, Some(version)).await)
            }
            (Some(_), None) => Err(AppError::Validation {
                field: "id".into(),
                message: "is required to change an entry".into(),
            }),
        }
    }

    async fn delete_entry(&self, user: &User, id: EntryId) -> Result<(), AppError> {
        app_result(ServerServices::delete_entry(self, user, id).await)
    }

    async fn submit_week(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError> {
        app_result(ServerServices::submit_week(self, user, week).await)
    }

    async fn awaiting_approval(&self, user: &User) -> Result<Vec<Entry>, AppError> {
        app_result(ServerServices::awaiting_approval(self, user).await)
    }

    async fn decide(
        &self,
        user: &User,
        id: EntryId,
        transition: Transition,
        note: Option<Note>,
    ) -> Result<Entry, AppError> {
        app_result(ServerServices::decide(self, user, id, transition, note).await)
    }

    async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
    ) -> Result<Vec<Entry>, AppError> {
        app_result(
            ServerServices::approve_week(self, user, owner_issuer, owner_subject, week).await,
        )
    }
}

/// Server functions answer [`AppError`]s: an internal failure is logged here and shows
/// as the generic 500.
fn app_result<T>(result: Result<T, ApiError>) -> Result<T, AppError> {
    result.map_err(|error| match error {
        ApiError::App(error) => error,
        ApiError::Internal(cause) => {
            tracing::error!(error = ?cause, "server function failed");
            AppError::Internal
        }
    })
}

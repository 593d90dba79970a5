//! The business layer every adapter calls: REST handlers, Leptos server functions, CLI.

use std::sync::Arc;

use app::{
    auth::User,
    domain::{EntryId, IsoWeek, Note, Transition},
    entries::{Entry, EntryDraft, Project},
    error::AppError,
    ports::Services,
};

use crate::db::Db;

pub mod entries;
mod export;
mod page_cache;
mod upload;

pub use entries::EntryRange;
pub use export::{ExportRequest, MAX_EXPORT_DAYS};
pub use page_cache::PageCache;

/// [`Services`] backed by the database.
#[derive(Clone, Debug)]
pub struct ServerServices {
    db: Db,
    /// Pages of entries kept until the next write: only where this process is the one
    /// writer (see `page_cache`).
    pages: Option<Arc<PageCache>>,
}

impl ServerServices {
    pub fn new(db: Db, pages: Option<PageCache>) -> Self {
        Self {
            db,
            pages: pages.map(Arc::new),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// The server functions' port: the same methods, their errors as clients see them.
#[async_trait::async_trait]
impl Services for ServerServices {
    async fn week_entries(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError> {
        let range = EntryRange {
            from: week.monday(),
            to: week.sunday(),
            after: None,
            limit: entries::MAX_PAGE,
        };
        Ok(Arc::unwrap_or_clone(self.list_entries(user, range).await?).items)
    }

    async fn projects(&self, user: &User) -> Result<Vec<Project>, AppError> {
        let projects = ServerServices::projects(self, user).await?;
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
            (None, _) => Ok(self.create_entry(user, draft, "app").await?.0),
            (Some(version), Some(id)) => {
                Ok(self.update_entry(user, id, draft, Some(version)).await?)
            }
            (Some(_), None) => Err(AppError::Validation {
                field: "id".into(),
                message: "is required to change an entry".into(),
            }),
        }
    }

    async fn entry(&self, user: &User, id: EntryId) -> Result<Entry, AppError> {
        Ok(self.get_entry(user, id).await?)
    }

    async fn delete_entry(&self, user: &User, id: EntryId) -> Result<(), AppError> {
        Ok(ServerServices::delete_entry(self, user, id).await?)
    }

    async fn submit_week(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError> {
        Ok(ServerServices::submit_week(self, user, week).await?)
    }

    async fn awaiting_approval(&self, user: &User) -> Result<Vec<Entry>, AppError> {
        Ok(ServerServices::awaiting_approval(self, user).await?)
    }

    async fn decide(
        &self,
        user: &User,
        id: EntryId,
        transition: Transition,
        note: Option<Note>,
    ) -> Result<Entry, AppError> {
        Ok(ServerServices::decide(self, user, id, transition, note).await?)
    }

    async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
    ) -> Result<Vec<Entry>, AppError> {
        Ok(ServerServices::approve_week(self, user, owner_issuer, owner_subject, week).await?)
    }
}

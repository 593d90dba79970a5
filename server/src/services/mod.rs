//! The business layer every adapter calls: REST handlers, Leptos server functions, CLI.

use std::{sync::Arc, time::Duration};

use app::{
    admin::{Invitation, NewPerson, NewProject, Person, ProjectUpdate},
    auth::{Scope, User},
    domain::{EntryId, IsoWeek, Note, Transition, WorkDate},
    entries::{Entry, EntryDraft, Project},
    error::AppError,
    overview::{Period, TeamHours},
    ports::Services,
    push::{NewPushSubscription, PushKey},
    timer::{RunningTimer, StartTimer},
};

use db::Db;

use crate::store::audit::Actor;

pub mod approvals;
pub mod entries;
mod export;
mod overview;
mod page_cache;
mod people;
mod projects;
mod push;
mod timer;
mod upload;

pub use entries::EntryRange;
pub use export::{ExportRequest, MAX_EXPORT_DAYS};
pub use page_cache::PageCache;
pub use push::PushConfig;

/// Who administers: a signed-in user (checked for the scope), or someone at the server's
/// shell, who holds the database anyway.
#[derive(Debug, Clone, Copy)]
pub enum Operator<'a> {
    User(&'a User),
    Shell,
}

impl Operator<'_> {
    pub(crate) fn require(&self, scope: Scope) -> Result<(), AppError> {
        match self {
            Operator::User(user) => user.require(scope),
            Operator::Shell => Ok(()),
        }
    }

    pub(crate) fn actor(&self) -> Actor<'_> {
        match self {
            Operator::User(user) => Actor::User {
                issuer: &user.issuer,
                subject: &user.subject,
            },
            Operator::Shell => Actor::Client { client_id: "cli" },
        }
    }
}

/// One line in the admin trail, by whoever operates.
async fn log_change(
    tx: &mut db::WriteTx,
    by: Operator<'_>,
    target: crate::store::admin_log::Target<'_>,
    action: &'static str,
    detail: Option<String>,
    at: i64,
) -> sqlx::Result<()> {
    let change = crate::store::admin_log::Change {
        target,
        actor: by.actor(),
        action,
        detail,
        at,
    };
    crate::store::admin_log::record(tx, &change).await
}

/// [`Services`] backed by the database.
#[derive(Clone, Debug)]
pub struct ServerServices {
    db: Db,
    /// Pages of entries kept until the next write: only where this process is the one
    /// writer (see `page_cache`).
    pages: Option<Arc<PageCache>>,
    /// The embedded provider's issuer, when it signs people in: its people are managed
    /// here (see `people`).
    embedded_issuer: Option<String>,
    /// How long a manager may take a decision back.
    undo_window: Duration,
    /// How recent a manager's sign-in must be to approve or reject; zero: any.
    approval_max_auth_age: Duration,
    /// Web Push reminders, once the server's VAPID key is known.
    push: Option<Arc<PushConfig>>,
}

impl ServerServices {
    pub fn new(db: Db, pages: Option<PageCache>, embedded_issuer: Option<String>) -> Self {
        Self {
            db,
            pages: pages.map(Arc::new),
            embedded_issuer,
            undo_window: approvals::UNDO_WINDOW,
            approval_max_auth_age: approvals::APPROVAL_MAX_AUTH_AGE,
            push: None,
        }
    }

    /// Approving and rejecting need a sign-in within `max_age` instead of
    /// [`approvals::APPROVAL_MAX_AUTH_AGE`]; zero lets any sign-in decide.
    pub fn with_approval_max_auth_age(self, max_age: Duration) -> Self {
        Self {
            approval_max_auth_age: max_age,
            ..self
        }
    }

    /// Decisions may be undone for `window` instead of [`approvals::UNDO_WINDOW`].
    pub fn with_push(self, push: PushConfig) -> Self {
        Self {
            push: Some(Arc::new(push)),
            ..self
        }
    }

    pub fn with_undo_window(self, window: Duration) -> Self {
        Self {
            undo_window: window,
            ..self
        }
    }

    pub fn undo_window(&self) -> Duration {
        self.undo_window
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// The server functions' port: the same methods, their errors as clients see them.
#[async_trait::async_trait]
impl Services for ServerServices {
    /// The whole week, in pages of the REST default: each short enough to be read on the
    /// request's thread (and cached), however many entries the week holds.
    async fn week_entries(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError> {
        let mut range = EntryRange {
            from: week.monday(),
            to: week.sunday(),
            after: None,
            limit: entries::DEFAULT_PAGE,
        };
        let mut week_entries = Vec::new();
        loop {
            let page = self.list_entries(user, range.clone()).await?;
            week_entries.extend(page.items.iter().cloned());
            match &page.next_cursor {
                Some(cursor) => range.after = Some(entries::parse_cursor(cursor)?),
                None => return Ok(week_entries),
            }
        }
    }

    async fn projects(&self, user: &User) -> Result<Vec<Project>, AppError> {
        let mut projects = ServerServices::projects(self, Operator::User(user)).await?;
        projects.retain(|project| project.active);
        Ok(projects)
    }

    async fn every_project(&self, user: &User) -> Result<Vec<Project>, AppError> {
        Ok(ServerServices::projects(self, Operator::User(user)).await?)
    }

    async fn add_project(&self, user: &User, new: NewProject) -> Result<Project, AppError> {
        Ok(ServerServices::add_project(self, Operator::User(user), &new).await?)
    }

    async fn update_project(
        &self,
        user: &User,
        code: &str,
        update: ProjectUpdate,
    ) -> Result<Project, AppError> {
        Ok(ServerServices::update_project(self, Operator::User(user), code, &update).await?)
    }

    async fn set_project_active(
        &self,
        user: &User,
        code: &str,
        active: bool,
    ) -> Result<Project, AppError> {
        Ok(ServerServices::set_project_active(self, Operator::User(user), code, active).await?)
    }

    async fn people(&self, user: &User) -> Result<Vec<Person>, AppError> {
        Ok(ServerServices::people(self, Operator::User(user)).await?)
    }

    async fn invite_person(&self, user: &User, new: NewPerson) -> Result<Invitation, AppError> {
        Ok(ServerServices::invite_person(self, Operator::User(user), &new).await?)
    }

    async fn reinvite_person(&self, user: &User, id: &str) -> Result<Invitation, AppError> {
        Ok(ServerServices::reinvite_person(self, Operator::User(user), id).await?)
    }

    async fn set_person_disabled(
        &self,
        user: &User,
        id: &str,
        disabled: bool,
    ) -> Result<Person, AppError> {
        Ok(ServerServices::set_person_disabled(self, Operator::User(user), id, disabled).await?)
    }

    async fn set_person_role(&self, user: &User, id: &str, role: &str) -> Result<Person, AppError> {
        Ok(ServerServices::set_person_role(self, Operator::User(user), id, role).await?)
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
        seen: Option<i64>,
    ) -> Result<Entry, AppError> {
        Ok(ServerServices::decide(self, user, id, transition, note, seen).await?)
    }

    async fn entry_to_decide(&self, user: &User, id: EntryId) -> Result<Entry, AppError> {
        Ok(ServerServices::entry_to_decide(self, user, id).await?)
    }

    async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
        seen: Option<Vec<(EntryId, i64)>>,
    ) -> Result<Vec<Entry>, AppError> {
        Ok(ServerServices::approve_week(
            self,
            user,
            owner_issuer,
            owner_subject,
            week,
            seen.as_deref(),
        )
        .await?)
    }

    async fn undo_decisions(&self, user: &User, ids: &[EntryId]) -> Result<Vec<Entry>, AppError> {
        Ok(ServerServices::undo_decisions(self, user, ids).await?)
    }

    async fn running_timer(&self, user: &User) -> Result<Option<RunningTimer>, AppError> {
        Ok(ServerServices::running_timer(self, user).await?)
    }

    async fn start_timer(&self, user: &User, start: StartTimer) -> Result<RunningTimer, AppError> {
        Ok(ServerServices::start_timer(self, user, start).await?)
    }

    async fn discard_timer(&self, user: &User, id: EntryId) -> Result<(), AppError> {
        Ok(ServerServices::discard_timer(self, user, id).await?)
    }

    async fn push_key(&self, user: &User) -> Result<PushKey, AppError> {
        Ok(ServerServices::push_key(self, user)?)
    }

    async fn subscribe_push(
        &self,
        user: &User,
        subscription: NewPushSubscription,
    ) -> Result<(), AppError> {
        Ok(ServerServices::subscribe_push(self, user, subscription).await?)
    }

    async fn unsubscribe_push(&self, user: &User, endpoint: &str) -> Result<(), AppError> {
        Ok(ServerServices::unsubscribe_push(self, user, endpoint).await?)
    }

    async fn team_hours(
        &self,
        user: &User,
        period: Period,
        today: WorkDate,
    ) -> Result<TeamHours, AppError> {
        Ok(ServerServices::team_hours(self, user, period, today).await?)
    }
}

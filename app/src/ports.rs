//! What the server functions need from the server (hexagonal "ports").
//!
//! The `server` crate implements [`Services`] over its database and provides it as
//! context; server functions are thin adapters that read it and call one method, so
//! the REST API, the server functions and the CLI share one business layer.

use std::sync::Arc;

use crate::{
    admin::{Invitation, NewPerson, NewProject, Person, ProjectUpdate},
    auth::{Principal, User},
    domain::{EntryId, IsoWeek, Note, Transition, WorkDate},
    entries::{Entry, EntryDraft, Project},
    error::AppError,
    overview::{Period, TeamHours},
    push::{NewPushSubscription, PushKey},
    timer::{RunningTimer, StartTimer},
};

#[async_trait::async_trait]
pub trait Services: Send + Sync + 'static {
    /// The user's own entries of one ISO week, Monday to Sunday.
    async fn week_entries(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError>;

    /// The projects time can be booked on.
    async fn projects(&self, user: &User) -> Result<Vec<Project>, AppError>;

    /// Every project, archived ones too (the admin screen).
    async fn every_project(&self, user: &User) -> Result<Vec<Project>, AppError>;

    async fn add_project(&self, user: &User, new: NewProject) -> Result<Project, AppError>;

    /// New name, customer and colour of the project with this code.
    async fn update_project(
        &self,
        user: &User,
        code: &str,
        update: ProjectUpdate,
    ) -> Result<Project, AppError>;

    /// Archives (`active: false`) or reactivates a project.
    async fn set_project_active(
        &self,
        user: &User,
        code: &str,
        active: bool,
    ) -> Result<Project, AppError>;

    /// The embedded provider's people.
    async fn people(&self, user: &User) -> Result<Vec<Person>, AppError>;

    /// Adds a person and returns their one-time link to set a password.
    async fn invite_person(&self, user: &User, new: NewPerson) -> Result<Invitation, AppError>;

    /// A new one-time link for someone already added.
    async fn reinvite_person(&self, user: &User, id: &str) -> Result<Invitation, AppError>;

    async fn set_person_disabled(
        &self,
        user: &User,
        id: &str,
        disabled: bool,
    ) -> Result<Person, AppError>;

    async fn set_person_role(&self, user: &User, id: &str, role: &str) -> Result<Person, AppError>;

    /// Creates the entry (idempotent by its client-chosen id) when `version` is `None`,
    /// else updates it if `version` is still the stored one.
    async fn save_entry(
        &self,
        user: &User,
        draft: EntryDraft,
        version: Option<i64>,
    ) -> Result<Entry, AppError>;

    /// One of the user's own entries.
    async fn entry(&self, user: &User, id: EntryId) -> Result<Entry, AppError>;

    async fn delete_entry(&self, user: &User, id: EntryId) -> Result<(), AppError>;

    /// Submits the user's drafts and rejected entries of `week` for approval.
    async fn submit_week(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, AppError>;

    /// Others' submitted entries awaiting a decision.
    async fn awaiting_approval(&self, user: &User) -> Result<Vec<Entry>, AppError>;

    /// Approves or rejects someone else's submitted entry; `seen` is the version decided
    /// on (a stale one is `PreconditionFailed`, unless this decision already made it).
    async fn decide(
        &self,
        user: &User,
        id: EntryId,
        transition: Transition,
        note: Option<Note>,
        seen: Option<i64>,
    ) -> Result<Entry, AppError>;

    /// Anyone's entry, for a manager deciding on it.
    async fn entry_to_decide(&self, user: &User, id: EntryId) -> Result<Entry, AppError>;

    /// Approves every submitted entry of one person's week; with `seen`, only if those
    /// are exactly the entries and versions the manager looked at.
    async fn approve_week(
        &self,
        user: &User,
        owner_issuer: &str,
        owner_subject: &str,
        week: IsoWeek,
        seen: Option<Vec<(EntryId, i64)>>,
    ) -> Result<Vec<Entry>, AppError>;

    /// Takes back the user's own decisions on `ids`, made moments ago.
    async fn undo_decisions(&self, user: &User, ids: &[EntryId]) -> Result<Vec<Entry>, AppError>;

    /// The user's running timer, if any.
    async fn running_timer(&self, user: &User) -> Result<Option<RunningTimer>, AppError>;

    /// Starts (or updates) the user's timer, checked against the server's clock; another
    /// running one is a conflict.
    async fn start_timer(&self, user: &User, start: StartTimer) -> Result<RunningTimer, AppError>;

    /// Ends the user's timer `id` without an entry.
    async fn discard_timer(&self, user: &User, id: EntryId) -> Result<(), AppError>;

    /// The server's VAPID public key, to subscribe a device to reminders.
    async fn push_key(&self, user: &User) -> Result<PushKey, AppError>;

    /// Reminds the user on a device (its push subscription and time zone).
    async fn subscribe_push(
        &self,
        user: &User,
        subscription: NewPushSubscription,
    ) -> Result<(), AppError>;

    /// Stops reminding the user on the device at `endpoint`.
    async fn unsubscribe_push(&self, user: &User, endpoint: &str) -> Result<(), AppError>;

    /// Everyone's hours in `period`, for a manager; `today` ends the days that can be missing.
    async fn team_hours(
        &self,
        user: &User,
        period: Period,
        today: WorkDate,
    ) -> Result<TeamHours, AppError>;
}

/// How server functions receive the services: `provide_context(SharedServices::new(..))`.
pub type SharedServices = Arc<dyn Services>;

/// The services of the current request; an `Internal` error when the server forgot
/// to provide them (a wiring bug, not a user error).
pub fn services() -> Result<SharedServices, AppError> {
    leptos::prelude::use_context::<SharedServices>().ok_or(AppError::Internal)
}

/// Verifies the access token of a request (implemented by the server's token gate).
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// The principal of the request's access token (`Authorization: Bearer`, or `DPoP`
    /// with its proof); `Unauthorized` when there is none or it is not valid,
    /// `InvalidDpopProof` when the proof is wrong.
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Principal, AppError>;
}

/// How server functions receive the gate: `provide_context(SharedAuthenticator::new(..))`.
pub type SharedAuthenticator = std::sync::Arc<dyn Authenticator>;

/// The signed-in user calling this server function, verified from the request's access
/// token before anything else runs; a 401 without a valid token, a 403 for a machine client.
pub async fn current_user() -> Result<User, AppError> {
    let parts = leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    let gate = leptos::prelude::use_context::<SharedAuthenticator>().ok_or(AppError::Internal)?;
    gate.authenticate(&parts).await?.into_user()
}

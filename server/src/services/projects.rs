//! Projects: listed for everyone who logs time, administered with `manage:projects`
//! (REST, the admin screen) or from the server's shell (`timesheets projects …`). Every
//! change is one write transaction with its line in the admin trail.

use app::{
    admin::{NewProject, ProjectDetails, ProjectUpdate},
    auth::Scope,
    domain::ProjectCode,
    entries::Project,
    error::AppError,
};

use super::{log_change, Operator, ServerServices};
use db::{clock::now_ms, is_unique_violation};

use crate::{
    error::ApiError,
    store::{
        admin_log::Target,
        projects::{self, StoredProject},
    },
};

/// The project time is booked on, by code or name; a clear 422 when this instance does
/// not know it (naming how to add it) or it is archived.
pub(super) fn bookable(
    found: Option<StoredProject>,
    asked: &str,
) -> Result<StoredProject, AppError> {
    match found {
        Some(project) if project.is_active() => Ok(project),
        Some(project) => Err(AppError::Validation {
            field: "project".into(),
            message: format!(
                "project {} is archived: it keeps its entries but takes no new time (an admin can reactivate it)",
                project.project.code
            ),
        }),
        None => Err(AppError::Validation {
            field: "project".into(),
            message: format!(
                "no project {asked:?} on this instance: an admin adds it on the Admin screen, with POST /api/projects or `timesheets projects add`"
            ),
        }),
    }
}

/// Projects are listed for those who log time and for those who administer them.
fn may_see_projects(by: Operator<'_>) -> Result<(), AppError> {
    match by {
        Operator::User(user) if user.scopes.contains(Scope::ManageProjects) => Ok(()),
        by => by.require(Scope::ReadTimesheets),
    }
}

/// A code in a path or a command; one that cannot be a code names no project.
fn code(value: &str) -> Result<ProjectCode, AppError> {
    ProjectCode::parse(value).map_err(|_| AppError::NotFound)
}

/// `name: A -> B, customer: none -> C` for what differs.
fn describe_change(before: &Project, after: &ProjectDetails) -> Option<String> {
    let show = |value: Option<&str>| value.unwrap_or("none").to_owned();
    let colour = after.colour.map(|c| c.to_string());
    let changes: Vec<String> = [
        (
            "name",
            Some(before.name.as_str()),
            Some(after.name.as_str()),
        ),
        (
            "customer",
            before.customer.as_deref(),
            after.customer.as_ref().map(|c| c.as_str()),
        ),
        ("colour", before.colour.as_deref(), colour.as_deref()),
    ]
    .into_iter()
    .filter(|(_, old, new)| old != new)
    .map(|(field, old, new)| format!("{field}: {} -> {}", show(old), show(new)))
    .collect();
    (!changes.is_empty()).then(|| changes.join(", "))
}

impl ServerServices {
    /// Every project, active ones first: for those who log time, for admins, and for
    /// the shell.
    pub async fn projects(&self, by: Operator<'_>) -> Result<Vec<Project>, ApiError> {
        may_see_projects(by)?;
        let mut conn = self.db.acquire().await?;
        Ok(projects::list(&mut conn)
            .await?
            .into_iter()
            .map(|stored| stored.project)
            .collect())
    }

    /// One project by code.
    pub async fn project(&self, by: Operator<'_>, code_text: &str) -> Result<Project, ApiError> {
        may_see_projects(by)?;
        let code = code(code_text)?;
        let mut conn = self.db.acquire().await?;
        Ok(projects::by_code(&mut conn, &code)
            .await?
            .ok_or(AppError::NotFound)?
            .project)
    }

    /// Adds an active project; a code in use is a 409.
    pub async fn add_project(
        &self,
        by: Operator<'_>,
        new: &NewProject,
    ) -> Result<Project, ApiError> {
        by.require(Scope::ManageProjects)?;
        let (code, details) = new.parse()?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let stored = match projects::add(&mut tx, &code, &details, now).await {
            Ok(stored) => stored,
            Err(error) if is_unique_violation(&error) => {
                return Err(AppError::Conflict {
                    message: format!("a project with code {code} exists already"),
                }
                .into())
            }
            Err(error) => return Err(error.into()),
        };
        let detail = format!("{} ({})", details.name.as_str(), code);
        log_change(
            &mut tx,
            by,
            Target::Project(code.as_str()),
            "add",
            Some(detail),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(stored.project)
    }

    /// New name, customer and colour of a project (its code stays, and so do its
    /// entries, which show the new name).
    pub async fn update_project(
        &self,
        by: Operator<'_>,
        code_text: &str,
        update: &ProjectUpdate,
    ) -> Result<Project, ApiError> {
        by.require(Scope::ManageProjects)?;
        let code = code(code_text)?;
        let details = update.parse()?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let before = projects::by_code(&mut tx, &code)
            .await?
            .ok_or(AppError::NotFound)?;
        let Some(detail) = describe_change(&before.project, &details) else {
            // Nothing differs: no write, no line in the trail.
            return Ok(before.project);
        };
        projects::update(&mut tx, &code, &details, now).await?;
        log_change(
            &mut tx,
            by,
            Target::Project(code.as_str()),
            "update",
            Some(detail),
            now,
        )
        .await?;
        let after = projects::by_code(&mut tx, &code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("project {code} vanished inside its transaction"))?;
        tx.commit().await?;
        Ok(after.project)
    }

    /// Archives (`active == false`) or reactivates a project. An archived project keeps
    /// its entries, reports and exports, and refuses new time. Doing it twice is no error.
    pub async fn set_project_active(
        &self,
        by: Operator<'_>,
        code_text: &str,
        active: bool,
    ) -> Result<Project, ApiError> {
        by.require(Scope::ManageProjects)?;
        let code = code(code_text)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let mut stored = projects::by_code(&mut tx, &code)
            .await?
            .ok_or(AppError::NotFound)?;
        if stored.is_active() == active {
            return Ok(stored.project);
        }
        projects::set_active(&mut tx, &code, active, now).await?;
        log_change(
            &mut tx,
            by,
            Target::Project(code.as_str()),
            if active { "activate" } else { "archive" },
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        stored.project.active = active;
        Ok(stored.project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(active: bool) -> StoredProject {
        StoredProject {
            id: "p1".into(),
            project: Project {
                code: "ACME".into(),
                name: "Acme".into(),
                customer: None,
                colour: None,
                active,
            },
        }
    }

    #[test]
    fn only_an_active_project_takes_time_and_each_refusal_says_what_to_do() {
        assert!(bookable(Some(stored(true)), "ACME").is_ok());
        let archived = bookable(Some(stored(false)), "ACME").unwrap_err();
        assert_eq!(archived.status_code(), 422);
        assert!(
            archived.to_string().contains("ACME is archived"),
            "{archived}"
        );
        let unknown = bookable(None, "StoreZero").unwrap_err();
        assert_eq!(unknown.status_code(), 422);
        let text = unknown.to_string();
        assert!(text.contains("\"StoreZero\""), "{text}");
        assert!(text.contains("timesheets projects add"), "{text}");
    }

    #[test]
    fn a_change_is_described_field_by_field() {
        let before = stored(true).project;
        let same = ProjectUpdate {
            name: "Acme".into(),
            customer: Some(" ".into()),
            colour: None,
        };
        assert_eq!(describe_change(&before, &same.parse().unwrap()), None);
        let renamed = ProjectUpdate {
            name: "Acme website".into(),
            customer: Some("Acme Corp".into()),
            colour: Some("#ABCDEF".into()),
        };
        assert_eq!(
            describe_change(&before, &renamed.parse().unwrap()).as_deref(),
            Some(
                "name: Acme -> Acme website, customer: none -> Acme Corp, colour: none -> #abcdef"
            )
        );
    }
}

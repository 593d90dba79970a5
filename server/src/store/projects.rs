//! `projects`: what entries are booked on.

use app::domain::{ProjectCode, ProjectName};
use sqlx::{any::AnyRow, AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Project {
    #[serde(skip)]
    pub id: String,
    pub code: String,
    pub name: String,
    pub active: bool,
}

fn from_row(row: &AnyRow) -> sqlx::Result<Project> {
    Ok(Project {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

/// A project by code (case-insensitive, as codes are stored upper-case), else by its
/// exact name, as the seed's clients name projects.
pub async fn resolve(
    conn: &mut AnyConnection,
    code_or_name: &str,
) -> sqlx::Result<Option<Project>> {
    if let Ok(code) = ProjectCode::parse(code_or_name) {
        if let Some(project) = by_code(conn, &code).await? {
            return Ok(Some(project));
        }
    }
    sqlx::query("SELECT id, code, name, active FROM projects WHERE name = $1 ORDER BY code LIMIT 1")
        .bind(code_or_name.trim())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn by_code(
    conn: &mut AnyConnection,
    code: &ProjectCode,
) -> sqlx::Result<Option<Project>> {
    sqlx::query("SELECT id, code, name, active FROM projects WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Adds a project; a duplicate code is a unique violation for the caller to report.
pub async fn add(
    conn: &mut AnyConnection,
    code: &ProjectCode,
    name: &ProjectName,
    now: i64,
) -> sqlx::Result<Project> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO projects (id, code, name, active, created_at, updated_at)
         VALUES ($1, $2, $3, 1, $4, $4)",
    )
    .bind(&id)
    .bind(code.as_str())
    .bind(name.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Project {
        id,
        code: code.to_string(),
        name: name.as_str().to_owned(),
        active: true,
    })
}

/// All projects, active first, by code.
pub async fn list(conn: &mut AnyConnection) -> sqlx::Result<Vec<Project>> {
    sqlx::query("SELECT id, code, name, active FROM projects ORDER BY active DESC, code")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

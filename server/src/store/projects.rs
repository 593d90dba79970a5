//! `projects`: what entries are booked on.

use app::{admin::ProjectDetails, domain::ProjectCode};
use db::WriteTx;
use sqlx::{any::AnyRow, AnyConnection, Row};

/// A stored project; [`StoredProject::project`] is how clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProject {
    pub id: String,
    pub project: app::entries::Project,
}

impl StoredProject {
    pub fn is_active(&self) -> bool {
        self.project.active
    }
}

const COLUMNS: &str = "id, code, name, customer, colour, active";

fn from_row(row: &AnyRow) -> sqlx::Result<StoredProject> {
    Ok(StoredProject {
        id: row.try_get("id")?,
        project: app::entries::Project {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            customer: row.try_get("customer")?,
            colour: row.try_get("colour")?,
            active: row.try_get::<i64, _>("active")? != 0,
        },
    })
}

/// A project by code (case-insensitive, as codes are stored upper-case), else by its
/// exact name, as the seed's clients name projects.
pub async fn resolve(
    conn: &mut AnyConnection,
    code_or_name: &str,
) -> sqlx::Result<Option<StoredProject>> {
    if let Ok(code) = ProjectCode::parse(code_or_name) {
        if let Some(project) = by_code(conn, &code).await? {
            return Ok(Some(project));
        }
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE name = $1 ORDER BY active DESC, code LIMIT 1"
    )))
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
) -> sqlx::Result<Option<StoredProject>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE code = $1"
    )))
    .bind(code.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Adds an active project; a duplicate code is a unique violation for the caller to report.
pub async fn add(
    tx: &mut WriteTx,
    code: &ProjectCode,
    details: &ProjectDetails,
    now: i64,
) -> sqlx::Result<StoredProject> {
    let conn: &mut AnyConnection = tx;
    let id = uuid::Uuid::new_v4().to_string();
    let customer = details.customer.as_ref().map(|c| c.as_str().to_owned());
    let colour = details.colour.map(|c| c.to_string());
    sqlx::query(
        "INSERT INTO projects (id, code, name, customer, colour, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6)",
    )
    .bind(&id)
    .bind(code.as_str())
    .bind(details.name.as_str())
    .bind(customer.as_deref())
    .bind(colour.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(StoredProject {
        id,
        project: app::entries::Project {
            code: code.to_string(),
            name: details.name.as_str().to_owned(),
            customer,
            colour,
            active: true,
        },
    })
}

/// New name, customer and colour; `false` when there is no such project.
pub async fn update(
    tx: &mut WriteTx,
    code: &ProjectCode,
    details: &ProjectDetails,
    now: i64,
) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
    let result = sqlx::query(
        "UPDATE projects SET name = $1, customer = $2, colour = $3, updated_at = $4
         WHERE code = $5",
    )
    .bind(details.name.as_str())
    .bind(details.customer.as_ref().map(|c| c.as_str()))
    .bind(details.colour.map(|c| c.to_string()))
    .bind(now)
    .bind(code.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Archives (`false`) or reactivates a project; `false` when there is no such project.
pub async fn set_active(
    tx: &mut WriteTx,
    code: &ProjectCode,
    active: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
    let result = sqlx::query("UPDATE projects SET active = $1, updated_at = $2 WHERE code = $3")
        .bind(i64::from(active))
        .bind(now)
        .bind(code.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// All projects, active first, by code.
pub async fn list(conn: &mut AnyConnection) -> sqlx::Result<Vec<StoredProject>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects ORDER BY active DESC, code"
    )))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Whether any project exists (start-up tells a new instance how to add the first).
pub async fn any(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT id FROM projects LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

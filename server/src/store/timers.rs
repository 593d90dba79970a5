//! `timers`: each person's running timer, if any.

use app::{
    domain::{EntryId, ProjectCode},
    timer::RunningTimer,
};
use db::WriteTx;
use sqlx::{AnyConnection, Row};

/// The person's running timer.
pub async fn of_user(
    conn: &mut AnyConnection,
    user_id: &str,
) -> sqlx::Result<Option<RunningTimer>> {
    sqlx::query(
        "SELECT t.id, p.code, p.name, t.note, t.started_at
         FROM timers t JOIN projects p ON p.id = t.project_id
         WHERE t.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| {
        let id: String = row.try_get("id")?;
        let code: String = row.try_get("code")?;
        // Both were checked on the way in; a row that no longer parses is corrupt.
        let decode = |err: app::domain::ValidationError| sqlx::Error::Decode(err.message.into());
        Ok(RunningTimer {
            id: EntryId::parse(&id).map_err(decode)?,
            project: ProjectCode::parse(&code).map_err(decode)?,
            project_name: row.try_get("name")?,
            note: row.try_get("note")?,
            started_at: row.try_get("started_at")?,
        })
    })
    .transpose()
}

/// What a start stores.
pub struct NewTimer<'a> {
    pub id: EntryId,
    pub user_id: &'a str,
    pub project_id: &'a str,
    pub note: Option<&'a str>,
    pub started_at: i64,
    pub now: i64,
}

/// Stores the person's timer, replacing one with the same id (a start sent again, or
/// changed); false when another timer of theirs runs.
pub async fn start(tx: &mut WriteTx, timer: &NewTimer<'_>) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
    let result = sqlx::query(
        "INSERT INTO timers (user_id, id, project_id, note, started_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET
             project_id = excluded.project_id, note = excluded.note,
             started_at = excluded.started_at, updated_at = excluded.updated_at
         WHERE timers.id = excluded.id",
    )
    .bind(timer.user_id)
    .bind(timer.id.to_string())
    .bind(timer.project_id)
    .bind(timer.note)
    .bind(timer.started_at)
    .bind(timer.now)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends the person's timer `id`; false when it does not run (ended already, or another).
pub async fn end(tx: &mut WriteTx, user_id: &str, id: EntryId) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
    let result = sqlx::query("DELETE FROM timers WHERE user_id = $1 AND id = $2")
        .bind(user_id)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

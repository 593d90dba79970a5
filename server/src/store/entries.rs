//! `entries`: the time entries, read as [`Entry`] views joined with project and owner.

use app::{
    domain::{EntryId, EntryStatus, Minutes, Note, ProjectCode, WorkDate},
    entries::{Entry, Owner},
};
use std::collections::HashMap;

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::Params;

const VIEW: &str = "SELECT e.id, e.user_id, e.work_date, e.minutes, e.note, e.status,
        e.decision_note, e.source, e.external_id, e.version, e.created_at, e.updated_at,
        p.code AS project_code, p.name AS project_name,
        u.issuer, u.subject, u.email, u.name AS user_name
    FROM entries e
    JOIN projects p ON p.id = e.project_id
    JOIN users u ON u.id = e.user_id";

/// An entry and the row id of its owner.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: Entry,
    pub user_id: String,
}

/// Rows were written by this program through the domain types; one that does not parse
/// is corruption, reported as a decode error rather than shown half-read.
fn corrupt(column: &'static str) -> impl FnOnce(app::domain::ValidationError) -> sqlx::Error {
    move |error| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: Box::new(error),
    }
}

fn from_row(row: &AnyRow) -> sqlx::Result<StoredEntry> {
    let id: String = row.try_get("id")?;
    let date: String = row.try_get("work_date")?;
    let minutes: i64 = row.try_get("minutes")?;
    let status: String = row.try_get("status")?;
    let code: String = row.try_get("project_code")?;
    let minutes = u32::try_from(minutes)
        .ok()
        .and_then(|m| Minutes::new(m).ok())
        .ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "minutes".into(),
            source: "out of range".into(),
        })?;
    let status: EntryStatus = status.parse().map_err(corrupt("status"))?;
    let subject: String = row.try_get("subject")?;
    Ok(StoredEntry {
        user_id: row.try_get("user_id")?,
        entry: Entry {
            id: EntryId::parse(&id).map_err(corrupt("id"))?,
            user_id: subject.clone(),
            owner: Owner {
                issuer: row.try_get("issuer")?,
                subject,
                email: row.try_get("email")?,
                name: row.try_get("user_name")?,
            },
            date: WorkDate::parse(&date).map_err(corrupt("work_date"))?,
            project: ProjectCode::parse(&code).map_err(corrupt("project_code"))?,
            project_name: row.try_get("project_name")?,
            hours: minutes.hours(),
            minutes,
            note: row.try_get("note")?,
            status,
            approved: status == EntryStatus::Approved,
            decision_note: row.try_get("decision_note")?,
            source: row.try_get("source")?,
            external_id: row.try_get("external_id")?,
            version: row.try_get("version")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
    })
}

pub async fn get(conn: &mut AnyConnection, id: EntryId) -> sqlx::Result<Option<StoredEntry>> {
    sqlx::query(&format!("{VIEW} WHERE e.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A new row, as the service layer decided it.
pub struct NewRow<'a> {
    pub id: EntryId,
    pub user_id: &'a str,
    pub project_id: &'a str,
    pub date: WorkDate,
    pub minutes: Minutes,
    pub note: Option<&'a Note>,
    pub status: EntryStatus,
    pub source: &'a str,
    pub external_id: Option<&'a str>,
    pub now: i64,
}

/// Rows per multi-row INSERT: 500 × 11 parameters stays far below SQLite's and
/// PostgreSQL's parameter limits.
const INSERT_CHUNK: usize = 500;

/// External ids per look-up: a whole upload in one statement. Until PostgreSQL has
/// analyzed a fast-growing table it may filter all of a source's rows instead of probing
/// the index, so one statement per upload (one pass) beats one per 500 ids (20 passes).
const LOOKUP_CHUNK: usize = 10_000;

/// Inserts many rows with few statements (what makes a 10,000-row upload fast).
pub async fn insert_many(conn: &mut AnyConnection, rows: &[NewRow<'_>]) -> sqlx::Result<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO entries (id, user_id, project_id, work_date, minutes, note, status,
                                  source, external_id, created_at, updated_at)
             VALUES {}",
            Params::of(conn).rows(chunk.len(), 11)
        );
        let mut query = super::bulk(&sql);
        for row in chunk {
            query = query
                .bind(row.id.to_string())
                .bind(row.user_id)
                .bind(row.project_id)
                .bind(row.date.to_string())
                .bind(i64::from(row.minutes.get()))
                .bind(row.note.map(Note::as_str))
                .bind(row.status.as_str())
                .bind(row.source)
                .bind(row.external_id)
                .bind(row.now)
                .bind(row.now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Of `external_ids`, those this uploader already stored, with their entry ids.
pub async fn existing_external_ids(
    conn: &mut AnyConnection,
    source: &str,
    external_ids: &[&str],
) -> sqlx::Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    for chunk in external_ids.chunks(LOOKUP_CHUNK) {
        let params = Params::of(conn);
        let sql = format!(
            "SELECT external_id, id FROM entries WHERE source = {} AND external_id IN ({})",
            params.list(1, 1),
            params.list(2, chunk.len())
        );
        let mut query = super::bulk(&sql).bind(source);
        for external_id in chunk {
            query = query.bind(*external_id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(row.try_get("external_id")?, row.try_get("id")?);
        }
    }
    Ok(found)
}

/// Minutes logged per day by one user from `from` to `to`.
pub async fn minutes_per_day(
    conn: &mut AnyConnection,
    user_id: &str,
    from: WorkDate,
    to: WorkDate,
) -> sqlx::Result<HashMap<String, u32>> {
    let rows = sqlx::query(
        "SELECT work_date, CAST(SUM(minutes) AS BIGINT) AS total FROM entries
         WHERE user_id = $1 AND work_date >= $2 AND work_date <= $3 GROUP BY work_date",
    )
    .bind(user_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let total: i64 = row.try_get("total")?;
            Ok((
                row.try_get("work_date")?,
                u32::try_from(total).unwrap_or(u32::MAX),
            ))
        })
        .collect()
}

/// Minutes the user already logged on `date`, leaving out entry `except`.
pub async fn minutes_on(
    conn: &mut AnyConnection,
    user_id: &str,
    date: WorkDate,
    except: Option<EntryId>,
) -> sqlx::Result<u32> {
    // PostgreSQL's SUM of BIGINT is NUMERIC, which `sqlx::Any` cannot decode: cast back.
    let total: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS total FROM entries
         WHERE user_id = $1 AND work_date = $2 AND id <> $3",
    )
    .bind(user_id)
    .bind(date.to_string())
    .bind(except.map(|id| id.to_string()).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?
    .try_get("total")?;
    Ok(u32::try_from(total).unwrap_or(u32::MAX))
}

/// The user's entries from `from` to `to` (inclusive), ordered by date then id, after
/// the `(date, id)` position of `after`; at most `limit`.
/// One person's entries (by issuer and subject: one statement, no separate user look-up,
/// which is what a read costs most on SQLite, where each statement is a thread hop).
pub async fn list_for_user(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: &str,
    from: WorkDate,
    to: WorkDate,
    after: Option<(WorkDate, EntryId)>,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    let (after_date, after_id) = after
        .map(|(date, id)| (date.to_string(), id.to_string()))
        .unwrap_or_default();
    sqlx::query(&format!(
        "{VIEW} WHERE e.user_id = (SELECT id FROM users WHERE issuer = $1 AND subject = $2)
           AND e.work_date >= $3 AND e.work_date <= $4
           AND (e.work_date > $5 OR (e.work_date = $5 AND e.id > $6))
         ORDER BY e.work_date, e.id LIMIT $7"
    ))
    .bind(issuer)
    .bind(subject)
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(after_date)
    .bind(after_id)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| from_row(row).map(|stored| stored.entry))
    .collect()
}

/// Submitted entries of everyone but `user_id`, oldest work first.
pub async fn awaiting_approval(
    conn: &mut AnyConnection,
    except_user_id: &str,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query(&format!(
        "{VIEW} WHERE e.status = 'submitted' AND e.user_id <> $1
         ORDER BY u.subject, e.work_date, e.id LIMIT $2"
    ))
    .bind(except_user_id)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| from_row(row).map(|stored| stored.entry))
    .collect()
}

/// Moves the entry to `status` if it is still at `version`; false when someone else
/// changed it first.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: EntryId,
    version: i64,
    status: EntryStatus,
    decision_note: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE entries SET status = $1, decision_note = $2, version = version + 1, updated_at = $3
         WHERE id = $4 AND version = $5",
    )
    .bind(status.as_str())
    .bind(decision_note)
    .bind(now)
    .bind(id.to_string())
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes the entry if it is still at `version`.
pub async fn delete(conn: &mut AnyConnection, id: EntryId, version: i64) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM entries WHERE id = $1 AND version = $2")
        .bind(id.to_string())
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The user's entries in `status` from `from` to `to`, by date.
pub async fn with_status_in_range(
    conn: &mut AnyConnection,
    user_id: &str,
    status: EntryStatus,
    from: WorkDate,
    to: WorkDate,
) -> sqlx::Result<Vec<StoredEntry>> {
    sqlx::query(&format!(
        "{VIEW} WHERE e.user_id = $1 AND e.status = $2 AND e.work_date >= $3 AND e.work_date <= $4
         ORDER BY e.work_date, e.id"
    ))
    .bind(user_id)
    .bind(status.as_str())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// New content for an entry.
pub struct Content<'a> {
    pub project_id: &'a str,
    pub date: WorkDate,
    pub minutes: Minutes,
    pub note: Option<&'a Note>,
    pub status: EntryStatus,
}

/// Replaces the entry's content if it is still at `version`.
pub async fn update_content(
    conn: &mut AnyConnection,
    id: EntryId,
    version: i64,
    content: &Content<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE entries SET project_id = $1, work_date = $2, minutes = $3, note = $4, status = $5,
                version = version + 1, updated_at = $6
         WHERE id = $7 AND version = $8",
    )
    .bind(content.project_id)
    .bind(content.date.to_string())
    .bind(i64::from(content.minutes.get()))
    .bind(content.note.map(Note::as_str))
    .bind(content.status.as_str())
    .bind(now)
    .bind(id.to_string())
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Entries from `from` to `to` (inclusive) of one user or of everyone, optionally in one
/// status, ordered by date, person and id; at most `limit`.
pub async fn in_range(
    conn: &mut AnyConnection,
    user_id: Option<&str>,
    status: Option<EntryStatus>,
    from: WorkDate,
    to: WorkDate,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    // Empty strings stand for "any": no entry has an empty user id or status.
    sqlx::query(&format!(
        "{VIEW} WHERE e.work_date >= $1 AND e.work_date <= $2
           AND ($3 = '' OR e.user_id = $3) AND ($4 = '' OR e.status = $4)
         ORDER BY e.work_date, u.issuer, u.subject, e.id LIMIT $5"
    ))
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(user_id.unwrap_or_default())
    .bind(status.map(EntryStatus::as_str).unwrap_or_default())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| from_row(row).map(|stored| stored.entry))
    .collect()
}

//! `audit_log`: the append-only trail of every change to an entry.

use app::domain::EntryStatus;
use db::{sql::bulk, WriteTx};
use sqlx::{AnyConnection, Row};

/// Who made a change: a user (issuer, subject) or a machine client.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User { issuer: &'a str, subject: &'a str },
    Client { client_id: &'a str },
}

/// One audit record.
pub struct Record<'a> {
    pub entry_id: &'a str,
    pub actor: Actor<'a>,
    /// `create`, `update`, `submit`, `approve`, `reject`, `undo`, `delete`, `import`.
    pub action: &'static str,
    pub from: Option<EntryStatus>,
    pub to: Option<EntryStatus>,
    pub note: Option<&'a str>,
    pub at: i64,
}

/// Appends one record: a prepared statement kept for reuse (edits, submits and decisions
/// write one each), where `record_many`'s text varies with the batch.
pub async fn record(tx: &mut WriteTx, record: &Record<'_>) -> sqlx::Result<()> {
    let conn: &mut AnyConnection = tx;
    let (issuer, subject, client_id) = record.actor.columns();
    sqlx::query(
        "INSERT INTO audit_log (entry_id, actor_issuer, actor_subject, actor_client_id,
                                action, from_status, to_status, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(record.entry_id)
    .bind(issuer)
    .bind(subject)
    .bind(client_id)
    .bind(record.action)
    .bind(record.from.map(EntryStatus::as_str))
    .bind(record.to.map(EntryStatus::as_str))
    .bind(record.note)
    .bind(record.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends many records with few statements.
pub async fn record_many(tx: &mut WriteTx, records: &[Record<'_>]) -> sqlx::Result<()> {
    let conn: &mut AnyConnection = tx;
    for chunk in records.chunks(500) {
        let sql = format!(
            "INSERT INTO audit_log (entry_id, actor_issuer, actor_subject, actor_client_id,
                                    action, from_status, to_status, note, at)
             VALUES {}",
            db::sql::Params::of(conn).rows(chunk.len(), 9)
        );
        let mut query = bulk(sql);
        for record in chunk {
            let (issuer, subject, client_id) = record.actor.columns();
            query = query
                .bind(record.entry_id)
                .bind(issuer)
                .bind(subject)
                .bind(client_id)
                .bind(record.action)
                .bind(record.from.map(EntryStatus::as_str))
                .bind(record.to.map(EntryStatus::as_str))
                .bind(record.note)
                .bind(record.at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The records of entries that arrived already submitted (batch uploads, the demo seed).
pub async fn record_imports(
    tx: &mut WriteTx,
    entry_ids: &[String],
    actor: Actor<'_>,
    at: i64,
) -> sqlx::Result<()> {
    let records: Vec<Record> = entry_ids
        .iter()
        .map(|entry_id| Record {
            entry_id,
            actor,
            action: "import",
            from: None,
            to: Some(EntryStatus::Submitted),
            note: None,
            at,
        })
        .collect();
    record_many(tx, &records).await
}

/// The newest record of an entry: what was done, by which person, when.
pub struct LastChange {
    pub id: i64,
    pub action: String,
    pub actor_issuer: Option<String>,
    pub actor_subject: Option<String>,
    pub at: i64,
}

pub async fn last_change(
    conn: &mut AnyConnection,
    entry_id: &str,
) -> sqlx::Result<Option<LastChange>> {
    sqlx::query(
        "SELECT id, action, actor_issuer, actor_subject, at FROM audit_log
         WHERE entry_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(entry_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| {
        Ok(LastChange {
            id: row.try_get("id")?,
            action: row.try_get("action")?,
            actor_issuer: row.try_get("actor_issuer")?,
            actor_subject: row.try_get("actor_subject")?,
            at: row.try_get("at")?,
        })
    })
    .transpose()
}

/// The entry's decision note as it was before record `before`: the note of the decision
/// (or undo) before it. A resubmitted entry keeps its rejection's note.
pub async fn decision_note_before(
    conn: &mut AnyConnection,
    entry_id: &str,
    before: i64,
) -> sqlx::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT note FROM audit_log
         WHERE entry_id = $1 AND id < $2 AND action IN ('reject', 'approve', 'undo')
         ORDER BY id DESC LIMIT 1",
    )
    .bind(entry_id)
    .bind(before)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|row| row.try_get("note")).transpose()?.flatten())
}

impl Actor<'_> {
    /// (issuer, subject, client id) as stored.
    pub(super) fn columns(&self) -> (Option<&str>, Option<&str>, Option<&str>) {
        match *self {
            Actor::User { issuer, subject } => (Some(issuer), Some(subject), None),
            Actor::Client { client_id } => (None, None, Some(client_id)),
        }
    }
}

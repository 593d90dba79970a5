//! `entries`: the time entries, read as [`Entry`] views joined with project and owner.
//!
//! One statement per read, two decoders of its rows: `sqlite.rs` (rusqlite, for the reads
//! of a SQLite file that take the `Db`: pages, queues, exports) and `any.rs` (sqlx rows: on
//! PostgreSQL, on a caller's connection or transaction, and when the file is busy). Why:
//! ADR 0010.

mod any;
mod sqlite;

use app::{
    domain::{EntryId, EntryStatus, Minutes, Note, ProjectCode, WorkDate},
    entries::{Entry, Owner},
};
use std::{collections::HashMap, sync::LazyLock};

use sqlx::{AnyConnection, FromRow, Row};

use db::{
    sql::{bulk, Params},
    sqlite_reader::Arg,
    Db, WriteTx,
};

const VIEW: &str = "SELECT e.id, e.user_id, e.work_date, e.minutes, e.note, e.status,
        e.decision_note, e.source, e.external_id, e.version, e.created_at, e.updated_at,
        p.code AS project_code, p.name AS project_name,
        u.issuer, u.subject, u.email, u.name AS user_name
    FROM entries e
    JOIN projects p ON p.id = e.project_id
    JOIN users u ON u.id = e.user_id";

/// The columns of [`VIEW`], in its order, as [`EntryRecord`] names them.
const COLUMNS: [&str; 18] = [
    "id",
    "user_id",
    "work_date",
    "minutes",
    "note",
    "status",
    "decision_note",
    "source",
    "external_id",
    "version",
    "created_at",
    "updated_at",
    "project_code",
    "project_name",
    "issuer",
    "subject",
    "email",
    "user_name",
];

/// Where `name` is in [`COLUMNS`], so in a row of [`VIEW`]; at compile time.
const fn column(name: &str) -> usize {
    let mut index = 0;
    while index < COLUMNS.len() {
        let (a, b) = (COLUMNS[index].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut at = 0;
            while at < a.len() && a[at] == b[at] {
                at += 1;
            }
            if at == a.len() {
                return index;
            }
        }
        index += 1;
    }
    panic!("not a column of VIEW")
}

/// Entries selected by `clause` (`WHERE …` over the columns of [`VIEW`]), in `order`
/// (names of those columns), then `tail` (`LIMIT …` or nothing).
fn entries_sql(clause: &str, order: &str, tail: &str) -> String {
    format!("SELECT * FROM ({VIEW}) AS r {clause} ORDER BY {order} {tail}")
}

/// A read outside any write transaction, of at most `at_most` rows: on a SQLite file by
/// rusqlite, else (or when the file is busy) through the pool.
async fn read(
    db: &Db,
    sql: &'static str,
    args: &[Arg],
    at_most: u32,
) -> sqlx::Result<Vec<StoredEntry>> {
    if let Some(read) = sqlite::read(db, sql, args, at_most).await {
        return read;
    }
    let mut conn = db.acquire().await?;
    any::fetch(&mut conn, sql, args).await
}

/// An entry and the row id of its owner.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: Entry,
    pub user_id: String,
}

/// A row of [`VIEW`] as stored, before it is parsed into an [`Entry`].
#[derive(FromRow)]
struct EntryRecord {
    id: String,
    user_id: String,
    work_date: String,
    minutes: i64,
    note: Option<String>,
    status: String,
    decision_note: Option<String>,
    source: String,
    external_id: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    project_code: String,
    project_name: String,
    issuer: String,
    subject: String,
    email: Option<String>,
    user_name: Option<String>,
}

/// Rows were written by this program through the domain types; one that does not parse
/// is corruption, reported as a decode error rather than shown half-read.
fn corrupt(column: &'static str) -> impl FnOnce(app::domain::ValidationError) -> sqlx::Error {
    move |error| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: Box::new(error),
    }
}

impl EntryRecord {
    fn parse(self) -> sqlx::Result<StoredEntry> {
        let minutes = u32::try_from(self.minutes)
            .ok()
            .and_then(|m| Minutes::new(m).ok())
            .ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "minutes".into(),
                source: "out of range".into(),
            })?;
        let status: EntryStatus = self.status.parse().map_err(corrupt("status"))?;
        Ok(StoredEntry {
            user_id: self.user_id,
            entry: Entry {
                id: EntryId::parse(&self.id).map_err(corrupt("id"))?,
                user_id: self.subject.clone(),
                owner: Owner {
                    issuer: self.issuer,
                    subject: self.subject,
                    email: self.email,
                    name: self.user_name,
                },
                date: WorkDate::parse(&self.work_date).map_err(corrupt("work_date"))?,
                project: ProjectCode::parse(&self.project_code).map_err(corrupt("project_code"))?,
                project_name: self.project_name,
                hours: minutes.hours(),
                minutes,
                note: self.note,
                status,
                approved: status == EntryStatus::Approved,
                decision_note: self.decision_note,
                source: self.source,
                external_id: self.external_id,
                version: self.version,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
        })
    }
}

/// [`get`]'s statement, built once.
static GET: LazyLock<String> = LazyLock::new(|| entries_sql("WHERE id = $1", "id", ""));

/// One entry, on the caller's connection (inside its write transaction, when there is
/// one: it must see the transaction's own changes).
pub async fn get(conn: &mut AnyConnection, id: EntryId) -> sqlx::Result<Option<StoredEntry>> {
    let mut found = any::fetch(conn, &GET, &[Arg::Text(id.to_string())]).await?;
    Ok(found.pop())
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
pub async fn insert_many(tx: &mut WriteTx, rows: &[NewRow<'_>]) -> sqlx::Result<()> {
    let conn: &mut AnyConnection = tx;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO entries (id, user_id, project_id, work_date, minutes, note, status,
                                  source, external_id, created_at, updated_at)
             VALUES {}",
            Params::of(conn).rows(chunk.len(), 11)
        );
        let mut query = bulk(sql);
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
        let mut query = bulk(sql).bind(source);
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

/// [`list_for_user`]'s statement, built once: it is the most frequent read.
static LIST_FOR_USER: LazyLock<String> = LazyLock::new(|| {
    entries_sql(
        "WHERE user_id = (SELECT id FROM users WHERE issuer = $1 AND subject = $2)
           AND work_date >= $3 AND work_date <= $4
           AND (work_date > $5 OR (work_date = $5 AND id > $6))",
        "work_date, id",
        "LIMIT $7",
    )
});

/// One person's entries (by issuer and subject, in one statement) from `from` to `to`
/// (inclusive), ordered by date then id, after the `(date, id)` position of `after`; at
/// most `limit`.
pub async fn list_for_user(
    db: &Db,
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
    let args = [
        Arg::Text(issuer.to_owned()),
        Arg::Text(subject.to_owned()),
        Arg::Text(from.to_string()),
        Arg::Text(to.to_string()),
        Arg::Text(after_date),
        Arg::Text(after_id),
        Arg::Int(i64::from(limit)),
    ];
    // The week screen's read, the most frequent request.
    Ok(entries_only(read(db, &LIST_FOR_USER, &args, limit).await?))
}

/// Submitted entries of everyone but `user_id`, oldest work first.
pub async fn awaiting_approval(
    db: &Db,
    except_user_id: &str,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    static AWAITING: LazyLock<String> = LazyLock::new(|| {
        entries_sql(
            "WHERE status = 'submitted' AND user_id <> $1",
            "subject, work_date, id",
            "LIMIT $2",
        )
    });
    let args = [
        Arg::Text(except_user_id.to_owned()),
        Arg::Int(i64::from(limit)),
    ];
    Ok(entries_only(read(db, &AWAITING, &args, limit).await?))
}

/// Moves the entry to `status` if it is still at `version`; false when someone else
/// changed it first.
pub async fn set_status(
    tx: &mut WriteTx,
    id: EntryId,
    version: i64,
    status: EntryStatus,
    decision_note: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
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
pub async fn delete(tx: &mut WriteTx, id: EntryId, version: i64) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
    let result = sqlx::query("DELETE FROM entries WHERE id = $1 AND version = $2")
        .bind(id.to_string())
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// The user's entries in `status` from `from` to `to`, by date, inside the caller's
/// (write) transaction.
pub async fn with_status_in_range(
    conn: &mut AnyConnection,
    user_id: &str,
    status: EntryStatus,
    from: WorkDate,
    to: WorkDate,
) -> sqlx::Result<Vec<StoredEntry>> {
    static WITH_STATUS: LazyLock<String> = LazyLock::new(|| {
        entries_sql(
            "WHERE user_id = $1 AND status = $2 AND work_date >= $3 AND work_date <= $4",
            "work_date, id",
            "",
        )
    });
    let args = [
        Arg::Text(user_id.to_owned()),
        Arg::Text(status.as_str().to_owned()),
        Arg::Text(from.to_string()),
        Arg::Text(to.to_string()),
    ];
    any::fetch(conn, &WITH_STATUS, &args).await
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
    tx: &mut WriteTx,
    id: EntryId,
    version: i64,
    content: &Content<'_>,
    now: i64,
) -> sqlx::Result<bool> {
    let conn: &mut AnyConnection = tx;
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
    db: &Db,
    user_id: Option<&str>,
    status: Option<EntryStatus>,
    from: WorkDate,
    to: WorkDate,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    // Empty strings stand for "any": no entry has an empty user id or status.
    static IN_RANGE: LazyLock<String> = LazyLock::new(|| {
        entries_sql(
            "WHERE work_date >= $1 AND work_date <= $2
               AND ($3 = '' OR user_id = $3) AND ($4 = '' OR status = $4)",
            "work_date, issuer, subject, id",
            "LIMIT $5",
        )
    });
    let args = [
        Arg::Text(from.to_string()),
        Arg::Text(to.to_string()),
        Arg::Text(user_id.unwrap_or_default().to_owned()),
        Arg::Text(
            status
                .map(EntryStatus::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        Arg::Int(i64::from(limit)),
    ];
    Ok(entries_only(read(db, &IN_RANGE, &args, limit).await?))
}

fn entries_only(stored: Vec<StoredEntry>) -> Vec<Entry> {
    stored.into_iter().map(|stored| stored.entry).collect()
}

#[cfg(test)]
mod tests {
    use super::{EntryRecord, COLUMNS, LIST_FOR_USER};

    /// A stored value for each column of the view.
    fn sample(column: &str) -> serde_json::Value {
        match column {
            "id" => "47c94fdc-27c6-4eeb-b8cd-01a3cad5c404".into(),
            "work_date" => "2026-11-16".into(),
            "status" => "submitted".into(),
            "project_code" => "ACME".into(),
            "minutes" => 450.into(),
            "version" | "created_at" | "updated_at" => 7.into(),
            other => format!("the {other}").into(),
        }
    }

    /// Every column arrived in its own field (a column left out would read as a silent
    /// `None`, or as another column's value).
    fn assert_whole(record: EntryRecord) {
        let stored = record.parse().expect("a valid entry");
        let entry = stored.entry;
        assert_eq!(stored.user_id, "the user_id");
        assert_eq!(entry.note.as_deref(), Some("the note"));
        assert_eq!(entry.decision_note.as_deref(), Some("the decision_note"));
        assert_eq!(entry.external_id.as_deref(), Some("the external_id"));
        assert_eq!(entry.owner.email.as_deref(), Some("the email"));
        assert_eq!(entry.owner.name.as_deref(), Some("the user_name"));
        assert_eq!(entry.project_name, "the project_name");
        assert_eq!(entry.source, "the source");
        assert_eq!(entry.minutes.get(), 450);
    }

    /// A `SELECT` of every column of the view with its sample value.
    fn sample_row_sql() -> String {
        let select: Vec<String> = COLUMNS
            .iter()
            .map(|&column| {
                let value = match sample(column) {
                    serde_json::Value::String(text) => format!("'{text}'"),
                    other => other.to_string(),
                };
                format!("{value} AS {column}")
            })
            .collect();
        format!("SELECT {}", select.join(", "))
    }

    /// The rows sqlx decodes (PostgreSQL, write transactions): every column by its name.
    #[tokio::test]
    async fn a_sqlx_row_of_every_column_is_one_whole_record() {
        use sqlx::{Connection, FromRow};

        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let row = sqlx::query(sqlx::AssertSqlSafe(sample_row_sql()))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_whole(EntryRecord::from_row(&row).expect("every column is read"));

        let missing = sqlx::query("SELECT 'x' AS id")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert!(EntryRecord::from_row(&missing).is_err());
    }

    /// `from_sqlite_row` reads by position: the week read's rows must have `COLUMNS`, in
    /// order.
    #[test]
    fn the_week_read_has_the_columns_in_their_order() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../../migrations/sqlite/0001_core.sql"))
            .unwrap();
        let statement = conn.prepare(&LIST_FOR_USER).unwrap();
        assert_eq!(statement.column_names(), COLUMNS);
    }

    /// The rows `sqlite_reader` reads: every column in its place.
    #[test]
    fn a_sqlite_row_of_every_column_is_one_whole_record() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sql = sample_row_sql();
        let record = conn
            .query_row(&sql, [], EntryRecord::from_sqlite_row)
            .expect("every column is read");
        assert_whole(record);

        let missing = conn.query_row("SELECT 'x' AS id", [], EntryRecord::from_sqlite_row);
        assert!(missing.is_err());
    }
}

//! `entries`: the time entries, read as [`Entry`] views joined with project and owner.

use app::{
    domain::{EntryId, EntryStatus, Minutes, Note, ProjectCode, WorkDate},
    entries::{Entry, Owner},
};
use std::{collections::HashMap, sync::LazyLock};

use serde::Deserialize;
use sqlx::{AnyConnection, FromRow, Row};

use super::{is_sqlite, Params};
use crate::{db::Db, sqlite_reader::Arg};

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
/// (names of those columns), then `tail` (`LIMIT …` or nothing): rows on PostgreSQL,
/// one row holding them as a JSON array on SQLite.
///
/// Why JSON on SQLite: there every statement is a hand-off to the connection's worker
/// thread, and every row another hand-off back, each a thread wake-up: a week read under
/// `make bench`'s load cost 175 µs of server CPU as five rows, 125 µs as one. On
/// PostgreSQL rows arrive together on the socket, and building the JSON there made the
/// same read 17 % slower.
fn entries_sql(conn: &AnyConnection, clause: &str, order: &str, tail: &str) -> String {
    let rows = rows_sql(clause, order, tail);
    if is_sqlite(conn) {
        json_sql(&rows, order)
    } else {
        rows
    }
}

fn rows_sql(clause: &str, order: &str, tail: &str) -> String {
    format!("SELECT * FROM ({VIEW}) AS r {clause} ORDER BY {order} {tail}")
}

/// The statement returning the rows of `rows` (in `order`) as one JSON array.
fn json_sql(rows: &str, order: &str) -> String {
    format!(
        "SELECT json_group_array(json_object({}) ORDER BY {order}) AS entries FROM ({rows}) AS v",
        *JSON_FIELDS
    )
}

/// [`entries_sql`] for both backends, built once, for a statement run on every request.
struct EntriesSql {
    rows: String,
    json: String,
}

impl EntriesSql {
    fn new(clause: &str, order: &str, tail: &str) -> EntriesSql {
        let rows = rows_sql(clause, order, tail);
        let json = json_sql(&rows, order);
        EntriesSql { rows, json }
    }

    fn for_conn(&self, conn: &AnyConnection) -> &str {
        if is_sqlite(conn) {
            &self.json
        } else {
            &self.rows
        }
    }
}

/// `'id', v.id, 'user_id', v.user_id, …`: the arguments of `json_object` for a row.
static JSON_FIELDS: LazyLock<String> = LazyLock::new(|| {
    let fields: Vec<String> = COLUMNS
        .iter()
        .map(|column| format!("'{column}', v.{column}"))
        .collect();
    fields.join(", ")
});

/// Runs a statement made by [`entries_sql`] and parses its entries.
async fn fetch_entries<'q>(
    conn: &mut AnyConnection,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> sqlx::Result<Vec<StoredEntry>> {
    if is_sqlite(conn) {
        let json: String = query.fetch_one(&mut *conn).await?.try_get("entries")?;
        return parse_json(&json);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| EntryRecord::from_row(row)?.parse())
        .collect()
}

/// Entries from a JSON array made by [`json_sql`].
fn parse_json(json: &str) -> sqlx::Result<Vec<StoredEntry>> {
    let records: Vec<EntryRecord> =
        serde_json::from_str(json).map_err(|error| sqlx::Error::ColumnDecode {
            index: "entries".into(),
            source: Box::new(error),
        })?;
    records.into_iter().map(EntryRecord::parse).collect()
}

/// An entry and the row id of its owner.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub entry: Entry,
    pub user_id: String,
}

/// A row of [`VIEW`] as stored, before it is parsed into an [`Entry`].
#[derive(Deserialize, FromRow)]
#[serde(deny_unknown_fields)]
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
    /// A row of [`VIEW`] read on the calling thread by `sqlite_reader`. By position, not
    /// by name: a name is looked up among all the row's columns, which cost a week read
    /// 5 % of its time.
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRecord> {
        Ok(EntryRecord {
            id: row.get(const { column("id") })?,
            user_id: row.get(const { column("user_id") })?,
            work_date: row.get(const { column("work_date") })?,
            minutes: row.get(const { column("minutes") })?,
            note: row.get(const { column("note") })?,
            status: row.get(const { column("status") })?,
            decision_note: row.get(const { column("decision_note") })?,
            source: row.get(const { column("source") })?,
            external_id: row.get(const { column("external_id") })?,
            version: row.get(const { column("version") })?,
            created_at: row.get(const { column("created_at") })?,
            updated_at: row.get(const { column("updated_at") })?,
            project_code: row.get(const { column("project_code") })?,
            project_name: row.get(const { column("project_name") })?,
            issuer: row.get(const { column("issuer") })?,
            subject: row.get(const { column("subject") })?,
            email: row.get(const { column("email") })?,
            user_name: row.get(const { column("user_name") })?,
        })
    }

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

pub async fn get(conn: &mut AnyConnection, id: EntryId) -> sqlx::Result<Option<StoredEntry>> {
    let sql = entries_sql(conn, "WHERE id = $1", "id", "");
    let mut found = fetch_entries(conn, sqlx::query(&sql).bind(id.to_string())).await?;
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

/// [`list_for_user`]'s statement, built once: it is the most frequent read.
static LIST_FOR_USER: LazyLock<EntriesSql> = LazyLock::new(|| {
    EntriesSql::new(
        "WHERE user_id = (SELECT id FROM users WHERE issuer = $1 AND subject = $2)
           AND work_date >= $3 AND work_date <= $4
           AND (work_date > $5 OR (work_date = $5 AND id > $6))",
        "work_date, id",
        "LIMIT $7",
    )
});

/// Pages of up to this many rows are read on the request's thread: the default page of
/// 100 plus the one that tells whether another follows, ~0.5 ms at most (about 5 µs a row
/// on a 2-core AMD EPYC). Longer ones would hold up the thread's other requests, so they
/// go to sqlx's connection thread.
const INLINE_MAX_ROWS: u32 = 101;

/// The user's entries from `from` to `to` (inclusive), ordered by date then id, after
/// the `(date, id)` position of `after`; at most `limit`.
/// One person's entries (by issuer and subject: one statement, no separate user look-up,
/// which is what a read costs most on SQLite, where each statement is a thread hop).
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
    // The week screen's read, the most frequent request: on a SQLite file it runs on this
    // thread (see `sqlite_reader`) when the page is short, as rows: without sqlx's thread
    // hops one row costs no more than one JSON array, and neither SQLite nor we spend
    // time writing and reading JSON.
    if let Some(reader) = db.sqlite_reader().filter(|_| limit <= INLINE_MAX_ROWS) {
        let read = reader
            .rows(&LIST_FOR_USER.rows, &args, EntryRecord::from_sqlite_row)
            .map_err(|error| sqlx::Error::AnyDriverError(Box::new(error)))?;
        if let Some(records) = read {
            return records
                .into_iter()
                .map(|record| Ok(record.parse()?.entry))
                .collect();
        }
    }
    let mut conn = db.pool().acquire().await?;
    let query = args
        .iter()
        .fold(sqlx::query(LIST_FOR_USER.for_conn(&conn)), |query, arg| {
            arg.bind(query)
        });
    Ok(entries_only(fetch_entries(&mut conn, query).await?))
}

/// Submitted entries of everyone but `user_id`, oldest work first.
pub async fn awaiting_approval(
    conn: &mut AnyConnection,
    except_user_id: &str,
    limit: u32,
) -> sqlx::Result<Vec<Entry>> {
    let sql = entries_sql(
        conn,
        "WHERE status = 'submitted' AND user_id <> $1",
        "subject, work_date, id",
        "LIMIT $2",
    );
    let query = sqlx::query(&sql)
        .bind(except_user_id)
        .bind(i64::from(limit));
    Ok(entries_only(fetch_entries(conn, query).await?))
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
    let sql = entries_sql(
        conn,
        "WHERE user_id = $1 AND status = $2 AND work_date >= $3 AND work_date <= $4",
        "work_date, id",
        "",
    );
    let query = sqlx::query(&sql)
        .bind(user_id)
        .bind(status.as_str())
        .bind(from.to_string())
        .bind(to.to_string());
    fetch_entries(conn, query).await
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
    let sql = entries_sql(
        conn,
        "WHERE work_date >= $1 AND work_date <= $2
           AND ($3 = '' OR user_id = $3) AND ($4 = '' OR status = $4)",
        "work_date, issuer, subject, id",
        "LIMIT $5",
    );
    let query = sqlx::query(&sql)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(user_id.unwrap_or_default())
        .bind(status.map(EntryStatus::as_str).unwrap_or_default())
        .bind(i64::from(limit));
    Ok(entries_only(fetch_entries(conn, query).await?))
}

fn entries_only(stored: Vec<StoredEntry>) -> Vec<Entry> {
    stored.into_iter().map(|stored| stored.entry).collect()
}

#[cfg(test)]
mod tests {
    use super::{EntryRecord, COLUMNS, JSON_FIELDS, LIST_FOR_USER};

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

    /// SQLite's JSON rows are built from `COLUMNS`; the record must take each of them,
    /// and only them.
    #[test]
    fn the_json_of_every_column_is_one_whole_record() {
        let object: serde_json::Map<String, serde_json::Value> = COLUMNS
            .iter()
            .map(|&column| (column.to_owned(), sample(column)))
            .collect();
        let record: EntryRecord =
            serde_json::from_value(object.into()).expect("every column is a field");
        assert_whole(record);
        assert_eq!(JSON_FIELDS.matches(", v.").count(), COLUMNS.len());

        let unknown = serde_json::json!({ "id": "x", "colour": "red" });
        assert!(serde_json::from_value::<EntryRecord>(unknown).is_err());
    }

    /// `from_sqlite_row` reads by position: the week read's rows must have `COLUMNS`, in
    /// order.
    #[test]
    fn the_week_read_has_the_columns_in_their_order() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../migrations/sqlite/0001_core.sql"))
            .unwrap();
        let statement = conn.prepare(&LIST_FOR_USER.rows).unwrap();
        assert_eq!(statement.column_names(), COLUMNS);
    }

    /// The rows `sqlite_reader` reads: every column in its place.
    #[test]
    fn a_sqlite_row_of_every_column_is_one_whole_record() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
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
        let sql = format!("SELECT {}", select.join(", "));
        let record = conn
            .query_row(&sql, [], EntryRecord::from_sqlite_row)
            .expect("every column is read");
        assert_whole(record);

        let missing = conn.query_row("SELECT 'x' AS id", [], EntryRecord::from_sqlite_row);
        assert!(missing.is_err());
    }
}

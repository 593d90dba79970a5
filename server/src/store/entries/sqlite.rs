//! Entry reads of a SQLite file by rusqlite, without sqlx's worker-thread hand-offs
//! (`db::sqlite_reader`): every read outside a write transaction.

use db::{sqlite_reader::Arg, Db};

use super::{column, EntryRecord, StoredEntry};

/// Pages of up to this many rows are read on the request's thread: the default page of
/// 100 plus the one that tells whether another follows, well under a millisecond
/// (docs/decisions/0002). Longer ones (approval queues, exports) would hold up the
/// thread's other requests, so they run on a blocking thread.
const INLINE_MAX_ROWS: u32 = 101;

/// The entries `sql` selects, or `None` when this is no SQLite file or the file is busy
/// (WAL recovery, a checkpoint): then sqlx reads, and waits without holding a thread.
pub(super) async fn read(
    db: &Db,
    sql: &'static str,
    args: &[Arg],
    at_most: u32,
) -> Option<sqlx::Result<Vec<StoredEntry>>> {
    let reader = db.sqlite_reader()?;
    let read = if at_most <= INLINE_MAX_ROWS {
        reader.rows(sql, args, EntryRecord::from_sqlite_row)
    } else {
        let (reader, args) = (reader.clone(), args.to_vec());
        let blocking = tokio::task::spawn_blocking(move || {
            reader.rows(sql, &args, EntryRecord::from_sqlite_row)
        });
        match blocking.await {
            Ok(read) => read,
            Err(error) => return Some(Err(sqlx::Error::AnyDriverError(Box::new(error)))),
        }
    };
    match read {
        Ok(Some(records)) => Some(records.into_iter().map(EntryRecord::parse).collect()),
        Ok(None) => None,
        Err(error) => Some(Err(sqlx::Error::AnyDriverError(Box::new(error)))),
    }
}

impl EntryRecord {
    /// A row of [`VIEW`] read by `sqlite_reader`. By position, not
    /// by name: a name is looked up among all the row's columns, a measurable share of a
    /// week read.
    pub(super) fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRecord> {
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
}

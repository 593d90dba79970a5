//! Entry reads through sqlx: on PostgreSQL, inside write transactions (either backend),
//! and when a SQLite file is busy for rusqlite.

use db::sqlite_reader::Arg;
use sqlx::{AnyConnection, FromRow};

use super::{EntryRecord, StoredEntry};

/// The entries `sql` selects with `args`, on `conn`. Columns by name (`FromRow`).
pub(super) async fn fetch(
    conn: &mut AnyConnection,
    sql: &'static str,
    args: &[Arg],
) -> sqlx::Result<Vec<StoredEntry>> {
    let query = args
        .iter()
        .fold(sqlx::query(sql), |query, arg| arg.bind(query));
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| EntryRecord::from_row(row)?.parse())
        .collect()
}

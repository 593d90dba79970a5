//! Short SQLite reads on the request's own thread.
//!
//! sqlx runs every SQLite connection on a thread of its own: a statement is a hand-off
//! to that thread and back, and sqlx's pool sends another (a ping) when the connection
//! is returned. Each hand-off wakes a sleeping thread, and on a week read under load
//! those wake-ups were most of the request's cost. So the hottest read, a page of
//! someone's entries, runs here on read-only rusqlite connections to the same file, on
//! the thread that serves the request. In WAL mode a reader never waits for the writer;
//! should the database be busy anyway (WAL recovery, a checkpoint resetting the log),
//! the caller falls back to sqlx, which waits without holding this thread. Writes,
//! migrations and PostgreSQL stay on sqlx.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use rusqlite::{types::ToSqlOutput, Connection, ErrorCode, OpenFlags, Row, ToSql};

/// A statement parameter, bound the same way here and through sqlx.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Text(text) => text.to_sql(),
            Arg::Int(n) => n.to_sql(),
        }
    }
}

impl Arg {
    /// Binds the argument to a sqlx query (the other path to the same statement).
    pub fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match self {
            Arg::Text(text) => query.bind(text.as_str()),
            Arg::Int(n) => query.bind(*n),
        }
    }
}

/// Read-only connections to one SQLite file, opened as needed and kept for reuse. A
/// connection is only ever used between two awaits, so there are at most as many as
/// threads that read at once.
#[derive(Debug)]
pub struct SqliteReader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// A connection of its own and the `data_version` it last saw (see [`Self::changed`]).
    watch: Mutex<Option<(Connection, i64)>>,
    /// When the last look at `data_version` began, in nanoseconds after `epoch`; stored
    /// once that look is over.
    looked: AtomicU64,
    epoch: Instant,
}

/// How soon a commit by another process is seen: [`SqliteReader::changed`] looks at most
/// this often. Looking costs a read transaction (shared-memory locks, system calls), a
/// large share of a cached week read if done for every read (docs/decisions/0003).
pub const OTHERS_SEEN_WITHIN: Duration = Duration::from_millis(1);

impl SqliteReader {
    pub fn new(path: &Path) -> SqliteReader {
        SqliteReader {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            watch: Mutex::new(None),
            looked: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Runs `react` when any other connection — this server's writer, or another
    /// process such as the `timesheets` CLI — committed to the file since the last look.
    /// SQLite's `PRAGMA data_version` tells one connection exactly that. It looks at most
    /// every [`OTHERS_SEEN_WITHIN`], so a commit made that long before a call is always
    /// seen by it (a writer outside this process that waits that long after committing
    /// knows its change is seen). The first look, and a failed one, react: a caller that
    /// cannot tell must assume a change.
    pub fn after_others_commit(&self, react: impl FnOnce()) {
        let since_epoch = |at: Instant| {
            u64::try_from(at.duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
        };
        let start = Instant::now();
        let last = self.looked.load(Ordering::Acquire);
        let window = u64::try_from(OTHERS_SEEN_WITHIN.as_nanos()).unwrap_or(u64::MAX);
        if last != 0 && since_epoch(start).saturating_sub(last) < window {
            return;
        }
        if self.look() {
            react();
        }
        // Stored after the reaction: whoever skips the look on the strength of this one
        // sees what the reaction did.
        self.looked
            .store(since_epoch(start).max(1), Ordering::Release);
    }

    fn look(&self) -> bool {
        let Ok(mut watch) = self.watch.lock() else {
            return true;
        };
        if let Some((conn, seen)) = watch.as_mut() {
            if let Ok(now) = data_version(conn) {
                let changed = now != *seen;
                *seen = now;
                return changed;
            }
        }
        // No watch yet, or a broken one: open it anew.
        *watch = self.open().ok().and_then(|conn| {
            let version = data_version(&conn).ok()?;
            Some((conn, version))
        });
        true
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The statement's rows, each read by `read`. `$N` in `sql` is `args[N-1]`.
    /// `Ok(None)` when the database is busy this instant: run the statement through sqlx.
    pub fn rows<T>(
        &self,
        sql: &str,
        args: &[Arg],
        read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<Vec<T>>> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = query_rows(&conn, sql, args, read);
        match result {
            Ok(rows) => {
                self.give_back(conn);
                Ok(Some(rows))
            }
            Err(error) if is_busy(&error) => {
                self.give_back(conn);
                Ok(None)
            }
            // A connection that failed otherwise is dropped, not reused.
            Err(error) => Err(error),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never wait on this thread: a busy database is sqlx's to wait for.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}

fn query_rows<T>(
    conn: &Connection,
    sql: &str,
    args: &[Arg],
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    // `$N` is `args[N-1]`, as sqlx binds it; SQLite itself numbers named parameters in
    // order of first use, so each is bound by the number in its name.
    for index in 1..=statement.parameter_count() {
        let arg = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$')?.parse::<usize>().ok())
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, args.len()))?;
        statement.raw_bind_parameter(index, arg)?;
    }
    statement.raw_query().mapped(read).collect()
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::{Arg, SqliteReader};
    use rusqlite::Connection;

    /// A WAL database with one table, as the server's sqlx pool leaves it, and its writer.
    fn database(dir: &tempfile::TempDir) -> (SqliteReader, Connection) {
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE notes (n INTEGER PRIMARY KEY, text TEXT NOT NULL);
                 INSERT INTO notes VALUES (1, 'first');",
            )
            .unwrap();
        (SqliteReader::new(&path), writer)
    }

    /// The first column of every row, as text.
    fn texts(
        reader: &SqliteReader,
        sql: &str,
        args: &[Arg],
    ) -> rusqlite::Result<Option<Vec<String>>> {
        reader.rows(sql, args, |row| row.get(0))
    }

    #[test]
    fn a_commit_by_another_connection_is_seen_at_the_next_look() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, writer) = database(&dir);
        let changed = || {
            // Past the window, so this call looks.
            std::thread::sleep(super::OTHERS_SEEN_WITHIN * 2);
            let mut seen = false;
            reader.after_others_commit(|| seen = true);
            seen
        };
        assert!(changed(), "the first look cannot know");
        assert!(!changed());
        writer
            .execute("INSERT INTO notes VALUES (2, 'second')", [])
            .unwrap();
        assert!(changed());
        assert!(!changed());
        // Another process would be another connection just the same.
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        other.execute("DELETE FROM notes WHERE n = 2", []).unwrap();
        assert!(changed());
    }

    #[test]
    fn dollar_parameters_are_bound_by_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, _writer) = database(&dir);
        // First used in the order $3, $1, $3, $2: SQLite alone would number them 1, 2, 1, 3.
        let text = texts(
            &reader,
            "SELECT $3 || '-' || $1 || '-' || $3 || '-' || $2",
            &[Arg::Text("a".into()), Arg::Int(7), Arg::Text("c".into())],
        )
        .unwrap();
        assert_eq!(text, Some(vec!["c-a-c-7".to_owned()]));
    }

    #[test]
    fn a_parameter_without_its_argument_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, _writer) = database(&dir);
        for sql in ["SELECT $1 || $2", "SELECT $0", "SELECT ?"] {
            let error = texts(&reader, sql, &[Arg::Text("a".into())]).unwrap_err();
            assert!(
                matches!(error, rusqlite::Error::InvalidParameterCount(..)),
                "{sql}: {error}"
            );
        }
    }

    #[test]
    fn every_read_sees_the_latest_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, writer) = database(&dir);
        let read = || texts(&reader, "SELECT text FROM notes ORDER BY n", &[]).unwrap();
        assert_eq!(read(), Some(vec!["first".to_owned()]));
        // The connection (and its prepared statement) is reused, its snapshot is not.
        writer
            .execute("INSERT INTO notes VALUES (2, 'second')", [])
            .unwrap();
        assert_eq!(read(), Some(vec!["first".to_owned(), "second".to_owned()]));
    }

    #[test]
    fn it_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, writer) = database(&dir);
        let error = texts(
            &reader,
            "INSERT INTO notes VALUES (3, 'x') RETURNING text",
            &[],
        )
        .unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");
        let count: i64 = writer
            .query_row("SELECT count(*) FROM notes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn a_busy_database_is_left_to_the_caller_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, writer) = database(&dir);
        // A writer in exclusive locking mode shuts every other connection out, even a
        // WAL reader: the reader must say so at once rather than block its thread.
        writer
            .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
            .unwrap();
        let started = std::time::Instant::now();
        let read = texts(&reader, "SELECT text FROM notes", &[]).unwrap();
        assert_eq!(read, None);
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        writer
            .execute_batch("COMMIT; PRAGMA locking_mode = NORMAL; SELECT 1 FROM notes;")
            .unwrap();
        drop(writer);
        let read = texts(&reader, "SELECT text FROM notes", &[]).unwrap();
        assert_eq!(read, Some(vec!["first".to_owned()]));
    }

    #[test]
    fn a_statement_without_rows_reads_none_and_a_bad_column_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (reader, _writer) = database(&dir);
        let read = texts(
            &reader,
            "SELECT text FROM notes WHERE n = $1",
            &[Arg::Int(99)],
        );
        assert_eq!(read.unwrap(), Some(Vec::new()));
        // The reader's own error stops the read: an integer is not text.
        let error = texts(&reader, "SELECT n FROM notes", &[]).unwrap_err();
        assert!(
            matches!(error, rusqlite::Error::InvalidColumnType(..)),
            "{error}"
        );
    }
}

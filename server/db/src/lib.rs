//! The database: one `sqlx::AnyPool` for SQLite (embedded default) and PostgreSQL.
//!
//! Queries are runtime queries written once in portable SQL (`$1` placeholders,
//! `RETURNING`); each backend has its own migration folder with the same version
//! numbers. Portable types only: TEXT (ids, ISO dates), BIGINT (numbers, flags 0/1,
//! timestamps in Unix milliseconds).

use std::{
    fs::{File, OpenOptions, TryLockError},
    ops::{Deref, DerefMut},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use sqlx::{any::AnyPoolOptions, migrate::Migrator, AnyPool, Connection, Executor};

pub mod clock;
mod errors;
pub mod sql;
pub mod sqlite_reader;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod url;
pub mod watch;

pub use errors::{is_away, is_unique_violation};
pub use url::{Backend, DatabaseUrl};

use sqlite_reader::SqliteReader;
use watch::Watch;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// A PostgreSQL connection idle for this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// A pool of connections to one database, and which backend it is.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// For a SQLite file: read-only connections for the hottest reads.
    reader: Option<Arc<SqliteReader>>,
    /// For a SQLite file: the one connection that writes (see [`Db::begin_write`]).
    writer: Option<AnyPool>,
    /// See [`Db::write_generation`].
    generation: Arc<AtomicU64>,
    /// On PostgreSQL: how writes are announced to, and heard from, other servers.
    watch: Option<Arc<Watch>>,
    /// Keeps the listener's thread running while any clone of this `Db` lives.
    listening: Option<Arc<watch::Listening>>,
}

/// A write transaction (see [`Db::begin_write`]): sqlx's, dereferencing to its connection
/// as sqlx's does, whose commit moves the write generation on.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    generation: Arc<AtomicU64>,
    watch: Option<Arc<Watch>>,
}

impl WriteTx {
    /// Commits, then moves the write generation on before the caller (and so its client)
    /// hears back: a client never reads a page from before its own acknowledged write.
    /// On PostgreSQL the write is announced to the other servers too, and the caller hears
    /// back only [`watch::COMMIT_WAIT`] after the commit, when no other server's cache
    /// lease from before it still runs (see [`watch`]).
    /// A transaction dropped instead changes nothing, unless it was dropped mid-commit:
    /// the SQLite writer's `after_release` covers that one.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        if let Some(watch) = &self.watch {
            watch.announce(&mut self.tx).await?;
        }
        let committed = self.tx.commit().await;
        next_generation(&self.generation);
        if self.watch.is_some() {
            // The connection is back in the pool: the wait holds only this caller.
            tokio::time::sleep(watch::COMMIT_WAIT).await;
        }
        committed
    }
}

impl Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// See [`Db::write_generation`].
fn next_generation(generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::Release);
}

/// This server's claim on its SQLite file (see [`Db::claim_for_serving`]): an exclusive
/// lock on `<file>-server.lock`, let go when dropped or when the process ends, however
/// it ends.
#[derive(Debug)]
pub struct SqliteClaim {
    _lock: File,
}

/// Waits until whatever a transaction left queued on a returned connection has landed:
/// a dropped `Transaction` queues its rollback, and a request dropped mid-commit leaves
/// its `COMMIT` in flight, on the connection's worker. Only then may the write generation
/// move on (a page read earlier must not be cached as current). A connection still inside
/// a transaction after that round trip would keep SQLite's write lock: it is closed
/// (closing rolls back) rather than handed out again.
async fn settled(conn: &mut sqlx::AnyConnection) -> sqlx::Result<bool> {
    if conn.is_in_transaction() {
        conn.ping().await?;
        if conn.is_in_transaction() {
            tracing::warn!("a connection was returned inside a transaction; closing it");
            return Ok(false);
        }
    }
    Ok(true)
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        if let Some(parent) = url.sqlite_file().and_then(Path::parent) {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).with_context(|| {
                    format!("cannot create the database folder {}", parent.display())
                })?;
            }
        }
        let backend = url.backend();
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            // sqlx would ping every connection it hands out: a round trip to PostgreSQL
            // (or to a SQLite connection's worker thread) before each request's own query.
            // A SQLite connection is a file opened in this process and cannot break that
            // way. A PostgreSQL one can (a server restart, a dropped link), but only while
            // it sits idle: one used moments ago answered then, and a failed query's
            // connection is dropped when it is returned. So, like HikariCP's
            // `aliveBypassWindowMs`, only PostgreSQL connections idle for a while are pinged.
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; FULL syncs every commit,
                        // so an acknowledged entry survives a crash or power loss; the busy
                        // timeout queues writers instead of failing them.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 5000",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            });
        let pool = options
            .clone()
            .max_connections(max_connections)
            .connect(url.expose())
            .await
            .with_context(|| format!("cannot connect to the database at {url}"))?;
        let generation = Arc::new(AtomicU64::new(0));
        let (reader, writer) = match url.sqlite_file() {
            Some(file) => {
                let after_write = Arc::clone(&generation);
                let writer = options
                    .max_connections(1)
                    // sqlx closes a connection past its lifetime without `after_release`,
                    // which must see every transaction out; a file needs no recycling.
                    .max_lifetime(None)
                    .after_release(move |conn, _meta| {
                        let after_write = Arc::clone(&after_write);
                        Box::pin(async move {
                            let keep = settled(conn).await;
                            next_generation(&after_write);
                            keep
                        })
                    })
                    .connect(url.expose())
                    .await
                    .with_context(|| format!("cannot connect to the database at {url}"))?;
                (Some(Arc::new(SqliteReader::new(file))), Some(writer))
            }
            None => (None, None),
        };
        Ok(Db {
            pool,
            backend,
            reader,
            writer,
            generation,
            watch: (backend == Backend::Postgres).then(Watch::new),
            listening: None,
        })
    }

    /// On PostgreSQL, listens for other servers' writes from now on, as long as this `Db`
    /// or a clone made after this call lives, so that pages read here can be cached (see
    /// [`watch`]); on SQLite there are none to hear.
    pub fn watch_other_writers(&mut self, url: &DatabaseUrl) -> anyhow::Result<()> {
        if let Some(watch) = &self.watch {
            let generation = Arc::clone(&self.generation);
            let listening = watch
                .listen_apart(url.expose().to_owned(), move || {
                    next_generation(&generation)
                })
                .context("cannot start the listener for other servers' writes")?;
            self.listening = Some(Arc::new(listening));
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reads, and for the embedded provider's own tables (sign-in
    /// state, which no cached page shows). The API's tables are written only in a
    /// [`WriteTx`]: their store functions take one, so every such write moves the write
    /// generation.
    pub async fn acquire(&self) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.pool.acquire().await
    }

    /// The pool itself, for tests that set up or inspect a database with plain SQL.
    #[cfg(any(test, feature = "testing"))]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Read-only connections that run a read on the calling thread (or, shared, on a
    /// blocking one): for a SQLite file only (an in-memory database is private to its
    /// connection).
    pub fn sqlite_reader(&self) -> Option<&Arc<SqliteReader>> {
        self.reader.as_ref()
    }

    /// A transaction that will write.
    ///
    /// On a SQLite file, which has one writer at a time, writes have a pool of one
    /// connection to themselves: they queue for it in arrival order (sqlx's pool is fair)
    /// and it keeps its page cache, which another connection's commit would invalidate.
    /// Left to SQLite's busy handler instead, waiting writers poll the lock with growing
    /// sleeps: a late arrival can overtake one that has waited a second, and each waiter
    /// holds a pooled connection (64 concurrent writers: p99 1–2 s). A write that waits
    /// more than 5 s for the connection is told to retry (503). The busy timeout still
    /// covers other processes on the file (the `timesheets` CLI).
    ///
    /// The transaction takes the write lock at `BEGIN` (`IMMEDIATE`): a deferred one that
    /// reads and then writes fails at once with "database is locked" when another writer
    /// committed meanwhile, which the busy timeout cannot help (found by fuzzing).
    pub async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        let tx = match (&self.writer, self.backend) {
            (Some(writer), _) => writer.begin_with("BEGIN IMMEDIATE").await,
            (None, Backend::Sqlite) => self.pool.begin_with("BEGIN IMMEDIATE").await,
            (None, Backend::Postgres) => self.pool.begin().await,
        }?;
        Ok(WriteTx {
            tx,
            generation: Arc::clone(&self.generation),
            watch: self.watch.clone(),
        })
    }

    /// Moves on whenever a write transaction of this process commits, and on PostgreSQL
    /// whenever another server's write is heard ([`Db::watch_other_writers`]). Read it
    /// before a read: while it has not moved, no write has changed what that read saw.
    /// Other processes' writes to a SQLite file do not move it (see
    /// [`Db::claim_for_serving`]).
    pub fn write_generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// [`Db::write_generation`] for a read about to be served from the page cache, or
    /// `None` when no cached page may be served. On PostgreSQL it is taken after a fence
    /// (every write committed before the call has been heard, [`watch`]); `None` while
    /// other servers' writes are not being heard. On a SQLite file it first moves on when
    /// another process committed to the file (the `timesheets` CLI renaming a project
    /// while this server runs), so no cached page outlives such a change by more than
    /// [`sqlite_reader::OTHERS_SEEN_WITHIN`].
    pub async fn read_generation(&self) -> Option<u64> {
        if let Some(reader) = &self.reader {
            reader.after_others_commit(|| next_generation(&self.generation));
        }
        if let Some(watch) = &self.watch {
            if self.listening.is_none() || !watch.fence(&self.pool).await {
                return None;
            }
        }
        Some(self.write_generation())
    }

    /// Claims a SQLite file for this server, which then writes it alone: a second server
    /// on it would change entries unseen by this one's page cache (and would queue its
    /// writes apart). `None` on PostgreSQL, which several servers share by design.
    pub fn claim_for_serving(&self) -> anyhow::Result<Option<SqliteClaim>> {
        let Some(file) = self.reader.as_deref().map(SqliteReader::path) else {
            return Ok(None);
        };
        // One lock however the file is named (a relative path, a symbolic link).
        let file = std::fs::canonicalize(file)
            .with_context(|| format!("cannot find {}", file.display()))?;
        let mut path = file.clone().into_os_string();
        path.push("-server.lock");
        let path = PathBuf::from(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match lock.try_lock() {
            Ok(()) => Ok(Some(SqliteClaim { _lock: lock })),
            Err(TryLockError::WouldBlock) => Err(anyhow::anyhow!(
                "another Timesheets server is serving {}: a SQLite file has one server \
                 (several servers share a PostgreSQL database)",
                file.display()
            )),
            Err(TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// `write` in a transaction of its own (see [`Db::begin_write`]), committed if it
    /// succeeds; rolled back if it fails or is dropped.
    pub async fn write<T>(
        &self,
        write: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> sqlx::Result<T>,
    ) -> sqlx::Result<T> {
        let mut tx = self.begin_write().await?;
        let value = write(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// Applies pending migrations. A database changed by hand or by a newer version of
    /// Timesheets fails here, and the server refuses to start on it.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .with_context(|| format!("the {} database migration failed", self.backend))
    }

    /// Whether the database answers a trivial query within two seconds.
    pub async fn ping(&self) -> bool {
        let query = sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(2), query).await,
            Ok(Ok(1))
        )
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SQLite file in `dir` with a table `t (seq, n)`, behind a pool of 4 (and the writer).
    async fn sqlite_with_table(dir: &tempfile::TempDir) -> Db {
        let url: DatabaseUrl = format!("sqlite://{}", dir.path().join("t.db").display())
            .parse()
            .unwrap();
        let db = Db::connect(&url, 4).await.unwrap();
        sqlx::query("CREATE TABLE t (seq INTEGER PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(db.pool())
            .await
            .unwrap();
        db
    }

    /// One write transaction: a row `n` in `t`.
    async fn insert(db: &Db, n: i64) -> sqlx::Result<()> {
        db.write(async |tx| {
            sqlx::query("INSERT INTO t (n) VALUES ($1)")
                .bind(n)
                .execute(tx)
                .await
                .map(drop)
        })
        .await
    }

    /// The database the cancellation test runs on: a fresh PostgreSQL database when
    /// `TEST_DATABASE_URL` names a server (as in `make test`'s second pass), else a SQLite
    /// file. Each with a table `t (seq, n)`.
    async fn either_backend_with_table(dir: &tempfile::TempDir) -> (Db, String) {
        match postgres_database("db").await {
            Some(url) => {
                // One connection, so the probe after each round looks at the one that
                // served the dropped request.
                let db = Db::connect(&url.parse().unwrap(), 1).await.unwrap();
                sqlx::query("CREATE TABLE t (seq BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL)")
                    .execute(db.pool())
                    .await
                    .unwrap();
                (db, url)
            }
            None => {
                let db = sqlite_with_table(dir).await;
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                (db, url)
            }
        }
    }

    /// The URL of a fresh PostgreSQL database `<prefix>_<name>_<pid>` when
    /// `TEST_DATABASE_URL` names a server (as in `make test`'s second pass).
    async fn postgres_database(name: &str) -> Option<String> {
        let admin = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())?;
        sqlx::any::install_default_drivers();
        let prefix = std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "ts_test".into());
        let name = format!("{prefix}_{name}_{}", std::process::id());
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{name}""#
        )))
        .await
        .unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .unwrap();
        let mut url = ::url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Some(url.to_string())
    }

    /// Two servers on one PostgreSQL database, the reader's listener slow (it takes 30 ms
    /// over each write it hears): reads under a running lease share its fence, and right
    /// after a write acknowledged by the writer the reader never serves a cached page from
    /// before it, although it held a lease when the write committed (db::watch). Without
    /// the writer's commit wait every round fails.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres_a_lease_never_outlives_another_servers_acknowledged_write() {
        let Some(url) = postgres_database("lease").await else {
            return;
        };
        let url: DatabaseUrl = url.parse().unwrap();
        let writer = Db::connect(&url, 2).await.unwrap();
        sqlx::query("CREATE TABLE t (seq BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(writer.pool())
            .await
            .unwrap();
        let mut reader = Db::connect(&url, 2).await.unwrap();
        reader.watch_other_writers(&url).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while reader.read_generation().await.is_none() {
            assert!(tokio::time::Instant::now() < deadline, "never listened");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        watch::tests::SLOW_LISTENER_MS.store(30, Ordering::Relaxed);
        let watch = reader.watch.clone().expect("PostgreSQL");
        for round in 0..20 {
            // A lease starts (or runs) here, as for a cached read just before the write...
            let before = reader.read_generation().await.expect("a fence heard");
            // ...and serves the reads after it, with a renewal or two, not a fence each.
            let sent = watch.fences_sent();
            for _ in 0..50 {
                assert_eq!(reader.read_generation().await, Some(before));
            }
            let fences = watch.fences_sent() - sent;
            assert!(fences <= 5, "round {round}: {fences} fences for 50 reads");
            insert(&writer, round).await.unwrap();
            let after = reader.read_generation().await.expect("a fence heard");
            assert!(
                after > before,
                "round {round}: a page from before the acknowledged write could be served"
            );
        }
        watch::tests::SLOW_LISTENER_MS.store(0, Ordering::Relaxed);
        reader.close().await;
        writer.close().await;
    }

    /// Requests whose client went away while their write transaction was being opened:
    /// none may leave a transaction open on a pooled connection. On SQLite it would hold
    /// the write lock and every later writer would wait out the busy timeout; on
    /// PostgreSQL the next request would run inside it. (sqlx 0.8 left one open, sqlx
    /// issues #3932 and #4393; 0.9.1 rolls it back.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_dropped_while_it_begins_leaves_no_transaction_behind() {
        const ROUNDS: u64 = 400;
        let dir = tempfile::tempdir().unwrap();
        let (db, url) = either_backend_with_table(&dir).await;
        let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
        for round in 0..ROUNDS {
            let begin = tokio::spawn({
                let db = db.clone();
                async move { db.begin_write().await.map(drop) }
            });
            // Drop the request at a different instant of `BEGIN`'s round trips each time
            // (a busy wait: a timer cannot wait a few microseconds).
            let until = std::time::Instant::now() + Duration::from_micros(round % 100 * 2);
            while std::time::Instant::now() < until {
                std::hint::spin_loop();
            }
            begin.abort();
            let _ = begin.await;

            // PostgreSQL takes a second BEGIN with a warning, and the next write's COMMIT
            // would end a leaked transaction too: ask the server what state the pool's
            // connection is in once it has answered a query.
            if db.backend() == Backend::Postgres {
                let mut conn = db.acquire().await.unwrap();
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                let state: Option<String> =
                    sqlx::query_scalar("SELECT state FROM pg_stat_activity WHERE pid = $1")
                        .bind(pid)
                        .fetch_one(&mut other)
                        .await
                        .unwrap();
                assert_eq!(state.as_deref(), Some("idle"), "round {round}");
            }

            let write = insert(&db, round as i64);
            // A leaked lock fails at once on the one write connection, or after the busy
            // timeout (5 s) on another; 15 s leaves room for a slow fsync.
            tokio::time::timeout(Duration::from_secs(15), write)
                .await
                .unwrap_or_else(|_| panic!("round {round}: the write lock was left held"))
                .unwrap_or_else(|error| panic!("round {round}: {error}"));
        }
        // Every acknowledged write is committed: another connection sees them all.
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut other)
            .await
            .unwrap();
        assert_eq!(count, ROUNDS as i64);
        drop(other);
        if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
            if !admin.is_empty() {
                db.close().await;
                let name = format!(
                    "{}_db_{}",
                    std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "ts_test".into()),
                    std::process::id()
                );
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
                let _ = conn
                    .execute(sqlx::AssertSqlSafe(format!(r#"DROP DATABASE "{name}""#)))
                    .await;
            }
        }
    }

    /// While one write transaction is open, later writers wait without failing and then
    /// write in the order they arrived.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_writers_take_turns_in_arrival_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_with_table(&dir).await;

        let first = db.begin_write().await.unwrap();
        let mut writers = Vec::new();
        for n in 0..10i64 {
            let db = db.clone();
            let mut write = Box::pin(async move { insert(&db, n).await });
            // One poll queues this writer now, behind the ones before it.
            use std::future::Future;
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(write.as_mut().poll(&mut cx).is_pending());
            writers.push(tokio::spawn(write));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            writers.iter().all(|writer| !writer.is_finished()),
            "a writer went ahead of the open transaction"
        );
        first.commit().await.unwrap();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        let order: Vec<(i64,)> = sqlx::query_as("SELECT n FROM t ORDER BY seq")
            .fetch_all(db.pool())
            .await
            .unwrap();
        let order: Vec<i64> = order.into_iter().map(|(n,)| n).collect();
        assert_eq!(order, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn sqlite_urls_create_the_file_on_first_run() {
        let url: DatabaseUrl = "sqlite://data/timesheets.db".parse().unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.expose(), "sqlite://data/timesheets.db?mode=rwc");
        assert_eq!(url.sqlite_file(), Some(Path::new("data/timesheets.db")));
    }

    /// On this one-thread runtime the writer's `after_release` (a task of its own) cannot
    /// have run yet when `insert` returns: only the commit itself can have moved it.
    #[tokio::test]
    async fn a_write_moves_the_generation_on_before_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_with_table(&dir).await;
        let before = db.write_generation();
        insert(&db, 1).await.unwrap();
        assert!(db.write_generation() > before);
    }

    /// A commit whose request went away while it ran may land after the transaction was
    /// dropped: the generation moves on again once the writer has finished with it.
    #[tokio::test]
    async fn a_commit_dropped_midway_moves_the_generation_on_after_it_lands() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_with_table(&dir).await;
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO t (n) VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        let at_drop = db.write_generation();
        // One poll sends COMMIT to the connection's worker thread, then the future goes.
        tokio::select! {
            biased;
            _ = tx.commit() => {}
            () = std::future::ready(()) => {}
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while db.write_generation() == at_drop {
            assert!(tokio::time::Instant::now() < deadline, "never moved on");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // By then the commit has landed: a read from now on sees it.
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn a_sqlite_file_is_served_by_one_server_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_with_table(&dir).await;
        let claim = db
            .claim_for_serving()
            .unwrap()
            .expect("a SQLite file's claim");
        let url: DatabaseUrl = format!("sqlite://{}", dir.path().join("t.db").display())
            .parse()
            .unwrap();
        let second = Db::connect(&url, 4).await.unwrap();
        let error = second.claim_for_serving().unwrap_err().to_string();
        assert!(
            error.starts_with("another Timesheets server is serving") && error.contains("t.db"),
            "{error}"
        );
        // Let go (as when the first server stops, or dies): the next one may serve.
        drop(claim);
        assert!(second.claim_for_serving().unwrap().is_some());
    }

    #[test]
    fn an_explicit_sqlite_mode_is_kept() {
        let url: DatabaseUrl = "sqlite:x.db?mode=ro".parse().unwrap();
        assert_eq!(url.expose(), "sqlite:x.db?mode=ro");
        assert_eq!(url.sqlite_file(), Some(Path::new("x.db")));
    }

    #[test]
    fn postgres_urls_hide_their_password_when_printed() {
        let url: DatabaseUrl = "postgres://app:s3cret@db:5432/timesheets".parse().unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
        assert!(!url.to_string().contains("s3cret"), "{url}");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(url.expose().contains("s3cret"));
    }

    #[test]
    fn other_schemes_are_refused_with_a_hint() {
        for bad in ["mysql://x/y", "", "data/timesheets.db", "http://x"] {
            let err = bad.parse::<DatabaseUrl>().unwrap_err();
            assert!(err.contains("sqlite://"), "{bad}: {err}");
        }
    }
}

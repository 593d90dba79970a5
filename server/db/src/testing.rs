//! Real database errors, for tests of what callers make of them.

/// A real SQLITE_BUSY: another connection holds the file's write lock and this one
/// asks for it without waiting.
pub async fn sqlite_busy_error() -> sqlx::Error {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Executor};
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("t.db"))
        .create_if_missing(true)
        .busy_timeout(Duration::ZERO);
    let mut holder = options.connect().await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let mut writer = options.connect().await.unwrap();
    writer.execute("BEGIN IMMEDIATE").await.unwrap_err()
}

//! What a failed statement means to the caller.

/// The database is away or saturated, not broken: the client may retry (a 503).
pub fn is_away(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // SQLite's write lock still held by another writer when the busy timeout ran
        // out: SQLITE_BUSY, in any of its extended codes (the low byte). (SQLITE_LOCKED
        // is a conflict within one connection, a bug a retry would not fix.)
        sqlx::Error::Database(database)
            if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some() =>
        {
            database
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == 5)
        }
        // PostgreSQL shutting down or restarting (SQLSTATE class 57P, "operator
        // intervention"), or the connection lost (class 08).
        sqlx::Error::Database(database) => database
            .code()
            .is_some_and(|code| code.starts_with("57P") || code.starts_with("08")),
        _ => false,
    }
}

/// Whether a failed statement broke a UNIQUE or PRIMARY KEY constraint.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

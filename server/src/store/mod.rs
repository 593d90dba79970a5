//! Database access, one module per table. Functions take the connection they run on, so
//! the caller (the service layer) owns the transaction. Portable SQL for SQLite and
//! PostgreSQL through `sqlx::Any`: TEXT ids and dates, BIGINT numbers and timestamps.

pub mod audit;
pub mod entries;
pub mod projects;
pub mod users;

/// Now, in Unix milliseconds (how every timestamp is stored).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether a failed statement broke a UNIQUE or PRIMARY KEY constraint.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

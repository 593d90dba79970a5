//! Database access, one module per table. Functions take the connection they run on (a
//! write, the `db::WriteTx`; an entry read outside any transaction, the `Db`), so the
//! caller (the service layer) owns the transaction. Portable SQL for SQLite and
//! PostgreSQL through `sqlx::Any`: TEXT ids and dates, BIGINT numbers and timestamps.

pub mod admin_log;
pub mod audit;
pub mod entries;
pub mod projects;
pub mod push;
pub mod timers;
pub mod users;

//! Settings of `timesheets serve`: every one is a flag and an environment variable
//! (documented in `.env.example`).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use crate::db::DatabaseUrl;

#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Where the data lives: `sqlite://path/to/file.db` (created on first run) or
    /// `postgres://user:password@host:port/database`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/timesheets.db"
    )]
    pub database_url: DatabaseUrl,

    /// Most database connections this instance opens.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: u32,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on (Leptos's own variable name).
    #[arg(
        long = "addr",
        env = "LEPTOS_SITE_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub addr: SocketAddr,

    /// Folder with the built site (`pkg/`, icons, manifest, service worker).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Seconds to let in-flight requests finish after SIGTERM/Ctrl-C.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 20)]
    pub shutdown_timeout_secs: u64,
}

impl ServeArgs {
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}

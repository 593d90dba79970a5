//! Settings of `timesheets serve`: every one is a flag and an environment variable
//! (documented in `.env.example`).

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use db::DatabaseUrl;

use provider::ProviderArgs;

use crate::{
    auth::settings::OidcArgs,
    push::{Schedule, TimeOfDay, WeeklyAt},
};

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

    /// Most database connections this instance opens (on a SQLite file, plus one for
    /// writes). Default: 16 on PostgreSQL; 2 per core, at least 4, on SQLite.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: Option<u32>,
}

impl DatabaseArgs {
    pub async fn connect(&self) -> anyhow::Result<db::Db> {
        db::Db::connect(&self.database_url, self.max_connections()).await
    }

    /// The pool size: as set, or by backend. PostgreSQL connections spend much of their
    /// time waiting on the network, so more of them than cores pays. SQLite reads run on
    /// this machine's cores and never wait on a network: beyond two per core they only
    /// queue inside SQLite, each with a page cache and a thread of its own (more cost
    /// memory for the same throughput: docs/BENCHMARKS.md).
    pub fn max_connections(&self) -> u32 {
        self.database_max_connections.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            default_pool_size(self.database_url.backend(), cores)
        })
    }
}

fn default_pool_size(backend: db::Backend, cores: usize) -> u32 {
    match backend {
        db::Backend::Postgres => 16,
        db::Backend::Sqlite => u32::try_from(cores.saturating_mul(2))
            .unwrap_or(u32::MAX)
            .clamp(4, 1000),
    }
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

    #[command(flatten)]
    pub oidc: OidcArgs,

    /// The embedded OpenID Connect provider (used when `OIDC_ISSUER` is not set).
    #[command(flatten)]
    pub provider: ProviderArgs,

    /// Web origins allowed to call the REST API from a browser, comma-separated and exact
    /// (e.g. `https://time.example.com`). Empty: same-origin only.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<Origin>,

    /// Serve a page of entries read before from memory until anything is written: on a
    /// SQLite file by its one server, on PostgreSQL by any server (heard through
    /// LISTEN/NOTIFY, see `db::watch`); `false` reads every page from the database.
    #[arg(long, env = "READ_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub read_cache: bool,

    /// Seconds during which a manager may undo their approval or rejection (the app
    /// offers Undo right after each decision).
    #[arg(long, env = "DECISION_UNDO_SECS", default_value_t = crate::services::approvals::UNDO_WINDOW.as_secs())]
    pub decision_undo_secs: u64,

    /// Seconds since a manager's sign-in (`auth_time`) after which approving or rejecting
    /// asks them to sign in again (RFC 9470 step-up); 0 turns the check off.
    #[arg(long, env = "APPROVAL_MAX_AUTH_AGE_SECS", default_value_t = crate::services::approvals::APPROVAL_MAX_AUTH_AGE.as_secs())]
    pub approval_max_auth_age_secs: u64,

    #[command(flatten)]
    pub reminders: ReminderArgs,
}

/// Web Push reminders.
#[derive(Debug, Clone, clap::Args)]
pub struct ReminderArgs {
    /// When a person whose week is not submitted is reminded, at their device's local
    /// time: a weekday and a time (`fri 15:00`), or `off`.
    #[arg(long, env = "REMINDER_WEEK_AT", default_value = "fri 15:00")]
    pub reminder_week_at: Schedule<WeeklyAt>,

    /// When approvers are told, daily at their local time, how many entries wait for
    /// them (only when some do): `09:00`, or `off`.
    #[arg(long, env = "REMINDER_APPROVALS_AT", default_value = "09:00")]
    pub reminder_approvals_at: Schedule<TimeOfDay>,

    /// Seconds between two looks at what is due.
    #[arg(long, env = "REMINDER_CHECK_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub reminder_check_secs: u64,

    /// Who push services may contact about this server, in every VAPID token
    /// (`mailto:ops@example.com` or an https URL). Default: `PUBLIC_URL` when it is
    /// https, else `mailto:timesheets@localhost`.
    #[arg(long, env = "PUSH_CONTACT")]
    pub push_contact: Option<String>,

    /// Accept `http:` push endpoints: tests with a local push service only (a browser's
    /// are https; anything else would let anyone make the server call any address).
    #[arg(long, env = "PUSH_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub push_allow_http: bool,
}

impl ReminderArgs {
    /// No reminders: for tests and benchmarks that do not look at them.
    pub fn off() -> Self {
        ReminderArgs {
            reminder_week_at: Schedule(None),
            reminder_approvals_at: Schedule(None),
            reminder_check_secs: 60,
            push_contact: None,
            push_allow_http: false,
        }
    }
}

/// A web origin (`scheme://host[:port]`), written exactly as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Origin {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(value).map_err(|err| format!("{value:?} is not a URL: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{value:?} is not an http(s) origin"));
        }
        let origin = url.origin().ascii_serialization();
        // Browsers compare origins byte for byte: refuse anything that would never match.
        if origin != value {
            return Err(format!(
                "{value:?} is not an origin; write it as {origin:?} (no path, no trailing slash)"
            ));
        }
        Ok(Origin(origin))
    }
}

impl ServeArgs {
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_as_set_or_by_backend() {
        use db::Backend::{Postgres, Sqlite};
        let args = |url: &str, max: Option<u32>| DatabaseArgs {
            database_url: url.parse().expect("a database URL"),
            database_max_connections: max,
        };
        assert_eq!(args("sqlite://data/t.db", Some(30)).max_connections(), 30);
        assert_eq!(
            args("postgres://db.example/t", Some(2)).max_connections(),
            2
        );
        assert_eq!(args("postgres://db.example/t", None).max_connections(), 16);
        // SQLite: two per core, at least 4, at most the flag's own limit.
        for (cores, size) in [(1, 4), (2, 4), (3, 6), (8, 16), (4096, 1000)] {
            assert_eq!(default_pool_size(Sqlite, cores), size, "{cores} cores");
        }
        assert_eq!(default_pool_size(Postgres, 64), 16);
    }

    #[test]
    fn origins_are_exact_scheme_host_and_port() {
        for good in ["https://time.example.com", "http://127.0.0.1:3000"] {
            assert_eq!(good.parse::<Origin>().expect("an origin").as_str(), good);
        }
        for bad in [
            "https://time.example.com/",
            "https://time.example.com/app",
            "https://TIME.example.com",
            "https://time.example.com:443",
            "ftp://time.example.com",
            "*",
            "time.example.com",
        ] {
            assert!(bad.parse::<Origin>().is_err(), "{bad}");
        }
    }
}

//! `TestApp::spawn()`: the real application on 127.0.0.1:0 with a fresh database.
//!
//! - SQLite (default): a file in a temporary folder.
//! - PostgreSQL: set `TEST_DATABASE_URL` to a server URL whose user may create databases
//!   (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own
//!   database named `<TEST_DB_PREFIX>_<uuid>`, which `make test` drops after the run.

use std::{path::PathBuf, time::Duration};

use ::provider::{admin, ProviderArgs};
use app::admin::Role;
use db::{Backend, DatabaseUrl, Db};
use server::{
    auth::OidcArgs,
    config::{DatabaseArgs, ReminderArgs, ServeArgs},
    startup::Application,
};
use sqlx::{Connection, Executor};
use tempfile::TempDir;

use crate::issuer::{TestIssuer, AUDIENCE, USER_SCOPES};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: DatabaseUrl,
    /// The OpenID Connect issuer whose tokens the app accepts.
    pub issuer: TestIssuer,
    /// Keeps the SQLite file and the site folder alive as long as the app.
    _dirs: Vec<TempDir>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// An app whose settings `configure` changes first.
    pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        TestApp::launch(true, configure).await
    }

    /// The app as its own OpenID Connect provider (no `OIDC_ISSUER`): the issuer is
    /// `address`, and the PWA client `timesheets-pwa` is registered with the redirect URI
    /// `<address>/auth/callback` and the post-logout URI `<address>/`.
    pub async fn spawn_embedded() -> TestApp {
        TestApp::spawn_embedded_with(|_| {}).await
    }

    /// The embedded-provider app with settings changed by `configure` first.
    pub async fn spawn_embedded_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        TestApp::launch(false, configure).await
    }

    /// The embedded-provider app at `http://localhost:<port>` (`PUBLIC_URL`): a host name,
    /// which passkeys need (browsers refuse an IP address as a WebAuthn relying party).
    pub async fn spawn_embedded_at_localhost(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        // A free port, then the server on it (another process could take it in between,
        // which these tests' machines do not see).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        TestApp::launch(false, |args| {
            args.addr = format!("127.0.0.1:{port}").parse().expect("an address");
            args.provider.public_url =
                Some(format!("http://localhost:{port}").parse().expect("a URL"));
            configure(args);
        })
        .await
    }

    /// Starts the app on a fresh database, trusting the test issuer or (without it) being
    /// its own provider.
    async fn launch(external_issuer: bool, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        let issuer = TestIssuer::start().await;
        let (database_url, db_dir) = fresh_database().await;
        let site = site_root();
        let mut args = serve_args(database_url.clone(), site.path().to_path_buf());
        if external_issuer {
            args.oidc.oidc_issuer = Some(issuer.url.parse().expect("an issuer URL"));
        }
        configure(&mut args);
        let public_url = args.provider.public_url.clone();
        let app = Application::build(args)
            .await
            .expect("the application starts");
        let address = public_url.map_or_else(
            || format!("http://{}", app.address()),
            |url| url.to_string(),
        );
        let db = app.db().clone();
        tokio::spawn(app.run_until_stopped(std::future::pending(), Duration::from_secs(1)));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        TestApp {
            address,
            client,
            db,
            database_url,
            issuer,
            _dirs: db_dir.into_iter().chain(Some(site)).collect(),
        }
    }

    /// Adds a person to the embedded provider; returns their `sub`.
    pub async fn add_account(&self, email: &str, password: &str, role: &str) -> String {
        let role: Role = role.parse().expect("a role");
        admin::add_user(&self.db, email, email, role, password)
            .await
            .expect("the user is added")
    }

    pub async fn disable_account(&self, email: &str) {
        admin::set_disabled(&self.db, email, true)
            .await
            .expect("the user is disabled");
    }

    /// Registers a confidential batch client; returns its secret.
    pub async fn add_batch_client(&self, client_id: &str, scopes: &[&str]) -> String {
        let scopes: Vec<app::auth::Scope> = scopes
            .iter()
            .map(|scope| scope.parse().expect("a scope"))
            .collect();
        admin::add_confidential_client(&self.db, client_id, client_id, &scopes)
            .await
            .expect("the client is registered")
    }

    pub async fn add_public_client(
        &self,
        client_id: &str,
        redirect_uris: &[&str],
        post_logout_redirect_uris: &[&str],
    ) {
        let owned = |uris: &[&str]| uris.iter().map(|uri| uri.to_string()).collect::<Vec<_>>();
        admin::add_public_client(
            &self.db,
            client_id,
            client_id,
            &owned(redirect_uris),
            &owned(post_logout_redirect_uris),
        )
        .await
        .expect("the client is registered");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// A valid access token of the user Ann with `scope`.
    pub fn user_token(&self, scope: &str) -> String {
        self.issuer.sign(&self.issuer.user_claims(scope))
    }

    /// A valid access token of another person, e.g. a manager.
    pub fn token_for(&self, subject: &str, email: &str, scope: &str) -> String {
        let mut claims = self.issuer.user_claims(scope);
        claims["sub"] = subject.into();
        claims["email"] = email.into();
        claims["name"] = subject.into();
        self.issuer.sign(&claims)
    }

    /// Adds a project straight to the database (as the admin CLI does).
    pub async fn add_project(&self, code: &str, name: &str) {
        let mut tx = self.db.begin_write().await.expect("a write transaction");
        let details = app::admin::ProjectDetails {
            name: app::domain::ProjectName::parse(name).expect("a name"),
            customer: None,
            colour: None,
        };
        server::store::projects::add(
            &mut tx,
            &app::domain::ProjectCode::parse(code).expect("a code"),
            &details,
            0,
        )
        .await
        .expect("the project is added");
        tx.commit().await.expect("committed");
    }

    /// Row counts and version sum of the tables requests may change: equal before and
    /// after a request means the request changed nothing.
    pub async fn fingerprint(&self) -> Vec<i64> {
        let mut conn = self.db.pool().acquire().await.expect("a connection");
        let mut values = Vec::new();
        for sql in [
            "SELECT COUNT(*) AS n FROM users",
            "SELECT COUNT(*) AS n FROM projects",
            "SELECT COUNT(*) AS n FROM entries",
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM entries",
            "SELECT COUNT(*) AS n FROM audit_log",
            "SELECT COUNT(*) AS n FROM timers",
            "SELECT COUNT(*) AS n FROM push_subscriptions",
        ] {
            let row = sqlx::query(sql)
                .fetch_one(&mut *conn)
                .await
                .expect("a count");
            values.push(sqlx::Row::try_get::<i64, _>(&row, "n").expect("a number"));
        }
        values
    }

    /// The audit trail of an entry: (action, from, to, actor subject or client id, note).
    pub async fn audit_trail(&self, entry_id: &str) -> Vec<[Option<String>; 5]> {
        let mut conn = self.db.pool().acquire().await.expect("a connection");
        let rows = sqlx::query(
            "SELECT action, from_status, to_status,
                    COALESCE(actor_subject, actor_client_id) AS actor, note
             FROM audit_log WHERE entry_id = $1 ORDER BY id",
        )
        .bind(entry_id)
        .fetch_all(&mut *conn)
        .await
        .expect("the audit trail");
        rows.iter()
            .map(|row| {
                ["action", "from_status", "to_status", "actor", "note"].map(|column| {
                    sqlx::Row::try_get::<Option<String>, _>(row, column).expect("text")
                })
            })
            .collect()
    }

    /// `method path` with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// A valid access token of Ann with the employee's scopes.
    pub fn employee_token(&self) -> String {
        self.user_token(USER_SCOPES)
    }

    /// A valid client-credentials token of the machine client `client_id`.
    pub fn client_token(&self, client_id: &str, scope: &str) -> String {
        self.issuer
            .sign(&self.issuer.client_claims(client_id, scope))
    }

    /// `GET path` with `Authorization: Bearer token`.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Another server on this app's database, trusting the same issuer, as a second
    /// instance behind a load balancer is (PostgreSQL only: a SQLite file has one server).
    pub async fn spawn_second_server(&self) -> SecondServer {
        self.spawn_second_server_with(|_| {}).await
    }

    /// [`TestApp::spawn_second_server`] with settings of its own.
    pub async fn spawn_second_server_with(
        &self,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> SecondServer {
        let site = site_root();
        let mut args = serve_args(self.database_url.clone(), site.path().to_path_buf());
        args.oidc.oidc_issuer = Some(self.issuer.url.parse().expect("an issuer URL"));
        configure(&mut args);
        let second = Application::build(args)
            .await
            .expect("a second server on the same database");
        let address = format!("http://{}", second.address());
        tokio::spawn(second.run_until_stopped(std::future::pending(), Duration::from_secs(1)));
        SecondServer {
            address,
            _site: site,
        }
    }
}

/// See [`TestApp::spawn_second_server`].
pub struct SecondServer {
    pub address: String,
    _site: TempDir,
}

pub fn serve_args(database_url: DatabaseUrl, site_root: PathBuf) -> ServeArgs {
    ServeArgs {
        database: DatabaseArgs {
            database_url,
            database_max_connections: Some(5),
        },
        addr: "127.0.0.1:0".parse().expect("an address"),
        site_root,
        shutdown_timeout_secs: 1,
        oidc: OidcArgs {
            oidc_issuer: None,
            oidc_audience: AUDIENCE.into(),
            oidc_permissions_claim: "permissions".into(),
            oidc_algorithms: vec![
                "RS256".parse().expect("RS256"),
                "ES256".parse().expect("ES256"),
            ],
            oidc_require_at_jwt: false,
            oidc_leeway_secs: 30,
            oidc_jwks_refetch_secs: 60,
            oidc_jwks_max_age_secs: 3600,
            oidc_pwa_scopes: "openid profile email offline_access read:timesheets".into(),
            oidc_authorize_params: String::new(),
            oidc_dpop: server::auth::DpopMode::Allowed,
        },
        provider: ProviderArgs::default(),
        cors_allowed_origins: Vec::new(),
        read_cache: true,
        decision_undo_secs: 30,
        approval_max_auth_age_secs: 900,
        // Off: only the reminder tests (push.rs) send any.
        reminders: ReminderArgs::off(),
    }
}

/// The backend the suite runs against: PostgreSQL when `TEST_DATABASE_URL` is set.
pub fn expected_backend() -> Backend {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

pub async fn fresh_database() -> (DatabaseUrl, Option<TempDir>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => (fresh_postgres_database(&admin_url).await, None),
        _ => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}/timesheets.db", dir.path().display());
            (url.parse().expect("a SQLite URL"), Some(dir))
        }
    }
}

async fn fresh_postgres_database(admin_url: &str) -> DatabaseUrl {
    sqlx::any::install_default_drivers();
    let prefix = std::env::var("TEST_DB_PREFIX").unwrap_or_else(|_| "ts_test".into());
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("TEST_DATABASE_URL reaches a PostgreSQL server");
    admin
        .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("a fresh test database");
    let _ = admin.close().await;
    let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    url.as_str().parse().expect("a PostgreSQL URL")
}

/// A site folder like the one cargo-leptos builds, holding the real `public/` files.
pub fn site_root() -> TempDir {
    let site = tempfile::tempdir().expect("a temporary folder");
    let public = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../public");
    copy_dir(&public, site.path());
    site
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("public/ exists") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}

/// Runs the `timesheets` binary with `envs` and without the secrets, tokens and issuer
/// settings of the environment running the tests. On a blocking thread: the server under
/// test shares this test's single-threaded runtime and must keep serving meanwhile.
pub async fn run_timesheets(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_timesheets"));
    command.args(args).env("LOG_FORMAT", "human");
    for name in [
        "TIMESHEETS_PASSWORD",
        "TIMESHEETS_CLIENT_SECRET",
        "TIMESHEETS_ACCESS_TOKEN",
        "OIDC_ISSUER",
        "OIDC_AUDIENCE",
    ] {
        command.env_remove(name);
    }
    for (name, value) in envs {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the command thread")
        .expect("the binary runs")
}

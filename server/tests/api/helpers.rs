//! `TestApp::spawn()`: the real application on 127.0.0.1:0 with a fresh database.
//!
//! - SQLite (default): a file in a temporary folder.
//! - PostgreSQL: set `TEST_DATABASE_URL` to a server URL whose user may create databases
//!   (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its own
//!   database named `<TEST_DB_PREFIX>_<uuid>`, which `make test` drops after the run.

use std::{path::PathBuf, time::Duration};

use server::{
    config::{DatabaseArgs, ServeArgs},
    db::{Backend, DatabaseUrl, Db},
    startup::Application,
};
use sqlx::{Connection, Executor};
use tempfile::TempDir;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database_url: DatabaseUrl,
    /// Keeps the SQLite file and the site folder alive as long as the app.
    _dirs: Vec<TempDir>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let (database_url, db_dir) = fresh_database().await;
        let site = site_root();
        let args = serve_args(database_url.clone(), site.path().to_path_buf());
        let app = Application::build(args)
            .await
            .expect("the application starts");
        let address = format!("http://{}", app.address());
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
            _dirs: db_dir.into_iter().chain(Some(site)).collect(),
        }
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

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

pub fn serve_args(database_url: DatabaseUrl, site_root: PathBuf) -> ServeArgs {
    ServeArgs {
        database: DatabaseArgs {
            database_url,
            database_max_connections: 5,
        },
        addr: "127.0.0.1:0".parse().expect("an address"),
        site_root,
        shutdown_timeout_secs: 1,
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
        .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
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

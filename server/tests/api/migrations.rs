use db::Backend;
use reqwest::StatusCode;
use server::startup::Application;

use crate::helpers::{expected_backend, fresh_database, serve_args, site_root, TestApp};

async fn table_names(app: &TestApp) -> Vec<String> {
    let sql = match app.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn start_up_creates_the_core_tables() {
    let app = TestApp::spawn().await;
    let tables = table_names(&app).await;
    for table in [
        "users",
        "projects",
        "entries",
        "audit_log",
        "_sqlx_migrations",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing from {tables:?}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = TestApp::spawn().await;
    let pool = app.db.pool();
    sqlx::query("INSERT INTO audit_log (entry_id, action, to_status, at) VALUES ($1, $2, $3, $4)")
        .bind("00000000-0000-0000-0000-000000000001")
        .bind("create")
        .bind("draft")
        .bind(1_700_000_000_000_i64)
        .execute(pool)
        .await
        .expect("appending is allowed");
    let update = sqlx::query("UPDATE audit_log SET note = 'changed'")
        .execute(pool)
        .await;
    assert!(update.is_err(), "an update of the audit log must fail");
    let delete = sqlx::query("DELETE FROM audit_log").execute(pool).await;
    assert!(delete.is_err(), "a delete from the audit log must fail");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn the_schema_refuses_out_of_range_durations() {
    let app = TestApp::spawn().await;
    let pool = app.db.pool();
    let now = 1_700_000_000_000_i64;
    sqlx::query("INSERT INTO users (id, issuer, subject, created_at, updated_at) VALUES ('u1', 'https://issuer', 'sub-1', $1, $1)")
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO projects (id, code, name, created_at, updated_at) VALUES ('p1', 'ACME', 'Acme', $1, $1)")
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    for minutes in [0_i64, 1441] {
        let insert = sqlx::query(
            "INSERT INTO entries (id, user_id, project_id, work_date, minutes, status, source, created_at, updated_at) \
             VALUES ($1, 'u1', 'p1', '2026-11-16', $2, 'draft', 'app', $3, $3)",
        )
        .bind(format!("e{minutes}"))
        .bind(minutes)
        .bind(now)
        .execute(pool)
        .await;
        assert!(insert.is_err(), "{minutes} minutes must be refused");
    }
}

#[tokio::test]
async fn a_database_with_a_changed_migration_stops_start_up() {
    let (database_url, _db_dir) = fresh_database().await;
    let site = site_root();
    let args = || serve_args(database_url.clone(), site.path().to_path_buf());
    let first = Application::build(args()).await.expect("the first start");
    sqlx::query("UPDATE _sqlx_migrations SET checksum = $1")
        .bind(vec![0_u8; 48])
        .execute(first.db().pool())
        .await
        .unwrap();
    // Stopped, as one would before an upgrade.
    drop(first);
    let err = Application::build(args())
        .await
        .err()
        .expect("start-up must fail");
    let message = format!("{err:#}");
    assert!(message.contains("migration"), "{message}");
}

/// A SQLite file has one server, which caches pages of entries knowing it writes alone;
/// PostgreSQL is shared by as many servers as needed.
#[tokio::test]
async fn a_sqlite_file_has_one_server_and_postgres_many() {
    let app = TestApp::spawn().await;
    let site = site_root();
    let second = Application::build(serve_args(
        app.database_url.clone(),
        site.path().to_path_buf(),
    ))
    .await;
    match expected_backend() {
        Backend::Sqlite => {
            let message = format!("{:#}", second.err().expect("a second server is refused"));
            assert!(
                message.contains("another Timesheets server is serving"),
                "{message}"
            );
            assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
        }
        Backend::Postgres => {
            second.expect("a second server on the same PostgreSQL database");
        }
    }
}

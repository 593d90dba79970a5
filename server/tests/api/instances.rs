//! Several servers on one PostgreSQL database, as behind a load balancer: each caches
//! pages of entries, and a write on one retires them on every other (LISTEN/NOTIFY).

use serde_json::{json, Value};

use crate::{
    fixtures::*,
    helpers::{expected_backend, TestApp},
};

/// These tests run in `make test`'s PostgreSQL pass. On SQLite a file has one server
/// (`migrations::a_sqlite_file_has_one_server_and_postgres_many`), and its cache sees other
/// processes' writes through the file (`projects::the_cli_adds_renames_archives_and_
/// reactivates_projects_beside_a_running_server`).
fn on_postgres() -> bool {
    expected_backend() == db::Backend::Postgres
}

/// Ann's week as `base` answers it: the notes of its entries.
async fn week_notes(app: &TestApp, base: &str, token: &str) -> Vec<String> {
    let page: Value = app
        .client
        .get(format!("{base}/api/timesheets?week=2026-W48"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a page");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|entry| entry["note"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_write_on_one_server_is_read_at_once_on_the_other() {
    if !on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let second = app.spawn_second_server().await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let servers = [app.address.clone(), second.address.clone()];
    let mut expected = Vec::new();
    for round in 0..40 {
        let (writer, reader) = (&servers[round % 2], &servers[(round + 1) % 2]);
        // The reader has the week cached, as it was before this round's write.
        assert_eq!(week_notes(&app, reader, &ann).await.len(), expected.len());
        assert_eq!(week_notes(&app, reader, &ann).await.len(), expected.len());
        let note = format!("round {round}");
        let created = app
            .client
            .post(format!("{writer}/api/timesheets"))
            .bearer_auth(&ann)
            .json(&json!({"project": "ACME", "date": "2026-11-23", "minutes": 5, "note": note, "status": "draft"}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
        expected.push(note);
        let mut read = week_notes(&app, reader, &ann).await;
        read.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(
            read, want,
            "round {round}: the other server's page is fresh"
        );
    }
}

/// The note of Ann's one entry in week 2026-W48, as the app answers it.
async fn first_note(app: &TestApp, token: &str) -> String {
    week_notes(app, &app.address, token).await.remove(0)
}

/// Changes the entries behind the server's back: plain SQL sends no notification.
async fn change_notes_unheard(app: &TestApp, note: &str) {
    sqlx::query("UPDATE entries SET note = $1")
        .bind(note)
        .execute(app.db.pool())
        .await
        .expect("the notes are changed");
}

/// The backend process of the app's listener, once it listens.
async fn listener_pid(app: &TestApp, not: Option<i32>) -> i32 {
    for _ in 0..200 {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> $1",
        )
        .bind(not.unwrap_or(0))
        .fetch_optional(app.db.pool())
        .await
        .expect("pg_stat_activity");
        if let Some(pid) = pid {
            return pid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the app does not listen");
}

#[tokio::test]
async fn on_postgres_a_page_is_cached_until_a_write_is_heard_or_the_listener_drops() {
    if !on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let mut body = entry_body("2026-11-23", 1.0);
    body["note"] = json!("as written");
    create_entry(&app, &ann, &body).await;
    let first_listener = listener_pid(&app, None).await;

    // Cached: a change that announces nothing is not seen...
    assert_eq!(first_note(&app, &ann).await, "as written");
    change_notes_unheard(&app, "changed unheard").await;
    assert_eq!(first_note(&app, &ann).await, "as written");
    // ...until a write is announced, as every write of a server or the CLI is (which
    // then answers only after the commit wait, as here: a cache lease from before the
    // write has run out by then, db::watch).
    sqlx::query("NOTIFY timesheets_writes")
        .execute(app.db.pool())
        .await
        .expect("notified");
    tokio::time::sleep(db::watch::COMMIT_WAIT).await;
    assert_eq!(first_note(&app, &ann).await, "changed unheard");

    // A listener that drops misses writes: once the last lease has run out, no page
    // cached before is served, whether the server has noticed yet or not, and once it
    // listens again.
    change_notes_unheard(&app, "changed while cached").await;
    assert_eq!(first_note(&app, &ann).await, "changed unheard");
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(first_listener)
        .execute(app.db.pool())
        .await
        .expect("the listener's connection is ended");
    tokio::time::sleep(db::watch::COMMIT_WAIT).await;
    assert_eq!(first_note(&app, &ann).await, "changed while cached");
    listener_pid(&app, Some(first_listener)).await;
    assert_eq!(first_note(&app, &ann).await, "changed while cached");
}

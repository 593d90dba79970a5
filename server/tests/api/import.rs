//! `timesheets import` and `timesheets export` as operators run them: the real binary
//! against a running server with its embedded provider (client credentials).

use std::{path::Path, process::Output, time::Instant};

use app::auth::{ScopeSet, User};
use reqwest::Method;
use serde_json::Value;

use crate::{
    helpers::{run_timesheets, TestApp},
    provider::sign_in,
};

const CLIENT: &str = "payroll";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The command failed and its error message names every one of `needles`.
fn fails_saying(output: &std::process::Output, needles: &[&str]) {
    assert!(!output.status.success(), "it should have failed");
    let stderr = text(&output.stderr);
    for needle in needles {
        assert!(stderr.contains(needle), "no {needle:?} in: {stderr}");
    }
}

/// Runs `timesheets import <file>` against `app` as the batch client.
async fn import(app: &TestApp, file: &Path, secret: &str, extra: &[&str]) -> Output {
    let path = file.to_str().expect("a UTF-8 path");
    let mut args = vec![
        "import",
        path,
        "--api-url",
        &app.address,
        "--client-id",
        CLIENT,
    ];
    args.extend(extra);
    run_timesheets(&args, &[("TIMESHEETS_CLIENT_SECRET", secret)]).await
}

/// People the uploads name must have signed in once: here they are created as if they had.
async fn known_people(app: &TestApp, count: usize) {
    let mut tx = app.db.begin_write().await.expect("a write transaction");
    for n in 0..count {
        let user = User {
            issuer: app.address.clone(),
            subject: format!("person-{n}"),
            name: Some(format!("Person {n}")),
            email: Some(format!("person{n}@example.com")),
            scopes: ScopeSet::default(),
            auth_time: None,
        };
        server::store::users::upsert(&mut tx, &user, 0)
            .await
            .expect("a user");
    }
    tx.commit().await.expect("committed");
}

async fn entry_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM entries")
        .fetch_one(app.db.pool())
        .await
        .expect("a count")
}

/// `rows` rows for 20 people, 5 minutes each, spread over 100 days.
fn csv_file(dir: &Path, rows: usize, bad: &[(usize, &str)]) -> std::path::PathBuf {
    let mut text = String::from("external_id,user_email,date,project,duration,note\n");
    for n in 0..rows {
        let day = n / 20 % 100;
        let line = match bad.iter().find(|(row, _)| *row == n) {
            Some((_, line)) => line.to_string(),
            None => format!(
                "row-{n},person{}@example.com,2026-{:02}-{:02},ACME,5m,imported\n",
                n % 20,
                day / 28 + 1,
                day % 28 + 1
            ),
        };
        text.push_str(&line);
    }
    let path = dir.join("entries.csv");
    std::fs::write(&path, text).expect("written");
    path
}

#[tokio::test]
async fn ten_thousand_rows_import_and_a_second_run_adds_nothing() {
    let app = TestApp::spawn_embedded().await;
    app.add_project("ACME", "Acme").await;
    known_people(&app, 20).await;
    let secret = app.add_batch_client(CLIENT, &["batch:upload"]).await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = csv_file(dir.path(), 10_000, &[]);

    let started = Instant::now();
    let first = import(&app, &file, &secret, &[]).await;
    let elapsed = started.elapsed();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("10000 rows read: 10000 added, 0 already present, 0 rejected"),
        "{}",
        text(&first.stdout)
    );
    assert_eq!(entry_count(&app).await, 10_000);
    println!(
        "import of 10,000 rows (debug build): {:.2} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        10_000.0 / elapsed.as_secs_f64()
    );

    let second = import(&app, &file, &secret, &[]).await;
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        text(&second.stdout).contains("0 added, 10000 already present"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(entry_count(&app).await, 10_000, "nothing new");
}

#[tokio::test]
async fn bad_rows_are_reported_with_their_lines_and_the_rest_imported() {
    let app = TestApp::spawn_embedded().await;
    app.add_project("ACME", "Acme").await;
    known_people(&app, 20).await;
    let secret = app.add_batch_client(CLIENT, &["batch:upload"]).await;
    let dir = tempfile::tempdir().expect("a folder");
    // Rows 10, 40 and 70 are lines 12, 42 and 72 (the header is line 1).
    let file = csv_file(
        dir.path(),
        100,
        &[
            (10, "bad-date,person1@example.com,2026-02-30,ACME,1h,\n"),
            (40, "no-project,person1@example.com,2026-03-02,NOPE,1h,\n"),
            (
                70,
                "bad-duration,person1@example.com,2026-03-03,ACME,1h70m,\n",
            ),
        ],
    );

    let dry = import(&app, &file, &secret, &["--dry-run"]).await;
    assert!(!dry.status.success(), "rows were rejected");
    assert!(
        text(&dry.stdout).contains("dry run: 100 rows read, 98 valid, 2 rejected"),
        "locally checked: {}",
        text(&dry.stdout)
    );
    assert_eq!(entry_count(&app).await, 0, "a dry run sends nothing");

    let output = import(&app, &file, &secret, &[]).await;
    assert!(
        !output.status.success(),
        "exit code ≠ 0 when rows are rejected"
    );
    assert!(
        text(&output.stdout).contains("100 rows read: 97 added, 0 already present, 3 rejected"),
        "{}",
        text(&output.stdout)
    );
    assert!(
        text(&output.stderr).contains("3 rows were rejected"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(entry_count(&app).await, 97);
    let report = std::fs::read_to_string(dir.path().join("entries.csv.rejected.csv"))
        .expect("the rejected rows are written");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "line,external_id,field,message");
    assert!(lines[1].starts_with("12,bad-date,date,"), "{report}");
    assert!(lines[2].starts_with("42,no-project,project,"), "{report}");
    assert!(
        lines[3].starts_with("72,bad-duration,duration,"),
        "{report}"
    );
}

#[tokio::test]
async fn wrong_credentials_and_unreadable_files_are_clear_errors() {
    let app = TestApp::spawn_embedded().await;
    app.add_project("ACME", "Acme").await;
    known_people(&app, 20).await;
    app.add_batch_client(CLIENT, &["batch:upload"]).await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = csv_file(dir.path(), 10, &[]);

    let output = import(&app, &file, "not-the-secret", &[]).await;
    fails_saying(&output, &["invalid_client"]);
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("not-the-secret"),
        "the secret is never echoed: {stderr}"
    );
    assert_eq!(entry_count(&app).await, 0);

    let unreachable = run_timesheets(
        &[
            "import",
            file.to_str().expect("path"),
            "--api-url",
            "http://127.0.0.1:9",
            "--client-id",
            CLIENT,
        ],
        &[("TIMESHEETS_CLIENT_SECRET", "x")],
    )
    .await;
    fails_saying(&unreachable, &["cannot reach"]);

    let missing = dir.path().join("missing-column.csv");
    std::fs::write(
        &missing,
        "external_id,date,project,duration\nx,2026-01-05,ACME,1h\n",
    )
    .expect("written");
    let output = import(&app, &missing, "x", &["--dry-run"]).await;
    fails_saying(&output, &["line 1"]);

    let latin1 = dir.path().join("latin1.csv");
    std::fs::write(
        &latin1,
        b"external_id,user_email,date,project,duration,note\nx,person1@example.com,2026-01-05,ACME,1h,caf\xe9\n",
    )
    .expect("written");
    let output = import(&app, &latin1, "x", &["--dry-run"]).await;
    fails_saying(&output, &["line 2", "UTF-8"]);
}

#[tokio::test]
async fn an_export_imports_into_a_fresh_database_unchanged() {
    let source = TestApp::spawn_embedded_with(|args| args.provider.demo = true).await;
    let emma = sign_in(
        &source,
        "emma@exampleco.test",
        "emma-demo-pass",
        "openid read:timesheets",
    )
    .await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("emma.csv");
    // The demo wrote last week: export exactly the range of Emma's entries.
    let mine: Value = source
        .call(
            Method::GET,
            "/api/timesheets?limit=500",
            &emma.access_token,
            None,
        )
        .await
        .json()
        .await
        .expect("JSON");
    let items = mine["items"].as_array().expect("items").clone();
    let first = items[0]["date"].as_str().expect("a date");
    let last = items[items.len() - 1]["date"].as_str().expect("a date");
    let exported = run_timesheets(
        &[
            "export",
            "--from",
            first,
            "--to",
            last,
            "--api-url",
            &source.address,
            "--output",
            file.to_str().expect("path"),
        ],
        &[("TIMESHEETS_ACCESS_TOKEN", &emma.access_token)],
    )
    .await;
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    let csv = std::fs::read_to_string(&file).expect("the export");
    assert_eq!(csv.lines().count(), items.len() + 1, "{csv}");

    let target = TestApp::spawn_embedded().await;
    for (code, name) in [
        ("ACME", "Acme"),
        ("INTERNAL", "Internal"),
        ("TRAINING", "Training"),
    ] {
        target.add_project(code, name).await;
    }
    {
        let mut tx = target.db.begin_write().await.expect("a write transaction");
        let user = User {
            issuer: target.address.clone(),
            subject: "emma".into(),
            name: Some("Emma".into()),
            email: Some("emma@exampleco.test".into()),
            scopes: ScopeSet::default(),
            auth_time: None,
        };
        server::store::users::upsert(&mut tx, &user, 0)
            .await
            .expect("Emma");
        tx.commit().await.expect("committed");
    }
    let secret = target.add_batch_client(CLIENT, &["batch:upload"]).await;
    let output = import(&target, &file, &secret, &[]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let read = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
                "SELECT e.work_date, p.code, e.minutes, e.note FROM entries e
                 JOIN projects p ON p.id = e.project_id
                 JOIN users u ON u.id = e.user_id
                 WHERE u.email = 'emma@exampleco.test' ORDER BY e.work_date, p.code",
            )
            .fetch_all(&pool)
            .await
            .expect("entries");
            rows
        }
    };
    let (before, after) = (read(&source).await, read(&target).await);
    assert!(!before.is_empty());
    assert_eq!(before, after, "the same entries after the round trip");
}

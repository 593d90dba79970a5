//! A 10,000-row batch upload through the real server, timed end to end (HTTP, token,
//! parsing, look-ups, inserts, commit): `cargo bench -p server --bench upload`.
//! SQLite by default; PostgreSQL with `BENCH_DATABASE_URL=postgres://…/<fresh database>`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::{
    auth::OidcArgs,
    config::{DatabaseArgs, ServeArgs},
    startup::Application,
};
use support::{BenchIssuer, AUDIENCE};

const ROWS: usize = 10_000;
const RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let issuer = BenchIssuer::start().await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.path().display()));
    let args = ServeArgs {
        database: DatabaseArgs {
            database_url: database_url.parse().expect("a database URL"),
            database_max_connections: Some(8),
        },
        addr: "127.0.0.1:0".parse().expect("an address"),
        site_root: dir.path().to_path_buf(),
        shutdown_timeout_secs: 1,
        oidc: OidcArgs {
            oidc_issuer: Some(issuer.url.parse().expect("issuer")),
            oidc_audience: AUDIENCE.into(),
            oidc_permissions_claim: "permissions".into(),
            oidc_algorithms: vec!["RS256".parse().expect("RS256")],
            oidc_require_at_jwt: false,
            oidc_leeway_secs: 30,
            oidc_jwks_refetch_secs: 60,
            oidc_jwks_max_age_secs: 3600,
            oidc_pwa_scopes: "openid profile email offline_access read:timesheets".into(),
            oidc_authorize_params: String::new(),
            oidc_dpop: server::auth::DpopMode::Allowed,
        },
        provider: Default::default(),
        cors_allowed_origins: Vec::new(),
        read_cache: true,
        decision_undo_secs: 30,
        approval_max_auth_age_secs: 900,
        reminders: server::config::ReminderArgs::off(),
    };
    let app = Application::build(args).await.expect("the server starts");
    let base = format!("http://{}", app.address());
    let backend = app.db().backend();
    {
        let mut tx = app.db().begin_write().await.expect("a write transaction");
        server::store::projects::add(
            &mut tx,
            &app::domain::ProjectCode::parse("ACME").expect("code"),
            &app::admin::ProjectDetails {
                name: app::domain::ProjectName::parse("Acme").expect("name"),
                customer: None,
                colour: None,
            },
            0,
        )
        .await
        .expect("a project");
        tx.commit().await.expect("committed");
    }
    tokio::spawn(app.run_until_stopped(std::future::pending(), Duration::from_secs(1)));
    let http = reqwest::Client::new();

    // Users must have signed in once: create them by logging one entry each.
    let people = 20;
    for person in 0..people {
        let token = issuer.token(
            0,
            json!({"sub": format!("user-{person}"), "email": format!("user{person}@example.com"),
                   "scope": "create:timesheets"}),
        );
        let response = http
            .post(format!("{base}/api/timesheets"))
            .bearer_auth(token)
            .json(&json!({"project": "ACME", "date": "2026-01-05", "minutes": 1}))
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "{}", response.status());
    }
    let client_token = issuer.token(
        0,
        json!({"sub": "payroll", "client_id": "payroll", "scope": "batch:upload"}),
    );

    let mut timings = Vec::new();
    let mut first_body = Vec::new();
    for run in 0..RUNS {
        // 20 people × 500 rows spread over 100 days: 5 minutes per person and day per run.
        let rows: Vec<Value> = (0..ROWS)
            .map(|n| {
                json!({
                    "external_id": format!("run-{run}-row-{n}"),
                    "user_email": format!("user{}@example.com", n % people),
                    "project": "ACME",
                    "date": format!("2026-{:02}-{:02}", (n / people) % 100 / 28 + 2, (n / people) % 28 + 1),
                    "minutes": 5,
                    "note": "imported by the benchmark",
                })
            })
            .collect();
        let body = serde_json::to_vec(&rows).expect("JSON");
        if run == 0 {
            first_body = body.clone();
        }
        let (elapsed, report) = upload(&http, &base, &client_token, body).await;
        assert_eq!(
            count(&report, false),
            ROWS,
            "every row accepted: {}",
            report["rejected"]
        );
        timings.push(elapsed);
        println!("run {run}: {ROWS} new rows in {:.0} ms", millis(elapsed));
    }
    timings.sort();
    println!(
        "upload of {ROWS} rows on {backend}: median {:.0} ms, min {:.0} ms, max {:.0} ms ({RUNS} runs)",
        millis(timings[RUNS / 2]),
        millis(timings[0]),
        millis(timings[RUNS - 1]),
    );

    // A retry of the first upload: every row is found and reported, nothing written.
    let (elapsed, report) = upload(&http, &base, &client_token, first_body).await;
    assert_eq!(count(&report, true), ROWS, "every row a duplicate");
    println!(
        "retried upload of {ROWS} rows on {backend} (all already stored): {:.0} ms",
        millis(elapsed)
    );
}

/// Sends one upload; the time includes reading the whole report.
async fn upload(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> (Duration, Value) {
    let started = Instant::now();
    let response = http
        .post(format!("{base}/api/timesheets/upload"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let report: Value = response.json().await.expect("a report");
    let elapsed = started.elapsed();
    assert!(status.is_success(), "{status}: {report}");
    (elapsed, report)
}

/// Accepted rows that were (or were not) already stored.
fn count(report: &Value, duplicate: bool) -> usize {
    report["accepted"].as_array().map_or(0, |rows| {
        rows.iter()
            .filter(|row| row["duplicate"] == duplicate)
            .count()
    })
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

//! `POST /api/timesheets/upload`: per-row reports, idempotent retries, 10,000 rows at once.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

#[tokio::test]
async fn a_batch_upload_reports_each_row_and_a_retry_duplicates_nothing() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    // Ann signs in and logs once, so the uploader can name her by email.
    app.call(
        Method::POST,
        "/api/timesheets",
        &app.employee_token(),
        Some(&entry_body("2026-11-20", 1.0)),
    )
    .await;
    let client = app.client_token("payroll", "batch:upload");
    let rows = json!([
        {"external_id": "p-1", "user_email": "ANN@example.com", "project": "acme", "date": "2026-11-23", "hours": 8},
        {"external_id": "p-2", "user_issuer": app.issuer.url, "user_subject": "user-ann", "project": "ACME", "date": "2026-11-24", "minutes": 90},
        {"external_id": "p-3", "user_email": "nobody@example.com", "project": "ACME", "date": "2026-11-24", "hours": 1},
        {"external_id": "p-4", "user_email": "ann@example.com", "project": "ACME", "date": "2026-13-01", "hours": 1},
        {"external_id": "p-5", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-23", "hours": 17},
    ]);
    let report: Value = app
        .call(Method::POST, "/api/timesheets/upload", &client, Some(&rows))
        .await
        .json()
        .await
        .unwrap();
    let accepted: Vec<&str> = report["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, ["p-1", "p-2"]);
    let rejected: Vec<(&str, &str)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["external_id"].as_str().unwrap(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [("p-3", "user"), ("p-4", "date"), ("p-5", "minutes")]
    );

    let before = app.fingerprint().await;
    let retry: Value = app
        .call(Method::POST, "/api/timesheets/upload", &client, Some(&rows))
        .await
        .json()
        .await
        .unwrap();
    assert!(retry["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["duplicate"] == true));
    assert_eq!(app.fingerprint().await, before, "a retry writes nothing");

    let listed: Value = app
        .get_as(&app.employee_token(), "/api/timesheets?week=2026-W48")
        .await
        .json()
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items
        .iter()
        .all(|e| e["status"] == "submitted" && e["source"] == "batch:payroll"));
}

#[tokio::test]
async fn ten_thousand_rows_upload_in_one_request_and_a_retry_adds_none() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.call(
        Method::POST,
        "/api/timesheets",
        &app.employee_token(),
        Some(&entry_body("2026-10-01", 1.0)),
    )
    .await;
    let rows: Vec<Value> = (0..10_000)
        .map(|n| {
            json!({
                "external_id": format!("row-{n}"),
                "user_email": "ann@example.com",
                "project": "ACME",
                "date": format!("2026-11-{:02}", n % 20 + 1),
                "minutes": 1,
            })
        })
        .collect();
    let body = Value::Array(rows);
    let client = app.client_token("payroll", "batch:upload");
    let report: Value = app
        .call(Method::POST, "/api/timesheets/upload", &client, Some(&body))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"].as_array().unwrap().len(), 10_000);
    assert_eq!(report["rejected"], json!([]));
    let counts = app.fingerprint().await;
    assert_eq!(counts[2], 10_001, "entries");
    assert_eq!(counts[4], 10_001, "audit records");

    let retry: Value = app
        .call(Method::POST, "/api/timesheets/upload", &client, Some(&body))
        .await
        .json()
        .await
        .unwrap();
    let accepted = retry["accepted"].as_array().unwrap();
    assert_eq!(accepted.len(), 10_000);
    assert!(accepted.iter().all(|row| row["duplicate"] == true));
    assert_eq!(app.fingerprint().await, counts);

    let mut too_many = body.as_array().unwrap().clone();
    too_many.push(json!({"external_id": "one-more", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-21", "minutes": 1}));
    let response = app
        .call(
            Method::POST,
            "/api/timesheets/upload",
            &client,
            Some(&Value::Array(too_many)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_external_id_twice_in_one_upload_is_rejected_once() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.call(
        Method::POST,
        "/api/timesheets",
        &app.employee_token(),
        Some(&entry_body("2026-10-01", 1.0)),
    )
    .await;
    let row = json!({"external_id": "same", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-23", "hours": 1});
    let report: Value = app
        .call(
            Method::POST,
            "/api/timesheets/upload",
            &app.client_token("payroll", "batch:upload"),
            Some(&json!([row, row])),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"].as_array().unwrap().len(), 1);
    assert_eq!(report["rejected"][0]["index"], 1);
    assert_eq!(report["rejected"][0]["field"], "external_id");
}

//! `GET /api/timesheets/export`: a date range as CSV — one's own entries, or everyone's
//! approved entries for a manager — with clear errors for bad ranges.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const EMPLOYEE: &str = "read:timesheets create:timesheets";
const MANAGER: &str = "read:timesheets create:timesheets approve:timesheets";

async fn log(app: &TestApp, token: &str, body: Value) -> String {
    let response = app
        .call(Method::POST, "/api/timesheets", token, Some(&body))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let entry: Value = response.json().await.expect("an entry");
    entry["id"].as_str().expect("an id").to_owned()
}

/// The CSV's header and rows, each row as (column → value) pairs.
async fn csv_rows(response: reqwest::Response) -> (Vec<String>, Vec<Vec<(String, String)>>) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"timesheets-"),
        "{disposition}"
    );
    let body = response.bytes().await.expect("a body");
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

fn column<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(column, _)| column == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[tokio::test]
async fn an_export_holds_ones_own_entries_of_the_range() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(EMPLOYEE);
    let bob = app.token_for("user-bob", "bob@example.com", EMPLOYEE);
    let late = log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-11-24", "minutes": 90, "note": "review, \"final\"\nsecond line"}),
    )
    .await;
    let early = log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-11-02", "hours": 7.5, "status": "draft"}),
    )
    .await;
    log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-12-01", "hours": 1}),
    )
    .await;
    log(
        &app,
        &bob,
        json!({"project": "ACME", "date": "2026-11-10", "hours": 2}),
    )
    .await;

    let (header, rows) = csv_rows(
        app.get_as(&ann, "/api/timesheets/export?from=2026-11-01&to=2026-11-30")
            .await,
    )
    .await;
    assert_eq!(header, server::timesheet_csv::COLUMNS);
    let ids: Vec<&str> = rows.iter().map(|row| column(row, "id")).collect();
    assert_eq!(ids, [early.as_str(), late.as_str()], "Ann's, by date");
    let row = &rows[1];
    assert_eq!(column(row, "external_id"), late, "the entry id stands in");
    assert_eq!(column(row, "user_subject"), "user-ann");
    assert_eq!(column(row, "user_email"), "ann@example.com");
    assert_eq!(column(row, "date"), "2026-11-24");
    assert_eq!(column(row, "project"), "ACME");
    assert_eq!(column(row, "minutes"), "90");
    assert_eq!(column(row, "hours"), "1.50");
    assert_eq!(column(row, "status"), "submitted");
    assert_eq!(column(row, "note"), "review, \"final\"\nsecond line");
    assert_eq!(column(row, "source"), "api");

    let (_, drafts) = csv_rows(
        app.get_as(
            &ann,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30&status=draft",
        )
        .await,
    )
    .await;
    let ids: Vec<&str> = drafts.iter().map(|row| column(row, "id")).collect();
    assert_eq!(ids, [early.as_str()]);

    // Someone who never logged anything gets the header alone.
    let carl = app.token_for("user-carl", "carl@example.com", EMPLOYEE);
    let (header, rows) = csv_rows(
        app.get_as(
            &carl,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30",
        )
        .await,
    )
    .await;
    assert_eq!(header.len(), server::timesheet_csv::COLUMNS.len());
    assert!(rows.is_empty());
}

#[tokio::test]
async fn a_manager_exports_everyones_approved_entries_only() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(EMPLOYEE);
    let manager = app.token_for("user-bob", "bob@example.com", MANAGER);
    let approved = log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-11-23", "hours": 8}),
    )
    .await;
    log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-11-24", "hours": 8}),
    )
    .await;
    let response = app
        .call(
            Method::PUT,
            &format!("/api/approvals/{approved}"),
            &manager,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let everyone = "/api/timesheets/export?from=2026-11-01&to=2026-11-30&everyone=true";
    let (_, rows) = csv_rows(app.get_as(&manager, everyone).await).await;
    let ids: Vec<&str> = rows.iter().map(|row| column(row, "id")).collect();
    assert_eq!(ids, [approved.as_str()]);
    assert_eq!(column(&rows[0], "status"), "approved");
    assert_eq!(column(&rows[0], "user_subject"), "user-ann");

    let denied = app.get_as(&ann, everyone).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let error: Value = denied.json().await.expect("JSON");
    assert_eq!(error["scope"], "approve:timesheets");

    let wrong_status = app
        .get_as(&manager, &format!("{everyone}&status=submitted"))
        .await;
    assert_eq!(wrong_status.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = wrong_status.json().await.expect("JSON");
    assert_eq!(error["field"], "status");
}

#[tokio::test]
async fn formula_like_text_is_exported_guarded() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(EMPLOYEE);
    log(
        &app,
        &ann,
        json!({"project": "ACME", "date": "2026-11-23", "hours": 1, "note": "=HYPERLINK(\"http://evil.example\")"}),
    )
    .await;
    let (_, rows) = csv_rows(
        app.get_as(&ann, "/api/timesheets/export?from=2026-11-23&to=2026-11-23")
            .await,
    )
    .await;
    let note = column(&rows[0], "note");
    assert_eq!(note, "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(
        server::timesheet_csv::unguard(note),
        "=HYPERLINK(\"http://evil.example\")"
    );
}

#[tokio::test]
async fn bad_export_ranges_get_clear_errors() {
    let app = TestApp::spawn().await;
    let ann = app.user_token(EMPLOYEE);
    for (query, field) in [
        ("to=2026-11-30", "from"),
        ("from=2026-11-01", "to"),
        ("from=2026-11-31&to=2026-12-01", "from"),
        ("from=2026-12-01&to=2026-11-01", "from"),
        ("from=2026-01-01&to=2027-01-02", "to"),
        ("from=2026-11-01&to=2026-11-30&status=paid", "status"),
    ] {
        let response = app
            .get_as(&ann, &format!("/api/timesheets/export?{query}"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let error: Value = response.json().await.expect("JSON");
        assert_eq!(error["error"], "validation", "{query}");
        assert_eq!(error["field"], field, "{query}");
    }
    let response = app
        .get_as(
            &ann,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30&everyone=maybe",
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A full leap year is allowed.
    let response = app
        .get_as(&ann, "/api/timesheets/export?from=2028-01-01&to=2028-12-31")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

//! `/api/timesheets`: logging, reading, listing and editing one's own entries.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

#[tokio::test]
async fn the_seed_body_creates_an_entry_awaiting_approval() {
    let app = TestApp::spawn().await;
    app.add_project("WEB", "Website").await;
    let response = app
        .call(
            Method::POST,
            "/api/timesheets",
            &app.employee_token(),
            Some(&json!({"project": "Website", "date": "2026-11-23T08:00:00.000Z", "hours": 7.5})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let entry: Value = response.json().await.unwrap();
    assert_eq!(entry["date"], "2026-11-23");
    assert_eq!(entry["project"], "WEB");
    assert_eq!(entry["hours"], 7.5);
    assert_eq!(entry["minutes"], 450);
    assert_eq!(entry["status"], "submitted");
    assert_eq!(entry["approved"], false);
    assert_eq!(entry["user_id"], "user-ann");

    let approvals: Value = app
        .get_as(
            &app.token_for(MANAGER.0, MANAGER.1, "approve:timesheets"),
            "/api/approvals",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approvals.as_array().unwrap().len(), 1);
    assert_eq!(approvals[0]["id"], entry["id"]);
}

#[tokio::test]
async fn someone_elses_entry_is_not_found() {
    let (app, _, draft) = app_with_entries().await;
    let other = app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES);
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{draft}"),
            &other,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let listed: Value = app
        .get_as(&other, "/api/timesheets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn a_retried_create_with_the_same_id_is_idempotent() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let token = app.employee_token();
    let mut body = entry_body("2026-11-23", 3.0);
    body["id"] = json!("5f0c3c8e-9b1a-4c1e-8f7a-2b3c4d5e6f70");
    let first = app
        .call(Method::POST, "/api/timesheets", &token, Some(&body))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let retry = app
        .call(Method::POST, "/api/timesheets", &token, Some(&body))
        .await;
    assert_eq!(retry.status(), StatusCode::OK);
    let listed: Value = app
        .get_as(&token, "/api/timesheets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    body["hours"] = json!(4);
    let changed = app
        .call(Method::POST, "/api/timesheets", &token, Some(&body))
        .await;
    assert_eq!(changed.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let token = app.employee_token();
    // Users are recorded on their first write; make that happen first.
    app.call(
        Method::POST,
        "/api/timesheets",
        &token,
        Some(&entry_body("2026-11-23", 1.0)),
    )
    .await;
    let before = app.fingerprint().await;
    let cases: [(Value, &str); 6] = [
        (
            json!({"project": "ACME", "date": "2026-02-30", "hours": 1}),
            "date",
        ),
        (
            json!({"project": "ACME", "date": "2026-11-23", "hours": 25}),
            "hours",
        ),
        (
            json!({"project": "NOPE", "date": "2026-11-23", "hours": 1}),
            "project",
        ),
        (
            json!({"project": "ACME", "date": "2026-11-23", "hours": 23.5}),
            "minutes",
        ),
        (json!({"project": "ACME", "date": "2026-11-23"}), "minutes"),
        (
            json!({"project": 5, "date": "2026-11-23", "hours": 1}),
            "body",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .call(Method::POST, "/api/timesheets", &token, Some(&body))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "validation", "{body}");
        assert_eq!(error["field"], field, "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let malformed = app
        .client
        .post(app.url("/api/timesheets"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"project\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let not_json = app
        .client
        .post(app.url("/api/timesheets"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("project=ACME")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = app
        .client
        .post(app.url("/api/timesheets"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!("{{\"note\": \"{}\"}}", "x".repeat(100 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn projects_are_listed_active_first() {
    let app = TestApp::spawn().await;
    app.add_project("ZED", "Zed").await;
    app.add_project("ACME", "Acme").await;
    let projects: Value = app
        .get_as(&app.user_token("read:timesheets"), "/api/projects")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        projects,
        json!([
            {"code": "ACME", "name": "Acme", "customer": null, "colour": null, "active": true},
            {"code": "ZED", "name": "Zed", "customer": null, "colour": null, "active": true},
        ])
    );
}

#[tokio::test]
async fn lists_are_paginated_by_cursor() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let token = app.employee_token();
    for day in 23..=27 {
        app.call(
            Method::POST,
            "/api/timesheets",
            &token,
            Some(&entry_body(&format!("2026-11-{day}"), 1.0)),
        )
        .await;
    }
    let mut dates = Vec::new();
    let mut path = "/api/timesheets?from=2026-11-24&limit=2".to_owned();
    loop {
        let page: Value = app.get_as(&token, &path).await.json().await.unwrap();
        dates.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["date"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/timesheets?from=2026-11-24&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(
        dates,
        ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]
    );
    let bad = app.get_as(&token, "/api/timesheets?week=2026-W99").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// A week comes back in date order with its text exact, whichever decoder read it
/// (`store::entries`: rusqlite on SQLite, sqlx rows on PostgreSQL).
#[tokio::test]
async fn a_week_reads_back_in_date_order_with_its_text_exact() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme \"quoted\" \\ 🚀").await;
    let token = app.employee_token();
    let notes = [
        ("2026-11-27", "line one\nline two\ttabbed"),
        (
            "2026-11-23",
            "\"quotes\", back\\slash, </script> & ünïcødé 🕒",
        ),
        ("2026-11-25", "{\"looks\": [\"like JSON\"]}"),
    ];
    for (date, note) in notes {
        let mut body = entry_body(date, 1.0);
        body["note"] = json!(note);
        let created = app
            .call(Method::POST, "/api/timesheets", &token, Some(&body))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let week: Value = app
        .get_as(&token, "/api/timesheets?week=2026-W48")
        .await
        .json()
        .await
        .unwrap();
    let read: Vec<(&str, &str, &str)> = week["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["date"].as_str().unwrap(),
                e["note"].as_str().unwrap(),
                e["project_name"].as_str().unwrap(),
            )
        })
        .collect();
    let project = "Acme \"quoted\" \\ 🚀";
    assert_eq!(
        read,
        [
            ("2026-11-23", notes[1].1, project),
            ("2026-11-25", notes[2].1, project),
            ("2026-11-27", notes[0].1, project),
        ]
    );
}

#[tokio::test]
async fn one_entry_is_read_by_its_owner_only() {
    let (app, submitted, _) = app_with_entries().await;
    let ann = app
        .get_as(
            &app.user_token("read:timesheets"),
            &format!("/api/timesheets/{submitted}"),
        )
        .await;
    assert_eq!(ann.status(), StatusCode::OK);
    assert_eq!(ann.headers()["etag"], "\"1\"");
    let other = app
        .get_as(
            &app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES),
            &format!("/api/timesheets/{submitted}"),
        )
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let unknown = app
        .get_as(
            &app.user_token("read:timesheets"),
            "/api/timesheets/7d1f3b9e-1c2a-4e5f-9a8b-0c1d2e3f4a5b",
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let not_an_id = app
        .get_as(&app.user_token("read:timesheets"), "/api/timesheets/42")
        .await;
    assert_eq!(not_an_id.status(), StatusCode::NOT_FOUND);
}

/// Many people writing at once: every create is answered, none with a 5xx. (The SQLite
/// "database is locked" that `make fuzz` found came from transactions that read before
/// writing; this load does not reproduce it reliably, the fuzz run does.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_never_fail_with_a_server_error() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let mut requests = Vec::new();
    for n in 0..200 {
        let token = app.token_for(
            &format!("writer-{}", n % 8),
            &format!("w{}@example.com", n % 8),
            "create:timesheets",
        );
        let request = app
            .client
            .post(app.url("/api/timesheets"))
            .bearer_auth(token)
            .json(&json!({"project": "ACME", "date": format!("2026-03-{:02}", n % 20 + 1), "minutes": 5}));
        requests.push(tokio::spawn(async move {
            request.send().await.expect("request sent").status()
        }));
    }
    for request in requests {
        let status = request.await.expect("the request ran");
        assert_eq!(status, StatusCode::CREATED);
    }
}

/// A week read is kept (on SQLite) and served again until something is written: each
/// kind of write, by the owner or by someone else, shows in the owner's next read.
#[tokio::test]
async fn a_week_read_again_shows_every_write_since_whoever_made_it() {
    let (app, submitted, draft, _) = app_with_more_entries().await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let week = || async {
        let page: Value = app
            .get_as(&ann, "/api/timesheets?week=2026-W48")
            .await
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().clone()
    };
    let find = |items: &[Value], id: &str| {
        items
            .iter()
            .find(|entry| entry["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let first = week().await;
    assert_eq!(first.len(), 3);
    assert_eq!(week().await, first, "read twice, nothing written between");

    // Someone else's write: a manager approves one of Ann's entries.
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let approve = app
        .call(
            Method::PUT,
            &format!("/api/approvals/{submitted}"),
            &manager,
            None,
        )
        .await;
    assert_eq!(approve.status(), StatusCode::OK);
    assert_eq!(find(&week().await, &submitted)["status"], "approved");

    // Her own edit.
    let edited = edit_with_version(
        &app,
        &ann,
        &draft,
        1,
        &json!({"project": "ACME", "date": "2026-11-24", "hours": 3.0}),
    )
    .await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert_eq!(find(&week().await, &draft)["hours"], 3.0);

    // A batch upload on her behalf.
    let client = app.client_token("payroll", "batch:upload");
    let rows = json!([{"external_id": "w48", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-26", "hours": 4}]);
    let upload = app
        .call(Method::POST, "/api/timesheets/upload", &client, Some(&rows))
        .await;
    assert_eq!(upload.status(), StatusCode::OK);
    let items = week().await;
    assert_eq!(items.len(), 4);
    assert!(items.iter().any(|entry| entry["external_id"] == "w48"));

    // A new name in her token, seen when she logs time on another week: every entry of
    // hers shows it.
    let mut claims = app.issuer.user_claims(ALL_USER_SCOPES);
    claims["name"] = "Ann Renamed".into();
    let renamed = app.issuer.sign(&claims);
    let created = app
        .call(
            Method::POST,
            "/api/timesheets",
            &renamed,
            Some(&entry_body("2026-12-07", 1.0)),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let items = week().await;
    assert!(
        items
            .iter()
            .all(|entry| entry["owner"]["name"] == "Ann Renamed"),
        "{items:?}"
    );

    // A deletion.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{draft}"),
            &ann,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(find(&week().await, &draft).is_null());
}

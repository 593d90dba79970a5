//! The timesheet routes: every route behind its scope (403 and no database change
//! without it), principals of the wrong kind refused, and the entry life cycle.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const ALL_USER_SCOPES: &str =
    "read:timesheets create:timesheets delete:timesheets approve:timesheets";
const MANAGER: (&str, &str) = ("user-bob", "bob@example.com");

fn entry_body(date: &str, hours: f64) -> Value {
    json!({"project": "ACME", "date": date, "hours": hours})
}

/// An app with a project, Ann's two submitted entries, and Ann's draft.
async fn app_with_entries() -> (TestApp, String, String) {
    let (app, submitted, draft, _) = app_with_more_entries().await;
    (app, submitted, draft)
}

async fn app_with_more_entries() -> (TestApp, String, String, String) {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let submitted: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &ann,
            Some(&entry_body("2026-11-23", 7.5)),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut draft_body = entry_body("2026-11-24", 2.0);
    draft_body["status"] = json!("draft");
    let draft: Value = app
        .call(Method::POST, "/api/timesheets", &ann, Some(&draft_body))
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &ann,
            Some(&entry_body("2026-11-25", 1.0)),
        )
        .await
        .json()
        .await
        .unwrap();
    (
        app,
        submitted["id"].as_str().unwrap().to_owned(),
        draft["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    )
}

/// `PUT /api/timesheets/{id}` with `If-Match: "<version>"`.
async fn edit_with_version(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    body: &Value,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/timesheets/{id}")))
        .bearer_auth(token)
        .header("if-match", format!("\"{version}\""))
        .json(body)
        .send()
        .await
        .unwrap()
}

fn all_but(scope: &str) -> String {
    ALL_USER_SCOPES
        .split(' ')
        .chain(["batch:upload"])
        .filter(|s| *s != scope)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn every_route_needs_its_scope_and_changes_nothing_without_it() {
    let (app, submitted, draft, second) = app_with_more_entries().await;
    let upload = json!([{
        "external_id": "row-1", "user_email": "ann@example.com",
        "project": "ACME", "date": "2026-11-25", "hours": 1
    }]);
    let routes: Vec<(Method, String, Option<Value>, &str, bool)> = vec![
        (
            Method::GET,
            "/api/timesheets".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/projects".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            format!("/api/timesheets/{draft}"),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::PUT,
            format!("/api/timesheets/{draft}"),
            Some(entry_body("2026-11-24", 3.0)),
            "create:timesheets",
            false,
        ),
        (
            Method::POST,
            "/api/timesheets".into(),
            Some(entry_body("2026-11-26", 1.0)),
            "create:timesheets",
            false,
        ),
        (
            Method::DELETE,
            format!("/api/timesheets/{draft}"),
            None,
            "delete:timesheets",
            false,
        ),
        (
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit".into(),
            None,
            "create:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/approvals".into(),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::PUT,
            format!("/api/approvals/{second}"),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::POST,
            format!("/api/approvals/{submitted}/reject"),
            Some(json!({"note": "wrong project"})),
            "approve:timesheets",
            true,
        ),
        (
            Method::POST,
            "/api/approvals/weeks/2026-W48".into(),
            Some(json!({"user_id": "user-ann"})),
            "approve:timesheets",
            true,
        ),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30&everyone=true".into(),
            None,
            "approve:timesheets",
            true,
        ),
        (Method::GET, "/api/me".into(), None, "", false),
        (
            Method::POST,
            "/api/timesheets/upload".into(),
            Some(upload),
            "batch:upload",
            false,
        ),
    ];
    for (method, path, body, scope, as_manager) in routes {
        let is_batch = scope == "batch:upload";
        let token_with = |scopes: &str| {
            if is_batch {
                app.client_token("payroll", scopes)
            } else if as_manager {
                app.token_for(MANAGER.0, MANAGER.1, scopes)
            } else {
                app.user_token(scopes)
            }
        };
        let case = format!("{method} {path}");
        let before = app.fingerprint().await;
        if scope.is_empty() {
            // Any valid user token, whatever its scopes.
            let response = app.call(method, &path, &token_with(""), None).await;
            assert_eq!(response.status(), StatusCode::OK, "{case}");
            continue;
        }
        let denied = app
            .call(
                method.clone(),
                &path,
                &token_with(&all_but(scope)),
                body.as_ref(),
            )
            .await;
        assert_eq!(denied.status(), StatusCode::FORBIDDEN, "{case}");
        assert_eq!(
            denied.headers()["www-authenticate"],
            format!(r#"Bearer error="insufficient_scope", scope="{scope}""#).as_str(),
            "{case}"
        );
        let error: Value = denied.json().await.unwrap();
        assert_eq!(error["error"], "insufficient_scope", "{case}");
        assert_eq!(error["scope"], scope, "{case}");
        assert_eq!(
            app.fingerprint().await,
            before,
            "{case} changed the database"
        );

        let allowed = app
            .call(method.clone(), &path, &token_with(scope), body.as_ref())
            .await;
        assert!(
            allowed.status().is_success(),
            "{case} with {scope}: {}",
            allowed.status()
        );
    }
}

#[tokio::test]
async fn a_user_token_on_the_batch_route_is_forbidden() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let before = app.fingerprint().await;
    let body = json!({"external_id": "r1", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-23", "hours": 1});
    let response = app
        .call(
            Method::POST,
            "/api/timesheets/upload",
            &app.user_token("batch:upload read:timesheets create:timesheets"),
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn a_machine_token_on_user_routes_is_forbidden() {
    let (app, submitted, _) = app_with_entries().await;
    let machine = app.client_token("payroll", &format!("{ALL_USER_SCOPES} batch:upload"));
    let before = app.fingerprint().await;
    for (method, path, body) in [
        (Method::GET, "/api/timesheets".to_owned(), None),
        (
            Method::POST,
            "/api/timesheets".to_owned(),
            Some(entry_body("2026-11-27", 1.0)),
        ),
        (Method::GET, "/api/approvals".to_owned(), None),
        (Method::PUT, format!("/api/approvals/{submitted}"), None),
    ] {
        let response = app
            .call(method.clone(), &path, &machine, body.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn every_timesheet_route_refuses_a_missing_token_before_touching_the_database() {
    let (app, submitted, draft) = app_with_entries().await;
    let before = app.fingerprint().await;
    for (method, path) in [
        (Method::GET, "/api/timesheets".to_owned()),
        (Method::POST, "/api/timesheets".to_owned()),
        (Method::DELETE, format!("/api/timesheets/{draft}")),
        (Method::GET, "/api/approvals".to_owned()),
        (Method::PUT, format!("/api/approvals/{submitted}")),
        (Method::POST, format!("/api/approvals/{submitted}/reject")),
        (Method::POST, "/api/timesheets/upload".to_owned()),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30".to_owned(),
        ),
        (Method::GET, "/api/me".to_owned()),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .json(&entry_body("2026-11-23", 1.0))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    assert_eq!(app.fingerprint().await, before);
}

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
async fn a_manager_approves_with_an_empty_body_and_never_their_own_entries() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let own: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &manager,
            Some(&entry_body("2026-11-23", 1.0)),
        )
        .await
        .json()
        .await
        .unwrap();
    let ann: Value = app
        .call(
            Method::POST,
            "/api/timesheets",
            &app.employee_token(),
            Some(&entry_body("2026-11-23", 1.0)),
        )
        .await
        .json()
        .await
        .unwrap();
    let pending: Value = app
        .get_as(&manager, "/api/approvals")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&Value> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert_eq!(ids, [&ann["id"]], "one's own entries are not listed");

    let own_id = own["id"].as_str().unwrap();
    let response = app
        .client
        .put(app.url(&format!("/api/approvals/{own_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let ann_id = ann["id"].as_str().unwrap();
    let response = app
        .client
        .put(app.url(&format!("/api/approvals/{ann_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let approved: Value = response.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["version"], 2);

    // Approved entries are locked: neither approved again nor deleted.
    let again = app
        .client
        .put(app.url(&format!("/api/approvals/{ann_id}")))
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let delete = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{ann_id}"),
            &app.employee_token(),
            None,
        )
        .await;
    assert_eq!(delete.status(), StatusCode::CONFLICT);

    let some = |value: &str| Some(value.to_owned());
    assert_eq!(
        app.audit_trail(ann_id).await,
        [
            [
                some("create"),
                None,
                some("submitted"),
                some("user-ann"),
                None
            ],
            [
                some("approve"),
                some("submitted"),
                some("approved"),
                some(MANAGER.0),
                None
            ],
        ]
    );
}

#[tokio::test]
async fn a_rejection_keeps_the_managers_note() {
    let (app, submitted, _) = app_with_entries().await;
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let path = format!("/api/approvals/{submitted}/reject");
    let no_note = app
        .call(Method::POST, &path, &manager, Some(&json!({"note": "  "})))
        .await;
    assert_eq!(no_note.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejected: Value = app
        .call(
            Method::POST,
            &path,
            &manager,
            Some(&json!({"note": "Wrong project"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_note"], "Wrong project");
    let trail = app.audit_trail(&submitted).await;
    assert_eq!(trail.last().unwrap()[0].as_deref(), Some("reject"));
    assert_eq!(trail.last().unwrap()[4].as_deref(), Some("Wrong project"));
    // A rejected entry may be deleted by its owner.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/timesheets/{submitted}"),
            &app.user_token(ALL_USER_SCOPES),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
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

/// SQLite hands a list back as one JSON document (see `store::entries`): order and
/// text must come through it exactly.
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
async fn the_full_life_cycle_ends_locked() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.add_project("BETA", "Beta").await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let manager = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let mut ids = Vec::new();
    for date in ["2026-11-23", "2026-11-24"] {
        let mut body = entry_body(date, 4.0);
        body["status"] = json!("draft");
        let entry: Value = app
            .call(Method::POST, "/api/timesheets", &ann, Some(&body))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(entry["status"], "draft");
        ids.push(entry["id"].as_str().unwrap().to_owned());
    }
    let pending: Value = app
        .get_as(&manager, "/api/approvals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending, json!([]), "drafts are not awaiting approval");

    // Submit the week.
    let submitted: Value = app
        .call(
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit",
            &ann,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(submitted.as_array().unwrap().len(), 2);
    assert!(submitted
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["status"] == "submitted"));

    // Submitted entries cannot be edited.
    let edit = entry_body("2026-11-23", 5.0);
    let locked = app
        .call(
            Method::PUT,
            &format!("/api/timesheets/{}", ids[0]),
            &ann,
            Some(&edit),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::CONFLICT);

    // The manager rejects one with a note; Ann edits and resubmits it.
    let rejected: Value = app
        .call(
            Method::POST,
            &format!("/api/approvals/{}/reject", ids[0]),
            &manager,
            Some(&json!({"note": "Book it on BETA"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    let version = rejected["version"].as_i64().unwrap();
    let mut edit = entry_body("2026-11-23", 4.5);
    edit["project"] = json!("BETA");
    // Only a draft is what an edit makes.
    let mut resubmit_by_edit = edit.clone();
    resubmit_by_edit["status"] = json!("submitted");
    let refused = edit_with_version(&app, &ann, &ids[0], version, &resubmit_by_edit).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["field"], "status");
    // Sending back the status an edit leaves ("draft") is fine.
    edit["status"] = json!("draft");
    let stale = edit_with_version(&app, &ann, &ids[0], version - 1, &edit).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let edited = edit_with_version(&app, &ann, &ids[0], version, &edit).await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert_eq!(
        edited.headers()["etag"],
        format!("\"{}\"", version + 1).as_str()
    );
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["project"], "BETA");
    assert_eq!(edited["minutes"], 270);
    let resubmitted: Value = app
        .call(
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit",
            &ann,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resubmitted.as_array().unwrap().len(), 1);

    // The manager approves Ann's whole week; everything is locked.
    let approved: Value = app
        .call(
            Method::POST,
            "/api/approvals/weeks/2026-W48",
            &manager,
            Some(&json!({"user_id": "user-ann"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved.as_array().unwrap().len(), 2);
    for id in &ids {
        let entry: Value = app
            .get_as(&ann, &format!("/api/timesheets/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(entry["status"], "approved");
        assert_eq!(entry["approved"], true);
        let edit = app
            .call(
                Method::PUT,
                &format!("/api/timesheets/{id}"),
                &ann,
                Some(&entry_body("2026-11-23", 1.0)),
            )
            .await;
        assert_eq!(edit.status(), StatusCode::CONFLICT);
        let delete = app
            .call(Method::DELETE, &format!("/api/timesheets/{id}"), &ann, None)
            .await;
        assert_eq!(delete.status(), StatusCode::CONFLICT);
    }
    let actions: Vec<String> = app
        .audit_trail(&ids[0])
        .await
        .into_iter()
        .map(|row| row[0].clone().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "submit", "reject", "update", "submit", "approve"]
    );

    // Nobody approves their own week.
    let own = app
        .call(
            Method::POST,
            "/api/approvals/weeks/2026-W48",
            &manager,
            Some(&json!({"user_id": MANAGER.0})),
        )
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
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

//! `/api/timer`: one running timer per person across devices; the entry its stop makes
//! (with the timer's id) ends it, once.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

const TIMER: &str = "3f1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f71";
const OTHER: &str = "4a6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3b";

fn now_ms() -> i64 {
    db::clock::now_ms()
}

fn start_body(id: &str, project: &str, started_at: i64) -> Value {
    json!({"id": id, "project": project, "started_at": started_at})
}

/// `PUT /api/timer` as `token`.
async fn start(app: &TestApp, token: &str, id: &str, project: &str, at: i64) -> reqwest::Response {
    app.call(
        Method::PUT,
        "/api/timer",
        token,
        Some(&start_body(id, project, at)),
    )
    .await
}

/// `DELETE /api/timer/{id}` as `token`.
async fn discard(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.call(Method::DELETE, &format!("/api/timer/{id}"), token, None)
        .await
}

async fn running(app: &TestApp, token: &str) -> Option<Value> {
    let response = app.get_as(token, "/api/timer").await;
    match response.status() {
        StatusCode::NO_CONTENT => None,
        StatusCode::OK => Some(response.json().await.unwrap()),
        status => panic!("GET /api/timer answered {status}"),
    }
}

#[tokio::test]
async fn one_timer_per_person_and_its_entry_ends_it_once() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    app.add_project("BETA", "Beta").await;
    let ann = app.employee_token();
    let carl = app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES);
    assert_eq!(running(&app, &ann).await, None);

    let started_at = now_ms() - 30 * 60 * 1000;
    let started = start(&app, &ann, TIMER, "acme", started_at).await;
    assert_eq!(started.status(), StatusCode::OK);
    let timer = running(&app, &ann).await.expect("a running timer");
    assert_eq!(
        (
            timer["id"].as_str(),
            timer["project"].as_str(),
            timer["project_name"].as_str()
        ),
        (Some(TIMER), Some("ACME"), Some("Acme"))
    );
    assert_eq!(timer["started_at"].as_i64(), Some(started_at));
    // Someone else's timer is theirs alone.
    assert_eq!(running(&app, &carl).await, None);

    // The same start again (a retry, or a change of project) is the same timer.
    let again = start(&app, &ann, TIMER, "BETA", started_at).await;
    assert_eq!(again.status(), StatusCode::OK);
    // A second device cannot start another: the answer names the running one.
    let before = app.fingerprint().await;
    let second = start(&app, &ann, OTHER, "ACME", now_ms()).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let second: Value = second.json().await.unwrap();
    assert!(
        second["message"].as_str().unwrap().contains("Beta"),
        "{second}"
    );
    // Another person cannot take the id either.
    let taken = start(&app, &carl, TIMER, "ACME", now_ms()).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(app.fingerprint().await[..5], before[..5]);

    // Stopping it on any device is its entry, with the timer's id: the timer ends.
    let mut entry = entry_body("2026-11-23", 0.5);
    entry["id"] = json!(TIMER);
    entry["project"] = json!("BETA");
    entry["status"] = json!("draft");
    let created = app
        .call(Method::POST, "/api/timesheets", &ann, Some(&entry))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(running(&app, &ann).await, None);
    // The other device sends the same stop: one entry, answered as a retry.
    let retried = app
        .call(Method::POST, "/api/timesheets", &ann, Some(&entry))
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    // A start sent late does not bring a stopped timer back.
    let late = start(&app, &ann, TIMER, "BETA", started_at).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert_eq!(running(&app, &ann).await, None);
    // Now another may start.
    let next = start(&app, &ann, OTHER, "ACME", now_ms()).await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_discarded_timer_ends_without_an_entry() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let ann = app.employee_token();
    let started = start(&app, &ann, TIMER, "ACME", now_ms()).await;
    assert_eq!(started.status(), StatusCode::OK);
    let discarded = discard(&app, &ann, TIMER).await;
    assert_eq!(discarded.status(), StatusCode::NO_CONTENT);
    assert_eq!(running(&app, &ann).await, None);
    // Discarded on two devices: the second is done already.
    let twice = discard(&app, &ann, TIMER).await;
    assert_eq!(twice.status(), StatusCode::NO_CONTENT);
    let entries: Value = app
        .get_as(&ann, "/api/timesheets")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(entries["items"], json!([]));
    let not_an_id = app.call(Method::DELETE, "/api/timer/42", &ann, None).await;
    assert_eq!(not_an_id.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_starts_get_a_clear_error_and_store_nothing() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let ann = app.employee_token();
    // Users are recorded on their first write; make that happen first.
    let first = start(&app, &ann, TIMER, "ACME", now_ms()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let discarded = discard(&app, &ann, TIMER).await;
    assert_eq!(discarded.status(), StatusCode::NO_CONTENT);
    let before = app.fingerprint().await;
    let hour = 3600 * 1000;
    for (body, field) in [
        (start_body("not-a-uuid", "ACME", now_ms()), "id"),
        (start_body(OTHER, "  ", now_ms()), "project"),
        (start_body(OTHER, "NOPE", now_ms()), "project"),
        (start_body(OTHER, "ACME", now_ms() + hour), "started_at"),
        (
            start_body(OTHER, "ACME", now_ms() - 32 * 24 * hour),
            "started_at",
        ),
    ] {
        let response = app.call(Method::PUT, "/api/timer", &ann, Some(&body)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let no_body = app
        .client
        .put(app.url("/api/timer"))
        .bearer_auth(&ann)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(no_body.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.fingerprint().await, before);
    // Reading needs read:timesheets, starting create:timesheets.
    let reader = app.user_token("read:timesheets");
    let refused = start(&app, &reader, OTHER, "ACME", now_ms()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

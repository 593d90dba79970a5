//! What the entry, approval, upload and scope tests start from: a project, Ann's entries
//! (submitted and draft), and request bodies.

use app::entries::Entry;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub const ALL_USER_SCOPES: &str =
    "read:timesheets create:timesheets delete:timesheets approve:timesheets";
pub const MANAGER: (&str, &str) = ("user-bob", "bob@example.com");

pub fn entry_body(date: &str, hours: f64) -> Value {
    json!({"project": "ACME", "date": date, "hours": hours})
}

/// An app with a project, Ann's two submitted entries, and Ann's draft.
pub async fn app_with_entries() -> (TestApp, String, String) {
    let (app, submitted, draft, _) = app_with_more_entries().await;
    (app, submitted, draft)
}

pub async fn app_with_more_entries() -> (TestApp, String, String, String) {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let ann = app.user_token(ALL_USER_SCOPES);
    let submitted = create_entry(&app, &ann, &entry_body("2026-11-23", 7.5)).await;
    let mut draft_body = entry_body("2026-11-24", 2.0);
    draft_body["status"] = json!("draft");
    let draft = create_entry(&app, &ann, &draft_body).await;
    let second = create_entry(&app, &ann, &entry_body("2026-11-25", 1.0)).await;
    (
        app,
        submitted.id.to_string(),
        draft.id.to_string(),
        second.id.to_string(),
    )
}

/// `POST /api/timesheets` that must succeed: the stored entry, typed.
pub async fn create_entry(app: &TestApp, token: &str, body: &Value) -> Entry {
    let response = app
        .call(Method::POST, "/api/timesheets", token, Some(body))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "creating {body}");
    response.json().await.expect("an entry")
}

/// `PUT /api/timesheets/{id}` with `If-Match: "<version>"`.
pub async fn edit_with_version(
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

pub fn all_but(scope: &str) -> String {
    ALL_USER_SCOPES
        .split(' ')
        .chain(["batch:upload"])
        .filter(|s| *s != scope)
        .collect::<Vec<_>>()
        .join(" ")
}

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{expected_backend, TestApp};

async fn call_server_status(app: &TestApp) -> reqwest::Response {
    app.client
        .post(app.url("/api/rpc/server_status"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body("")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_server_status_function_reports_version_and_database() {
    let app = TestApp::spawn().await;
    let response = call_server_status(&app).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Timesheets");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"], expected_backend().to_string());
    assert_eq!(body["database_ok"], true);
}

#[tokio::test]
async fn the_server_status_function_says_when_the_database_is_down() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let body: Value = call_server_status(&app).await.json().await.unwrap();
    assert_eq!(body["database_ok"], false);
}

#[tokio::test]
async fn an_unknown_server_function_is_not_found() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/rpc/no_such_function"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{expected_backend, TestApp};

#[tokio::test]
async fn liveness_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readiness_reports_the_database_backend() {
    let app = TestApp::spawn().await;
    assert_eq!(app.backend(), expected_backend());
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], expected_backend().to_string());
}

#[tokio::test]
async fn readiness_is_unavailable_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    // Liveness does not depend on the database: the process itself is fine.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

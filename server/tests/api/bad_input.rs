//! Bad input at scale: oversized and hostile bodies and headers get a clear 4xx, and the
//! server goes on serving.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

async fn post_raw(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// The server still answers after the abuse.
async fn still_serving(app: &TestApp, token: &str) {
    let response = app.call(Method::GET, "/api/me", token, None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn().await;
    let user = app.employee_token();
    let client = app.client_token("payroll", "batch:upload");
    // 1 MB to an entry route (limit 64 KiB), 100 MB to the upload route (limit 16 MiB).
    let (status, body) = post_raw(&app, "/api/timesheets", &user, vec![b' '; 1024 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "payload_too_large");
    let (status, body) = post_raw(
        &app,
        "/api/timesheets/upload",
        &client,
        vec![b' '; 100 * 1024 * 1024],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    still_serving(&app, &user).await;
}

/// Each route group keeps its own limit, not axum's 2 MB default: a decision's body of
/// 1 MB is refused like an entry's, an upload of 3 MB is read (and then found not JSON).
#[tokio::test]
async fn decisions_take_64_kib_and_uploads_more_than_axums_default() {
    let app = TestApp::spawn().await;
    let manager = app.user_token("approve:timesheets");
    let client = app.client_token("payroll", "batch:upload");
    let decision = "/api/approvals/47c94fdc-27c6-4eeb-b8cd-01a3cad5c404/reject";
    let (status, body) = post_raw(&app, decision, &manager, vec![b' '; 1024 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let upload = vec![b' '; 3 * 1024 * 1024];
    let (status, body) = post_raw(&app, "/api/timesheets/upload", &client, upload).await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn deeply_nested_json_and_invalid_utf8_are_bad_requests() {
    let app = TestApp::spawn().await;
    let user = app.employee_token();
    let nested = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000)).into_bytes();
    let (status, body) = post_raw(&app, "/api/timesheets", &user, nested).await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(body["message"].is_string(), "a clear message: {body}");

    let invalid =
        b"{\"project\": \"AC\xff\xfeME\", \"date\": \"2026-01-05\", \"hours\": 1}".to_vec();
    let (status, body) = post_raw(&app, "/api/timesheets", &user, invalid).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].is_string(), "a clear message: {body}");
    still_serving(&app, &user).await;
}

#[tokio::test]
async fn ten_thousand_headers_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.employee_token();
    let mut request = app.client.get(app.url("/api/me")).bearer_auth(&user);
    for n in 0..10_000 {
        request = request.header(format!("x-filler-{n}"), "x");
    }
    match request.send().await {
        // hyper refuses the head (431) or closes the connection: either way no 2xx.
        Ok(response) => assert!(response.status().is_client_error(), "{}", response.status()),
        Err(error) => assert!(error.is_request() || error.is_connect(), "{error}"),
    }
    still_serving(&app, &user).await;
}

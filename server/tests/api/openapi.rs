//! `/api/openapi.json`: an OpenAPI 3.1 document that lists every route the API serves,
//! each behind the Bearer scheme, with every reference resolvable.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// Every operation of the REST API. A new route must be added here and to the document.
const ROUTES: [(&str, &str, &str); 35] = [
    ("get", "/api/me", ""),
    ("post", "/api/timesheets", "create:timesheets"),
    ("get", "/api/timesheets", "read:timesheets"),
    ("get", "/api/timesheets/{id}", "read:timesheets"),
    ("put", "/api/timesheets/{id}", "create:timesheets"),
    ("delete", "/api/timesheets/{id}", "delete:timesheets"),
    ("get", "/api/timesheets/export", "read:timesheets"),
    (
        "post",
        "/api/timesheets/weeks/{week}/submit",
        "create:timesheets",
    ),
    ("post", "/api/timesheets/upload", "batch:upload"),
    ("get", "/api/projects", "read:timesheets"),
    ("post", "/api/projects", "manage:projects"),
    ("get", "/api/projects/{code}", "read:timesheets"),
    ("put", "/api/projects/{code}", "manage:projects"),
    ("post", "/api/projects/{code}/archive", "manage:projects"),
    ("post", "/api/projects/{code}/activate", "manage:projects"),
    ("get", "/api/people", "manage:people"),
    ("post", "/api/people", "manage:people"),
    ("post", "/api/people/{id}/invitation", "manage:people"),
    ("post", "/api/people/{id}/disable", "manage:people"),
    ("post", "/api/people/{id}/enable", "manage:people"),
    ("put", "/api/people/{id}/role", "manage:people"),
    ("get", "/api/approvals", "approve:timesheets"),
    ("get", "/api/approvals/{id}", "approve:timesheets"),
    ("get", "/api/team/hours", "approve:timesheets"),
    ("get", "/api/timer", "read:timesheets"),
    ("put", "/api/timer", "create:timesheets"),
    ("delete", "/api/timer/{id}", "create:timesheets"),
    ("get", "/api/push/key", "read:timesheets"),
    ("put", "/api/push/subscriptions", "read:timesheets"),
    ("delete", "/api/push/subscriptions", "read:timesheets"),
    ("put", "/api/approvals/{id}", "approve:timesheets"),
    ("post", "/api/approvals/{id}/reject", "approve:timesheets"),
    ("post", "/api/approvals/weeks/{week}", "approve:timesheets"),
    ("post", "/api/approvals/undo", "approve:timesheets"),
    // Listed twice in the document's security (own or everyone's): the first is enough.
    ("get", "/api/timesheets/export", "approve:timesheets"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("JSON")
}

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                found.insert((method.clone(), path.clone()));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    assert!(
        document["openapi"]
            .as_str()
            .unwrap_or("")
            .starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    assert_eq!(document["info"]["title"], "Timesheets API");

    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(operations(&document), expected);

    for (method, path, scope) in ROUTES {
        let operation = &document["paths"][path][method];
        let requirements = operation["security"].as_array().expect("security");
        let scopes: Vec<&str> = requirements
            .iter()
            .flat_map(|requirement| requirement["bearer"].as_array().expect("bearer"))
            .filter_map(Value::as_str)
            .collect();
        assert!(
            scope.is_empty() || scopes.contains(&scope),
            "{method} {path}: {scopes:?}"
        );
        for status in ["200", "401", "403"] {
            let responses = operation["responses"].as_object().expect("responses");
            let documented = responses.contains_key(status)
                || (status == "200"
                    && (responses.contains_key("201") || responses.contains_key("204")));
            assert!(documented, "{method} {path} documents no {status}");
        }
    }
}

#[tokio::test]
async fn every_documented_route_exists_and_asks_for_a_token() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    for (method, path) in operations(&document) {
        let concrete = path
            .replace("{id}", "0b8f3c1e-3f0e-4c8e-9a43-0d6c2a1f9b7e")
            .replace("{week}", "2026-W48")
            .replace("{code}", "ACME");
        let method: Method = method.to_uppercase().parse().expect("a method");
        let response = app
            .client
            .request(method.clone(), app.url(&concrete))
            .send()
            .await
            .expect("a response");
        // 401 (not 404 or 405): the route is served, and the gate comes first.
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
}

/// Every `$ref` names a component the document defines.
#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
}

fn collect_references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => found.push(reference.clone()),
                    _ => collect_references(value, found),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, found)),
        _ => {}
    }
}

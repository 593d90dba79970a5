//! The server functions the PWA calls: the same gate (token, then scope, before any
//! database work) and the same service layer as the REST API.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

const MANAGER_SCOPES: &str = "read:timesheets create:timesheets approve:timesheets";

/// Calls `/api/rpc/<name>` with a form body, as the PWA's fetch does.
async fn rpc(
    app: &TestApp,
    name: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut request = app
        .client
        .post(app.url(&format!("/api/rpc/{name}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

/// A server function's form fields.
type Form<'a> = Vec<(&'a str, &'a str)>;

const ENTRY_ID: &str = "0b6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3a";

fn new_entry<'a>(minutes: &'a str, note: &'a str) -> Form<'a> {
    vec![
        ("entry[id]", ENTRY_ID),
        ("entry[project]", "ACME"),
        ("entry[date]", "2026-11-16"),
        ("entry[minutes]", minutes),
        ("entry[note]", note),
        ("entry[status]", "draft"),
    ]
}

#[tokio::test]
async fn each_function_needs_a_token_and_its_scope_and_changes_nothing_without() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let week = [("week", "2026-W47")];
    let calls: [(&str, Form, &str); 10] = [
        ("week", week.to_vec(), "read:timesheets"),
        ("entry", vec![("id", ENTRY_ID)], "read:timesheets"),
        ("projects", vec![], "read:timesheets"),
        ("save_entry", new_entry("90", "x"), "create:timesheets"),
        ("delete_entry", vec![("id", ENTRY_ID)], "delete:timesheets"),
        ("submit_week", week.to_vec(), "create:timesheets"),
        ("awaiting_approval", vec![], "approve:timesheets"),
        (
            "decide",
            vec![("id", ENTRY_ID), ("approve", "true")],
            "approve:timesheets",
        ),
        (
            "approve_week",
            vec![("issuer", "i"), ("subject", "s"), ("week", "2026-W47")],
            "approve:timesheets",
        ),
        (
            "undo_decisions",
            vec![("ids[0]", ENTRY_ID)],
            "approve:timesheets",
        ),
    ];
    let before = app.fingerprint().await;
    for (name, form, scope) in &calls {
        let anonymous = rpc(&app, name, None, form).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{name}");
        // Every scope but the one the function needs.
        let others: Vec<&str> = [
            "read:timesheets",
            "create:timesheets",
            "delete:timesheets",
            "approve:timesheets",
        ]
        .into_iter()
        .filter(|other| other != scope)
        .collect();
        let token = app.user_token(&others.join(" "));
        let refused = rpc(&app, name, Some(&token), form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{name}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "insufficient_scope", "{name}");
        assert_eq!(
            app.fingerprint().await,
            before,
            "{name} changed the database"
        );
    }
}

#[tokio::test]
async fn an_entry_goes_from_the_form_to_approval_through_server_functions() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme").await;
    let employee = app.employee_token();
    let manager = app.token_for("maria", "maria@example.test", MANAGER_SCOPES);

    let answer = rpc(&app, "projects", Some(&employee), &[]).await;
    // Time data is never cached, by the browser, the service worker or a proxy.
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let projects: Value = answer.json().await.unwrap();
    assert_eq!(projects[0]["code"], "ACME");

    // The form's validation is the server's too: a bad field is a 422 naming it.
    let bad = rpc(&app, "save_entry", Some(&employee), &new_entry("2000", "x")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "minutes");

    let created: Value = rpc(
        &app,
        "save_entry",
        Some(&employee),
        &new_entry("90", "Design review"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(created["id"], ENTRY_ID);
    assert_eq!(created["status"], "draft");
    // A retried save (same id, same content) does not add a second entry.
    let retried = rpc(
        &app,
        "save_entry",
        Some(&employee),
        &new_entry("90", "Design review"),
    )
    .await;
    assert_eq!(retried.status(), StatusCode::OK);
    let week: Value = rpc(&app, "week", Some(&employee), &[("week", "2026-W47")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(week.as_array().unwrap().len(), 1);

    // An edit needs the version last seen; an old one is refused.
    let version = created["version"].as_i64().unwrap().to_string();
    let mut edit = new_entry("105", "Design review");
    edit.push(("version", &version));
    let edited: Value = rpc(&app, "save_entry", Some(&employee), &edit)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["minutes"], 105);
    let stale = rpc(&app, "save_entry", Some(&employee), &edit).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    // After a 412 the app looks the entry up by id (it may have moved to another week).
    let current: Value = rpc(&app, "entry", Some(&employee), &[("id", ENTRY_ID)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["minutes"], 105);
    assert_eq!(current["version"], edited["version"]);
    // Someone else's entry is not found, as if it did not exist.
    let other = app.token_for("olga", "olga@example.test", "read:timesheets");
    let hidden = rpc(&app, "entry", Some(&other), &[("id", ENTRY_ID)]).await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);

    let submitted: Value = rpc(
        &app,
        "submit_week",
        Some(&employee),
        &[("week", "2026-W47")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(submitted[0]["status"], "submitted");

    let pending: Value = rpc(&app, "awaiting_approval", Some(&manager), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending[0]["id"], ENTRY_ID);
    let no_reason = rpc(
        &app,
        "decide",
        Some(&manager),
        &[("id", ENTRY_ID), ("approve", "false")],
    )
    .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rejected: Value = rpc(
        &app,
        "decide",
        Some(&manager),
        &[
            ("id", ENTRY_ID),
            ("approve", "false"),
            ("note", "Which client?"),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_note"], "Which client?");

    // Fixed, resubmitted, approved with the whole week.
    let version = rejected["version"].as_i64().unwrap().to_string();
    let mut fix = new_entry("105", "Design review for Acme");
    fix.push(("version", &version));
    assert_eq!(
        rpc(&app, "save_entry", Some(&employee), &fix)
            .await
            .status(),
        StatusCode::OK
    );
    rpc(
        &app,
        "submit_week",
        Some(&employee),
        &[("week", "2026-W47")],
    )
    .await;
    let owner = &pending[0]["owner"];
    let approved: Value = rpc(
        &app,
        "approve_week",
        Some(&manager),
        &[
            ("issuer", owner["issuer"].as_str().unwrap()),
            ("subject", owner["subject"].as_str().unwrap()),
            ("week", "2026-W47"),
        ],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(approved[0]["status"], "approved");
    // Approved entries are locked: no delete.
    let locked = rpc(&app, "delete_entry", Some(&employee), &[("id", ENTRY_ID)]).await;
    assert!(locked.status().is_client_error(), "{}", locked.status());
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

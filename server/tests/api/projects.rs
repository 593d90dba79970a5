//! Projects on a real instance: from an empty database (no demo) an admin adds them via
//! REST or the CLI, people log time on them, archived ones refuse new time, and every
//! change is in the admin trail.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::{run_timesheets, TestApp},
    issuer::USER_SCOPES,
};

const ADMIN_SCOPES: &str = "openid read:timesheets manage:projects";
/// The seed's own body.
const SEED_BODY: &str = r#"{"project": "StoreZero", "date": "2026-11-30", "hours": 8}"#;

fn admin(app: &TestApp) -> String {
    app.token_for("adam", "adam@example.com", ADMIN_SCOPES)
}

fn seed_body() -> Value {
    serde_json::from_str(SEED_BODY).expect("the seed body is JSON")
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The seed's body posted as the person of `token`: status and answer.
async fn log_seed_body(app: &TestApp, token: &str) -> (StatusCode, Value) {
    json_of(
        app.call(Method::POST, "/api/timesheets", token, Some(&seed_body()))
            .await,
    )
    .await
}

async fn add_project(app: &TestApp, body: Value) -> (StatusCode, Value) {
    json_of(
        app.call(Method::POST, "/api/projects", &admin(app), Some(&body))
            .await,
    )
    .await
}

/// The admin trail of a project: (action, detail, actor).
async fn admin_trail(app: &TestApp, code: &str) -> Vec<(String, Option<String>, String)> {
    let mut conn = app.db.pool().acquire().await.expect("a connection");
    server::store::admin_log::history(&mut conn, server::store::admin_log::Target::Project(code))
        .await
        .expect("the trail")
        .into_iter()
        .map(|logged| (logged.action, logged.detail, logged.by))
        .collect()
}

#[tokio::test]
async fn an_admin_adds_a_project_and_an_employee_logs_the_seeds_body_on_it() {
    let app = TestApp::spawn().await;
    let employee = app.employee_token();

    // A new instance knows no project: the refusal says how to add one.
    let (status, body) = log_seed_body(&app, &employee).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "project");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("\"StoreZero\""), "{message}");
    assert!(message.contains("POST /api/projects"), "{message}");
    assert!(message.contains("timesheets projects add"), "{message}");

    let response = app
        .call(
            Method::POST,
            "/api/projects",
            &admin(&app),
            Some(&json!({"code": "storezero", "name": "StoreZero", "customer": "Store Inc.", "colour": "#0A0"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "/api/projects/STOREZERO"
    );
    let project: Value = response.json().await.unwrap();
    assert_eq!(
        project,
        json!({"code": "STOREZERO", "name": "StoreZero", "customer": "Store Inc.", "colour": "#00aa00", "active": true})
    );

    // The seed's body as it is: its project found by code (and by name).
    let (status, entry) = log_seed_body(&app, &employee).await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["project"], "STOREZERO");
    assert_eq!(entry["hours"], 8.0);

    let (status, list) = json_of(app.get_as(&employee, "/api/projects").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([project]));
    let (status, one) = json_of(app.get_as(&employee, "/api/projects/storezero").await).await;
    assert_eq!((status, one), (StatusCode::OK, project));
}

#[tokio::test]
async fn an_archived_project_keeps_its_entries_and_refuses_new_time_until_reactivated() {
    let app = TestApp::spawn().await;
    let employee = app.employee_token();
    assert_eq!(
        add_project(&app, json!({"code": "STOREZERO", "name": "StoreZero"}))
            .await
            .0,
        StatusCode::CREATED
    );
    let (status, kept) = log_seed_body(&app, &employee).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, archived) = json_of(
        app.call(
            Method::POST,
            "/api/projects/STOREZERO/archive",
            &admin(&app),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(archived["active"], false);
    // Twice is no error and no second line in the trail.
    let again = app
        .call(
            Method::POST,
            "/api/projects/STOREZERO/archive",
            &admin(&app),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);

    let before = app.fingerprint().await;
    let (status, refused) = log_seed_body(&app, &employee).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "project");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("STOREZERO is archived"),
        "{refused}"
    );
    assert_eq!(app.fingerprint().await, before, "nothing was stored");

    // Its entries are still there, with the project.
    let (status, page) =
        json_of(app.get_as(&employee, "/api/timesheets?week=2026-W49").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["id"], kept["id"]);
    assert_eq!(page["items"][0]["project"], "STOREZERO");

    let (status, active) = json_of(
        app.call(
            Method::POST,
            "/api/projects/storezero/activate",
            &admin(&app),
            None,
        )
        .await,
    )
    .await;
    assert_eq!((status, &active["active"]), (StatusCode::OK, &json!(true)));
    let (status, _) = log_seed_body(&app, &employee).await;
    assert_eq!(status, StatusCode::CREATED);

    let actions: Vec<String> = admin_trail(&app, "STOREZERO")
        .await
        .into_iter()
        .map(|(action, _, actor)| {
            assert_eq!(actor, "adam");
            action
        })
        .collect();
    assert_eq!(actions, ["add", "archive", "activate"]);
}

#[tokio::test]
async fn a_rename_shows_on_the_entries_and_is_in_the_admin_trail() {
    let app = TestApp::spawn().await;
    let employee = app.employee_token();
    add_project(&app, json!({"code": "ACME", "name": "Acme"})).await;
    let week = |app: &TestApp| {
        let employee = employee.clone();
        let app_url = app.url("/api/timesheets?week=2026-W49");
        let client = app.client.clone();
        async move {
            let page: Value = client
                .get(app_url)
                .bearer_auth(employee)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["items"][0]["project_name"].clone()
        }
    };
    let body = json!({"project": "ACME", "date": "2026-12-01", "minutes": 60});
    let created = app
        .call(Method::POST, "/api/timesheets", &employee, Some(&body))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Read once, so a page cache (SQLite) holds the week.
    assert_eq!(week(&app).await, "Acme");

    let (status, renamed) = json_of(
        app.call(
            Method::PUT,
            "/api/projects/ACME",
            &admin(&app),
            Some(&json!({"name": "Acme website", "colour": "#1D4ED8"})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        renamed,
        json!({"code": "ACME", "name": "Acme website", "customer": null, "colour": "#1d4ed8", "active": true})
    );
    assert_eq!(week(&app).await, "Acme website");

    // The same values again change nothing and log nothing.
    let same = app
        .call(
            Method::PUT,
            "/api/projects/ACME",
            &admin(&app),
            Some(&json!({"name": "Acme website", "colour": "#1d4ed8"})),
        )
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    let trail = admin_trail(&app, "ACME").await;
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert_eq!(trail[1].0, "update");
    assert_eq!(
        trail[1].1.as_deref(),
        Some("name: Acme -> Acme website, colour: none -> #1d4ed8")
    );
}

#[tokio::test]
async fn managing_projects_needs_manage_projects_and_changes_nothing_without_it() {
    let app = TestApp::spawn().await;
    add_project(&app, json!({"code": "ACME", "name": "Acme"})).await;
    let employee = app.user_token(USER_SCOPES);
    let before = app.fingerprint().await;
    let body = json!({"code": "NEW", "name": "New"});
    let rename = json!({"name": "Renamed"});
    for (method, path, body) in [
        (Method::POST, "/api/projects", Some(&body)),
        (Method::PUT, "/api/projects/ACME", Some(&rename)),
        (Method::POST, "/api/projects/ACME/archive", None),
        (Method::POST, "/api/projects/ACME/activate", None),
    ] {
        let response = app.call(method.clone(), path, &employee, body).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"Bearer error="insufficient_scope", scope="manage:projects""#
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "insufficient_scope", "{method} {path}");
        // Without any token: 401 before anything else.
        let anonymous = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            anonymous.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    assert_eq!(app.fingerprint().await, before);
    let unchanged: Value = app
        .get_as(&employee, "/api/projects/ACME")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["name"], "Acme");
    // A machine client is never an admin.
    let client = app.client_token("payroll", "batch:upload manage:projects");
    let response = app
        .call(Method::POST, "/api/projects", &client, Some(&body))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_project_input_is_refused_with_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    add_project(&app, json!({"code": "ACME", "name": "Acme"})).await;
    let before = app.fingerprint().await;
    let cases = [
        (
            json!({"code": "has space", "name": "X"}),
            422,
            Some("project"),
        ),
        (json!({"code": "", "name": "X"}), 422, Some("project")),
        (json!({"code": "X", "name": " "}), 422, Some("name")),
        (
            json!({"code": "X", "name": "two\nlines"}),
            422,
            Some("name"),
        ),
        (
            json!({"code": "X", "name": "X", "colour": "blue"}),
            422,
            Some("colour"),
        ),
        (
            json!({"code": "X", "name": "X", "customer": "c".repeat(101)}),
            422,
            Some("customer"),
        ),
        (json!({"code": "X"}), 422, Some("body")),
        (json!({"code": "acme", "name": "Again"}), 409, None),
    ];
    for (body, status, field) in cases {
        let (got, answer) = add_project(&app, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body} -> {answer}");
        assert!(
            answer["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
        if let Some(field) = field {
            assert_eq!(answer["field"], field, "{body} -> {answer}");
        }
    }
    let malformed = app
        .client
        .post(app.url("/api/projects"))
        .bearer_auth(admin(&app))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.fingerprint().await, before);

    for path in ["/api/projects/NOPE", "/api/projects/not%20a%20code"] {
        let response = app.get_as(&admin(&app), path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = app
        .call(
            Method::POST,
            "/api/projects/NOPE/archive",
            &admin(&app),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_cli_adds_renames_archives_and_reactivates_projects_beside_a_running_server() {
    let app = TestApp::spawn().await;
    let url = app.database_url.expose().to_owned();
    let cli = |args: &'static [&'static str]| {
        let url = url.clone();
        async move {
            let mut all = args.to_vec();
            all.extend(["--database-url", url.as_str()]);
            run_timesheets(&all, &[]).await
        }
    };
    let ok = |output: &std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let listed = ok(&cli(&["projects", "list"]).await);
    assert!(listed.contains("no projects yet"), "{listed}");
    let added = ok(&cli(&[
        "projects",
        "add",
        "--code",
        "storezero",
        "--name",
        "StoreZero",
        "--colour",
        "#abc",
    ])
    .await);
    assert!(added.contains("STOREZERO"), "{added}");

    let employee = app.employee_token();
    let seed = seed_body();
    let create = || app.call(Method::POST, "/api/timesheets", &employee, Some(&seed));
    assert_eq!(create().await.status(), StatusCode::CREATED);
    // Read the week once (a SQLite server caches it), then rename from the shell.
    let week = || async {
        let page: Value = app
            .get_as(&employee, "/api/timesheets?week=2026-W49")
            .await
            .json()
            .await
            .unwrap();
        page["items"][0]["project_name"].clone()
    };
    assert_eq!(week().await, "StoreZero");
    ok(&cli(&[
        "projects",
        "rename",
        "--code",
        "STOREZERO",
        "--name",
        "Store Zero",
    ])
    .await);
    assert_eq!(
        week().await,
        "Store Zero",
        "the server sees the shell's change at once"
    );

    ok(&cli(&["projects", "archive", "--code", "STOREZERO"]).await);
    let refused = create().await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed = ok(&cli(&["projects", "list"]).await);
    assert!(listed.contains("archived"), "{listed}");
    ok(&cli(&["projects", "activate", "--code", "STOREZERO"]).await);
    assert_eq!(create().await.status(), StatusCode::CREATED);

    // The shell's refusals are one line each.
    let duplicate = cli(&["projects", "add", "--code", "STOREZERO", "--name", "Again"]).await;
    assert!(!duplicate.status.success());
    let error = String::from_utf8_lossy(&duplicate.stderr);
    assert!(error.contains("exists already"), "{error}");
    let bad = cli(&["projects", "add", "--code", "a b", "--name", "X"]).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("project code"));
    let missing = cli(&["projects", "archive", "--code", "NOPE"]).await;
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such project"));

    let trail = admin_trail(&app, "STOREZERO").await;
    let actions: Vec<&str> = trail.iter().map(|(action, _, _)| action.as_str()).collect();
    assert_eq!(actions, ["add", "update", "archive", "activate"]);
    assert!(
        trail.iter().all(|(_, _, actor)| actor == "cli"),
        "{trail:?}"
    );
}

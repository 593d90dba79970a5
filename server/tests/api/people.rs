//! The embedded provider's people administered through `/api/people`: an admin invites
//! someone, who chooses a password from a one-time link and signs in; disabling and role
//! changes end sign-ins; nobody locks themselves out.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::{run_timesheets, TestApp},
    provider::{assert_login_refused, form_encode, jwt_claims, redeem_refresh, sign_in},
};

const ADMIN: &str = "adam@example.com";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a password of my own";
const ADMIN_SCOPE: &str =
    "openid profile email offline_access read:timesheets approve:timesheets manage:projects manage:people";
const EMPLOYEE_SCOPE: &str =
    "openid profile email offline_access read:timesheets create:timesheets approve:timesheets";

/// An embedded-provider app with an admin signed in; (app, admin's access token, admin's sub).
async fn with_admin() -> (TestApp, String, String) {
    let app = TestApp::spawn_embedded().await;
    let subject = app.add_account(ADMIN, PASSWORD, "admin").await;
    let tokens = sign_in(&app, ADMIN, PASSWORD, ADMIN_SCOPE).await;
    assert!(
        tokens.scope.contains("manage:people"),
        "admins are granted manage:people: {}",
        tokens.scope
    );
    (app, tokens.access_token, subject)
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn invite(app: &TestApp, token: &str, email: &str, role: &str) -> (StatusCode, Value) {
    let body = json!({"email": email, "name": "Nina New", "role": role});
    json_of(
        app.call(Method::POST, "/api/people", token, Some(&body))
            .await,
    )
    .await
}

/// The path and query of an invitation link, checked to point at this server.
fn link_path(app: &TestApp, invitation: &Value) -> String {
    let link = invitation["link"].as_str().expect("a link");
    link.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{link} is on this server"))
        .to_owned()
}

fn token_of(path: &str) -> String {
    path.split_once("token=").expect("a token").1.to_owned()
}

async fn set_password(
    app: &TestApp,
    token: &str,
    password: &str,
    again: &str,
) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/oauth/invitation"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encode(&[
            ("token", token),
            ("password", password),
            ("again", again),
        ]))
        .send()
        .await
        .expect("sent");
    (response.status(), response.text().await.unwrap_or_default())
}

async fn status_of(app: &TestApp, token: &str, email: &str) -> Value {
    let (_, people) = json_of(app.get_as(token, "/api/people").await).await;
    people
        .as_array()
        .expect("a list")
        .iter()
        .find(|person| person["email"] == email)
        .map(|person| person["status"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_invited_person_chooses_a_password_from_the_link_once_and_signs_in() {
    let (app, admin, _) = with_admin().await;
    let (status, invitation) = invite(&app, &admin, " Nina@Example.com ", "employee").await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    assert_eq!(invitation["person"]["email"], "nina@example.com");
    assert_eq!(invitation["person"]["role"], "employee");
    assert_eq!(invitation["person"]["status"], "invited");
    assert_eq!(status_of(&app, &admin, "nina@example.com").await, "invited");
    // Until the link is used no password signs Nina in.
    assert_login_refused(&app, "nina@example.com", NEW_PASSWORD).await;

    let path = link_path(&app, &invitation);
    assert!(path.starts_with("/oauth/invitation?token="), "{path}");
    let page = app.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    assert!(
        page.contains("nina@example.com") && page.contains("Nina New"),
        "{page}"
    );

    let token = token_of(&path);
    let (status, page) = set_password(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Your password is set"), "{page}");

    let tokens = sign_in(&app, "nina@example.com", NEW_PASSWORD, EMPLOYEE_SCOPE).await;
    let claims = jwt_claims(&tokens.access_token);
    assert_eq!(claims["sub"], invitation["person"]["id"]);
    assert!(
        !tokens.scope.contains("approve:timesheets"),
        "{}",
        tokens.scope
    );
    assert_eq!(status_of(&app, &admin, "nina@example.com").await, "active");

    // Once only: the link sets nothing again.
    let (status, page) = set_password(&app, &token, "someone else's", "someone else's").await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert_eq!(app.get(&path).await.status(), StatusCode::GONE);
    sign_in(&app, "nina@example.com", NEW_PASSWORD, EMPLOYEE_SCOPE).await;
}

#[tokio::test]
async fn a_bad_password_keeps_the_link_open_and_a_new_link_voids_the_old_one() {
    let (app, admin, _) = with_admin().await;
    let (_, invitation) = invite(&app, &admin, "nina@example.com", "contractor").await;
    let token = token_of(&link_path(&app, &invitation));
    for (password, again, says) in [
        ("short", "short", "at least 8 characters"),
        (NEW_PASSWORD, "something else", "differ"),
        ("", "", "at least 8 characters"),
    ] {
        let (status, page) = set_password(&app, &token, password, again).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains(says), "{says:?} in {page}");
    }
    let (status, _) = set_password(&app, "not-a-token", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE);

    let id = invitation["person"]["id"].as_str().unwrap();
    let (status, renewed) = json_of(
        app.call(
            Method::POST,
            &format!("/api/people/{id}/invitation"),
            &admin,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(renewed["link"], invitation["link"]);
    let (status, _) = set_password(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE, "the older link is void");
    let (status, _) = set_password(
        &app,
        &token_of(&link_path(&app, &renewed)),
        NEW_PASSWORD,
        NEW_PASSWORD,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    sign_in(&app, "nina@example.com", NEW_PASSWORD, EMPLOYEE_SCOPE).await;
}

#[tokio::test]
async fn disabling_someone_ends_their_sign_ins_and_enabling_lets_them_back() {
    let (app, admin, _) = with_admin().await;
    let id = app
        .add_account("emma@example.com", PASSWORD, "employee")
        .await;
    let tokens = sign_in(&app, "emma@example.com", PASSWORD, EMPLOYEE_SCOPE).await;

    let (status, person) = json_of(
        app.call(
            Method::POST,
            &format!("/api/people/{id}/disable"),
            &admin,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &person["status"]),
        (StatusCode::OK, &json!("disabled"))
    );
    let (status, body, _) = redeem_refresh(&app, tokens.refresh_token.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_login_refused(&app, "emma@example.com", PASSWORD).await;

    let (status, person) = json_of(
        app.call(
            Method::POST,
            &format!("/api/people/{id}/enable"),
            &admin,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &person["status"]),
        (StatusCode::OK, &json!("active"))
    );
    sign_in(&app, "emma@example.com", PASSWORD, EMPLOYEE_SCOPE).await;

    let mut conn = app.db.pool().acquire().await.unwrap();
    let trail =
        server::store::admin_log::history(&mut conn, server::store::admin_log::Target::Person(&id))
            .await
            .unwrap();
    let actions: Vec<&str> = trail.iter().map(|logged| logged.action.as_str()).collect();
    assert_eq!(actions, ["disable", "enable"]);
}

#[tokio::test]
async fn a_new_role_applies_from_the_next_sign_in() {
    let (app, admin, _) = with_admin().await;
    let id = app
        .add_account("emma@example.com", PASSWORD, "employee")
        .await;
    let before = sign_in(&app, "emma@example.com", PASSWORD, EMPLOYEE_SCOPE).await;
    assert!(!before.scope.contains("approve:timesheets"));

    let (status, person) = json_of(
        app.call(
            Method::PUT,
            &format!("/api/people/{id}/role"),
            &admin,
            Some(&json!({"role": "manager"})),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, &person["role"]),
        (StatusCode::OK, &json!("manager"))
    );
    // The old sign-in ended; the next one has the manager's scopes.
    let (status, _, _) = redeem_refresh(&app, before.refresh_token.as_deref().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let after = sign_in(&app, "emma@example.com", PASSWORD, EMPLOYEE_SCOPE).await;
    assert!(
        after.scope.contains("approve:timesheets"),
        "{}",
        after.scope
    );
}

#[tokio::test]
async fn people_admin_refuses_what_it_must_and_changes_nothing_then() {
    let (app, admin, me) = with_admin().await;
    app.add_account("emma@example.com", PASSWORD, "employee")
        .await;
    let employee = sign_in(&app, "emma@example.com", PASSWORD, ADMIN_SCOPE).await;
    assert!(
        !employee.scope.contains("manage:people"),
        "{}",
        employee.scope
    );

    let response = app.get_as(&employee.access_token, "/api/people").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="insufficient_scope", scope="manage:people""#
    );
    let (status, _) = invite(&app, &employee.access_token, "x@example.com", "admin").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an employee cannot make an admin"
    );

    for (email, role, status, field) in [
        ("emma@example.com", "employee", 409, None),
        ("EMMA@example.com", "employee", 409, None),
        ("not an address", "employee", 422, Some("email")),
        ("n@example.com", "boss", 422, Some("role")),
    ] {
        let (got, body) = invite(&app, &admin, email, role).await;
        assert_eq!(got.as_u16(), status, "{email} {role}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field);
        }
    }

    // Nobody locks themselves out.
    for (method, path, body) in [
        (Method::POST, format!("/api/people/{me}/disable"), None),
        (
            Method::PUT,
            format!("/api/people/{me}/role"),
            Some(json!({"role": "employee"})),
        ),
    ] {
        let (status, answer) = json_of(app.call(method, &path, &admin, body.as_ref()).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains("yourself"),
            "{answer}"
        );
    }
    let (status, _) = json_of(
        app.call(
            Method::POST,
            "/api/people/no-such-person/disable",
            &admin,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, people) = json_of(app.get_as(&admin, "/api/people").await).await;
    let emails: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|person| person["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ADMIN, "emma@example.com"]);
    assert!(people
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "active"));
    sign_in(&app, ADMIN, PASSWORD, ADMIN_SCOPE).await;
}

#[tokio::test]
async fn with_an_external_provider_people_are_managed_there() {
    let app = TestApp::spawn().await;
    let token = app.token_for("adam", "adam@example.com", "manage:people");
    let (status, body) = json_of(app.get_as(&token, "/api/people").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("external OpenID Connect provider"),
        "{body}"
    );
    assert_eq!(
        app.get("/oauth/invitation?token=x").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// `timesheets args… --database-url <the app's>`, which must succeed; its standard output.
async fn cli_ok(app: &TestApp, args: &[&str]) -> String {
    let url = app.database_url.expose().to_owned();
    let mut all = args.to_vec();
    all.extend(["--database-url", url.as_str()]);
    let output = run_timesheets(&all, &[]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_cli_invites_someone_and_changes_their_role() {
    let app = TestApp::spawn_embedded().await;
    let stdout = cli_ok(
        &app,
        &[
            "users",
            "invite",
            "--email",
            "adam@example.com",
            "--name",
            "Adam Admin",
            "--role",
            "admin",
            "--public-url",
            &app.address,
        ],
    )
    .await;
    let link = stdout
        .lines()
        .find(|line| line.starts_with(&app.address))
        .unwrap_or_else(|| panic!("a link in {stdout}"));
    let (status, _) = set_password(&app, &token_of(link), NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let tokens = sign_in(&app, "adam@example.com", NEW_PASSWORD, ADMIN_SCOPE).await;
    assert!(tokens.scope.contains("manage:projects"), "{}", tokens.scope);

    cli_ok(
        &app,
        &[
            "users",
            "set-role",
            "--email",
            "adam@example.com",
            "--role",
            "manager",
        ],
    )
    .await;
    let tokens = sign_in(&app, "adam@example.com", NEW_PASSWORD, ADMIN_SCOPE).await;
    assert!(
        !tokens.scope.contains("manage:projects"),
        "{}",
        tokens.scope
    );
    assert!(
        tokens.scope.contains("approve:timesheets"),
        "{}",
        tokens.scope
    );

    // Disabling from the shell shuts them out and is in the trail.
    cli_ok(&app, &["users", "disable", "--email", "adam@example.com"]).await;
    assert_login_refused(&app, "adam@example.com", NEW_PASSWORD).await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    let id = jwt_claims(&tokens.access_token)["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let trail =
        server::store::admin_log::history(&mut conn, server::store::admin_log::Target::Person(&id))
            .await
            .unwrap();
    let actions: Vec<(&str, &str)> = trail
        .iter()
        .map(|logged| (logged.action.as_str(), logged.by.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("invite", "cli"), ("role", "cli"), ("disable", "cli")]
    );
}

//! The embedded provider's administration: key rotation, refresh-token lifetimes, secrets
//! at rest, demo mode and the `users`/`clients`/`keys` subcommands.

use std::process::Output;

use ::provider::{admin, secrets, ProviderArgs, ProviderSettings};
use db::Db;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;

use crate::{
    helpers::{fresh_database, run_timesheets, TestApp},
    issuer::AUDIENCE,
    provider::{jwt_claims, jwt_header, redeem_refresh, sign_in, token_request, PWA_SCOPE},
};

pub(crate) async fn client_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (status, body, _) = token_request(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// The upload answers 422 to an empty list once the token passed the gate (401 if not).
async fn upload_status(app: &TestApp, token: &str) -> StatusCode {
    app.call(
        Method::POST,
        "/api/timesheets/upload",
        token,
        Some(&json!([])),
    )
    .await
    .status()
}

#[tokio::test]
async fn a_rotated_key_keeps_old_tokens_valid_and_signs_new_ones() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let before = client_token(&app, "payroll", &secret).await;
    assert_eq!(
        upload_status(&app, &before).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let new_kid = admin::rotate_keys(&app.db).await.expect("rotated");
    let after = client_token(&app, "payroll", &secret).await;
    assert_eq!(jwt_header(&after)["kid"], new_kid.as_str());
    assert_ne!(jwt_header(&before)["kid"], jwt_header(&after)["kid"]);
    // The API learns the new key without a restart, and still knows the old one.
    assert_eq!(
        upload_status(&app, &after).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        upload_status(&app, &before).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let jwks: Value = app.get("/oauth/jwks").await.json().await.expect("JSON");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(kids.len(), 2, "{jwks}");
    assert!(kids.contains(&new_kid.as_str()));
}

async fn family_expiry(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT expires_at FROM token_families")
        .fetch_one(db.pool())
        .await
        .expect("one family")
}

#[tokio::test]
async fn rotation_never_extends_a_sign_in_and_expired_refresh_tokens_are_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account("ann@example.com", "correct horse battery", "employee")
        .await;
    let tokens = sign_in(&app, "ann@example.com", "correct horse battery", PWA_SCOPE).await;
    let first = tokens.refresh_token.expect("a refresh token");
    let absolute = family_expiry(&app.db).await;

    let (status, body, _) = redeem_refresh(&app, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        family_expiry(&app.db).await,
        absolute,
        "rotation keeps the end"
    );
    let token_ends: Vec<i64> = sqlx::query_scalar("SELECT expires_at FROM refresh_tokens")
        .fetch_all(app.db.pool())
        .await
        .expect("tokens");
    assert!(
        token_ends.iter().all(|end| *end <= absolute),
        "{token_ends:?}"
    );

    // Idle timeout: the current token's own end has passed.
    let second = body["refresh_token"].as_str().expect("rotated").to_owned();
    sqlx::query("UPDATE refresh_tokens SET expires_at = 1 WHERE used_at IS NULL")
        .execute(app.db.pool())
        .await
        .expect("expired");
    let (status, body, _) = redeem_refresh(&app, &second).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");

    // Absolute end: a fresh token of a sign-in whose end has passed.
    let tokens = sign_in(&app, "ann@example.com", "correct horse battery", PWA_SCOPE).await;
    sqlx::query("UPDATE token_families SET expires_at = 1")
        .execute(app.db.pool())
        .await
        .expect("expired");
    let (status, body, _) =
        redeem_refresh(&app, tokens.refresh_token.as_deref().expect("a token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn secrets_and_tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn_embedded().await;
    let password = "correct horse battery";
    app.add_account("ann@example.com", password, "employee")
        .await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let tokens = sign_in(&app, "ann@example.com", password, PWA_SCOPE).await;
    let refresh = tokens.refresh_token.expect("a refresh token");

    let password_hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts")
        .fetch_one(app.db.pool())
        .await
        .expect("an account");
    assert!(password_hash.starts_with("$argon2id$"), "{password_hash}");
    assert!(!password_hash.contains(password));
    let secret_hash: String =
        sqlx::query_scalar("SELECT secret_hash FROM oauth_clients WHERE id = 'payroll'")
            .fetch_one(app.db.pool())
            .await
            .expect("a client");
    assert!(secret_hash.starts_with("$argon2id$"), "{secret_hash}");
    assert!(secrets::verify_secret(&secret, Some(&secret_hash)));
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(app.db.pool())
        .await
        .expect("tokens");
    assert_eq!(stored, vec![secrets::token_hash(&refresh)]);
}

#[tokio::test]
async fn demo_mode_seeds_exampleco_once_and_its_people_can_work() {
    let app = TestApp::spawn_embedded_with(|args| args.provider.demo = true).await;
    let manager = sign_in(
        &app,
        "maria@exampleco.test",
        "maria-demo-pass",
        "openid profile email approve:timesheets read:timesheets",
    )
    .await;
    assert!(
        manager.scope.contains("approve:timesheets"),
        "{}",
        manager.scope
    );
    let awaiting: Value = app
        .call(Method::GET, "/api/approvals", &manager.access_token, None)
        .await
        .json()
        .await
        .expect("JSON");
    let entries = awaiting.as_array().expect("a list");
    // Emma's, Carl's and the rest of the team's week: ten people, five days each.
    assert_eq!(entries.len(), 50, "{awaiting}");
    let people: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|entry| entry["user_id"].as_str())
        .collect();
    assert_eq!(people.len(), 10, "{awaiting}");

    let employee = sign_in(&app, "emma@exampleco.test", "emma-demo-pass", PWA_SCOPE).await;
    assert!(!employee.scope.contains("approve:timesheets"));
    let (client, secret) = server::demo::DEMO_CLIENT;
    let token = client_token(&app, client, secret).await;
    assert_eq!(jwt_claims(&token)["scope"], "batch:upload");

    // A second start finds the company and adds nothing.
    let args = ProviderArgs {
        demo: true,
        ..ProviderArgs::default()
    };
    let settings = ProviderSettings::new(&args, app.address.parse().expect("a URL"), AUDIENCE);
    server::demo::seed(&app.db, &settings)
        .await
        .expect("seeded");
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM entries) AS entries",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("counts");
    assert_eq!(counts.get::<i64, _>("accounts"), 12);
    assert_eq!(counts.get::<i64, _>("entries"), 50);
}

async fn timesheets(database_url: &str, args: &[&str], password: Option<&str>) -> Output {
    let mut envs = vec![("DATABASE_URL", database_url)];
    envs.extend(password.map(|password| ("TIMESHEETS_PASSWORD", password)));
    run_timesheets(args, &envs).await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn the_cli_manages_users_clients_and_keys() {
    let (url, _dir) = fresh_database().await;
    let url = url.expose().to_owned();
    let password = "a long enough password";

    let added = timesheets(
        &url,
        &[
            "users",
            "add",
            "--email",
            "Max@Example.com",
            "--name",
            "Max",
            "--role",
            "manager",
        ],
        Some(password),
    )
    .await;
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).contains("max@example.com"),
        "{}",
        stdout(&added)
    );
    assert!(!stdout(&added).contains(password) && !stderr(&added).contains(password));

    let again = timesheets(
        &url,
        &[
            "users",
            "add",
            "--email",
            "max@example.com",
            "--name",
            "Max",
            "--role",
            "manager",
        ],
        Some(password),
    )
    .await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );

    let short = timesheets(
        &url,
        &[
            "users",
            "add",
            "--email",
            "eve@example.com",
            "--name",
            "Eve",
            "--role",
            "employee",
        ],
        Some("short"),
    )
    .await;
    assert!(!short.status.success());
    assert!(stderr(&short).contains("at least 8"), "{}", stderr(&short));

    let bad_role = timesheets(
        &url,
        &[
            "users",
            "add",
            "--email",
            "eve@example.com",
            "--name",
            "Eve",
            "--role",
            "boss",
        ],
        Some(password),
    )
    .await;
    assert_eq!(bad_role.status.code(), Some(2), "{}", stderr(&bad_role));

    let disabled = timesheets(
        &url,
        &["users", "disable", "--email", "max@example.com"],
        None,
    )
    .await;
    assert!(disabled.status.success(), "{}", stderr(&disabled));
    let listed = timesheets(&url, &["users", "list"], None).await;
    let line = stdout(&listed)
        .lines()
        .find(|line| line.starts_with("max@example.com"))
        .map(str::to_owned)
        .expect("Max is listed");
    assert!(
        line.contains("manager") && line.contains("disabled"),
        "{line}"
    );

    let client = timesheets(&url, &["clients", "add", "--id", "payroll"], None).await;
    assert!(client.status.success(), "{}", stderr(&client));
    let printed = stdout(&client);
    let secret = printed
        .lines()
        .find_map(|line| line.strip_prefix("client secret (shown once, store it now): "))
        .expect("the secret is printed")
        .trim()
        .to_owned();
    let db = Db::connect(&url.parse().expect("a URL"), 1)
        .await
        .expect("the database");
    let (hash, scopes): (String, String) =
        sqlx::query_as("SELECT secret_hash, scopes FROM oauth_clients WHERE id = 'payroll'")
            .fetch_one(db.pool())
            .await
            .expect("registered");
    assert!(secrets::verify_secret(&secret, Some(&hash)));
    assert_eq!(scopes, "batch:upload");

    let public = timesheets(
        &url,
        &[
            "clients",
            "add",
            "--id",
            "desk",
            "--public",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        None,
    )
    .await;
    assert!(
        !public.status.success(),
        "plain http off loopback is refused"
    );

    let first = timesheets(&url, &["keys", "rotate"], None).await;
    let second = timesheets(&url, &["keys", "rotate"], None).await;
    assert!(
        first.status.success() && second.status.success(),
        "{}",
        stderr(&second)
    );
    let in_use: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM provider_keys WHERE retired_at IS NULL")
            .fetch_one(db.pool())
            .await
            .expect("keys");
    assert_eq!(in_use, 1, "exactly one key signs");
    db.close().await;
}

#[tokio::test]
async fn housekeeping_deletes_only_what_can_no_longer_be_used() {
    let app = TestApp::spawn_embedded().await;
    app.add_account("ann@example.com", "correct horse battery", "employee")
        .await;
    let live = sign_in(&app, "ann@example.com", "correct horse battery", PWA_SCOPE).await;
    let ended = sign_in(&app, "ann@example.com", "correct horse battery", PWA_SCOPE).await;
    let ended_hash = secrets::token_hash(ended.refresh_token.as_deref().expect("a token"));
    sqlx::query(
        "UPDATE token_families SET expires_at = 1 WHERE id =
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
    )
    .bind(&ended_hash)
    .execute(app.db.pool())
    .await
    .expect("ended");

    let mut conn = app.db.pool().acquire().await.expect("a connection");
    let now = db::clock::now_ms();
    let purged = ::provider::store::purge_expired(&mut conn, now)
        .await
        .expect("purged");
    assert!(purged >= 2, "the ended family and its token: {purged}");
    let remaining: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&mut *conn)
        .await
        .expect("tokens");
    assert!(!remaining.contains(&ended_hash));
    let (status, body, _) =
        redeem_refresh(&app, live.refresh_token.as_deref().expect("a token")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the live sign-in is untouched: {body}"
    );
}

//! Every timesheet route behind its scope (403 and no database change without it), and
//! principals of the wrong kind refused.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{fixtures::*, helpers::TestApp};

#[tokio::test]
async fn every_route_needs_its_scope_and_changes_nothing_without_it() {
    let (app, submitted, draft, second) = app_with_more_entries().await;
    let upload = json!([{
        "external_id": "row-1", "user_email": "ann@example.com",
        "project": "ACME", "date": "2026-11-25", "hours": 1
    }]);
    let routes: Vec<(Method, String, Option<Value>, &str, bool)> = vec![
        (
            Method::GET,
            "/api/timesheets".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/projects".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            format!("/api/timesheets/{draft}"),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::PUT,
            format!("/api/timesheets/{draft}"),
            Some(entry_body("2026-11-24", 3.0)),
            "create:timesheets",
            false,
        ),
        (
            Method::POST,
            "/api/timesheets".into(),
            Some(entry_body("2026-11-26", 1.0)),
            "create:timesheets",
            false,
        ),
        (
            Method::DELETE,
            format!("/api/timesheets/{draft}"),
            None,
            "delete:timesheets",
            false,
        ),
        (
            Method::POST,
            "/api/timesheets/weeks/2026-W48/submit".into(),
            None,
            "create:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/approvals".into(),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::PUT,
            format!("/api/approvals/{second}"),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::POST,
            format!("/api/approvals/{submitted}/reject"),
            Some(json!({"note": "wrong project"})),
            "approve:timesheets",
            true,
        ),
        (
            Method::POST,
            "/api/approvals/weeks/2026-W48".into(),
            Some(json!({"user_id": "user-ann"})),
            "approve:timesheets",
            true,
        ),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30&everyone=true".into(),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::GET,
            format!("/api/approvals/{second}"),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::GET,
            "/api/team/hours?period=2026-W48".into(),
            None,
            "approve:timesheets",
            true,
        ),
        (
            Method::GET,
            "/api/timer".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::PUT,
            "/api/timer".into(),
            Some(json!({
                "id": "3f1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f71", "project": "ACME",
                "started_at": db::clock::now_ms()
            })),
            "create:timesheets",
            false,
        ),
        (
            Method::DELETE,
            "/api/timer/3f1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f71".into(),
            None,
            "create:timesheets",
            false,
        ),
        (
            Method::GET,
            "/api/push/key".into(),
            None,
            "read:timesheets",
            false,
        ),
        (
            Method::PUT,
            "/api/push/subscriptions".into(),
            Some(json!({
                "endpoint": "https://fcm.googleapis.com/fcm/send/1",
                "keys": {
                    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                    "auth": "BTBZMqHH6r4Tts7J_aSIgg"
                },
                "time_zone": "Europe/Berlin"
            })),
            "read:timesheets",
            false,
        ),
        (
            Method::DELETE,
            "/api/push/subscriptions".into(),
            Some(json!({"endpoint": "https://fcm.googleapis.com/fcm/send/1"})),
            "read:timesheets",
            false,
        ),
        (Method::GET, "/api/me".into(), None, "", false),
        (
            Method::POST,
            "/api/timesheets/upload".into(),
            Some(upload),
            "batch:upload",
            false,
        ),
    ];
    for (method, path, body, scope, as_manager) in routes {
        let is_batch = scope == "batch:upload";
        let token_with = |scopes: &str| {
            if is_batch {
                app.client_token("payroll", scopes)
            } else if as_manager {
                app.token_for(MANAGER.0, MANAGER.1, scopes)
            } else {
                app.user_token(scopes)
            }
        };
        let case = format!("{method} {path}");
        let before = app.fingerprint().await;
        if scope.is_empty() {
            // Any valid user token, whatever its scopes.
            let response = app.call(method, &path, &token_with(""), None).await;
            assert_eq!(response.status(), StatusCode::OK, "{case}");
            continue;
        }
        let denied = app
            .call(
                method.clone(),
                &path,
                &token_with(&all_but(scope)),
                body.as_ref(),
            )
            .await;
        assert_eq!(denied.status(), StatusCode::FORBIDDEN, "{case}");
        assert_eq!(
            denied.headers()["www-authenticate"],
            format!(r#"Bearer error="insufficient_scope", scope="{scope}""#).as_str(),
            "{case}"
        );
        let error: Value = denied.json().await.unwrap();
        assert_eq!(error["error"], "insufficient_scope", "{case}");
        assert_eq!(error["scope"], scope, "{case}");
        assert_eq!(
            app.fingerprint().await,
            before,
            "{case} changed the database"
        );

        let allowed = app
            .call(method.clone(), &path, &token_with(scope), body.as_ref())
            .await;
        assert!(
            allowed.status().is_success(),
            "{case} with {scope}: {}",
            allowed.status()
        );
    }
}

#[tokio::test]
async fn a_user_token_on_the_batch_route_is_forbidden() {
    let app = TestApp::spawn().await;
    app.add_project("ACME", "Acme website").await;
    let before = app.fingerprint().await;
    let body = json!({"external_id": "r1", "user_email": "ann@example.com", "project": "ACME", "date": "2026-11-23", "hours": 1});
    let response = app
        .call(
            Method::POST,
            "/api/timesheets/upload",
            &app.user_token("batch:upload read:timesheets create:timesheets"),
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn a_machine_token_on_user_routes_is_forbidden() {
    let (app, submitted, _) = app_with_entries().await;
    let machine = app.client_token("payroll", &format!("{ALL_USER_SCOPES} batch:upload"));
    let before = app.fingerprint().await;
    for (method, path, body) in [
        (Method::GET, "/api/timesheets".to_owned(), None),
        (
            Method::POST,
            "/api/timesheets".to_owned(),
            Some(entry_body("2026-11-27", 1.0)),
        ),
        (Method::GET, "/api/approvals".to_owned(), None),
        (Method::PUT, format!("/api/approvals/{submitted}"), None),
    ] {
        let response = app
            .call(method.clone(), &path, &machine, body.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    assert_eq!(app.fingerprint().await, before);
}

#[tokio::test]
async fn every_timesheet_route_refuses_a_missing_token_before_touching_the_database() {
    let (app, submitted, draft) = app_with_entries().await;
    let before = app.fingerprint().await;
    for (method, path) in [
        (Method::GET, "/api/timesheets".to_owned()),
        (Method::POST, "/api/timesheets".to_owned()),
        (Method::DELETE, format!("/api/timesheets/{draft}")),
        (Method::GET, "/api/approvals".to_owned()),
        (Method::PUT, format!("/api/approvals/{submitted}")),
        (Method::POST, format!("/api/approvals/{submitted}/reject")),
        (Method::POST, "/api/timesheets/upload".to_owned()),
        (
            Method::GET,
            "/api/timesheets/export?from=2026-11-01&to=2026-11-30".to_owned(),
        ),
        (Method::GET, "/api/me".to_owned()),
        (Method::GET, format!("/api/approvals/{submitted}")),
        (Method::GET, "/api/team/hours?period=2026-W48".to_owned()),
        (Method::GET, "/api/timer".to_owned()),
        (Method::PUT, "/api/timer".to_owned()),
        (Method::DELETE, format!("/api/timer/{draft}")),
        (Method::GET, "/api/push/key".to_owned()),
        (Method::PUT, "/api/push/subscriptions".to_owned()),
        (Method::DELETE, "/api/push/subscriptions".to_owned()),
    ] {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .json(&entry_body("2026-11-23", 1.0))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    assert_eq!(app.fingerprint().await, before);
}

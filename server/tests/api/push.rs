//! Web Push reminders against a push service run by the test: each message is decrypted
//! with the device's keys (aes128gcm, RFC 8291) and its VAPID token checked (RFC 8292);
//! a reminder comes once per person and period, also from two instances on one database.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes, extract::Path, http::HeaderMap, http::StatusCode as Status, routing::post,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::push::{Schedule, TimeOfDay, WeeklyAt};
use web_push_native::{
    p256::{elliptic_curve::sec1::ToEncodedPoint, SecretKey},
    Auth,
};

use crate::{
    fixtures::*,
    helpers::{expected_backend, TestApp},
};

/// What the push service received: (device, headers, body).
type Received = Arc<Mutex<Vec<(String, HeaderMap, Vec<u8>)>>>;

/// A push service on loopback: 201 for every device, 410 for `/push/gone`.
async fn push_service() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/push/{device}",
        post(
            move |Path(device): Path<String>, headers: HeaderMap, body: Bytes| {
                let kept = kept.clone();
                async move {
                    let gone = device == "gone";
                    kept.lock().unwrap().push((device, headers, body.to_vec()));
                    if gone {
                        Status::GONE
                    } else {
                        Status::CREATED
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}"), received)
}

/// A device's keys, as a browser makes them for a subscription.
struct DeviceKeys {
    secret: SecretKey,
    auth: [u8; 16],
}

impl DeviceKeys {
    fn new() -> DeviceKeys {
        let secret = loop {
            let mut bytes = [0u8; 32];
            aws_lc_rs::rand::fill(&mut bytes).unwrap();
            if let Ok(secret) = SecretKey::from_slice(&bytes) {
                break secret;
            }
        };
        let mut auth = [0u8; 16];
        aws_lc_rs::rand::fill(&mut auth).unwrap();
        DeviceKeys { secret, auth }
    }

    fn subscription(&self, endpoint: &str, time_zone: &str) -> Value {
        let point = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(point.as_bytes()),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            },
            "time_zone": time_zone,
        })
    }

    /// The reminder in `body`, decrypted as the browser does.
    fn open(&self, body: &[u8]) -> Value {
        let plain = web_push_native::decrypt(
            body.to_vec(),
            &self.secret,
            &Auth::clone_from_slice(&self.auth),
        )
        .expect("a message encrypted for this device");
        serde_json::from_slice(&plain).expect("a JSON reminder")
    }
}

#[derive(serde::Deserialize)]
struct VapidClaims {
    sub: String,
}

/// Checks the message's headers and VAPID token against the server's key and the push
/// service's origin.
fn check_vapid(headers: &HeaderMap, public_key: &str, audience: &str) {
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers.contains_key("ttl"));
    let authorization = headers["authorization"].to_str().unwrap();
    let params = authorization
        .strip_prefix("vapid ")
        .expect("the vapid scheme");
    let (mut token, mut key) = (None, None);
    for part in params.split(',').map(str::trim) {
        if let Some(value) = part.strip_prefix("t=") {
            token = Some(value);
        }
        if let Some(value) = part.strip_prefix("k=") {
            key = Some(value);
        }
    }
    let key = key.expect("k=");
    assert_eq!(
        key, public_key,
        "signed with the key browsers subscribe with"
    );
    let point = URL_SAFE_NO_PAD.decode(key).unwrap();
    assert_eq!((point.len(), point[0]), (65, 4));
    let decoding = DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..]),
    )
    .unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<VapidClaims>(token.expect("t="), &decoding, &validation)
        .expect("a valid VAPID token")
        .claims;
    assert!(claims.sub.starts_with("mailto:") || claims.sub.starts_with("https:"));
}

/// Today's weekday in UTC, as the reminder setting names it.
fn today_utc() -> jiff::civil::Weekday {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .weekday()
}

fn remind_now(args: &mut server::config::ServeArgs, week: bool, approvals: bool) {
    let midnight = TimeOfDay { hour: 0, minute: 0 };
    args.reminders.reminder_week_at = Schedule(week.then_some(WeeklyAt {
        weekday: today_utc(),
        at: midnight,
    }));
    args.reminders.reminder_approvals_at = Schedule(approvals.then_some(midnight));
    args.reminders.reminder_check_secs = 1;
    args.reminders.push_allow_http = true;
}

async fn messages_to(received: &Received, device: &str) -> Vec<(HeaderMap, Vec<u8>)> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|(to, _, _)| to == device)
        .map(|(_, headers, body)| (headers.clone(), body.clone()))
        .collect()
}

/// Waits until `device` got `count` messages, then a few rounds more (for any extra).
async fn wait_for(received: &Received, device: &str, count: usize) -> Vec<(HeaderMap, Vec<u8>)> {
    for _ in 0..100 {
        if messages_to(received, device).await.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    messages_to(received, device).await
}

#[tokio::test]
async fn a_reminder_reaches_the_device_encrypted_and_signed_once() {
    let (push, received) = push_service().await;
    let app = TestApp::spawn_with(|args| remind_now(args, true, false)).await;
    app.add_project("ACME", "Acme").await;
    let ann = app.employee_token();
    let key: Value = app
        .get_as(&ann, "/api/push/key")
        .await
        .json()
        .await
        .unwrap();
    let public_key = key["public_key"].as_str().unwrap().to_owned();

    // Ann's phone subscribes; her week has nothing logged, so it is not submitted.
    let phone = DeviceKeys::new();
    let subscribed = app
        .call(
            Method::PUT,
            "/api/push/subscriptions",
            &ann,
            Some(&phone.subscription(&format!("{push}/push/ann"), "UTC")),
        )
        .await;
    assert_eq!(subscribed.status(), StatusCode::NO_CONTENT);
    // Carl's old phone: its push service says it is gone.
    let carl = app.token_for("user-carl", "carl@example.com", ALL_USER_SCOPES);
    let old = DeviceKeys::new();
    let gone = app
        .call(
            Method::PUT,
            "/api/push/subscriptions",
            &carl,
            Some(&old.subscription(&format!("{push}/push/gone"), "Etc/UTC")),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);

    let messages = wait_for(&received, "ann", 1).await;
    assert_eq!(messages.len(), 1, "one reminder per person and week");
    let (headers, body) = &messages[0];
    check_vapid(headers, &public_key, &push);
    let reminder = phone.open(body);
    let week = app::domain::WorkDate::parse(
        &jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
    )
    .unwrap()
    .week();
    assert_eq!(
        reminder["body"],
        format!("Your week W{:02} is not submitted", week.number())
    );
    assert_eq!(
        (reminder["url"].as_str(), reminder["tag"].as_str()),
        (Some("/"), Some("week"))
    );
    // The gone subscription was tried, then forgotten.
    assert!(!messages_to(&received, "gone").await.is_empty());
    assert_eq!(subscriptions(&app).await, 1);

    // Unsubscribed, twice (the second is done already).
    for _ in 0..2 {
        let removed = app
            .call(
                Method::DELETE,
                "/api/push/subscriptions",
                &ann,
                Some(&json!({"endpoint": format!("{push}/push/ann")})),
            )
            .await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(subscriptions(&app).await, 0);
}

async fn subscriptions(app: &TestApp) -> i64 {
    let mut conn = app.db.pool().acquire().await.unwrap();
    let row = sqlx::query("SELECT COUNT(*) AS n FROM push_subscriptions")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    sqlx::Row::try_get(&row, "n").unwrap()
}

#[tokio::test]
async fn bad_subscriptions_get_a_clear_error_and_store_nothing() {
    let app = TestApp::spawn().await;
    let ann = app.employee_token();
    let keys = DeviceKeys::new();
    let good = keys.subscription("https://fcm.googleapis.com/fcm/send/1", "Europe/Berlin");
    let before = app.fingerprint().await;
    let mut cases = Vec::new();
    // Plain http is for tests with PUSH_ALLOW_HTTP only.
    cases.push((
        keys.subscription("http://127.0.0.1:9/push/x", "UTC"),
        "endpoint",
    ));
    cases.push((keys.subscription("not a url", "UTC"), "endpoint"));
    // Not a browser's push service: the server would call it.
    cases.push((
        keys.subscription("https://intranet.example.com/push", "UTC"),
        "endpoint",
    ));
    let mut bad_key = good.clone();
    bad_key["keys"]["p256dh"] = json!("AAAA");
    cases.push((bad_key, "keys.p256dh"));
    let mut bad_secret = good.clone();
    bad_secret["keys"]["auth"] = json!("c2hvcnQ");
    cases.push((bad_secret, "keys.auth"));
    cases.push((
        keys.subscription("https://fcm.googleapis.com/fcm/send/1", "Mars/Olympus"),
        "time_zone",
    ));
    for (body, field) in cases {
        let response = app
            .call(Method::PUT, "/api/push/subscriptions", &ann, Some(&body))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["field"], field, "{body}");
    }
    assert_eq!(app.fingerprint().await, before);
    let accepted = app
        .call(Method::PUT, "/api/push/subscriptions", &ann, Some(&good))
        .await;
    assert_eq!(accepted.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn two_instances_send_the_approvals_reminder_once() {
    if expected_backend() != db::Backend::Postgres {
        // A SQLite file has one server (migrations::a_sqlite_file_has_one_server_and_
        // postgres_many); this runs in make test's PostgreSQL pass.
        return;
    }
    let (push, received) = push_service().await;
    let app = TestApp::spawn_with(|args| remind_now(args, false, true)).await;
    let _second = app
        .spawn_second_server_with(|args| remind_now(args, false, true))
        .await;
    app.add_project("ACME", "Acme").await;
    // Ann's submitted entry waits for Bob.
    create_entry(&app, &app.employee_token(), &entry_body("2026-11-23", 2.0)).await;
    let bob = app.token_for(MANAGER.0, MANAGER.1, ALL_USER_SCOPES);
    let phone = DeviceKeys::new();
    let subscribed = app
        .call(
            Method::PUT,
            "/api/push/subscriptions",
            &bob,
            Some(&phone.subscription(&format!("{push}/push/bob"), "UTC")),
        )
        .await;
    assert_eq!(subscribed.status(), StatusCode::NO_CONTENT);
    let messages = wait_for(&received, "bob", 1).await;
    assert_eq!(messages.len(), 1, "both instances ran; one sent");
    let reminder = phone.open(&messages[0].1);
    assert_eq!(reminder["body"], "1 entry waits for your approval");
    assert_eq!(
        (reminder["url"].as_str(), reminder["badge"].as_u64()),
        (Some("/approvals"), Some(1))
    );
}

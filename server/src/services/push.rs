//! Web Push subscriptions: a person's devices that want reminders. What the browser sends
//! is checked here (a push service's URL, a P-256 key, a 16-byte secret, a time zone), so
//! the scheduler only ever sends to what could be a push service.

use app::{
    auth::{Scope, User},
    error::AppError,
    push::{NewPushSubscription, PushKey},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use db::clock::now_ms;

use super::ServerServices;
use crate::{
    error::ApiError,
    store::{push, users},
};

/// Longest endpoint URL taken (push services' are a few hundred characters).
const MAX_ENDPOINT_LEN: usize = 2048;

/// The browsers' push services, by host or parent domain: Chrome, Edge and Opera (FCM),
/// Firefox (autopush), Safari (APNs web push), Windows (WNS). A subscription names a URL
/// the server will call: only these, on port 443, so nobody can aim the server at an
/// internal address.
pub const PUSH_SERVICE_HOSTS: [&str; 4] = [
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
];

/// A person's devices kept at most; a new one beyond replaces the oldest.
pub const MAX_DEVICES: i64 = 10;

fn is_push_service(url: &url::Url) -> bool {
    let Some(url::Host::Domain(host)) = url.host() else {
        return false;
    };
    url.scheme() == "https"
        && url.port().is_none()
        && PUSH_SERVICE_HOSTS
            .iter()
            .any(|known| host == *known || host.ends_with(&format!(".{known}")))
}

/// What subscribing needs from the server's setup.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// The VAPID public key browsers subscribe with.
    pub public_key: String,
    /// Accept `http:` endpoints (tests with a local push service only).
    pub allow_http: bool,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Validation {
        field: field.into(),
        message: message.into(),
    }
}

/// The browser's subscription, checked field by field.
fn parse(
    body: NewPushSubscription,
    allow_http: bool,
) -> Result<(String, String, String, String), AppError> {
    let endpoint = body.endpoint.trim().to_owned();
    let url = url::Url::parse(&endpoint)
        .map_err(|_| invalid("endpoint", "expected the push service's https URL"))?;
    // Tests run a push service on loopback (PUSH_ALLOW_HTTP); anything else is a browser's.
    let allowed = is_push_service(&url) || (allow_http && url.scheme() == "http");
    if !allowed || endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(invalid(
            "endpoint",
            "expected a browser push service's https URL",
        ));
    }
    let p256dh = body.keys.p256dh.trim().to_owned();
    let point_ok = URL_SAFE_NO_PAD
        .decode(&p256dh)
        .ok()
        .is_some_and(|point| web_push_native::p256::PublicKey::from_sec1_bytes(&point).is_ok());
    if !point_ok {
        return Err(invalid(
            "keys.p256dh",
            "expected a P-256 public key, base64url",
        ));
    }
    let auth = body.keys.auth.trim().to_owned();
    if URL_SAFE_NO_PAD.decode(&auth).map(|secret| secret.len()) != Ok(16) {
        return Err(invalid("keys.auth", "expected a 16-byte secret, base64url"));
    }
    let time_zone = body.time_zone.trim().to_owned();
    if time_zone.len() > 64 || jiff::tz::TimeZone::get(&time_zone).is_err() {
        return Err(invalid(
            "time_zone",
            "expected an IANA time zone like Europe/Berlin",
        ));
    }
    Ok((endpoint, p256dh, auth, time_zone))
}

impl ServerServices {
    fn push_config(&self) -> Result<&PushConfig, AppError> {
        self.push.as_deref().ok_or(AppError::Unavailable)
    }

    /// The key browsers subscribe with.
    pub fn push_key(&self, user: &User) -> Result<PushKey, ApiError> {
        user.require(Scope::ReadTimesheets)?;
        Ok(PushKey {
            public_key: self.push_config()?.public_key.clone(),
        })
    }

    /// Reminds the user on the device of `body` (it replaces what was stored for that
    /// device). Approvers' devices also get the daily approvals reminder.
    pub async fn subscribe_push(
        &self,
        user: &User,
        body: NewPushSubscription,
    ) -> Result<(), ApiError> {
        user.require(Scope::ReadTimesheets)?;
        let (endpoint, p256dh, auth, time_zone) = parse(body, self.push_config()?.allow_http)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let user_id = users::upsert(&mut tx, user, now).await?;
        let subscription = push::Subscription {
            user_id,
            endpoint,
            p256dh,
            auth,
            time_zone,
            approves: user.scopes.contains(Scope::ApproveTimesheets),
        };
        push::subscribe(&mut tx, &subscription, now, MAX_DEVICES).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops reminding the user on the device at `endpoint` (done already is fine).
    pub async fn unsubscribe_push(&self, user: &User, endpoint: &str) -> Result<(), ApiError> {
        user.require(Scope::ReadTimesheets)?;
        let mut tx = self.db.begin_write().await?;
        let Some(user_id) = users::find(&mut tx, &user.issuer, &user.subject).await? else {
            return Ok(());
        };
        push::unsubscribe(&mut tx, Some(&user_id), endpoint.trim()).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::push::PushKeys;

    fn body(endpoint: &str, p256dh: &str, auth: &str, time_zone: &str) -> NewPushSubscription {
        NewPushSubscription {
            endpoint: endpoint.into(),
            keys: PushKeys {
                p256dh: p256dh.into(),
                auth: auth.into(),
            },
            time_zone: time_zone.into(),
        }
    }

    // RFC 8291 §5's example user agent key and secret.
    const POINT: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const SECRET: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn subscriptions_are_checked_field_by_field() {
        let https = "https://fcm.googleapis.com/fcm/send/abc";
        assert!(parse(body(https, POINT, SECRET, "Europe/Berlin"), false).is_ok());
        let mozilla = "https://updates.push.services.mozilla.com/wpush/v2/abc";
        assert!(parse(body(mozilla, POINT, SECRET, "UTC"), false).is_ok());
        let field = |result: Result<_, AppError>| match result {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("not a validation error: {other:?}"),
        };
        let local = "http://127.0.0.1:9/push";
        assert_eq!(
            field(parse(body(local, POINT, SECRET, "UTC"), false)),
            "endpoint"
        );
        assert!(parse(body(local, POINT, SECRET, "UTC"), true).is_ok());
        assert_eq!(
            field(parse(
                body("file:///etc/passwd", POINT, SECRET, "UTC"),
                true
            )),
            "endpoint"
        );
        assert_eq!(
            field(parse(body(https, "AAAA", SECRET, "UTC"), false)),
            "keys.p256dh"
        );
        assert_eq!(
            field(parse(body(https, POINT, "c2hvcnQ", "UTC"), false)),
            "keys.auth"
        );
        assert_eq!(
            field(parse(body(https, POINT, SECRET, "Mars/Olympus"), false)),
            "time_zone"
        );
    }
}

//! Delivers a reminder to one device's push service: the message encrypted for the device
//! (aes128gcm, RFC 8291, by `web-push-native`), signed with the server's VAPID key
//! (RFC 8292: an ES256 JWT by `jsonwebtoken`, the crate the token checks use).

use std::time::Duration;

use anyhow::Context;
use app::push::Reminder;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::{header, HeaderValue};
use jsonwebtoken::{Algorithm, Header};
use serde::Serialize;
use web_push_native::{p256, Auth, WebPushBuilder};

use super::keys::VapidKey;
use crate::store::push::Subscription;

/// How long a push service keeps an undelivered reminder (`TTL`): a day-old reminder is
/// not worth showing. Also the VAPID token's lifetime (RFC 8292: at most 24 h).
const TIME_TO_LIVE: Duration = Duration::from_secs(12 * 3600);

/// How one delivery went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// The push service no longer knows the subscription (404 or 410): forget it.
    Gone,
}

#[derive(Debug, Clone)]
pub struct PushSender {
    client: reqwest::Client,
    key: VapidKey,
    /// Who to reach about this server (`mailto:` or `https:`), in every VAPID token.
    contact: String,
}

#[derive(Serialize)]
struct VapidClaims<'a> {
    aud: &'a str,
    exp: u64,
    sub: &'a str,
}

impl PushSender {
    pub fn new(key: VapidKey, contact: String) -> anyhow::Result<PushSender> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // A push service never redirects; following one could reach anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("could not build the push client")?;
        Ok(PushSender {
            client,
            key,
            contact,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.key.public_key
    }

    /// Sends `reminder` to the device of `subscription`.
    pub async fn send(
        &self,
        subscription: &Subscription,
        reminder: &Reminder,
    ) -> anyhow::Result<Delivery> {
        let endpoint =
            url::Url::parse(&subscription.endpoint).context("the endpoint is not a URL")?;
        let device_key = p256::PublicKey::from_sec1_bytes(
            &URL_SAFE_NO_PAD
                .decode(&subscription.p256dh)
                .context("p256dh is not base64url")?,
        )
        .map_err(|_| anyhow::anyhow!("p256dh is not a P-256 public key"))?;
        let auth = URL_SAFE_NO_PAD
            .decode(&subscription.auth)
            .context("auth is not base64url")?;
        anyhow::ensure!(auth.len() == 16, "auth is not 16 bytes");
        let builder = WebPushBuilder::new(
            subscription.endpoint.parse::<http::Uri>()?,
            device_key,
            Auth::clone_from_slice(&auth),
        )
        .with_valid_duration(TIME_TO_LIVE);
        let mut request = builder
            .build(serde_json::to_vec(reminder)?)
            .map_err(|err| anyhow::anyhow!("could not encrypt the reminder: {err}"))?;
        let headers = request.headers_mut();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&self.vapid_authorization(&endpoint)?)?,
        );
        headers.insert("urgency", HeaderValue::from_static("normal"));
        headers.insert("topic", HeaderValue::from_str(&reminder.tag)?);
        let response = self
            .client
            .execute(reqwest::Request::try_from(request)?)
            .await
            .context("the push service did not answer")?;
        match response.status().as_u16() {
            200..=299 => Ok(Delivery::Delivered),
            404 | 410 => Ok(Delivery::Gone),
            status => anyhow::bail!("the push service answered {status}"),
        }
    }

    /// `vapid t=<JWT>, k=<public key>` for the push service at `endpoint` (RFC 8292 §3).
    fn vapid_authorization(&self, endpoint: &url::Url) -> anyhow::Result<String> {
        let audience = endpoint.origin().ascii_serialization();
        let exp = jsonwebtoken::get_current_timestamp() + TIME_TO_LIVE.as_secs();
        let claims = VapidClaims {
            aud: &audience,
            exp,
            sub: &self.contact,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, self.key.signing())
                .context("could not sign the VAPID token")?;
        Ok(format!("vapid t={token}, k={}", self.key.public_key))
    }
}

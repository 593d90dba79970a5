//! Web Push reminders: what the PWA sends to subscribe a device, and what a reminder
//! carries to its service worker (encrypted by the server, RFC 8291); [`device`] is the
//! browser's half (permission, subscription, app badge).

use serde::{Deserialize, Serialize};

#[cfg(feature = "hydrate")]
pub mod device;

/// The device's keys of a `PushSubscription` (`toJSON().keys`), base64url.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushKeys {
    /// Its P-256 public key, uncompressed (65 bytes).
    pub p256dh: String,
    /// Its authentication secret (16 bytes).
    pub auth: String,
}

/// `PUT /api/push/subscriptions`: the browser's `PushSubscription.toJSON()` and the
/// device's IANA time zone (reminders come at its local time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPushSubscription {
    /// The push service's URL for this device.
    pub endpoint: String,
    pub keys: PushKeys,
    /// E.g. `Europe/Berlin`.
    pub time_zone: String,
}

/// `DELETE /api/push/subscriptions`: which device stops being reminded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushEndpoint {
    pub endpoint: String,
}

/// `GET /api/push/key`: the server's VAPID public key, the `applicationServerKey` a
/// browser subscribes with (base64url of the uncompressed P-256 point).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushKey {
    pub public_key: String,
}

/// A reminder as the service worker receives it (JSON in the encrypted message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub title: String,
    pub body: String,
    /// The screen a tap opens, e.g. `/approvals`.
    pub url: String,
    /// One notification per kind: a newer one replaces it.
    pub tag: String,
    /// What the app's badge shows where the system has one (`navigator.setAppBadge`).
    pub badge: u32,
}

//! Passkeys (WebAuthn) at the embedded provider: a signed-in person adds them from the
//! app's profile ([`account`]), signs in with one instead of a password ([`login`]), and
//! an administrator can require them of everyone who approves time
//! (`timesheets passkeys require`, [`store::approvers_need_passkeys`]). The ceremonies
//! are kanidm's audited `webauthn-rs`; what a ceremony needs between the browser's two
//! requests is in the database, so either instance behind a load balancer can finish it.

pub mod account;
pub mod login;
mod registration;
pub mod store;

use app::{admin::Role, auth::Scope};
use db::clock::now_ms;
use webauthn_rs::{prelude::Url, Webauthn, WebauthnBuilder};

use self::store::{Ceremony, CeremonyKind};
use crate::{Provider, PublicUrl};

/// A ceremony must be answered this soon (the browser's own timeout is 5 minutes too).
pub const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;

/// Who must sign in with a passkey when the policy is on: whoever may approve time.
pub fn policy_applies_to(role: Role) -> bool {
    role.scopes().contains(&Scope::ApproveTimesheets)
}

/// The relying party: this server's public origin, with its host name as the RP ID.
/// `None` where browsers offer no WebAuthn: an IP address as the host (`make run`'s
/// `http://127.0.0.1:3000`: open it as `http://localhost:3000`), or plain `http://` other
/// than to localhost (not a secure context).
pub fn relying_party(issuer: &PublicUrl) -> Option<Webauthn> {
    let origin = Url::parse(issuer.as_str()).ok()?;
    let rp_id = origin.domain()?.to_owned();
    let local = rp_id == "localhost" || rp_id.ends_with(".localhost");
    if origin.scheme() != "https" && !local {
        tracing::warn!(%issuer, "passkeys are off: they need https (or localhost)");
        return None;
    }
    let built = WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|builder| builder.rp_name("Timesheets").build());
    match built {
        Ok(webauthn) => Some(webauthn),
        Err(error) => {
            tracing::warn!(%error, %issuer, "passkeys are off: this address cannot be a relying party");
            None
        }
    }
}

/// Stores a ceremony's state (through the write queue); the token the browser sends
/// back with its answer.
pub(crate) async fn begin_ceremony(
    provider: &Provider,
    kind: CeremonyKind,
    account_id: Option<&str>,
    pending_login: Option<&str>,
    state: &impl serde::Serialize,
) -> anyhow::Result<String> {
    let state = serde_json::to_string(state)?;
    let expires_at = now_ms() + CEREMONY_TTL_MS;
    Ok(provider
        .db()
        .write(async |tx| {
            store::begin_ceremony(tx, kind, account_id, pending_login, &state, expires_at).await
        })
        .await?)
}

/// Takes a ceremony out (through the write queue): each is answered once.
pub(crate) async fn take_ceremony(
    provider: &Provider,
    token: &str,
    kind: CeremonyKind,
    now: i64,
) -> sqlx::Result<Option<Ceremony>> {
    provider
        .db()
        .write(async |tx| store::take_ceremony(tx, token, kind, now).await)
        .await
}

/// The creation options as the browser gets them: a discoverable credential (a passkey
/// proper, found by the authenticator without a user name), which webauthn-rs leaves to
/// the authenticator. Its registration check does not depend on this field.
pub fn discoverable(mut options: serde_json::Value) -> serde_json::Value {
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_name_is_a_relying_party_and_an_ip_address_is_not() {
        let named: PublicUrl = "http://localhost:3000".parse().unwrap();
        assert!(relying_party(&named).is_some());
        let company: PublicUrl = "https://time.example.com".parse().unwrap();
        assert!(relying_party(&company).is_some());
        let ip: PublicUrl = "http://127.0.0.1:3000".parse().unwrap();
        assert!(relying_party(&ip).is_none());
        let plain: PublicUrl = "http://time.internal".parse().unwrap();
        assert!(relying_party(&plain).is_none(), "not a secure context");
    }

    #[test]
    fn only_approvers_fall_under_the_policy() {
        assert!(policy_applies_to(Role::Manager));
        assert!(policy_applies_to(Role::Admin));
        assert!(!policy_applies_to(Role::Employee));
        assert!(!policy_applies_to(Role::Contractor));
    }

    #[test]
    fn new_passkeys_are_discoverable() {
        let webauthn = relying_party(&"http://localhost:3000".parse().unwrap()).unwrap();
        let (options, _) = webauthn
            .start_passkey_registration(uuid::Uuid::new_v4(), "ann@example.com", "Ann", None)
            .unwrap();
        let options = discoverable(serde_json::to_value(options).unwrap());
        let selection = &options["publicKey"]["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required");
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    }
}

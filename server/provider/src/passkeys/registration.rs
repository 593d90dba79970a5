//! Adding a passkey, from the app's profile ([`super::account`]) or during a sign-in the
//! policy requires one for ([`super::login`]): one ceremony, two callers.

use app::passkeys::{PasskeyName, PasskeySummary};
use db::{clock::now_ms, is_unique_violation};
use serde_json::Value;
use webauthn_rs::{
    prelude::{PasskeyRegistration, RegisterPublicKeyCredential},
    Webauthn,
};

use super::{
    begin_ceremony, discoverable,
    store::{self as passkey_store, CeremonyKind},
    take_ceremony,
};
use crate::{store::Account, Provider};

/// Why a passkey was not added.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// No such ceremony (expired, answered already, someone else's or another form's).
    #[error("this request to add a passkey has expired: start again")]
    Expired,
    /// The authenticator's answer does not verify (origin, challenge, format…).
    #[error("the passkey could not be verified")]
    NotVerified,
    /// The credential is registered already (to this person: the browser would have
    /// refused it; to someone else: never).
    #[error("this passkey is registered already")]
    Duplicate,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Starts adding a passkey to `account`: the ceremony's token and the browser's options
/// (a discoverable credential; the person's passkeys excluded).
pub async fn start(
    provider: &Provider,
    webauthn: &Webauthn,
    account: &Account,
    pending_login: Option<&str>,
) -> Result<(String, Value), Refused> {
    let user = uuid::Uuid::parse_str(&account.id)
        .map_err(|_| anyhow::anyhow!("account id {} is not a UUID", account.id))?;
    let mut conn = provider.db().acquire().await?;
    // The authenticator then refuses to make a second passkey for the same account.
    let existing = passkey_store::passkeys_of(&mut conn, &account.id)
        .await?
        .into_iter()
        .map(|passkey| passkey.credential.cred_id().clone())
        .collect();
    drop(conn);
    let (options, state) = webauthn
        .start_passkey_registration(user, &account.email, &account.name, Some(existing))
        .map_err(|error| anyhow::anyhow!("cannot start adding a passkey: {error}"))?;
    let options = serde_json::to_value(options).map_err(anyhow::Error::from)?;
    let ceremony = begin_ceremony(
        provider,
        CeremonyKind::Register,
        Some(&account.id),
        pending_login,
        &state,
    )
    .await?;
    Ok((ceremony, discoverable(options)))
}

/// Finishes a ceremony `account_id` started (in the login form `pending_login`, if any)
/// with the authenticator's answer: the new passkey, stored.
pub async fn finish(
    provider: &Provider,
    webauthn: &Webauthn,
    ceremony: &str,
    account_id: &str,
    pending_login: Option<&str>,
    name: &PasskeyName,
    answer: Value,
) -> Result<PasskeySummary, Refused> {
    let now = now_ms();
    let ceremony = take_ceremony(provider, ceremony, CeremonyKind::Register, now)
        .await?
        .filter(|ceremony| {
            ceremony.account_id.as_deref() == Some(account_id)
                && ceremony.pending_login.as_deref() == pending_login
        })
        .ok_or(Refused::Expired)?;
    let state: PasskeyRegistration = serde_json::from_str(&ceremony.state)
        .map_err(|_| anyhow::anyhow!("a stored passkey ceremony is unreadable"))?;
    let not_verified = |why: String| {
        tracing::info!(why, "passkey registration refused");
        Refused::NotVerified
    };
    let answer: RegisterPublicKeyCredential =
        serde_json::from_value(answer).map_err(|error| not_verified(error.to_string()))?;
    let credential = webauthn
        .finish_passkey_registration(&answer, &state)
        .map_err(|error| not_verified(error.to_string()))?;
    provider
        .db()
        .write(async |tx| {
            passkey_store::insert_passkey(tx, account_id, name.as_str(), &credential, now).await
        })
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                Refused::Duplicate
            } else {
                Refused::Database(error)
            }
        })
}

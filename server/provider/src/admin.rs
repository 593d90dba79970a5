//! Administering the embedded provider: what the `users`, `clients` and `keys` subcommands
//! and start-up do (register the PWA, make the first key).

use anyhow::{bail, Context};
use app::{admin::Role, auth::Scope};
use db::{clock::now_ms, is_unique_violation, Db};

use crate::{
    keys,
    passkeys::{self, store as passkey_store},
    secrets::{hash_secret, random_token, token_hash},
    settings::ProviderSettings,
    store::{self, Account, Client, ClientKind, NewAccount},
};

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: hashing is deliberately slow, and slower the longer the input.
pub const MAX_PASSWORD_CHARS: usize = 256;

fn check_password(password: &str) -> anyhow::Result<()> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        bail!("a password needs at least {MIN_PASSWORD_CHARS} characters");
    }
    if length > MAX_PASSWORD_CHARS {
        bail!("a password has at most {MAX_PASSWORD_CHARS} characters");
    }
    Ok(())
}

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// An argon2id hash of a random secret nobody learns: the password of someone invited
/// who has not chosen theirs yet (no password signs them in).
pub async fn unusable_password_hash() -> anyhow::Result<String> {
    let secret = random_token();
    tokio::task::spawn_blocking(move || hash_secret(&secret)).await?
}

/// A fresh one-time link for `account_id` to set their password; older open links of
/// theirs stop working. Returns the link and when it expires.
pub async fn issue_invitation(
    conn: &mut sqlx::AnyConnection,
    issuer: &str,
    account_id: &str,
    now: i64,
) -> sqlx::Result<(String, i64)> {
    store::void_invitations(conn, account_id, now).await?;
    let token = random_token();
    let expires_at = now + INVITATION_TTL_MS;
    store::insert_invitation(conn, &token_hash(&token), account_id, now, expires_at).await?;
    Ok((
        format!("{issuer}/oauth/invitation?token={token}"),
        expires_at,
    ))
}

/// Why an invitation link sets no password.
#[derive(Debug, thiserror::Error)]
pub enum InvitationRefused {
    #[error("this link has expired or was used already")]
    Closed,
    #[error("{0}")]
    Password(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The account an open link is for, if it is still open.
pub async fn invited_account(db: &Db, token: &str) -> Result<Account, InvitationRefused> {
    let mut conn = db.acquire().await?;
    let id = store::open_invitation(&mut conn, &token_hash(token), now_ms())
        .await?
        .ok_or(InvitationRefused::Closed)?;
    let account = store::account(&mut conn, &id)
        .await?
        .filter(|account| !account.disabled)
        .ok_or(InvitationRefused::Closed)?;
    Ok(account)
}

/// Sets the password of the link's account and uses the link up. Whoever held an old
/// password loses their sign-ins.
pub async fn accept_invitation(
    db: &Db,
    token: &str,
    password: &str,
) -> Result<Account, InvitationRefused> {
    // The link is checked inside the transaction; the slow hash is made before the write
    // lock is taken (callers show the form only for an open link: `invited_account`).
    check_password(password).map_err(|error| InvitationRefused::Password(error.to_string()))?;
    let owned = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_secret(&owned))
        .await
        .map_err(anyhow::Error::from)??;
    let now = now_ms();
    let hashed_token = token_hash(token);
    let mut tx = db.begin_write().await?;
    // Again inside the transaction: two tabs may send the same link at once.
    let id = store::open_invitation(&mut tx, &hashed_token, now)
        .await?
        .ok_or(InvitationRefused::Closed)?;
    let account = store::account(&mut tx, &id)
        .await?
        .filter(|account| !account.disabled)
        .ok_or(InvitationRefused::Closed)?;
    store::set_password(&mut tx, &id, &hash, now).await?;
    store::use_invitation(&mut tx, &hashed_token, now).await?;
    store::void_invitations(&mut tx, &id, now).await?;
    store::end_sign_ins(&mut tx, &id, now).await?;
    // A new link is how an account is recovered: a passkey added by whoever held it
    // must not outlive that.
    passkey_store::delete_passkeys_of(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(account)
}

/// The address as stored: trimmed, lower case, roughly `local@domain.tld`.
pub fn normalize_email(email: &str) -> anyhow::Result<String> {
    app::admin::parse_email(email)
        .map_err(|_| anyhow::anyhow!("{:?} is not an email address", email.trim()))
}

/// Adds a person who signs in here; returns their `sub`.
pub async fn add_user(
    db: &Db,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<String> {
    let email = normalize_email(email)?;
    let name = name.trim();
    if name.is_empty() {
        bail!("a user needs a name");
    }
    check_password(password)?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_secret(&password)).await??;
    let mut conn = db.acquire().await?;
    let account = NewAccount {
        email: &email,
        name,
        role,
        password_hash: &hash,
    };
    match store::insert_account(&mut conn, &account, now_ms()).await {
        Ok(id) => Ok(id),
        Err(error) if is_unique_violation(&error) => {
            bail!("a user with email {email} exists already")
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn list_users(db: &Db) -> anyhow::Result<Vec<Account>> {
    let mut conn = db.acquire().await?;
    Ok(store::accounts(&mut conn).await?)
}

/// Disables (or enables again) a person: they cannot sign in, their provider sessions end
/// and their refresh tokens are revoked (their last access token lives out its minutes).
pub async fn set_disabled(db: &Db, email: &str, disabled: bool) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let account = store::account_by_email(&mut tx, email.trim())
        .await?
        .with_context(|| format!("no user with email {}", email.trim()))?;
    store::set_disabled(&mut tx, &account.id, disabled, now).await?;
    if disabled {
        store::end_sign_ins(&mut tx, &account.id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn set_password(db: &Db, email: &str, password: &str) -> anyhow::Result<()> {
    check_password(password)?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_secret(&password)).await??;
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let account = store::account_by_email(&mut tx, email.trim())
        .await?
        .with_context(|| format!("no user with email {}", email.trim()))?;
    store::set_password(&mut tx, &account.id, &hash, now).await?;
    // Whoever knew the old password may hold a session or refresh token, or have added a
    // passkey: end them.
    store::end_sign_ins(&mut tx, &account.id, now).await?;
    passkey_store::delete_passkeys_of(&mut tx, &account.id).await?;
    tx.commit().await?;
    Ok(())
}

fn check_uri(uri: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(uri).with_context(|| format!("{uri:?} is not a URL"))?;
    if url.fragment().is_some() {
        bail!("{uri:?}: a redirect URI has no fragment");
    }
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        bail!("{uri:?}: redirect URIs use https (http only on loopback)");
    }
    Ok(())
}

/// Registers (or updates) a public client: an app that signs people in with PKCE.
pub async fn add_public_client(
    db: &Db,
    id: &str,
    name: &str,
    redirect_uris: &[String],
    post_logout_redirect_uris: &[String],
) -> anyhow::Result<()> {
    if redirect_uris.is_empty() {
        bail!("a public client needs at least one redirect URI");
    }
    for uri in redirect_uris.iter().chain(post_logout_redirect_uris) {
        check_uri(uri)?;
    }
    let client = Client {
        id: id.to_owned(),
        name: name.to_owned(),
        kind: ClientKind::Public,
        secret_hash: None,
        redirect_uris: redirect_uris.to_vec(),
        post_logout_redirect_uris: post_logout_redirect_uris.to_vec(),
        scopes: String::new(),
    };
    let mut conn = db.acquire().await?;
    store::upsert_client(&mut conn, &client, now_ms()).await?;
    Ok(())
}

/// Registers (or re-keys) a confidential batch client; returns its new secret, which is
/// stored only as a hash.
pub async fn add_confidential_client(
    db: &Db,
    id: &str,
    name: &str,
    scopes: &[Scope],
) -> anyhow::Result<String> {
    let secret = random_token();
    add_confidential_client_with_secret(db, id, name, scopes, &secret).await?;
    Ok(secret)
}

pub async fn add_confidential_client_with_secret(
    db: &Db,
    id: &str,
    name: &str,
    scopes: &[Scope],
    secret: &str,
) -> anyhow::Result<()> {
    if id.trim().is_empty() {
        bail!("a client needs an id");
    }
    let owned = secret.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_secret(&owned)).await??;
    let client = Client {
        id: id.trim().to_owned(),
        name: name.to_owned(),
        kind: ClientKind::Confidential,
        secret_hash: Some(hash),
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        scopes: scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut conn = db.acquire().await?;
    store::upsert_client(&mut conn, &client, now_ms()).await?;
    Ok(())
}

pub async fn rotate_keys(db: &Db) -> anyhow::Result<String> {
    keys::rotate(db).await
}

/// What start-up does for the embedded provider: a signing key, the PWA's registration
/// (its redirect URIs follow `PUBLIC_URL`).
pub async fn prepare(db: &Db, settings: &ProviderSettings) -> anyhow::Result<()> {
    keys::ensure(db).await?;
    add_public_client(
        db,
        &settings.pwa_client_id,
        "Timesheets",
        &[settings.pwa_redirect_uri()],
        &[settings.pwa_post_logout_uri()],
    )
    .await
    .context("cannot register the PWA as a client")
}

/// One passkey as `timesheets passkeys list` shows it.
pub struct PasskeyRow {
    pub email: String,
    pub passkey: app::passkeys::PasskeySummary,
}

/// Everyone's passkeys (or one person's), by email, and whether approvers need one.
pub async fn list_passkeys(
    db: &Db,
    email: Option<&str>,
) -> anyhow::Result<(Vec<PasskeyRow>, bool)> {
    let mut conn = db.acquire().await?;
    let accounts = match email {
        Some(email) => vec![store::account_by_email(&mut conn, email.trim())
            .await?
            .with_context(|| format!("no user with email {}", email.trim()))?],
        None => store::accounts(&mut conn).await?,
    };
    let mut rows = Vec::new();
    for account in accounts {
        for passkey in passkey_store::passkeys_of(&mut conn, &account.id).await? {
            rows.push(PasskeyRow {
                email: account.email.clone(),
                passkey: passkey.summary,
            });
        }
    }
    let required = passkey_store::approvers_need_passkeys(&mut conn).await?;
    Ok((rows, required))
}

/// Removes all of a person's passkeys (a lost phone) and ends their sign-ins; they sign
/// in with their password again (and, if the policy covers them, add a new passkey).
pub async fn reset_passkeys(db: &Db, email: &str) -> anyhow::Result<u64> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let account = store::account_by_email(&mut tx, email.trim())
        .await?
        .with_context(|| format!("no user with email {}", email.trim()))?;
    let removed = passkey_store::delete_passkeys_of(&mut tx, &account.id).await?;
    store::end_sign_ins(&mut tx, &account.id, now).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Requires passkeys of everyone who may approve time, or of nobody. Turning it on ends
/// the sign-ins of the people it covers, so that their next one follows it (a live
/// provider session would otherwise sign them in without it); returns how many people it
/// covers.
pub async fn require_passkeys_of_approvers(db: &Db, on: bool) -> anyhow::Result<usize> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let was_on = passkey_store::approvers_need_passkeys(&mut tx).await?;
    passkey_store::set_approvers_need_passkeys(&mut tx, on).await?;
    let covered: Vec<Account> = store::accounts(&mut tx)
        .await?
        .into_iter()
        .filter(|account| passkeys::policy_applies_to(account.role))
        .collect();
    if on && !was_on {
        for account in &covered {
            store::end_sign_ins(&mut tx, &account.id, now).await?;
        }
    }
    tx.commit().await?;
    Ok(covered.len())
}

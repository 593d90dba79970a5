//! Minting the provider's JWTs: RFC 9068 access tokens and OpenID Connect ID tokens,
//! signed with the current key by `jsonwebtoken`.

use jsonwebtoken::{encode, Algorithm, Header};
use serde_json::{json, Map, Value};

use crate::{keys::SigningKey, roles::has_scope, settings::ProviderSettings, store::Account};

/// Who a token speaks for.
pub enum Subject<'a> {
    /// A person, signed in at `auth_time` (Unix ms).
    Account {
        account: &'a Account,
        auth_time: i64,
    },
    /// A machine client acting for itself (client credentials).
    Client,
}

/// A string claim of a token whose signature was checked already (by the API's gate).
pub fn verified_claim(token: &str, name: &str) -> Option<String> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    let claims: Value = serde_json::from_slice(&payload).ok()?;
    claims[name].as_str().map(str::to_owned)
}

fn now_secs() -> i64 {
    db::clock::now_ms() / 1000
}

fn sign(key: &SigningKey, typ: &str, claims: &Value) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some(typ.to_owned());
    header.kid = Some(key.kid.clone());
    encode(&header, claims, &key.encoding)
        .map_err(|err| anyhow::anyhow!("cannot sign a token: {err}"))
}

/// An access token for the API (`aud` = the API), valid for the configured lifetime;
/// bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.1) when `jkt` is given.
pub fn access_token(
    key: &SigningKey,
    settings: &ProviderSettings,
    client_id: &str,
    scope: &str,
    subject: &Subject<'_>,
    jkt: Option<&str>,
) -> anyhow::Result<String> {
    let now = now_secs();
    let mut claims = Map::new();
    claims.insert("iss".into(), settings.issuer.as_str().into());
    claims.insert("aud".into(), settings.audience.clone().into());
    claims.insert("client_id".into(), client_id.into());
    claims.insert("scope".into(), scope.into());
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert("exp".into(), (now + ttl_secs(settings)).into());
    if let Some(jkt) = jkt {
        claims.insert("cnf".into(), json!({ "jkt": jkt }));
    }
    match subject {
        Subject::Account { account, auth_time } => {
            claims.insert("sub".into(), account.id.clone().into());
            claims.insert("auth_time".into(), (auth_time / 1000).into());
            // The API keeps people's name and email from their tokens.
            claims.insert("email".into(), account.email.clone().into());
            claims.insert("name".into(), account.name.clone().into());
        }
        Subject::Client => {
            claims.insert("sub".into(), client_id.into());
        }
    }
    sign(key, "at+jwt", &Value::Object(claims))
}

/// What an ID token says about a sign-in.
pub struct SignIn<'a> {
    pub client_id: &'a str,
    pub scope: &'a str,
    pub account: &'a Account,
    /// Unix ms.
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub sid: Option<&'a str>,
}

/// An ID token for the client (`aud` = the client), with the profile claims its scopes allow.
pub fn id_token(
    key: &SigningKey,
    settings: &ProviderSettings,
    sign_in: &SignIn<'_>,
) -> anyhow::Result<String> {
    let now = now_secs();
    let account = sign_in.account;
    let mut claims = json!({
        "iss": settings.issuer.as_str(),
        "sub": account.id,
        "aud": sign_in.client_id,
        "iat": now,
        "exp": now + ttl_secs(settings),
        "auth_time": sign_in.auth_time / 1000,
    });
    if let Some(nonce) = sign_in.nonce {
        claims["nonce"] = nonce.into();
    }
    if let Some(sid) = sign_in.sid {
        claims["sid"] = sid.into();
    }
    if has_scope(sign_in.scope, "profile") {
        claims["name"] = account.name.clone().into();
        if let Some(picture) = &account.picture {
            claims["picture"] = picture.clone().into();
        }
    }
    if has_scope(sign_in.scope, "email") {
        claims["email"] = account.email.clone().into();
        // Accounts are created by an administrator, who vouches for the address.
        claims["email_verified"] = true.into();
    }
    sign(key, "JWT", &claims)
}

pub fn ttl_secs(settings: &ProviderSettings) -> i64 {
    i64::try_from(settings.access_token_ttl.as_secs()).unwrap_or(300)
}

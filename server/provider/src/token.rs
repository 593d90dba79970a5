//! `/oauth/token`: authorization code (with PKCE), refresh token (rotated on every use,
//! reuse revokes the family) and client credentials (confidential clients only). With a
//! `DPoP` proof (RFC 9449) the access token is bound to the proof's key, and so are a
//! public client's refresh tokens.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::{
    keys, nonce,
    oauth_error::{no_store, OAuthError, OAuthForm},
    roles,
    secrets::{pkce_matches, random_token, token_hash, verify_secret_bounded},
    store::{self, Account, Client, ClientKind, Family},
    tokens::{self, SignIn, Subject},
    Provider,
};
use db::clock::now_ms;

type Params = HashMap<String, String>;

pub async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<Response, OAuthError> {
    let mut conn = provider.db().acquire().await?;
    // With `PROVIDER_DPOP_NONCE`, every answer hands out the current nonce (RFC 9449 §8).
    let nonces = if provider.settings().dpop && provider.settings().dpop_nonce {
        let key = keys::current(&mut conn).await?;
        let now = now_ms() / 1000;
        Some((
            nonce::current(&key.nonce_key, now),
            nonce::accepted(&key.nonce_key, now),
        ))
    } else {
        None
    };
    let accepted = nonces
        .as_ref()
        .map_or(&[][..], |(_, accepted)| &accepted[..]);
    let answer = grant(&provider, &mut conn, &headers, &params, accepted).await;
    let mut response = answer.unwrap_or_else(IntoResponse::into_response);
    if let Some(value) = nonces.and_then(|(current, _)| HeaderValue::from_str(&current).ok()) {
        response.headers_mut().insert("dpop-nonce", value);
    }
    Ok(response)
}

/// The token request's answer: the client, its proof (if any, carrying one of `nonces`
/// when the provider asks for them), then the grant.
async fn grant(
    provider: &Provider,
    conn: &mut AnyConnection,
    headers: &HeaderMap,
    params: &Params,
    nonces: &[String],
) -> Result<Response, OAuthError> {
    let client = authenticate_client(conn, headers, params).await?;
    // Without DPoP (`OIDC_DPOP=off`) a proof is ignored, as by any provider without it.
    let jkt = if provider.settings().dpop {
        dpop_key(provider, conn, headers, nonces).await?
    } else {
        None
    };
    let jkt = jkt.as_deref();
    let body = match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => authorization_code(provider, &client, params, jkt).await?,
        Some("refresh_token") => refresh_token(provider, conn, &client, params, jkt).await?,
        Some("client_credentials") => {
            client_credentials(provider, conn, &client, params, jkt).await?
        }
        Some(_) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "supported: authorization_code, refresh_token, client_credentials",
            ))
        }
        None => return Err(OAuthError::invalid_request("grant_type is missing")),
    };
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

/// The key of the request's DPoP proof, checked (RFC 9449 §4.3) and recorded so that no
/// instance accepts it again; `None` without a `DPoP` header.
async fn dpop_key(
    provider: &Provider,
    conn: &mut AnyConnection,
    headers: &HeaderMap,
    nonces: &[String],
) -> Result<Option<String>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    let refused = |reason: &dyn std::fmt::Display, code: &'static str| {
        tracing::debug!(%reason, "DPoP proof refused at the token endpoint");
        OAuthError::new(code, format!("the DPoP proof is not acceptable: {reason}"))
    };
    if proofs.next().is_some() {
        return Err(refused(&"more than one DPoP header", "invalid_dpop_proof"));
    }
    let proof = proof
        .to_str()
        .map_err(|_| refused(&"not ASCII", "invalid_dpop_proof"))?;
    let url = format!("{}/oauth/token", provider.issuer());
    let now = now_ms();
    let checked = dpop::verify(
        proof,
        &dpop::Expected {
            method: "POST",
            url: &url,
            access_token: None,
            nonces,
            now: now / 1000,
        },
    )
    .map_err(|error| refused(&error, error.code()))?;
    let key = URL_SAFE_NO_PAD.encode(checked.replay_key());
    let remember_until = checked.remember_until().saturating_mul(1000);
    if !store::remember_proof(conn, &key, remember_until).await? {
        return Err(refused(&"this proof was used before", "invalid_dpop_proof"));
    }
    Ok(Some(checked.jkt))
}

/// The calling client: confidential ones by `client_secret_basic` or `client_secret_post`,
/// public ones by `client_id` alone. Shared with the revocation endpoint.
pub async fn authenticate_client(
    conn: &mut AnyConnection,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Client, OAuthError> {
    let basic = basic_credentials(headers)?;
    let is_basic = basic.is_some();
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.contains_key("client_secret") {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method",
                ));
            }
            if params.get("client_id").is_some_and(|param| *param != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the credentials",
                ));
            }
            (id, Some(secret))
        }
        None => (
            params
                .get("client_id")
                .cloned()
                .ok_or_else(|| OAuthError::invalid_client(false))?,
            params.get("client_secret").cloned(),
        ),
    };
    let client = store::client(conn, &client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client(is_basic))?;
    let authenticated = match (client.kind, secret) {
        (ClientKind::Public, None) => true,
        (ClientKind::Public, Some(_)) => false,
        (ClientKind::Confidential, None) => false,
        (ClientKind::Confidential, Some(secret)) => {
            verify_secret_bounded(secret, client.secret_hash.clone())
                .await
                .map_err(|_| OAuthError::busy())?
        }
    };
    if !authenticated {
        return Err(OAuthError::invalid_client(is_basic));
    }
    Ok(client)
}

/// `Authorization: Basic` credentials, form-urldecoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client(true);
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |text: &str| -> String {
        url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}

fn ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

async fn authorization_code(
    provider: &Provider,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let code = required(params, "code")?;
    let hash = token_hash(code);
    let now = now_ms();
    let verifier = params
        .get("code_verifier")
        .map(String::as_str)
        .unwrap_or("");
    // One transaction: the code is spent together with what it issues.
    let mut tx = provider.db().begin_write().await?;
    let Some(stored) = store::code(&mut tx, &hash).await? else {
        return Err(OAuthError::invalid_grant("unknown code"));
    };
    let grant = stored.grant;
    // Only the holder of the code *and* its verifier can burn or replay it; someone who
    // merely saw the code (a log, a history entry) cannot spoil the real redemption.
    let holder = grant.client_id == client.id && pkce_matches(verifier, &grant.code_challenge);
    if stored.used || (holder && !store::mark_code_used(&mut tx, &hash, now).await?) {
        if holder {
            // A replayed code is stolen or the client is broken: what its first
            // redemption issued is no longer safe.
            store::revoke_family(&mut tx, &grant.family_id, now).await?;
            tx.commit().await?;
            tracing::warn!(client_id = %client.id, "an authorization code was used twice; its tokens are revoked");
        }
        return Err(OAuthError::invalid_grant("the code was already used"));
    }
    if grant.expires_at <= now {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    if grant.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if params.get("redirect_uri") != Some(&grant.redirect_uri) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    if !holder {
        return Err(OAuthError::invalid_grant(
            "the code_verifier does not match the code_challenge",
        ));
    }
    check_binding(grant.dpop_jkt.as_deref(), jkt, "code")?;
    let account = enabled_account(&mut tx, &grant.account_id).await?;
    let family = roles::has_scope(&grant.scope, "offline_access").then(|| Family {
        id: grant.family_id.clone(),
        account_id: account.id.clone(),
        client_id: client.id.clone(),
        scope: grant.scope.clone(),
        auth_time: grant.auth_time,
        sid: grant.sid.clone(),
        // Counted from the sign-in itself, so a long session cannot stretch it.
        expires_at: grant
            .auth_time
            .saturating_add(ms(provider.settings().refresh_absolute)),
        revoked: false,
        // A confidential client's refresh tokens are bound by its credentials already
        // (RFC 9449 §5); a public client's, to the key.
        dpop_jkt: jkt
            .filter(|_| client.kind == ClientKind::Public)
            .map(str::to_owned),
    });
    if let Some(family) = &family {
        store::insert_family(&mut tx, family, now).await?;
    }
    let sign_in = SignIn {
        client_id: &client.id,
        scope: &grant.scope,
        account: &account,
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        sid: grant.sid.as_deref(),
    };
    let body = user_tokens(provider, &mut tx, &sign_in, family.as_ref(), jkt, now).await?;
    tx.commit().await?;
    Ok(body)
}

async fn enabled_account(conn: &mut AnyConnection, id: &str) -> Result<Account, OAuthError> {
    store::account(conn, id)
        .await?
        .filter(|account| !account.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("the account is disabled"))
}

/// A code or refresh token bound to a key is redeemed only with a proof by that key:
/// without one the proof is what is wrong, with another key the grant.
fn check_binding(bound: Option<&str>, jkt: Option<&str>, what: &str) -> Result<(), OAuthError> {
    match (bound, jkt) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(OAuthError::new(
            "invalid_dpop_proof",
            format!("the {what} is bound to a DPoP key: send a DPoP proof made with it"),
        )),
        (Some(bound), Some(jkt)) if bound == jkt => Ok(()),
        (Some(_), Some(_)) => Err(OAuthError::invalid_grant(format!(
            "the {what} is bound to another DPoP key"
        ))),
    }
}

/// Access token, ID token and (with a family) a new refresh token for a sign-in; the
/// access token bound to `jkt`, when there is a proof.
async fn user_tokens(
    provider: &Provider,
    conn: &mut AnyConnection,
    sign_in: &SignIn<'_>,
    family: Option<&Family>,
    jkt: Option<&str>,
    now: i64,
) -> Result<Value, OAuthError> {
    let key = keys::current(conn).await?;
    let settings = provider.settings();
    let (client_id, scope) = (sign_in.client_id, sign_in.scope);
    let subject = Subject::Account {
        account: sign_in.account,
        auth_time: sign_in.auth_time,
    };
    let access_token = tokens::access_token(&key, settings, client_id, scope, &subject, jkt)?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": token_type(jkt),
        "expires_in": tokens::ttl_secs(settings),
        "scope": scope,
    });
    if roles::has_scope(scope, "openid") {
        body["id_token"] = tokens::id_token(&key, settings, sign_in)?.into();
    }
    if let Some(family) = family {
        let refresh = random_token();
        let expires_at = now
            .saturating_add(ms(settings.refresh_idle))
            .min(family.expires_at);
        store::insert_refresh_token(conn, &token_hash(&refresh), &family.id, now, expires_at)
            .await?;
        body["refresh_token"] = refresh.into();
    }
    Ok(body)
}

/// RFC 9449 §5: `DPoP` for a bound access token.
fn token_type(jkt: Option<&str>) -> &'static str {
    if jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    }
}

async fn refresh_token(
    provider: &Provider,
    conn: &mut AnyConnection,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    let presented = required(params, "refresh_token")?;
    let hash = token_hash(presented);
    let now = now_ms();
    let stored = store::refresh_token(conn, &hash)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("unknown refresh token"))?;
    let family = stored.family;
    if family.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the refresh token belongs to another client",
        ));
    }
    if family.revoked {
        return Err(OAuthError::invalid_grant("the refresh token was revoked"));
    }
    // Before the token is spent: whoever copied it without the key cannot burn it.
    check_binding(family.dpop_jkt.as_deref(), jkt, "refresh token")?;
    // Used before, or by a concurrent request just now: someone holds a copy.
    if stored.used || !store::mark_refresh_used(conn, &hash, now).await? {
        store::revoke_family(conn, &family.id, now).await?;
        tracing::warn!(client_id = %client.id, "a rotated refresh token was reused; its sign-in is revoked");
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used",
        ));
    }
    if stored.expires_at <= now || family.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let account = match enabled_account(conn, &family.account_id).await {
        Ok(account) => account,
        Err(error) => {
            store::revoke_family(conn, &family.id, now).await?;
            return Err(error);
        }
    };
    // The role may have changed since: grant what it allows now, never more than before.
    let mut scope = roles::grant(&family.scope, account.role);
    if let Some(narrower) = params.get("scope") {
        if narrower
            .split(' ')
            .any(|s| !s.is_empty() && !roles::has_scope(&scope, s))
        {
            return Err(OAuthError::new(
                "invalid_scope",
                "a requested scope was not granted",
            ));
        }
        scope = narrower.clone();
    }
    let sign_in = SignIn {
        client_id: &client.id,
        scope: &scope,
        account: &account,
        auth_time: family.auth_time,
        nonce: None,
        sid: family.sid.as_deref(),
    };
    user_tokens(provider, conn, &sign_in, Some(&family), jkt, now).await
}

async fn client_credentials(
    provider: &Provider,
    conn: &mut AnyConnection,
    client: &Client,
    params: &Params,
    jkt: Option<&str>,
) -> Result<Value, OAuthError> {
    if client.kind != ClientKind::Confidential {
        return Err(OAuthError::new(
            "unauthorized_client",
            "client credentials are for confidential clients",
        ));
    }
    let scope = match params.get("scope") {
        Some(requested) => {
            if requested
                .split(' ')
                .any(|s| !s.is_empty() && !roles::has_scope(&client.scopes, s))
            {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "a requested scope is not allowed for this client",
                ));
            }
            requested
                .split(' ')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        }
        None => client.scopes.clone(),
    };
    let key = keys::current(conn).await?;
    let settings = provider.settings();
    let access_token =
        tokens::access_token(&key, settings, &client.id, &scope, &Subject::Client, jkt)?;
    Ok(json!({
        "access_token": access_token,
        "token_type": token_type(jkt),
        "expires_in": tokens::ttl_secs(settings),
        "scope": scope,
    }))
}

//! `/oauth/logout`: RP-initiated logout. With a valid `id_token_hint` (ours, for that
//! client; it may have expired) the provider session ends, the refresh tokens of its
//! sign-ins are revoked, and the browser goes to a registered `post_logout_redirect_uri`.
//! Without a hint nothing happens: a link on another site must not sign people out.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use jsonwebtoken::{decode, decode_header, jwk::Jwk, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::{
    keys, oauth_error::single_params, pages, secrets::token_hash, store, Provider, SESSION_COOKIE,
};
use db::clock::now_ms;

#[derive(Deserialize)]
struct Hint {
    sub: String,
    aud: String,
    sid: Option<String>,
}

fn refuse(message: &str) -> Response {
    pages::respond(
        StatusCode::BAD_REQUEST,
        pages::error("Sign-out refused", message),
    )
}

/// The claims of an ID token we issued (signature and issuer checked, expiry not; an
/// access token, typed `at+jwt`, is no ID token).
async fn verify_hint(provider: &Provider, token: &str) -> Option<Hint> {
    let header = decode_header(token).ok()?;
    if header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case("at+jwt"))
    {
        return None;
    }
    let kid = header.kid?;
    let jwks = keys::all_public_jwks(provider.db()).await.ok()?;
    let jwk: Jwk = jwks
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .find(|jwk| jwk.common.key_id.as_deref() == Some(kid.as_str()))?;
    let key = DecodingKey::from_jwk(&jwk).ok()?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[provider.issuer()]);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    decode::<Hint>(token, &key, &validation)
        .ok()
        .map(|data| data.claims)
}

pub async fn logout(
    State(provider): State<Provider>,
    jar: CookieJar,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let Ok(params) = single_params(pairs) else {
        return refuse("A parameter is repeated.");
    };
    let Some(hint) = params.get("id_token_hint") else {
        return refuse("The app must say who is signing out (id_token_hint).");
    };
    let Some(hint) = verify_hint(&provider, hint).await else {
        return refuse("The sign-out request could not be verified.");
    };
    if params.get("client_id").is_some_and(|id| *id != hint.aud) {
        return refuse("The sign-out request names two different apps.");
    }
    let mut conn = match provider.db().acquire().await {
        Ok(conn) => conn,
        Err(error) => {
            tracing::error!(%error, "logout failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let client = match store::client(&mut conn, &hint.aud).await {
        Ok(Some(client)) => client,
        Ok(None) => return refuse("The sign-out request names an unknown app."),
        Err(error) => {
            tracing::error!(%error, "logout failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let redirect_to = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) if client.post_logout_redirect_uris.contains(uri) => Some(uri.clone()),
        Some(_) => {
            return refuse("The app asked to return to an address that is not registered for it.")
        }
    };

    let now = now_ms();
    let result: sqlx::Result<bool> = async {
        let mut ended_here = false;
        let mut sids: Vec<String> = hint.sid.into_iter().collect();
        // This browser's session ends only if it is the hint's person: someone else's ID
        // token in a link must not sign this browser out.
        if let Some(cookie) = jar.get(&provider.cookie_name(SESSION_COOKIE)) {
            let hash = token_hash(cookie.value());
            if let Some(session) = store::session(&mut conn, &hash).await? {
                if session.account_id == hint.sub {
                    store::delete_session(&mut conn, &hash).await?;
                    sids.push(session.sid);
                    ended_here = true;
                }
            }
        }
        for sid in &sids {
            store::delete_session_by_sid(&mut conn, sid).await?;
            store::revoke_families_of_session(&mut conn, sid, now).await?;
        }
        Ok(ended_here)
    }
    .await;
    let jar = match result {
        Ok(true) => jar.add(provider.removal(SESSION_COOKIE)),
        Ok(false) => jar,
        Err(error) => {
            tracing::error!(%error, "logout failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    match redirect_to {
        Some(uri) => {
            let state: Vec<(&str, &str)> = params
                .get("state")
                .map(|state| ("state", state.as_str()))
                .into_iter()
                .collect();
            (jar, pages::redirect(StatusCode::FOUND, &uri, &state)).into_response()
        }
        None => (jar, pages::respond(StatusCode::OK, pages::signed_out())).into_response(),
    }
}

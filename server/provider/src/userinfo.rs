//! `/oauth/userinfo`: the signed-in person's claims, for an access token of ours.

use app::{auth::Principal, bearer::bearer_token};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::{oauth_error::no_store, roles::has_scope, store, Provider};

fn unauthorized() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "invalid_token", "error_description": "a valid access token is required"})),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

pub async fn userinfo(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized();
    };
    let user = match provider.inner.verifier.principal(token).await {
        Some(Principal::User(user)) => user,
        // Machine clients have no person to describe.
        Some(Principal::Client(_)) | None => return unauthorized(),
    };
    // The token is verified: its `scope` says which claims it may read (OIDC Core §5.4).
    let scope = verified_scope(token);
    if !has_scope(&scope, "openid") {
        let mut response = (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "insufficient_scope", "error_description": "the token lacks the openid scope"})),
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\", scope=\"openid\""),
        );
        return response;
    }
    let account = match provider.db().acquire().await {
        Ok(mut conn) => store::account(&mut conn, &user.subject).await,
        Err(error) => Err(error),
    };
    let account = match account {
        Ok(Some(account)) if !account.disabled => account,
        Ok(_) => return unauthorized(),
        Err(error) => {
            tracing::error!(%error, "userinfo failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut claims = json!({ "sub": account.id });
    if has_scope(&scope, "profile") {
        claims["name"] = account.name.into();
        if let Some(picture) = account.picture {
            claims["picture"] = picture.into();
        }
    }
    if has_scope(&scope, "email") {
        claims["email"] = account.email.into();
        claims["email_verified"] = true.into();
    }
    let mut response = Json(claims).into_response();
    no_store(response.headers_mut());
    response
}

/// The `scope` claim of a token whose signature was checked already.
fn verified_scope(token: &str) -> String {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|claims| claims["scope"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

//! `/oauth/userinfo`: the signed-in person's claims, for an access token of ours (Bearer,
//! or DPoP-bound with its proof, checked by the API's gate).

use app::{auth::Principal, bearer::access_token, error::AppError};
use axum::{
    extract::State,
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use crate::{oauth_error::no_store, roles::has_scope, store, tokens::verified_claim, Provider};

/// A 401 with the gate's challenge (RFC 6750, or RFC 9449's for a bad proof).
fn unauthorized(error: &AppError) -> Response {
    let (code, challenge) = match error {
        AppError::InvalidDpopProof => ("invalid_dpop_proof", error.bearer_challenge()),
        _ => ("invalid_token", AppError::Unauthorized.bearer_challenge()),
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": code, "error_description": error.to_string()})),
    )
        .into_response();
    if let Some(value) = challenge.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

pub async fn userinfo(State(provider): State<Provider>, request: Parts) -> Response {
    let user = match provider.inner.verifier.principal(&request).await {
        Ok(Principal::User(user)) => user,
        // Machine clients have no person to describe.
        Ok(Principal::Client(_)) => return unauthorized(&AppError::Unauthorized),
        Err(error) => return unauthorized(&error),
    };
    let Some((_, token)) = access_token(&request.headers) else {
        return unauthorized(&AppError::Unauthorized);
    };
    // The token is verified: its `scope` says which claims it may read (OIDC Core §5.4).
    let scope = verified_claim(token, "scope").unwrap_or_default();
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
        Ok(_) => return unauthorized(&AppError::Unauthorized),
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

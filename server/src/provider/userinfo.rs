//! `/oauth/userinfo`: the signed-in person's claims, for an access token of ours.

use app::auth::Principal;
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::{oauth_error::no_store, store, Provider};
use crate::auth::bearer_token;

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
    let user = match provider.inner.verifier.verify(token).await {
        Ok(Principal::User(user)) => user,
        // Machine clients have no person to describe.
        Ok(Principal::Client(_)) | Err(_) => return unauthorized(),
    };
    let account = match provider.db().pool().acquire().await {
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
    let mut claims = json!({
        "sub": account.id,
        "name": account.name,
        "email": account.email,
        "email_verified": true,
    });
    if let Some(picture) = account.picture {
        claims["picture"] = picture.into();
    }
    let mut response = Json(claims).into_response();
    no_store(response.headers_mut());
    response
}

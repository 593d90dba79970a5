//! `/oauth/revoke` (RFC 7009): revoking a refresh token ends its whole sign-in (family).
//! Access tokens are short-lived JWTs and cannot be recalled; unknown tokens get 200 too,
//! so the endpoint reveals nothing.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use crate::{
    oauth_error::{no_store, OAuthError, OAuthForm},
    secrets::token_hash,
    store,
    token::authenticate_client,
    Provider,
};
use db::clock::now_ms;

pub async fn revoke(
    State(provider): State<Provider>,
    headers: HeaderMap,
    OAuthForm(params): OAuthForm,
) -> Result<Response, OAuthError> {
    let mut conn = provider.db().acquire().await?;
    let client = authenticate_client(&mut conn, &headers, &params).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    if let Some(stored) = store::refresh_token(&mut conn, &token_hash(token)).await? {
        // Another client's token is left alone (RFC 7009 §2.1), without saying so.
        if stored.family.client_id == client.id {
            store::revoke_family(&mut conn, &stored.family.id, now_ms()).await?;
        }
    }
    let mut response = StatusCode::OK.into_response();
    no_store(response.headers_mut());
    Ok(response)
}

//! Axum extractors: a handler that takes [`AuthUser`] or [`AuthClient`] runs only for a
//! verified token of that kind; its scope check is the handler's first line.

use app::auth::{Client, User};
use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{error::ApiError, state::AppState};

/// A signed-in user (never a machine client).
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

/// A machine client using its own credentials (never a user token): batch routes only.
#[derive(Debug, Clone)]
pub struct AuthClient(pub Client);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = state.gate.authenticate(parts).await?;
        Ok(AuthUser(principal.into_user()?))
    }
}

impl FromRequestParts<AppState> for AuthClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = state.gate.authenticate(parts).await?;
        Ok(AuthClient(principal.into_client()?))
    }
}

//! The gate every API route and server function goes through before any database work:
//! a Bearer access token, verified, becomes a typed principal with its scopes.

mod claims;
mod discovery;
mod extract;
mod fetch;
mod jwks;
pub mod settings;
pub mod verifier;

use std::sync::Arc;

use app::{auth::Principal, bearer::bearer_token, error::AppError, ports::Authenticator};
use http::HeaderMap;

pub use self::{
    extract::{AuthClient, AuthUser},
    settings::{OidcArgs, VerifierSettings},
    verifier::{TokenError, TokenVerifier, VerifierError},
};

/// Verifies requests' access tokens: those of the configured issuer, or of the embedded
/// provider when there is none.
#[derive(Clone)]
pub struct Gate {
    verifier: Arc<TokenVerifier>,
}

impl Gate {
    pub fn new(verifier: Arc<TokenVerifier>) -> Gate {
        Gate { verifier }
    }
}

#[async_trait::async_trait]
impl Authenticator for Gate {
    async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AppError> {
        let token = bearer_token(headers).ok_or(AppError::Unauthorized)?;
        self.verifier.verify(token).await.map_err(|reason| {
            // Why, for the operator; the client gets the same 401 whatever the reason.
            tracing::debug!(%reason, "access token refused");
            AppError::Unauthorized
        })
    }
}

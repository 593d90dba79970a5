//! The gate every API route and server function goes through before any database work:
//! an access token (Bearer, or DPoP-bound with its proof), verified, becomes a typed
//! principal with its scopes.

mod claims;
mod discovery;
mod extract;
mod fetch;
mod jwks;
mod sender;
pub mod settings;
pub mod verifier;

use std::sync::Arc;

use app::{
    auth::Principal,
    bearer::{access_token, Scheme},
    error::AppError,
    ports::Authenticator,
};
use http::request::Parts;

pub use self::{
    extract::{AuthClient, AuthUser},
    settings::{DpopMode, OidcArgs, VerifierSettings},
    verifier::{TokenError, TokenVerifier, VerifierError},
};

/// Verifies requests' access tokens: those of the configured issuer, or of the embedded
/// provider when there is none.
#[derive(Clone)]
pub struct Gate {
    verifier: Arc<TokenVerifier>,
    proofs: Arc<sender::ProofCheck>,
}

impl Gate {
    /// `public_origin`: where clients reach the API (`PUBLIC_URL`), which DPoP proofs must
    /// name; without it, the request's `Host`.
    pub fn new(verifier: Arc<TokenVerifier>, public_origin: Option<String>) -> Gate {
        Gate {
            verifier,
            proofs: Arc::new(sender::ProofCheck::new(public_origin)),
        }
    }
}

/// Why a token was refused, for the operator; the client gets the same 401 whatever
/// the reason.
fn refused(reason: &dyn std::fmt::Display) -> AppError {
    tracing::debug!(%reason, "access token refused");
    AppError::Unauthorized
}

/// The embedded provider's userinfo accepts exactly the tokens the API accepts.
#[async_trait::async_trait]
impl provider::AccessTokens for Gate {
    async fn principal(&self, request: &Parts) -> Result<Principal, AppError> {
        self.authenticate(request).await
    }
}

#[async_trait::async_trait]
impl Authenticator for Gate {
    async fn authenticate(&self, request: &Parts) -> Result<Principal, AppError> {
        let (scheme, token) = access_token(&request.headers).ok_or(AppError::Unauthorized)?;
        let verified = self
            .verifier
            .verify(token)
            .await
            .map_err(|reason| refused(&reason))?;
        let mode = self.verifier.settings().dpop;
        match (scheme, verified.dpop_jkt) {
            (Scheme::Bearer, Some(_)) => Err(refused(&"a DPoP-bound token sent as Bearer")),
            (Scheme::Bearer, None) if mode == DpopMode::Required => Err(refused(
                &"Bearer tokens are not accepted (OIDC_DPOP=required)",
            )),
            (Scheme::Bearer, None) => Ok(verified.principal),
            (Scheme::Dpop, _) if mode == DpopMode::Off => {
                Err(refused(&"DPoP is not accepted (OIDC_DPOP=off)"))
            }
            (Scheme::Dpop, None) => Err(refused(&"a token bound to no key sent as DPoP")),
            (Scheme::Dpop, Some(jkt)) => {
                let now = db::clock::now_ms() / 1000;
                self.proofs.check(request, token, &jkt, now)?;
                Ok(verified.principal)
            }
        }
    }
}

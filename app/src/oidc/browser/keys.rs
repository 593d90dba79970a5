//! The provider's discovery document and signing keys, fetched once per page load, and
//! the ID token verification that uses them.

use std::{cell::RefCell, rc::Rc};

use serde::Deserialize;

use super::{http::get_json, webcrypto};
use crate::oidc::{
    id_token::{CompactJws, Expected, IdTokenClaims, IdTokenError},
    AuthConfig,
};

/// The parts of the discovery document (OIDC Discovery §3) this app uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9449 §5.1: the provider binds tokens to DPoP keys of these algorithms.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Vec<String>,
}

impl Discovery {
    /// Whether the provider takes the ES256 proofs this app makes.
    pub fn offers_dpop(&self) -> bool {
        self.dpop_signing_alg_values_supported
            .iter()
            .any(|alg| alg == "ES256")
    }
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<serde_json::Value>,
}

thread_local! {
    static DISCOVERY: RefCell<Option<Rc<Discovery>>> = const { RefCell::new(None) };
    static KEYS: RefCell<Option<Rc<Vec<serde_json::Value>>>> = const { RefCell::new(None) };
}

/// Why the provider cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Fetch(#[from] super::http::FetchError),
    /// OIDC Discovery §4.3: a document for another issuer is never used (mix-up defence).
    #[error("the sign-in provider says it is {found}, not {expected}")]
    IssuerMismatch { expected: String, found: String },
}

pub async fn discovery(config: &AuthConfig) -> Result<Rc<Discovery>, ProviderError> {
    if let Some(known) = DISCOVERY.with_borrow(Clone::clone) {
        return Ok(known);
    }
    let document: Discovery = get_json(&config.discovery_url()).await?;
    if document.issuer != config.issuer {
        return Err(ProviderError::IssuerMismatch {
            expected: config.issuer.clone(),
            found: document.issuer,
        });
    }
    let document = Rc::new(document);
    DISCOVERY.set(Some(document.clone()));
    Ok(document)
}

async fn key_set(
    discovery: &Discovery,
    refetch: bool,
) -> Result<Rc<Vec<serde_json::Value>>, ProviderError> {
    if !refetch {
        if let Some(keys) = KEYS.with_borrow(Clone::clone) {
            return Ok(keys);
        }
    }
    let set: KeySet = get_json(&discovery.jwks_uri).await?;
    let keys = Rc::new(set.keys);
    KEYS.set(Some(keys.clone()));
    Ok(keys)
}

fn find_key<'a>(keys: &'a [serde_json::Value], jws: &CompactJws) -> Option<&'a serde_json::Value> {
    let kty = match jws.algorithm {
        crate::oidc::id_token::SigningAlgorithm::Rs256 => "RSA",
        crate::oidc::id_token::SigningAlgorithm::Es256 => "EC",
    };
    keys.iter().find(|key| {
        key["kty"] == kty
            && key.get("use").is_none_or(|usage| usage == "sig")
            && match &jws.key_id {
                Some(kid) => key["kid"] == kid.as_str(),
                None => true,
            }
    })
}

/// Verifies an ID token: signature with the provider's key (one refetch of the key set
/// for a key it does not know yet: the provider may have rotated), then the claims.
pub async fn verify_id_token(
    discovery: &Discovery,
    token: &str,
    expected: Expected<'_>,
) -> Result<IdTokenClaims, VerifyError> {
    let jws = CompactJws::parse(token)?;
    let mut keys = key_set(discovery, false).await?;
    if find_key(&keys, &jws).is_none() {
        keys = key_set(discovery, true).await?;
    }
    let key = find_key(&keys, &jws).ok_or(IdTokenError::UnknownKey)?;
    webcrypto::verify(&jws, key).await?;
    jws.claims.check(expected)?;
    Ok(jws.claims)
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Token(#[from] IdTokenError),
}

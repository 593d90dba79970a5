//! Access-token verification (RFC 9068 JWTs): signature with the issuer's keys, an
//! algorithm allow-list, exact `iss`, `aud` containing the API, `exp`/`nbf` with leeway,
//! `typ` when required; headers that would let a token choose its own key are refused.

use std::{collections::HashMap, time::Duration};

use app::auth::Principal;
use jsonwebtoken::{decode, decode_header, errors::ErrorKind, Algorithm, Header, Validation};

use super::{
    claims::AccessClaims,
    discovery::{discover, DiscoveryError},
    jwks::{JwksError, KeySource, KeyStore},
    settings::VerifierSettings,
};

/// Longer tokens are refused before any parsing (real ones are a few KB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a token was refused: logged at debug level, never sent to the client (which
/// always gets the same 401), and never containing the token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    #[error("token longer than {MAX_TOKEN_BYTES} bytes")]
    TooLong,
    #[error("not a compact JWS (three dot-separated parts)")]
    NotAJws,
    #[error("unreadable header: {0:?}")]
    Header(ErrorKind),
    #[error("algorithm {0:?} is not allowed")]
    AlgorithmNotAllowed(Algorithm),
    #[error("typ {0:?} is not at+jwt")]
    WrongType(Option<String>),
    #[error("the header names its own key source ({0}); keys come only from the issuer's JWKS")]
    KeySourceInHeader(&'static str),
    #[error("the header has critical extensions this API does not understand")]
    UnknownCritical,
    #[error("no kid in the header")]
    MissingKid,
    #[error("no key with this kid at the issuer")]
    UnknownKid,
    #[error("the key is for another algorithm")]
    KeyAlgorithmMismatch,
    #[error("rejected: {0:?}")]
    Rejected(ErrorKind),
}

#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error("cannot create the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

pub struct TokenVerifier {
    settings: VerifierSettings,
    keys: KeyStore,
    /// One `Validation` per allowed algorithm: jsonwebtoken insists that every algorithm
    /// of a `Validation` belongs to the key's family.
    validations: HashMap<Algorithm, Validation>,
}

impl TokenVerifier {
    /// Discovers the issuer and loads its keys; any failure stops start-up.
    pub async fn discover(settings: VerifierSettings) -> Result<TokenVerifier, VerifierError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(VerifierError::Client)?;
        let metadata = discover(&http, &settings.issuer).await?;
        let source = KeySource::Http {
            http,
            jwks_uri: metadata.jwks_uri,
        };
        TokenVerifier::with_keys(settings, source).await
    }

    /// The verifier of the embedded provider's tokens: the same checks, with the keys
    /// read from where the provider keeps them instead of over HTTP from ourselves.
    pub async fn embedded(
        settings: VerifierSettings,
        db: crate::db::Db,
    ) -> Result<TokenVerifier, VerifierError> {
        TokenVerifier::with_keys(settings, KeySource::Embedded(db)).await
    }

    async fn with_keys(
        settings: VerifierSettings,
        source: KeySource,
    ) -> Result<TokenVerifier, VerifierError> {
        let keys = KeyStore::load(
            source,
            settings.algorithms.clone(),
            settings.jwks_refetch_interval,
            settings.jwks_max_age,
        )
        .await?;
        let validations = settings
            .algorithms
            .iter()
            .map(|alg| (*alg, validation_for(*alg, &settings)))
            .collect();
        Ok(TokenVerifier {
            settings,
            keys,
            validations,
        })
    }

    pub fn settings(&self) -> &VerifierSettings {
        &self.settings
    }

    /// The principal a token speaks for, or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        // A JWE has five parts; we accept only signed tokens.
        if token.split('.').count() != 3 {
            return Err(TokenError::NotAJws);
        }
        let header = decode_header(token).map_err(|err| TokenError::Header(err.into_kind()))?;
        let validation = self
            .validations
            .get(&header.alg)
            .ok_or(TokenError::AlgorithmNotAllowed(header.alg))?;
        self.check_header(&header)?;
        let kid = header.kid.as_deref().ok_or(TokenError::MissingKid)?;
        let key = self.keys.key(kid).await.ok_or(TokenError::UnknownKid)?;
        if key.algorithm.is_some_and(|alg| alg != header.alg) {
            return Err(TokenError::KeyAlgorithmMismatch);
        }
        let data = decode::<AccessClaims>(token, &key.decoding, validation)
            .map_err(|err| TokenError::Rejected(err.into_kind()))?;
        Ok(data.claims.into_principal(&self.settings.permissions_claim))
    }

    fn check_header(&self, header: &Header) -> Result<(), TokenError> {
        if self.settings.require_at_jwt {
            // RFC 9068 §4: `at+jwt`, or the full media type, compared case-insensitively.
            let typed = header.typ.as_deref().is_some_and(|typ| {
                typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
            });
            if !typed {
                return Err(TokenError::WrongType(header.typ.clone()));
            }
        }
        let key_source = [
            ("jku", header.jku.is_some()),
            ("jwk", header.jwk.is_some()),
            ("x5u", header.x5u.is_some()),
            ("x5c", header.x5c.is_some()),
        ];
        if let Some((name, _)) = key_source.into_iter().find(|(_, present)| *present) {
            return Err(TokenError::KeySourceInHeader(name));
        }
        // RFC 7515 §4.1.11: a recipient must reject critical extensions it does not
        // understand, and this API understands none.
        if header.crit.is_some() {
            return Err(TokenError::UnknownCritical);
        }
        Ok(())
    }
}

fn validation_for(algorithm: Algorithm, settings: &VerifierSettings) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[settings.issuer.as_str()]);
    validation.set_audience(&[settings.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.leeway = settings.leeway.as_secs();
    validation
}

//! Access-token verification (RFC 9068 JWTs): signature with the issuer's keys, an
//! algorithm allow-list, exact `iss`, `aud` containing the API, `exp`/`nbf` with leeway,
//! `typ` when required; headers that would let a token choose its own key are refused.

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

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

/// A token that passed every check: who it speaks for, and the DPoP key it is bound to
/// (RFC 9449 `cnf.jkt`), which the gate then asks a proof of.
#[derive(Debug, Clone)]
pub struct Verified {
    pub principal: Principal,
    pub dpop_jkt: Option<String>,
}

/// Tokens verified recently, by SHA-256 of their exact bytes: a client sends the same
/// token for minutes, so its signature (the costliest check) is checked once and
/// the principal reused until the token's `exp`. Any change to the token changes the key.
struct VerifiedTokens {
    entries: RwLock<HashMap<[u8; 32], (Verified, i64)>>,
}

/// Most tokens remembered at once; when full, expired ones go, then all.
const MAX_CACHED_TOKENS: usize = 10_000;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl VerifiedTokens {
    fn key(token: &str) -> [u8; 32] {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        key
    }

    fn get(&self, key: &[u8; 32], leeway: i64) -> Option<Verified> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (verified, exp) = entries.get(key)?;
        (now_secs() < exp.saturating_add(leeway)).then(|| verified.clone())
    }

    fn insert(&self, key: [u8; 32], verified: Verified, exp: i64, leeway: i64) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_CACHED_TOKENS {
            let now = now_secs();
            entries.retain(|_, (_, exp)| now < exp.saturating_add(leeway));
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
        }
        entries.insert(key, (verified, exp));
    }
}

pub struct TokenVerifier {
    settings: VerifierSettings,
    keys: KeyStore,
    verified: VerifiedTokens,
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
        db: db::Db,
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
            verified: VerifiedTokens {
                entries: RwLock::new(HashMap::new()),
            },
        })
    }

    pub fn settings(&self) -> &VerifierSettings {
        &self.settings
    }

    /// Who a token speaks for and what it is bound to, or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let leeway = i64::try_from(self.settings.leeway.as_secs()).unwrap_or(0);
        let key = VerifiedTokens::key(token);
        if let Some(verified) = self.verified.get(&key, leeway) {
            return Ok(verified);
        }
        let (verified, exp) = self.verify_fully(token).await?;
        self.verified.insert(key, verified.clone(), exp, leeway);
        Ok(verified)
    }

    /// Every check, with no cache: header, key, signature, claims.
    async fn verify_fully(&self, token: &str) -> Result<(Verified, i64), TokenError> {
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
        // Whole seconds, rounded down: the cache never outlives the token.
        // (`exp` is a required claim; without one nothing would be cached.)
        let exp = data.claims.exp.map_or(0, |exp| exp.floor() as i64);
        let dpop_jkt = data.claims.dpop_binding();
        Ok((
            Verified {
                principal: data.claims.into_principal(&self.settings.permissions_claim),
                dpop_jkt,
            },
            exp,
        ))
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

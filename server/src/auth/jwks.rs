//! The issuer's signing keys (JWKS): fetched at start, cached, refreshed when old, and
//! refetched at most once per interval when a token names a key we do not know, so key
//! rotation needs no restart and a flood of made-up `kid`s cannot hammer the provider.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    jwk::{AlgorithmParameters, Jwk, PublicKeyUse},
    Algorithm, DecodingKey,
};
use serde::Deserialize;

/// One verification key of the issuer.
pub struct VerificationKey {
    pub decoding: DecodingKey,
    /// The algorithm the JWKS pins the key to, when it says (`alg`).
    pub algorithm: Option<Algorithm>,
}

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot fetch the JWKS from {url}: {source}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot read the embedded provider's keys: {0}")]
    Database(#[source] sqlx::Error),
    #[error("the JWKS at {url} holds no usable signing key")]
    NoKeys { url: String },
}

/// Where the keys come from.
pub enum KeySource {
    /// The external issuer's `jwks_uri`.
    Http {
        http: reqwest::Client,
        jwks_uri: String,
    },
    /// The embedded provider's public keys, read where it keeps them (the database),
    /// so a key rotated by another instance or the CLI is found like any JWKS change.
    Embedded(db::Db),
}

impl KeySource {
    fn describe(&self) -> &str {
        match self {
            KeySource::Http { jwks_uri, .. } => jwks_uri,
            KeySource::Embedded(_) => "the embedded provider",
        }
    }

    async fn fetch(&self, algorithms: &[Algorithm]) -> Result<KeyMap, JwksError> {
        let keys = match self {
            KeySource::Http { http, jwks_uri } => fetch(http, jwks_uri).await?,
            KeySource::Embedded(db) => provider::keys::public_jwks(db)
                .await
                .map_err(JwksError::Database)?,
        };
        // Keys are read one by one so that one key of a type we do not support does not
        // hide the others.
        Ok(keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| usable_key(&jwk, algorithms))
            .collect())
    }
}

type KeyMap = HashMap<String, Arc<VerificationKey>>;

struct Cache {
    keys: KeyMap,
    fetched_at: Instant,
    /// When a token with an unknown `kid` last caused a refetch.
    last_unknown_kid_refetch: Option<Instant>,
}

pub struct KeyStore {
    source: KeySource,
    algorithms: Vec<Algorithm>,
    refetch_interval: Duration,
    max_age: Duration,
    cache: RwLock<Cache>,
    /// One fetch at a time: concurrent requests with the same unknown `kid` wait for it.
    fetching: tokio::sync::Mutex<()>,
}

impl KeyStore {
    /// Fetches the keys once; a provider that serves no usable key stops start-up.
    pub async fn load(
        source: KeySource,
        algorithms: Vec<Algorithm>,
        refetch_interval: Duration,
        max_age: Duration,
    ) -> Result<KeyStore, JwksError> {
        let keys = source.fetch(&algorithms).await?;
        if keys.is_empty() {
            return Err(JwksError::NoKeys {
                url: source.describe().to_owned(),
            });
        }
        Ok(KeyStore {
            source,
            algorithms,
            refetch_interval,
            max_age,
            cache: RwLock::new(Cache {
                keys,
                fetched_at: Instant::now(),
                last_unknown_kid_refetch: None,
            }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The key named `kid`, refreshing the set when it is old or does not have it.
    pub async fn key(&self, kid: &str) -> Option<Arc<VerificationKey>> {
        let (found, fresh) = self.lookup(kid);
        if let (Some(key), true) = (&found, fresh) {
            return Some(key.clone());
        }
        let _one_fetch = self.fetching.lock().await;
        // Someone else may have refreshed while we waited.
        let (found, fresh) = self.lookup(kid);
        let refetch = match (&found, fresh) {
            (Some(_), true) => false,
            (Some(_), false) => true,
            (None, _) => self.unknown_kid_may_refetch(),
        };
        if refetch {
            self.refresh(found.is_none()).await;
        }
        self.lookup(kid).0.or(found)
    }

    fn lookup(&self, kid: &str) -> (Option<Arc<VerificationKey>>, bool) {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (
            cache.keys.get(kid).cloned(),
            cache.fetched_at.elapsed() < self.max_age,
        )
    }

    fn unknown_kid_may_refetch(&self) -> bool {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .last_unknown_kid_refetch
            .is_none_or(|at| at.elapsed() >= self.refetch_interval)
    }

    async fn refresh(&self, for_unknown_kid: bool) {
        let result = self.source.fetch(&self.algorithms).await;
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if for_unknown_kid {
            cache.last_unknown_kid_refetch = Some(Instant::now());
        }
        match result {
            Ok(keys) if !keys.is_empty() => {
                tracing::info!(keys = keys.len(), "fetched the issuer's signing keys");
                cache.keys = keys;
                cache.fetched_at = Instant::now();
            }
            // Keep verifying with the keys we have: a provider outage must not log everyone out.
            Ok(_) => {
                tracing::warn!(source = %self.source.describe(), "the JWKS holds no usable key; keeping the previous keys")
            }
            Err(err) => tracing::warn!(error = %err, "keeping the previous signing keys"),
        }
    }
}

#[derive(Deserialize)]
struct RawJwkSet {
    keys: Vec<serde_json::Value>,
}

async fn fetch(http: &reqwest::Client, url: &str) -> Result<Vec<serde_json::Value>, JwksError> {
    let fetch_error = |source| JwksError::Fetch {
        url: url.to_owned(),
        source,
    };
    let set: RawJwkSet = super::fetch::json(http, url).await.map_err(fetch_error)?;
    Ok(set.keys)
}

/// A signing key with a `kid`, of an asymmetric type, not pinned to an algorithm we refuse.
fn usable_key(jwk: &Jwk, algorithms: &[Algorithm]) -> Option<(String, Arc<VerificationKey>)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return None;
    }
    let algorithm = match jwk.common.key_algorithm {
        Some(alg) => Some(Algorithm::try_from(alg).ok()?),
        None => None,
    };
    if algorithm.is_some_and(|alg| !algorithms.contains(&alg)) {
        return None;
    }
    let decoding = DecodingKey::from_jwk(jwk).ok()?;
    Some((
        kid,
        Arc::new(VerificationKey {
            decoding,
            algorithm,
        }),
    ))
}

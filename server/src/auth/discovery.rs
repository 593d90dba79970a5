//! OpenID Connect discovery: where the issuer publishes its keys.

use serde::Deserialize;

use super::settings::{is_loopback, Issuer};

/// The part of `/.well-known/openid-configuration` the verifier needs.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub jwks_uri: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("cannot read the OpenID configuration at {url}: {source}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "the OpenID configuration at {url} names the issuer {found:?}, not the configured {expected:?}"
    )]
    IssuerMismatch {
        url: String,
        expected: String,
        found: String,
    },
    #[error("the OpenID configuration's jwks_uri {0:?} is not an https URL")]
    InsecureJwksUri(String),
}

/// Fetches the issuer's metadata and insists that it names exactly that issuer
/// (OpenID Connect Discovery §4.3), so a mistyped or hijacked URL stops start-up.
pub async fn discover(
    http: &reqwest::Client,
    issuer: &Issuer,
) -> Result<ProviderMetadata, DiscoveryError> {
    let url = issuer.discovery_url();
    let fetch_error = |source| DiscoveryError::Fetch {
        url: url.clone(),
        source,
    };
    let metadata: ProviderMetadata = super::fetch::json(http, &url).await.map_err(fetch_error)?;
    if metadata.issuer != issuer.as_str() {
        return Err(DiscoveryError::IssuerMismatch {
            url,
            expected: issuer.to_string(),
            found: metadata.issuer,
        });
    }
    let jwks_uri_is_safe = url::Url::parse(&metadata.jwks_uri)
        .is_ok_and(|uri| uri.scheme() == "https" || (uri.scheme() == "http" && is_loopback(&uri)));
    if !jwks_uri_is_safe {
        return Err(DiscoveryError::InsecureJwksUri(metadata.jwks_uri));
    }
    Ok(metadata)
}

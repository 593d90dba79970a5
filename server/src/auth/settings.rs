//! What the token verifier is configured with, parsed at the edge (flags and env vars).

use std::{fmt, str::FromStr, time::Duration};

use jsonwebtoken::Algorithm;

/// An OpenID Connect issuer identifier, kept exactly as configured: token `iss` claims and
/// the discovery document are compared with it byte for byte (Auth0's ends with `/`,
/// Keycloak's does not), so it is never normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// OpenID Connect Discovery 1.0 §4: strip one trailing `/`, append the well-known path.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.0.strip_suffix('/').unwrap_or(&self.0)
        )
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Issuer {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(value).map_err(|err| format!("not a URL: {err}"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err("an issuer has no query or fragment".into());
        }
        if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(&url)) {
            // Keys fetched over plain HTTP could be swapped by anyone on the path.
            return Err("an issuer must use https (http only on this machine's loopback)".into());
        }
        Ok(Issuer(value.to_owned()))
    }
}

/// True when `url` points at this machine's loopback interface.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A signature algorithm the API accepts: asymmetric only, since keys come from a public
/// JWKS (an HMAC "key" taken from it would let anyone sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigningAlgorithm(pub Algorithm);

impl FromStr for SigningAlgorithm {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let algorithm = Algorithm::from_str(value.trim())
            .map_err(|_| format!("unknown signature algorithm {value:?}"))?;
        match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(format!(
                "{value} is symmetric; access tokens must be signed with RS*, PS*, ES* or EdDSA"
            )),
            _ => Ok(SigningAlgorithm(algorithm)),
        }
    }
}

/// Flags and variables of the access-token verifier (`OIDC_*`).
#[derive(Debug, Clone, clap::Args)]
pub struct OidcArgs {
    /// Issuer URL of the OpenID Connect provider whose access tokens the API accepts,
    /// exactly as it appears in the tokens' `iss` (e.g. `https://tenant.eu.auth0.com/`).
    #[arg(long, env = "OIDC_ISSUER")]
    pub oidc_issuer: Option<Issuer>,

    /// The API's identifier: access tokens must name it in `aud`.
    #[arg(long, env = "OIDC_AUDIENCE", default_value = "timesheets-api")]
    pub oidc_audience: String,

    /// The claim that carries granted permissions (Auth0 RBAC: `permissions`); when a
    /// token has it, effective scopes are `scope` ∩ this claim.
    #[arg(long, env = "OIDC_PERMISSIONS_CLAIM", default_value = "permissions")]
    pub oidc_permissions_claim: String,

    /// Accepted signature algorithms, comma-separated.
    #[arg(
        long,
        env = "OIDC_ALGORITHMS",
        value_delimiter = ',',
        default_value = "RS256,ES256"
    )]
    pub oidc_algorithms: Vec<SigningAlgorithm>,

    /// Accept only tokens typed `at+jwt` (RFC 9068); some providers send `JWT`.
    #[arg(long, env = "OIDC_REQUIRE_AT_JWT", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub oidc_require_at_jwt: bool,

    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    #[arg(long, env = "OIDC_LEEWAY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub oidc_leeway_secs: u64,

    /// Fewest seconds between two JWKS refetches caused by tokens naming an unknown key.
    #[arg(long, env = "OIDC_JWKS_REFETCH_SECS", default_value_t = 60)]
    pub oidc_jwks_refetch_secs: u64,

    /// Seconds a fetched JWKS is used before it is fetched again.
    #[arg(long, env = "OIDC_JWKS_MAX_AGE_SECS", default_value_t = 3600)]
    pub oidc_jwks_max_age_secs: u64,

    /// Scopes the PWA asks for at sign-in, space-separated; the provider grants a subset.
    #[arg(
        long,
        env = "OIDC_PWA_SCOPES",
        default_value = "openid profile email offline_access read:timesheets create:timesheets delete:timesheets approve:timesheets manage:projects manage:people"
    )]
    pub oidc_pwa_scopes: String,

    /// Extra parameters of the PWA's authorization requests, form-encoded: what a provider
    /// needs to issue JWT access tokens for this API, e.g. `audience=timesheets-api`
    /// (Auth0) or `resource=https://time.example.com/api` (RFC 8707).
    #[arg(long, env = "OIDC_AUTHORIZE_PARAMS", default_value = "")]
    pub oidc_authorize_params: String,

    /// DPoP-bound access tokens (RFC 9449): `allowed` accepts `Bearer` and `DPoP`,
    /// `required` only `DPoP`, `off` only `Bearer`. A bound token is never accepted as
    /// `Bearer`, whatever the setting.
    #[arg(long, env = "OIDC_DPOP", value_enum, default_value_t = DpopMode::Allowed)]
    pub oidc_dpop: DpopMode,
}

/// Which access tokens the API accepts: bearer, sender-constrained (DPoP), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DpopMode {
    Off,
    Allowed,
    Required,
}

/// The verifier's settings once an issuer is known.
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    pub issuer: Issuer,
    pub audience: String,
    pub permissions_claim: String,
    pub algorithms: Vec<Algorithm>,
    pub require_at_jwt: bool,
    pub leeway: Duration,
    pub jwks_refetch_interval: Duration,
    pub jwks_max_age: Duration,
    pub dpop: DpopMode,
}

impl OidcArgs {
    /// What the PWA is told about signing in (written into every page).
    pub fn pwa_auth_config(&self, issuer: &str, client_id: &str) -> app::oidc::AuthConfig {
        app::oidc::AuthConfig {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            scopes: self.oidc_pwa_scopes.clone(),
            extra_params: url::form_urlencoded::parse(self.oidc_authorize_params.as_bytes())
                .into_owned()
                .collect(),
            // Set by start-up when the embedded provider runs at a host name.
            passkeys: false,
        }
    }

    /// The verifier settings for the configured external issuer, if any.
    pub fn verifier_settings(&self) -> Option<VerifierSettings> {
        let algorithms = self.oidc_algorithms.iter().map(|alg| alg.0).collect();
        let issuer = self.oidc_issuer.clone()?;
        Some(self.settings_for(issuer, algorithms, self.oidc_require_at_jwt))
    }

    /// The verifier settings for the embedded provider's tokens: ES256 only, `typ`
    /// `at+jwt` required (it always sends it).
    pub fn embedded_verifier_settings(&self, issuer: Issuer) -> VerifierSettings {
        self.settings_for(issuer, vec![Algorithm::ES256], true)
    }

    fn settings_for(
        &self,
        issuer: Issuer,
        algorithms: Vec<Algorithm>,
        require_at_jwt: bool,
    ) -> VerifierSettings {
        VerifierSettings {
            issuer,
            audience: self.oidc_audience.clone(),
            permissions_claim: self.oidc_permissions_claim.clone(),
            algorithms,
            require_at_jwt,
            leeway: Duration::from_secs(self.oidc_leeway_secs),
            jwks_refetch_interval: Duration::from_secs(self.oidc_jwks_refetch_secs),
            jwks_max_age: Duration::from_secs(self.oidc_jwks_max_age_secs),
            dpop: self.oidc_dpop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_is_kept_exactly_as_configured() {
        for value in [
            "https://tenant.eu.auth0.com/",
            "https://sso.example.com/realms/acme",
            "http://127.0.0.1:8080",
        ] {
            assert_eq!(value.parse::<Issuer>().expect("valid").as_str(), value);
        }
    }

    #[test]
    fn discovery_is_found_under_the_issuer_with_or_without_a_trailing_slash() {
        let auth0: Issuer = "https://tenant.auth0.com/".parse().expect("valid");
        assert_eq!(
            auth0.discovery_url(),
            "https://tenant.auth0.com/.well-known/openid-configuration"
        );
        let keycloak: Issuer = "https://sso.example.com/realms/acme"
            .parse()
            .expect("valid");
        assert_eq!(
            keycloak.discovery_url(),
            "https://sso.example.com/realms/acme/.well-known/openid-configuration"
        );
    }

    #[test]
    fn plain_http_issuers_are_refused_except_on_loopback() {
        for bad in [
            "http://sso.example.com",
            "ftp://sso.example.com",
            "https://sso.example.com/?tenant=1",
            "not a url",
        ] {
            assert!(bad.parse::<Issuer>().is_err(), "{bad}");
        }
        assert!("http://localhost:9000".parse::<Issuer>().is_ok());
        assert!("http://[::1]:9000".parse::<Issuer>().is_ok());
    }

    #[test]
    fn symmetric_and_unknown_algorithms_are_refused() {
        for bad in ["HS256", "HS512", "none", "rs256", ""] {
            assert!(bad.parse::<SigningAlgorithm>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "ES256".parse::<SigningAlgorithm>(),
            Ok(SigningAlgorithm(Algorithm::ES256))
        );
    }
}

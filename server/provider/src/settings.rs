//! Settings of the embedded provider (`PUBLIC_URL`, `OIDC_CLIENT_ID`, `PROVIDER_*`, `DEMO`).

use std::{fmt, str::FromStr, time::Duration};

/// The URL people and apps reach this server at: the embedded provider's issuer and the
/// base of the PWA's redirect URIs. Kept without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL's origin (what browsers send in `Origin`).
    pub fn origin(&self) -> String {
        url::Url::parse(&self.0)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_else(|_| self.0.clone())
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    /// `http://<address>`, for a server reached directly.
    pub fn for_address(address: std::net::SocketAddr) -> PublicUrl {
        PublicUrl(format!("http://{address}"))
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(value).map_err(|err| format!("{value:?} is not a URL: {err}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{value:?} is not an http(s) URL"));
        }
        if url.query().is_some() || url.fragment().is_some() || url.host().is_none() {
            return Err(format!("{value:?}: write scheme, host, port and path only"));
        }
        Ok(PublicUrl(value.trim_end_matches('/').to_owned()))
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ProviderArgs {
    /// The URL this server is reached at, e.g. `https://time.example.com` (behind a proxy).
    /// The embedded provider's issuer. Default: `http://<listen address>`.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,

    /// The PWA's client id at the OpenID Connect provider; the embedded provider registers
    /// it at start-up with the redirect URI `<PUBLIC_URL>/auth/callback`.
    #[arg(long, env = "OIDC_CLIENT_ID", default_value = "timesheets-pwa")]
    pub oidc_client_id: String,

    /// Lifetime of the embedded provider's access and ID tokens, in seconds.
    #[arg(long, env = "PROVIDER_ACCESS_TOKEN_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(30..=3600))]
    pub provider_access_token_secs: u64,

    /// A refresh token unused for this many seconds expires.
    #[arg(long, env = "PROVIDER_REFRESH_IDLE_SECS", default_value_t = 1_209_600, value_parser = clap::value_parser!(u64).range(60..))]
    pub provider_refresh_idle_secs: u64,

    /// All refresh tokens of one sign-in end this many seconds after it, however often rotated.
    #[arg(long, env = "PROVIDER_REFRESH_ABSOLUTE_SECS", default_value_t = 2_592_000, value_parser = clap::value_parser!(u64).range(60..))]
    pub provider_refresh_absolute_secs: u64,

    /// Lifetime of the provider's login session (its cookie), in seconds.
    #[arg(long, env = "PROVIDER_SESSION_SECS", default_value_t = 1_209_600, value_parser = clap::value_parser!(u64).range(60..))]
    pub provider_session_secs: u64,

    /// DPoP proofs at the token endpoint must carry a nonce the provider handed out
    /// (`DPoP-Nonce`, RFC 9449 §8): a proof made ahead of time, or on a device whose clock
    /// is off, is then refused.
    #[arg(long, env = "PROVIDER_DPOP_NONCE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub provider_dpop_nonce: bool,

    /// Adding a passkey needs a sign-in at most this many seconds old (a phone left signed
    /// in must not let someone else add theirs).
    #[arg(long, env = "PROVIDER_PASSKEY_MAX_AUTH_AGE_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub provider_passkey_max_auth_age_secs: u64,

    /// Seed the ExampleCo demo company and print its sign-in credentials.
    /// `--demo` alone means `--demo true`.
    #[arg(long, env = "DEMO", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub demo: bool,
}

impl Default for ProviderArgs {
    /// The same values as the flags' defaults (for tests and benchmarks).
    fn default() -> Self {
        ProviderArgs {
            public_url: None,
            oidc_client_id: "timesheets-pwa".into(),
            provider_access_token_secs: 300,
            provider_refresh_idle_secs: 1_209_600,
            provider_refresh_absolute_secs: 2_592_000,
            provider_session_secs: 1_209_600,
            provider_dpop_nonce: false,
            provider_passkey_max_auth_age_secs: 900,
            demo: false,
        }
    }
}

/// The embedded provider's settings once the public URL is known.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub issuer: PublicUrl,
    pub audience: String,
    pub pwa_client_id: String,
    pub access_token_ttl: Duration,
    pub refresh_idle: Duration,
    pub refresh_absolute: Duration,
    pub session: Duration,
    /// Whether DPoP is offered and proofs bind tokens (off when the API refuses DPoP).
    pub dpop: bool,
    pub dpop_nonce: bool,
    /// How recent a sign-in adding a passkey needs.
    pub passkey_max_auth_age: Duration,
    pub demo: bool,
}

impl ProviderSettings {
    pub fn new(args: &ProviderArgs, issuer: PublicUrl, audience: &str) -> ProviderSettings {
        ProviderSettings {
            issuer,
            audience: audience.to_owned(),
            pwa_client_id: args.oidc_client_id.clone(),
            access_token_ttl: Duration::from_secs(args.provider_access_token_secs),
            refresh_idle: Duration::from_secs(args.provider_refresh_idle_secs),
            refresh_absolute: Duration::from_secs(args.provider_refresh_absolute_secs),
            session: Duration::from_secs(args.provider_session_secs),
            dpop: true,
            dpop_nonce: args.provider_dpop_nonce,
            passkey_max_auth_age: Duration::from_secs(args.provider_passkey_max_auth_age_secs),
            demo: args.demo,
        }
    }

    /// Where the PWA receives the authorization response.
    pub fn pwa_redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.issuer)
    }

    /// Where the PWA lands after signing out.
    pub fn pwa_post_logout_uri(&self) -> String {
        format!("{}/", self.issuer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_lose_their_trailing_slash() {
        let url: PublicUrl = "https://time.example.com/".parse().expect("valid");
        assert_eq!(url.as_str(), "https://time.example.com");
        assert_eq!(url.origin(), "https://time.example.com");
        for bad in ["ftp://x", "https://x/?a=1", "time.example.com"] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad}");
        }
    }
}

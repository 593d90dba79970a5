//! What the PWA needs to know about the OpenID Connect provider. The server puts it in
//! every page (`<meta name="timesheets-oidc">`, written by the shell), so the app knows the
//! provider without a request; the rest comes from the provider's discovery document.

use serde::{Deserialize, Serialize};

/// The `name` of the `<meta>` element that carries the [`AuthConfig`] as JSON.
pub const META_NAME: &str = "timesheets-oidc";

/// The path the provider redirects back to; registered as `<origin>/auth/callback`.
pub const CALLBACK_PATH: &str = "/auth/callback";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// The issuer, exactly as in its tokens' `iss` (`OIDC_ISSUER`, or the embedded one).
    pub issuer: String,
    /// The PWA's client id (`OIDC_CLIENT_ID`): a public client, so no secret.
    pub client_id: String,
    /// Space-separated scopes requested at sign-in (`OIDC_PWA_SCOPES`).
    pub scopes: String,
    /// Extra authorization-request parameters some providers need to issue a JWT access
    /// token for our API: Auth0's `audience`, RFC 8707's `resource` (`OIDC_AUTHORIZE_PARAMS`).
    #[serde(default)]
    pub extra_params: Vec<(String, String)>,
    /// Whether the provider is the embedded one with passkeys (a host name, not an IP).
    #[serde(default)]
    pub passkeys: bool,
}

impl AuthConfig {
    /// The discovery document's URL (OIDC Discovery §4: `/.well-known/…` appended to the
    /// issuer, whose own trailing slash is not doubled).
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }

    /// The issuer's origin (`scheme://host[:port]`), for the page's `connect-src`.
    pub fn issuer_origin(&self) -> Option<&str> {
        let rest_start = self.issuer.find("://")? + 3;
        let end = self.issuer[rest_start..]
            .find('/')
            .map_or(self.issuer.len(), |slash| rest_start + slash);
        Some(&self.issuer[..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str) -> AuthConfig {
        AuthConfig {
            issuer: issuer.into(),
            client_id: "pwa".into(),
            scopes: "openid".into(),
            extra_params: vec![],
            passkeys: false,
        }
    }

    #[test]
    fn discovery_url_and_origin_come_from_the_issuer() {
        let auth0 = config("https://tenant.auth0.com/");
        assert_eq!(
            auth0.discovery_url(),
            "https://tenant.auth0.com/.well-known/openid-configuration"
        );
        assert_eq!(auth0.issuer_origin(), Some("https://tenant.auth0.com"));
        let keycloak = config("http://127.0.0.1:8080/realms/acme");
        assert_eq!(
            keycloak.discovery_url(),
            "http://127.0.0.1:8080/realms/acme/.well-known/openid-configuration"
        );
        assert_eq!(keycloak.issuer_origin(), Some("http://127.0.0.1:8080"));
        assert_eq!(config("no scheme").issuer_origin(), None);
    }
}

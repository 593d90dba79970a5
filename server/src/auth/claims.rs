//! The claims of a verified access token, turned into a [`Principal`].

use std::collections::HashMap;

use app::auth::{Client, Principal, ScopeSet, User};
use serde::Deserialize;

/// What the API reads from an access token. `iss`, `aud`, `exp` and `nbf` are checked by
/// jsonwebtoken's `Validation` before this is looked at; `iss` and `sub` must be strings.
#[derive(Debug, Deserialize)]
pub struct AccessClaims {
    /// Expiry (Unix seconds; RFC 7519 allows fractions), checked by the `Validation`;
    /// kept to bound the verifier's cache.
    #[serde(default)]
    pub exp: Option<f64>,
    iss: String,
    sub: String,
    /// RFC 9068 / RFC 8693: space-separated scopes. Okta and Entra ID call it `scp`.
    #[serde(default, alias = "scp")]
    scope: Option<ScopeClaim>,
    client_id: Option<String>,
    /// Auth0 and Keycloak name the client in `azp`.
    azp: Option<String>,
    /// Auth0 marks client-credentials tokens with `gty`.
    gty: Option<String>,
    name: Option<String>,
    email: Option<String>,
    /// When the person signed in (OIDC; RFC 9068 §2.2.1), for step-up before approving.
    #[serde(default)]
    auth_time: Option<f64>,
    /// RFC 9449 §6.1: the DPoP key the token is bound to.
    #[serde(default)]
    cnf: Option<Confirmation>,
    /// Everything else, among it the configurable permissions claim.
    #[serde(flatten)]
    other: HashMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Confirmation {
    jkt: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ScopeClaim {
    SpaceSeparated(String),
    List(Vec<String>),
}

impl ScopeClaim {
    fn scopes(&self) -> ScopeSet {
        match self {
            ScopeClaim::SpaceSeparated(scope) => ScopeSet::from_scope_string(scope),
            ScopeClaim::List(list) => list.iter().filter_map(|name| name.parse().ok()).collect(),
        }
    }
}

impl AccessClaims {
    /// The JWK thumbprint the token is bound to (`cnf.jkt`); a `cnf` naming no key this
    /// API knows how to check (e.g. `x5t#S256`, mTLS) binds to nothing it could accept,
    /// so it reads as an impossible key.
    pub fn dpop_binding(&self) -> Option<String> {
        self.cnf
            .as_ref()
            .map(|cnf| cnf.jkt.clone().unwrap_or_default())
    }

    /// The caller and its effective scopes: `scope`, intersected with the permissions
    /// claim when the token carries one (Auth0 RBAC). A permissions claim that is not a
    /// list of strings grants nothing.
    pub fn into_principal(self, permissions_claim: &str) -> Principal {
        let mut scopes = self
            .scope
            .as_ref()
            .map(ScopeClaim::scopes)
            .unwrap_or_default();
        if let Some(permissions) = self.other.get(permissions_claim) {
            let granted: ScopeSet = permissions
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|value| value.as_str()?.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            scopes = scopes.intersection(granted);
        }
        let client_id = self.client_id.or(self.azp);
        // RFC 9068 §2.2: without a resource owner, `sub` identifies the client itself.
        let is_machine = self.gty.as_deref() == Some("client-credentials")
            || client_id.as_deref() == Some(self.sub.as_str());
        if is_machine {
            Principal::Client(Client {
                issuer: self.iss,
                client_id: client_id.unwrap_or(self.sub),
                scopes,
            })
        } else {
            Principal::User(User {
                issuer: self.iss,
                subject: self.sub,
                name: self.name,
                email: self.email,
                scopes,
                auth_time: self.auth_time.map(|seconds| seconds.floor() as i64),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use app::auth::Scope;
    use serde_json::json;

    use super::*;

    fn principal(claims: serde_json::Value) -> Principal {
        serde_json::from_value::<AccessClaims>(claims)
            .expect("claims parse")
            .into_principal("permissions")
    }

    #[test]
    fn a_user_token_gives_a_user_with_its_scopes() {
        let got = principal(json!({
            "iss": "https://issuer/", "sub": "auth0|42", "azp": "pwa",
            "scope": "openid read:timesheets create:timesheets", "email": "ann@example.com"
        }));
        let Principal::User(user) = got else {
            panic!("a user")
        };
        assert_eq!(user.subject, "auth0|42");
        assert_eq!(user.email.as_deref(), Some("ann@example.com"));
        assert_eq!(
            user.scopes,
            [Scope::ReadTimesheets, Scope::CreateTimesheets]
                .into_iter()
                .collect()
        );
    }

    #[test]
    fn permissions_narrow_the_scopes() {
        let got = principal(json!({
            "iss": "i", "sub": "u", "scope": "read:timesheets approve:timesheets",
            "permissions": ["read:timesheets", "create:timesheets"]
        }));
        assert_eq!(got.scopes(), ScopeSet::EMPTY.with(Scope::ReadTimesheets));
    }

    #[test]
    fn a_permissions_claim_of_the_wrong_shape_grants_nothing() {
        let got = principal(json!({
            "iss": "i", "sub": "u", "scope": "read:timesheets", "permissions": "read:timesheets"
        }));
        assert_eq!(got.scopes(), ScopeSet::EMPTY);
    }

    #[test]
    fn scp_lists_are_understood() {
        let got = principal(json!({"iss": "i", "sub": "u", "scp": ["read:timesheets"]}));
        assert_eq!(got.scopes(), ScopeSet::EMPTY.with(Scope::ReadTimesheets));
    }

    #[test]
    fn client_credentials_tokens_are_machine_clients() {
        for claims in [
            json!({"iss": "i", "sub": "payroll", "client_id": "payroll", "scope": "batch:upload"}),
            json!({"iss": "i", "sub": "payroll@clients", "azp": "payroll", "gty": "client-credentials", "scope": "batch:upload"}),
        ] {
            let Principal::Client(client) = principal(claims) else {
                panic!("a machine client")
            };
            assert_eq!(client.client_id, "payroll");
            assert_eq!(client.scopes, ScopeSet::EMPTY.with(Scope::BatchUpload));
        }
    }
}

//! Who is calling and what they may do: scopes, and the verified principal.
//!
//! Shared by browser and server: the server builds a [`Principal`] from a verified
//! access token and gates every route with [`User::require`]/[`Client::require`]; the
//! PWA shows or hides screens with the same [`ScopeSet`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use crate::scope::{Scope, UnknownScope};

/// A set of [`Scope`]s: what a token grants.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub const EMPTY: ScopeSet = ScopeSet(0);

    /// The API's scopes named in a space-separated OAuth 2.0 `scope` string; other
    /// tokens are not ours and are dropped.
    pub fn from_scope_string(scope: &str) -> ScopeSet {
        scope
            .split(' ')
            .filter_map(|name| name.parse().ok())
            .collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn with(self, scope: Scope) -> ScopeSet {
        ScopeSet(self.0 | scope.bit())
    }

    pub fn intersection(self, other: ScopeSet) -> ScopeSet {
        ScopeSet(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// `Ok` when the set grants `scope`, else the 403 that names the missing scope.
    pub fn require(self, scope: Scope) -> Result<(), AppError> {
        if self.contains(scope) {
            Ok(())
        } else {
            Err(AppError::InsufficientScope { scope })
        }
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(ScopeSet::EMPTY, ScopeSet::with)
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The space-separated form, as in an OAuth 2.0 `scope` parameter.
impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// On the wire a list of scope names, e.g. `["read:timesheets"]`.
impl Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Scope>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// A person signed in through the OpenID Connect provider, identified by (`iss`, `sub`),
/// never by email. Name and email are profile claims, for display only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub scopes: ScopeSet,
    /// When the person last proved who they are (OIDC `auth_time`, Unix seconds), if the
    /// token says: approving needs a recent one.
    #[serde(default)]
    pub auth_time: Option<i64>,
}

impl User {
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        self.scopes.require(scope)
    }

    /// Refuses with `InsufficientUserAuthentication` (RFC 9470) unless the person signed
    /// in at most `max_age_secs` before `now` (Unix seconds); a token without
    /// `auth_time` cannot show that it is recent.
    pub fn require_sign_in_within(&self, max_age_secs: u64, now: i64) -> Result<(), AppError> {
        let max_age = i64::try_from(max_age_secs).unwrap_or(i64::MAX);
        match self.auth_time {
            Some(auth_time) if now.saturating_sub(auth_time) <= max_age => Ok(()),
            _ => Err(AppError::InsufficientUserAuthentication {
                max_age: max_age_secs,
            }),
        }
    }
}

/// An application calling with its own credentials (OAuth 2.0 client credentials): it
/// never acts as a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub issuer: String,
    pub client_id: String,
    pub scopes: ScopeSet,
}

impl Client {
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        self.scopes.require(scope)
    }
}

/// Whoever a verified access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    User(User),
    Client(Client),
}

impl Principal {
    pub fn scopes(&self) -> ScopeSet {
        match self {
            Principal::User(user) => user.scopes,
            Principal::Client(client) => client.scopes,
        }
    }

    /// The user, or a 403: user routes are not for machine clients.
    pub fn into_user(self) -> Result<User, AppError> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::Client(_) => Err(AppError::Forbidden {
                message: "this route is for signed-in users, not machine clients".into(),
            }),
        }
    }

    /// The machine client, or a 403: batch routes are not for user tokens.
    pub fn into_client(self) -> Result<Client, AppError> {
        match self {
            Principal::Client(client) => Ok(client),
            Principal::User(_) => Err(AppError::Forbidden {
                message: "this route is for machine clients (client credentials), not users".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
    }

    #[test]
    fn scope_matching_is_exact() {
        for near_miss in [
            "read:timesheetsX",
            "Read:timesheets",
            "read:timesheets ",
            "read",
            "",
            "read:*",
        ] {
            assert_eq!(
                near_miss.parse::<Scope>(),
                Err(UnknownScope),
                "{near_miss:?}"
            );
        }
    }

    #[test]
    fn a_scope_string_keeps_only_the_apis_scopes() {
        let set = ScopeSet::from_scope_string(
            "openid profile read:timesheets  approve:timesheetsX batch:upload",
        );
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Scope::ReadTimesheets, Scope::BatchUpload]
        );
        assert_eq!(set.to_string(), "read:timesheets batch:upload");
    }

    #[test]
    fn intersection_keeps_what_both_grant() {
        let scope = ScopeSet::from_scope_string("read:timesheets create:timesheets");
        let permissions = ScopeSet::from_scope_string("create:timesheets approve:timesheets");
        assert_eq!(
            scope.intersection(permissions),
            ScopeSet::EMPTY.with(Scope::CreateTimesheets)
        );
    }

    #[test]
    fn require_names_the_missing_scope() {
        let set = ScopeSet::from_scope_string("read:timesheets");
        assert_eq!(set.require(Scope::ReadTimesheets), Ok(()));
        assert_eq!(
            set.require(Scope::ApproveTimesheets),
            Err(AppError::InsufficientScope {
                scope: Scope::ApproveTimesheets
            })
        );
    }

    #[test]
    fn a_scope_set_serializes_as_a_list_of_names() {
        let set = ScopeSet::from_scope_string("approve:timesheets read:timesheets");
        let json = serde_json::to_string(&set).expect("serializes");
        assert_eq!(json, r#"["read:timesheets","approve:timesheets"]"#);
        assert_eq!(
            serde_json::from_str::<ScopeSet>(&json).expect("deserializes"),
            set
        );
    }

    #[test]
    fn machine_clients_never_pass_as_users_and_users_never_as_clients() {
        let client = Principal::Client(Client {
            issuer: "https://issuer.example".into(),
            client_id: "payroll".into(),
            scopes: ScopeSet::EMPTY.with(Scope::BatchUpload),
        });
        assert_eq!(client.clone().into_user().unwrap_err().status_code(), 403);
        assert!(client.into_client().is_ok());
        let user = Principal::User(User {
            issuer: "https://issuer.example".into(),
            subject: "u1".into(),
            name: None,
            email: None,
            scopes: ScopeSet::EMPTY,
            auth_time: None,
        });
        assert_eq!(user.clone().into_client().unwrap_err().status_code(), 403);
        assert!(user.into_user().is_ok());
    }
}

//! People's roles at the embedded provider and the API scopes each one grants (the
//! brief's table). The API itself never looks at roles, only at scopes.

use std::{fmt, str::FromStr};

use app::auth::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Employee,
    Contractor,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Employee, Role::Contractor, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Contractor => "contractor",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn scopes(self) -> &'static [Scope] {
        const OWN: [Scope; 3] = [
            Scope::ReadTimesheets,
            Scope::CreateTimesheets,
            Scope::DeleteTimesheets,
        ];
        const DECIDE: [Scope; 4] = [
            Scope::ReadTimesheets,
            Scope::CreateTimesheets,
            Scope::DeleteTimesheets,
            Scope::ApproveTimesheets,
        ];
        match self {
            Role::Employee | Role::Contractor => &OWN,
            Role::Manager | Role::Admin => &DECIDE,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == value)
            .ok_or_else(|| {
                format!("{value:?} is not a role: employee, contractor, manager or admin")
            })
    }
}

/// Scopes of OpenID Connect itself, granted to anyone who signs in.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The requested scopes this role may have, in the order requested, each once.
pub fn grant(requested: &str, role: Role) -> String {
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        let allowed =
            OIDC_SCOPES.contains(&scope) || role.scopes().iter().any(|s| s.as_str() == scope);
        if allowed && !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    granted.join(" ")
}

pub fn has_scope(scopes: &str, wanted: &str) -> bool {
    scopes.split(' ').any(|scope| scope == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_managers_and_admins_may_approve() {
        let requested = "openid email approve:timesheets read:timesheets read:timesheetsX";
        assert_eq!(
            grant(requested, Role::Employee),
            "openid email read:timesheets"
        );
        assert_eq!(
            grant(requested, Role::Manager),
            "openid email approve:timesheets read:timesheets"
        );
        assert_eq!(grant("batch:upload", Role::Admin), "");
    }
}

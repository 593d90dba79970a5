//! People's roles at the embedded provider and the API scopes each one grants (the
//! brief's table). The API itself never looks at roles, only at scopes.

pub use app::admin::Role;
use app::auth::Scope;

/// The API scopes a role grants (the brief's table, plus administration for admins).
pub fn scopes(role: Role) -> &'static [Scope] {
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
    const ADMINISTER: [Scope; 6] = [
        Scope::ReadTimesheets,
        Scope::CreateTimesheets,
        Scope::DeleteTimesheets,
        Scope::ApproveTimesheets,
        Scope::ManageProjects,
        Scope::ManagePeople,
    ];
    match role {
        Role::Employee | Role::Contractor => &OWN,
        Role::Manager => &DECIDE,
        Role::Admin => &ADMINISTER,
    }
}

/// Scopes of OpenID Connect itself, granted to anyone who signs in.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The requested scopes this role may have, in the order requested, each once.
pub fn grant(requested: &str, role: Role) -> String {
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        let allowed =
            OIDC_SCOPES.contains(&scope) || scopes(role).iter().any(|s| s.as_str() == scope);
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

    #[test]
    fn only_admins_may_manage_projects_and_people() {
        let requested = "openid manage:projects manage:people";
        assert_eq!(grant(requested, Role::Manager), "openid");
        assert_eq!(grant(requested, Role::Admin), requested);
    }
}

//! What a sign-in at the embedded provider is granted: the requested scopes that the
//! person's role allows ([`Role::scopes`], the brief's table) plus OpenID Connect's own.

use app::admin::Role;

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

    #[test]
    fn only_admins_may_manage_projects_and_people() {
        let requested = "openid manage:projects manage:people";
        assert_eq!(grant(requested, Role::Manager), "openid");
        assert_eq!(grant(requested, Role::Admin), requested);
    }
}

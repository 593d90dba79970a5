//! Step-up before deciding (RFC 9470): when the server answers a decision with
//! `insufficient_user_authentication`, the decision is kept in this tab's
//! `sessionStorage` while the manager signs in again (`max_age`), and made once when the
//! approvals screen comes back: nothing tapped is lost to the detour.

use serde::{Deserialize, Serialize};

use crate::session::Session;

/// A decision waiting for the manager's fresh sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingDecision {
    Entry {
        id: String,
        approve: bool,
        note: Option<String>,
    },
    Week {
        issuer: String,
        subject: String,
        /// ISO week, e.g. `2026-W49`.
        week: String,
        /// Whose week, for the toast.
        name: String,
    },
}

#[cfg(feature = "hydrate")]
const KEY: &str = "timesheets.step_up.decision";

/// Keeps `decision` and sends the browser to sign in again, at most `max_age` seconds ago,
/// back to this page. `false` when it cannot be kept (no storage): then nothing happens.
pub fn sign_in_again_for(session: Session, decision: &PendingDecision, max_age: u64) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage as _};
        if SessionStorage::set(KEY, decision).is_ok() {
            session.step_up(max_age);
            return true;
        }
    }
    let _ = (session, decision, max_age);
    false
}

/// The decision kept before the last sign-in, if any: taken, so it is made once.
pub fn take() -> Option<PendingDecision> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage as _};
        let decision = SessionStorage::get(KEY).ok();
        SessionStorage::delete(KEY);
        decision
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_decision_reads_back_the_same() {
        for decision in [
            PendingDecision::Entry {
                id: "0b6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3a".into(),
                approve: false,
                note: Some("Wrong project".into()),
            },
            PendingDecision::Week {
                issuer: "http://127.0.0.1:3000".into(),
                subject: "emma".into(),
                week: "2026-W49".into(),
                name: "Emma Employee".into(),
            },
        ] {
            let json = serde_json::to_string(&decision).expect("JSON");
            assert_eq!(
                serde_json::from_str::<PendingDecision>(&json).expect("read back"),
                decision
            );
        }
    }
}

//! Step-up before deciding (RFC 9470): when the server answers a decision with
//! `insufficient_user_authentication`, the decision is kept in this tab's
//! `sessionStorage` while the manager signs in again (`max_age`), and made once when the
//! approvals screen comes back: nothing tapped is lost to the detour. Only for the person
//! who tapped, and only soon after: a detour abandoned, or someone else signing in at the
//! provider's page, drops it.

// Only the browser keeps decisions; the server's build has the types and their tests.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

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
        /// The version decided on.
        #[serde(default)]
        version: Option<i64>,
    },
    Week {
        issuer: String,
        subject: String,
        /// ISO week, e.g. `2026-W49`.
        week: String,
        /// Whose week, for the toast.
        name: String,
        /// The entries and versions looked at.
        #[serde(default)]
        seen: Option<Vec<(String, i64)>>,
    },
}

/// A decision as kept: who tapped it, and when (Unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub decision: PendingDecision,
    pub by: String,
    pub at_ms: i64,
}

/// A kept decision is made only this soon after it was tapped.
pub const MAX_WAIT_MS: i64 = 10 * 60 * 1000;

impl Kept {
    /// The decision, if `who` at `now_ms` is still the person who tapped it, soon after.
    pub fn for_person(self, who: &str, now_ms: i64) -> Option<PendingDecision> {
        let fresh = (0..=MAX_WAIT_MS).contains(&now_ms.saturating_sub(self.at_ms));
        (self.by == who && fresh).then_some(self.decision)
    }
}

#[cfg(feature = "hydrate")]
const KEY: &str = "timesheets.step_up.decision";

/// Keeps `decision` and sends the browser to sign in again, at most `max_age` seconds ago,
/// back to this page. `false` when it cannot be kept (no storage, nobody signed in): then
/// nothing happens.
pub fn sign_in_again_for(session: Session, decision: &PendingDecision, max_age: u64) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage as _};
        let Some(profile) = session.profile() else {
            return false;
        };
        let kept = Kept {
            decision: decision.clone(),
            by: profile.subject,
            at_ms: crate::browser::now_ms(),
        };
        if SessionStorage::set(KEY, &kept).is_ok() {
            session.step_up(max_age);
            return true;
        }
    }
    let _ = (session, decision, max_age);
    false
}

/// The decision `who` kept before signing in again, if any and recent: taken, so it is
/// made at most once.
pub fn take(who: &str) -> Option<PendingDecision> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{SessionStorage, Storage as _};
        let kept: Option<Kept> = SessionStorage::get(KEY).ok();
        SessionStorage::delete(KEY);
        kept?.for_person(who, crate::browser::now_ms())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = who;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Kept {
        Kept {
            decision: PendingDecision::Week {
                issuer: "http://127.0.0.1:3000".into(),
                subject: "emma".into(),
                week: "2026-W49".into(),
                name: "Emma Employee".into(),
                seen: Some(vec![("0b6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3a".into(), 2)]),
            },
            by: "maria".into(),
            at_ms: 1_000_000,
        }
    }

    #[test]
    fn a_kept_decision_reads_back_the_same() {
        let entry = Kept {
            decision: PendingDecision::Entry {
                id: "0b6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3a".into(),
                approve: false,
                note: Some("Wrong project".into()),
                version: Some(3),
            },
            ..kept()
        };
        for kept in [kept(), entry] {
            let json = serde_json::to_string(&kept).expect("JSON");
            assert_eq!(
                serde_json::from_str::<Kept>(&json).expect("read back"),
                kept
            );
        }
    }

    #[test]
    fn only_the_person_who_tapped_and_only_soon_after() {
        let at = kept().at_ms;
        assert_eq!(
            kept().for_person("maria", at + 30_000),
            Some(kept().decision)
        );
        assert_eq!(
            kept().for_person("maria", at + MAX_WAIT_MS),
            Some(kept().decision)
        );
        assert_eq!(
            kept().for_person("maria", at + MAX_WAIT_MS + 1),
            None,
            "too late"
        );
        assert_eq!(kept().for_person("adam", at + 30_000), None, "someone else");
        assert_eq!(kept().for_person("maria", at - 1), None, "from the future");
    }
}

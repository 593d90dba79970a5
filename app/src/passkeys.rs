//! Passkeys at the embedded provider: what its `/account/passkeys` endpoints send and
//! receive, and the rule for a passkey's name, shared so the profile screen and the
//! provider refuse the same names with the same message. The browser's half of the
//! WebAuthn ceremony is in [`ceremony`].

use serde::{Deserialize, Serialize};

use crate::domain::ValidationError;

#[cfg(feature = "hydrate")]
pub mod ceremony;

/// Where the app manages the signed-in person's passkeys (embedded provider only).
pub const PASSKEYS_PATH: &str = "/account/passkeys";
/// Where it asks for the options of a new passkey.
pub const PASSKEY_OPTIONS_PATH: &str = "/account/passkeys/options";

/// One of a person's passkeys, as listed to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    /// The credential id, base64url.
    pub id: String,
    pub name: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms of the last sign-in with it.
    pub last_used_at: Option<i64>,
}

/// `GET /account/passkeys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyList {
    pub passkeys: Vec<PasskeySummary>,
    /// Whether this person must sign in with a passkey (`timesheets passkeys require`).
    pub required: bool,
}

/// `POST /account/passkeys/options`: the ceremony to answer and the browser's options
/// (WebAuthn's `PublicKeyCredentialCreationOptions` as JSON, binary fields base64url).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeremonyOptions {
    pub ceremony: String,
    pub options: serde_json::Value,
}

/// `POST /account/passkeys`: the authenticator's answer (WebAuthn's JSON form of the
/// `PublicKeyCredential`) to a ceremony, and the name the person gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPasskey {
    pub ceremony: String,
    pub name: String,
    pub credential: serde_json::Value,
}

/// Longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A passkey's name: 1-64 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(value: &str) -> Result<PasskeyName, ValidationError> {
        let name = value.trim();
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "give the passkey a name, e.g. the phone it is on",
            ));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ValidationError::new(
                "name",
                format!("a passkey's name has at most {MAX_NAME_CHARS} characters"),
            ));
        }
        if name
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
        {
            return Err(ValidationError::new(
                "name",
                "a passkey's name cannot contain control or invisible formatting characters",
            ));
        }
        Ok(PasskeyName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Zero-width and bidirectional formatting characters: they would make a name in the list
/// read differently from what it is (e.g. U+202E reverses what follows).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PasskeyName::parse("  Pixel 7 ").unwrap().as_str(),
            "Pixel 7"
        );
        assert_eq!(
            PasskeyName::parse(&"é".repeat(64))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            64
        );
        for bad in [
            "",
            "   ",
            "a\nb",
            "gpj.\u{202E}exe",
            "a\u{200B}b",
            &"x".repeat(65),
        ] {
            let error = PasskeyName::parse(bad).unwrap_err();
            assert_eq!(error.field, "name", "{bad:?}");
        }
    }
}

//! Projects that entries are booked on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A project's short code (`ACME-42`): 1 to 32 of `A-Z 0-9 - _ .`, stored upper-case so
/// `acme-42` finds the same project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectCode(String);

impl ProjectCode {
    pub fn parse(value: &str) -> Result<ProjectCode, ValidationError> {
        let value = value.trim().to_ascii_uppercase();
        let valid_chars = value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if value.is_empty() || value.len() > 32 || !valid_chars {
            return Err(ValidationError::new(
                "project",
                "a project code is 1-32 letters, digits, '-', '_' or '.'",
            ));
        }
        Ok(ProjectCode(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProjectCode {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ProjectCode::parse(&value)
    }
}

impl From<ProjectCode> for String {
    fn from(value: ProjectCode) -> String {
        value.0
    }
}

/// A project's display name: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(value: &str) -> Result<ProjectName, ValidationError> {
        let value = value.trim();
        let length = value.chars().count();
        if length == 0 || length > 100 || value.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "a project name is 1-100 characters on one line",
            ));
        }
        Ok(ProjectName(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectName {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        ProjectName::parse(&value)
    }
}

impl From<ProjectName> for String {
    fn from(value: ProjectName) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_codes_are_upper_cased_and_limited() {
        assert_eq!(ProjectCode::parse(" acme-42 ").unwrap().as_str(), "ACME-42");
        for bad in ["", "has space", "ÄCME", &"A".repeat(33), "semi;colon"] {
            assert!(ProjectCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn project_names_are_one_line() {
        assert_eq!(
            ProjectName::parse(" Website relaunch ").unwrap().as_str(),
            "Website relaunch"
        );
        assert!(ProjectName::parse("two\nlines").is_err());
        assert!(ProjectName::parse(" ").is_err());
    }
}

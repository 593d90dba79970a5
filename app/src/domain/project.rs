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
        one_line(value, "name", "a project name").map(ProjectName)
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

/// Trimmed, 1 to 100 characters, no control characters (so no line breaks).
fn one_line(value: &str, field: &'static str, what: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    let length = value.chars().count();
    if length == 0 || length > 100 || value.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            format!("{what} is 1-100 characters on one line"),
        ));
    }
    Ok(value.to_owned())
}

/// Whom a project's work is for (a client or customer of the company): optional; a
/// blank value means none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Customer(String);

impl Customer {
    /// `None` for a blank value.
    pub fn parse(value: &str) -> Result<Option<Customer>, ValidationError> {
        if value.trim().is_empty() {
            return Ok(None);
        }
        one_line(value, "customer", "a customer").map(|value| Some(Customer(value)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Customer {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Customer::parse(&value)?.ok_or_else(|| ValidationError::new("customer", "is blank"))
    }
}

impl From<Customer> for String {
    fn from(value: Customer) -> String {
        value.0
    }
}

/// A project's colour in lists and charts: `#rrggbb` (or `#rgb`), stored lower-case as
/// `#rrggbb`; optional, a blank value means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colour([u8; 3]);

impl Colour {
    /// `None` for a blank value.
    pub fn parse(value: &str) -> Result<Option<Colour>, ValidationError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let invalid = || ValidationError::new("colour", "a colour is #rrggbb, e.g. #1d4ed8");
        let hex = value.strip_prefix('#').ok_or_else(invalid)?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| invalid());
        let rgb = match hex.len() {
            3 => [digit(0)? * 17, digit(1)? * 17, digit(2)? * 17],
            6 => [
                digit(0)? * 16 + digit(1)?,
                digit(2)? * 16 + digit(3)?,
                digit(4)? * 16 + digit(5)?,
            ],
            _ => return Err(invalid()),
        };
        Ok(Some(Colour(rgb)))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
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

    #[test]
    fn a_blank_customer_is_none_and_a_long_one_is_refused() {
        assert_eq!(Customer::parse("  ").unwrap(), None);
        assert_eq!(
            Customer::parse(" Acme Corp ").unwrap().unwrap().as_str(),
            "Acme Corp"
        );
        let error = Customer::parse(&"x".repeat(101)).unwrap_err();
        assert_eq!(error.field, "customer");
        assert!(Customer::parse("a\tb").is_err());
    }

    #[test]
    fn colours_are_hex_and_stored_as_six_lower_case_digits() {
        assert_eq!(
            Colour::parse("#1D4ED8").unwrap().unwrap().to_string(),
            "#1d4ed8"
        );
        assert_eq!(
            Colour::parse("#fa0").unwrap().unwrap().to_string(),
            "#ffaa00"
        );
        assert_eq!(Colour::parse(" ").unwrap(), None);
        for bad in ["1d4ed8", "#12345", "#gg0000", "red", "#1d4ed8ff", "#+1+2+3"] {
            assert_eq!(Colour::parse(bad).unwrap_err().field, "colour", "{bad}");
        }
    }
}

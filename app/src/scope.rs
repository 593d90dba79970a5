//! The API's scopes: what an access token may be used for, by exact name.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A permission the API knows. Tokens carry them as exact strings (`read:timesheets`);
/// anything else in a token (`read:timesheetsX`, `openid`, other APIs' scopes) is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read one's own entries.
    ReadTimesheets,
    /// Create and edit one's own entries, submit a week.
    CreateTimesheets,
    /// Delete one's own entries that are not submitted or approved.
    DeleteTimesheets,
    /// List others' submitted entries; approve or reject them.
    ApproveTimesheets,
    /// Upload entries in batches on behalf of users (machine clients).
    BatchUpload,
    /// Add, rename, archive and reactivate projects.
    ManageProjects,
    /// Add, disable and re-role the embedded provider's people.
    ManagePeople,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::ReadTimesheets,
        Scope::CreateTimesheets,
        Scope::DeleteTimesheets,
        Scope::ApproveTimesheets,
        Scope::BatchUpload,
        Scope::ManageProjects,
        Scope::ManagePeople,
    ];

    /// The scope's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::ReadTimesheets => "read:timesheets",
            Scope::CreateTimesheets => "create:timesheets",
            Scope::DeleteTimesheets => "delete:timesheets",
            Scope::ApproveTimesheets => "approve:timesheets",
            Scope::BatchUpload => "batch:upload",
            Scope::ManageProjects => "manage:projects",
            Scope::ManagePeople => "manage:people",
        }
    }

    pub(crate) const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the API's scopes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope")]
pub struct UnknownScope;

impl FromStr for Scope {
    type Err = UnknownScope;

    /// Exact, case-sensitive match, as OAuth 2.0 scope tokens are compared.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == value)
            .ok_or(UnknownScope)
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        value
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown scope {value:?}")))
    }
}

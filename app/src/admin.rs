//! What administering an instance sends and receives: projects (any provider) and the
//! embedded provider's people. Requests are plain DTOs that `parse` into domain values,
//! so the admin screen and the server refuse the same input with the same message.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{
    auth::Scope,
    domain::{Colour, Customer, ProjectCode, ProjectName, ValidationError},
};

/// `POST /api/projects`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewProject {
    /// 1-32 of `A-Z 0-9 - _ .` (stored upper-case).
    pub code: String,
    pub name: String,
    /// Whom the work is for; blank or absent for none.
    #[serde(default)]
    pub customer: Option<String>,
    /// `#rrggbb`; blank or absent for none.
    #[serde(default)]
    pub colour: Option<String>,
}

/// `PUT /api/projects/{code}`: the project's new name, customer and colour (the code
/// stays; absent optional fields are cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectUpdate {
    pub name: String,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub colour: Option<String>,
}

/// A project's describing fields, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectDetails {
    pub name: ProjectName,
    pub customer: Option<Customer>,
    pub colour: Option<Colour>,
}

impl ProjectUpdate {
    pub fn parse(&self) -> Result<ProjectDetails, ValidationError> {
        Ok(ProjectDetails {
            name: ProjectName::parse(&self.name)?,
            customer: Customer::parse(self.customer.as_deref().unwrap_or_default())?,
            colour: Colour::parse(self.colour.as_deref().unwrap_or_default())?,
        })
    }
}

impl NewProject {
    pub fn parse(&self) -> Result<(ProjectCode, ProjectDetails), ValidationError> {
        let code = ProjectCode::parse(&self.code)?;
        let details = ProjectUpdate {
            name: self.name.clone(),
            customer: self.customer.clone(),
            colour: self.colour.clone(),
        }
        .parse()?;
        Ok((code, details))
    }
}

/// A role at the embedded provider; each grants a set of scopes (the provider's table).
/// The API never looks at roles, only at the scopes in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    /// How the admin screen names it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Employee => "Employee",
            Role::Contractor => "Contractor",
            Role::Manager => "Manager",
            Role::Admin => "Admin",
        }
    }

    /// The API scopes a role grants (the brief's table, plus administration for admins).
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
        const ADMINISTER: [Scope; 6] = [
            Scope::ReadTimesheets,
            Scope::CreateTimesheets,
            Scope::DeleteTimesheets,
            Scope::ApproveTimesheets,
            Scope::ManageProjects,
            Scope::ManagePeople,
        ];
        match self {
            Role::Employee | Role::Contractor => &OWN,
            Role::Manager => &DECIDE,
            Role::Admin => &ADMINISTER,
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

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Whether a person may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    /// Added with an invitation link that has not been used yet: no password yet.
    Invited,
    Disabled,
}

/// A person who signs in at the embedded provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Person {
    /// Their subject (`sub`) at the provider.
    pub id: String,
    pub email: String,
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "employee"))]
    pub role: Role,
    pub status: PersonStatus,
}

/// `POST /api/people`: someone to invite. They choose their own password from the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPerson {
    pub email: String,
    pub name: String,
    /// employee, contractor, manager or admin.
    pub role: String,
}

/// A [`NewPerson`] whose fields are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    /// Trimmed, lower case.
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl NewPerson {
    pub fn parse(&self) -> Result<PersonDraft, ValidationError> {
        Ok(PersonDraft {
            email: parse_email(&self.email)?,
            name: parse_person_name(&self.name)?,
            role: parse_role(&self.role)?,
        })
    }
}

/// A role named in a request.
pub fn parse_role(value: &str) -> Result<Role, ValidationError> {
    value
        .trim()
        .parse()
        .map_err(|message| ValidationError::new("role", message))
}

/// The address as stored: trimmed, lower case, roughly `local@domain.tld`.
pub fn parse_email(value: &str) -> Result<String, ValidationError> {
    let email = crate::browser::lowercase(value.trim());
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    });
    if !valid || email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new("email", "is not an email address"));
    }
    Ok(email)
}

/// A person's display name: trimmed, 1 to 100 characters on one line.
pub fn parse_person_name(value: &str) -> Result<String, ValidationError> {
    let name = value.trim();
    let length = name.chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            "name",
            "a name is 1-100 characters on one line",
        ));
    }
    Ok(name.to_owned())
}

/// The answer to an invitation: the person, and the one-time link to send them (it is
/// shown once; only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub person: Person,
    /// Opens the page where they set their password.
    pub link: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// `PUT /api/people/{id}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_project_names_the_bad_field() {
        let project = |code: &str, name: &str, colour: Option<&str>| NewProject {
            code: code.into(),
            name: name.into(),
            customer: None,
            colour: colour.map(Into::into),
        };
        let (code, details) = project("store-zero", " StoreZero ", Some("#ABC"))
            .parse()
            .unwrap();
        assert_eq!(code.as_str(), "STORE-ZERO");
        assert_eq!(details.name.as_str(), "StoreZero");
        assert_eq!(
            details.colour.map(|c| c.to_string()).as_deref(),
            Some("#aabbcc")
        );
        assert_eq!(details.customer, None);
        assert_eq!(
            project("a b", "x", None).parse().unwrap_err().field,
            "project"
        );
        assert_eq!(project("AB", "", None).parse().unwrap_err().field, "name");
        assert_eq!(
            project("AB", "x", Some("blue")).parse().unwrap_err().field,
            "colour"
        );
    }

    #[test]
    fn a_new_person_needs_an_address_a_name_and_a_known_role() {
        let person = |email: &str, name: &str, role: &str| NewPerson {
            email: email.into(),
            name: name.into(),
            role: role.into(),
        };
        let draft = person(" Nina@ExampleCo.test ", " Nina New ", "manager")
            .parse()
            .unwrap();
        assert_eq!(draft.email, "nina@exampleco.test");
        assert_eq!(draft.name, "Nina New");
        assert_eq!(draft.role, Role::Manager);
        for bad in [
            "nina",
            "nina@",
            "@x.test",
            "nina@test",
            "ni na@x.test",
            "n@x.test.",
        ] {
            assert_eq!(
                person(bad, "N", "employee").parse().unwrap_err().field,
                "email",
                "{bad}"
            );
        }
        assert_eq!(
            person("n@x.test", " ", "employee")
                .parse()
                .unwrap_err()
                .field,
            "name"
        );
        assert_eq!(
            person("n@x.test", "N", "boss").parse().unwrap_err().field,
            "role"
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
        }
        assert!("Admin".parse::<Role>().is_err());
    }
}

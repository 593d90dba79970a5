//! What the timesheet API sends and receives. Requests are plain DTOs that `parse` into
//! domain values (so a bad field becomes a 422 naming it); responses carry the seed API's
//! fields (`id`, `user_id`, `date`, `project`, `hours`, `approved`) beside ours.

use serde::{Deserialize, Serialize};

use crate::domain::{EntryId, EntryStatus, Minutes, Note, ProjectCode, ValidationError, WorkDate};

/// One time entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Entry {
    pub id: EntryId,
    /// The owner's subject at the issuer (the seed's `user_id`).
    pub user_id: String,
    pub owner: Owner,
    pub date: WorkDate,
    /// The project's code.
    pub project: ProjectCode,
    pub project_name: String,
    /// Decimal hours (the seed's field); `minutes` is exact.
    pub hours: f64,
    pub minutes: Minutes,
    pub note: Option<String>,
    pub status: EntryStatus,
    /// The seed's flag: `status == approved`.
    pub approved: bool,
    /// The manager's note on the last decision.
    pub decision_note: Option<String>,
    /// `app`, `api` or `batch:<client id>`.
    pub source: String,
    /// The uploader's own id of a batch-uploaded entry.
    pub external_id: Option<String>,
    /// Optimistic-concurrency version, also sent as the `ETag`.
    pub version: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whose entry it is (profile data as last seen in their tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Owner {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[cfg(test)]
impl Entry {
    /// `who`'s submitted entry for tests: version 1, named after `who`, its project's name
    /// the code in lower case.
    pub(crate) fn for_test(who: &str, date: &str, code: &str, minutes: u32) -> Entry {
        Entry {
            id: EntryId::parse("7d1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f70").expect("an id"),
            user_id: who.into(),
            owner: Owner {
                issuer: "https://id.test".into(),
                subject: who.into(),
                email: None,
                name: Some(who.into()),
            },
            date: WorkDate::parse(date).expect("a date"),
            project: ProjectCode::parse(code).expect("a code"),
            project_name: code.to_lowercase(),
            hours: f64::from(minutes) / 60.0,
            minutes: Minutes::new(minutes).expect("minutes"),
            note: None,
            status: EntryStatus::Submitted,
            approved: false,
            decision_note: None,
            source: "app".into(),
            external_id: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
        }
    }
}

impl Owner {
    /// How screens name the person: their name, else their email, else their subject.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| self.subject.clone())
    }
}

/// `POST /api/timesheets`: the seed's `{"project", "date", "hours"}` works as is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewEntry {
    /// A client-chosen UUID makes a retried create idempotent.
    #[serde(default)]
    pub id: Option<String>,
    /// A project code, or a project's exact name (the seed sends names).
    pub project: String,
    /// `YYYY-MM-DD`, or an ISO date-time whose date part is taken.
    pub date: String,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub minutes: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
    /// `draft`, or `submitted` (the default, as in the seed: it awaits approval).
    #[serde(default)]
    pub status: Option<String>,
}

/// A [`NewEntry`] whose fields are valid.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDraft {
    pub id: Option<EntryId>,
    /// As given: resolved to a project (by code, then by name) by the server.
    pub project: String,
    pub date: WorkDate,
    pub minutes: Minutes,
    pub note: Option<Note>,
    pub status: EntryStatus,
}

impl NewEntry {
    pub fn parse(self) -> Result<EntryDraft, ValidationError> {
        let id = self.id.as_deref().map(EntryId::parse).transpose()?;
        let project = self.project.trim().to_owned();
        if project.is_empty() {
            return Err(ValidationError::new("project", "is required"));
        }
        let date = WorkDate::parse(&self.date)?;
        let minutes = match (self.minutes, self.hours) {
            (Some(minutes), None) => Minutes::new(minutes)?,
            (None, Some(hours)) => Minutes::from_hours(hours)?,
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    "minutes",
                    "give either minutes or hours, not both",
                ))
            }
            (None, None) => return Err(ValidationError::new("minutes", "is required")),
        };
        let note = self.note.as_deref().map(Note::parse).transpose()?.flatten();
        let status = match self.status.as_deref() {
            None => EntryStatus::Submitted,
            Some(status) => match status.parse()? {
                status @ (EntryStatus::Draft | EntryStatus::Submitted) => status,
                _ => {
                    return Err(ValidationError::new(
                        "status",
                        "a new entry is a draft or submitted",
                    ))
                }
            },
        };
        Ok(EntryDraft {
            id,
            project,
            date,
            minutes,
            note,
            status,
        })
    }
}

/// A project time can be booked on (while it is active; an archived one keeps its
/// entries and refuses new ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    pub code: String,
    pub name: String,
    /// Whom the work is for.
    #[serde(default)]
    pub customer: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    pub colour: Option<String>,
    pub active: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// One row of `POST /api/timesheets/upload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadRow {
    /// The uploader's own id for the row: a retried upload never duplicates it.
    pub external_id: String,
    /// The person, by email ...
    #[serde(default)]
    pub user_email: Option<String>,
    /// ... or by issuer and subject.
    #[serde(default)]
    pub user_issuer: Option<String>,
    #[serde(default)]
    pub user_subject: Option<String>,
    /// A project code.
    pub project: String,
    pub date: String,
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub minutes: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Who an uploaded row is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    Email(String),
    Subject { issuer: String, subject: String },
}

/// An [`UploadRow`] whose fields are valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedUploadRow {
    pub external_id: String,
    pub user: UserRef,
    pub project: ProjectCode,
    pub date: WorkDate,
    pub minutes: Minutes,
    pub note: Option<Note>,
}

impl UploadRow {
    pub fn parse(self) -> Result<ParsedUploadRow, ValidationError> {
        let external_id = self.external_id.trim().to_owned();
        if external_id.is_empty() || external_id.len() > 200 {
            return Err(ValidationError::new(
                "external_id",
                "is required (1-200 characters)",
            ));
        }
        let user = match (self.user_email, self.user_issuer, self.user_subject) {
            (Some(email), None, None) if email.contains('@') => {
                UserRef::Email(email.trim().to_owned())
            }
            (None, Some(issuer), Some(subject)) if !issuer.is_empty() && !subject.is_empty() => {
                UserRef::Subject { issuer, subject }
            }
            _ => {
                return Err(ValidationError::new(
                    "user",
                    "give user_email, or user_issuer and user_subject",
                ))
            }
        };
        let draft = NewEntry {
            id: None,
            project: self.project,
            date: self.date,
            hours: self.hours,
            minutes: self.minutes,
            note: self.note,
            status: None,
        }
        .parse()?;
        Ok(ParsedUploadRow {
            external_id,
            user,
            project: ProjectCode::parse(&draft.project)?,
            date: draft.date,
            minutes: draft.minutes,
            note: draft.note,
        })
    }
}

/// The body of an upload: one row or a list of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum UploadBody {
    Many(Vec<UploadRow>),
    One(Box<UploadRow>),
}

impl UploadBody {
    pub fn into_rows(self) -> Vec<UploadRow> {
        match self {
            UploadBody::Many(rows) => rows,
            UploadBody::One(row) => vec![*row],
        }
    }
}

/// What happened to each uploaded row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadReport {
    pub accepted: Vec<AcceptedRow>,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AcceptedRow {
    /// Position in the request, from 0.
    pub index: usize,
    pub external_id: String,
    pub id: EntryId,
    /// True when an earlier upload already created it (a retry).
    pub duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    pub index: usize,
    pub external_id: Option<String>,
    pub field: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_body() -> NewEntry {
        NewEntry {
            project: "Website".into(),
            date: "2026-11-23".into(),
            hours: Some(7.5),
            ..NewEntry::default()
        }
    }

    #[test]
    fn the_seed_body_parses_into_a_submitted_entry() {
        let draft = seed_body().parse().expect("valid");
        assert_eq!(draft.minutes.get(), 450);
        assert_eq!(draft.status, EntryStatus::Submitted);
        assert_eq!(draft.project, "Website");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: [(NewEntry, &str); 6] = [
            (
                NewEntry {
                    date: "2026-02-30".into(),
                    ..seed_body()
                },
                "date",
            ),
            (
                NewEntry {
                    hours: Some(25.0),
                    ..seed_body()
                },
                "hours",
            ),
            (
                NewEntry {
                    hours: None,
                    ..seed_body()
                },
                "minutes",
            ),
            (
                NewEntry {
                    project: " ".into(),
                    ..seed_body()
                },
                "project",
            ),
            (
                NewEntry {
                    status: Some("approved".into()),
                    ..seed_body()
                },
                "status",
            ),
            (
                NewEntry {
                    id: Some("not-a-uuid".into()),
                    ..seed_body()
                },
                "id",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(body.parse().map_err(|e| e.field), Err(field));
        }
    }
}

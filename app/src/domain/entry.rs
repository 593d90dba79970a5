//! A time entry's values and the rules of its life cycle.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// Most minutes one person may log on one day, over all their entries.
pub const MAX_MINUTES_PER_DAY: u32 = 24 * 60;

/// At most 24 h per person and day: the day's total with `adding` more minutes on top of
/// the `logged` ones, or `None` when that would be over.
pub fn day_total_with(logged: u32, adding: u32) -> Option<u32> {
    logged
        .checked_add(adding)
        .filter(|total| *total <= MAX_MINUTES_PER_DAY)
}

/// An entry's id: a UUID, which the client may choose so an offline retry is idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntryId(uuid::Uuid);

impl EntryId {
    pub fn parse(value: &str) -> Result<EntryId, ValidationError> {
        uuid::Uuid::try_parse(value.trim())
            .ok()
            .filter(|id| !id.is_nil())
            .map(EntryId)
            .ok_or_else(|| ValidationError::new("id", "expected a UUID"))
    }

    pub fn from_uuid(id: uuid::Uuid) -> EntryId {
        EntryId(id)
    }

    pub fn uuid(self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lower-case hyphenated: one spelling, so ids compare as text in the database.
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for EntryId {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        EntryId::parse(value)
    }
}

impl TryFrom<String> for EntryId {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        EntryId::parse(&value)
    }
}

impl From<EntryId> for String {
    fn from(value: EntryId) -> String {
        value.to_string()
    }
}

/// A number of minutes as `h:mm` (a day's or a week's total).
pub fn clock(minutes: u32) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// How long one entry is: 1 to 1440 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Minutes(u16);

impl Minutes {
    pub fn new(minutes: u32) -> Result<Minutes, ValidationError> {
        if (1..=MAX_MINUTES_PER_DAY).contains(&minutes) {
            // In range, so it fits in a u16.
            Ok(Minutes(minutes as u16))
        } else {
            Err(ValidationError::new(
                "minutes",
                "must be between 1 minute and 24 hours",
            ))
        }
    }

    /// As a clock duration, `1:30`.
    pub fn clock(self) -> String {
        clock(u32::from(self.0))
    }

    /// Decimal hours as the seed's clients send them (`7.5`), rounded to the minute.
    pub fn from_hours(hours: f64) -> Result<Minutes, ValidationError> {
        let out_of_range = || ValidationError::new("hours", HOURS_RANGE);
        if !hours.is_finite() || hours <= 0.0 || hours > 24.0 {
            return Err(out_of_range());
        }
        let minutes = (hours * 60.0).round() as u32;
        Minutes::new(minutes).map_err(|_| out_of_range())
    }

    /// A duration as people type it: decimal hours (`1.5`, `7,5`), `h:mm` (`1:30`), or
    /// with units (`90m`, `2h`, `1h30m`, `1h 30min`).
    pub fn parse_duration(text: &str) -> Result<Minutes, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "duration",
                "write hours (1.5), h:mm (1:30) or with units (90m, 1h30m)",
            )
        };
        let text = text.trim().to_ascii_lowercase().replace(' ', "");
        if text.is_empty() {
            return Err(invalid());
        }
        let whole = |digits: &str| -> Result<u32, ValidationError> {
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid());
            }
            digits.parse().map_err(|_| invalid())
        };
        let minutes = if let Some((hours, minutes)) = text.split_once(':') {
            if minutes.len() != 2 || whole(minutes)? >= 60 {
                return Err(invalid());
            }
            whole(hours)? * 60 + whole(minutes)?
        } else if let Some(rest) = text.strip_suffix("min").or_else(|| text.strip_suffix('m')) {
            match rest.split_once('h') {
                Some((hours, minutes)) => {
                    let minutes = whole(minutes)?;
                    if minutes >= 60 {
                        return Err(invalid());
                    }
                    whole(hours)? * 60 + minutes
                }
                None => whole(rest)?,
            }
        } else {
            let hours = text.strip_suffix('h').unwrap_or(&text).replace(',', ".");
            let valid = !hours.is_empty()
                && hours.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && hours.matches('.').count() <= 1;
            if !valid {
                return Err(invalid());
            }
            return decimal_hours_in_minutes(&hours)
                .ok_or_else(invalid)?
                .and_then(Minutes::new)
                .map_err(|_| ValidationError::new("duration", HOURS_RANGE));
        };
        Minutes::new(minutes).map_err(|error| ValidationError::new("duration", error.message))
    }

    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// The decimal hours of the seed's `hours` field.
    pub fn hours(self) -> f64 {
        f64::from(self.0) / 60.0
    }
}

const HOURS_RANGE: &str = "must be more than 0 and at most 24";

/// Decimal hours typed as digits with at most one `.` (`7.5`, `.25`, `8.`), in minutes
/// rounded half up, computed exactly: `None` if it is not such a number, `Some(Err)` when
/// it is more than 24 hours. No float parsing: its tables would be in every phone's first
/// download (docs/BENCHMARKS.md#bundle-size-and-first-load), and decimal arithmetic
/// rounds half minutes the way people expect (0.175 h is 10.5 min: 11).
fn decimal_hours_in_minutes(text: &str) -> Option<Result<u32, ValidationError>> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let is_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !is_digits(whole)
        || !is_digits(fraction)
        || fraction.len() > 9
    {
        return None;
    }
    let out_of_range = || Some(Err(ValidationError::new("duration", HOURS_RANGE)));
    let whole = whole.trim_start_matches('0');
    if whole.len() > 2 {
        return out_of_range();
    }
    // At most 99 and 9 decimals: hours × 10^9 fits in a u64, and so does that × 120.
    let number = |digits: &str| {
        digits
            .bytes()
            .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'))
    };
    let scale = 10u64.pow(fraction.len() as u32);
    let scaled_hours = number(whole) * scale + number(fraction);
    if scaled_hours > 24 * scale {
        return out_of_range();
    }
    // round(hours × 60) = floor((hours × 60 × 2 + 1) / 2), in units of 1/scale.
    let minutes = (scaled_hours * 120 + scale) / (2 * scale);
    Some(Ok(minutes as u32))
}

impl TryFrom<u32> for Minutes {
    type Error = ValidationError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Minutes::new(value)
    }
}

impl From<Minutes> for u32 {
    fn from(value: Minutes) -> u32 {
        value.get()
    }
}

/// An optional free-text note: trimmed, at most 500 characters, no control characters
/// other than line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Note(String);

impl Note {
    pub const MAX_CHARS: usize = 500;

    /// `None` for an empty or blank note.
    pub fn parse(value: &str) -> Result<Option<Note>, ValidationError> {
        Note::parse_field("note", value)
    }

    /// As [`Note::parse`], for a field of another name (a manager's decision note).
    /// A manager's reason for rejecting an entry: required, so its owner knows what to fix.
    pub fn rejection_reason(value: &str) -> Result<Note, ValidationError> {
        Note::parse_field("note", value)?
            .ok_or_else(|| ValidationError::new("note", "say why the entry is rejected"))
    }

    pub fn parse_field(field: &'static str, value: &str) -> Result<Option<Note>, ValidationError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > Note::MAX_CHARS {
            return Err(ValidationError::new(
                field,
                format!("at most {} characters", Note::MAX_CHARS),
            ));
        }
        if value
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(ValidationError::new(field, "contains control characters"));
        }
        Ok(Some(Note(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Note {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Note::parse(&value)?.ok_or_else(|| ValidationError::new("note", "is empty"))
    }
}

impl From<Note> for String {
    fn from(value: Note) -> String {
        value.0
    }
}

/// Where an entry is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EntryStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
}

/// Something that changes an entry's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The owner sends the entry for approval.
    Submit,
    /// A manager accepts it; it is locked from then on.
    Approve,
    /// A manager sends it back with a note; the owner may edit and resubmit it.
    Reject,
    /// The manager who just decided takes the decision back (the server allows it for a
    /// few seconds): the entry awaits a decision again.
    Undo,
}

impl Transition {
    /// How the audit trail names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Approve => "approve",
            Transition::Reject => "reject",
            Transition::Undo => "undo",
        }
    }

    /// "submitted", "approved", "rejected".
    const fn done(self) -> &'static str {
        match self {
            Transition::Submit => "submitted",
            Transition::Approve => "approved",
            Transition::Reject => "rejected",
            Transition::Undo => "undone",
        }
    }
}

impl EntryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Submitted => "submitted",
            EntryStatus::Approved => "approved",
            EntryStatus::Rejected => "rejected",
        }
    }

    /// The status after `transition`, or why it is not allowed: the life cycle's one rule
    /// book, `draft → submitted → approved | rejected`, `rejected → submitted`, and a
    /// decision undone: `approved | rejected → submitted`.
    pub fn apply(self, transition: Transition) -> Result<EntryStatus, String> {
        use EntryStatus::*;
        match (self, transition) {
            (Draft | Rejected, Transition::Submit) => Ok(Submitted),
            (Submitted, Transition::Approve) => Ok(Approved),
            (Submitted, Transition::Reject) => Ok(Rejected),
            (Approved | Rejected, Transition::Undo) => Ok(Submitted),
            (status, transition) => Err(format!(
                "a {} entry cannot be {}",
                status.as_str(),
                transition.done()
            )),
        }
    }

    /// Whether the owner may still change the entry's date, project, duration or note.
    /// A submitted entry may be corrected until a manager decides: the change takes it back
    /// from approval (it is a draft again, to be submitted with its week), and a manager's
    /// decision made on what it was before is refused as stale.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            EntryStatus::Draft | EntryStatus::Submitted | EntryStatus::Rejected
        )
    }

    /// Whether the owner may delete the entry (not once it awaits or has a decision).
    pub fn is_deletable(self) -> bool {
        matches!(self, EntryStatus::Draft | EntryStatus::Rejected)
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryStatus {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "draft" => Ok(EntryStatus::Draft),
            "submitted" => Ok(EntryStatus::Submitted),
            "approved" => Ok(EntryStatus::Approved),
            "rejected" => Ok(EntryStatus::Rejected),
            _ => Err(ValidationError::new(
                "status",
                "expected draft, submitted, approved or rejected",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_type_them() {
        for (text, minutes) in [
            ("1.5", 90),
            ("7,5", 450),
            ("8", 480),
            ("2h", 120),
            ("1:30", 90),
            ("0:05", 5),
            ("90m", 90),
            ("90 min", 90),
            ("1h30m", 90),
            ("1h 30min", 90),
            (" 24:00 ", 1440),
            (".25", 15),
            ("8.", 480),
            ("007.5", 450),
            ("0.175", 11),
            ("24.000000000", 1440),
        ] {
            assert_eq!(
                Minutes::parse_duration(text).map(Minutes::get),
                Ok(minutes),
                "{text:?}"
            );
        }
        for bad in [
            "",
            "0",
            "0:00",
            "24:01",
            "1:3",
            "1:60",
            "1h60m",
            "abc",
            "-1",
            "1..5",
            "m",
            "25h",
            "1.5.5",
            ".",
            "24.01",
            "100",
            "0.0001",
            "1.0000000001",
            "1e1",
            "+1",
        ] {
            let error = Minutes::parse_duration(bad).expect_err(bad);
            assert_eq!(error.field, "duration", "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn durations_show_as_a_clock() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(270), "4:30");
        assert_eq!(Minutes::new(105).expect("valid").clock(), "1:45");
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        for blank in ["", "   "] {
            assert_eq!(Note::rejection_reason(blank).unwrap_err().field, "note");
        }
        assert_eq!(
            Note::rejection_reason(" Which client? ")
                .expect("valid")
                .as_str(),
            "Which client?"
        );
    }

    #[test]
    fn minutes_are_between_one_and_a_day() {
        assert!(Minutes::new(0).is_err());
        assert_eq!(Minutes::new(1).map(Minutes::get), Ok(1));
        assert_eq!(Minutes::new(1440).map(Minutes::get), Ok(1440));
        assert!(Minutes::new(1441).is_err());
    }

    #[test]
    fn hours_become_whole_minutes() {
        assert_eq!(Minutes::from_hours(7.5).map(Minutes::get), Ok(450));
        assert_eq!(Minutes::from_hours(0.25).map(Minutes::get), Ok(15));
        assert_eq!(Minutes::from_hours(24.0).map(Minutes::get), Ok(1440));
        for bad in [0.0, -1.0, 24.01, f64::NAN, f64::INFINITY, 0.001] {
            assert_eq!(
                Minutes::from_hours(bad).map_err(|e| e.field),
                Err("hours"),
                "{bad}"
            );
        }
    }

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(Note::parse("  "), Ok(None));
        assert_eq!(
            Note::parse("  client call \n").unwrap().unwrap().as_str(),
            "client call"
        );
        assert!(Note::parse(&"é".repeat(500)).unwrap().is_some());
        assert!(Note::parse(&"é".repeat(501)).is_err());
        assert!(Note::parse("bell\u{7}").is_err());
    }

    #[test]
    fn entry_ids_are_non_nil_uuids_in_one_spelling() {
        let id = EntryId::parse("5F0C3C8E-9B1A-4C1E-8F7A-2B3C4D5E6F70").unwrap();
        assert_eq!(id.to_string(), "5f0c3c8e-9b1a-4c1e-8f7a-2b3c4d5e6f70");
        assert!(EntryId::parse("00000000-0000-0000-0000-000000000000").is_err());
        assert!(EntryId::parse("42").is_err());
    }

    #[test]
    fn the_life_cycle_allows_only_its_transitions() {
        use EntryStatus::*;
        use Transition::*;
        let allowed = [
            (Draft, Submit, Submitted),
            (Rejected, Submit, Submitted),
            (Submitted, Approve, Approved),
            (Submitted, Reject, Rejected),
            (Approved, Undo, Submitted),
            (Rejected, Undo, Submitted),
        ];
        for status in [Draft, Submitted, Approved, Rejected] {
            for transition in [Submit, Approve, Reject, Undo] {
                let expected = allowed
                    .iter()
                    .find(|(from, via, _)| *from == status && *via == transition)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    status.apply(transition).ok(),
                    expected,
                    "{status} via {transition:?}"
                );
            }
        }
        assert!(!Approved.is_editable() && Submitted.is_editable());
        assert!(Draft.is_editable() && Rejected.is_editable());
        assert!(!Approved.is_deletable() && !Submitted.is_deletable());
        assert!(Draft.is_deletable() && Rejected.is_deletable());
    }

    #[test]
    fn a_day_holds_at_most_24_hours() {
        assert_eq!(day_total_with(0, 1440), Some(1440));
        assert_eq!(day_total_with(1000, 440), Some(1440));
        assert_eq!(day_total_with(1000, 441), None);
        assert_eq!(day_total_with(u32::MAX, 1), None);
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn any_minutes_in_range_are_accepted_and_others_refused(minutes in 0u32..3000) {
                prop_assert_eq!(Minutes::new(minutes).is_ok(), (1..=1440).contains(&minutes));
            }

            #[test]
            fn typed_decimal_hours_agree_with_the_api_hours(hundredths in 1u32..=2400) {
                // Hundredths: exact in decimal, and never a half minute (0.01 h = 0.6 min).
                let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
                let hours = f64::from(hundredths) / 100.0;
                prop_assert_eq!(
                    Minutes::parse_duration(&text).map(Minutes::get),
                    Minutes::from_hours(hours).map(Minutes::get)
                );
            }

            #[test]
            fn hours_round_to_the_nearest_minute(quarter_hours in 1u32..=96) {
                let hours = f64::from(quarter_hours) / 4.0;
                prop_assert_eq!(Minutes::from_hours(hours).map(Minutes::get), Ok(quarter_hours * 15));
            }
        }
    }
}

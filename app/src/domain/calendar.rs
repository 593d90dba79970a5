//! Days and ISO weeks (Monday first): the units the app shows and submits.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use time::{Date, Month, Weekday};

use super::ValidationError;

/// A calendar day on which work was done, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkDate(Date);

impl WorkDate {
    /// The first and last days the domain accepts.
    pub const EARLIEST: WorkDate = WorkDate(time::macros::date!(2000 - 01 - 01));
    pub const LATEST: WorkDate = WorkDate(time::macros::date!(2999 - 12 - 31));

    /// Parses `YYYY-MM-DD`, or an RFC 3339 date-time whose date part is taken as written
    /// (what a JavaScript client sends with `toISOString()`).
    pub fn parse(value: &str) -> Result<WorkDate, ValidationError> {
        let invalid = || ValidationError::new("date", "expected a date like 2026-11-23");
        let value = value.trim();
        let date_part = match value.split_once('T') {
            Some((date, _)) => {
                time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| invalid())?;
                date
            }
            None => value,
        };
        let mut fields = date_part.splitn(3, '-');
        let (Some(year), Some(month), Some(day)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(invalid());
        };
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u8 = month.parse().map_err(|_| invalid())?;
        let day: u8 = day.parse().map_err(|_| invalid())?;
        let month = Month::try_from(month).map_err(|_| invalid())?;
        if !(2000..=2999).contains(&year) {
            return Err(ValidationError::new(
                "date",
                "the year must be between 2000 and 2999",
            ));
        }
        Date::from_calendar_date(year, month, day)
            .map(WorkDate)
            .map_err(|_| invalid())
    }

    pub fn from_date(date: Date) -> WorkDate {
        WorkDate(date)
    }

    pub fn date(self) -> Date {
        self.0
    }

    pub fn week(self) -> IsoWeek {
        let (year, week, _) = self.0.to_iso_week_date();
        IsoWeek { year, week }
    }

    pub fn weekday(self) -> Weekday {
        self.0.weekday()
    }
}

impl fmt::Display for WorkDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl FromStr for WorkDate {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        WorkDate::parse(value)
    }
}

impl TryFrom<String> for WorkDate {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        WorkDate::parse(&value)
    }
}

impl From<WorkDate> for String {
    fn from(value: WorkDate) -> String {
        value.to_string()
    }
}

/// An ISO 8601 week, written `2026-W48`: Monday to Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoWeek {
    year: i32,
    week: u8,
}

impl IsoWeek {
    pub fn parse(value: &str) -> Result<IsoWeek, ValidationError> {
        let invalid = || ValidationError::new("week", "expected an ISO week like 2026-W48");
        let (year, week) = value.trim().split_once("-W").ok_or_else(invalid)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let week: u8 = week.parse().map_err(|_| invalid())?;
        if !(2000..=2999).contains(&year) {
            return Err(invalid());
        }
        // Week 53 exists only in some years: the calendar decides.
        Date::from_iso_week_date(year, week, Weekday::Monday).map_err(|_| invalid())?;
        Ok(IsoWeek { year, week })
    }

    pub fn monday(self) -> WorkDate {
        // `parse` and `WorkDate::week` only build weeks that exist.
        WorkDate(
            Date::from_iso_week_date(self.year, self.week, Weekday::Monday).unwrap_or(Date::MIN),
        )
    }

    pub fn sunday(self) -> WorkDate {
        WorkDate(self.monday().0.saturating_add(time::Duration::days(6)))
    }

    /// Its number in its ISO year (1 to 53).
    pub fn number(self) -> u8 {
        self.week
    }

    /// The week `weeks` later (earlier when negative).
    pub fn plus_weeks(self, weeks: i64) -> IsoWeek {
        WorkDate(self.monday().0.saturating_add(time::Duration::weeks(weeks))).week()
    }

    /// Monday to Sunday.
    pub fn days(self) -> impl Iterator<Item = WorkDate> {
        let monday = self.monday().0;
        (0..7).map(move |offset| WorkDate(monday.saturating_add(time::Duration::days(offset))))
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

impl FromStr for IsoWeek {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        IsoWeek::parse(value)
    }
}

impl TryFrom<String> for IsoWeek {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        IsoWeek::parse(&value)
    }
}

impl From<IsoWeek> for String {
    fn from(value: IsoWeek) -> String {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_from_plain_dates_and_iso_date_times() {
        for (input, expected) in [
            ("2026-11-23", "2026-11-23"),
            (" 2026-11-23 ", "2026-11-23"),
            ("2026-11-23T09:30:00Z", "2026-11-23"),
            ("2026-11-23T23:59:59.123+01:00", "2026-11-23"),
            ("2028-02-29", "2028-02-29"),
        ] {
            assert_eq!(
                WorkDate::parse(input).map(|d| d.to_string()).as_deref(),
                Ok(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        for input in [
            "",
            "2026-02-30",
            "2027-02-29",
            "2026-13-01",
            "2026-1-5",
            "26-11-23",
            "2026/11/23",
            "2026-11-23T25:00:00Z",
            "2026-11-23Tnonsense",
            "1999-12-31",
            "tomorrow",
        ] {
            let err = WorkDate::parse(input).expect_err(input);
            assert_eq!(err.field, "date");
        }
    }

    #[test]
    fn weeks_start_on_monday_and_cross_years() {
        let week = WorkDate::parse("2027-01-01").unwrap().week();
        assert_eq!(week.to_string(), "2026-W53");
        assert_eq!(week.monday().to_string(), "2026-12-28");
        assert_eq!(week.sunday().to_string(), "2027-01-03");
        assert_eq!(week.days().count(), 7);
        assert_eq!(
            IsoWeek::parse("2026-W48").unwrap().monday().to_string(),
            "2026-11-23"
        );
    }

    #[test]
    fn the_next_and_previous_weeks_cross_years() {
        let last = IsoWeek::parse("2026-W53").expect("2026 has 53 weeks");
        assert_eq!(last.plus_weeks(1).to_string(), "2027-W01");
        assert_eq!(last.plus_weeks(1).plus_weeks(-1), last);
        assert_eq!(
            IsoWeek::parse("2025-W01")
                .expect("valid")
                .plus_weeks(-1)
                .to_string(),
            "2024-W52"
        );
    }

    #[test]
    fn weeks_that_do_not_exist_are_refused() {
        for input in [
            "2025-W53", "2026-W00", "2026-W54", "2026W48", "2026-W4", "x",
        ] {
            assert!(IsoWeek::parse(input).is_err(), "{input}");
        }
        assert!(IsoWeek::parse("2026-W53").is_ok());
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn every_valid_date_round_trips_and_lies_in_its_week(days in 0i64..365 * 900) {
                let date = Date::from_calendar_date(2000, Month::January, 1).unwrap()
                    + time::Duration::days(days);
                let work_date = WorkDate::from_date(date);
                prop_assert_eq!(WorkDate::parse(&work_date.to_string()), Ok(work_date));
                let week = work_date.week();
                prop_assert_eq!(IsoWeek::parse(&week.to_string()), Ok(week));
                prop_assert!(week.monday() <= work_date && work_date <= week.sunday());
            }

            #[test]
            fn parsing_arbitrary_text_never_panics(input in ".{0,40}") {
                let _ = WorkDate::parse(&input);
                let _ = IsoWeek::parse(&input);
            }
        }
    }
}

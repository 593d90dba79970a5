//! The manager's week (or month) at a glance: everyone's hours per person, per day and per
//! project, and the working days someone logged nothing on. Pure: the server builds it
//! from the entries, the app draws it.

use std::{collections::BTreeMap, fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use time::{Date, Month, Weekday};

use crate::{
    domain::{IsoWeek, ValidationError, WorkDate},
    entries::{Entry, Project},
};

/// How far back someone counts as part of the team: a person who logged time in the four
/// weeks before the period shows in it, even with nothing logged (that is the point).
pub const ACTIVE_DAYS_BEFORE: i64 = 28;

/// An ISO week (`2026-W49`) or a calendar month (`2026-12`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Week(IsoWeek),
    Month { year: i32, month: Month },
}

impl Period {
    pub fn parse(value: &str) -> Result<Period, ValidationError> {
        let value = value.trim();
        if value.contains("-W") {
            return IsoWeek::parse(value)
                .map(Period::Week)
                .map_err(|_| invalid());
        }
        let (year, month) = value.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u8 = month.parse().map_err(|_| invalid())?;
        let month = Month::try_from(month).map_err(|_| invalid())?;
        // The same years as a work date.
        WorkDate::parse(&format!("{year:04}-{:02}-01", month as u8)).map_err(|_| invalid())?;
        Ok(Period::Month { year, month })
    }

    /// The week or month holding `day`.
    pub fn week_of(day: WorkDate) -> Period {
        Period::Week(day.week())
    }

    pub fn month_of(day: WorkDate) -> Period {
        Period::Month {
            year: day.date().year(),
            month: day.date().month(),
        }
    }

    pub fn first(self) -> WorkDate {
        match self {
            Period::Week(week) => week.monday(),
            Period::Month { year, month } => {
                WorkDate::from_date(Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN))
            }
        }
    }

    pub fn last(self) -> WorkDate {
        match self {
            Period::Week(week) => week.sunday(),
            Period::Month { year, month } => WorkDate::from_date(
                Date::from_calendar_date(year, month, time::util::days_in_month(month, year))
                    .unwrap_or(Date::MIN),
            ),
        }
    }

    pub fn days(self) -> Vec<WorkDate> {
        let (first, last) = (self.first().date(), self.last().date());
        std::iter::successors(Some(first), |day| day.next_day())
            .take_while(|day| *day <= last)
            .map(WorkDate::from_date)
            .collect()
    }

    /// The period before (`-1`) or after (`1`) this one, of the same kind.
    pub fn step(self, by: i64) -> Period {
        match self {
            Period::Week(week) => Period::Week(week.plus_weeks(by)),
            Period::Month { year, month } => {
                let index = i64::from(year) * 12 + i64::from(month as u8 - 1) + by;
                let year = i32::try_from(index.div_euclid(12)).unwrap_or(year);
                let month = u8::try_from(index.rem_euclid(12) + 1)
                    .ok()
                    .and_then(|month| Month::try_from(month).ok())
                    .unwrap_or(month);
                Period::Month { year, month }
            }
        }
    }

    pub fn is_week(self) -> bool {
        matches!(self, Period::Week(_))
    }
}

fn invalid() -> ValidationError {
    ValidationError::new(
        "period",
        "expected a week like 2026-W49 or a month like 2026-12",
    )
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week(week) => week.fmt(f),
            Period::Month { year, month } => write!(f, "{year:04}-{:02}", *month as u8),
        }
    }
}

impl FromStr for Period {
    type Err = ValidationError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Period::parse(value)
    }
}

impl TryFrom<String> for Period {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Period::parse(&value)
    }
}

impl From<Period> for String {
    fn from(value: Period) -> String {
        value.to_string()
    }
}

/// One project's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectHours {
    pub code: String,
    pub name: String,
    /// `#rrggbb`, as the project is set up.
    pub colour: Option<String>,
    pub minutes: u32,
}

/// One person's time in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonHours {
    pub name: String,
    pub minutes: u32,
    /// Minutes per day of the period, in order.
    pub per_day: Vec<u32>,
    /// Most time first.
    pub projects: Vec<ProjectHours>,
    /// Working days (Monday to Friday) up to today with nothing logged.
    pub missing: Vec<WorkDate>,
}

/// Everyone's time in a period: drawn as a chart with the numbers beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamHours {
    pub period: Period,
    pub days: Vec<WorkDate>,
    /// By name.
    pub people: Vec<PersonHours>,
    /// Everyone's time per project, most first.
    pub projects: Vec<ProjectHours>,
    pub minutes: u32,
}

impl TeamHours {
    /// The largest day of anyone (the scale of the day chart), at least 8 h.
    pub fn longest_day(&self) -> u32 {
        self.people
            .iter()
            .flat_map(|person| person.per_day.iter().copied())
            .max()
            .unwrap_or(0)
            .max(8 * 60)
    }
}

/// Builds the overview of `period` from everyone's `entries` of the period and of the
/// [`ACTIVE_DAYS_BEFORE`] days before it (any status: what was logged, decided or not);
/// `today` ends the days that can be missing; `projects` give the colours.
pub fn team_hours(
    entries: &[Entry],
    period: Period,
    today: WorkDate,
    projects: &[Project],
) -> TeamHours {
    let days = period.days();
    let (first, last) = (period.first(), period.last());
    let colour = |code: &str| {
        projects
            .iter()
            .find(|project| project.code == code)
            .and_then(|project| project.colour.clone())
    };
    // Keyed by (issuer, subject): two people may share a name.
    let mut people: BTreeMap<(&str, &str), PersonHours> = BTreeMap::new();
    let mut totals: Vec<ProjectHours> = Vec::new();
    for entry in entries {
        let person = people
            .entry((&entry.owner.issuer, &entry.owner.subject))
            .or_insert_with(|| PersonHours {
                name: entry.owner.display_name(),
                minutes: 0,
                per_day: vec![0; days.len()],
                projects: Vec::new(),
                missing: Vec::new(),
            });
        if entry.date < first || entry.date > last {
            continue;
        }
        let minutes = entry.minutes.get();
        let day = (entry.date.date() - first.date()).whole_days();
        if let Some(slot) = usize::try_from(day)
            .ok()
            .and_then(|day| person.per_day.get_mut(day))
        {
            *slot += minutes;
        }
        person.minutes += minutes;
        let code = entry.project.to_string();
        for list in [&mut person.projects, &mut totals] {
            match list.iter_mut().find(|project| project.code == code) {
                Some(project) => project.minutes += minutes,
                None => list.push(ProjectHours {
                    code: code.clone(),
                    name: entry.project_name.clone(),
                    colour: colour(&code),
                    minutes,
                }),
            }
        }
    }
    let mut people: Vec<PersonHours> = people.into_values().collect();
    for person in &mut people {
        person.missing = days
            .iter()
            .zip(&person.per_day)
            .filter(|(day, minutes)| {
                **minutes == 0
                    && **day <= today
                    && !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
            })
            .map(|(day, _)| *day)
            .collect();
        person
            .projects
            .sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.name.cmp(&b.name)));
    }
    people.sort_by(|a, b| a.name.cmp(&b.name));
    totals.sort_by(|a, b| b.minutes.cmp(&a.minutes).then(a.name.cmp(&b.name)));
    TeamHours {
        period,
        minutes: people.iter().map(|person| person.minutes).sum(),
        days,
        people,
        projects: totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(who: &str, date: &str, code: &str, minutes: u32) -> Entry {
        Entry::for_test(who, date, code, minutes)
    }

    fn day(value: &str) -> WorkDate {
        WorkDate::parse(value).unwrap()
    }

    #[test]
    fn periods_parse_and_step() {
        let week = Period::parse("2026-W49").unwrap();
        assert_eq!(week.first(), day("2026-11-30"));
        assert_eq!(week.last(), day("2026-12-06"));
        assert_eq!(week.days().len(), 7);
        assert_eq!(week.step(1).to_string(), "2026-W50");
        let month = Period::parse("2026-12").unwrap();
        assert_eq!(month.days().len(), 31);
        assert_eq!(month.step(1).to_string(), "2027-01");
        assert_eq!(month.step(-12).to_string(), "2025-12");
        assert_eq!(Period::parse("2028-02").unwrap().last(), day("2028-02-29"));
        for bad in [
            "", "2026", "2026-13", "2026-1", "1999-12", "2026-W54", "12-2026",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&month).unwrap();
        assert_eq!(json, "\"2026-12\"");
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), month);
    }

    #[test]
    fn hours_add_up_per_person_day_and_project_and_missing_days_show() {
        let week = Period::parse("2026-W49").unwrap();
        let entries = [
            entry("ann", "2026-11-30", "ACME", 240),
            entry("ann", "2026-11-30", "BETA", 180),
            entry("ann", "2026-12-01", "ACME", 480),
            entry("bob", "2026-12-02", "BETA", 60),
            // Before the period: Carl is on the team, with nothing logged this week.
            entry("carl", "2026-11-20", "ACME", 60),
        ];
        let projects = [Project {
            code: "ACME".into(),
            name: "acme".into(),
            customer: None,
            colour: Some("#336699".into()),
            active: true,
        }];
        // Thursday: Friday is still to come.
        let hours = team_hours(&entries, week, day("2026-12-03"), &projects);
        assert_eq!(hours.minutes, 960);
        let names: Vec<_> = hours.people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ann", "bob", "carl"]);
        let ann = &hours.people[0];
        assert_eq!(ann.per_day, [420, 480, 0, 0, 0, 0, 0]);
        assert_eq!(ann.projects[0].code, "ACME");
        assert_eq!(ann.projects[0].minutes, 720);
        assert_eq!(ann.projects[0].colour.as_deref(), Some("#336699"));
        assert_eq!(ann.missing, [day("2026-12-02"), day("2026-12-03")]);
        let carl = &hours.people[2];
        assert_eq!(carl.minutes, 0);
        assert_eq!(carl.missing.len(), 4);
        assert_eq!(hours.projects[0].code, "ACME");
        assert_eq!(hours.projects[1].minutes, 240);
        assert_eq!(hours.longest_day(), 480);
    }
}

//! What a manager reviews: submitted entries grouped into one person's week, and what
//! that week comes to at a glance (total, days, projects, anything unusual).

use std::collections::BTreeMap;

use crate::{
    domain::{IsoWeek, WorkDate},
    entries::Entry,
};

/// A day longer than this (10 h) is pointed out.
pub const LONG_DAY_MINUTES: u32 = 600;

/// One person's submitted entries of one week, by date.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonWeek {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub week: IsoWeek,
    pub entries: Vec<Entry>,
}

/// What a week comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub minutes: u32,
    /// Days with time logged.
    pub days: usize,
    /// Project names, most time first.
    pub projects: Vec<String>,
    /// Days over [`LONG_DAY_MINUTES`].
    pub long_days: Vec<WorkDate>,
    /// Entries sent back before and submitted again (they still carry the manager's note).
    pub resubmitted: usize,
}

/// Groups entries by person and week: weeks in order, people by name within a week.
pub fn by_person_week(entries: Vec<Entry>) -> Vec<PersonWeek> {
    let mut groups: Vec<PersonWeek> = Vec::new();
    for entry in entries {
        let week = entry.date.week();
        let found = groups.iter_mut().find(|group| {
            group.issuer == entry.owner.issuer
                && group.subject == entry.owner.subject
                && group.week == week
        });
        match found {
            Some(group) => group.entries.push(entry),
            None => groups.push(PersonWeek {
                name: entry.owner.display_name(),
                issuer: entry.owner.issuer.clone(),
                subject: entry.owner.subject.clone(),
                week,
                entries: vec![entry],
            }),
        }
    }
    groups.sort_by(|a, b| (a.week, &a.name).cmp(&(b.week, &b.name)));
    for group in &mut groups {
        group.entries.sort_by_key(|entry| entry.date);
    }
    groups
}

impl PersonWeek {
    pub fn summary(&self) -> Summary {
        let mut per_day: BTreeMap<WorkDate, u32> = BTreeMap::new();
        let mut per_project: Vec<(String, u32)> = Vec::new();
        for entry in &self.entries {
            let minutes = entry.minutes.get();
            *per_day.entry(entry.date).or_default() += minutes;
            match per_project
                .iter_mut()
                .find(|(name, _)| *name == entry.project_name)
            {
                Some((_, total)) => *total += minutes,
                None => per_project.push((entry.project_name.clone(), minutes)),
            }
        }
        // Stable: projects with equal time keep the order they first appear in.
        per_project.sort_by_key(|(_, minutes)| std::cmp::Reverse(*minutes));
        Summary {
            minutes: per_day.values().sum(),
            days: per_day.len(),
            projects: per_project.into_iter().map(|(name, _)| name).collect(),
            long_days: per_day
                .into_iter()
                .filter(|(_, minutes)| *minutes > LONG_DAY_MINUTES)
                .map(|(day, _)| day)
                .collect(),
            resubmitted: self
                .entries
                .iter()
                .filter(|entry| entry.decision_note.is_some())
                .count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{EntryId, EntryStatus, Minutes, ProjectCode},
        entries::Owner,
    };

    fn entry(who: &str, date: &str, project: &str, minutes: u32) -> Entry {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Entry {
            id: EntryId::from_uuid(uuid::Uuid::from_u128(u128::from(
                NEXT.fetch_add(1, Ordering::Relaxed),
            ))),
            user_id: who.into(),
            owner: Owner {
                issuer: "https://id.example".into(),
                subject: who.into(),
                email: None,
                name: Some(format!("{who} Person")),
            },
            date: WorkDate::parse(date).expect("a date"),
            project: ProjectCode::parse("ACME").expect("a code"),
            project_name: project.into(),
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

    #[test]
    fn entries_group_by_person_and_week_in_order() {
        let groups = by_person_week(vec![
            entry("zoe", "2026-11-24", "Acme", 60),
            entry("amy", "2026-12-01", "Acme", 60),
            entry("zoe", "2026-11-23", "Acme", 60),
            entry("amy", "2026-11-25", "Acme", 60),
        ]);
        let seen: Vec<(String, String, usize)> = groups
            .iter()
            .map(|group| {
                (
                    group.name.clone(),
                    group.week.to_string(),
                    group.entries.len(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("amy Person".to_owned(), "2026-W48".to_owned(), 1),
                ("zoe Person".to_owned(), "2026-W48".to_owned(), 2),
                ("amy Person".to_owned(), "2026-W49".to_owned(), 1),
            ]
        );
        assert!(groups[1].entries[0].date < groups[1].entries[1].date);
    }

    #[test]
    fn a_summary_counts_days_ranks_projects_and_flags_the_unusual() {
        let mut resubmitted = entry("carl", "2026-11-25", "Internal", 120);
        resubmitted.decision_note = Some("Which client?".into());
        let week = by_person_week(vec![
            entry("carl", "2026-11-23", "Acme", 300),
            entry("carl", "2026-11-23", "Internal", 301),
            entry("carl", "2026-11-24", "Acme", 600),
            resubmitted,
        ])
        .remove(0);
        let summary = week.summary();
        assert_eq!(summary.minutes, 1321);
        assert_eq!(summary.days, 3);
        assert_eq!(summary.projects, ["Acme", "Internal"]);
        // 601 minutes on Monday is over 10 h; exactly 10 h on Tuesday is not.
        assert_eq!(
            summary.long_days,
            [WorkDate::parse("2026-11-23").expect("a date")]
        );
        assert_eq!(summary.resubmitted, 1);
    }
}

//! The running timer: started on the week screen, kept on the phone (it survives closing
//! the app, reloads and going offline) and known to the server, so that a person has one
//! timer across their devices. Stopping it makes an entry through the outbox whose id is
//! the timer's: the server ends the timer when that entry arrives, from any device, once.
//!
//! This module holds what crosses the wire and the rules (pure, tested natively); [`store`]
//! keeps the timer in `localStorage` and agrees with the server when it can.

pub mod store;

use serde::{Deserialize, Serialize};

use crate::domain::{EntryId, Note, ProjectCode, ValidationError, WorkDate, MAX_MINUTES_PER_DAY};

/// A timer may have started at most this long ago (a phone that was offline for a
/// fortnight still stops its timer; older is a wrong clock).
pub const MAX_TIMER_AGE_MS: i64 = 31 * 24 * 3600 * 1000;
/// A start this far ahead of the server's clock is a phone's clock running fast.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;

/// The roundings offered for what a timer logs, in minutes.
pub const ROUNDINGS: [u32; 6] = [1, 5, 6, 10, 15, 30];

/// A running timer as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunningTimer {
    /// Made by the device that started it; the entry its stop makes has this id.
    pub id: EntryId,
    pub project: ProjectCode,
    pub project_name: String,
    pub note: Option<String>,
    /// When it started (Unix milliseconds).
    pub started_at: i64,
}

/// `PUT /api/timer`: starts the caller's timer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StartTimer {
    /// A UUID chosen by the device: starting again with the same id is harmless.
    pub id: String,
    /// A project code, or a project's exact name.
    pub project: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Unix milliseconds, by the device's clock.
    pub started_at: i64,
}

/// A [`StartTimer`] whose fields are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerStart {
    pub id: EntryId,
    pub project: String,
    pub note: Option<Note>,
    pub started_at: i64,
}

impl StartTimer {
    /// Checks the fields; `now_ms` is the server's clock.
    pub fn parse(self, now_ms: i64) -> Result<TimerStart, ValidationError> {
        let id = EntryId::parse(&self.id)
            .map_err(|_| ValidationError::new("id", "expected a UUID made by the device"))?;
        let project = self.project.trim().to_owned();
        if project.is_empty() {
            return Err(ValidationError::new("project", "is required"));
        }
        let note = self.note.as_deref().map(Note::parse).transpose()?.flatten();
        if self.started_at > now_ms + MAX_CLOCK_AHEAD_MS {
            return Err(ValidationError::new(
                "started_at",
                "is in the future: check the device's clock",
            ));
        }
        if self.started_at < now_ms - MAX_TIMER_AGE_MS {
            return Err(ValidationError::new(
                "started_at",
                "is more than 31 days ago",
            ));
        }
        Ok(TimerStart {
            id,
            project,
            note,
            started_at: self.started_at,
        })
    }
}

/// A moment on the phone's calendar: the day and the second of that day, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMoment {
    pub day: WorkDate,
    pub second: u32,
}

/// What to log for a timer that ran past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverMidnight {
    /// Only its first day, until midnight (it was forgotten).
    UntilMidnight,
    /// Every day it ran, each as an entry of that day.
    SplitByDay,
}

/// Seconds rounded to the nearest multiple of `step` minutes, at least one step (a timer
/// stopped at once still logs something the person can correct).
pub fn rounded_minutes(seconds: u32, step: u32) -> u32 {
    let step = step.clamp(1, 60);
    let step_seconds = step * 60;
    let steps = (seconds + step_seconds / 2) / step_seconds;
    steps.max(1) * step
}

/// Whether the timer started on an earlier day than `now`'s: the screen asks what to log.
pub fn ran_over_midnight(start: LocalMoment, now: LocalMoment) -> bool {
    now.day > start.day
}

/// The entries (day, minutes) stopping a timer makes, rounded to `step` minutes. Within
/// one day: one entry of `elapsed_seconds` (measured between the two instants, so a day
/// whose clock moves for daylight saving counts what ran). Over midnight: as `over` says;
/// parts that round to nothing are left out, days are capped at 24 hours.
pub fn stop_entries(
    start: LocalMoment,
    end: LocalMoment,
    elapsed_seconds: u32,
    step: u32,
    over: OverMidnight,
) -> Vec<(WorkDate, u32)> {
    let day_seconds = MAX_MINUTES_PER_DAY * 60;
    if end.day <= start.day {
        return vec![(
            start.day,
            rounded_minutes(elapsed_seconds, step).min(MAX_MINUTES_PER_DAY),
        )];
    }
    let mut parts = vec![(start.day, day_seconds.saturating_sub(start.second))];
    if over == OverMidnight::SplitByDay {
        let mut day = start.day.date().next_day();
        while let Some(date) = day.filter(|date| *date < end.day.date()) {
            parts.push((WorkDate::from_date(date), day_seconds));
            day = date.next_day();
        }
        parts.push((end.day, end.second));
    }
    let step_seconds = step.clamp(1, 60) * 60;
    let entries: Vec<(WorkDate, u32)> = parts
        .into_iter()
        .filter(|(_, seconds)| *seconds >= step_seconds / 2)
        .map(|(day, seconds)| (day, rounded_minutes(seconds, step).min(MAX_MINUTES_PER_DAY)))
        .collect();
    if entries.is_empty() {
        vec![(start.day, step.clamp(1, 60))]
    } else {
        entries
    }
}

/// "1:05:09": how long a timer has run.
pub fn elapsed_label(ms: i64) -> String {
    let seconds = (ms.max(0) / 1000) as u64;
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// The timer as this phone keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalTimer {
    /// The signed-in person's subject when it started (or was seen on the server).
    pub owner: String,
    pub timer: RunningTimer,
    /// Whether the server has it (sent from here, or started on another device).
    pub on_server: bool,
    /// Why the server refused it, e.g. another device's timer runs.
    #[serde(default)]
    pub problem: Option<String>,
}

/// What this phone keeps: the timer, and the timers it ended that the server may still
/// show (until it has ended there too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptTimer {
    pub current: Option<LocalTimer>,
    /// Ended here by a stop (its entry waits in the outbox) or a discard.
    #[serde(default)]
    pub ended: Vec<String>,
    /// Ended here, to be ended on the server too (`DELETE /api/timer/{id}`): after a stop
    /// as well, so the timer ends even if the stop's entry never arrives (refused, or
    /// discarded from the outbox), and after a start still on its way.
    #[serde(default)]
    pub to_end: Vec<String>,
}

/// What agreeing with the server's timer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconcile {
    /// Nothing to do.
    Keep,
    /// Show the server's timer (started on another device, or changed there).
    Adopt(RunningTimer),
    /// The timer this phone showed was stopped on another device.
    Clear,
    /// Tell the server about the timer started here.
    Send,
    /// Another device's timer runs, and this phone started one while offline.
    Clash(RunningTimer),
}

impl KeptTimer {
    /// What to do given the server's timer for `owner` (`None`: none runs).
    pub fn reconcile(&self, owner: &str, server: Option<&RunningTimer>) -> Reconcile {
        // A timer ended here whose end has not reached the server yet is ended.
        let server = server.filter(|timer| !self.ended.contains(&timer.id.to_string()));
        let local = self.current.as_ref().filter(|local| local.owner == owner);
        match (local, server) {
            (None, None) => Reconcile::Keep,
            (None, Some(server)) => Reconcile::Adopt(server.clone()),
            (Some(local), Some(server)) if local.timer.id == server.id => {
                if local.on_server && local.timer == *server && local.problem.is_none() {
                    Reconcile::Keep
                } else {
                    Reconcile::Adopt(server.clone())
                }
            }
            // Ours was ended elsewhere and another started there.
            (Some(local), Some(server)) if local.on_server => Reconcile::Adopt(server.clone()),
            (Some(_), Some(server)) => Reconcile::Clash(server.clone()),
            (Some(local), None) if local.on_server => Reconcile::Clear,
            (Some(_), None) => Reconcile::Send,
        }
    }

    /// Ends the current timer here (stopped into entries, or discarded); the server is
    /// told either way.
    pub fn end(&mut self) {
        if let Some(local) = self.current.take() {
            let id = local.timer.id.to_string();
            self.to_end.push(id.clone());
            self.ended.push(id);
        }
    }

    /// The server no longer has a timer among `ended`: forget them.
    pub fn forget_ended(&mut self, server: Option<&RunningTimer>) {
        let still = server.map(|timer| timer.id.to_string());
        self.ended.retain(|id| Some(id) == still.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "7d1c2a52-4b8e-4a57-9b1e-2f3c4d5e6f70";
    const OTHER: &str = "0b6d3c1e-6a7f-4e59-9a51-2f7c0f1d2e3a";

    fn at(day: &str, hour: u32, minute: u32) -> LocalMoment {
        LocalMoment {
            day: WorkDate::parse(day).unwrap(),
            second: hour * 3600 + minute * 60,
        }
    }

    fn day(value: &str) -> WorkDate {
        WorkDate::parse(value).unwrap()
    }

    fn running(id: &str) -> RunningTimer {
        RunningTimer {
            id: EntryId::parse(id).unwrap(),
            project: ProjectCode::parse("ACME").unwrap(),
            project_name: "Acme".into(),
            note: None,
            started_at: 1_000,
        }
    }

    fn kept(id: &str, on_server: bool) -> KeptTimer {
        KeptTimer {
            current: Some(LocalTimer {
                owner: "emma".into(),
                timer: running(id),
                on_server,
                problem: None,
            }),
            ..KeptTimer::default()
        }
    }

    #[test]
    fn minutes_round_to_the_nearest_step_and_at_least_one() {
        assert_eq!(rounded_minutes(0, 1), 1);
        assert_eq!(rounded_minutes(89, 1), 1);
        assert_eq!(rounded_minutes(90, 1), 2);
        assert_eq!(rounded_minutes(7 * 60 + 29, 15), 15);
        assert_eq!(rounded_minutes(22 * 60 + 29, 15), 15);
        assert_eq!(rounded_minutes(22 * 60 + 30, 15), 30);
        assert_eq!(rounded_minutes(62 * 60, 5), 60);
        assert_eq!(rounded_minutes(63 * 60, 5), 65);
    }

    #[test]
    fn a_stop_on_the_same_day_makes_one_rounded_entry() {
        let entries = stop_entries(
            at("2026-12-07", 9, 12),
            at("2026-12-07", 11, 20),
            128 * 60,
            5,
            OverMidnight::UntilMidnight,
        );
        assert_eq!(entries, [(day("2026-12-07"), 130)]);
        // The night the clocks go back: 02:30 to 02:40, an hour over, is 70 minutes.
        let entries = stop_entries(
            at("2026-10-25", 2, 30),
            at("2026-10-25", 2, 40),
            70 * 60,
            1,
            OverMidnight::UntilMidnight,
        );
        assert_eq!(entries, [(day("2026-10-25"), 70)]);
    }

    #[test]
    fn a_timer_forgotten_over_midnight_logs_its_day_or_every_day() {
        let (start, end) = (at("2026-12-07", 17, 0), at("2026-12-09", 8, 30));
        assert!(ran_over_midnight(start, end));
        assert!(!ran_over_midnight(start, at("2026-12-07", 23, 59)));
        assert_eq!(
            stop_entries(start, end, 0, 15, OverMidnight::UntilMidnight),
            [(day("2026-12-07"), 420)]
        );
        assert_eq!(
            stop_entries(start, end, 0, 15, OverMidnight::SplitByDay),
            [
                (day("2026-12-07"), 420),
                (day("2026-12-08"), 1440),
                (day("2026-12-09"), 510),
            ]
        );
        // Stopped a minute after midnight with 15-minute steps: the minute is dropped.
        assert_eq!(
            stop_entries(
                at("2026-12-07", 23, 0),
                at("2026-12-08", 0, 1),
                61 * 60,
                15,
                OverMidnight::SplitByDay
            ),
            [(day("2026-12-07"), 60)]
        );
    }

    #[test]
    fn starts_are_checked() {
        let now = 10 * MAX_TIMER_AGE_MS;
        let start = |id: &str, project: &str, started_at: i64| StartTimer {
            id: id.into(),
            project: project.into(),
            note: Some("  ".into()),
            started_at,
        };
        let ok = start(ID, " ACME ", now - 1000).parse(now).unwrap();
        assert_eq!((ok.project.as_str(), ok.note), ("ACME", None));
        let field = |start: StartTimer| start.parse(now).unwrap_err().field;
        assert_eq!(field(start("42", "ACME", now)), "id");
        assert_eq!(field(start(ID, " ", now)), "project");
        assert_eq!(
            field(start(ID, "ACME", now + MAX_CLOCK_AHEAD_MS + 1)),
            "started_at"
        );
        assert_eq!(
            field(start(ID, "ACME", now - MAX_TIMER_AGE_MS - 1)),
            "started_at"
        );
    }

    #[test]
    fn the_phone_and_the_server_agree_on_one_timer() {
        let none = KeptTimer::default();
        assert_eq!(none.reconcile("emma", None), Reconcile::Keep);
        // Started on another device: shown here.
        assert_eq!(
            none.reconcile("emma", Some(&running(ID))),
            Reconcile::Adopt(running(ID))
        );
        // Started here offline: sent; known to the server: kept.
        assert_eq!(kept(ID, false).reconcile("emma", None), Reconcile::Send);
        assert_eq!(
            kept(ID, true).reconcile("emma", Some(&running(ID))),
            Reconcile::Keep
        );
        // Stopped on another device.
        assert_eq!(kept(ID, true).reconcile("emma", None), Reconcile::Clear);
        // Another device's timer while this phone started one offline.
        assert_eq!(
            kept(ID, false).reconcile("emma", Some(&running(OTHER))),
            Reconcile::Clash(running(OTHER))
        );
        assert_eq!(
            kept(ID, true).reconcile("emma", Some(&running(OTHER))),
            Reconcile::Adopt(running(OTHER))
        );
        // Someone else's timer kept on a shared phone is not theirs to show.
        assert_eq!(kept(ID, true).reconcile("maria", None), Reconcile::Keep);
    }

    #[test]
    fn a_timer_ended_here_stays_ended_until_the_server_agrees() {
        let mut timer = kept(ID, true);
        timer.end();
        assert!(timer.current.is_none());
        // The server is told even after a stop: the timer ends if the entry never arrives.
        assert_eq!(timer.to_end, [ID]);
        // The stop's entry has not reached the server: its timer is not brought back.
        assert_eq!(timer.reconcile("emma", Some(&running(ID))), Reconcile::Keep);
        timer.forget_ended(Some(&running(ID)));
        assert_eq!(timer.ended, [ID]);
        timer.forget_ended(None);
        assert!(timer.ended.is_empty());
        // A start still on its way when the timer ended is ended on the server after it.
        let mut in_flight = kept(ID, false);
        in_flight.end();
        assert_eq!(in_flight.to_end, [ID]);
    }

    #[test]
    fn elapsed_time_reads_as_a_clock() {
        assert_eq!(elapsed_label(0), "0:00:00");
        assert_eq!(elapsed_label(3_909_000), "1:05:09");
        assert_eq!(elapsed_label(-5), "0:00:00");
    }
}

//! Web Push reminders: the server's VAPID key (`keys`), delivery to push services with
//! aes128gcm encryption and a VAPID signature (`sender`, RFC 8030/8291/8292 through the
//! `web-push-native` crate), and the scheduler that sends what is due (`reminders`).

pub mod keys;
pub mod reminders;
pub mod sender;

use std::str::FromStr;

/// A reminder's time of day, `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    pub hour: i8,
    pub minute: i8,
}

impl FromStr for TimeOfDay {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("{value:?} is not a time of day like 09:00");
        let (hour, minute) = value.trim().split_once(':').ok_or_else(invalid)?;
        let hour: i8 = hour.parse().map_err(|_| invalid())?;
        let minute: i8 = minute.parse().map_err(|_| invalid())?;
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
            return Err(invalid());
        }
        Ok(TimeOfDay { hour, minute })
    }
}

/// When the "week not submitted" reminder comes: a weekday and a time (`fri 15:00`), or
/// `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyAt {
    pub weekday: jiff::civil::Weekday,
    pub at: TimeOfDay,
}

/// A reminder's schedule: `None` when turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule<T>(pub Option<T>);

impl FromStr for Schedule<WeeklyAt> {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim().eq_ignore_ascii_case("off") {
            return Ok(Schedule(None));
        }
        let invalid = || format!("{value:?} is not a weekday and time like fri 15:00, or off");
        let (day, at) = value.trim().split_once(' ').ok_or_else(invalid)?;
        use jiff::civil::Weekday::*;
        let weekday = match day.to_ascii_lowercase().get(..3) {
            Some("mon") => Monday,
            Some("tue") => Tuesday,
            Some("wed") => Wednesday,
            Some("thu") => Thursday,
            Some("fri") => Friday,
            Some("sat") => Saturday,
            Some("sun") => Sunday,
            _ => return Err(invalid()),
        };
        Ok(Schedule(Some(WeeklyAt {
            weekday,
            at: at.parse()?,
        })))
    }
}

impl FromStr for Schedule<TimeOfDay> {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim().eq_ignore_ascii_case("off") {
            return Ok(Schedule(None));
        }
        value.parse().map(|at| Schedule(Some(at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_or_say_what_is_expected() {
        let weekly: Schedule<WeeklyAt> = "Fri 15:30".parse().unwrap();
        assert_eq!(
            weekly.0,
            Some(WeeklyAt {
                weekday: jiff::civil::Weekday::Friday,
                at: TimeOfDay {
                    hour: 15,
                    minute: 30
                }
            })
        );
        assert_eq!("off".parse::<Schedule<WeeklyAt>>().unwrap().0, None);
        assert_eq!(
            "09:00".parse::<Schedule<TimeOfDay>>().unwrap().0,
            Some(TimeOfDay { hour: 9, minute: 0 })
        );
        for bad in ["fri", "friday 25:00", "xyz 10:00", "10", "9:60"] {
            assert!(bad.parse::<Schedule<WeeklyAt>>().is_err(), "{bad}");
        }
        assert!("24:00".parse::<Schedule<TimeOfDay>>().is_err());
    }
}

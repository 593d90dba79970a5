//! The reminders scheduler: every `REMINDER_CHECK_SECS` it looks at each subscribed
//! person's local time and sends what is due, each reminder once however many instances
//! run (the first to insert its `reminders_sent` row sends it):
//!
//! - "week": on the configured weekday from the configured time, when the person's week
//!   has drafts or rejected entries, or nothing at all;
//! - "approvals": daily from the configured time, to devices subscribed with
//!   `approve:timesheets`, when others' entries wait for a decision.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use app::{domain::WorkDate, push::Reminder};
use db::{clock::now_ms, Db};
use jiff::{tz::TimeZone, Timestamp, ZonedDateTime as Zoned};

use super::{
    sender::{Delivery, PushSender},
    TimeOfDay, WeeklyAt,
};
use crate::store::push::{self, Subscription};

#[derive(Debug, Clone, Copy)]
pub struct ReminderSettings {
    pub week: Option<WeeklyAt>,
    pub approvals: Option<TimeOfDay>,
    pub every: Duration,
}

/// Runs the scheduler for as long as the server does.
pub fn spawn(db: Db, sender: Arc<PushSender>, settings: ReminderSettings) {
    if settings.week.is_none() && settings.approvals.is_none() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(settings.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = send_due(&db, &sender, &settings, Timestamp::now()).await {
                tracing::warn!(error = %format!("{error:#}"), "reminders: a round failed");
            }
        }
    });
}

/// Sends every reminder due at `now`; answers how many devices were sent one.
pub async fn send_due(
    db: &Db,
    sender: &PushSender,
    settings: &ReminderSettings,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let subscriptions = {
        let mut conn = db.acquire().await?;
        push::all(&mut conn).await?
    };
    let mut by_person: BTreeMap<&str, Vec<&Subscription>> = BTreeMap::new();
    for subscription in &subscriptions {
        by_person
            .entry(&subscription.user_id)
            .or_default()
            .push(subscription);
    }
    let mut sent = 0;
    for (user_id, devices) in by_person {
        // The newest device says where the person is.
        let zone = TimeZone::get(&devices[0].time_zone).unwrap_or(TimeZone::UTC);
        let local = now.to_zoned_datetime(zone);
        if let Some((reminder, period)) = week_due(db, settings, user_id, &local).await? {
            sent += deliver_or_release(db, sender, &devices, &reminder, (user_id, "week", &period))
                .await?;
        }
        let approvers: Vec<&Subscription> = devices
            .iter()
            .copied()
            .filter(|device| device.approves)
            .collect();
        if approvers.is_empty() {
            continue;
        }
        if let Some((reminder, period)) = approvals_due(db, settings, user_id, &local).await? {
            sent += deliver_or_release(
                db,
                sender,
                &approvers,
                &reminder,
                (user_id, "approvals", &period),
            )
            .await?;
        }
    }
    Ok(sent)
}

fn reached(local: &Zoned, at: TimeOfDay) -> bool {
    (local.hour(), local.minute()) >= (at.hour, at.minute)
}

/// The phone's calendar day of `local`, as the domain knows days.
fn work_date(local: &Zoned) -> anyhow::Result<WorkDate> {
    WorkDate::parse(&local.date().to_string()).map_err(|err| anyhow::anyhow!(err.message))
}

/// Takes the reminder for this instance (see `push::claim_reminder`).
async fn claim(db: &Db, user_id: &str, kind: &str, period: &str) -> anyhow::Result<bool> {
    let mut tx = db.begin_write().await?;
    let claimed = push::claim_reminder(&mut tx, user_id, kind, period, now_ms()).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// The week reminder due for the person, with its period (the ISO week), claimed.
async fn week_due(
    db: &Db,
    settings: &ReminderSettings,
    user_id: &str,
    local: &Zoned,
) -> anyhow::Result<Option<(Reminder, String)>> {
    let Some(weekly) = settings.week else {
        return Ok(None);
    };
    if local.weekday() != weekly.weekday || !reached(local, weekly.at) {
        return Ok(None);
    }
    let week = work_date(local)?.week();
    let (total, open) = {
        let mut conn = db.acquire().await?;
        push::week_counts(
            &mut conn,
            user_id,
            &week.monday().to_string(),
            &week.sunday().to_string(),
        )
        .await?
    };
    if total > 0 && open == 0 {
        return Ok(None);
    }
    let period = week.to_string();
    if !claim(db, user_id, "week", &period).await? {
        return Ok(None);
    }
    let reminder = Reminder {
        title: "Timesheets".into(),
        body: format!("Your week W{:02} is not submitted", week.number()),
        url: "/".into(),
        tag: "week".into(),
        badge: u32::try_from(open.max(1)).unwrap_or(1),
    };
    Ok(Some((reminder, period)))
}

/// The approvals reminder due for the person, with its period (the day), claimed.
async fn approvals_due(
    db: &Db,
    settings: &ReminderSettings,
    user_id: &str,
    local: &Zoned,
) -> anyhow::Result<Option<(Reminder, String)>> {
    let Some(at) = settings.approvals else {
        return Ok(None);
    };
    if !reached(local, at) {
        return Ok(None);
    }
    let waiting = {
        let mut conn = db.acquire().await?;
        push::awaiting_others(&mut conn, user_id).await?
    };
    if waiting == 0 {
        return Ok(None);
    }
    let day = work_date(local)?.to_string();
    if !claim(db, user_id, "approvals", &day).await? {
        return Ok(None);
    }
    let reminder = Reminder {
        title: "Timesheets".into(),
        body: if waiting == 1 {
            "1 entry waits for your approval".into()
        } else {
            format!("{waiting} entries wait for your approval")
        },
        url: "/approvals".into(),
        tag: "approvals".into(),
        badge: u32::try_from(waiting).unwrap_or(u32::MAX),
    };
    Ok(Some((reminder, day)))
}

/// Sends `reminder` to each device and forgets the ones their push service no longer
/// knows. When none got it and some may yet (their push services failed), the claim is
/// given back, so the next round tries again. Answers how many got it.
async fn deliver_or_release(
    db: &Db,
    sender: &PushSender,
    devices: &[&Subscription],
    reminder: &Reminder,
    (user_id, kind, period): (&str, &str, &str),
) -> anyhow::Result<usize> {
    let (mut delivered, mut gone) = (0, 0);
    for device in devices {
        match sender.send(device, reminder).await {
            Ok(Delivery::Delivered) => delivered += 1,
            Ok(Delivery::Gone) => {
                gone += 1;
                let mut tx = db.begin_write().await?;
                push::unsubscribe(&mut tx, None, &device.endpoint).await?;
                tx.commit().await?;
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "reminders: a delivery failed");
            }
        }
    }
    if delivered == 0 && gone < devices.len() {
        let mut tx = db.begin_write().await?;
        push::release_reminder(&mut tx, user_id, kind, period).await?;
        tx.commit().await?;
    }
    Ok(delivered)
}

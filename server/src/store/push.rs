//! `push_keys`, `push_subscriptions`, `reminders_sent`: Web Push. Functions take the
//! connection they run on; the callers write through `Db::begin_write` (on a SQLite file,
//! the one writer) except the key made once at start-up.

use sqlx::{AnyConnection, Row};

/// The VAPID key pair as stored: (PKCS#8 base64, public point base64url).
pub async fn vapid_key(conn: &mut AnyConnection) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query("SELECT private_key, public_key FROM push_keys WHERE id = 'vapid'")
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| Ok((row.try_get("private_key")?, row.try_get("public_key")?)))
        .transpose()
}

/// Stores a VAPID key pair unless one is there (another instance made it first).
pub async fn add_vapid_key(
    conn: &mut AnyConnection,
    private_key: &str,
    public_key: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO push_keys (id, private_key, public_key, created_at)
         VALUES ('vapid', $1, $2, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(private_key)
    .bind(public_key)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A device subscribed to reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub user_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub time_zone: String,
    pub approves: bool,
}

/// Subscribes the device at `endpoint` for its person (a device subscribing again, or for
/// another person, replaces what was stored for it); the person keeps their newest
/// `max_devices`.
pub async fn subscribe(
    conn: &mut AnyConnection,
    subscription: &Subscription,
    now: i64,
    max_devices: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO push_subscriptions
             (id, user_id, endpoint, p256dh, auth, time_zone, approves, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (endpoint) DO UPDATE SET
             user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth,
             time_zone = excluded.time_zone, approves = excluded.approves,
             created_at = excluded.created_at",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&subscription.user_id)
    .bind(&subscription.endpoint)
    .bind(&subscription.p256dh)
    .bind(&subscription.auth)
    .bind(&subscription.time_zone)
    .bind(i64::from(subscription.approves))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
             SELECT id FROM push_subscriptions WHERE user_id = $1
             ORDER BY created_at DESC, id LIMIT $2)",
    )
    .bind(&subscription.user_id)
    .bind(max_devices)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the device at `endpoint`: of `user_id` only, or whoever's (`None`: the push
/// service said it is gone).
pub async fn unsubscribe(
    conn: &mut AnyConnection,
    user_id: Option<&str>,
    endpoint: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "DELETE FROM push_subscriptions WHERE endpoint = $1 AND ($2 = '' OR user_id = $2)",
    )
    .bind(endpoint)
    .bind(user_id.unwrap_or_default())
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Every subscription, by person and newest first (a person's newest device says their
/// time zone).
pub async fn all(conn: &mut AnyConnection) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query(
        "SELECT user_id, endpoint, p256dh, auth, time_zone, approves FROM push_subscriptions
         ORDER BY user_id, created_at DESC, endpoint",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Subscription {
            user_id: row.try_get("user_id")?,
            endpoint: row.try_get("endpoint")?,
            p256dh: row.try_get("p256dh")?,
            auth: row.try_get("auth")?,
            time_zone: row.try_get("time_zone")?,
            approves: row.try_get::<i64, _>("approves")? != 0,
        })
    })
    .collect()
}

/// The person's entries from `monday` to `sunday`: (all, drafts and rejected ones).
pub async fn week_counts(
    conn: &mut AnyConnection,
    user_id: &str,
    monday: &str,
    sunday: &str,
) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS total,
                CAST(COALESCE(SUM(CASE WHEN status IN ('draft', 'rejected') THEN 1 ELSE 0 END), 0)
                     AS BIGINT) AS open
         FROM entries WHERE user_id = $1 AND work_date >= $2 AND work_date <= $3",
    )
    .bind(user_id)
    .bind(monday)
    .bind(sunday)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("total")?, row.try_get("open")?))
}

/// Others' submitted entries: what waits for a manager's decision.
pub async fn awaiting_others(conn: &mut AnyConnection, user_id: &str) -> sqlx::Result<i64> {
    sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM entries
         WHERE status = 'submitted' AND user_id <> $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")
}

/// Gives back a reminder none of the person's devices received (their push services
/// failed): the next round tries again.
pub async fn release_reminder(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: &str,
    period: &str,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM reminders_sent WHERE user_id = $1 AND kind = $2 AND period = $3")
        .bind(user_id)
        .bind(kind)
        .bind(period)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the reminder (`kind`, `period`) of `user_id` for this instance: true for exactly
/// one caller, however many instances ask.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: &str,
    period: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO reminders_sent (user_id, kind, period, sent_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, kind, period) DO NOTHING",
    )
    .bind(user_id)
    .bind(kind)
    .bind(period)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

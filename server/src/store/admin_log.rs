//! `admin_log`: the append-only trail of every change to a project or a person.

use db::WriteTx;
use sqlx::{AnyConnection, Row};

use super::audit::Actor;

/// What was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// By its code.
    Project(&'a str),
    /// By their subject at the embedded provider.
    Person(&'a str),
}

/// One change.
pub struct Change<'a> {
    pub target: Target<'a>,
    pub actor: Actor<'a>,
    /// `add`, `update`, `archive`, `activate`, `invite`, `disable`, `enable`, `role`.
    pub action: &'static str,
    /// What changed, as an admin reads it.
    pub detail: Option<String>,
    pub at: i64,
}

pub async fn record(tx: &mut WriteTx, change: &Change<'_>) -> sqlx::Result<()> {
    let conn: &mut AnyConnection = tx;
    let (target, target_id) = match change.target {
        Target::Project(code) => ("project", code),
        Target::Person(subject) => ("person", subject),
    };
    let (issuer, subject, client_id) = change.actor.columns();
    sqlx::query(
        "INSERT INTO admin_log (target, target_id, actor_issuer, actor_subject,
                                actor_client_id, action, detail, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(target)
    .bind(target_id)
    .bind(issuer)
    .bind(subject)
    .bind(client_id)
    .bind(change.action)
    .bind(change.detail.as_deref())
    .bind(change.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One stored change, oldest first in [`history`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub action: String,
    pub detail: Option<String>,
    /// The acting user's subject, or the client id.
    pub by: String,
    pub at: i64,
}

/// The changes made to one project or person.
pub async fn history(conn: &mut AnyConnection, target: Target<'_>) -> sqlx::Result<Vec<Logged>> {
    let (kind, id) = match target {
        Target::Project(code) => ("project", code),
        Target::Person(subject) => ("person", subject),
    };
    let rows = sqlx::query(
        "SELECT action, detail, actor_subject, actor_client_id, at FROM admin_log
         WHERE target = $1 AND target_id = $2 ORDER BY id",
    )
    .bind(kind)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let subject: Option<String> = row.try_get("actor_subject")?;
            let client: Option<String> = row.try_get("actor_client_id")?;
            Ok(Logged {
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
                by: subject.or(client).unwrap_or_default(),
                at: row.try_get("at")?,
            })
        })
        .collect()
}

//! Batch upload by machine clients: up to 10,000 rows per request, one transaction,
//! a per-row report. A row's `external_id` makes a retried upload a no-op for that row.

use std::collections::HashMap;

use app::{
    auth::{Client, Scope},
    domain::{EntryId, EntryStatus, MAX_MINUTES_PER_DAY},
    entries::{AcceptedRow, RejectedRow, UploadReport, UploadRow, UserRef},
    error::AppError,
};

use super::ServerServices;
use crate::{
    error::ApiError,
    store::{
        audit::{self, Actor},
        entries::{self as entry_store, NewRow},
        now_ms, projects, users,
    },
};

/// Most rows one upload may carry.
pub const MAX_UPLOAD_ROWS: usize = 10_000;

impl ServerServices {
    pub async fn upload(
        &self,
        client: &Client,
        rows: Vec<UploadRow>,
    ) -> Result<UploadReport, ApiError> {
        client.require(Scope::BatchUpload)?;
        if rows.is_empty() || rows.len() > MAX_UPLOAD_ROWS {
            return Err(AppError::Validation {
                field: "rows".into(),
                message: format!("send 1 to {MAX_UPLOAD_ROWS} rows"),
            }
            .into());
        }
        let source = format!("batch:{}", client.client_id);
        let now = now_ms();
        let mut report = UploadReport::default();
        let mut tx = self.db.pool().begin().await?;
        // Look-ups repeat across rows: remember them for this request.
        let mut user_ids: HashMap<UserRef, Result<String, String>> = HashMap::new();
        let mut project_ids: HashMap<String, Option<String>> = HashMap::new();
        let mut day_totals: HashMap<(String, String), u32> = HashMap::new();
        for (index, row) in rows.into_iter().enumerate() {
            let external_id = Some(row.external_id.trim().to_owned()).filter(|id| !id.is_empty());
            let reject = |field: &str, message: String| RejectedRow {
                index,
                external_id: external_id.clone(),
                field: field.into(),
                message,
            };
            let parsed = match row.parse() {
                Ok(parsed) => parsed,
                Err(error) => {
                    report.rejected.push(reject(error.field, error.message));
                    continue;
                }
            };
            if let Some(id) =
                entry_store::external_id_exists(&mut tx, &source, &parsed.external_id).await?
            {
                report.accepted.push(AcceptedRow {
                    index,
                    external_id: parsed.external_id,
                    id: EntryId::parse(&id).map_err(|e| anyhow::anyhow!("stored id {id}: {e}"))?,
                    duplicate: true,
                });
                continue;
            }
            let user_id = match user_ids.get(&parsed.user) {
                Some(found) => found.clone(),
                None => {
                    let found = find_user(&mut tx, &parsed.user).await?;
                    user_ids.insert(parsed.user.clone(), found.clone());
                    found
                }
            };
            let user_id = match user_id {
                Ok(id) => id,
                Err(message) => {
                    report.rejected.push(reject("user", message));
                    continue;
                }
            };
            let project_id = match project_ids.get(parsed.project.as_str()) {
                Some(found) => found.clone(),
                None => {
                    let found = projects::by_code(&mut tx, &parsed.project)
                        .await?
                        .filter(|project| project.active)
                        .map(|project| project.id);
                    project_ids.insert(parsed.project.to_string(), found.clone());
                    found
                }
            };
            let Some(project_id) = project_id else {
                report.rejected.push(reject(
                    "project",
                    format!("no active project {}", parsed.project),
                ));
                continue;
            };
            let day = (user_id.clone(), parsed.date.to_string());
            let logged = match day_totals.get(&day) {
                Some(total) => *total,
                None => entry_store::minutes_on(&mut tx, &user_id, parsed.date, None).await?,
            };
            if logged + parsed.minutes.get() > MAX_MINUTES_PER_DAY {
                report.rejected.push(reject(
                    "minutes",
                    format!("{} would exceed 24 h for this person", parsed.date),
                ));
                day_totals.insert(day, logged);
                continue;
            }
            day_totals.insert(day, logged + parsed.minutes.get());
            let id = EntryId::from_uuid(uuid::Uuid::new_v4());
            entry_store::insert(
                &mut tx,
                &NewRow {
                    id,
                    user_id: &user_id,
                    project_id: &project_id,
                    date: parsed.date,
                    minutes: parsed.minutes,
                    note: parsed.note.as_ref(),
                    status: EntryStatus::Submitted,
                    source: &source,
                    external_id: Some(&parsed.external_id),
                    now,
                },
            )
            .await?;
            audit::record(
                &mut tx,
                &audit::Record {
                    entry_id: &id.to_string(),
                    actor: Actor::Client {
                        client_id: &client.client_id,
                    },
                    action: "import",
                    from: None,
                    to: Some(EntryStatus::Submitted),
                    note: None,
                    at: now,
                },
            )
            .await?;
            report.accepted.push(AcceptedRow {
                index,
                external_id: parsed.external_id,
                id,
                duplicate: false,
            });
        }
        tx.commit().await?;
        Ok(report)
    }
}

async fn find_user(
    conn: &mut sqlx::AnyConnection,
    user: &UserRef,
) -> sqlx::Result<Result<String, String>> {
    Ok(match user {
        UserRef::Email(email) => {
            let mut ids = users::find_by_email(conn, email).await?;
            match ids.len() {
                1 => Ok(ids.remove(0)),
                0 => Err(format!(
                    "no user with email {email}; they must sign in once first"
                )),
                _ => Err(format!(
                    "more than one user has email {email}; name them by issuer and subject"
                )),
            }
        }
        UserRef::Subject { issuer, subject } => users::find(conn, issuer, subject)
            .await?
            .ok_or_else(|| "no such user; they must sign in once first".to_owned()),
    })
}

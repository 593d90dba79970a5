//! Batch upload by machine clients: up to 10,000 rows per request, one transaction,
//! a per-row report. A row's `external_id` makes a retried upload a no-op for that row.
//! Look-ups and writes are batched (a few dozen statements for 10,000 rows).

use std::collections::{HashMap, HashSet};

use app::{
    auth::{Client, Scope},
    domain::{day_total_with, EntryId, EntryStatus},
    entries::{AcceptedRow, ParsedUploadRow, RejectedRow, UploadReport, UploadRow, UserRef},
    error::AppError,
};

use super::ServerServices;
use db::clock::now_ms;

use crate::{
    error::ApiError,
    store::{
        audit::{self, Actor},
        entries::{self as entry_store, NewRow},
        projects, users,
    },
};

/// Most rows one upload may carry.
pub const MAX_UPLOAD_ROWS: usize = 10_000;

/// A valid row whose user and project were found.
struct Resolved {
    index: usize,
    row: ParsedUploadRow,
    user_id: String,
    project_id: String,
}

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
        let reject =
            |index: usize, external_id: Option<String>, field: &str, message: String| RejectedRow {
                index,
                external_id,
                field: field.into(),
                message,
            };

        // 1. Parse every row; an external id twice in one request is ambiguous.
        let mut parsed = Vec::with_capacity(rows.len());
        let mut seen = HashSet::new();
        for (index, row) in rows.into_iter().enumerate() {
            let external_id = Some(row.external_id.trim().to_owned()).filter(|id| !id.is_empty());
            match row.parse() {
                Ok(row) if !seen.insert(row.external_id.clone()) => report.rejected.push(reject(
                    index,
                    external_id,
                    "external_id",
                    "appears more than once in this upload".into(),
                )),
                Ok(row) => parsed.push((index, row)),
                Err(error) => {
                    report
                        .rejected
                        .push(reject(index, external_id, error.field, error.message))
                }
            }
        }

        let mut tx = self.db.begin_write().await?;

        // 2. Rows stored by an earlier upload are reported, not written again.
        let external_ids: Vec<&str> = parsed
            .iter()
            .map(|(_, row)| row.external_id.as_str())
            .collect();
        let existing = entry_store::existing_external_ids(&mut tx, &source, &external_ids).await?;

        // 3. Users and projects, each looked up once.
        let mut user_ids: HashMap<UserRef, Result<String, String>> = HashMap::new();
        let mut project_ids: HashMap<String, Result<String, String>> = HashMap::new();
        let mut resolved = Vec::with_capacity(parsed.len());
        for (index, row) in parsed {
            if let Some(id) = existing.get(&row.external_id) {
                report.accepted.push(AcceptedRow {
                    index,
                    external_id: row.external_id,
                    id: EntryId::parse(id).map_err(|e| anyhow::anyhow!("stored id {id}: {e}"))?,
                    duplicate: true,
                });
                continue;
            }
            if !user_ids.contains_key(&row.user) {
                let found = find_user(&mut tx, &row.user).await?;
                user_ids.insert(row.user.clone(), found);
            }
            let user_id = match &user_ids[&row.user] {
                Ok(id) => id.clone(),
                Err(message) => {
                    let message = message.clone();
                    report
                        .rejected
                        .push(reject(index, Some(row.external_id), "user", message));
                    continue;
                }
            };
            if !project_ids.contains_key(row.project.as_str()) {
                let found = projects::by_code(&mut tx, &row.project).await?;
                let bookable = super::projects::bookable(found, row.project.as_str())
                    .map(|project| project.id)
                    .map_err(|error| match error {
                        AppError::Validation { message, .. } => message,
                        other => other.to_string(),
                    });
                project_ids.insert(row.project.to_string(), bookable);
            }
            let project_id = match &project_ids[row.project.as_str()] {
                Ok(project_id) => project_id.clone(),
                Err(message) => {
                    let message = message.clone();
                    report
                        .rejected
                        .push(reject(index, Some(row.external_id), "project", message));
                    continue;
                }
            };
            resolved.push(Resolved {
                index,
                row,
                user_id,
                project_id,
            });
        }

        // 4. At most 24 h per person and day, counting what is stored and this upload.
        let mut day_totals: HashMap<(String, String), u32> = HashMap::new();
        let mut ranges: HashMap<&str, (app::domain::WorkDate, app::domain::WorkDate)> =
            HashMap::new();
        for item in &resolved {
            let range = ranges
                .entry(item.user_id.as_str())
                .or_insert((item.row.date, item.row.date));
            range.0 = range.0.min(item.row.date);
            range.1 = range.1.max(item.row.date);
        }
        for (user_id, (from, to)) in ranges {
            for (date, total) in entry_store::minutes_per_day(&mut tx, user_id, from, to).await? {
                day_totals.insert((user_id.to_owned(), date), total);
            }
        }
        let mut accepted = Vec::with_capacity(resolved.len());
        for item in resolved {
            let day = (item.user_id.clone(), item.row.date.to_string());
            let total = day_totals.entry(day).or_insert(0);
            let Some(with_row) = day_total_with(*total, item.row.minutes.get()) else {
                let message = format!("{} would exceed 24 h for this person", item.row.date);
                report.rejected.push(reject(
                    item.index,
                    Some(item.row.external_id),
                    "minutes",
                    message,
                ));
                continue;
            };
            *total = with_row;
            accepted.push((EntryId::from_uuid(uuid::Uuid::new_v4()), item));
        }

        // 5. Write the accepted rows and their audit records.
        let new_rows: Vec<NewRow> = accepted
            .iter()
            .map(|(id, item)| NewRow {
                id: *id,
                user_id: &item.user_id,
                project_id: &item.project_id,
                date: item.row.date,
                minutes: item.row.minutes,
                note: item.row.note.as_ref(),
                status: EntryStatus::Submitted,
                source: &source,
                external_id: Some(&item.row.external_id),
                now,
            })
            .collect();
        entry_store::insert_many(&mut tx, &new_rows).await?;
        let entry_ids: Vec<String> = accepted.iter().map(|(id, _)| id.to_string()).collect();
        let actor = Actor::Client {
            client_id: &client.client_id,
        };
        audit::record_imports(&mut tx, &entry_ids, actor, now).await?;
        tx.commit().await?;

        report
            .accepted
            .extend(accepted.into_iter().map(|(id, item)| AcceptedRow {
                index: item.index,
                external_id: item.row.external_id,
                id,
                duplicate: false,
            }));
        report.accepted.sort_by_key(|row| row.index);
        report.rejected.sort_by_key(|row| row.index);
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

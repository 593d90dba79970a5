//! Entries of signed-in users: create, list, edit, delete, submit a week. Every method
//! takes the verified user and checks its scope first, before any database work.

use std::sync::Arc;

use app::{
    auth::{Scope, User},
    domain::{day_total_with, EntryId, EntryStatus, IsoWeek, Note, Transition, WorkDate},
    entries::{Entry, EntryDraft, Page},
    error::AppError,
};

use super::{page_cache::PageKey, ServerServices};
use db::{clock::now_ms, WriteTx};

use crate::{
    error::ApiError,
    store::{
        audit::{self, Actor},
        entries::{self as entry_store, NewRow},
        projects::{self, StoredProject},
        timers, users,
    },
};

/// Most entries one page holds.
pub const MAX_PAGE: u32 = 500;
/// A page when the client names no size (REST) and the pages of the PWA's week.
pub const DEFAULT_PAGE: u32 = 100;

/// A date range and position to list from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntryRange {
    pub from: WorkDate,
    pub to: WorkDate,
    pub after: Option<(WorkDate, EntryId)>,
    pub limit: u32,
}

pub(super) fn actor(user: &User) -> Actor<'_> {
    Actor::User {
        issuer: &user.issuer,
        subject: &user.subject,
    }
}

impl ServerServices {
    /// Creates an entry for `user`. With a client-chosen id, a retry with the same content
    /// answers the existing entry (`created == false`); other content under that id is a
    /// conflict.
    pub async fn create_entry(
        &self,
        user: &User,
        draft: EntryDraft,
        source: &str,
    ) -> Result<(Entry, bool), ApiError> {
        user.require(Scope::CreateTimesheets)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let user_id = users::upsert(&mut tx, user, now).await?;
        if let Some(id) = draft.id {
            if let Some(existing) = entry_store::get(&mut tx, id).await? {
                return same_entry(&existing, &user_id, &draft).map(|entry| (entry, false));
            }
        }
        let project = active_project(&mut tx, &draft.project).await?;
        let logged = entry_store::minutes_on(&mut tx, &user_id, draft.date, None).await?;
        check_day_total(logged, draft.minutes.get())?;
        let id = draft
            .id
            .unwrap_or_else(|| EntryId::from_uuid(uuid::Uuid::new_v4()));
        let inserted = entry_store::insert_many(
            &mut tx,
            &[NewRow {
                id,
                user_id: &user_id,
                project_id: &project.id,
                date: draft.date,
                minutes: draft.minutes,
                note: draft.note.as_ref(),
                status: draft.status,
                source,
                external_id: None,
                now,
            }],
        )
        .await;
        if let Err(error) = inserted {
            // The same id created concurrently by a retry: answer as for a retry.
            if db::is_unique_violation(&error) {
                drop(tx);
                let mut conn = self.db.acquire().await?;
                let existing =
                    entry_store::get(&mut conn, id)
                        .await?
                        .ok_or(AppError::Conflict {
                            message: "this id is taken".into(),
                        })?;
                return same_entry(&existing, &user_id, &draft).map(|entry| (entry, false));
            }
            return Err(error.into());
        }
        audit::record(
            &mut tx,
            &audit::Record {
                entry_id: &id.to_string(),
                actor: actor(user),
                action: "create",
                from: None,
                to: Some(draft.status),
                note: None,
                at: now,
            },
        )
        .await?;
        // The entry a stopped timer makes carries its id: it ends that timer, whichever
        // device stopped it (and the stop's entry sent again finds the entry above).
        timers::end(&mut tx, &user_id, id).await?;
        let entry = commit_and_answer(tx, id).await?;
        Ok((entry, true))
    }

    /// The user's own entries in a date range, one page at a time: from the page cache
    /// when nothing was written since it was last read (see `page_cache`).
    pub async fn list_entries(
        &self,
        user: &User,
        range: EntryRange,
    ) -> Result<Arc<Page<Entry>>, ApiError> {
        user.require(Scope::ReadTimesheets)?;
        let range = EntryRange {
            limit: range.limit.clamp(1, MAX_PAGE),
            ..range
        };
        let Some(cache) = &self.pages else {
            return Ok(Arc::new(self.read_page(user, &range).await?));
        };
        let key = PageKey {
            issuer: user.issuer.clone(),
            subject: user.subject.clone(),
            range,
        };
        // Taken before the read: a write that lands during it moves the generation on,
        // and the page read is then never served from the cache.
        let Some(generation) = self.db.read_generation().await else {
            return Ok(Arc::new(self.read_page(user, &key.range).await?));
        };
        if let Some(page) = cache.get(&key, generation) {
            return Ok(page);
        }
        let page = Arc::new(self.read_page(user, &key.range).await?);
        // A page that a write overtook would never be served: it does not take the place
        // of a newer one.
        if self.db.write_generation() == generation {
            cache.insert(key, generation, Arc::clone(&page));
        }
        Ok(page)
    }

    async fn read_page(&self, user: &User, range: &EntryRange) -> Result<Page<Entry>, ApiError> {
        let limit = range.limit;
        // One more than asked tells whether another page follows. Someone never seen
        // before simply has no entries.
        let mut items = entry_store::list_for_user(
            &self.db,
            &user.issuer,
            &user.subject,
            range.from,
            range.to,
            range.after,
            limit + 1,
        )
        .await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| cursor(last.date, last.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The user's own entry.
    pub async fn get_entry(&self, user: &User, id: EntryId) -> Result<Entry, ApiError> {
        user.require(Scope::ReadTimesheets)?;
        let mut conn = self.db.acquire().await?;
        Ok(own_entry(&mut conn, user, id).await?.entry)
    }

    /// Replaces the content of the user's own draft, submitted or rejected entry. `if_match`
    /// is the version the client last saw (`If-Match`); a submitted or rejected entry
    /// becomes a draft again (a submitted one leaves the approvals queue), to
    /// be resubmitted with its week.
    pub async fn update_entry(
        &self,
        user: &User,
        id: EntryId,
        draft: EntryDraft,
        if_match: Option<i64>,
    ) -> Result<Entry, ApiError> {
        user.require(Scope::CreateTimesheets)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let stored = own_entry(&mut tx, user, id).await?;
        let current = &stored.entry;
        if if_match.is_some_and(|version| version != current.version) {
            return Err(AppError::PreconditionFailed.into());
        }
        if !current.status.is_editable() {
            return Err(AppError::Conflict {
                message: format!("a {} entry cannot be changed", current.status),
            }
            .into());
        }
        let project = active_project(&mut tx, &draft.project).await?;
        let logged =
            entry_store::minutes_on(&mut tx, &stored.user_id, draft.date, Some(id)).await?;
        check_day_total(logged, draft.minutes.get())?;
        let status = EntryStatus::Draft;
        let content = entry_store::Content {
            project_id: &project.id,
            date: draft.date,
            minutes: draft.minutes,
            note: draft.note.as_ref(),
            status,
        };
        if !entry_store::update_content(&mut tx, id, current.version, &content, now).await? {
            return Err(stale().into());
        }
        audit::record(
            &mut tx,
            &audit::Record {
                entry_id: &id.to_string(),
                actor: actor(user),
                action: "update",
                from: Some(current.status),
                to: Some(status),
                note: None,
                at: now,
            },
        )
        .await?;
        commit_and_answer(tx, id).await
    }

    /// Submits every draft of the user's `week` for approval; answers the submitted entries.
    pub async fn submit_week(&self, user: &User, week: IsoWeek) -> Result<Vec<Entry>, ApiError> {
        user.require(Scope::CreateTimesheets)?;
        let mut tx = self.db.begin_write().await?;
        let Some(user_id) = users::find(&mut tx, &user.issuer, &user.subject).await? else {
            return Ok(Vec::new());
        };
        let drafts = entry_store::with_status_in_range(
            &mut tx,
            &user_id,
            EntryStatus::Draft,
            week.monday(),
            week.sunday(),
        )
        .await?;
        let submitted =
            transition_all(&mut tx, actor(user), drafts, Transition::Submit, None).await?;
        tx.commit().await?;
        Ok(submitted)
    }

    /// Deletes the user's own entry while it is a draft or rejected.
    pub async fn delete_entry(&self, user: &User, id: EntryId) -> Result<(), ApiError> {
        user.require(Scope::DeleteTimesheets)?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        let stored = own_entry(&mut tx, user, id).await?;
        if !stored.entry.status.is_deletable() {
            return Err(AppError::Conflict {
                message: format!("a {} entry cannot be deleted", stored.entry.status),
            }
            .into());
        }
        if !entry_store::delete(&mut tx, id, stored.entry.version).await? {
            return Err(stale().into());
        }
        audit::record(
            &mut tx,
            &audit::Record {
                entry_id: &id.to_string(),
                actor: actor(user),
                action: "delete",
                from: Some(stored.entry.status),
                to: None,
                note: None,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The keyset cursor after `(date, id)`.
pub fn cursor(date: WorkDate, id: EntryId) -> String {
    format!("{date}_{id}")
}

pub fn parse_cursor(value: &str) -> Result<(WorkDate, EntryId), AppError> {
    let invalid = || AppError::Validation {
        field: "cursor".into(),
        message: "not a cursor this API gave out".into(),
    };
    let (date, id) = value.split_once('_').ok_or_else(invalid)?;
    Ok((
        WorkDate::parse(date).map_err(|_| invalid())?,
        EntryId::parse(id).map_err(|_| invalid())?,
    ))
}

/// The user's own entry; someone else's is "not found", not "forbidden", so ids of other
/// people's entries cannot be probed.
async fn own_entry(
    conn: &mut sqlx::AnyConnection,
    user: &User,
    id: EntryId,
) -> Result<entry_store::StoredEntry, ApiError> {
    let stored = entry_store::get(conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if stored.entry.owner.issuer != user.issuer || stored.entry.owner.subject != user.subject {
        return Err(AppError::NotFound.into());
    }
    Ok(stored)
}

/// Applies `transition` to each entry inside the caller's transaction, with its audit
/// record; answers the entries as they are now.
pub(super) async fn transition_all(
    tx: &mut WriteTx,
    actor: Actor<'_>,
    entries: Vec<entry_store::StoredEntry>,
    transition: Transition,
    note: Option<&str>,
) -> Result<Vec<Entry>, ApiError> {
    let now = now_ms();
    let mut changed = Vec::with_capacity(entries.len());
    for stored in entries {
        let entry = stored.entry;
        let to = entry
            .status
            .apply(transition)
            .map_err(|message| AppError::Conflict { message })?;
        // A resubmitted entry keeps the manager's last note: the next one to decide sees
        // why it came back.
        let kept_note = match transition {
            Transition::Submit => entry.decision_note.as_deref(),
            _ => note,
        };
        if !entry_store::set_status(tx, entry.id, entry.version, to, kept_note, now).await? {
            return Err(stale().into());
        }
        audit::record(
            tx,
            &audit::Record {
                entry_id: &entry.id.to_string(),
                actor,
                action: transition.as_str(),
                from: Some(entry.status),
                to: Some(to),
                note,
                at: now,
            },
        )
        .await?;
        if let Some(updated) = entry_store::get(tx, entry.id).await? {
            changed.push(updated.entry);
        }
    }
    Ok(changed)
}

/// The entry as `tx` wrote it, once `tx` has committed.
async fn commit_and_answer(mut tx: WriteTx, id: EntryId) -> Result<Entry, ApiError> {
    let written = entry_store::get(&mut tx, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("entry {id} vanished inside its transaction"))?;
    tx.commit().await?;
    Ok(written.entry)
}

/// A project that entries may be booked on, by code or name.
pub(super) async fn active_project(
    conn: &mut sqlx::AnyConnection,
    code_or_name: &str,
) -> Result<StoredProject, ApiError> {
    let found = projects::resolve(conn, code_or_name).await?;
    Ok(super::projects::bookable(found, code_or_name)?)
}

/// The day-total rule ([`day_total_with`]) as the answer to one entry.
fn check_day_total(logged: u32, adding: u32) -> Result<(), AppError> {
    if day_total_with(logged, adding).is_none() {
        return Err(AppError::Validation {
            field: "minutes".into(),
            // No date in the text: the person sees it in the form next to this message
            // (in their own language), an API client sent it.
            message: format!(
                "that day already has {} h {} min logged; a day holds at most 24 h",
                logged / 60,
                logged % 60
            ),
        });
    }
    Ok(())
}

fn stale() -> AppError {
    AppError::Conflict {
        message: "the entry was changed meanwhile; reload it and try again".into(),
    }
}

/// A retried create: the stored entry if it is the same one, else a conflict.
fn same_entry(
    existing: &entry_store::StoredEntry,
    user_id: &str,
    draft: &EntryDraft,
) -> Result<Entry, ApiError> {
    let entry = &existing.entry;
    let same = existing.user_id == user_id
        && entry.date == draft.date
        && entry.minutes == draft.minutes
        && entry.note.as_deref() == draft.note.as_ref().map(Note::as_str)
        && (entry.project.as_str() == draft.project.to_ascii_uppercase()
            || entry.project_name == draft.project);
    if same {
        Ok(entry.clone())
    } else {
        Err(AppError::Conflict {
            message: "an entry with this id exists with other content".into(),
        }
        .into())
    }
}

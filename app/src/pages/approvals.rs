//! `/approvals`: for people whose token grants `approve:timesheets` (the server checks
//! again on every call): others' submitted time as one summary row per person and week,
//! approved a week at once or entry by entry, with Undo for a few seconds; and everyone's
//! approved time as CSV for payroll. A decision the server refuses for an old sign-in
//! waits for a fresh one (`step_up`) and is made when the screen comes back.
//!
//! Offline, the queue last loaded is shown and decisions go to the outbox with the version
//! of the entry they were made on; "Decided on this phone" shows how each went (a decision
//! on an entry changed meanwhile is a conflict saying what changed, never applied).

use std::{collections::HashMap, sync::Arc};

use leptos::{lazy, prelude::*};

use super::{
    home::{on_demand, SignedInOnly},
    team::TeamHoursCard,
};
use crate::{
    api::{approve_week, decide_entry, get_awaiting_approval, undo_decisions},
    api_client::authorized,
    auth::Scope,
    browser::{day_label, duration_label, is_online, week_label},
    components::{
        queued::SyncBadge,
        toast::{use_toasts, Toasts, Undo},
    },
    domain::{IsoWeek, Note, WorkDate},
    entries::Entry,
    error::AppError,
    outbox::{
        is_for_later,
        store::{remember_queue, remembered_queue, use_outbox, OutboxStore},
        QueuedDecision, SyncState,
    },
    review::{by_person_week, PersonWeek},
    session::use_session,
    step_up::{self, PendingDecision},
};

/// The approvals queue shown: loaded now, or (offline) as kept on this phone at `kept_at`.
#[derive(Clone)]
struct Queue {
    entries: Vec<Entry>,
    kept_at: Option<i64>,
}

/// Loads the queue and keeps it on this phone; offline, answers the copy kept.
async fn load_queue(owner: Option<String>) -> Result<Queue, AppError> {
    match authorized(get_awaiting_approval).await {
        Ok(entries) => {
            if let Some(owner) = &owner {
                remember_queue(owner, &entries);
            }
            // The installed app's badge: what waits, as the server says now.
            #[cfg(feature = "hydrate")]
            crate::push::device::show_badge(entries.len());
            Ok(Queue {
                entries,
                kept_at: None,
            })
        }
        Err(err) if is_for_later(&err) => owner
            .and_then(|owner| remembered_queue(&owner))
            .map(|(at, entries)| Queue {
                entries,
                kept_at: Some(at),
            })
            .ok_or(err),
        Err(err) => Err(err),
    }
}

/// Keeps the decision on this phone, to be sent with the version it was made on; says so.
fn decide_offline(
    outbox: OutboxStore,
    toasts: Toasts,
    owner: &str,
    entries: Vec<Entry>,
    approve: bool,
    note: Option<String>,
) -> Result<(), String> {
    let count = entries.len();
    for entry in entries {
        outbox.queue_decision(QueuedDecision::new(owner, entry, approve, note.clone()))?;
    }
    let what = match (approve, count) {
        (true, 1) => "Approved".to_owned(),
        (false, _) => "Rejected".to_owned(),
        (true, count) => format!("{count} entries approved"),
    };
    toasts.show(
        format!("{what} on this phone: sent when you are back online"),
        None,
    );
    Ok(())
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    view! {
        <SignedInOnly>
            <h1 class="page-title">"Approvals"</h1>
            {on_demand("Loading approvals", approvals_screen())}
        </SignedInOnly>
    }
}

/// A chunk of its own: see [`on_demand`].
#[lazy]
fn approvals_screen() -> AnyView {
    view! { <Approvals/> }.into_any()
}

#[component]
fn Approvals() -> impl IntoView {
    let session = use_session();
    view! {
            {move || if session.has(Scope::ApproveTimesheets) {
                view! {
                    <Pending/>
                    <TeamHoursCard/>
                    <section class="card">
                        <Export/>
                    </section>
                }
                .into_any()
            } else {
                view! {
                    <section class="card">
                        <p class="notice" role="alert">"Your account may not approve time (it lacks approve:timesheets)."</p>
                    </section>
                }
                .into_any()
            }}
    }
}

/// Submitted entries as one summary row per person and week, approved a week at once or,
/// opened, entry by entry.
#[component]
fn Pending() -> impl IntoView {
    let toasts = use_toasts();
    let session = use_session();
    let outbox = use_outbox();
    // Approving a week is an action; the list is a resource keyed on it, so the week goes
    // once approved (and stays, with the reason, when refused). An undo reloads it too.
    let approve = Action::new_unsync(|group: &PersonWeek| {
        let group = group.clone();
        async move {
            let (issuer, subject, week) = (group.issuer.clone(), group.subject.clone(), group.week);
            // Only what the manager sees: a week changed since is refused, not approved.
            let seen = Some(seen_versions(&group));
            let done = authorized(|| {
                approve_week(
                    issuer.clone(),
                    subject.clone(),
                    week.to_string(),
                    seen.clone(),
                )
            })
            .await;
            (group, done)
        }
    });
    // An undone approval brings its week back. An `ArcTrigger`: the toast's Undo may be
    // tapped after this screen has gone.
    let reload = ArcTrigger::new();
    let pending = LocalResource::new({
        let reload = reload.clone();
        move || {
            approve.version().track();
            reload.track();
            // Decisions sent from the outbox change the queue.
            outbox.synced_count();
            load_queue(session.owner())
        }
    });
    // Entries decided on this phone leave the list at once (a conflict brings one back).
    let decided_here = move || {
        session
            .owner()
            .map(|owner| outbox.decisions_of(&owner))
            .unwrap_or_default()
            .into_iter()
            .filter(|decision| {
                !matches!(
                    decision.state,
                    SyncState::Failed { .. } | SyncState::Conflict { .. }
                )
            })
            .map(|decision| decision.id())
            .collect::<std::collections::HashSet<_>>()
    };
    // Back from signing in again: the decision that asked for it, made once now.
    if let Some(decision) = session
        .profile()
        .and_then(|profile| step_up::take(&profile.subject))
    {
        leptos::task::spawn_local(replay(decision, toasts, reload.clone()));
    }
    // Why a week was not approved, until it is, and which weeks are open: kept per week,
    // as the list is drawn anew after every attempt and every decision kept offline.
    let refused = RwSignal::new(HashMap::<OwnerWeek, String>::new());
    let opened = RwSignal::new(std::collections::HashSet::<OwnerWeek>::new());
    Effect::new(move |_| {
        let Some((group, done)) = approve.value().get() else {
            return;
        };
        let key = owner_week(&group);
        match done {
            Ok(approved) => {
                refused.update(|refused| {
                    refused.remove(&key);
                });
                // Someone else may have approved it meanwhile: nothing of ours to undo.
                if approved.is_empty() {
                    toasts.show("Nothing was left to approve", None);
                    return;
                }
                let ids = approved.iter().map(|entry| entry.id.to_string()).collect();
                let reload = reload.clone();
                toasts.show(
                    format!("Approved {}’s week", group.name),
                    Some(undo_of(ids, toasts, "Approval undone", move || {
                        reload.notify()
                    })),
                );
            }
            Err(AppError::InsufficientUserAuthentication { max_age })
                if step_up::sign_in_again_for(
                    session,
                    &PendingDecision::Week {
                        issuer: group.issuer.clone(),
                        subject: group.subject.clone(),
                        week: group.week.to_string(),
                        name: group.name.clone(),
                        seen: Some(seen_versions(&group)),
                    },
                    max_age,
                ) => {}
            // Corrected or taken back since this list loaded: shown as it is now.
            Err(AppError::PreconditionFailed) => {
                refused.update(|refused| {
                    refused.insert(
                        key,
                        "Not approved: this week changed since the list loaded; check it again."
                            .to_owned(),
                    );
                });
                reload.notify();
            }
            Err(err) => refused.update(|refused| {
                refused.insert(key, format!("Not approved: {err}"));
            }),
        }
    });
    let list = move || {
        match pending.get() {
        None => view! {
            <section class="card" aria-busy="true"><p class="muted">"Loading entries to approve…"</p></section>
        }
        .into_any(),
        Some(Err(err)) => view! {
            <section class="card">
                <p class="notice" role="alert">{format!("Could not load the entries to approve: {err}")}</p>
                <button type="button" class="button" on:click=move |_| pending.refetch()>"Retry"</button>
            </section>
        }
        .into_any(),
        Some(Ok(queue)) => {
            let decided = decided_here();
            let entries: Vec<Entry> = queue
                .entries
                .into_iter()
                .filter(|entry| !decided.contains(&entry.id.to_string()))
                .collect();
            let kept = queue.kept_at.map(|at| view! {
                <p class="notice" role="status" data-testid="kept-queue">
                    {format!("Offline: the list as loaded at {}. Decisions wait on this phone until you are back online.", crate::browser::moment_label(at))}
                </p>
            });
            if entries.is_empty() {
                view! {
                    {kept}
                    <section class="card"><p data-testid="nothing-to-approve">"Nothing waits for your approval."</p></section>
                }
                .into_any()
            } else {
                view! {
                    {kept}
                    <ul class="person-weeks">
                        {by_person_week(entries)
                            .into_iter()
                            .map(|group| view! { <PersonWeekRow group approve refused opened/> })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }
        }
    }
    };
    view! {
        <DecidedHere/>
        {list}
    }
}

/// Decisions made on this phone and how they went: waiting, synced, or refused (a conflict
/// says what changed; the entry is back in the list to decide again).
#[component]
fn DecidedHere() -> impl IntoView {
    let outbox = use_outbox();
    let session = use_session();
    let decisions = move || {
        session
            .owner()
            .map(|owner| outbox.decisions_of(&owner))
            .unwrap_or_default()
    };
    // Decisions refused for an old sign-in: one button signs in again and sends them all.
    let sign_in_again = move || {
        decisions()
            .iter()
            .find_map(|decision| match decision.state {
                SyncState::SignInAgain { max_age } => Some(max_age),
                _ => None,
            })
    };
    move || {
        let decisions = decisions();
        (!decisions.is_empty()).then(|| {
            view! {
                <section class="card" aria-labelledby="decided-here">
                    <h2 id="decided-here">"Decided on this phone"</h2>
                    {move || sign_in_again().map(|max_age| view! {
                        <p class="notice">"Deciding needs a recent sign-in. Sign in again and the decisions below are sent."</p>
                        <button type="button" class="button primary" on:click=move |_| {
                            if let Some(owner) = session.owner() {
                                outbox.sign_in_to_send(&owner, session, max_age);
                            }
                        }>"Sign in again to send"</button>
                    })}
                    <ul class="entries">
                        {decisions.into_iter().map(|decision| view! { <DecidedRow decision/> }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}

#[component]
fn DecidedRow(decision: QueuedDecision) -> impl IntoView {
    let outbox = use_outbox();
    let entry = &decision.entry;
    let who = entry.owner.display_name();
    let id = decision.id();
    let actions = match decision.state {
        SyncState::Failed { .. } | SyncState::Conflict { .. } => {
            let (retry_id, dismiss_id) = (id.clone(), id.clone());
            let failed = matches!(decision.state, SyncState::Failed { .. });
            Some(view! {
                <div class="entry-actions">
                    {failed.then(|| view! {
                        <button type="button" class="button small" on:click=move |_| outbox.retry_decision(&retry_id)>"Try again"</button>
                    })}
                    <button type="button" class="button small" on:click=move |_| outbox.discard_decision(&dismiss_id)>"Dismiss"</button>
                </div>
            })
        }
        _ => None,
    };
    view! {
        <li class="entry queued" data-testid="decided-here" data-state=decision.state.as_str()>
            <div class="entry-main">
                <span class="entry-project">{format!("{who} · {} · {}", day_label(entry.date), entry.project_name)}</span>
                <span class="entry-duration">{duration_label(entry.minutes.get())}</span>
            </div>
            <div class="entry-meta">
                <span class="badge decided">{decision.outcome()}</span>
                <SyncBadge state=decision.state.clone()/>
                {decision.state.reason().map(|reason| view! { <span class="decision-note">{reason.to_owned()}</span> })}
            </div>
            {actions}
        </li>
    }
}

/// Undo of the decisions on `ids`: asks the server, says `done_text` or why not, then runs
/// `then` (with `try_*` calls only: the screen or row may be gone by then).
fn undo_of(
    ids: Vec<String>,
    toasts: Toasts,
    done_text: &'static str,
    then: impl Fn() + Send + Sync + 'static,
) -> Undo {
    let then = Arc::new(then);
    Arc::new(move || {
        let (ids, then) = (ids.clone(), then.clone());
        leptos::task::spawn_local(async move {
            match authorized(|| undo_decisions(ids.clone())).await {
                Ok(_) => {
                    toasts.show(done_text, None);
                    then();
                }
                Err(err) => toasts.show(format!("Not undone: {err}"), None),
            }
        });
    })
}

/// Makes a decision that waited for a fresh sign-in; says how it went in a toast (with
/// Undo) and reloads the list. Refused again for the same reason, it does not ask again:
/// the provider's tokens do not show when the person signed in.
async fn replay(decision: PendingDecision, toasts: Toasts, reload: ArcTrigger) {
    let (done, text) = match decision {
        PendingDecision::Entry {
            id,
            approve,
            note,
            version,
        } => {
            let done = authorized(|| decide_entry(id.clone(), approve, note.clone(), version))
                .await
                .map(|entry| vec![entry]);
            let text = if approve { "Approved" } else { "Rejected" };
            (done, text.to_owned())
        }
        PendingDecision::Week {
            issuer,
            subject,
            week,
            name,
            seen,
        } => {
            let done = authorized(|| {
                approve_week(issuer.clone(), subject.clone(), week.clone(), seen.clone())
            })
            .await;
            (done, format!("Approved {name}’s week"))
        }
    };
    match done {
        Ok(decided) => {
            let ids = decided.iter().map(|entry| entry.id.to_string()).collect();
            let again = reload.clone();
            toasts.show(
                text,
                Some(undo_of(ids, toasts, "Decision undone", move || again.notify())),
            );
            reload.notify();
        }
        Err(AppError::InsufficientUserAuthentication { .. }) => toasts.show(
            "Still not decided: your sign-in provider does not tell this app when you signed in. Ask your administrator.",
            None,
        ),
        Err(err) => toasts.show(format!("Not decided: {err}"), None),
    }
}

/// The entries of a week as the manager sees them: (id, version).
fn seen_versions(group: &PersonWeek) -> Vec<(String, i64)> {
    group
        .entries
        .iter()
        .map(|entry| (entry.id.to_string(), entry.version))
        .collect()
}

/// Whose week: (issuer, subject, week).
type OwnerWeek = (String, String, IsoWeek);

fn owner_week(group: &PersonWeek) -> OwnerWeek {
    (group.issuer.clone(), group.subject.clone(), group.week)
}

type ApproveWeek = Action<PersonWeek, (PersonWeek, Result<Vec<Entry>, AppError>)>;

/// One person's week on one row: who, when, how much, on what, and anything unusual;
/// Approve week on it; a tap opens its entries.
#[component]
fn PersonWeekRow(
    group: PersonWeek,
    approve: ApproveWeek,
    refused: RwSignal<HashMap<OwnerWeek, String>>,
    opened: RwSignal<std::collections::HashSet<OwnerWeek>>,
) -> impl IntoView {
    let (outbox, toasts, session) = (use_outbox(), use_toasts(), use_session());
    let summary = group.summary();
    let key = owner_week(&group);
    let owner_week_of = key.clone();
    let open = {
        let key = key.clone();
        move || opened.with(|opened| opened.contains(&key))
    };
    let toggle = {
        let key = key.clone();
        move |_| {
            opened.update(|opened| {
                if !opened.remove(&key) {
                    opened.insert(key.clone());
                }
            })
        }
    };
    let error = move || refused.with(|refused| refused.get(&key).cloned());
    // One week at a time: the list is read again after each.
    let busy = approve.pending();
    let when = week_label(group.week);
    let label = format!("{}, {when}", group.name);
    let days = if summary.days == 1 {
        "1 day".to_owned()
    } else {
        format!("{} days", summary.days)
    };
    let mut flags: Vec<String> = summary
        .long_days
        .iter()
        .map(|day| format!("{} over 10 h", day_label(*day)))
        .collect();
    if summary.resubmitted > 0 {
        flags.push(if summary.resubmitted == 1 {
            "1 entry resubmitted after rejection".to_owned()
        } else {
            format!(
                "{} entries resubmitted after rejection",
                summary.resubmitted
            )
        });
    }

    // Entry ids are unique: the first names the row's list.
    let list_id = format!(
        "entries-{}",
        group
            .entries
            .first()
            .map(|entry| entry.id.to_string())
            .unwrap_or_default()
    );
    let list_ref = list_id.clone();
    let name = group.name.clone();
    let monday = group.week.monday().to_string();
    // One copy for both: the entries shown when opened, the week sent by Approve week.
    let group = StoredValue::new(group);
    view! {
        <li class="card person-week" aria-label=label data-testid="person-week" data-monday=monday>
            <button
                type="button"
                class="summary"
                aria-expanded={
                    let open = open.clone();
                    move || open().to_string()
                }
                aria-controls=list_ref
                on:click=toggle
            >
                <span class="summary-name">{name}</span>
                <span class="summary-line">{format!("{when} · {days}")}</span>
                <span class="summary-line">{summary.projects.join(", ")}</span>
                {(!flags.is_empty()).then(|| view! { <span class="summary-flags">{flags.join(" · ")}</span> })}
            </button>
            <span class="summary-total">{duration_label(summary.minutes)}</span>
            {move || error().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
            // Before the entries: focus order follows the layout (it sits by the summary).
            <button
                type="button"
                class="button primary small"
                disabled=busy
                on:click=move |_| {
                    let group = group.get_value();
                    if is_online() {
                        approve.dispatch(group);
                        return;
                    }
                    let Some(owner) = session.owner() else { return };
                    if let Err(message) = decide_offline(outbox, toasts, &owner, group.entries, true, None) {
                        refused.update(|refused| {
                            refused.insert(owner_week_of.clone(), message);
                        });
                    }
                }
            >
                "Approve week"
            </button>
            <div id=list_id>
                {move || open().then(|| view! {
                    <ul class="entries">
                        {group.with_value(|group| group.entries.clone()).into_iter().map(|entry| view! { <Decision entry/> }).collect_view()}
                    </ul>
                })}
            </div>
        </li>
    }
}

/// Approve or reject one entry. Optimistic: the decision shows at once and is undone,
/// with the reason, when the server refuses (e.g. the entry changed meanwhile); a toast
/// offers Undo while the server still allows it.
#[component]
fn Decision(entry: Entry) -> impl IntoView {
    let toasts = use_toasts();
    let session = use_session();
    let outbox = use_outbox();
    let seen = StoredValue::new(entry.clone());
    let decided = RwSignal::new(None::<&'static str>);
    let rejecting = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(entry.id.to_string());
    let decide = move |approve: bool| {
        let id = id.get_value();
        let text = note.get_untracked();
        // The server's own rule: a rejection says why.
        if let (false, Err(err)) = (approve, Note::rejection_reason(&text)) {
            error.set(Some(format!("Note: {}", err.message)));
            return;
        }
        error.set(None);
        let note = (!approve).then(|| text.clone());
        // Offline (or the server out of reach): on this phone until it can be sent.
        let keep = move |note: Option<String>| {
            let owner = session.owner().unwrap_or_default();
            let kept = decide_offline(
                outbox,
                toasts,
                &owner,
                vec![seen.get_value()],
                approve,
                note,
            );
            if let Err(message) = kept {
                decided.try_set(None);
                error.try_set(Some(message));
            }
        };
        if !is_online() {
            keep(note);
            return;
        }
        let outcome = if approve { "Approved" } else { "Rejected" };
        decided.set(Some(outcome));
        let version = Some(seen.with_value(|entry| entry.version));
        leptos::task::spawn_local(async move {
            match authorized(|| decide_entry(id.clone(), approve, note.clone(), version)).await {
                Ok(_) => {
                    let undo = undo_of(vec![id], toasts, "Decision undone", move || {
                        decided.try_set(None);
                        rejecting.try_set(false);
                    });
                    toasts.show(outcome, Some(undo));
                }
                Err(AppError::InsufficientUserAuthentication { max_age })
                    if step_up::sign_in_again_for(
                        session,
                        &PendingDecision::Entry {
                            id: id.clone(),
                            approve,
                            note: note.clone(),
                            version,
                        },
                        max_age,
                    ) => {}
                Err(err) if is_for_later(&err) => {
                    decided.try_set(None);
                    keep(note);
                }
                // `try_set`: the row may have been closed while the request was out.
                Err(err) => {
                    decided.try_set(None);
                    error.try_set(Some(match err {
                        AppError::Conflict { .. } | AppError::PreconditionFailed => {
                            "Someone changed this entry meanwhile; reload to see it.".to_owned()
                        }
                        err => format!("Not saved: {err}"),
                    }));
                }
            }
        });
    };
    let earlier = entry.decision_note.clone();
    view! {
        <li class="entry" data-testid="pending-entry">
            <div class="entry-main">
                <span class="entry-project">{format!("{} · {}", day_label(entry.date), entry.project_name)}</span>
                <span class="entry-duration">{duration_label(entry.minutes.get())}</span>
            </div>
            {entry.note.clone().map(|text| view! { <p class="entry-note">{text}</p> })}
            {earlier.map(|text| view! { <p class="decision-note">{format!("Sent back before: {text}")}</p> })}
            {move || match decided.get() {
                Some(outcome) => view! { <p class="badge decided" role="status">{outcome}</p> }.into_any(),
                None if rejecting.get() => view! {
                    <label class="field">
                        <span>"Why is it rejected?"</span>
                        <textarea rows="2" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    </label>
                    <div class="entry-actions">
                        <button type="button" class="button small danger-solid" on:click=move |_| decide(false)>"Reject"</button>
                        <button type="button" class="button small" on:click=move |_| rejecting.set(false)>"Cancel"</button>
                    </div>
                }
                .into_any(),
                None => view! {
                    <div class="entry-actions">
                        <button type="button" class="button small" on:click=move |_| decide(true)>"Approve"</button>
                        <button type="button" class="button small" on:click=move |_| rejecting.set(true)>"Reject…"</button>
                    </div>
                }
                .into_any(),
            }}
            {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
        </li>
    }
}

/// Downloads everyone's approved entries of a date range (`GET /api/timesheets/export`
/// with the access token), after checking the dates with the same rules as the server.
#[component]
fn Export() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        // This month so far, in the device's time zone.
        if let Some(today) = crate::browser::today() {
            let first = today.date().replace_day(1).map(WorkDate::from_date);
            from.set(first.map(|first| first.to_string()).unwrap_or_default());
            to.set(today.to_string());
        }
    });
    let download = move |_| {
        let dates = WorkDate::parse(&from.get())
            .map_err(|err| format!("From: {}", err.message))
            .and_then(|start| {
                let end =
                    WorkDate::parse(&to.get()).map_err(|err| format!("To: {}", err.message))?;
                if end < start {
                    return Err("To: must not be before From".to_owned());
                }
                Ok((start, end))
            });
        match dates {
            Err(message) => error.set(Some(message)),
            Ok((start, end)) => {
                error.set(None);
                busy.set(true);
                // Clicks happen in the browser only.
                #[cfg(not(feature = "hydrate"))]
                let _ = (start, end);
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(async move {
                    let path =
                        format!("/api/timesheets/export?from={start}&to={end}&everyone=true");
                    match crate::api_client::download_with_token(&path).await {
                        Ok(url) => crate::browser::offer_download(
                            &url,
                            &format!("timesheets-{start}-{end}.csv"),
                        ),
                        Err(err) => error.set(Some(err.to_string())),
                    }
                    busy.set(false);
                });
            }
        }
    };
    view! {
        <h2>"Export approved time"</h2>
        <p class="muted">"Everyone's approved entries as CSV, for payroll."</p>
        <div class="field-row">
            <label class="field">
                <span>"From"</span>
                <input type="date" name="from" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/>
            </label>
            <label class="field">
                <span>"To"</span>
                <input type="date" name="to" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/>
            </label>
        </div>
        {move || error.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        <button type="button" class="button primary" disabled=move || busy.get() on:click=download>
            {move || if busy.get() { "Preparing…" } else { "Download CSV" }}
        </button>
    }
}

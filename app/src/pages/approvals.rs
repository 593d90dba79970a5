//! `/approvals`: for people whose token grants `approve:timesheets` (the server checks
//! again on every call): others' submitted entries by person and week, to approve or
//! reject; and everyone's approved time as CSV for payroll.

use std::collections::HashMap;

use leptos::{lazy, prelude::*};

use super::home::{on_demand, SignedInOnly};
use crate::{
    api::{approve_week, decide_entry, get_awaiting_approval},
    api_client::authorized,
    auth::Scope,
    domain::{clock, IsoWeek, Note, WorkDate},
    entries::Entry,
    error::AppError,
    session::use_session,
};

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

/// One person's week of submitted entries.
struct Group {
    name: String,
    issuer: String,
    subject: String,
    week: IsoWeek,
    entries: Vec<Entry>,
}

fn group(entries: Vec<Entry>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for entry in entries {
        let week = entry.date.week();
        let found = groups.iter_mut().find(|group| {
            group.issuer == entry.owner.issuer
                && group.subject == entry.owner.subject
                && group.week == week
        });
        match found {
            Some(group) => group.entries.push(entry),
            None => groups.push(Group {
                name: entry
                    .owner
                    .name
                    .clone()
                    .or_else(|| entry.owner.email.clone())
                    .unwrap_or_else(|| entry.owner.subject.clone()),
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

/// Submitted entries grouped by person and week, decided one by one or a week at once.
#[component]
fn Pending() -> impl IntoView {
    // Approving a week is an action; the list is a resource keyed on it, so the week goes
    // once approved (and stays, with the reason, when refused).
    let approve = Action::new_unsync(|owner_week: &OwnerWeek| {
        let owner_week = owner_week.clone();
        async move {
            let (issuer, subject, week) = owner_week.clone();
            let done =
                authorized(|| approve_week(issuer.clone(), subject.clone(), week.to_string()))
                    .await;
            (owner_week, done.map(drop))
        }
    });
    let pending = LocalResource::new(move || {
        approve.version().track();
        authorized(get_awaiting_approval)
    });
    // Why a week was not approved, until it is: kept per week, as the list is drawn anew
    // after every attempt.
    let refused = RwSignal::new(HashMap::<OwnerWeek, String>::new());
    Effect::new(move |_| {
        if let Some((owner_week, done)) = approve.value().get() {
            refused.update(|refused| match done {
                Ok(()) => {
                    refused.remove(&owner_week);
                }
                Err(err) => {
                    refused.insert(owner_week, format!("Not approved: {err}"));
                }
            });
        }
    });
    move || {
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
        Some(Ok(entries)) if entries.is_empty() => view! {
            <section class="card"><p data-testid="nothing-to-approve">"Nothing waits for your approval."</p></section>
        }
        .into_any(),
        Some(Ok(entries)) => group(entries)
            .into_iter()
            .map(|group| view! { <PersonWeek group approve refused/> })
            .collect_view()
            .into_any(),
    }
    }
}

/// Whose week: (issuer, subject, week).
type OwnerWeek = (String, String, IsoWeek);

#[component]
fn PersonWeek(
    group: Group,
    approve: Action<OwnerWeek, (OwnerWeek, Result<(), AppError>)>,
    refused: RwSignal<HashMap<OwnerWeek, String>>,
) -> impl IntoView {
    let total: u32 = group
        .entries
        .iter()
        .map(|entry| u32::from(entry.minutes))
        .sum();
    let mine: OwnerWeek = (group.issuer.clone(), group.subject.clone(), group.week);
    let error = {
        let mine = mine.clone();
        move || refused.with(|refused| refused.get(&mine).cloned())
    };
    // One week at a time: the list is read again after each.
    let busy = approve.pending();
    let approve_all = move |_| {
        approve.dispatch(mine.clone());
    };
    let label = format!("{} · {}", group.name, group.week);
    let aria_label = label.clone();
    view! {
        <section class="card person-week" aria-label=aria_label data-testid="person-week">
            <h2 class="day-head"><span>{label}</span><span class="day-total">{clock(total)}</span></h2>
            <ul class="entries">
                {group.entries.into_iter().map(|entry| view! { <Decision entry/> }).collect_view()}
            </ul>
            {move || error().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
            <button type="button" class="button primary" disabled=busy on:click=approve_all>
                "Approve week"
            </button>
        </section>
    }
}

/// Approve or reject one entry. Optimistic: the decision shows at once and is undone,
/// with the reason, when the server refuses (e.g. the entry changed meanwhile).
#[component]
fn Decision(entry: Entry) -> impl IntoView {
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
        decided.set(Some(if approve { "Approved" } else { "Rejected" }));
        leptos::task::spawn_local(async move {
            let note = (!approve).then(|| text.clone());
            if let Err(err) = authorized(|| decide_entry(id.clone(), approve, note.clone())).await {
                decided.set(None);
                error.set(Some(match err {
                    AppError::Conflict { .. } | AppError::PreconditionFailed => {
                        "Someone changed this entry meanwhile; reload to see it.".to_owned()
                    }
                    err => format!("Not saved: {err}"),
                }));
            }
        });
    };
    view! {
        <li class="entry" data-testid="pending-entry">
            <div class="entry-main">
                <span class="entry-project">{format!("{} · {}", entry.date, entry.project_name)}</span>
                <span class="entry-duration">{entry.minutes.clock()}</span>
            </div>
            {entry.note.clone().map(|text| view! { <p class="entry-note">{text}</p> })}
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

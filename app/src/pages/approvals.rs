//! `/approvals`: for people whose token grants `approve:timesheets` (the server checks
//! again on every call). Exports everyone's approved time as CSV for payroll.

use leptos::prelude::*;

use super::home::{Opening, SignIn};
use crate::{
    auth::Scope,
    domain::WorkDate,
    session::{use_session, AuthState},
};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let session = use_session();
    move || {
        match session.state() {
        AuthState::Starting => view! { <Opening/> }.into_any(),
        AuthState::SignedOut { message } => view! { <SignIn message/> }.into_any(),
        AuthState::SignedIn { scopes, .. } if !scopes.contains(Scope::ApproveTimesheets) => view! {
            <section class="card">
                <h1>"Approvals"</h1>
                <p class="notice" role="alert">"Your account may not approve time (it lacks approve:timesheets)."</p>
            </section>
        }
        .into_any(),
        AuthState::SignedIn { .. } => view! {
            <section class="card">
                <h1>"Approvals"</h1>
                <Export/>
            </section>
        }
        .into_any(),
    }
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
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // This month so far, in the device's time zone.
        let today = web_sys::js_sys::Date::new_0();
        let (year, month, day) = (
            today.get_full_year(),
            today.get_month() + 1,
            today.get_date(),
        );
        from.set(format!("{year:04}-{month:02}-01"));
        to.set(format!("{year:04}-{month:02}-{day:02}"));
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
                let _ = (start, end);
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(async move {
                    let path =
                        format!("/api/timesheets/export?from={start}&to={end}&everyone=true");
                    match crate::api_client::download_with_token(&path).await {
                        Ok(url) => save(&url, &format!("timesheets-{start}-{end}.csv")),
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

/// Hands the downloaded file to the browser under `name`.
#[cfg(feature = "hydrate")]
fn save(object_url: &str, name: &str) {
    use wasm_bindgen::JsCast;
    if let Ok(link) = document().create_element("a") {
        let link: web_sys::HtmlAnchorElement = link.unchecked_into();
        link.set_href(object_url);
        link.set_download(name);
        link.click();
        // Revoked later: revoking at once can cancel the download that just started.
        let object_url = object_url.to_owned();
        set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&object_url);
            },
            std::time::Duration::from_secs(60),
        );
    }
}

//! The home screen. For now it proves the round trip browser → server function → database.

use leptos::prelude::*;

use crate::api::GetServerStatus;

#[component]
pub fn HomePage() -> impl IntoView {
    let check = ServerAction::<GetServerStatus>::new();
    let status_text = move || match check.value().get() {
        None if check.pending().get() => "Checking…".to_string(),
        None => "Not checked yet.".to_string(),
        Some(Ok(status)) => format!(
            "{} {} is up · database: {} ({})",
            status.name,
            status.version,
            status.database,
            if status.database_ok {
                "reachable"
            } else {
                "unreachable"
            }
        ),
        Some(Err(err)) => format!("Could not reach the server: {err}"),
    };

    view! {
        <section class="card">
            <h1>"Your week, on your phone"</h1>
            <p>"Log your working time wherever you are; your manager approves it."</p>
            <ActionForm action=check>
                <button type="submit" class="button primary" disabled=move || check.pending().get()>
                    "Check the server"
                </button>
            </ActionForm>
            <p class="status" role="status" aria-live="polite" data-testid="server-status">
                {status_text}
            </p>
        </section>
    }
}

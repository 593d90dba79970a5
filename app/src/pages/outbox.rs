//! The screen of an app opened without network by someone who was signed in.

use leptos::prelude::*;

use crate::{
    browser::{duration_label, today},
    components::{
        entry_form::{Editing, EntryForm},
        queued::{minutes_of, OutboxSummary, QueuedRow},
        timer::TimerCard,
        toast::ToastHost,
    },
    outbox::store::{remembered_projects, use_outbox, OutboxStore},
    session::use_session,
};

/// The app opened without network by someone who was signed in: their outbox, and the
/// entry form (with the projects last loaded) so they can log time anyway.
#[component]
pub fn OfflineStart() -> impl IntoView {
    let outbox: OutboxStore = use_outbox();
    let session = use_session();
    let projects = remembered_projects();
    let editing = RwSignal::new(None::<Editing>);
    let saves = move || {
        session
            .owner()
            .map(|owner| outbox.saves_of(&owner))
            .unwrap_or_default()
    };
    // Type-erased halves: the nested view types are otherwise too deep for the compiler.
    let outbox_card = view! {
        <section class="card" aria-labelledby="offline-title">
            <h1 id="offline-title">"You're offline"</h1>
            <p>"You'll be signed in again as soon as this phone is back online; entries saved on it are sent then."</p>
            <OutboxSummary/>
            {move || {
                let saves = saves();
                let total = minutes_of(&[], &saves);
                (!saves.is_empty()).then(|| view! {
                    <p class="week-total">"Saved on this phone " <strong>{duration_label(total)}</strong></p>
                    <ul class="entries">
                        {saves.into_iter().map(|save| view! { <QueuedRow save/> }).collect_view()}
                    </ul>
                }.into_any())
            }}
        </section>
    }
    .into_any();
    let form_or_add = move || {
        match editing.get() {
            Some(form_for) => view! {
                <EntryForm editing=form_for projects=projects.clone() on_done=Callback::new(move |_| editing.set(None))/>
            }
            .into_any(),
            None => (!projects.is_empty())
                .then(|| view! {
                    <button type="button" class="button primary fab" on:click=move |_| editing.set(today().map(Editing::New))>
                        "Add entry"
                    </button>
                })
                .into_any(),
    }
    };
    // No tab bar here (not signed in yet), so no toasts unless this screen has its own place.
    let timer_card = view! { <TimerCard projects=remembered_projects()/> }.into_any();
    view! { {outbox_card} {timer_card} {form_or_add} <ToastHost/> }
}

//! A button that asks once more before an action that cannot be taken back.

use leptos::prelude::*;

/// `label` first; a tap shows `question` with `confirm` (which runs `on_confirm`) and
/// `cancel` (which shows `label` again).
#[component]
pub fn Confirmed(
    label: &'static str,
    /// The first button's class.
    class: &'static str,
    #[prop(into)] question: String,
    #[prop(into)] confirm: String,
    confirm_class: &'static str,
    cancel: &'static str,
    /// While true, `confirm` is disabled (the action is on its way).
    #[prop(optional, into)]
    busy: Option<Signal<bool>>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let (question, confirm) = (StoredValue::new(question), StoredValue::new(confirm));
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! {
                <button type="button" class=class on:click=move |_| confirming.set(true)>{label}</button>
            }
        >
            <div class="confirm" role="group" aria-label=label>
                <p>{question.get_value()}</p>
                <button
                    type="button"
                    class=confirm_class
                    disabled=move || busy.is_some_and(|busy| busy.get())
                    on:click=move |_| on_confirm.run(())
                >
                    {confirm.get_value()}
                </button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>{cancel}</button>
            </div>
        </Show>
    }
}

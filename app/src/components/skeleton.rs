//! Placeholders while content loads.

use leptos::prelude::*;

/// Grey lines where content is about to appear.
#[component]
pub fn Skeleton(label: &'static str) -> impl IntoView {
    view! {
        <div class="skeleton-lines" aria-busy="true" aria-label=label>
            <div></div>
            <div></div>
            <div></div>
        </div>
    }
}

//! Toasts: a short confirmation of a save or a decision at the bottom of the screen, with
//! Undo where the server can take the change back.

use std::{sync::Arc, time::Duration};

use leptos::prelude::*;

/// How long a toast stays: long enough to read and reach Undo, well inside the server's
/// undo window.
const SHOWN: Duration = Duration::from_secs(4);
const SHOWN_WITH_UNDO: Duration = Duration::from_secs(7);
/// While a finger or the focus is on the toast it stays; checked again this often.
const HELD: Duration = Duration::from_secs(1);

/// What Undo does. Not a `Callback`: the toast outlives the screen or row that showed it,
/// so the action may hold no reactive handle of theirs (see `try_*` in the callers).
pub type Undo = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone)]
struct Toast {
    /// Which toast: a timer only hides the one it was started for.
    serial: u64,
    text: String,
    undo: Option<Undo>,
}

/// The one toast on screen (a newer one replaces it), shared through context.
#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Option<Toast>>,
    serial: StoredValue<u64>,
    /// A finger or the keyboard focus is on the toast.
    held: StoredValue<bool>,
}

impl Toasts {
    fn new() -> Self {
        Toasts {
            shown: RwSignal::new(None),
            serial: StoredValue::new(0),
            held: StoredValue::new(false),
        }
    }

    /// Shows `text`, with an Undo button that runs `undo` when given.
    pub fn show(self, text: impl Into<String>, undo: Option<Undo>) {
        let serial = self.serial.get_value() + 1;
        self.serial.set_value(serial);
        let lasts = if undo.is_some() {
            SHOWN_WITH_UNDO
        } else {
            SHOWN
        };
        self.shown.set(Some(Toast {
            serial,
            text: text.into(),
            undo,
        }));
        set_timeout(move || self.hide(serial), lasts);
    }

    /// Hides toast `serial` if it is still the one shown, once nobody holds it.
    fn hide(self, serial: u64) {
        let current = self
            .shown
            .with_untracked(|shown| shown.as_ref().map(|toast| toast.serial));
        if current != Some(serial) {
            return;
        }
        if self.held.get_value() {
            set_timeout(move || self.hide(serial), HELD);
        } else {
            self.shown.set(None);
        }
    }
}

pub fn provide_toasts() {
    provide_context(Toasts::new());
}

/// The app's toasts. Take them when the component is made: tasks spawned later have no
/// context to ask. Outside the app they go nowhere.
pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(Toasts::new)
}

/// Where toasts appear: a polite live region, there before any toast so screen readers
/// announce each one.
#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    let hold = move |held: bool| toasts.held.set_value(held);
    view! {
        <div
            class="toast-host"
            role="status"
            aria-live="polite"
            on:focusin=move |_| hold(true)
            on:focusout=move |_| hold(false)
            on:pointerenter=move |_| hold(true)
            on:pointerleave=move |_| hold(false)
        >
            {move || toasts.shown.get().map(|toast| {
                let undo = toast.undo.map(|undo| view! {
                    <button
                        type="button"
                        class="toast-undo"
                        on:click=move |_| {
                            hold(false);
                            toasts.shown.set(None);
                            undo();
                        }
                    >
                        "Undo"
                    </button>
                });
                view! {
                    <div class="toast" data-testid="toast">
                        <span>{toast.text}</span>
                        {undo}
                    </div>
                }
            })}
        </div>
    }
}

//! What makes the app installable and testable once it runs in the browser: the service
//! worker's registration and the "update available" prompt.

use leptos::prelude::*;

/// The colour of the browser chrome; the same value is in `public/manifest.webmanifest`.
pub const THEME_COLOR: &str = "#1f5fbf";

/// Runs once the app is hydrated (effects never run during server rendering):
/// registers the service worker and marks the document, so tests and styles can tell a
/// hydrated page from server-rendered HTML. The signal turns true when a new version of
/// the app is installed and waits for the user's go-ahead.
pub fn on_hydrated() -> RwSignal<bool> {
    let update_ready = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            worker::register(update_ready);
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-hydrated", "true");
            }
        }
    });
    update_ready
}

/// "A new version is available": the new service worker takes over only when the user
/// says so (an open form is never reloaded under their fingers), then the page reloads.
#[component]
pub fn UpdatePrompt(ready: RwSignal<bool>) -> impl IntoView {
    move || {
        ready.get().then(|| {
            view! {
                <div class="update-prompt" role="status">
                    <span>"A new version of Timesheets is available."</span>
                    <button type="button" class="button small primary" on:click=move |_| {
                        #[cfg(feature = "hydrate")]
                        worker::activate_waiting();
                    }>
                        "Reload"
                    </button>
                </div>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
mod worker {
    use leptos::prelude::*;
    use wasm_bindgen::{prelude::*, JsCast};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

    /// `None` in browsers without service workers (or private modes that disable them):
    /// they still get a working app, just not an installable one.
    fn container() -> Option<ServiceWorkerContainer> {
        let navigator = window().navigator();
        web_sys::js_sys::Reflect::has(navigator.as_ref(), &JsValue::from_str("serviceWorker"))
            .unwrap_or(false)
            .then(|| navigator.service_worker())
    }

    thread_local! {
        static RELOAD_ON_TAKEOVER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// An old version controls the page: a newly installed one is an update.
    fn container_has_controller() -> bool {
        container().is_some_and(|container| container.controller().is_some())
    }

    pub fn register(update_ready: RwSignal<bool>) {
        let Some(container) = container() else {
            return;
        };
        // Only the user's "Reload" reloads: a first install also changes the controller
        // (it takes over at once: there is no old version to keep).
        let on_controller_change = Closure::<dyn Fn()>::new(move || {
            if RELOAD_ON_TAKEOVER.get() {
                let _ = window().location().reload();
            }
        });
        container.set_oncontrollerchange(Some(on_controller_change.as_ref().unchecked_ref()));
        on_controller_change.forget();

        let registered = container.register("/sw.js");
        claim_when_ready(&container);
        leptos::task::spawn_local(async move {
            // Checked, not assumed: a browser that blocks workers may resolve with nothing,
            // and a call on that would throw inside the app's task executor.
            let Some(registration) = registration_of(JsFuture::from(registered).await) else {
                return;
            };
            if container_has_controller() && registration.waiting().is_some() {
                update_ready.set(true);
            }
            watch_installs(&registration, update_ready);
            check_on_wake(registration);
        });
    }

    /// The first worker claims the open pages when it activates, but a page whose
    /// navigation started while that worker was still installing is not among them: it
    /// would stay uncontrolled (no offline start) until reloaded. Such a page asks the
    /// active worker to claim it.
    fn claim_when_ready(container: &ServiceWorkerContainer) {
        let Ok(ready) = container.ready() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let Some(registration) = registration_of(JsFuture::from(ready).await) else {
                return;
            };
            if let (false, Some(active)) = (container_has_controller(), registration.active()) {
                let _ = active.post_message(&JsValue::from_str("CLAIM"));
            }
        });
    }

    fn registration_of(answer: Result<JsValue, JsValue>) -> Option<ServiceWorkerRegistration> {
        answer.ok()?.dyn_into().ok()
    }

    /// A new worker that finishes installing while an old one controls the page is an
    /// update waiting for the user.
    fn watch_installs(registration: &ServiceWorkerRegistration, update_ready: RwSignal<bool>) {
        let watched = registration.clone();
        let on_update_found = Closure::<dyn Fn()>::new(move || {
            let Some(installing) = watched.installing() else {
                return;
            };
            let worker = installing.clone();
            let on_state = Closure::<dyn Fn()>::new(move || {
                if worker.state() == ServiceWorkerState::Installed && container_has_controller() {
                    update_ready.set(true);
                }
            });
            installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
            on_state.forget();
        });
        registration.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        on_update_found.forget();
    }

    /// An app left open for days still hears of new versions: look when it is shown again.
    fn check_on_wake(registration: ServiceWorkerRegistration) {
        let on_visible = Closure::<dyn Fn()>::new(move || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                let _ = registration.update();
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
    }

    /// The user said "Reload": the waiting worker takes over; `controllerchange` reloads.
    pub fn activate_waiting() {
        let Some(container) = container() else {
            return;
        };
        let found = container.get_registration();
        leptos::task::spawn_local(async move {
            let Some(registration) = registration_of(JsFuture::from(found).await) else {
                return;
            };
            match registration.waiting() {
                Some(waiting) => {
                    RELOAD_ON_TAKEOVER.set(true);
                    let _ = waiting.post_message(&JsValue::from_str("SKIP_WAITING"));
                }
                None => {
                    let _ = window().location().reload();
                }
            }
        });
    }
}

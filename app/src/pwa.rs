//! What makes the app installable and testable once it runs in the browser.

use leptos::prelude::*;

/// The colour of the browser chrome; the same value is in `public/manifest.webmanifest`.
pub const THEME_COLOR: &str = "#1f5fbf";

/// Runs once the app is hydrated (effects never run during server rendering):
/// registers the service worker and marks the document, so tests and styles can tell a
/// hydrated page from server-rendered HTML.
pub fn on_hydrated() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        {
            let window = window();
            // Browsers without service workers (or private modes that disable them) still
            // get a working app, just not an installable one.
            if js_sys_has_service_worker(&window) {
                let _registration = window.navigator().service_worker().register("/sw.js");
            }
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-hydrated", "true");
            }
        }
    });
}

#[cfg(feature = "hydrate")]
fn js_sys_has_service_worker(window: &web_sys::Window) -> bool {
    use wasm_bindgen::JsValue;
    web_sys::js_sys::Reflect::has(
        window.navigator().as_ref(),
        &JsValue::from_str("serviceWorker"),
    )
    .unwrap_or(false)
}

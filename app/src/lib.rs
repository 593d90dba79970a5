//! Timesheets: the Leptos PWA and everything the browser and the server share.
//!
//! - [`shell`] and [`App`]: the server-rendered, hydrated app.
//! - [`auth`]: scopes and the verified principal, shared by the API and the app.
//! - [`domain`]: typed timesheet values whose rules run in the browser and the server.
//! - [`admin`]: what administering projects and people sends and receives.
//! - [`error`]: the one error type that crosses the wire.
//! - [`api`]: server functions, thin adapters over the server's [`ports::Services`].
//! - [`oidc`], [`session`], [`api_client`]: sign-in in the browser, the session, and calls
//!   with the access token.
//! - [`outbox`]: saves made without network, kept on the device until they are sent.
//! - [`push`]: Web Push reminders: a device's subscription and what a reminder carries.
//! - [`passkeys`]: what the embedded provider's passkey endpoints exchange with the app.
//! - [`review`]: a manager's view of submitted time: each person's week at a glance.
//! - [`timer`]: the running timer, kept on the phone and known to the server.
//! - [`overview`]: everyone's hours of a week or month, per person, day and project.

// The approvals screen's view types (rows of summaries with their entries) nest deeper
// than rustc's default when the WASM build lays them out.
#![recursion_limit = "256"]

pub mod admin;
pub mod api;
pub mod api_client;
pub mod auth;
pub mod bearer;
pub mod browser;
mod components;
pub mod domain;
pub mod entries;
pub mod error;
pub mod oidc;
pub mod outbox;
pub mod overview;
mod pages;
pub mod passkeys;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod push;
mod pwa;
pub mod review;
#[cfg(feature = "ssr")]
mod schema;
mod scope;
pub mod session;
mod shell;
mod step_up;
pub mod timer;

pub use shell::{shell, App};

/// Entry point of the WASM bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}

//! Signing in to the PWA with OpenID Connect: Authorization Code + PKCE in the browser.
//!
//! - [`config`]: what the server tells the app about the provider.
//! - [`callback`] and [`id_token`]: the checks of the provider's answers, pure and tested natively.
//! - `browser` (WASM only): the protocol over `fetch`, WebCrypto, `sessionStorage`, Web Locks
//!   and `BroadcastChannel`; [`crate::session`] drives it and holds the tokens in memory.

pub mod callback;
pub mod config;
pub mod id_token;

#[cfg(feature = "hydrate")]
pub(crate) mod browser;

pub use config::{AuthConfig, CALLBACK_PATH, META_NAME};

//! What the rest of the app calls to sign in, renew and sign out. Each function is
//! `#[lazy]`: with `cargo leptos build --split` the sign-in code (the `oauth2` client,
//! PKCE, discovery, the ID-token checks) leaves the first download and is fetched on first
//! use. Every use waits on the network anyway, and the service worker precaches the chunks,
//! so a renewal works from the cache too.

use std::rc::Rc;

use leptos::lazy;

use super::flow::{self, Completed, SignInError, TokenSet};
use crate::oidc::AuthConfig;

/// See [`flow::start`].
#[lazy]
pub async fn start(
    config: Rc<AuthConfig>,
    return_to: String,
    silent: bool,
) -> Result<(), SignInError> {
    flow::start(&config, &return_to, silent).await
}

/// See [`flow::complete`].
#[lazy]
pub async fn complete(
    config: Rc<AuthConfig>,
    query: Vec<(String, String)>,
) -> Result<Completed, SignInError> {
    flow::complete(&config, &query).await
}

/// See [`flow::refresh`].
#[lazy]
pub async fn refresh(config: Rc<AuthConfig>, current: TokenSet) -> Result<TokenSet, SignInError> {
    flow::refresh(&config, &current).await
}

/// Revokes the refresh token ([`flow::revoke`]), then answers where the browser goes:
/// the provider's logout page ([`flow::logout_url`]) when it has one.
#[lazy]
pub async fn sign_out(config: Rc<AuthConfig>, tokens: TokenSet) -> Option<String> {
    flow::revoke(&config, &tokens).await;
    flow::logout_url(&config, &tokens).await
}

//! What the rest of the app calls to sign in, renew and sign out. Only the session's
//! on-demand part calls it (`session::driver::tokens`, a chunk of its own): the sign-in
//! code (the `oauth2` client, PKCE, discovery, the ID-token checks) is not in the first
//! download.

use std::rc::Rc;

use super::flow::{self, Completed, SignInError, TokenSet};
use crate::oidc::AuthConfig;

/// See [`flow::start`].
pub async fn start(
    config: Rc<AuthConfig>,
    return_to: String,
    silent: bool,
) -> Result<(), SignInError> {
    flow::start(&config, &return_to, silent).await
}

/// See [`flow::complete`].
pub async fn complete(
    config: Rc<AuthConfig>,
    query: Vec<(String, String)>,
) -> Result<Completed, SignInError> {
    flow::complete(&config, &query).await
}

/// See [`flow::refresh`].
pub async fn refresh(config: Rc<AuthConfig>, current: TokenSet) -> Result<TokenSet, SignInError> {
    flow::refresh(&config, &current).await
}

/// Revokes the refresh token ([`flow::revoke`]), then answers where the browser goes:
/// the provider's logout page ([`flow::logout_url`]) when it has one.
pub async fn sign_out(config: Rc<AuthConfig>, tokens: TokenSet) -> Option<String> {
    flow::revoke(&config, &tokens).await;
    flow::logout_url(&config, &tokens).await
}

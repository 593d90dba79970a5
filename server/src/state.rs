//! What every request handler shares (`AppState`), and the parts of it that axum's
//! `State` extractors take one by one (`FromRef`).

use std::sync::Arc;

use app::ports::{SharedAuthenticator, SharedServices};
use axum::extract::FromRef;
use db::{Db, SqliteClaim};
use leptos::config::LeptosOptions;
use provider::Provider;

use crate::{assets::Assets, config::Origin, services::ServerServices};

/// Everything a request handler may need, behind one reference count: axum clones the
/// state for every request and `FromRef` clones a field for every `State` extractor, and
/// cloning and dropping these fields one by one (some twenty counts shared by every core)
/// were a measurable share of a cached week read (docs/BENCHMARKS.md).
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

impl FromRef<AppState> for ServerServices {
    fn from_ref(state: &AppState) -> ServerServices {
        state.server_services.clone()
    }
}

impl FromRef<AppState> for Arc<Assets> {
    fn from_ref(state: &AppState) -> Arc<Assets> {
        state.assets.clone()
    }
}

pub struct AppStateInner {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub services: SharedServices,
    /// The same business layer, for REST handlers.
    pub server_services: ServerServices,
    /// Verifies access tokens for REST handlers and server functions alike.
    pub gate: SharedAuthenticator,
    pub assets: Arc<Assets>,
    /// Origins allowed to call `/api` from a browser (CORS).
    pub cors_origins: Arc<[Origin]>,
    /// The embedded OpenID Connect provider, when no external issuer is configured.
    pub provider: Option<Provider>,
    /// How the PWA signs in: provider, client id, scopes (written into every page).
    pub pwa_auth: Arc<app::oidc::AuthConfig>,
    /// On a SQLite file: the lock that keeps a second server off it while this one runs.
    pub(crate) _sqlite_claim: Option<SqliteClaim>,
}

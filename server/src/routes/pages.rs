//! Leptos: server-rendered pages, server functions, and the public files of the site.

use std::{collections::HashSet, sync::OnceLock};

use app::error::AppError;
use axum::{
    body::Body,
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;

use crate::{error::app_error_response, state::AppState};

/// What every server-rendered page and server function may `use_context` for.
fn provide_request_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
    let services = state.services.clone();
    let gate = state.gate.clone();
    let pwa_auth = state.pwa_auth.clone();
    move || {
        provide_context(services.clone());
        provide_context(gate.clone());
        provide_context(app::oidc::AuthConfig::clone(&pwa_auth));
    }
}

/// `/api/rpc/*`: Leptos server functions.
pub async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> Response {
    if !is_server_fn(request.uri().path()) {
        // leptos_axum answers 400 with a developer hint; a client expects 404.
        return app_error_response(&AppError::NotFound);
    }
    leptos_axum::handle_server_fns_with_context(provide_request_context(&state), request)
        .await
        .into_response()
}

/// Server functions register themselves when the binary starts; their set never changes.
fn is_server_fn(path: &str) -> bool {
    static PATHS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    PATHS
        .get_or_init(|| {
            server_fn::axum::server_fn_paths()
                .map(|(path, _)| path)
                .collect()
        })
        .contains(path)
}

/// A page of the app, rendered on the server and hydrated in the browser.
pub async fn render(State(state): State<AppState>, request: Request<Body>) -> Response {
    let options = state.leptos_options.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        provide_request_context(&state),
        move || app::shell(options.clone()),
    );
    handler(request).await.into_response()
}

/// Files of `public/` (icons, manifest), else the app's "not found" page.
pub async fn file_or_not_found(State(state): State<AppState>, request: Request<Body>) -> Response {
    let handler = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        provide_request_context(&state),
        app::shell,
    );
    let uri = request.uri().clone();
    handler(uri, State(state), request).await
}

//! The HTTP surface: one router for the app, its assets, server functions and probes.

mod api;
mod cache;
mod health;
mod pages;

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::{routing::get, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    compression::CompressionLayer, sensitive_headers::SetSensitiveRequestHeadersLayer,
    services::ServeDir, set_header::SetResponseHeaderLayer, trace::TraceLayer,
};

use crate::{assets, state::AppState};

pub fn router(state: AppState) -> Router {
    let site_root = Path::new(state.leptos_options.site_root.as_ref()).to_path_buf();
    let pkg_dir = site_root.join(state.leptos_options.site_pkg_dir.as_ref());
    let page_routes = generate_route_list(app::App);
    let provider = match state.provider.clone() {
        Some(provider) => provider::router(provider),
        None => Router::new(),
    };

    Router::new()
        .route("/healthz", get(health::liveness))
        .route("/readyz", get(health::readiness))
        .route("/sw.js", get(assets::service_worker))
        .route(
            "/api/rpc/{*name}",
            get(pages::server_fn).post(pages::server_fn),
        )
        .merge(api::router(&state.cors_origins))
        .merge(provider)
        .leptos_routes_with_handler(page_routes, get(pages::render))
        // `cargo leptos build --release --precompress` writes .br/.gz beside each file.
        .nest_service(
            "/pkg",
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(pages::file_or_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.assets.immutable,
            cache::set_cache_headers,
        ))
        // No page, and above all not the sign-in callback with its code in the URL,
        // tells other sites where the user came from.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        // Outermost: no log line or debug print anywhere below can show a token.
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .with_state(state)
}

//! The HTML document (rendered on the server) and the root component (hydrated in the browser).

use leptos::{lazy, prelude::*};
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, StaticSegment,
};

use crate::{
    auth::{Scope, ScopeSet},
    components::toast::{provide_toasts, ToastHost},
    oidc::id_token::Profile,
    oidc::{AuthConfig, META_NAME},
    outbox::{self, store::provide_outbox},
    pages::{
        admin::AdminPage,
        approvals::ApprovalsPage,
        callback::CallbackPage,
        home::{quietly, HomePage},
        profile::{Avatar, ProfilePage},
    },
    pwa,
    session::{provide_session, start_in_browser, use_session},
};

/// The document around [`App`]; only the server renders it. The server provides the
/// provider settings ([`AuthConfig`]) as context; they go into a `<meta>` for the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let auth_config = use_context::<AuthConfig>();
    #[cfg(feature = "ssr")]
    security_headers(auth_config.as_ref());
    let auth_json = auth_config.and_then(|config| serde_json::to_string(&config).ok());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="description" content="Log your working time from your phone; managers approve it."/>
                <meta name="theme-color" content=pwa::THEME_COLOR/>
                <meta name=META_NAME content=auth_json/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/icons/favicon-32.png" type="image/png" sizes="32x32"/>
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Content-Security-Policy of every page: scripts only from this origin or with this
/// response's nonce (Leptos puts it on its hydration scripts), connections only to this
/// origin and the sign-in provider, never framed.
#[cfg(feature = "ssr")]
fn security_headers(config: Option<&AuthConfig>) {
    use http::{header::CONTENT_SECURITY_POLICY, HeaderValue};

    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    let issuer = config
        .and_then(AuthConfig::issuer_origin)
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; \
         connect-src 'self'{issuer}; img-src 'self' data: https:; style-src 'self'; \
         font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = provide_session();
    let outbox = provide_outbox();
    let timer = crate::timer::store::provide_timer();
    let update_ready = pwa::on_hydrated();
    provide_toasts();
    start_in_browser(session);
    outbox::store::start_in_browser(outbox, session);
    crate::timer::store::start_in_browser(timer, session);

    view! {
        <Title text="Timesheets"/>
        <Router>
            <header class="app-header">
                <A href="/" attr:class="brand">
                    <img src="/icons/icon-mark.svg" alt="" width="28" height="28"/>
                    <span>"Timesheets"</span>
                </A>
                <crate::components::timer::TimerBadge/>
                <HeaderAvatar/>
            </header>
            <pwa::UpdatePrompt ready=update_ready/>
            <main id="main" class="app-main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=path!("/auth/callback") view=CallbackPage/>
                    <Route path=StaticSegment("profile") view=ProfilePage/>
                    <Route path=StaticSegment("approvals") view=ApprovalsPage/>
                    <Route path=StaticSegment("admin") view=AdminPage/>
                </Routes>
            </main>
            <TabBar/>
        </Router>
    }
}

// The avatar, the tab bar and the update prompt show only after the app has started (the
// server renders none of them), so their code is a chunk of its own (`#[lazy]`), fetched
// when there is a person signed in or an update waiting: not by a first visitor.

#[component]
fn HeaderAvatar() -> impl IntoView {
    let session = use_session();
    move || {
        session
            .profile()
            .map(|profile| quietly(signed_in_part(Part::Avatar(profile))))
    }
}

/// The bottom navigation; a tab shows only when the token grants what it needs.
#[component]
fn TabBar() -> impl IntoView {
    let session = use_session();
    move || {
        session
            .is_signed_in()
            .then(|| quietly(signed_in_part(Part::Tabs(session.scopes()))))
    }
}

enum Part {
    Avatar(Profile),
    Tabs(ScopeSet),
}

/// One split point for both parts: each split point costs the chunk loader's JS and
/// splits the shared code into more chunks.
#[lazy]
fn signed_in_part(part: Part) -> AnyView {
    match part {
        // The avatar says who is signed in: its name is theirs.
        Part::Avatar(profile) => {
            let label = format!("{} (your profile)", profile.display_name());
            view! {
                <A href="/profile" attr:class="header-avatar" attr:aria-label=label attr:data-testid="signed-in-as">
                    <Avatar profile size="small"/>
                </A>
            }
            .into_any()
        }
        // Toasts sit just above the tab bar; both show only to a signed-in person.
        Part::Tabs(scopes) => view! {
            <ToastHost/>
            <nav class="tab-bar" aria-label="Main">
                <A href="/" exact=true>"Week"</A>
                {scopes.contains(Scope::ApproveTimesheets).then(|| view! { <A href="/approvals">"Approvals"</A> })}
                {(scopes.contains(Scope::ManageProjects) || scopes.contains(Scope::ManagePeople)).then(|| view! { <A href="/admin">"Admin"</A> })}
                <A href="/profile">"Profile"</A>
            </nav>
        }
        .into_any(),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to your week"</a></p>
        </section>
    }
}

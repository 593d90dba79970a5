//! The home screen: the sign-in card, or the signed-in user's start page.

use std::{future::Future, pin::Pin};

use leptos::{either::EitherOf4, lazy, prelude::*};

use super::{outbox::OfflineStart, week::WeekView};
use crate::{
    api::get_me,
    api_client::authorized,
    components::skeleton::Skeleton,
    session::{use_session, AuthState},
};

/// Signed in, the week: who it is shows in the header's avatar, so the screen starts
/// with the week itself.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <SignedInOnly>
            {on_demand("Loading your week", week_screen())}
        </SignedInOnly>
    }
}

/// `children` for a signed-in user; otherwise the sign-in screen (or, while the session is
/// being restored, a placeholder).
#[component]
pub fn SignedInOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    // `EitherOf4`, not `into_any`: each `AnyView` type carries code of its own.
    move || match session.state() {
        AuthState::Starting => EitherOf4::A(view! { <Opening/> }),
        AuthState::SigningOut => EitherOf4::A(view! { <Opening status="Signing you out…"/> }),
        AuthState::SignedOut { message } => EitherOf4::B(view! { <SignIn message/> }),
        AuthState::Offline { .. } => {
            EitherOf4::C(on_demand("Loading your outbox", offline_screen()))
        }
        AuthState::SignedIn { .. } => EitherOf4::D(children()),
    }
}

// The screens of a known user are chunks of their own (`#[lazy]`, `cargo leptos build
// --split`): a visitor's first download leaves them out. They only ever show in the browser,
// after the session is known, so the server-rendered page never needs them (and hydration
// never waits for them: `#[lazy_route]`s broke hydration of a page loaded directly).

#[lazy]
fn week_screen() -> AnyView {
    view! { <WeekView/> }.into_any()
}

#[lazy]
fn offline_screen() -> AnyView {
    view! { <OfflineStart/> }.into_any()
}

/// A screen whose code is still loading shows the skeleton meanwhile. Not generic over the
/// screen: one copy of the suspense machinery serves every screen (each copy is code
/// every visitor downloads).
pub fn on_demand(
    loading: &'static str,
    screen: impl Future<Output = AnyView> + Send + 'static,
) -> AnyView {
    suspended(Some(loading), Box::pin(screen))
}

/// A part of the page (the tab bar, the avatar) shown once its code is there; nothing
/// meanwhile.
pub fn quietly(part: impl Future<Output = AnyView> + Send + 'static) -> AnyView {
    suspended(None, Box::pin(part))
}

fn suspended(
    loading: Option<&'static str>,
    screen: Pin<Box<dyn Future<Output = AnyView> + Send>>,
) -> AnyView {
    view! {
        <Suspense fallback=move || loading.map(|label| view! { <Skeleton label/> })>
            {Suspend::new(screen)}
        </Suspense>
    }
    .into_any()
}

/// While the app finds out whether a session can be restored (or, with another `status`,
/// while it signs out). It shows what the sign-in screen shows, so the server-rendered
/// page already has the screen's largest text and nothing jumps when the app decides (a
/// smaller Largest Contentful Paint, too).
#[component]
pub fn Opening(#[prop(default = "Opening your session…")] status: &'static str) -> impl IntoView {
    view! {
        <section class="card skeleton" aria-busy="true">
            <Intro/>
            <p role="status">{status}</p>
        </section>
    }
}

#[component]
fn Intro() -> impl IntoView {
    view! {
        <h1>"Your week, on your phone"</h1>
        <p>"Log your working time wherever you are; your manager approves it."</p>
    }
}

/// The sign-in screen, with the reason when the app signed the user out itself.
#[component]
pub fn SignIn(message: Option<String>) -> impl IntoView {
    let session = use_session();
    view! {
        <section class="card">
            <Intro/>
            {message.map(|message| view! { <p class="notice" role="alert">{message}</p> })}
            <button type="button" class="button primary" on:click=move |_| session.sign_in()>
                "Sign in"
            </button>
        </section>
    }
}

/// Asks the API who it sees: the access token on a server function, renewed if due.
#[component]
pub fn AccessCheck() -> impl IntoView {
    let check = Action::new_unsync(|_: &()| authorized(get_me));
    let text = move || match check.value().get() {
        None if check.pending().get() => "Asking the server…".to_owned(),
        None => String::new(),
        Some(Ok(user)) => format!(
            "The server knows you as {} · {}",
            user.email.or(user.name).unwrap_or(user.subject),
            if user.scopes == crate::auth::ScopeSet::EMPTY {
                "no timesheet scopes".to_owned()
            } else {
                user.scopes.to_string()
            }
        ),
        Some(Err(err)) => format!("The server refused: {err}"),
    };
    view! {
        <button type="button" class="button" on:click=move |_| { check.dispatch(()); }>
            "Check my access"
        </button>
        <p class="status" role="status" aria-live="polite" data-testid="api-me">{text}</p>
    }
}

//! The signed-in session as the UI sees it: who (profile from the ID token) and what they
//! may do (the access token's scopes). The tokens themselves stay in the WASM module's
//! memory (`driver::tokens`, browser only) and are never rendered, stored or logged.

use leptos::prelude::*;

use crate::{
    auth::{Scope, ScopeSet},
    oidc::id_token::Profile,
};

#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// Server rendering, or the app is still finding out (restoring a session).
    Starting,
    /// `message` says why, when the user did not sign out themselves.
    SignedOut {
        message: Option<String>,
    },
    /// Opened without network by `subject`, who was signed in: the session is restored
    /// when the network is back; meanwhile their outbox is shown.
    Offline {
        subject: String,
    },
    SignedIn {
        profile: Profile,
        scopes: ScopeSet,
    },
    /// Signing out: until the provider's session has ended this page offers no "Sign in",
    /// which would find that session alive and sign the same person in again.
    SigningOut,
}

/// The session context: `provide_session()` in the root component, `use_session()` below.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
}

pub fn provide_session() -> Session {
    let session = Session {
        state: RwSignal::new(AuthState::Starting),
    };
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    pub fn profile(&self) -> Option<Profile> {
        self.state.with(|state| match state {
            AuthState::SignedIn { profile, .. } => Some(profile.clone()),
            _ => None,
        })
    }

    pub fn scopes(&self) -> ScopeSet {
        self.state.with(|state| match state {
            AuthState::SignedIn { scopes, .. } => *scopes,
            _ => ScopeSet::EMPTY,
        })
    }

    /// Whether the current access token grants `scope` (exact scope tokens; re-derived
    /// at every renewal). The server checks again regardless.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes().contains(scope)
    }

    /// Whose device data (the outbox) to show: the signed-in person, or who was signed
    /// in when the app opened offline.
    pub fn owner(&self) -> Option<String> {
        self.state.with(|state| match state {
            AuthState::SignedIn { profile, .. } => Some(profile.subject.clone()),
            AuthState::Offline { subject } => Some(subject.clone()),
            _ => None,
        })
    }

    /// Whether the provider is the embedded one and can keep passkeys here.
    pub fn passkeys_offered(&self) -> bool {
        #[cfg(feature = "hydrate")]
        return driver::tokens::config().is_some_and(|config| config.passkeys);
        #[cfg(not(feature = "hydrate"))]
        false
    }

    pub fn is_signed_in(&self) -> bool {
        self.state
            .with(|state| matches!(state, AuthState::SignedIn { .. }))
    }

    /// [`Self::is_signed_in`], not tracked: for event handlers.
    pub fn is_signed_in_untracked(&self) -> bool {
        self.state
            .with_untracked(|state| matches!(state, AuthState::SignedIn { .. }))
    }

    /// Only a different state notifies: a renewal that grants the same must not re-render
    /// the screens (an open form would lose what was typed).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn set(&self, state: AuthState) {
        if self.state.with_untracked(|current| *current != state) {
            self.state.set(state);
        }
    }

    /// Sends the browser to the provider's sign-in page; back here afterwards.
    pub fn sign_in(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(driver::sign_in());
    }

    /// Revokes the refresh token, forgets the tokens in every tab and ends the provider
    /// session (RP-initiated logout).
    pub fn sign_out(&self) {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(driver::sign_out());
    }

    /// Sends the browser to the provider for a sign-in at most `max_age` seconds old
    /// (RFC 9470 step-up), back to this page afterwards.
    pub fn step_up(&self, max_age: u64) {
        let _ = max_age;
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(driver::step_up(max_age));
    }
}

/// Starts the browser side once the app is hydrated: restores the session (from another
/// tab, else with `prompt=none`) unless this page is the sign-in callback.
pub fn start_in_browser(session: Session) {
    let _ = session;
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| driver::start(session));
}

#[cfg(feature = "hydrate")]
pub(crate) use driver::{
    complete_callback,
    tokens::{authorization, fresh_access_token, renew_after_unauthorized, signed_in_subject},
};

/// The browser side of the session. What every page runs (this module) is small and
/// decodes nothing: a visitor who never signed in on this device downloads no more. The
/// tokens and everything that reads or renews them ([`tokens`]) load on first use — when
/// this device was signed in, another tab speaks, or the user signs in.
#[cfg(feature = "hydrate")]
mod driver {
    use std::cell::{Cell, RefCell};

    use leptos::prelude::*;
    use wasm_bindgen::{prelude::*, JsCast};

    use super::{AuthState, Session};
    use crate::oidc::{browser::tabs, CALLBACK_PATH};
    use tokens::Task;

    /// Not a token: who was signed in on this browser (their subject), so a reload knows
    /// to restore the session silently instead of showing the sign-in button first, and
    /// whose outbox to show when it opens offline.
    const SIGNED_IN_HINT: &str = "timesheets.signed_in";

    thread_local! {
        static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
        static STARTED: Cell<bool> = const { Cell::new(false) };
    }

    fn session() -> Option<Session> {
        SESSION.with_borrow(|session| *session)
    }

    fn set_state(state: AuthState) {
        if let Some(session) = session() {
            session.set(state);
        }
    }

    pub fn start(session: Session) {
        if STARTED.replace(true) {
            return;
        }
        SESSION.set(Some(session));
        tabs::listen(|text| leptos::task::spawn_local(tokens::session_task(Task::HearTab(text))));
        on_page_events();
        if window().location().pathname().ok().as_deref() == Some(CALLBACK_PATH) {
            return; // The callback page completes the sign-in.
        }
        if crate::browser::is_kept(SIGNED_IN_HINT) {
            leptos::task::spawn_local(tokens::session_task(Task::Restore));
        } else {
            set_state(AuthState::SignedOut { message: None });
        }
    }

    pub async fn sign_in() {
        tokens::session_task(Task::SignIn).await;
    }

    pub async fn sign_out() {
        tokens::session_task(Task::SignOut).await;
    }

    pub async fn step_up(max_age: u64) {
        tokens::session_task(Task::StepUp(max_age)).await;
    }

    /// The callback page: completes the sign-in with the page's query and says where to
    /// go next.
    pub async fn complete_callback(
        session: Session,
        search: String,
    ) -> Result<String, crate::oidc::browser::flow::SignInError> {
        // The page's effect may run before the app's: the session must be known here.
        SESSION.with_borrow_mut(|known| *known = Some(session));
        tokens::finish_sign_in(search).await
    }

    /// A phone wakes the app: renew if the timer could not fire while it slept. A page
    /// restored from the back/forward cache after sign-out must not show old data.
    fn on_page_events() {
        let on_visible = Closure::<dyn Fn()>::new(|| {
            let signed_in = session().is_some_and(|session| session.is_signed_in_untracked());
            if signed_in && document().visibility_state() == web_sys::VisibilityState::Visible {
                leptos::task::spawn_local(tokens::session_task(Task::RenewIfDue));
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
        let on_pageshow = Closure::<dyn Fn(web_sys::PageTransitionEvent)>::new(
            |event: web_sys::PageTransitionEvent| {
                if event.persisted() {
                    let _ = window().location().reload();
                }
            },
        );
        let _ = window()
            .add_event_listener_with_callback("pageshow", on_pageshow.as_ref().unchecked_ref());
        on_pageshow.forget();
        // Opened offline: restore the session once the network is back.
        let on_online = Closure::<dyn Fn()>::new(|| {
            let offline = session().is_some_and(|session| {
                matches!(session.state.get_untracked(), AuthState::Offline { .. })
            });
            if offline {
                leptos::task::spawn_local(tokens::session_task(Task::Restore));
            }
        });
        let _ =
            window().add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
        on_online.forget();
    }

    /// The tokens, in this module's memory only, and all that uses them. The two `#[lazy]`
    /// functions are what the always-loaded part above calls: their code, with the JSON
    /// of storage and of the other tabs' messages and the sign-in steps, is a chunk of its
    /// own. Two entries, not one per task: each split point costs the loader's JS and splits
    /// the shared code into more chunks.
    pub(super) mod tokens {
        use std::{cell::RefCell, rc::Rc, time::Duration};

        use leptos::{lazy, prelude::*};

        use super::{set_state, SIGNED_IN_HINT};
        use crate::browser::{self, keep, kept};
        use crate::oidc::{
            browser::{
                dpop,
                flow::{self, Completed, SignInError, TokenSet},
                tabs::{self, TabMessage},
            },
            AuthConfig, CALLBACK_PATH, META_NAME,
        };
        use crate::session::AuthState;

        /// How long a tab waits for another tab to share its tokens.
        const ASK_TABS_MS: i32 = 250;
        /// A renewal that failed for want of network is retried after this long.
        const RETRY_MS: f64 = 15_000.0;

        thread_local! {
            static TOKENS: RefCell<Option<TokenSet>> = const { RefCell::new(None) };
            static CONFIG: RefCell<Option<Rc<AuthConfig>>> = const { RefCell::new(None) };
            static TIMER: RefCell<Option<TimeoutHandle>> = const { RefCell::new(None) };
            /// Whether another tab of this app has spoken: only then is it worth asking for
            /// its tokens before renewing.
            static OTHER_TABS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }

        fn now_ms() -> f64 {
            crate::browser::now_ms() as f64
        }

        /// The provider settings the server wrote into the page.
        pub(crate) fn config() -> Option<Rc<AuthConfig>> {
            if let Some(config) = CONFIG.with_borrow(Clone::clone) {
                return Some(config);
            }
            let meta = document()
                .query_selector(&format!("meta[name=\"{META_NAME}\"]"))
                .ok()??;
            let config: AuthConfig = serde_json::from_str(&meta.get_attribute("content")?).ok()?;
            let config = Rc::new(config);
            CONFIG.set(Some(config.clone()));
            Some(config)
        }

        fn current_path() -> String {
            let location = window().location();
            format!(
                "{}{}",
                location.pathname().unwrap_or_default(),
                location.search().unwrap_or_default()
            )
        }

        async fn sleep(ms: i32) {
            let promise = web_sys::js_sys::Promise::new(&mut |resolve, _| {
                let _ =
                    window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            });
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }

        /// What the always-loaded part asks of this one.
        pub enum Task {
            /// After a reload or a relaunch, or back online.
            Restore,
            /// Another tab's message, as it came over the channel.
            HearTab(String),
            /// The page woke up: renew if the timer could not fire meanwhile.
            RenewIfDue,
            SignIn,
            SignOut,
            /// Sign in again, at most this many seconds ago (RFC 9470).
            StepUp(u64),
        }

        #[lazy]
        pub async fn session_task(task: Task) {
            match task {
                Task::Restore => restore().await,
                Task::HearTab(text) => hear_tab(&text),
                Task::RenewIfDue => renew_if_due().await,
                Task::SignIn => start_sign_in(None).await,
                Task::SignOut => end_session().await,
                Task::StepUp(max_age) => start_sign_in(Some(max_age)).await,
            }
        }

        /// After a reload or a relaunch: take the tokens of another tab, else ask the
        /// provider with `prompt=none` (no page is shown while its session lives).
        async fn restore() {
            let Some(subject) = kept::<Option<String>>(SIGNED_IN_HINT) else {
                set_state(AuthState::SignedOut { message: None });
                return;
            };
            tabs::post(&TabMessage::Ask);
            sleep(ASK_TABS_MS).await;
            if TOKENS.with_borrow(Option::is_some) {
                return;
            }
            if !crate::browser::is_online() {
                // The provider is out of reach: wait for the network (`on_page_events`).
                set_state(AuthState::Offline { subject });
                return;
            }
            let Some(config) = config() else {
                set_state(signed_out_because("This page has no sign-in settings."));
                return;
            };
            if let Err(err) = flow::start(&config, &current_path(), true, None).await {
                set_state(signed_out_because(&err.to_string()));
            }
        }

        fn signed_out_because(message: &str) -> AuthState {
            AuthState::SignedOut {
                message: Some(message.to_owned()),
            }
        }

        fn hear_tab(text: &str) {
            let Some(message) = tabs::decode(text) else {
                return;
            };
            OTHER_TABS.set(true);
            match message {
                TabMessage::Ask => {
                    if let Some(set) = TOKENS.with_borrow(Clone::clone) {
                        tabs::post(&TabMessage::Tokens { set });
                    }
                }
                TabMessage::Tokens { set } => {
                    let newer = TOKENS.with_borrow(|current| {
                        current
                            .as_ref()
                            .is_none_or(|current| set.expires_at_ms > current.expires_at_ms)
                    });
                    if newer {
                        adopt(set);
                    }
                }
                TabMessage::SignedOut => forget(None),
            }
        }

        /// Keeps `set` in memory, shows the user and schedules the renewal.
        fn adopt(set: TokenSet) {
            let _ = keep(SIGNED_IN_HINT, &set.profile.subject);
            set_state(AuthState::SignedIn {
                profile: set.profile.clone(),
                scopes: set.scopes,
            });
            let renew_in = (set.expires_at_ms - renewal_margin_ms(&set) - now_ms()).max(0.0);
            TOKENS.set(Some(set));
            schedule_renewal(renew_in);
        }

        /// Renew this long before expiry: a quarter of the lifetime, at most a minute.
        fn renewal_margin_ms(set: &TokenSet) -> f64 {
            (set.lifetime_ms / 4.0).min(60_000.0)
        }

        fn schedule_renewal(after_ms: f64) {
            let handle = set_timeout_with_handle(
                || leptos::task::spawn_local(renew_if_due()),
                Duration::from_millis(after_ms as u64),
            )
            .ok();
            if let Some(previous) = TIMER.replace(handle) {
                previous.clear();
            }
        }

        fn forget(message: Option<String>) {
            drop_tokens();
            set_state(AuthState::SignedOut { message });
        }

        fn drop_tokens() {
            // Tokens bound to a key are worthless without it, and it without them.
            if let Some(jkt) = TOKENS.take().and_then(|set| set.dpop_jkt) {
                leptos::task::spawn_local(dpop::forget(jkt));
            }
            if let Some(timer) = TIMER.take() {
                timer.clear();
            }
            browser::forget(SIGNED_IN_HINT);
        }

        fn is_due(set: &TokenSet) -> bool {
            now_ms() >= set.expires_at_ms - renewal_margin_ms(set)
        }

        /// The timer's and the page's renewal: only if the tokens (possibly renewed by
        /// another tab meanwhile) are still due.
        async fn renew_if_due() {
            let _ = renew(is_due).await;
        }

        /// Renews under the cross-tab lock when `needed` still holds for the current tokens
        /// once the lock is held.
        async fn renew(needed: impl Fn(&TokenSet) -> bool + 'static) -> Result<(), SignInError> {
            let outcome = tabs::with_renewal_lock(async move {
                // Another tab may have renewed just before we got the lock: hear it first.
                if OTHER_TABS.get() {
                    tabs::post(&TabMessage::Ask);
                    sleep(ASK_TABS_MS).await;
                }
                let current = TOKENS.with_borrow(Clone::clone).filter(|set| needed(set))?;
                let config = config()?;
                let renewed = flow::refresh(&config, &current).await;
                Some(renewed.map(|set| {
                    adopt(set.clone());
                    tabs::post(&TabMessage::Tokens { set });
                }))
            })
            .await
            .flatten();
            match outcome {
                None | Some(Ok(())) => Ok(()),
                Some(Err(SignInError::SessionEnded)) => {
                    // No retry: the refresh token is dead; every tab shows the sign-in button.
                    forget(Some(SignInError::SessionEnded.to_string()));
                    tabs::post(&TabMessage::SignedOut);
                    Err(SignInError::SessionEnded)
                }
                Some(Err(err)) => {
                    schedule_renewal(RETRY_MS);
                    Err(err)
                }
            }
        }

        /// The signed-in person's subject, while there are tokens to send their data with.
        pub fn signed_in_subject() -> Option<String> {
            TOKENS.with_borrow(|set| set.as_ref().map(|set| set.profile.subject.clone()))
        }

        /// The headers that carry the access token in memory on a call to `method` `url`:
        /// `Authorization: Bearer …`, or `Authorization: DPoP …` with a fresh `DPoP` proof
        /// for tokens bound to this browser's key (RFC 9449 §7.1).
        pub async fn authorization(method: &str, url: &str) -> Option<Vec<(&'static str, String)>> {
            let set = TOKENS.with_borrow(Clone::clone)?;
            let Some(jkt) = set.dpop_jkt else {
                return Some(vec![(
                    "Authorization",
                    format!("Bearer {}", set.access_token),
                )]);
            };
            let proof = dpop::proof(&jkt, method, url, Some(&set.access_token), None).await?;
            Some(vec![
                ("Authorization", format!("DPoP {}", set.access_token)),
                ("DPoP", proof),
            ])
        }

        /// The access token in memory, as it is.
        pub fn access_token() -> Option<String> {
            TOKENS.with_borrow(|set| set.as_ref().map(|set| set.access_token.clone()))
        }

        /// The access token, renewed first when it is due (a phone waking from sleep has
        /// missed its timer).
        pub async fn fresh_access_token() -> Option<String> {
            if TOKENS.with_borrow(|set| set.as_ref().is_some_and(is_due)) {
                let _ = renew(is_due).await;
            }
            access_token()
        }

        /// After a 401 with `failed`: one renewal (unless another call already replaced
        /// that token); `true` when there is a new token to retry with.
        pub async fn renew_after_unauthorized(failed: String) -> bool {
            let failed_again = failed.clone();
            renew(move |set| set.access_token == failed_again)
                .await
                .is_ok()
                && access_token().is_some_and(|token| token != failed)
        }

        async fn start_sign_in(max_age: Option<u64>) {
            let Some(config) = config() else {
                set_state(signed_out_because("This page has no sign-in settings."));
                return;
            };
            let return_to = match current_path() {
                path if path.starts_with(CALLBACK_PATH) => "/".to_owned(),
                path => path,
            };
            if let Err(err) = flow::start(&config, &return_to, false, max_age).await {
                set_state(signed_out_because(&err.to_string()));
            }
        }

        async fn end_session() {
            let tokens = TOKENS.with_borrow(Clone::clone);
            drop_tokens();
            tabs::post(&TabMessage::SignedOut);
            let (Some(config), Some(tokens)) = (config(), tokens) else {
                set_state(AuthState::SignedOut { message: None });
                return;
            };
            set_state(AuthState::SigningOut);
            // The provider's logout page when it has one, else this app's start: either
            // way a fresh page, signed out.
            flow::revoke(&config, &tokens).await;
            let next = flow::logout_url(&config, &tokens).await;
            let _ = window().location().replace(next.as_deref().unwrap_or("/"));
        }

        /// Completes the sign-in with the callback page's query (`?code=…&state=…`).
        #[lazy]
        pub async fn finish_sign_in(search: String) -> Result<String, SignInError> {
            let query: Vec<(String, String)> =
                oauth2::url::form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
                    .into_owned()
                    .collect();
            // The code and state leave the address bar (and history) at once.
            let _ = window().history().and_then(|history| {
                history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(CALLBACK_PATH),
                )
            });
            let config = config().ok_or_else(|| {
                SignInError::Refused("this page has no sign-in settings".to_owned())
            })?;
            match flow::complete(&config, &query).await {
                Ok(Completed::SignedIn { tokens, return_to }) => {
                    adopt(tokens.clone());
                    tabs::post(&TabMessage::Tokens { set: tokens });
                    Ok(return_to)
                }
                Ok(Completed::LoginRequired { return_to }) => {
                    forget(None);
                    Ok(return_to)
                }
                Err(err) => {
                    forget(Some(err.to_string()));
                    Err(err)
                }
            }
        }
    }
}

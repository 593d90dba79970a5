//! `/profile`: who is signed in (from the ID token), what the token grants, their passkeys
//! (embedded provider), sign out.

use leptos::{lazy, prelude::*};

use super::home::{on_demand, AccessCheck, SignedInOnly};
use crate::{
    components::queued::OutboxSummary,
    error::AppError,
    passkeys::{PasskeyList, PasskeyName, PasskeySummary},
    session::use_session,
    timer::{
        store::{rounding, set_rounding},
        ROUNDINGS,
    },
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <SignedInOnly>
            {on_demand("Loading your profile", profile_screen())}
        </SignedInOnly>
    }
}

/// A chunk of its own: see [`on_demand`].
#[lazy]
fn profile_screen() -> AnyView {
    view! { <Profile/> }.into_any()
}

#[component]
fn Profile() -> impl IntoView {
    let session = use_session();
    view! {
            {move || session.profile().map(|profile| view! {
                <section class="card profile" data-testid="profile">
                    <div class="profile-head">
                        <Avatar profile=profile.clone() size="large"/>
                        <div>
                            <h1 data-testid="profile-name">{profile.display_name().to_owned()}</h1>
                            {profile.email.clone().map(|email| view! {
                                <p class="muted" data-testid="profile-email">{email}</p>
                            })}
                        </div>
                    </div>
                    <h2>"What you may do"</h2>
                    <ul class="scopes" data-testid="profile-scopes">
                        {session.scopes().iter().map(|scope| view! { <li><code>{scope.as_str()}</code></li> }).collect_view()}
                    </ul>
                    {session.passkeys_offered().then(|| view! { <Passkeys/> })}
                    <Reminders/>
                    <TimerRounding/>
                    <h2>"What the server sees"</h2>
                    <AccessCheck/>
                    // Signing out keeps unsent entries on this phone, for this person's next sign-in.
                    <OutboxSummary/>
                    <button type="button" class="button danger" on:click=move |_| {
                        // Colleagues' entries kept for approving offline stay with no one.
                        crate::outbox::store::forget_queue();
                        #[cfg(not(feature = "hydrate"))]
                        session.sign_out();
                        // Nor do reminders: this phone may be someone else's next.
                        #[cfg(feature = "hydrate")]
                        leptos::task::spawn_local(async move {
                            if crate::push::device::supported() {
                                if let Ok(Some(endpoint)) = crate::push::device::unsubscribe().await {
                                    let _ = crate::api_client::authorized(|| {
                                        crate::api::unsubscribe_from_reminders(endpoint.clone())
                                    })
                                    .await;
                                }
                            }
                            session.sign_out();
                        });
                    }>
                        "Sign out"
                    </button>
                </section>
            })}
    }
}

/// "Remind me": reminders by Web Push on this device (the browser asks for permission);
/// the server sends them at the device's local time.
#[component]
fn Reminders() -> impl IntoView {
    let session = use_session();
    // `None` until the browser has said (or where it cannot remind at all).
    let on = RwSignal::new(None::<bool>);
    let supported = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            if crate::push::device::supported() {
                leptos::task::spawn_local(async move {
                    let current = crate::push::device::current().await;
                    on.set(Some(current.is_some()));
                    // Sent again (the server keeps one row per device): a subscription the
                    // server lost, or never got, is known to it again.
                    if let Some(subscription) = current {
                        let _ = crate::api_client::authorized(|| {
                            crate::api::subscribe_to_reminders(subscription.clone())
                        })
                        .await;
                    }
                });
            } else {
                supported.set(false);
            }
        }
    });
    let toggle = move |_| {
        let wanted = !on.get_untracked().unwrap_or(false);
        busy.set(true);
        error.set(None);
        #[cfg(not(feature = "hydrate"))]
        let _ = wanted;
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match switch_reminders(wanted).await {
                Ok(()) => on.set(Some(wanted)),
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    let approver = move || session.has(crate::auth::Scope::ApproveTimesheets);
    view! {
        <h2>"Reminders"</h2>
        {move || if supported.get() {
            view! {
                <div class="switch-row">
                    <span id="remind-me-label">"Remind me"</span>
                    <button
                        type="button"
                        role="switch"
                        class="switch"
                        aria-labelledby="remind-me-label"
                        aria-checked=move || on.get().unwrap_or(false).to_string()
                        disabled=move || busy.get() || on.get().is_none()
                        on:click=toggle
                        data-testid="remind-me"
                    ></button>
                </div>
                <p class="muted">
                    {move || if approver() {
                        "On this phone: when your week is not submitted on Friday afternoon, and each morning when entries wait for your approval."
                    } else {
                        "On this phone: when your week is not submitted on Friday afternoon."
                    }}
                </p>
            }
            .into_any()
        } else {
            view! { <p class="muted">"This browser cannot show reminders. Install the app on your phone's home screen to get them."</p> }.into_any()
        }}
        {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
    }
}

/// Subscribes this device (browser permission, push subscription, the server) or ends it.
#[cfg(feature = "hydrate")]
async fn switch_reminders(on: bool) -> Result<(), String> {
    use crate::{
        api::{get_push_key, subscribe_to_reminders, unsubscribe_from_reminders},
        api_client::authorized,
        push::device,
    };
    if on {
        let key = authorized(get_push_key)
            .await
            .map_err(|err| err.to_string())?;
        let subscription = device::subscribe(&key.public_key).await?;
        authorized(|| subscribe_to_reminders(subscription.clone()))
            .await
            .map_err(|err| format!("Not saved: {err}"))
    } else {
        if let Some(endpoint) = device::unsubscribe().await? {
            authorized(|| unsubscribe_from_reminders(endpoint.clone()))
                .await
                .map_err(|err| format!("Not saved: {err}"))?;
        }
        Ok(())
    }
}

/// What a stopped timer's time is rounded to, on this phone.
#[component]
fn TimerRounding() -> impl IntoView {
    let chosen = RwSignal::new(rounding());
    let error = RwSignal::new(None::<String>);
    let change = move |ev: leptos::ev::Event| {
        let Ok(minutes) = event_target_value(&ev).parse::<u32>() else {
            return;
        };
        match set_rounding(minutes) {
            Ok(()) => {
                chosen.set(minutes);
                error.set(None);
            }
            Err(message) => error.set(Some(message)),
        }
    };
    view! {
        <h2>"Timer"</h2>
        <label class="field">
            <span>"Round timed entries to"</span>
            <select name="rounding" on:change=change prop:value=move || chosen.get().to_string()>
                {ROUNDINGS.iter().map(|minutes| {
                    let minutes = *minutes;
                    view! {
                        <option value=minutes.to_string() selected=move || chosen.get() == minutes>
                            {if minutes == 1 { "the minute".to_owned() } else { format!("{minutes} minutes") }}
                        </option>
                    }
                }).collect_view()}
            </select>
        </label>
        {move || error.get().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
    }
}

/// Why adding a passkey did not happen.
// Only the browser's build adds passkeys.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum NotAdded {
    /// The sign-in is too old for this (RFC 9470): sign in again, at most this many
    /// seconds ago.
    SignInAgain(u64),
    Refused(String),
}

/// The signed-in person's passkeys at the embedded provider: list, add, remove.
#[component]
fn Passkeys() -> impl IntoView {
    let session = use_session();
    let version = RwSignal::new(0_u32);
    let passkeys = LocalResource::new(move || {
        version.track();
        list_passkeys()
    });
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sign_in_again = RwSignal::new(None::<u64>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = name.get_untracked();
        // The provider's own rule, before the authenticator is asked.
        if let Err(err) = PasskeyName::parse(&typed) {
            error.set(Some(err.message));
            return;
        }
        error.set(None);
        status.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            match add_passkey(typed).await {
                Ok(added) => {
                    status.set(Some(format!(
                        "Passkey \u{201c}{}\u{201d} added.",
                        added.name
                    )));
                    name.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(NotAdded::SignInAgain(max_age)) => sign_in_again.set(Some(max_age)),
                Err(NotAdded::Refused(message)) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    // Removals have their own message and busy state: the name field's error is the
    // field's alone.
    let removing = RwSignal::new(None::<String>);
    let remove_error = RwSignal::new(None::<String>);
    let remove = move |passkey: PasskeySummary| {
        if removing.get_untracked().is_some() {
            return;
        }
        status.set(None);
        remove_error.set(None);
        removing.set(Some(passkey.id.clone()));
        leptos::task::spawn_local(async move {
            match remove_passkey(&passkey.id).await {
                Ok(()) => status.set(Some(format!(
                    "Passkey \u{201c}{}\u{201d} removed.",
                    passkey.name
                ))),
                Err(AppError::InsufficientUserAuthentication { max_age }) => {
                    sign_in_again.set(Some(max_age))
                }
                Err(err) => remove_error.set(Some(format!("Not removed: {err}"))),
            }
            removing.set(None);
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section class="passkeys" aria-labelledby="passkeys-title" data-testid="passkeys">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <p class="muted">
                "Sign in with this phone's screen lock or a security key instead of your password."
            </p>
            {move || match passkeys.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading your passkeys…"</p> }.into_any(),
                Some(Err(err)) => view! {
                    <p class="notice" role="alert">{format!("Could not load your passkeys: {err}")}</p>
                }
                .into_any(),
                Some(Ok(PasskeyList { passkeys, required })) => view! {
                    {required.then(|| view! {
                        <p class="notice" data-testid="passkey-required">
                            "Your organisation asks you to sign in with a passkey."
                        </p>
                    })}
                    {if passkeys.is_empty() {
                        view! { <p class="muted" data-testid="no-passkeys">"No passkeys yet."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="entries passkey-list">
                                {
                                    // The last passkey of someone who must use one stays.
                                    let keep_last = required && passkeys.len() == 1;
                                    passkeys.into_iter().map(|passkey| view! {
                                        <PasskeyRow passkey remove removing keep_last/>
                                    }).collect_view()
                                }
                            </ul>
                        }
                        .into_any()
                    }}
                }
                .into_any(),
            }}
            <p class="status" role="status" aria-live="polite" data-testid="passkey-status">{move || status.get()}</p>
            {move || remove_error.get().map(|message| view! {
                <p class="notice" role="alert" data-testid="passkey-remove-error">{message}</p>
            })}
            {move || sign_in_again.get().map(|max_age| view! {
                <p class="notice" role="alert" data-testid="passkey-sign-in-again">
                    "For your safety, changing your passkeys needs a recent sign-in. "
                    <button type="button" class="button" on:click=move |_| session.step_up(max_age)>
                        "Sign in again"
                    </button>
                </p>
            })}
            <form class="entry-form" on:submit=add novalidate aria-label="Add a passkey">
                <label class="field">
                    <span>"Name of the new passkey"</span>
                    <input type="text" maxlength="64" autocomplete="off" placeholder="e.g. Work phone"
                        aria-invalid=move || error.get().is_some().to_string()
                        aria-describedby="passkey-error"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <span class="field-error" id="passkey-error" role="alert" data-testid="passkey-error">
                        {move || error.get()}
                    </span>
                </label>
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add a passkey" }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn PasskeyRow(
    passkey: PasskeySummary,
    remove: impl Fn(PasskeySummary) + Copy + 'static,
    /// The id of the passkey being removed, if any.
    removing: RwSignal<Option<String>>,
    /// Whether this is the last passkey of someone who must use one.
    keep_last: bool,
) -> impl IntoView {
    let added = crate::browser::moment_label(passkey.created_at);
    let used = passkey.last_used_at.map_or_else(
        || "never used".to_owned(),
        |at| format!("last used {}", crate::browser::moment_label(at)),
    );
    let label = format!("Remove passkey {}", passkey.name);
    let name = passkey.name.clone();
    let id = passkey.id.clone();
    view! {
        <li class="entry" data-testid="passkey">
            <div class="entry-main">
                <span>{name}</span>
            </div>
            <p class="entry-note">{format!("Added {added} · {used}")}</p>
            {keep_last.then(|| view! {
                <p class="entry-note">"Add another passkey before removing this one."</p>
            })}
            <div class="entry-actions">
                <button type="button" class="button small danger" aria-label=label
                    disabled=move || keep_last || removing.get().is_some()
                    aria-busy=move || (removing.get().as_deref() == Some(id.as_str())).to_string()
                    on:click=move |_| remove(passkey.clone())>
                    "Remove"
                </button>
            </div>
        </li>
    }
}

async fn list_passkeys() -> Result<PasskeyList, AppError> {
    #[cfg(feature = "hydrate")]
    {
        crate::api_client::call_json::<PasskeyList>(
            "GET",
            crate::passkeys::PASSKEYS_PATH,
            None::<&()>,
        )
        .await?
        .ok_or(AppError::Internal)
    }
    #[cfg(not(feature = "hydrate"))]
    Err(AppError::Internal)
}

/// Options from the provider, the authenticator's passkey, back to the provider.
async fn add_passkey(name: String) -> Result<PasskeySummary, NotAdded> {
    #[cfg(feature = "hydrate")]
    {
        use crate::{
            api_client::call_json,
            passkeys::{
                ceremony, CeremonyOptions, NewPasskey, PASSKEYS_PATH, PASSKEY_OPTIONS_PATH,
            },
        };
        let refused = |err: AppError| match err {
            AppError::InsufficientUserAuthentication { max_age } => NotAdded::SignInAgain(max_age),
            AppError::Validation { message, .. } => NotAdded::Refused(message),
            other => NotAdded::Refused(other.to_string()),
        };
        if !ceremony::supported() {
            return Err(NotAdded::Refused(
                "This browser cannot make passkeys.".into(),
            ));
        }
        let started: CeremonyOptions = call_json("POST", PASSKEY_OPTIONS_PATH, None::<&()>)
            .await
            .map_err(refused)?
            .ok_or_else(|| NotAdded::Refused("The server sent no options.".into()))?;
        let credential = ceremony::create(&started.options)
            .await
            .map_err(NotAdded::Refused)?;
        let new = NewPasskey {
            ceremony: started.ceremony,
            name,
            credential,
        };
        call_json::<PasskeySummary>("POST", PASSKEYS_PATH, Some(&new))
            .await
            .map_err(refused)?
            .ok_or_else(|| NotAdded::Refused("The server did not confirm the passkey.".into()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        Err(NotAdded::Refused(String::new()))
    }
}

async fn remove_passkey(id: &str) -> Result<(), AppError> {
    #[cfg(feature = "hydrate")]
    {
        let path = format!("{}/{id}", crate::passkeys::PASSKEYS_PATH);
        crate::api_client::call_json::<()>("DELETE", &path, None::<&()>)
            .await
            .map(|_| ())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        Err(AppError::Internal)
    }
}

/// The profile picture, else the initials on a coloured disc.
#[component]
pub fn Avatar(profile: crate::oidc::id_token::Profile, size: &'static str) -> impl IntoView {
    let class = format!("avatar {size}");
    match profile.picture.clone() {
        Some(url) => view! {
            <img class=class src=url alt="" referrerpolicy="no-referrer" data-testid="avatar"/>
        }
        .into_any(),
        None => view! {
            <span class=class aria-hidden="true" data-testid="avatar">{profile.initials()}</span>
        }
        .into_any(),
    }
}

//! `/profile`: who is signed in (from the ID token), what the token grants, sign out.

use leptos::{lazy, prelude::*};

use super::home::{on_demand, AccessCheck, SignedInOnly};
use crate::{components::queued::OutboxSummary, session::use_session};

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
                    <h2>"What the server sees"</h2>
                    <AccessCheck/>
                    // Signing out keeps unsent entries on this phone, for this person's next sign-in.
                    <OutboxSummary/>
                    <button type="button" class="button danger" on:click=move |_| session.sign_out()>
                        "Sign out"
                    </button>
                </section>
            })}
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

//! `/auth/callback`: where the provider sends the browser back after sign-in.

use leptos::{either::Either, prelude::*};

use super::home::Opening;

#[component]
pub fn CallbackPage() -> impl IntoView {
    let failure = RwSignal::new(None::<String>);
    let session = crate::session::use_session();
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            let search = window().location().search().unwrap_or_default();
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match crate::session::complete_callback(session, search).await {
                    Ok(return_to) => navigate(
                        &return_to,
                        leptos_router::NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    ),
                    Err(err) => failure.set(Some(err.to_string())),
                }
            });
        });
    }
    move || match failure.get() {
        None => Either::Left(view! { <Opening/> }),
        Some(message) => Either::Right(view! {
            <section class="card">
                <h1>"Sign-in did not work"</h1>
                <p class="notice" role="alert">{message}</p>
                <button type="button" class="button primary" on:click=move |_| session.sign_in()>
                    "Sign in again"
                </button>
            </section>
        }),
    }
}

//! Signing in with a passkey on the login page, and adding one during a sign-in when the
//! policy requires it. The page's script (`passkey.js`) asks for the options, lets the
//! browser talk to the authenticator, and posts the answer as a form, so the redirect
//! back to the app is the same 303 as after a password.

use axum::{
    extract::{Form, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::{
    prelude::{DiscoverableAuthentication, PublicKeyCredential},
    Webauthn,
};

use super::{
    begin_ceremony,
    registration::{self, Refused},
    store::{self as passkey_store, CeremonyKind},
    take_ceremony,
};
use crate::{
    authorize::{complete_sign_in, failure, login_form, open_login, AuthRequest},
    pages::{self, EnrollmentForm},
    store::{self, Account, PendingLogin},
    Provider,
};
use db::clock::now_ms;

/// The browser half of the ceremonies, served from our origin (the pages allow
/// `script-src 'self'` and nothing inline).
pub async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("passkey.js"),
    )
        .into_response()
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": "invalid_request", "message": message})),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct OptionsFields {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /oauth/authorize/passkey/options`: a challenge for any of this site's passkeys
/// (discoverable: the authenticator says whose), for an open login form. Always JSON:
/// the page's script shows the `message`.
pub async fn options(
    State(provider): State<Provider>,
    jar: CookieJar,
    Form(fields): Form<OptionsFields>,
) -> Response {
    let Some(webauthn) = provider.passkeys() else {
        return json_error(StatusCode::NOT_FOUND, "passkeys are not available here");
    };
    if let Err(page) = open_login(&provider, &jar, &fields.request, &fields.csrf).await {
        let message = match page.status() {
            StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN => {
                "this sign-in page has expired: reload it"
            }
            _ => "the sign-in service is busy: try again in a moment",
        };
        return json_error(page.status(), message);
    }
    let started = webauthn
        .start_discoverable_authentication()
        .map_err(|error| anyhow::anyhow!("cannot start a passkey sign-in: {error}"));
    let began = match started {
        Ok((mut options, state)) => {
            // A button press, not the autofill flavour webauthn-rs asks for by default.
            options.mediation = None;
            begin_ceremony(
                &provider,
                CeremonyKind::Authenticate,
                None,
                Some(&fields.request),
                &state,
            )
            .await
            .map(|ceremony| (ceremony, options))
        }
        Err(error) => Err(error),
    };
    match began {
        Ok((ceremony, options)) => {
            Json(json!({"ceremony": ceremony, "options": options})).into_response()
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "cannot start a passkey sign-in");
            json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "passkeys cannot be used right now: sign in with your password",
            )
        }
    }
}

#[derive(Deserialize)]
pub struct AnswerFields {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ceremony: String,
    /// The authenticator's answer, WebAuthn's JSON form.
    #[serde(default)]
    credential: String,
    /// A new passkey's name (enrollment).
    #[serde(default)]
    name: String,
}

const NOT_VERIFIED: &str =
    "That passkey could not be verified. Try again, or sign in with your password.";

/// `POST /oauth/authorize/passkey`: the authenticator's answer; on success the same
/// ending as a password sign-in.
pub async fn sign_in(
    State(provider): State<Provider>,
    jar: CookieJar,
    Form(fields): Form<AnswerFields>,
) -> Response {
    let form = match open_login(&provider, &jar, &fields.request, &fields.csrf).await {
        Ok(open) => open,
        Err(page) => return page,
    };
    let refuse = |why: &str| {
        tracing::info!(why, "passkey sign-in refused");
        form_again(&provider, &fields, &form, NOT_VERIFIED)
    };
    let Some(webauthn) = provider.passkeys() else {
        return refuse("passkeys are off");
    };
    let now = now_ms();
    let ceremony =
        match take_ceremony(&provider, &fields.ceremony, CeremonyKind::Authenticate, now).await {
            Ok(Some(ceremony))
                if ceremony.pending_login.as_deref() == Some(fields.request.as_str()) =>
            {
                ceremony
            }
            Ok(_) => return refuse("no such ceremony for this form"),
            Err(error) => return failure(error),
        };
    // Only after the ceremony is taken: any answer, even a malformed one, uses it up.
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(&fields.credential) else {
        return refuse("the answer is not a WebAuthn assertion");
    };
    let Ok(state) = serde_json::from_str::<DiscoverableAuthentication>(&ceremony.state) else {
        return failure(anyhow::anyhow!("a stored passkey ceremony is unreadable"));
    };
    let Ok((user, credential_id)) = webauthn.identify_discoverable_authentication(&answer) else {
        return refuse("the answer names no user");
    };
    let credential_id = passkey_store::credential_id(credential_id);
    let mut conn = match provider.db().acquire().await {
        Ok(conn) => conn,
        Err(error) => return failure(error),
    };
    let (passkey, account) = match stored(&mut conn, &credential_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return refuse("unknown passkey or account"),
        Err(error) => return failure(error),
    };
    drop(conn);
    if account.disabled || account.id != user.to_string() {
        return refuse("a disabled account, or the passkey of someone else");
    }
    let (read, mut credential) = (passkey.stored, passkey.credential);
    let result = match webauthn.finish_discoverable_authentication_v2(&answer, state, &credential) {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%error, "passkey assertion refused");
            return refuse("the assertion is not valid");
        }
    };
    credential.update_credential(&result);
    // Only if nothing changed it since it was read: a parallel sign-in with a clone must
    // not move the counter back, nor a passkey just removed sign anyone in.
    let recorded = provider
        .db()
        .write(async |tx| {
            passkey_store::record_use(tx, &credential_id, &read, &credential, now).await
        })
        .await;
    match recorded {
        Ok(true) => {}
        Ok(false) => return refuse("the passkey changed or went while it was checked"),
        Err(error) => return failure(error),
    }
    complete_sign_in(&provider, &jar, &fields.request, &form.1, &account, now).await
}

/// The login form again after a passkey answer it refused (400).
fn form_again(
    provider: &Provider,
    fields: &AnswerFields,
    (pending, request): &(PendingLogin, AuthRequest),
    message: &str,
) -> Response {
    login_form(
        provider,
        &fields.request,
        pending,
        request,
        "",
        StatusCode::BAD_REQUEST,
        message,
    )
}

/// The passkey with this credential id and its account.
async fn stored(
    conn: &mut sqlx::AnyConnection,
    credential_id: &str,
) -> sqlx::Result<Option<(passkey_store::StoredPasskey, Account)>> {
    let Some(passkey) = passkey_store::passkey(conn, credential_id).await? else {
        return Ok(None);
    };
    Ok(store::account(conn, &passkey.account_id)
        .await?
        .map(|account| (passkey, account)))
}

/// The page where someone the policy covers, with the right password and no passkey yet,
/// adds one to finish signing in; shown again with what went wrong and the name typed.
pub async fn enrollment(
    provider: &Provider,
    webauthn: &Webauthn,
    request_id: &str,
    pending: &PendingLogin,
    account: &Account,
    again: Option<(&str, &str)>,
) -> Response {
    let (ceremony, options) =
        match registration::start(provider, webauthn, account, Some(request_id)).await {
            Ok(started) => started,
            Err(error) => return failure(anyhow::Error::from(error)),
        };
    let status = if again.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    pages::respond_with_passkeys(
        status,
        pages::passkey_enrollment(&EnrollmentForm {
            request: request_id,
            csrf: &pending.csrf,
            ceremony: &ceremony,
            options: &options.to_string(),
            person: &account.name,
            name: again.map_or("", |(_, name)| name),
            error: again.map(|(error, _)| error),
        }),
    )
}

/// `POST /oauth/authorize/passkey/enroll`: the new passkey of someone the policy covers;
/// stored, it signs them in.
pub async fn enroll(
    State(provider): State<Provider>,
    jar: CookieJar,
    Form(fields): Form<AnswerFields>,
) -> Response {
    let form = match open_login(&provider, &jar, &fields.request, &fields.csrf).await {
        Ok(open) => open,
        Err(page) => return page,
    };
    let Some(webauthn) = provider.passkeys() else {
        return form_again(&provider, &fields, &form, NOT_VERIFIED);
    };
    // The ceremony says whose passkey this is: it was started after their password.
    let account = match provider.db().acquire().await {
        Ok(mut conn) => match passkey_store::ceremony_account(&mut conn, &fields.ceremony).await {
            Ok(Some(id)) => store::account(&mut conn, &id).await,
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    let account = match account {
        Ok(Some(account)) if !account.disabled => account,
        // Expired or answered already: the password again, which starts a new one.
        Ok(_) => return form_again(&provider, &fields, &form, TOOK_TOO_LONG),
        Err(error) => return failure(error),
    };
    // The name first, before the ceremony is used up: a bad one can be corrected.
    let refusal = match app::passkeys::PasskeyName::parse(&fields.name) {
        Err(error) => error.message,
        Ok(name) => {
            let answer =
                serde_json::from_str(&fields.credential).unwrap_or(serde_json::Value::Null);
            let added = registration::finish(
                &provider,
                webauthn,
                &fields.ceremony,
                &account.id,
                Some(&fields.request),
                &name,
                answer,
            )
            .await;
            match added {
                Ok(_) => {
                    return complete_sign_in(
                        &provider,
                        &jar,
                        &fields.request,
                        &form.1,
                        &account,
                        now_ms(),
                    )
                    .await
                }
                Err(Refused::Expired) => {
                    return form_again(&provider, &fields, &form, TOOK_TOO_LONG)
                }
                Err(Refused::NotVerified) => {
                    "The passkey could not be verified. Try again.".to_owned()
                }
                Err(Refused::Duplicate) => "This passkey is registered already.".to_owned(),
                Err(error) => return failure(anyhow::Error::from(error)),
            }
        }
    };
    // The page again, with a new ceremony, what went wrong and the name typed.
    enrollment(
        &provider,
        webauthn,
        &fields.request,
        &form.0,
        &account,
        Some((&refusal, &fields.name)),
    )
    .await
}

const TOOK_TOO_LONG: &str = "Adding the passkey took too long. Sign in again.";

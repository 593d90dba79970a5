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
    prelude::{
        DiscoverableAuthentication, PasskeyRegistration, PublicKeyCredential,
        RegisterPublicKeyCredential,
    },
    Webauthn,
};

use super::{
    discoverable,
    store::{self as passkey_store, CeremonyKind},
    CEREMONY_TTL_MS,
};
use crate::{
    authorize::{complete_sign_in, failure, login_form, open_login},
    pages::{self, EnrollmentForm},
    store::{self, Account, PendingLogin},
    Provider,
};
use db::{clock::now_ms, is_unique_violation};

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
/// (discoverable: the authenticator says whose), for an open login form.
pub async fn options(
    State(provider): State<Provider>,
    jar: CookieJar,
    Form(fields): Form<OptionsFields>,
) -> Response {
    let Some(webauthn) = provider.passkeys() else {
        return json_error(StatusCode::NOT_FOUND, "passkeys are not available here");
    };
    if let Err(page) = open_login(&provider, &jar, &fields.request, &fields.csrf).await {
        return json_error(page.status(), "this sign-in page has expired: reload it");
    }
    let (mut options, state) = match webauthn.start_discoverable_authentication() {
        Ok(started) => started,
        Err(error) => return failure(anyhow::anyhow!("cannot start a passkey sign-in: {error}")),
    };
    // A button press, not the autofill flavour webauthn-rs asks for by default.
    options.mediation = None;
    let now = now_ms();
    let began = begin(
        &provider,
        CeremonyKind::Authenticate,
        None,
        Some(&fields.request),
        &state,
        now,
    )
    .await;
    match began {
        Ok(ceremony) => Json(json!({"ceremony": ceremony, "options": options})).into_response(),
        Err(response) => response,
    }
}

/// Stores a ceremony's state through the write queue; its token, or the failure page.
async fn begin(
    provider: &Provider,
    kind: CeremonyKind,
    account_id: Option<&str>,
    pending_login: Option<&str>,
    state: &impl serde::Serialize,
    now: i64,
) -> Result<String, Response> {
    let state = serde_json::to_string(state).map_err(failure)?;
    provider
        .db()
        .write(async |tx| {
            passkey_store::begin_ceremony(
                tx,
                kind,
                account_id,
                pending_login,
                &state,
                now + CEREMONY_TTL_MS,
            )
            .await
        })
        .await
        .map_err(failure)
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
    let (pending, request) = match open_login(&provider, &jar, &fields.request, &fields.csrf).await
    {
        Ok(open) => open,
        Err(page) => return page,
    };
    let refuse = |why: &str| {
        tracing::info!(why, "passkey sign-in refused");
        login_form(
            &provider,
            &fields.request,
            &pending,
            &request,
            "",
            StatusCode::BAD_REQUEST,
            NOT_VERIFIED,
        )
    };
    let Some(webauthn) = provider.passkeys() else {
        return refuse("passkeys are off");
    };
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(&fields.credential) else {
        return refuse("the answer is not a WebAuthn assertion");
    };
    let now = now_ms();
    let ceremony = match take(&provider, &fields.ceremony, CeremonyKind::Authenticate, now).await {
        Ok(Some(ceremony))
            if ceremony.pending_login.as_deref() == Some(fields.request.as_str()) =>
        {
            ceremony
        }
        Ok(_) => return refuse("no such ceremony for this form"),
        Err(response) => return response,
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
    let mut credential = passkey.credential;
    let result = match webauthn.finish_discoverable_authentication_v2(&answer, state, &credential) {
        Ok(result) => result,
        Err(error) => {
            tracing::info!(%error, "passkey assertion refused");
            return refuse("the assertion is not valid");
        }
    };
    credential.update_credential(&result);
    let recorded = provider
        .db()
        .write(async |tx| passkey_store::record_use(tx, &credential_id, &credential, now).await)
        .await;
    if let Err(error) = recorded {
        return failure(error);
    }
    complete_sign_in(&provider, &jar, &fields.request, &request, &account, now).await
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

/// Takes a ceremony out through the write queue.
async fn take(
    provider: &Provider,
    token: &str,
    kind: CeremonyKind,
    now: i64,
) -> Result<Option<passkey_store::Ceremony>, Response> {
    provider
        .db()
        .write(async |tx| passkey_store::take_ceremony(tx, token, kind, now).await)
        .await
        .map_err(failure)
}

/// The page where someone the policy covers, with the right password and no passkey yet,
/// adds one to finish signing in.
pub async fn enrollment(
    provider: &Provider,
    webauthn: &Webauthn,
    request_id: &str,
    pending: &PendingLogin,
    account: &Account,
    error: Option<&str>,
) -> Response {
    let Ok(user) = uuid::Uuid::parse_str(&account.id) else {
        return failure(anyhow::anyhow!("account id {} is not a UUID", account.id));
    };
    let (options, state) =
        match webauthn.start_passkey_registration(user, &account.email, &account.name, None) {
            Ok(started) => started,
            Err(error) => return failure(anyhow::anyhow!("cannot start a passkey: {error}")),
        };
    let options = match serde_json::to_value(options) {
        Ok(options) => discoverable(options),
        Err(error) => return failure(error),
    };
    let now = now_ms();
    let ceremony = match begin(
        provider,
        CeremonyKind::Register,
        Some(&account.id),
        Some(request_id),
        &state,
        now,
    )
    .await
    {
        Ok(ceremony) => ceremony,
        Err(response) => return response,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    pages::respond(
        status,
        pages::passkey_enrollment(&EnrollmentForm {
            request: request_id,
            csrf: &pending.csrf,
            ceremony: &ceremony,
            options: &options.to_string(),
            name: &account.name,
            error,
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
    let (pending, request) = match open_login(&provider, &jar, &fields.request, &fields.csrf).await
    {
        Ok(open) => open,
        Err(page) => return page,
    };
    let Some(webauthn) = provider.passkeys() else {
        return login_form(
            &provider,
            &fields.request,
            &pending,
            &request,
            "",
            StatusCode::BAD_REQUEST,
            NOT_VERIFIED,
        );
    };
    let now = now_ms();
    let ceremony = match take(&provider, &fields.ceremony, CeremonyKind::Register, now).await {
        Ok(Some(ceremony))
            if ceremony.pending_login.as_deref() == Some(fields.request.as_str()) =>
        {
            ceremony
        }
        // Expired or answered already: the password again, which starts a new one.
        Ok(_) => {
            return login_form(
                &provider,
                &fields.request,
                &pending,
                &request,
                "",
                StatusCode::BAD_REQUEST,
                "Adding the passkey took too long. Sign in again.",
            )
        }
        Err(response) => return response,
    };
    let account = match ceremony.account_id.as_deref() {
        Some(id) => match provider.db().acquire().await {
            Ok(mut conn) => match store::account(&mut conn, id).await {
                Ok(Some(account)) if !account.disabled => account,
                Ok(_) => {
                    return login_form(
                        &provider,
                        &fields.request,
                        &pending,
                        &request,
                        "",
                        StatusCode::BAD_REQUEST,
                        NOT_VERIFIED,
                    )
                }
                Err(error) => return failure(error),
            },
            Err(error) => return failure(error),
        },
        None => {
            return failure(anyhow::anyhow!(
                "a registration ceremony without an account"
            ))
        }
    };
    let again = |error: &str| {
        let error = error.to_owned();
        let provider = provider.clone();
        let request_id = fields.request.clone();
        let pending = &pending;
        let account = account.clone();
        async move {
            enrollment(
                &provider,
                webauthn,
                &request_id,
                pending,
                &account,
                Some(&error),
            )
            .await
        }
    };
    let name = match app::passkeys::PasskeyName::parse(&fields.name) {
        Ok(name) => name,
        Err(error) => return again(&error.message).await,
    };
    let Ok(state) = serde_json::from_str::<PasskeyRegistration>(&ceremony.state) else {
        return failure(anyhow::anyhow!("a stored passkey ceremony is unreadable"));
    };
    let credential = match serde_json::from_str::<RegisterPublicKeyCredential>(&fields.credential)
        .map_err(|error| error.to_string())
        .and_then(|answer| {
            webauthn
                .finish_passkey_registration(&answer, &state)
                .map_err(|error| error.to_string())
        }) {
        Ok(credential) => credential,
        Err(error) => {
            tracing::info!(%error, "passkey registration refused");
            return again("The passkey could not be added. Try again.").await;
        }
    };
    let inserted = provider
        .db()
        .write(async |tx| {
            passkey_store::insert_passkey(tx, &account.id, name.as_str(), &credential, now).await
        })
        .await;
    match inserted {
        Ok(_) => complete_sign_in(&provider, &jar, &fields.request, &request, &account, now).await,
        Err(error) if is_unique_violation(&error) => {
            again("This passkey is registered already.").await
        }
        Err(error) => failure(error),
    }
}

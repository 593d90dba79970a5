//! `/oauth/authorize`: the authorization request (code flow with PKCE S256 only) and the
//! login form. Errors before the client and its redirect URI are known show a page and
//! never redirect (an open redirector otherwise); later ones go back to the client.

use axum::{
    extract::{Form, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};

use crate::{
    oauth_error::single_params,
    pages::{self, LoginForm},
    passkeys, roles,
    secrets::{random_token, same, token_hash, verify_secret_bounded},
    store::{self, Account, ClientKind, CodeGrant, PendingLogin, Session},
    Provider, LOGIN_COOKIE, SESSION_COOKIE,
};
use db::clock::now_ms;

/// Codes live at most this long (the BCP asks for short-lived codes).
const CODE_TTL_MS: i64 = 60 * 1000;
/// How long a login form stays usable.
const LOGIN_FORM_TTL_MS: i64 = 10 * 60 * 1000;
/// Longest email address (RFC 5321 path limit) and password read from the form.
const MAX_EMAIL_BYTES: usize = 254;
const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest `state`, `nonce` and `login_hint` kept while the login form is shown.
const MAX_PARAM_BYTES: usize = 1024;

/// An authorization request that passed every check, kept while the login form is shown.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AuthRequest {
    client_id: String,
    client_name: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    /// Seconds (OIDC `max_age`).
    max_age: Option<i64>,
    /// The DPoP key that must redeem the code (RFC 9449 §10).
    #[serde(default)]
    dpop_jkt: Option<String>,
}

/// A failure of the provider itself: a page, since we cannot trust any redirect then. A
/// database that is busy (SQLite's write lock past its timeout, no pooled connection) or
/// away (PostgreSQL restarting) is a 503 the person can retry, as on the API.
pub(super) fn failure(error: impl Into<anyhow::Error>) -> Response {
    let error = error.into();
    let detail = format!("{error:#}");
    if error.downcast_ref::<sqlx::Error>().is_some_and(db::is_away) {
        tracing::warn!(error = %detail, "the sign-in service's database is busy or away");
        return dead_end(
            StatusCode::SERVICE_UNAVAILABLE,
            "Busy right now",
            "The sign-in service is busy. Try again in a moment.",
        );
    }
    tracing::error!(error = %detail, "the provider failed");
    dead_end(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The sign-in service failed.",
    )
}

pub(super) fn dead_end(status: StatusCode, title: &str, message: &str) -> Response {
    pages::respond(status, pages::error(title, message))
}

/// An error sent back to the client (RFC 6749 §4.1.2.1, with `iss` from RFC 9207).
fn error_redirect(
    issuer: &str,
    redirect_uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> Response {
    let mut params = vec![
        ("error", code),
        ("error_description", description),
        ("iss", issuer),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    pages::redirect(StatusCode::FOUND, redirect_uri, &params)
}

pub async fn authorize(
    State(provider): State<Provider>,
    jar: CookieJar,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let params = match single_params(pairs) {
        Ok(params) => params,
        Err(message) => {
            return dead_end(StatusCode::BAD_REQUEST, "Invalid sign-in request", &message)
        }
    };
    let mut conn = match provider.db().acquire().await {
        Ok(conn) => conn,
        Err(error) => return failure(error),
    };

    // 1. The client and its exact redirect URI, or a dead end.
    let Some(client_id) = params.get("client_id") else {
        return dead_end(
            StatusCode::BAD_REQUEST,
            "Invalid sign-in request",
            "The request names no app (client_id).",
        );
    };
    let client = match store::client(&mut conn, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return dead_end(
                StatusCode::BAD_REQUEST,
                "Unknown app",
                "This app is not registered here.",
            )
        }
        Err(error) => return failure(error),
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return dead_end(
            StatusCode::BAD_REQUEST,
            "Invalid sign-in request",
            "The request has no redirect_uri.",
        );
    };
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return dead_end(
            StatusCode::BAD_REQUEST,
            "Unregistered redirect address",
            "The app asked to return to an address that is not registered for it.",
        );
    }

    // 2. The rest of the request; errors go back to the app.
    let issuer = provider.issuer();
    // An oversized state is not echoed back (it would be stored and sent on).
    let state = params
        .get("state")
        .map(String::as_str)
        .filter(|state| state.len() <= MAX_PARAM_BYTES);
    let back = |code: &str, description: &str| {
        error_redirect(issuer, redirect_uri, state, code, description)
    };
    if client.kind != ClientKind::Public {
        return back(
            "unauthorized_client",
            "this client uses client credentials, not sign-in",
        );
    }
    let oversized = ["state", "nonce", "login_hint"]
        .iter()
        .any(|name| params.get(*name).is_some_and(|v| v.len() > MAX_PARAM_BYTES));
    if oversized {
        return back(
            "invalid_request",
            "state, nonce and login_hint are limited to 1024 bytes",
        );
    }
    if params.contains_key("request") || params.contains_key("request_uri") {
        return back("request_not_supported", "request objects are not supported");
    }
    if params.get("response_type").map(String::as_str) != Some("code") {
        return back(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let scope = params.get("scope").cloned().unwrap_or_default();
    if !roles::has_scope(&scope, "openid") {
        return back("invalid_scope", "the scope must include openid");
    }
    let Some(code_challenge) = params.get("code_challenge") else {
        return back(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if params.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    let well_formed = code_challenge.len() == 43
        && code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return back(
            "invalid_request",
            "code_challenge is not a base64url SHA-256",
        );
    }
    let prompts: Vec<&str> = params
        .get("prompt")
        .map(|p| p.split(' ').filter(|v| !v.is_empty()).collect())
        .unwrap_or_default();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return back(
            "invalid_request",
            "prompt=none cannot be combined with other values",
        );
    }
    let max_age = match params.get("max_age").map(|v| v.parse::<i64>()) {
        None => None,
        Some(Ok(seconds)) if seconds >= 0 => Some(seconds),
        Some(_) => return back("invalid_request", "max_age must be a number of seconds"),
    };
    let dpop_jkt = match params.get("dpop_jkt") {
        None => None,
        Some(jkt) if dpop::is_thumbprint(jkt) => Some(jkt.clone()),
        Some(_) => {
            return back(
                "invalid_request",
                "dpop_jkt is not a base64url SHA-256 JWK thumbprint",
            )
        }
    };
    let request = AuthRequest {
        client_id: client.id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.clone(),
        scope,
        state: state.map(str::to_owned),
        nonce: params.get("nonce").cloned(),
        code_challenge: code_challenge.clone(),
        max_age,
        dpop_jkt,
    };

    // 3. A live session answers at once, unless the app wants a fresh login.
    let now = now_ms();
    let session = match current_session(&provider, &jar, &mut conn, now).await {
        Ok(session) => session,
        Err(error) => return failure(error),
    };
    let fresh_enough = |session: &Session| {
        max_age.is_none_or(|max_age| now - session.auth_time <= max_age.saturating_mul(1000))
    };
    if let Some((session, account)) = session {
        if !prompts.contains(&"login") && fresh_enough(&session) {
            return match issue_code(
                &provider,
                &mut conn,
                &request,
                &account,
                &session,
                now,
                StatusCode::FOUND,
            )
            .await
            {
                Ok(response) => response,
                Err(error) => failure(error),
            };
        }
    }
    if prompts.contains(&"none") {
        return back("login_required", "the user must sign in");
    }

    // 4. The login form, bound to this browser.
    let binding = jar
        .get(&provider.cookie_name(LOGIN_COOKIE))
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| value.len() == 43)
        .unwrap_or_else(random_token);
    let id = random_token();
    let csrf = random_token();
    let pending = PendingLogin {
        csrf: csrf.clone(),
        binding_hash: token_hash(&binding),
        request: match serde_json::to_string(&request) {
            Ok(json) => json,
            Err(error) => return failure(error),
        },
        expires_at: now + LOGIN_FORM_TTL_MS,
    };
    if let Err(error) = store::insert_pending(&mut conn, &id, &pending).await {
        return failure(error);
    }
    let jar = jar.add(provider.cookie(LOGIN_COOKIE, binding, LOGIN_FORM_TTL_MS / 1000));
    let page = pages::login(&LoginForm {
        request: &id,
        csrf: &csrf,
        client_name: &request.client_name,
        email: params.get("login_hint").map(String::as_str).unwrap_or(""),
        error: None,
        passkeys: provider.passkeys().is_some(),
    });
    (jar, pages::respond_with_passkeys(StatusCode::OK, page)).into_response()
}

/// The browser's live provider session and its (enabled) account.
async fn current_session(
    provider: &Provider,
    jar: &CookieJar,
    conn: &mut sqlx::AnyConnection,
    now: i64,
) -> sqlx::Result<Option<(Session, Account)>> {
    let Some(cookie) = jar.get(&provider.cookie_name(SESSION_COOKIE)) else {
        return Ok(None);
    };
    let Some(session) = store::session(conn, &token_hash(cookie.value())).await? else {
        return Ok(None);
    };
    if session.expires_at <= now {
        return Ok(None);
    }
    Ok(store::account(conn, &session.account_id)
        .await?
        .filter(|account| !account.disabled)
        .map(|account| (session, account)))
}

async fn issue_code(
    provider: &Provider,
    conn: &mut sqlx::AnyConnection,
    request: &AuthRequest,
    account: &Account,
    session: &Session,
    now: i64,
    // 302 answering a GET; 303 after the login form's POST, so the browser follows with a GET.
    status: StatusCode,
) -> sqlx::Result<Response> {
    let code = random_token();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        account_id: account.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        scope: roles::grant(&request.scope, account.role),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        sid: Some(session.sid.clone()),
        family_id: uuid::Uuid::new_v4().to_string(),
        expires_at: now + CODE_TTL_MS,
        dpop_jkt: request.dpop_jkt.clone(),
    };
    store::insert_code(conn, &token_hash(&code), &grant).await?;
    let mut params = vec![("code", code.as_str()), ("iss", provider.issuer())];
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    Ok(pages::redirect(status, &request.redirect_uri, &params))
}

#[derive(Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    request: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The login form a POST answers, if it is still open and was sent from the page this
/// browser opened (its cookie and CSRF token); else the page to show instead.
pub(crate) async fn open_login(
    provider: &Provider,
    jar: &CookieJar,
    request_id: &str,
    csrf: &str,
) -> Result<(PendingLogin, AuthRequest), Response> {
    let mut conn = provider.db().acquire().await.map_err(failure)?;
    let pending = match store::pending(&mut conn, request_id).await {
        Ok(Some(pending)) if pending.expires_at > now_ms() => pending,
        Ok(_) => {
            return Err(dead_end(
                StatusCode::BAD_REQUEST,
                "This sign-in page has expired",
                "It was open too long or was already used.",
            ))
        }
        Err(error) => return Err(failure(error)),
    };
    let bound = jar
        .get(&provider.cookie_name(LOGIN_COOKIE))
        .is_some_and(|cookie| same(&token_hash(cookie.value()), &pending.binding_hash));
    if !bound || !same(csrf, &pending.csrf) {
        return Err(dead_end(
            StatusCode::FORBIDDEN,
            "The sign-in form could not be verified",
            "It was not sent from the page this browser opened.",
        ));
    }
    let request = serde_json::from_str(&pending.request).map_err(failure)?;
    Ok((pending, request))
}

/// The login form again, with what went wrong.
pub(crate) fn login_form(
    provider: &Provider,
    request_id: &str,
    pending: &PendingLogin,
    request: &AuthRequest,
    email: &str,
    status: StatusCode,
    error: &str,
) -> Response {
    pages::respond_with_passkeys(
        status,
        pages::login(&LoginForm {
            request: request_id,
            csrf: &pending.csrf,
            client_name: &request.client_name,
            email,
            error: Some(error),
            passkeys: provider.passkeys().is_some(),
        }),
    )
}

const WRONG_CREDENTIALS: &str = "Wrong email or password.";

pub async fn login(
    State(provider): State<Provider>,
    jar: CookieJar,
    Form(fields): Form<LoginFields>,
) -> Response {
    let (pending, request) = match open_login(&provider, &jar, &fields.request, &fields.csrf).await
    {
        Ok(open) => open,
        Err(page) => return page,
    };
    let now = now_ms();
    let email = fields.email.trim().to_lowercase();
    let form = |status: StatusCode, error: &str| {
        login_form(
            &provider,
            &fields.request,
            &pending,
            &request,
            &email,
            status,
            error,
        )
    };
    let locked = |until: i64| {
        let minutes = (until - now).div_euclid(60_000) + 1;
        form(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Too many failed attempts. Try again in {minutes} minutes."),
        )
    };
    if email.len() > MAX_EMAIL_BYTES || fields.password.len() > MAX_PASSWORD_BYTES {
        return form(StatusCode::BAD_REQUEST, WRONG_CREDENTIALS);
    }
    let account = match provider.db().acquire().await {
        Ok(mut conn) => store::account_by_email(&mut conn, &email).await,
        Err(error) => Err(error),
    };
    let account = match account {
        Ok(account) => account,
        Err(error) => return failure(error),
    };

    // The attempt counts before the password is checked, so parallel guesses cannot all
    // slip in under the limit. Every write goes through the write queue (`Db::write`).
    let attempt = provider
        .db()
        .write(async |tx| store::begin_attempt(tx, &email, now).await)
        .await;
    let attempts = match attempt {
        Ok(store::Attempt::Locked { until }) => return locked(until),
        Ok(store::Attempt::Allowed { attempts }) => attempts,
        Err(error) => return failure(error),
    };

    let stored = account
        .as_ref()
        .map(|account| account.password_hash.clone());
    let Ok(matches) = verify_secret_bounded(fields.password.clone(), stored).await else {
        return form(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many people are signing in right now. Try again in a moment.",
        );
    };
    let account = match account {
        Some(account) if matches && !account.disabled => account,
        _ if attempts >= store::MAX_FAILURES => {
            let lock = provider
                .db()
                .write(async |tx| store::lock(tx, &email, now).await)
                .await;
            return match lock {
                Ok(until) => locked(until),
                Err(error) => failure(error),
            };
        }
        _ => return form(StatusCode::BAD_REQUEST, WRONG_CREDENTIALS),
    };

    // Approvers under the passkey policy: with a passkey, only it signs them in; without
    // one, the right password leads to adding one, and only that finishes the sign-in.
    let passkeys_needed = match provider.db().acquire().await {
        Ok(mut conn) => passkeys_needed(&mut conn, &account).await,
        Err(error) => Err(error),
    };
    match passkeys_needed {
        Ok(None) => {}
        Ok(Some(count)) => match provider.passkeys() {
            Some(_) if count > 0 => {
                return form(
                    StatusCode::FORBIDDEN,
                    "Your organisation asks managers to sign in with a passkey: choose \"Sign in with a passkey\".",
                )
            }
            Some(webauthn) => {
                return passkeys::login::enrollment(
                    &provider,
                    webauthn,
                    &fields.request,
                    &pending,
                    &account,
                    None,
                )
                .await
            }
            None => tracing::warn!(
                "passkeys are required of managers, but this address cannot have passkeys \
                 (PUBLIC_URL needs https or localhost): signing in with the password"
            ),
        },
        Err(error) => return failure(error),
    }
    complete_sign_in(&provider, &jar, &fields.request, &request, &account, now).await
}

/// How many passkeys `account` has, if the passkey policy covers them.
async fn passkeys_needed(
    conn: &mut sqlx::AnyConnection,
    account: &Account,
) -> sqlx::Result<Option<i64>> {
    if !passkeys::policy_applies_to(account.role)
        || !passkeys::store::approvers_need_passkeys(conn).await?
    {
        return Ok(None);
    }
    passkeys::store::count_of(conn, &account.id).await.map(Some)
}

/// Ends a login that proved who the person is (password or passkey): a new provider
/// session (a new id at every login: no fixation; the old session ends) and a code for the
/// app. One write — failures cleared, form used up, old session ended, new session and
/// code stored — all of it or none.
pub(crate) async fn complete_sign_in(
    provider: &Provider,
    jar: &CookieJar,
    request_id: &str,
    request: &AuthRequest,
    account: &Account,
    now: i64,
) -> Response {
    let result: sqlx::Result<Response> = provider
        .db()
        .write(async |tx| {
            store::clear_failures(tx, &account.email).await?;
            store::delete_pending(tx, request_id).await?;
            if let Some(old) = jar.get(&provider.cookie_name(SESSION_COOKIE)) {
                store::delete_session(tx, &token_hash(old.value())).await?;
            }
            let session_id = random_token();
            let session_ms =
                i64::try_from(provider.settings().session.as_millis()).unwrap_or(i64::MAX);
            let session = Session {
                sid: uuid::Uuid::new_v4().to_string(),
                account_id: account.id.clone(),
                auth_time: now,
                expires_at: now.saturating_add(session_ms),
            };
            store::insert_session(tx, &token_hash(&session_id), &session).await?;
            let response = issue_code(
                provider,
                tx,
                request,
                account,
                &session,
                now,
                StatusCode::SEE_OTHER,
            )
            .await?;
            let jar = jar
                .clone()
                .add(provider.cookie(SESSION_COOKIE, session_id, session_ms / 1000))
                .add(provider.removal(LOGIN_COOKIE));
            Ok((jar, response).into_response())
        })
        .await;
    result.unwrap_or_else(failure)
}

#[cfg(test)]
mod tests {
    use super::failure;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn a_busy_database_is_a_page_to_retry_and_anything_else_a_failure() {
        let busy = failure(db::testing::sqlite_busy_error().await);
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(busy.into_body(), 64 * 1024)
            .await
            .unwrap();
        let page = String::from_utf8_lossy(&body);
        assert!(page.contains("Try again in a moment"), "{page}");

        let broken = failure(sqlx::Error::RowNotFound);
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let unreadable = serde_json::from_str::<u8>("x").unwrap_err();
        assert_eq!(
            failure(unreadable).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

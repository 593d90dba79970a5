//! The provider's server-rendered pages (login, errors, signed out): small, accessible,
//! phone-first. The only script is our own `passkey.js`, and forms work without it except
//! for passkeys. `maud` escapes every value.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
};
use maud::{html, Markup, DOCTYPE};

const STYLE: &str = "
:root{color-scheme:light dark;font-family:system-ui,sans-serif}
body{margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;background:Canvas}
main{width:min(24rem,100% - 2rem);padding:1.5rem 0}
h1{font-size:1.5rem;margin:0 0 .25rem}
p{line-height:1.4}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{box-sizing:border-box;width:100%;min-height:44px;font-size:1rem;padding:.5rem .75rem;border:1px solid GrayText;border-radius:.5rem}
button{width:100%;min-height:48px;margin-top:1.5rem;font-size:1rem;font-weight:600;border:0;border-radius:.5rem;background:#1d4ed8;color:#fff}
button:focus-visible,input:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}
.hint{margin:.25rem 0 0;font-size:.875rem}
a{color:LinkText}
button.secondary{background:transparent;color:LinkText;border:2px solid currentColor}
.or{text-align:center;margin:1.5rem 0 0;font-size:.875rem}
.error{border-left:4px solid #b91c1c;padding:.5rem .75rem;background:#fee2e2;color:#7f1d1d;border-radius:.25rem}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Timesheets" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// An HTML answer that is never cached, framed or sent with a referrer, and runs no script.
pub fn respond(status: StatusCode, page: Markup) -> Response {
    with_policy(status, page, "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
}

/// The same for the pages with passkeys, whose only script is our own `passkey.js`.
pub fn respond_with_passkeys(status: StatusCode, page: Markup) -> Response {
    with_policy(status, page, "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
}

fn with_policy(status: StatusCode, page: Markup, policy: &'static str) -> Response {
    let mut response = (status, Html(page.into_string())).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// A redirect (302, or 303 after a form) to a registered `uri` with `params` added to its
/// query; a registered address that is not a URL ends on an error page instead.
pub fn redirect(status: StatusCode, uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(uri) else {
        return respond(
            StatusCode::BAD_REQUEST,
            error(
                "Invalid redirect address",
                "The app's registered address is not a valid URL.",
            ),
        );
    };
    // Without parameters the registered URI is used as is (no dangling `?`).
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    let mut response = status.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub struct LoginForm<'a> {
    pub request: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// Whether to offer "Sign in with a passkey".
    pub passkeys: bool,
}

/// The script behind the passkey buttons.
const PASSKEY_SCRIPT: &str = "/oauth/passkey.js";

pub fn login(form: &LoginForm<'_>) -> Markup {
    layout(
        "Sign in",
        html! {
            h1 { "Sign in" }
            p { "to continue to " strong { (form.client_name) } }
            @if let Some(error) = form.error {
                p.error role="alert" id="login-error" { (error) }
            }
            form method="post" action="/oauth/authorize" {
                input type="hidden" name="request" value=(form.request);
                input type="hidden" name="csrf" value=(form.csrf);
                label for="email" { "Email" }
                input #email type="email" name="email" value=(form.email) required
                    autocomplete="username" inputmode="email" autocapitalize="none"
                    aria-describedby=[form.error.map(|_| "login-error")]
                    autofocus[form.email.is_empty()];
                label for="password" { "Password" }
                input #password type="password" name="password" required
                    autocomplete="current-password"
                    autofocus[!form.email.is_empty()];
                button type="submit" { "Sign in" }
            }
            @if form.passkeys {
                // Shown by the script where the browser has WebAuthn.
                form #passkey-form method="post" action="/oauth/authorize/passkey"
                    data-options="/oauth/authorize/passkey/options" hidden {
                    p.or { "or" }
                    input type="hidden" name="request" value=(form.request);
                    input type="hidden" name="csrf" value=(form.csrf);
                    input type="hidden" name="ceremony";
                    input type="hidden" name="credential";
                    button.secondary type="button" { "Sign in with a passkey" }
                }
                script src=(PASSKEY_SCRIPT) defer {}
            }
        },
    )
}

pub struct EnrollmentForm<'a> {
    pub request: &'a str,
    pub csrf: &'a str,
    pub ceremony: &'a str,
    /// WebAuthn creation options, JSON.
    pub options: &'a str,
    /// The person's name, to greet them.
    pub person: &'a str,
    /// The passkey's name as typed, when the page is shown again.
    pub name: &'a str,
    pub error: Option<&'a str>,
}

/// Where someone who must sign in with a passkey, and has none yet, adds one.
pub fn passkey_enrollment(form: &EnrollmentForm<'_>) -> Markup {
    let described_by = if form.error.is_some() {
        "passkey-name-hint passkey-error"
    } else {
        "passkey-name-hint"
    };
    layout(
        "Add a passkey",
        html! {
            h1 { "Add a passkey, " (form.person) }
            p { "Your organisation asks everyone who approves time to sign in with a passkey: "
                "your phone's screen lock or a security key instead of a password. "
                "Add one now to finish signing in." }
            @if let Some(error) = form.error {
                p.error role="alert" id="passkey-error" { (error) }
            }
            // Shown when the script cannot run the ceremony (no JavaScript or no WebAuthn).
            p.error #passkey-unsupported { "Adding a passkey needs a browser with passkeys and JavaScript: open this page in your phone's browser." }
            form #passkey-enroll method="post" action="/oauth/authorize/passkey/enroll"
                data-options=(form.options) hidden {
                input type="hidden" name="request" value=(form.request);
                input type="hidden" name="csrf" value=(form.csrf);
                input type="hidden" name="ceremony" value=(form.ceremony);
                input type="hidden" name="credential";
                label for="passkey-name" { "Name of this passkey" }
                input #passkey-name type="text" name="name" value=(form.name) required
                    maxlength="64" autocomplete="off" aria-describedby=(described_by);
                p.hint id="passkey-name-hint" { "So you can tell your passkeys apart, e.g. \"Work phone\"." }
                button type="submit" { "Add a passkey" }
            }
            script src=(PASSKEY_SCRIPT) defer {}
        },
    )
}

pub struct InvitationForm<'a> {
    pub token: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

/// Where an invited person chooses their password.
pub fn invitation(form: &InvitationForm<'_>) -> Markup {
    layout(
        "Choose your password",
        html! {
            h1 { "Welcome, " (form.name) }
            p { "Choose the password you will sign in to Timesheets with, as " strong { (form.email) } "." }
            @if let Some(error) = form.error {
                p.error role="alert" id="password-error" { (error) }
            }
            form method="post" action="/oauth/invitation" {
                input type="hidden" name="token" value=(form.token);
                // Lets password managers store the new password under the right account.
                input type="hidden" name="username" value=(form.email) autocomplete="username";
                label for="password" { "New password" }
                input #password type="password" name="password" required minlength="8"
                    maxlength="256" autocomplete="new-password" autofocus
                    aria-describedby="password-hint";
                p.hint id="password-hint" { "At least 8 characters." }
                label for="again" { "New password again" }
                input #again type="password" name="again" required minlength="8"
                    maxlength="256" autocomplete="new-password"
                    aria-describedby=[form.error.map(|_| "password-error")];
                button type="submit" { "Set password" }
            }
        },
    )
}

/// After an invitation was used.
pub fn password_set(email: &str, app_url: &str) -> Markup {
    layout(
        "Password set",
        html! {
            h1 { "Your password is set" }
            p role="status" { "Sign in to Timesheets as " strong { (email) } " with your new password." }
            p { a href=(format!("{app_url}/")) { "Open Timesheets" } }
        },
    )
}

/// A dead end: the request cannot go back to the app (unknown app, unregistered address).
pub fn error(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p.error role="alert" { (message) }
            p { "Go back to the app and sign in again." }
        },
    )
}

pub fn signed_out() -> Markup {
    layout(
        "Signed out",
        html! {
            h1 { "You are signed out" }
            p { "You can close this page." }
        },
    )
}

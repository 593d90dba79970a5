//! The embedded OpenID Connect provider (docs/PROVIDER.md), tested the way a browser and
//! its clients use it: discovery and keys, the code flow with PKCE, the login page, every
//! grant of the token endpoint, revocation, userinfo and logout. One test per rule.
//!
//! reqwest is built without its cookie store and without `form`, so the tests keep cookies
//! by hand (`Browser`) and encode forms themselves. JWTs are read without checking their
//! signatures, except where the API itself checks them.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    time::Duration,
};

use aws_lc_rs::digest::{digest, SHA256};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use reqwest::{
    header::{self, HeaderMap},
    Method, StatusCode, Url,
};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The PWA, a public client registered at start-up.
pub(crate) const PWA: &str = "timesheets-pwa";
/// The audience `TestApp` configures (`OIDC_AUDIENCE`), which the provider puts in `aud`.
const EMBEDDED_AUDIENCE: &str = crate::issuer::AUDIENCE;
/// What the PWA asks for.
pub(crate) const PWA_SCOPE: &str =
    "openid profile email offline_access read:timesheets create:timesheets";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
const WRONG_PASSWORD: &str = "not the password at all";
const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
/// An email no account has.
const GHOST: &str = "ghost@example.com";
/// A second public client, registered by the tests that need one.
const DESKTOP: &str = "desktop";
const DESKTOP_REDIRECT: &str = "http://localhost:9999/cb";
const DESKTOP_LOGOUT: &str = "http://localhost:9999/";
const FORM: &str = "application/x-www-form-urlencoded";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A PKCE pair (RFC 7636): 32 random bytes in base64url as the verifier, the base64url
/// SHA-256 of the verifier as the S256 challenge.
pub(crate) struct Pkce {
    pub(crate) verifier: String,
    pub(crate) challenge: String,
}

impl Pkce {
    pub(crate) fn new() -> Pkce {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref());
        Pkce {
            verifier,
            challenge,
        }
    }
}

pub(crate) fn random_text() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// `application/x-www-form-urlencoded` (the same encoding as a query string).
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse("http://form.invalid/").expect("a URL");
    url.query_pairs_mut().extend_pairs(pairs.iter().copied());
    url.query().unwrap_or_default().to_owned()
}

/// One form-encoded value, e.g. for `client_secret_basic` (RFC 6749 §2.3.1).
fn form_value(value: &str) -> String {
    form_encode(&[("v", value)])
        .strip_prefix("v=")
        .expect("an encoded pair")
        .to_owned()
}

pub(crate) fn pwa_redirect(app: &TestApp) -> String {
    app.url("/auth/callback")
}

/// The parameters of an authorization request, to change one at a time.
struct AuthRequest {
    params: Vec<(String, String)>,
}

impl AuthRequest {
    fn new(
        client_id: &str,
        redirect_uri: &str,
        pkce: &Pkce,
        scope: &str,
        state: &str,
        nonce: &str,
    ) -> AuthRequest {
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        AuthRequest {
            params: params
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// A valid request of the PWA.
    fn pwa(app: &TestApp, pkce: &Pkce, state: &str) -> AuthRequest {
        AuthRequest::new(
            PWA,
            &pwa_redirect(app),
            pkce,
            PWA_SCOPE,
            state,
            "n-0S6_WzA2Mj",
        )
    }

    /// With `key` set to `value` (replacing it if present).
    fn set(mut self, key: &str, value: &str) -> AuthRequest {
        self.params.retain(|(name, _)| name != key);
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Without `key`.
    fn without(mut self, key: &str) -> AuthRequest {
        self.params.retain(|(name, _)| name != key);
        self
    }

    fn param(&self, key: &str) -> String {
        self.params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("the request has a `{key}`"))
    }

    fn url(&self, app: &TestApp) -> String {
        let pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        format!("{}?{}", app.url("/oauth/authorize"), form_encode(&pairs))
    }
}

/// The URL of a code-flow authorization request with S256 PKCE; `extra` adds or replaces
/// parameters.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authorize_url(
    app: &TestApp,
    client_id: &str,
    redirect_uri: &str,
    pkce: &Pkce,
    scope: &str,
    state: &str,
    nonce: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut request = AuthRequest::new(client_id, redirect_uri, pkce, scope, state, nonce);
    for (key, value) in extra {
        request = request.set(key, value);
    }
    request.url(app)
}

/// A fresh, valid authorization request of the PWA, for tests about the login page.
fn pwa_login_url(app: &TestApp) -> String {
    AuthRequest::pwa(app, &Pkce::new(), &random_text()).url(app)
}

/// One `Set-Cookie` header.
struct SetCookie {
    name: String,
    value: String,
    /// Lower case, without spaces: `httponly`, `samesite=lax`, `path=/`, …
    attributes: Vec<String>,
    raw: String,
}

impl SetCookie {
    fn parse(raw: &str) -> Option<SetCookie> {
        let mut parts = raw.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        Some(SetCookie {
            name: name.trim().to_owned(),
            value: value.trim().trim_matches('"').to_owned(),
            attributes: parts
                .map(|part| {
                    part.split_whitespace()
                        .collect::<String>()
                        .to_ascii_lowercase()
                })
                .collect(),
            raw: raw.to_owned(),
        })
    }

    fn has(&self, attribute: &str) -> bool {
        self.attributes.iter().any(|present| present == attribute)
    }

    /// Whether the header removes the cookie rather than setting it.
    fn deletes(&self) -> bool {
        self.value.is_empty()
            || self.attributes.iter().any(|attribute| {
                attribute
                    .strip_prefix("max-age=")
                    .is_some_and(|age| age.parse::<i64>().is_ok_and(|age| age <= 0))
                    || (attribute.starts_with("expires=") && attribute.contains("1970"))
            })
    }
}

fn set_cookies(headers: &HeaderMap) -> Vec<SetCookie> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(SetCookie::parse)
        .collect()
}

/// The cookies a response sets, but the login-form cookie (`ts_login`/`__Host-ts_login`):
/// after a successful login, the session cookie.
fn session_cookies(headers: &HeaderMap) -> Vec<SetCookie> {
    set_cookies(headers)
        .into_iter()
        .filter(|cookie| !cookie.deletes() && !cookie.name.ends_with("ts_login"))
        .collect()
}

/// A browser: keeps the cookies it is given and sends them back, follows no redirect.
#[derive(Default)]
pub(crate) struct Browser {
    cookies: HashMap<String, String>,
}

impl Browser {
    pub(crate) fn new() -> Browser {
        Browser::default()
    }

    fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for cookie in set_cookies(headers) {
            if cookie.deletes() {
                self.cookies.remove(&cookie.name);
            } else {
                self.cookies.insert(cookie.name, cookie.value);
            }
        }
    }

    pub(crate) async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match self.cookie_header() {
            Some(cookie) => request.header(header::COOKIE, cookie),
            None => request,
        };
        let response = request.send().await.expect("request sent");
        self.keep_cookies(response.headers());
        response
    }

    async fn get(&mut self, app: &TestApp, url: &str) -> reqwest::Response {
        self.send(app.client.get(url)).await
    }

    /// A form submission, with the `Origin` a browser sends.
    pub(crate) async fn post_form(
        &mut self,
        app: &TestApp,
        url: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.send(
            app.client
                .post(url)
                .header(header::ORIGIN, app.address.as_str())
                .header(header::CONTENT_TYPE, FORM)
                .body(form_encode(fields)),
        )
        .await
    }

    /// Opens an authorization URL that must show the login form; returns its HTML.
    pub(crate) async fn login_page(&mut self, app: &TestApp, url: &str) -> String {
        let response = self.get(app, url).await;
        let status = response.status();
        let location = location_of(&response);
        let page = response.text().await.expect("a body");
        assert_eq!(
            status,
            StatusCode::OK,
            "the authorization request shows the login page (Location: {location:?}): {page}"
        );
        assert!(page.contains("<form"), "the login page has a form: {page}");
        page
    }

    /// Submits the login form of `page`.
    async fn submit_login(
        &mut self,
        app: &TestApp,
        page: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let request = hidden_input(page, "request");
        let csrf = hidden_input(page, "csrf");
        self.post_form(
            app,
            &app.url("/oauth/authorize"),
            &[
                ("request", request.as_str()),
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    /// Opens the login page of `url` and submits it; returns the answer to the form
    /// (a redirect to the client on success).
    pub(crate) async fn login(
        &mut self,
        app: &TestApp,
        url: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self.login_page(app, url).await;
        self.submit_login(app, &page, email, password).await
    }

    /// The page a refused login shows: the answer itself, or, if the provider redirects
    /// back to its own login page (post/redirect/get), that page. Fails if the answer
    /// carries a code.
    pub(crate) async fn failed_login_page(
        &mut self,
        app: &TestApp,
        response: reqwest::Response,
        case: &str,
    ) -> (StatusCode, String) {
        let status = response.status();
        if !status.is_redirection() {
            return (status, response.text().await.expect("a page"));
        }
        let location = location_of(&response).unwrap_or_default();
        assert!(
            !redirect_params(&location).contains_key("code"),
            "{case}: a refused login gives no code: {location}"
        );
        let target = if location.starts_with('/') {
            app.url(&location)
        } else {
            location.clone()
        };
        assert!(
            target.starts_with(&app.url("/oauth/")),
            "{case}: a refused login stays on the provider's login page, not {location}"
        );
        let page = self.get(app, &target).await;
        let page_status = page.status();
        (page_status, page.text().await.expect("a page"))
    }
}

/// The `value` of the `<input … name="{name}" …>` of a page, unescaped.
pub(crate) fn hidden_input(html: &str, name: &str) -> String {
    let wanted = format!(r#"name="{name}""#);
    html.split("<input")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
        .find(|tag| tag.contains(&wanted))
        .and_then(|tag| attribute_value(tag, "value"))
        .map(|value| html_unescape(&value))
        .unwrap_or_else(|| panic!("the login page has a hidden `{name}` input: {html}"))
}

pub(crate) fn attribute_value(tag: &str, attribute: &str) -> Option<String> {
    let needle = format!(r#" {attribute}=""#);
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(tag[start..end].to_owned())
}

pub(crate) fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
}

/// A page with every attribute value blanked and the given emails replaced: what a person
/// reads, without the per-request fields (`request`, `csrf`, nonces, echoed email).
fn visible_page(html: &str, emails: &[&str]) -> String {
    let mut text = html.to_owned();
    for email in emails {
        text = text.replace(email, "EMAIL");
    }
    let mut visible = String::with_capacity(text.len());
    // The quote of the attribute value being skipped.
    let mut in_value: Option<char> = None;
    let mut previous = '\0';
    for c in text.chars() {
        match in_value {
            Some(quote) => {
                if c == quote {
                    visible.push(c);
                    in_value = None;
                }
            }
            None => {
                visible.push(c);
                if previous == '=' && (c == '"' || c == '\'') {
                    in_value = Some(c);
                }
            }
        }
        previous = c;
    }
    visible
}

fn location_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().expect("an ASCII Location header").to_owned())
}

/// The query and fragment parameters of a redirect.
fn redirect_params(location: &str) -> HashMap<String, String> {
    let url = Url::parse(location)
        .or_else(|_| Url::parse("http://relative.invalid/").and_then(|base| base.join(location)))
        .unwrap_or_else(|error| panic!("a URL in Location `{location}`: {error}"));
    let mut params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    if let Some(fragment) = url.fragment() {
        let as_query = Url::parse(&format!("http://fragment.invalid/?{fragment}")).expect("a URL");
        params.extend(as_query.query_pairs().into_owned());
    }
    params
}

/// A redirect answer.
pub(crate) struct Redirect {
    pub(crate) status: StatusCode,
    pub(crate) location: String,
    headers: HeaderMap,
}

/// The answer must be a redirect; fails with its body otherwise.
pub(crate) async fn expect_redirect(response: reqwest::Response, case: &str) -> Redirect {
    let status = response.status();
    let headers = response.headers().clone();
    match location_of(&response) {
        Some(location) if status.is_redirection() => Redirect {
            status,
            location,
            headers,
        },
        _ => {
            let body = response.text().await.unwrap_or_default();
            panic!("{case}: expected a redirect, got {status}: {body}")
        }
    }
}

/// The code of a successful authorization redirect, after checking its `state`.
pub(crate) fn code_from(location: &str, expected_state: &str) -> String {
    let params = redirect_params(location);
    assert!(
        !params.contains_key("error"),
        "the authorization succeeded: {location}"
    );
    assert_eq!(
        params.get("state").map(String::as_str),
        Some(expected_state),
        "the redirect echoes state: {location}"
    );
    params
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("a code in {location}"))
}

/// An authorization error sent back to the client: `error`, `error_description`, `state`
/// and `iss` on the registered redirect URI, and no code.
fn assert_error_redirect(
    app: &TestApp,
    redirect: &Redirect,
    redirect_uri: &str,
    error: &str,
    state: &str,
    case: &str,
) {
    let location = &redirect.location;
    assert!(
        location.starts_with(&format!("{redirect_uri}?"))
            || location.starts_with(&format!("{redirect_uri}#")),
        "{case}: the error goes back to the registered redirect URI, not {location}"
    );
    let params = redirect_params(location);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some(error),
        "{case}: {location}"
    );
    assert!(
        !params.contains_key("code"),
        "{case}: no code with an error: {location}"
    );
    assert_eq!(
        params.get("state").map(String::as_str),
        Some(state),
        "{case}: state is echoed: {location}"
    );
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(app.address.as_str()),
        "{case}: RFC 9207 iss: {location}"
    );
    assert!(
        params
            .get("error_description")
            .is_some_and(|description| !description.is_empty()),
        "{case}: an error_description: {location}"
    );
}

async fn anonymous_get(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(url).send().await.expect("request sent")
}

/// Sends `request` without a session and expects the error redirect `error`.
async fn assert_authorize_error(app: &TestApp, request: &AuthRequest, error: &str, case: &str) {
    let response = anonymous_get(app, &request.url(app)).await;
    let redirect = expect_redirect(response, case).await;
    assert_error_redirect(
        app,
        &redirect,
        &request.param("redirect_uri"),
        error,
        &request.param("state"),
        case,
    );
}

/// `400` HTML error page, never a redirect.
async fn assert_refused_without_redirect(response: reqwest::Response, case: &str) {
    let status = response.status();
    let location = location_of(&response);
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
    assert_eq!(location, None, "{case}: never a redirect");
    assert!(
        content_type.starts_with("text/html"),
        "{case}: an HTML error page, not {content_type:?}"
    );
}

/// A refused login form: 400 or 403, and no redirect (so no code).
async fn assert_refused_login(response: reqwest::Response, case: &str) {
    let status = response.status();
    let location = location_of(&response);
    let body = response.text().await.unwrap_or_default();
    assert!(
        matches!(status, StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN),
        "{case}: refused with 400 or 403, got {status}: {body}"
    );
    assert_eq!(location, None, "{case}: no redirect, so no code");
}

/// An answer of the token or revocation endpoint: status, JSON body (or the text as a
/// JSON string when it is not JSON), headers.
pub(crate) type Answer = (StatusCode, Value, HeaderMap);

pub(crate) async fn form_answer(
    request: reqwest::RequestBuilder,
    fields: &[(&str, &str)],
) -> Answer {
    let response = request
        .header(header::CONTENT_TYPE, FORM)
        .body(form_encode(fields))
        .send()
        .await
        .expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    (status, body, headers)
}

/// `POST /oauth/token`, form-encoded.
pub(crate) async fn token_request(app: &TestApp, fields: &[(&str, &str)]) -> Answer {
    form_answer(app.client.post(app.url("/oauth/token")), fields).await
}

/// `POST /oauth/token` with `client_secret_basic` (id and secret form-encoded first, as
/// RFC 6749 §2.3.1 says).
async fn token_request_basic(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let credentials = STANDARD.encode(format!("{}:{}", form_value(client_id), form_value(secret)));
    form_answer(
        app.client
            .post(app.url("/oauth/token"))
            .header(header::AUTHORIZATION, format!("Basic {credentials}")),
        fields,
    )
    .await
}

/// The PWA presents a refresh token.
pub(crate) async fn redeem_refresh(app: &TestApp, refresh_token: &str) -> Answer {
    token_request(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", PWA),
        ],
    )
    .await
}

/// `POST /oauth/revoke` (RFC 7009) by the public client `client_id`.
async fn revoke(app: &TestApp, token: &str, client_id: &str) -> Answer {
    form_answer(
        app.client.post(app.url("/oauth/revoke")),
        &[("token", token), ("client_id", client_id)],
    )
    .await
}

pub(crate) fn assert_token_error(answer: &Answer, status: StatusCode, error: &str, case: &str) {
    let (actual_status, body, _) = answer;
    assert_eq!(*actual_status, status, "{case}: {body}");
    assert_eq!(body["error"], error, "{case}: {body}");
}

fn assert_no_store(headers: &HeaderMap, case: &str) {
    let cache_control = headers
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(
        cache_control.to_ascii_lowercase().contains("no-store"),
        "{case}: Cache-Control: no-store, got {cache_control:?}"
    );
}

/// A decoded JWT part (0: header, 1: claims); no signature check.
fn jwt_part(token: &str, index: usize) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS has three parts: {token}");
    let bytes = URL_SAFE_NO_PAD
        .decode(parts[index])
        .unwrap_or_else(|error| panic!("base64url JWT part: {error}: {token}"));
    serde_json::from_slice(&bytes).expect("a JSON JWT part")
}

pub(crate) fn jwt_header(token: &str) -> Value {
    jwt_part(token, 0)
}

pub(crate) fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// `aud` is `expected`, as a string or a one-element array.
fn audience_is(aud: &Value, expected: &str) -> bool {
    aud == expected
        || aud
            .as_array()
            .is_some_and(|list| list.len() == 1 && list[0] == expected)
}

fn scope_set(scope: &str) -> BTreeSet<String> {
    scope.split_whitespace().map(str::to_owned).collect()
}

fn string_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A successful token answer of the code flow.
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) id_token: String,
    pub(crate) refresh_token: Option<String>,
    pub(crate) scope: String,
}

impl Tokens {
    pub(crate) fn from_body(body: &Value) -> Tokens {
        let text = |name: &str| body[name].as_str().map(str::to_owned);
        Tokens {
            access_token: text("access_token")
                .unwrap_or_else(|| panic!("an access_token in {body}")),
            id_token: text("id_token").unwrap_or_else(|| panic!("an id_token in {body}")),
            refresh_token: text("refresh_token"),
            scope: text("scope").unwrap_or_else(|| panic!("the granted scope in {body}")),
        }
    }

    pub(crate) fn refresh(&self) -> &str {
        self.refresh_token
            .as_deref()
            .expect("a refresh token (offline_access was granted)")
    }
}

/// A code the PWA got, with what redeeming it needs.
pub(crate) struct Grant {
    code: String,
    pkce: Pkce,
    redirect_uri: String,
}

impl Grant {
    pub(crate) fn new(code: String, pkce: Pkce, redirect_uri: String) -> Grant {
        Grant {
            code,
            pkce,
            redirect_uri,
        }
    }

    pub(crate) fn token_fields(&self) -> Vec<(&str, &str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", self.code.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", PWA),
            ("code_verifier", self.pkce.verifier.as_str()),
        ]
    }

    /// The token request with `key` changed to `value`, or left out with `None`.
    fn token_fields_with<'a>(
        &'a self,
        key: &'a str,
        value: Option<&'a str>,
    ) -> Vec<(&'a str, &'a str)> {
        let mut fields: Vec<(&str, &str)> = self
            .token_fields()
            .into_iter()
            .filter(|(name, _)| *name != key)
            .collect();
        if let Some(value) = value {
            fields.push((key, value));
        }
        fields
    }
}

/// The PWA's authorization request, answered by logging in as `email` in `browser`.
pub(crate) async fn obtain_code(
    app: &TestApp,
    browser: &mut Browser,
    email: &str,
    password: &str,
    scope: &str,
) -> Grant {
    let pkce = Pkce::new();
    let state = random_text();
    let nonce = random_text();
    let redirect_uri = pwa_redirect(app);
    let url = authorize_url(app, PWA, &redirect_uri, &pkce, scope, &state, &nonce, &[]);
    let response = browser.login(app, &url, email, password).await;
    let redirect = expect_redirect(response, &format!("the login of {email}")).await;
    assert!(
        redirect.location.starts_with(&format!("{redirect_uri}?")),
        "a login goes back to the redirect URI: {}",
        redirect.location
    );
    let code = code_from(&redirect.location, &state);
    Grant {
        code,
        pkce,
        redirect_uri,
    }
}

/// A code obtained without the form, from the session `browser` already has.
async fn code_from_session(
    app: &TestApp,
    browser: &mut Browser,
    request: &AuthRequest,
    case: &str,
) -> String {
    let response = browser.get(app, &request.url(app)).await;
    let redirect = expect_redirect(response, case).await;
    // docs/PROVIDER.md says 302; 303 means the same to a browser after a GET.
    assert!(
        matches!(redirect.status, StatusCode::FOUND | StatusCode::SEE_OTHER),
        "{case}: a 302, got {}",
        redirect.status
    );
    code_from(&redirect.location, &request.param("state"))
}

pub(crate) async fn redeem(app: &TestApp, grant: &Grant) -> Tokens {
    let (status, body, _) = token_request(app, &grant.token_fields()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the code is exchanged for tokens: {body}"
    );
    Tokens::from_body(&body)
}

pub(crate) async fn sign_in_with(
    app: &TestApp,
    browser: &mut Browser,
    email: &str,
    password: &str,
    scope: &str,
) -> Tokens {
    let grant = obtain_code(app, browser, email, password, scope).await;
    redeem(app, &grant).await
}

/// Fails unless the login form refuses `email` with `password` (no code, the form again).
pub(crate) async fn assert_login_refused(app: &TestApp, email: &str, password: &str) {
    let mut browser = Browser::new();
    let response = browser
        .login(app, &pwa_login_url(app), email, password)
        .await;
    browser
        .failed_login_page(app, response, &format!("the login of {email}"))
        .await;
}

/// The whole PWA sign-in in a new browser.
pub(crate) async fn sign_in(app: &TestApp, email: &str, password: &str, scope: &str) -> Tokens {
    sign_in_with(app, &mut Browser::new(), email, password, scope).await
}

async fn add_desktop_client(app: &TestApp) {
    app.add_public_client(DESKTOP, &[DESKTOP_REDIRECT], &[DESKTOP_LOGOUT])
        .await;
}

// ---------------------------------------------------------------------------------------
// Discovery and keys
// ---------------------------------------------------------------------------------------

/// Clients compare `issuer` byte for byte with the tokens' `iss` and with RFC 9207's
/// `iss`, and must learn that only the code flow with S256 is offered.
#[tokio::test]
async fn discovery_names_the_issuer_exactly_and_offers_only_the_code_flow_with_s256() {
    let app = TestApp::spawn_embedded().await;
    let response = app.get("/.well-known/openid-configuration").await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.expect("a JSON discovery document");
    assert_eq!(
        doc["issuer"],
        app.address.as_str(),
        "issuer: exactly the public URL, no trailing slash"
    );
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("jwks_uri", "/oauth/jwks"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("end_session_endpoint", "/oauth/logout"),
    ] {
        assert_eq!(doc[field], app.url(path), "{field}: {doc}");
    }
    assert_eq!(
        doc["code_challenge_methods_supported"],
        json!(["S256"]),
        "{doc}"
    );
    assert_eq!(doc["response_types_supported"], json!(["code"]), "{doc}");
    let grants = string_set(&doc["grant_types_supported"]);
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(grants.contains(grant), "{grant} is supported: {grants:?}");
    }
    for grant in ["password", "implicit"] {
        assert!(
            !grants.contains(grant),
            "{grant} is not supported: {grants:?}"
        );
    }
    assert_eq!(
        doc["authorization_response_iss_parameter_supported"],
        json!(true),
        "RFC 9207: {doc}"
    );
    assert!(
        string_set(&doc["id_token_signing_alg_values_supported"]).contains("ES256"),
        "ID tokens are ES256: {doc}"
    );
    assert!(
        string_set(&doc["subject_types_supported"]).contains("public"),
        "OpenID Connect Discovery requires subject_types_supported: {doc}"
    );
    let auth_methods = string_set(&doc["token_endpoint_auth_methods_supported"]);
    for method in ["client_secret_basic", "client_secret_post", "none"] {
        assert!(auth_methods.contains(method), "{method}: {auth_methods:?}");
    }
}

/// The JWKS is public: anyone may fetch it, so it must never carry a private part.
#[tokio::test]
async fn the_jwks_publishes_p256_public_keys_only() {
    let app = TestApp::spawn_embedded().await;
    let response = app.get("/oauth/jwks").await;
    assert_eq!(response.status(), StatusCode::OK);
    let jwks: Value = response.json().await.expect("a JSON key set");
    let keys = jwks["keys"].as_array().expect("a `keys` array");
    assert!(!keys.is_empty(), "at least one key: {jwks}");
    for key in keys {
        assert!(
            key["kid"].as_str().is_some_and(|kid| !kid.is_empty()),
            "every key has a kid: {key}"
        );
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "no private `{private}`: {key}");
        }
    }
    assert!(
        keys.iter().any(|key| key["kty"] == "EC"
            && key["crv"] == "P-256"
            && key["x"].is_string()
            && key["y"].is_string()),
        "an EC P-256 key: {jwks}"
    );
}

// ---------------------------------------------------------------------------------------
// The code flow
// ---------------------------------------------------------------------------------------

/// The happy path, claim by claim: what the PWA and the API rely on.
#[tokio::test]
async fn the_code_flow_gives_an_rfc_9068_access_token_and_an_id_token() {
    let app = TestApp::spawn_embedded().await;
    let sub = app.add_account(ANN, PASSWORD, "employee").await;
    let pkce = Pkce::new();
    let state = random_text();
    let nonce = random_text();
    let redirect_uri = pwa_redirect(&app);
    let url = authorize_url(
        &app,
        PWA,
        &redirect_uri,
        &pkce,
        PWA_SCOPE,
        &state,
        &nonce,
        &[],
    );
    let mut browser = Browser::new();
    let response = browser.login(&app, &url, ANN, PASSWORD).await;
    let redirect = expect_redirect(response, "a successful login").await;
    assert!(
        redirect.location.starts_with(&format!("{redirect_uri}?")),
        "back to the redirect URI: {}",
        redirect.location
    );
    let params = redirect_params(&redirect.location);
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(app.address.as_str()),
        "RFC 9207: the redirect names the issuer: {}",
        redirect.location
    );
    let code = code_from(&redirect.location, &state);
    assert!(code.len() >= 43, "a code carries 256 random bits: {code}");

    let (status, body, headers) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", PWA),
            ("code_verifier", pkce.verifier.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_store(&headers, "the token answer");
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("bearer")),
        "a bearer token: {body}"
    );
    let tokens = Tokens::from_body(&body);
    assert_eq!(
        scope_set(&tokens.scope),
        scope_set(PWA_SCOPE),
        "everything asked is granted to an employee"
    );
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token: {body}"
    );

    let header = jwt_header(&tokens.access_token);
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 typ: {header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    let kid = header["kid"]
        .as_str()
        .expect("a kid in the access token")
        .to_owned();
    let claims = jwt_claims(&tokens.access_token);
    assert_eq!(claims["iss"], app.address.as_str(), "{claims}");
    assert_eq!(claims["sub"], sub.as_str(), "the user's id: {claims}");
    assert!(
        audience_is(&claims["aud"], EMBEDDED_AUDIENCE),
        "aud is the API: {claims}"
    );
    assert_eq!(claims["client_id"], PWA, "{claims}");
    assert_eq!(
        scope_set(claims["scope"].as_str().expect("a scope claim")),
        scope_set(PWA_SCOPE),
        "{claims}"
    );
    assert!(
        claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()),
        "a jti: {claims}"
    );
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(
        exp > iat && exp - iat <= 300,
        "a short-lived access token: {claims}"
    );
    let auth_time = claims["auth_time"]
        .as_i64()
        .expect("auth_time in the access token");
    assert_eq!(claims["email"], ANN, "{claims}");
    assert!(claims["name"].is_string(), "a name: {claims}");

    let id_header = jwt_header(&tokens.id_token);
    assert_eq!(id_header["alg"], "ES256", "{id_header}");
    assert!(
        id_header["kid"].is_string(),
        "a kid in the ID token: {id_header}"
    );
    let id = jwt_claims(&tokens.id_token);
    assert_eq!(id["iss"], app.address.as_str(), "{id}");
    assert_eq!(id["sub"], sub.as_str(), "{id}");
    assert!(
        audience_is(&id["aud"], PWA),
        "the ID token is for the client: {id}"
    );
    assert_eq!(id["nonce"], nonce, "the nonce is echoed: {id}");
    assert_eq!(id["auth_time"].as_i64(), Some(auth_time), "{id}");
    assert!(
        id["sid"].as_str().is_some_and(|sid| !sid.is_empty()),
        "a sid: {id}"
    );
    assert!(
        id["exp"].as_i64().expect("exp") > id["iat"].as_i64().expect("iat"),
        "{id}"
    );
    assert_eq!(id["email"], ANN, "email with the email scope: {id}");
    assert!(
        id["email_verified"].is_boolean(),
        "email_verified with the email scope: {id}"
    );
    assert!(id["name"].is_string(), "name with the profile scope: {id}");

    let jwks: Value = app
        .get("/oauth/jwks")
        .await
        .json()
        .await
        .expect("a JSON key set");
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|key| key["kid"] == kid.as_str()),
        "the signing key {kid} is published: {jwks}"
    );
}

/// The point of the embedded provider: its tokens work with the API's verifier as they
/// are, no second configuration.
#[tokio::test]
async fn the_api_accepts_the_providers_access_tokens_unchanged() {
    let app = TestApp::spawn_embedded().await;
    let sub = app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let response = app.get_as(&tokens.access_token, "/api/me").await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.expect("JSON");
    assert_eq!(me["issuer"], app.address.as_str(), "{me}");
    assert_eq!(me["subject"], sub.as_str(), "{me}");
    assert_eq!(me["email"], ANN, "{me}");
    assert_eq!(
        me["scopes"],
        json!(["read:timesheets", "create:timesheets"]),
        "the API sees the granted scopes: {me}"
    );
    let list = app.get_as(&tokens.access_token, "/api/timesheets").await;
    assert_eq!(list.status(), StatusCode::OK, "a scoped route works too");
    assert_eq!(
        app.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "no token, no access"
    );
}

/// An ID token is meant for the client, not for resource servers (its `aud` is the client).
#[tokio::test]
async fn an_id_token_is_not_accepted_as_an_access_token() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    assert_eq!(
        app.get_as(&tokens.id_token, "/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "the API refuses an ID token"
    );
    assert_eq!(
        app.get_as(&tokens.id_token, "/oauth/userinfo")
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "userinfo refuses an ID token"
    );
}

// ---------------------------------------------------------------------------------------
// PKCE
// ---------------------------------------------------------------------------------------

/// Without PKCE a stolen code could be redeemed by anyone (RFC 9700 §2.1.1).
#[tokio::test]
async fn an_authorization_request_without_a_code_challenge_is_refused() {
    let app = TestApp::spawn_embedded().await;
    let pkce = Pkce::new();
    let no_pkce = AuthRequest::pwa(&app, &pkce, "no-pkce")
        .without("code_challenge")
        .without("code_challenge_method");
    assert_authorize_error(&app, &no_pkce, "invalid_request", "no PKCE at all").await;
    let method_only = AuthRequest::pwa(&app, &pkce, "method-only").without("code_challenge");
    assert_authorize_error(
        &app,
        &method_only,
        "invalid_request",
        "a method without a challenge",
    )
    .await;
}

/// `plain` gives no protection when the request is seen; a missing method means `plain`.
#[tokio::test]
async fn only_the_s256_code_challenge_method_is_accepted() {
    let app = TestApp::spawn_embedded().await;
    let pkce = Pkce::new();
    let cases = [
        (
            "plain",
            AuthRequest::pwa(&app, &pkce, "plain")
                .set("code_challenge", &pkce.verifier)
                .set("code_challenge_method", "plain"),
        ),
        (
            "no method (plain)",
            AuthRequest::pwa(&app, &pkce, "no-method").without("code_challenge_method"),
        ),
        (
            "s256 in lower case",
            AuthRequest::pwa(&app, &pkce, "lower-case").set("code_challenge_method", "s256"),
        ),
    ];
    for (case, request) in cases {
        assert_authorize_error(&app, &request, "invalid_request", case).await;
    }
}

/// The code alone is not enough: the verifier proves the redeemer started the flow.
#[tokio::test]
async fn a_wrong_code_verifier_is_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let other = Pkce::new();
    let answer = token_request(
        &app,
        &grant.token_fields_with("code_verifier", Some(other.verifier.as_str())),
    )
    .await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "another verifier",
    );
}

/// A code requested with a challenge cannot be redeemed without its verifier.
#[tokio::test]
async fn a_missing_code_verifier_is_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) =
        token_request(&app, &grant.token_fields_with("code_verifier", None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no verifier: {body}");
    assert!(
        body["error"] == "invalid_grant" || body["error"] == "invalid_request",
        "no verifier: invalid_grant or invalid_request, got {body}"
    );
}

/// Downgrade: an attacker who saw the S256 challenge must not pass it off as a `plain`
/// verifier.
#[tokio::test]
async fn the_challenge_itself_is_not_a_valid_verifier() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let answer = token_request(
        &app,
        &grant.token_fields_with("code_verifier", Some(grant.pkce.challenge.as_str())),
    )
    .await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the challenge as verifier",
    );
}

// ---------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------

/// A code seen twice has leaked: the second use fails and what the first one gave is
/// revoked (RFC 6749 §4.1.2). Access tokens are JWTs and cannot be recalled; the refresh
/// token can.
#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_its_tokens() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let first = redeem(&app, &grant).await;
    let second = token_request(&app, &grant.token_fields()).await;
    assert_token_error(
        &second,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the second use of a code",
    );
    let after = redeem_refresh(&app, first.refresh()).await;
    assert_token_error(
        &after,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the refresh token of a replayed code",
    );
}

/// The token request must repeat the authorization request's `redirect_uri`.
#[tokio::test]
async fn a_token_request_with_another_redirect_uri_is_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let other = app.url("/auth/other");
    let answer = token_request(
        &app,
        &grant.token_fields_with("redirect_uri", Some(other.as_str())),
    )
    .await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "another redirect_uri",
    );
}

/// A code is bound to the client it was issued to.
#[tokio::test]
async fn a_code_is_refused_for_another_client() {
    let app = TestApp::spawn_embedded().await;
    add_desktop_client(&app).await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let answer = token_request(&app, &grant.token_fields_with("client_id", Some(DESKTOP))).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the PWA's code, redeemed by another client",
    );
}

// ---------------------------------------------------------------------------------------
// The authorization request
// ---------------------------------------------------------------------------------------

/// Open redirectors and code theft start with a loosely matched redirect URI, so only an
/// exact registered URI is used, and an unusable one is never redirected to.
#[tokio::test]
async fn a_redirect_uri_that_is_not_registered_byte_for_byte_is_refused_without_redirecting() {
    let app = TestApp::spawn_embedded().await;
    add_desktop_client(&app).await;
    let pkce = Pkce::new();
    let pwa = pwa_redirect(&app);
    // The exact URIs work, so the refusals below are about the variants.
    for (client_id, redirect_uri) in [(PWA, pwa.as_str()), (DESKTOP, DESKTOP_REDIRECT)] {
        let request = AuthRequest::pwa(&app, &pkce, "exact")
            .set("client_id", client_id)
            .set("redirect_uri", redirect_uri);
        Browser::new().login_page(&app, &request.url(&app)).await;
    }
    let base = Url::parse(&app.address).expect("the app's address is a URL");
    let host = base.host_str().expect("a host").to_owned();
    let port = base.port().expect("an explicit port");
    let other_port = if port == u16::MAX { port - 1 } else { port + 1 };
    let cases: Vec<(&str, &str, Option<String>)> = vec![
        ("another path", PWA, Some(app.url("/auth/other"))),
        (
            "another case in the path",
            PWA,
            Some(app.url("/auth/Callback")),
        ),
        (
            "another case in the scheme",
            PWA,
            Some(pwa.replacen("http://", "HTTP://", 1)),
        ),
        ("a trailing slash", PWA, Some(format!("{pwa}/"))),
        (
            "another port",
            PWA,
            Some(format!("http://{host}:{other_port}/auth/callback")),
        ),
        (
            "another name of the same host",
            PWA,
            Some(format!("http://localhost:{port}/auth/callback")),
        ),
        ("an added query", PWA, Some(format!("{pwa}?next=/admin"))),
        ("an added fragment", PWA, Some(format!("{pwa}#x"))),
        ("a dot segment", PWA, Some(app.url("/auth/x/../callback"))),
        (
            "another client's URI",
            PWA,
            Some(DESKTOP_REDIRECT.to_owned()),
        ),
        ("no redirect_uri", PWA, None),
        (
            "another case in the host",
            DESKTOP,
            Some("http://LocalHost:9999/cb".to_owned()),
        ),
        (
            "another port",
            DESKTOP,
            Some("http://localhost:9998/cb".to_owned()),
        ),
        (
            "a trailing slash",
            DESKTOP,
            Some(format!("{DESKTOP_REDIRECT}/")),
        ),
        ("the PWA's URI", DESKTOP, Some(pwa.clone())),
    ];
    for (case, client_id, redirect_uri) in cases {
        let request = AuthRequest::pwa(&app, &pkce, "variant").set("client_id", client_id);
        let request = match &redirect_uri {
            Some(uri) => request.set("redirect_uri", uri),
            None => request.without("redirect_uri"),
        };
        let response = anonymous_get(&app, &request.url(&app)).await;
        assert_refused_without_redirect(
            response,
            &format!("{client_id}, {case}: {redirect_uri:?}"),
        )
        .await;
    }
}

/// Without a known client there is no trusted place to redirect to.
#[tokio::test]
async fn an_unknown_client_is_refused_without_redirecting() {
    let app = TestApp::spawn_embedded().await;
    let pkce = Pkce::new();
    let unknown = AuthRequest::pwa(&app, &pkce, "unknown").set("client_id", "no-such-client");
    assert_refused_without_redirect(
        anonymous_get(&app, &unknown.url(&app)).await,
        "an unknown client_id",
    )
    .await;
    let missing = AuthRequest::pwa(&app, &pkce, "missing").without("client_id");
    assert_refused_without_redirect(
        anonymous_get(&app, &missing.url(&app)).await,
        "no client_id",
    )
    .await;
}

/// Only the code flow: tokens never travel in a URL.
#[tokio::test]
async fn a_response_type_other_than_code_is_refused_by_redirect() {
    let app = TestApp::spawn_embedded().await;
    let pkce = Pkce::new();
    for response_type in ["token", "id_token", "code id_token", "code token"] {
        let request =
            AuthRequest::pwa(&app, &pkce, "response-type").set("response_type", response_type);
        assert_authorize_error(
            &app,
            &request,
            "unsupported_response_type",
            &format!("response_type={response_type}"),
        )
        .await;
    }
}

/// An OpenID Connect provider answers OpenID Connect requests only.
#[tokio::test]
async fn a_scope_without_openid_is_refused() {
    let app = TestApp::spawn_embedded().await;
    let request = AuthRequest::pwa(&app, &Pkce::new(), "no-openid")
        .set("scope", "profile email read:timesheets");
    assert_authorize_error(&app, &request, "invalid_scope", "no openid in scope").await;
}

/// Request objects are not supported, and saying so beats ignoring them.
#[tokio::test]
async fn request_objects_are_refused_as_not_supported() {
    let app = TestApp::spawn_embedded().await;
    let pkce = Pkce::new();
    let by_value =
        AuthRequest::pwa(&app, &pkce, "request").set("request", "eyJhbGciOiJub25lIn0.e30.");
    assert_authorize_error(&app, &by_value, "request_not_supported", "request").await;
    let by_reference = AuthRequest::pwa(&app, &pkce, "request-uri")
        .set("request_uri", "https://client.example/request.jwt");
    assert_authorize_error(&app, &by_reference, "request_not_supported", "request_uri").await;
}

/// A batch client has a secret and no user: it must not start a user sign-in.
#[tokio::test]
async fn a_batch_client_cannot_use_the_authorization_endpoint() {
    let app = TestApp::spawn_embedded().await;
    app.add_batch_client("payroll", &["batch:upload"]).await;
    let request = AuthRequest::pwa(&app, &Pkce::new(), "batch").set("client_id", "payroll");
    let response = anonymous_get(&app, &request.url(&app)).await;
    let status = response.status();
    if status.is_redirection() {
        let redirect = expect_redirect(response, "a batch client").await;
        assert_error_redirect(
            &app,
            &redirect,
            &pwa_redirect(&app),
            "unauthorized_client",
            "batch",
            "a batch client",
        );
    } else {
        // It has no redirect URI of its own: the 400 page is right too.
        assert_refused_without_redirect(response, "a batch client").await;
    }
}

/// `prompt=none` must never show a page: without a session the client hears so at once.
#[tokio::test]
async fn prompt_none_without_a_session_redirects_with_login_required() {
    let app = TestApp::spawn_embedded().await;
    let request = AuthRequest::pwa(&app, &Pkce::new(), "silent").set("prompt", "none");
    assert_authorize_error(&app, &request, "login_required", "prompt=none, no session").await;
}

/// Single sign-on: a live session answers without the form, silently with `prompt=none`.
#[tokio::test]
async fn a_live_session_signs_in_again_without_the_form() {
    let app = TestApp::spawn_embedded().await;
    let sub = app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    sign_in_with(&app, &mut browser, ANN, PASSWORD, PWA_SCOPE).await;

    let pkce = Pkce::new();
    let silent = AuthRequest::pwa(&app, &pkce, "silent").set("prompt", "none");
    let code = code_from_session(&app, &mut browser, &silent, "prompt=none with a session").await;
    let tokens = redeem(
        &app,
        &Grant {
            code,
            pkce,
            redirect_uri: pwa_redirect(&app),
        },
    )
    .await;
    assert_eq!(
        jwt_claims(&tokens.id_token)["sub"],
        sub.as_str(),
        "the same user"
    );

    let pkce = Pkce::new();
    let again = AuthRequest::pwa(&app, &pkce, "again");
    let code = code_from_session(&app, &mut browser, &again, "a new request with a session").await;
    let tokens = redeem(
        &app,
        &Grant {
            code,
            pkce,
            redirect_uri: pwa_redirect(&app),
        },
    )
    .await;
    assert_eq!(
        jwt_claims(&tokens.access_token)["sub"],
        sub.as_str(),
        "the same user"
    );
}

/// `max_age` bounds how old the login may be; `auth_time` stays the time of the login.
#[tokio::test]
async fn a_session_older_than_max_age_needs_a_new_login() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let first = sign_in_with(&app, &mut browser, ANN, PASSWORD, PWA_SCOPE).await;
    let auth_time = jwt_claims(&first.id_token)["auth_time"]
        .as_i64()
        .expect("auth_time in the ID token");
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let pkce = Pkce::new();
    let too_old = AuthRequest::pwa(&app, &pkce, "too-old")
        .set("prompt", "none")
        .set("max_age", "1");
    let response = browser.get(&app, &too_old.url(&app)).await;
    let redirect = expect_redirect(response, "prompt=none, max_age=1, a 2 s old session").await;
    assert_error_redirect(
        &app,
        &redirect,
        &pwa_redirect(&app),
        "login_required",
        "too-old",
        "prompt=none, max_age=1, a 2 s old session",
    );

    // Without max_age the session still stands, and keeps the time of the login.
    let silent = AuthRequest::pwa(&app, &pkce, "still-signed-in").set("prompt", "none");
    let code = code_from_session(&app, &mut browser, &silent, "prompt=none, no max_age").await;
    let tokens = redeem(
        &app,
        &Grant {
            code,
            pkce,
            redirect_uri: pwa_redirect(&app),
        },
    )
    .await;
    assert_eq!(
        jwt_claims(&tokens.id_token)["auth_time"].as_i64(),
        Some(auth_time),
        "auth_time is the time of the login, not of this request"
    );

    // Without prompt=none, a too old session means the form again (OIDC Core 3.1.2.1).
    let ask_again = AuthRequest::pwa(&app, &Pkce::new(), "ask-again").set("max_age", "1");
    browser.login_page(&app, &ask_again.url(&app)).await;
}

/// Granted scopes are the requested ones the user's role allows; unknown ones are dropped.
#[tokio::test]
async fn granted_scopes_are_the_requested_ones_the_role_allows() {
    let app = TestApp::spawn_embedded().await;
    let requested = "openid profile email offline_access read:timesheets create:timesheets \
                     delete:timesheets approve:timesheets batch:upload other:scope";
    let everyone = "openid profile email offline_access read:timesheets create:timesheets \
                    delete:timesheets";
    for (role, email, approves) in [
        ("employee", "employee@example.com", false),
        ("contractor", "contractor@example.com", false),
        ("manager", "manager@example.com", true),
        ("admin", "admin@example.com", true),
    ] {
        app.add_account(email, PASSWORD, role).await;
        let tokens = sign_in(&app, email, PASSWORD, requested).await;
        let mut expected = scope_set(everyone);
        if approves {
            expected.insert("approve:timesheets".to_owned());
        }
        assert_eq!(
            scope_set(&tokens.scope),
            expected,
            "{role}: the granted scope"
        );
        let claims = jwt_claims(&tokens.access_token);
        assert_eq!(
            scope_set(claims["scope"].as_str().expect("a scope claim")),
            expected,
            "{role}: the access token's scope"
        );
    }
}

/// The ID token tells the client only what the user agreed to share.
#[tokio::test]
async fn an_id_token_carries_profile_and_email_claims_only_with_those_scopes() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, "openid read:timesheets").await;
    let id = jwt_claims(&tokens.id_token);
    for claim in ["email", "email_verified", "name", "picture"] {
        assert!(
            id.get(claim).is_none(),
            "no {claim} without its scope: {id}"
        );
    }
    assert!(id["sub"].is_string(), "{id}");
}

// ---------------------------------------------------------------------------------------
// The login page
// ---------------------------------------------------------------------------------------

/// The login page must not tell which emails have an account.
#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let pkce = Pkce::new();
    let url = AuthRequest::pwa(&app, &pkce, "same-answer").url(&app);

    let mut browser = Browser::new();
    let blank = browser.login_page(&app, &url).await;
    let response = browser
        .submit_login(&app, &blank, ANN, WRONG_PASSWORD)
        .await;
    let (wrong_status, wrong_page) = browser
        .failed_login_page(&app, response, "a wrong password")
        .await;

    let mut other = Browser::new();
    let response = other.login(&app, &url, GHOST, WRONG_PASSWORD).await;
    let (unknown_status, unknown_page) = other
        .failed_login_page(&app, response, "an unknown email")
        .await;

    let emails = [ANN, GHOST];
    assert_eq!(wrong_status, unknown_status, "the same status");
    assert_eq!(
        visible_page(&wrong_page, &emails),
        visible_page(&unknown_page, &emails),
        "the same page for a wrong password and an unknown email"
    );
    assert_ne!(
        visible_page(&wrong_page, &emails),
        visible_page(&blank, &emails),
        "the page says the login failed"
    );
}

/// Login CSRF: a form not made for this browser must be refused.
#[tokio::test]
async fn a_login_without_the_right_csrf_is_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let page = browser.login_page(&app, &pwa_login_url(&app)).await;
    let request = hidden_input(&page, "request");
    let csrf = hidden_input(&page, "csrf");
    // The same value with its last character changed.
    let tampered = match csrf.strip_suffix('A') {
        Some(rest) => format!("{rest}B"),
        None => format!("{}A", &csrf[..csrf.len().saturating_sub(1)]),
    };
    let cases = [
        (
            "a tampered csrf",
            vec![
                ("request", request.as_str()),
                ("csrf", tampered.as_str()),
                ("email", ANN),
                ("password", PASSWORD),
            ],
        ),
        (
            "an empty csrf",
            vec![
                ("request", request.as_str()),
                ("csrf", ""),
                ("email", ANN),
                ("password", PASSWORD),
            ],
        ),
        (
            "no csrf",
            vec![
                ("request", request.as_str()),
                ("email", ANN),
                ("password", PASSWORD),
            ],
        ),
    ];
    for (case, fields) in cases {
        let response = browser
            .post_form(&app, &app.url("/oauth/authorize"), &fields)
            .await;
        assert_refused_login(response, case).await;
    }
}

/// The csrf value is bound to the login cookie of the browser that got the form: another
/// browser cannot submit it, with or without a login cookie of its own.
#[tokio::test]
async fn the_csrf_field_only_works_in_the_browser_that_got_the_form() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut victim = Browser::new();
    let page = victim.login_page(&app, &pwa_login_url(&app)).await;
    let hidden = [
        ("request", hidden_input(&page, "request")),
        ("csrf", hidden_input(&page, "csrf")),
    ];
    let fields: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .chain([("email", ANN), ("password", PASSWORD)])
        .collect();

    let mut without_cookie = Browser::new();
    let response = without_cookie
        .post_form(&app, &app.url("/oauth/authorize"), &fields)
        .await;
    assert_refused_login(response, "another browser, no login cookie").await;

    let mut with_own_cookie = Browser::new();
    with_own_cookie.login_page(&app, &pwa_login_url(&app)).await;
    let response = with_own_cookie
        .post_form(&app, &app.url("/oauth/authorize"), &fields)
        .await;
    assert_refused_login(response, "another browser, its own login cookie").await;
}

/// Password guessing: after 5 failures the email is locked, whatever the next password,
/// while other people can still sign in.
#[tokio::test]
async fn five_failures_lock_an_email_even_for_the_right_password() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    app.add_account(BOB, PASSWORD, "employee").await;
    let mut attacker = Browser::new();
    for attempt in 1..=5 {
        let response = attacker
            .login(&app, &pwa_login_url(&app), ANN, WRONG_PASSWORD)
            .await;
        attacker
            .failed_login_page(&app, response, &format!("wrong password #{attempt}"))
            .await;
    }
    let mut ann = Browser::new();
    let blank = ann.login_page(&app, &pwa_login_url(&app)).await;
    let response = ann.submit_login(&app, &blank, ANN, PASSWORD).await;
    let (_, locked) = ann
        .failed_login_page(&app, response, "the right password of a locked email")
        .await;
    assert_ne!(
        visible_page(&locked, &[ANN]),
        visible_page(&blank, &[ANN]),
        "the page says why the login failed"
    );
    let tokens = sign_in(&app, BOB, PASSWORD, PWA_SCOPE).await;
    assert!(
        !tokens.access_token.is_empty(),
        "another user still signs in"
    );
}

/// Guesses sent all at once count before any password is checked: no more than five of
/// a burst get checked, and the email is locked afterwards.
#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_lockout() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut attacker = Browser::new();
    let page = attacker.login_page(&app, &pwa_login_url(&app)).await;
    let body = form_encode(&[
        ("request", hidden_input(&page, "request").as_str()),
        ("csrf", hidden_input(&page, "csrf").as_str()),
        ("email", ANN),
        ("password", WRONG_PASSWORD),
    ]);
    let cookie = attacker.cookie_header().expect("the login cookie");
    let burst: Vec<_> = (0..12)
        .map(|_| {
            let request = app
                .client
                .post(app.url("/oauth/authorize"))
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, FORM)
                .body(body.clone());
            tokio::spawn(async move { request.send().await.expect("request sent").status() })
        })
        .collect();
    let mut checked = 0;
    for answer in burst {
        let status = answer.await.expect("the request ran");
        assert_ne!(
            status,
            StatusCode::SEE_OTHER,
            "a wrong password never signs in"
        );
        if status == StatusCode::BAD_REQUEST {
            checked += 1;
        }
    }
    assert!(
        checked <= 5,
        "{checked} guesses were checked, at most 5 may be"
    );
    let mut ann = Browser::new();
    let response = ann.login(&app, &pwa_login_url(&app), ANN, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "locked");
}

/// Lockout must not reveal accounts either: an unknown email locks the same way.
#[tokio::test]
async fn a_locked_email_looks_the_same_whether_or_not_it_has_an_account() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    // Each email is tried right after its own lockout, so that a "try again in N
    // minutes" reads the same for both.
    let mut pages = Vec::new();
    for email in [ANN, GHOST] {
        let mut attacker = Browser::new();
        for attempt in 1..=5 {
            let response = attacker
                .login(&app, &pwa_login_url(&app), email, WRONG_PASSWORD)
                .await;
            attacker
                .failed_login_page(
                    &app,
                    response,
                    &format!("{email}: wrong password #{attempt}"),
                )
                .await;
        }
        let mut browser = Browser::new();
        let response = browser
            .login(&app, &pwa_login_url(&app), email, PASSWORD)
            .await;
        pages.push(
            browser
                .failed_login_page(&app, response, &format!("{email}: after 5 failures"))
                .await,
        );
    }
    let emails = [ANN, GHOST];
    assert_eq!(pages[0].0, pages[1].0, "the same status when locked");
    assert_eq!(
        visible_page(&pages[0].1, &emails),
        visible_page(&pages[1].1, &emails),
        "the same page for a locked account and a locked unknown email"
    );
}

/// The session cookie is out of reach of scripts, not sent on cross-site subrequests, and
/// valid for the whole provider.
#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_lax_and_for_the_whole_site() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let response = browser
        .login(&app, &pwa_login_url(&app), ANN, PASSWORD)
        .await;
    let redirect = expect_redirect(response, "a successful login").await;
    let cookies = session_cookies(&redirect.headers);
    let raw: Vec<String> = set_cookies(&redirect.headers)
        .into_iter()
        .map(|cookie| cookie.raw)
        .collect();
    assert!(
        !cookies.is_empty(),
        "a login sets the session cookie: {raw:?}"
    );
    for cookie in &cookies {
        assert!(cookie.has("httponly"), "HttpOnly: {}", cookie.raw);
        assert!(cookie.has("samesite=lax"), "SameSite=Lax: {}", cookie.raw);
        assert!(cookie.has("path=/"), "Path=/: {}", cookie.raw);
    }
}

/// Session fixation: whatever session id a browser had before, a login gives a new one.
#[tokio::test]
async fn the_session_id_is_new_at_each_login() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    app.add_account(BOB, PASSWORD, "employee").await;

    // A first login tells the session cookie's name.
    let mut first = Browser::new();
    let response = first.login(&app, &pwa_login_url(&app), ANN, PASSWORD).await;
    let redirect = expect_redirect(response, "Ann's login").await;
    let session = session_cookies(&redirect.headers)
        .into_iter()
        .next()
        .expect("a login sets the session cookie");

    // An attacker plants a session id of their choosing in the victim's browser.
    let mut victim = Browser::new();
    victim
        .cookies
        .insert(session.name.clone(), "planted-by-an-attacker".to_owned());
    let page = victim.login_page(&app, &pwa_login_url(&app)).await;
    let before: HashSet<String> = victim.cookies.values().cloned().collect();
    let response = victim.submit_login(&app, &page, BOB, PASSWORD).await;
    expect_redirect(response, "Bob's login").await;
    let after = victim
        .cookies
        .get(&session.name)
        .expect("the login sets the session cookie")
        .clone();
    assert!(
        !before.contains(&after),
        "the session id after the login is new, not one the browser had: {after}"
    );
    assert_ne!(after, session.value, "two logins never share a session id");
}

// ---------------------------------------------------------------------------------------
// The token endpoint
// ---------------------------------------------------------------------------------------

/// Only the grants the provider implements; the password grant above all is not one.
#[tokio::test]
async fn the_password_implicit_and_unknown_grant_types_are_unsupported() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    for grant_type in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "no-such-grant",
    ] {
        let answer = token_request(
            &app,
            &[
                ("grant_type", grant_type),
                ("client_id", PWA),
                ("username", ANN),
                ("password", PASSWORD),
                ("scope", "openid"),
            ],
        )
        .await;
        assert_token_error(
            &answer,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type={grant_type}"),
        );
    }
}

/// Token answers hold secrets: no cache may keep them, errors included.
#[tokio::test]
async fn token_answers_are_never_cached() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let (status, body, headers) = token_request_basic(
        &app,
        "payroll",
        &secret,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_no_store(&headers, "a client-credentials token");
    let (_, _, headers) = redeem_refresh(&app, "not-a-refresh-token").await;
    assert_no_store(&headers, "an invalid_grant error");
    let (_, _, headers) = token_request_basic(
        &app,
        "payroll",
        "not-the-secret",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_no_store(&headers, "an invalid_client error");
}

/// The PWA may call the token endpoint from its own origin; no other site may read it.
#[tokio::test]
async fn the_token_endpoint_allows_cors_only_from_the_pwa_origin() {
    let app = TestApp::spawn_embedded().await;
    let body = form_encode(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-refresh-token"),
        ("client_id", PWA),
    ]);
    for (origin, allowed) in [
        (app.address.as_str(), true),
        ("https://evil.example", false),
    ] {
        let response = app
            .client
            .post(app.url("/oauth/token"))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, FORM)
            .body(body.clone())
            .send()
            .await
            .expect("request sent");
        let allow_origin = response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        if allowed {
            assert_eq!(allow_origin.as_deref(), Some(origin), "the PWA's origin");
        } else {
            assert_eq!(allow_origin, None, "another origin: {origin}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Refresh tokens
// ---------------------------------------------------------------------------------------

/// Rotation with reuse detection (RFC 9700 §4.14.2): a stolen refresh token is worth one
/// use at most, and its reuse ends the whole sign-in.
#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let old = tokens.refresh().to_owned();

    let (status, body, headers) = redeem_refresh(&app, &old).await;
    assert_eq!(status, StatusCode::OK, "a refresh: {body}");
    assert_no_store(&headers, "a refresh");
    let newer = body["refresh_token"]
        .as_str()
        .expect("every refresh gives a new refresh token")
        .to_owned();
    assert_ne!(newer, old, "the refresh token rotates");
    let access = body["access_token"].as_str().expect("a new access token");
    assert_ne!(
        jwt_claims(access)["jti"],
        jwt_claims(&tokens.access_token)["jti"],
        "a new access token"
    );

    let reuse = redeem_refresh(&app, &old).await;
    assert_token_error(
        &reuse,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a rotated refresh token",
    );
    let after = redeem_refresh(&app, &newer).await;
    assert_token_error(
        &after,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the newest refresh token, after the reuse of an old one",
    );
}

/// No `offline_access`, no refresh token.
#[tokio::test]
async fn a_refresh_token_is_issued_only_with_offline_access() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, "openid profile email read:timesheets").await;
    assert_eq!(
        tokens.refresh_token, None,
        "no refresh token without offline_access"
    );
    assert!(
        !scope_set(&tokens.scope).contains("offline_access"),
        "offline_access was not granted: {}",
        tokens.scope
    );
}

/// A refresh token is bound to the client it was issued to (RFC 6749 §6).
#[tokio::test]
async fn a_refresh_token_is_refused_for_another_client() {
    let app = TestApp::spawn_embedded().await;
    add_desktop_client(&app).await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let answer = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh()),
            ("client_id", DESKTOP),
        ],
    )
    .await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the PWA's refresh token, used by another client",
    );
}

/// Disabling someone takes effect at their next refresh, not in 14 days.
#[tokio::test]
async fn a_disabled_user_can_no_longer_refresh() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) = redeem_refresh(&app, tokens.refresh()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a refresh before the user is disabled: {body}"
    );
    let newer = body["refresh_token"].as_str().expect("a new refresh token");
    app.disable_account(ANN).await;
    let answer = redeem_refresh(&app, newer).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a disabled user",
    );
}

// ---------------------------------------------------------------------------------------
// Client credentials
// ---------------------------------------------------------------------------------------

/// A batch client gets a client token (no user, no refresh, no ID token) that the upload
/// route accepts.
#[tokio::test]
async fn a_batch_client_gets_a_client_token_that_the_upload_accepts() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let (status, body, headers) = token_request_basic(
        &app,
        "payroll",
        &secret,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "batch:upload"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "client_secret_basic: {body}");
    assert_no_store(&headers, "a client-credentials token");
    assert_eq!(body["scope"], "batch:upload", "{body}");
    assert!(body["refresh_token"].is_null(), "no refresh token: {body}");
    assert!(body["id_token"].is_null(), "no ID token: {body}");
    let token = body["access_token"].as_str().expect("an access token");
    let header = jwt_header(token);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], "ES256", "{header}");
    let claims = jwt_claims(token);
    assert_eq!(
        claims["sub"], "payroll",
        "RFC 9068: sub is the client: {claims}"
    );
    assert_eq!(claims["client_id"], "payroll", "{claims}");
    assert_eq!(claims["scope"], "batch:upload", "{claims}");
    assert_eq!(claims["iss"], app.address.as_str(), "{claims}");
    assert!(audience_is(&claims["aud"], EMBEDDED_AUDIENCE), "{claims}");
    assert!(claims["email"].is_null(), "no user claims: {claims}");

    let upload = app
        .call(
            Method::POST,
            "/api/timesheets/upload",
            token,
            Some(&json!([])),
        )
        .await;
    let upload_status = upload.status();
    assert!(
        upload_status != StatusCode::UNAUTHORIZED && upload_status != StatusCode::FORBIDDEN,
        "the upload accepts the client token (an empty upload may be 422), got {upload_status}"
    );
}

/// `client_secret_post` is the other registered way to authenticate.
#[tokio::test]
async fn a_batch_client_may_authenticate_with_client_secret_post() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let (status, body, _) = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "payroll"),
            ("client_secret", secret.as_str()),
            ("scope", "batch:upload"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "client_secret_post: {body}");
    assert_eq!(body["scope"], "batch:upload", "{body}");
}

/// Without a `scope`, a client gets everything it is allowed.
#[tokio::test]
async fn a_batch_client_asking_for_no_scope_gets_all_its_scopes() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let (status, body, _) = token_request_basic(
        &app,
        "payroll",
        &secret,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "batch:upload", "{body}");
}

/// Any wrong credential is the same `401 invalid_client`.
#[tokio::test]
async fn bad_client_credentials_are_refused_with_invalid_client() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let grant = ("grant_type", "client_credentials");
    let cases = [
        (
            "a wrong secret (basic)",
            token_request_basic(&app, "payroll", "not-the-secret", &[grant]).await,
        ),
        (
            "an unknown client (basic)",
            token_request_basic(&app, "nobody", &secret, &[grant]).await,
        ),
        (
            "a wrong secret (post)",
            token_request(
                &app,
                &[
                    grant,
                    ("client_id", "payroll"),
                    ("client_secret", "not-the-secret"),
                ],
            )
            .await,
        ),
        (
            "no secret for a confidential client",
            token_request(&app, &[grant, ("client_id", "payroll")]).await,
        ),
    ];
    for (case, answer) in &cases {
        assert_token_error(answer, StatusCode::UNAUTHORIZED, "invalid_client", case);
    }
}

/// A client never gets more than it was registered with.
#[tokio::test]
async fn a_batch_client_cannot_get_a_scope_it_was_not_allowed() {
    let app = TestApp::spawn_embedded().await;
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    for scope in ["batch:upload approve:timesheets", "read:timesheets"] {
        let answer = token_request_basic(
            &app,
            "payroll",
            &secret,
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
        .await;
        assert_token_error(&answer, StatusCode::BAD_REQUEST, "invalid_scope", scope);
    }
}

/// A public client has no secret, so it cannot prove it is itself without a user.
#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    let app = TestApp::spawn_embedded().await;
    let (status, body, _) = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("client_id", PWA)],
    )
    .await;
    assert!(
        matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED),
        "refused: {status} {body}"
    );
    assert!(
        body["error"] == "unauthorized_client" || body["error"] == "invalid_client",
        "unauthorized_client or invalid_client: {body}"
    );
}

// ---------------------------------------------------------------------------------------
// Revocation
// ---------------------------------------------------------------------------------------

/// Signing out of the PWA revokes its refresh token (RFC 7009).
#[tokio::test]
async fn a_revoked_refresh_token_is_refused() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) = revoke(&app, tokens.refresh(), PWA).await;
    assert_eq!(status, StatusCode::OK, "revocation: {body}");
    let answer = redeem_refresh(&app, tokens.refresh()).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a revoked refresh token",
    );
}

/// RFC 7009 §2.2: an invalid token is answered 200 too, so revocation reveals nothing.
#[tokio::test]
async fn revoking_an_unknown_token_still_answers_200() {
    let app = TestApp::spawn_embedded().await;
    let (status, body, _) = revoke(&app, "not-a-token", PWA).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Revocation ends the family: revoking a rotated token also ends its successor.
#[tokio::test]
async fn revoking_a_rotated_refresh_token_revokes_its_family() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) = redeem_refresh(&app, tokens.refresh()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let newer = body["refresh_token"].as_str().expect("a new refresh token");
    let (status, body, _) = revoke(&app, tokens.refresh(), PWA).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = redeem_refresh(&app, newer).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "the successor of a revoked refresh token",
    );
}

/// RFC 7009 §2.1: a client may only revoke its own tokens.
#[tokio::test]
async fn a_client_cannot_revoke_another_clients_refresh_token() {
    let app = TestApp::spawn_embedded().await;
    add_desktop_client(&app).await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    revoke(&app, tokens.refresh(), DESKTOP).await;
    let (status, body, _) = redeem_refresh(&app, tokens.refresh()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another client's revocation leaves the token alive: {body}"
    );
}

// ---------------------------------------------------------------------------------------
// Userinfo
// ---------------------------------------------------------------------------------------

/// Userinfo answers with the access token's user, by GET and by POST.
#[tokio::test]
async fn userinfo_returns_the_claims_of_the_access_tokens_user() {
    let app = TestApp::spawn_embedded().await;
    let sub = app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;

    let response = app.get_as(&tokens.access_token, "/oauth/userinfo").await;
    assert_eq!(response.status(), StatusCode::OK, "GET userinfo");
    let info: Value = response.json().await.expect("JSON");
    assert_eq!(info["sub"], sub.as_str(), "{info}");
    assert_eq!(info["email"], ANN, "{info}");
    assert!(info["name"].is_string(), "{info}");

    let response = app
        .client
        .post(app.url("/oauth/userinfo"))
        .bearer_auth(tokens.access_token.as_str())
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK, "POST userinfo");
    let info: Value = response.json().await.expect("JSON");
    assert_eq!(info["sub"], sub.as_str(), "{info}");

    assert_eq!(
        app.get("/oauth/userinfo").await.status(),
        StatusCode::UNAUTHORIZED,
        "no token"
    );
    assert_eq!(
        app.get_as("not-a-token", "/oauth/userinfo").await.status(),
        StatusCode::UNAUTHORIZED,
        "a garbage token"
    );
}

// ---------------------------------------------------------------------------------------
// Logout
// ---------------------------------------------------------------------------------------

/// RP-initiated logout ends the provider session and the sign-in's refresh tokens, then
/// returns to the registered page with the client's state.
#[tokio::test]
async fn logout_redirects_with_state_and_ends_the_session_and_its_refresh_tokens() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let tokens = sign_in_with(&app, &mut browser, ANN, PASSWORD, PWA_SCOPE).await;
    let post_logout = app.url("/");
    let url = format!(
        "{}?{}",
        app.url("/oauth/logout"),
        form_encode(&[
            ("id_token_hint", tokens.id_token.as_str()),
            ("post_logout_redirect_uri", post_logout.as_str()),
            ("state", "xyz"),
        ])
    );
    let response = browser.get(&app, &url).await;
    let redirect = expect_redirect(response, "logout").await;
    assert_eq!(redirect.status, StatusCode::FOUND, "logout answers 302");
    assert!(
        redirect.location == post_logout
            || redirect.location.starts_with(&format!("{post_logout}?")),
        "back to the registered post-logout URI: {}",
        redirect.location
    );
    assert_eq!(
        redirect_params(&redirect.location)
            .get("state")
            .map(String::as_str),
        Some("xyz"),
        "the state is echoed: {}",
        redirect.location
    );

    let answer = redeem_refresh(&app, tokens.refresh()).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a refresh token after logout",
    );

    let silent = AuthRequest::pwa(&app, &Pkce::new(), "after-logout").set("prompt", "none");
    let response = browser.get(&app, &silent.url(&app)).await;
    let redirect = expect_redirect(response, "prompt=none after logout").await;
    assert_error_redirect(
        &app,
        &redirect,
        &pwa_redirect(&app),
        "login_required",
        "after-logout",
        "prompt=none after logout",
    );
}

/// Logout must not become an open redirector.
#[tokio::test]
async fn logout_refuses_an_unregistered_post_logout_redirect_uri() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let tokens = sign_in_with(&app, &mut browser, ANN, PASSWORD, PWA_SCOPE).await;
    for uri in ["https://evil.example/".to_owned(), app.url("/elsewhere")] {
        let url = format!(
            "{}?{}",
            app.url("/oauth/logout"),
            form_encode(&[
                ("id_token_hint", tokens.id_token.as_str()),
                ("post_logout_redirect_uri", uri.as_str()),
                ("state", "xyz"),
            ])
        );
        let response = browser.get(&app, &url).await;
        assert_refused_without_redirect(response, &format!("post_logout_redirect_uri={uri}")).await;
    }
}

// ---------------------------------------------------------------------------------------
// Hardening found in review: who may burn a code, who may sign a browser out, what a new
// password ends, what userinfo shows.

/// Someone who only saw the code (a log line, the history) can neither spend it nor, by
/// replaying it, revoke what the real redemption got.
#[tokio::test]
async fn a_code_without_its_verifier_can_neither_be_spent_nor_revoke() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let without_verifier = |verifier: &'static str| {
        let mut fields: Vec<(&str, &str)> = grant
            .token_fields()
            .into_iter()
            .filter(|(name, _)| *name != "code_verifier")
            .collect();
        fields.push(("code_verifier", verifier));
        fields
    };
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-0";
    let answer = token_request(&app, &without_verifier(wrong)).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a wrong verifier",
    );

    let tokens = redeem(&app, &grant).await;
    let answer = token_request(&app, &without_verifier(wrong)).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "a replay without the verifier",
    );
    let (status, body, _) = redeem_refresh(&app, tokens.refresh()).await;
    assert_eq!(status, StatusCode::OK, "the real sign-in goes on: {body}");
}

/// A link carrying someone else's ID token must not sign this browser out; an access
/// token is no ID token hint at all.
#[tokio::test]
async fn only_ones_own_id_token_signs_this_browser_out() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    app.add_account(BOB, PASSWORD, "employee").await;
    let mut ann = Browser::new();
    let ann_tokens = sign_in_with(&app, &mut ann, ANN, PASSWORD, PWA_SCOPE).await;
    let bob_tokens = sign_in(&app, BOB, PASSWORD, PWA_SCOPE).await;
    let logout = |hint: &str| {
        format!(
            "{}?{}",
            app.url("/oauth/logout"),
            form_encode(&[("id_token_hint", hint)])
        )
    };

    let response = ann.get(&app, &logout(&ann_tokens.access_token)).await;
    assert_refused_without_redirect(response, "an access token as the hint").await;

    let response = ann.get(&app, &logout(&bob_tokens.id_token)).await;
    assert_eq!(response.status(), StatusCode::OK, "Bob is signed out");
    let silent = AuthRequest::pwa(&app, &Pkce::new(), "still-ann").set("prompt", "none");
    let response = ann.get(&app, &silent.url(&app)).await;
    let redirect = expect_redirect(response, "prompt=none for Ann").await;
    assert!(
        redirect_params(&redirect.location).contains_key("code"),
        "Ann's session in this browser goes on: {}",
        redirect.location
    );
    let (status, body, _) = redeem_refresh(&app, ann_tokens.refresh()).await;
    assert_eq!(status, StatusCode::OK, "Ann's refresh token works: {body}");
    let answer = redeem_refresh(&app, bob_tokens.refresh()).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Bob's refresh after his logout",
    );
}

/// Whoever knew the old password may hold a session or a refresh token: a new password
/// ends them all.
#[tokio::test]
async fn a_new_password_ends_every_sign_in() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let tokens = sign_in_with(&app, &mut browser, ANN, PASSWORD, PWA_SCOPE).await;
    ::provider::admin::set_password(&app.db, ANN, "a brand new password")
        .await
        .expect("changed");
    let answer = redeem_refresh(&app, tokens.refresh()).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "refresh after a password change",
    );
    let silent = AuthRequest::pwa(&app, &Pkce::new(), "after-change").set("prompt", "none");
    let response = browser.get(&app, &silent.url(&app)).await;
    let redirect = expect_redirect(response, "prompt=none after a password change").await;
    assert_error_redirect(
        &app,
        &redirect,
        &pwa_redirect(&app),
        "login_required",
        "after-change",
        "prompt=none after a password change",
    );
}

/// Userinfo shows what the token's scopes allow, and nothing without `openid`.
#[tokio::test]
async fn userinfo_answers_by_the_tokens_scopes() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, "openid offline_access read:timesheets").await;
    let userinfo = |token: String| {
        let request = app
            .client
            .get(app.url("/oauth/userinfo"))
            .bearer_auth(token);
        async move { request.send().await.expect("request sent") }
    };
    let response = userinfo(tokens.access_token.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let claims: Value = response.json().await.expect("JSON");
    assert!(claims["sub"].is_string(), "{claims}");
    assert!(
        claims.get("email").is_none() && claims.get("name").is_none(),
        "{claims}"
    );

    let (status, body, _) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh()),
            ("client_id", PWA),
            ("scope", "read:timesheets"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let narrowed = body["access_token"].as_str().expect("a token").to_owned();
    let response = userinfo(narrowed).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "no openid scope");
}

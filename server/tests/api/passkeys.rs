//! Passkeys at the embedded provider (docs/PROVIDER.md#passkeys), driven by a software
//! authenticator that does what a phone's does: a P-256 key per credential, CTAP2's
//! authenticator data, a "none" attestation, ES256 assertions over the client data of
//! the page's origin. The server checks them with webauthn-rs.

use std::time::Duration;

use aws_lc_rs::{
    digest::{digest, SHA256},
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    provider::{
        authorize_url, code_from, expect_redirect, hidden_input, html_unescape, obtain_code,
        pwa_redirect, random_text, redeem, sign_in, Browser, Grant, Pkce, Tokens, PASSWORD, PWA,
        PWA_SCOPE,
    },
};

const ANN: &str = "ann@example.com";
const MIA: &str = "mia@example.com";
const EVE: &str = "eve@example.com";

// ---- a software authenticator ----

/// Minimal CBOR (RFC 8949) for what an authenticator writes: small maps of integers,
/// text and bytes.
enum Cbor {
    Int(i64),
    Bytes(Vec<u8>),
    Text(&'static str),
    Map(Vec<(Cbor, Cbor)>),
}

impl Cbor {
    fn head(out: &mut Vec<u8>, major: u8, value: u64) {
        let major = major << 5;
        match value {
            0..=23 => out.push(major | value as u8),
            24..=0xff => out.extend([major | 24, value as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend((value as u16).to_be_bytes());
            }
            _ => {
                out.push(major | 26);
                out.extend((value as u32).to_be_bytes());
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(n) if *n >= 0 => Cbor::head(out, 0, *n as u64),
            Cbor::Int(n) => Cbor::head(out, 1, (-1 - *n) as u64),
            Cbor::Bytes(bytes) => {
                Cbor::head(out, 2, bytes.len() as u64);
                out.extend(bytes);
            }
            Cbor::Text(text) => {
                Cbor::head(out, 3, text.len() as u64);
                out.extend(text.as_bytes());
            }
            Cbor::Map(pairs) => {
                Cbor::head(out, 5, pairs.len() as u64);
                for (key, value) in pairs {
                    key.encode(out);
                    value.encode(out);
                }
            }
        }
    }

    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(
            value
                .as_str()
                .unwrap_or_else(|| panic!("base64url text: {value}")),
        )
        .expect("base64url")
}

/// One passkey on a software authenticator.
struct SoftPasskey {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    /// The origin the "browser" puts in the client data.
    origin: String,
}

/// User present, user verified (a passkey always verifies its user).
const UP_UV: u8 = 0x01 | 0x04;
const ATTESTED: u8 = 0x40;

impl SoftPasskey {
    /// Answers creation `options` (as the server sent them) like `navigator.credentials.create`.
    fn create(options: &Value, origin: &str) -> (SoftPasskey, Value) {
        let public_key = &options["publicKey"];
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a key");
        let mut credential_id = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut credential_id).expect("random");
        let mut passkey = SoftPasskey {
            key,
            credential_id,
            user_handle: unb64(&public_key["user"]["id"]),
            counter: 0,
            origin: origin.to_owned(),
        };
        let answer = passkey.registration(options);
        (passkey, answer)
    }

    /// This passkey's answer to creation `options` (a second registration of it).
    fn registration(&mut self, options: &Value) -> Value {
        let public_key = &options["publicKey"];
        let point = self.key.public_key().as_ref().to_vec();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let cose_key = Cbor::Map(vec![
            (Cbor::Int(1), Cbor::Int(2)),  // kty: EC2
            (Cbor::Int(3), Cbor::Int(-7)), // alg: ES256
            (Cbor::Int(-1), Cbor::Int(1)), // crv: P-256
            (Cbor::Int(-2), Cbor::Bytes(point[1..33].to_vec())),
            (Cbor::Int(-3), Cbor::Bytes(point[33..].to_vec())),
        ])
        .to_vec();
        let rp_id = public_key["rp"]["id"].as_str().expect("an RP id");
        let mut auth_data = self.auth_data(rp_id, UP_UV | ATTESTED);
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(cose_key);
        let attestation = Cbor::Map(vec![
            (Cbor::Text("fmt"), Cbor::Text("none")),
            (Cbor::Text("attStmt"), Cbor::Map(vec![])),
            (Cbor::Text("authData"), Cbor::Bytes(auth_data)),
        ])
        .to_vec();
        let client_data = self.client_data("webauthn.create", &public_key["challenge"]);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
        })
    }

    /// Answers request `options` like `navigator.credentials.get`.
    fn assert(&mut self, options: &Value) -> Value {
        let public_key = &options["publicKey"];
        self.counter += 1;
        let rp_id = public_key["rpId"].as_str().expect("an RP id");
        let auth_data = self.auth_data(rp_id, UP_UV);
        let client_data = self.client_data("webauthn.get", &public_key["challenge"]);
        let mut signed = auth_data.clone();
        signed.extend(digest(&SHA256, &client_data).as_ref());
        let signature = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("a signature");
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
        })
    }

    fn auth_data(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let mut data = digest(&SHA256, rp_id.as_bytes()).as_ref().to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }

    fn client_data(&self, kind: &str, challenge: &Value) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge.as_str().expect("a challenge"),
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }
}

// ---- the app's side: /account/passkeys with an access token ----

async fn account_call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("a response");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Adds a passkey named `name` from the profile screen; returns it and the new passkey.
async fn add_passkey(app: &TestApp, token: &str, name: &str) -> (SoftPasskey, Value) {
    let (status, started) = account_call(
        app,
        reqwest::Method::POST,
        "/account/passkeys/options",
        token,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "options for a new passkey: {started}"
    );
    assert_eq!(
        started["options"]["publicKey"]["authenticatorSelection"]["residentKey"], "required",
        "a discoverable credential: {started}"
    );
    let (passkey, answer) = SoftPasskey::create(&started["options"], &app.address);
    let (status, added) = account_call(
        app,
        reqwest::Method::POST,
        "/account/passkeys",
        token,
        Some(json!({"ceremony": started["ceremony"], "name": name, "credential": answer})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "the passkey is added: {added}");
    (passkey, added)
}

/// `DELETE /account/passkeys/{id}` with `token`.
async fn remove(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    let path = format!("/account/passkeys/{id}");
    account_call(app, reqwest::Method::DELETE, &path, token, None).await
}

/// How many passkeys the token's person has.
async fn count(app: &TestApp, token: &str) -> usize {
    let listed = list(app, token).await;
    listed["passkeys"]
        .as_array()
        .map_or_else(|| panic!("a list: {listed}"), Vec::len)
}

async fn list(app: &TestApp, token: &str) -> Value {
    let (status, list) =
        account_call(app, reqwest::Method::GET, "/account/passkeys", token, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

// ---- the login page's side ----

/// The PWA's authorization request in `browser`, up to the login page.
struct LoginPage {
    html: String,
    pkce: Pkce,
    state: String,
}

async fn open_login(app: &TestApp, browser: &mut Browser) -> LoginPage {
    let pkce = Pkce::new();
    let state = random_text();
    let url = authorize_url(
        app,
        PWA,
        &pwa_redirect(app),
        &pkce,
        PWA_SCOPE,
        &state,
        &random_text(),
        &[],
    );
    let html = browser.login_page(app, &url).await;
    LoginPage { html, pkce, state }
}

/// "Sign in with a passkey": the page's options request.
async fn passkey_options(
    app: &TestApp,
    browser: &mut Browser,
    page: &LoginPage,
) -> (StatusCode, Value) {
    let response = post_from(app, browser, page, "/oauth/authorize/passkey/options", &[]).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The page's form post with the authenticator's answer.
async fn post_assertion(
    app: &TestApp,
    browser: &mut Browser,
    page: &LoginPage,
    ceremony: &Value,
    answer: &Value,
) -> reqwest::Response {
    let ceremony = ceremony.as_str().expect("a ceremony");
    let fields = [("ceremony", ceremony), ("credential", &answer.to_string())];
    post_from(app, browser, page, "/oauth/authorize/passkey", &fields).await
}

/// A form post from the login page `page` to `path`: its request and CSRF token, and
/// `fields`.
async fn post_from(
    app: &TestApp,
    browser: &mut Browser,
    page: &LoginPage,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let request = hidden_input(&page.html, "request");
    let csrf = hidden_input(&page.html, "csrf");
    let mut all = vec![("request", request.as_str()), ("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(app, &app.url(path), &all).await
}

/// A whole passkey sign-in in a new browser: the tokens it ends with.
async fn sign_in_with_passkey(app: &TestApp, passkey: &mut SoftPasskey) -> Tokens {
    let mut browser = Browser::new();
    let page = open_login(app, &mut browser).await;
    assert!(
        page.html.contains("Sign in with a passkey"),
        "the login page offers passkeys"
    );
    let (status, started) = passkey_options(app, &mut browser, &page).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let answer = passkey.assert(&started["options"]);
    let response = post_assertion(app, &mut browser, &page, &started["ceremony"], &answer).await;
    let redirect = expect_redirect(response, "a passkey sign-in").await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER);
    let code = code_from(&redirect.location, &page.state);
    redeem(app, &Grant::new(code, page.pkce, pwa_redirect(app))).await
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// The page a refused passkey sign-in shows.
async fn refused_page(response: reqwest::Response, case: &str) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
    let page = response.text().await.expect("a page");
    assert!(
        html_unescape(&page).contains("That passkey could not be verified"),
        "{case}: {page}"
    );
    page
}

// ---- tests ----

#[tokio::test]
async fn a_person_adds_a_passkey_signs_in_with_it_and_removes_it() {
    let app = TestApp::spawn_embedded_at_localhost(|_| {}).await;
    // Scripts run only where passkeys need one: our own, from this origin.
    let csp = |response: &reqwest::Response| {
        response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("text")
            .to_owned()
    };
    let login = app.get(&open_login_url(&app)[app.address.len()..]).await;
    assert!(
        csp(&login).contains("script-src 'self';"),
        "{}",
        csp(&login)
    );
    let error_page = app.get("/oauth/authorize?client_id=nobody").await;
    assert!(
        !csp(&error_page).contains("script-src"),
        "{}",
        csp(&error_page)
    );
    let ann = app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    assert_eq!(
        list(&app, &tokens.access_token).await,
        json!({"passkeys": [], "required": false})
    );

    let (mut passkey, added) = add_passkey(&app, &tokens.access_token, "  Pixel 7 ").await;
    assert_eq!(added["name"], "Pixel 7", "the name is trimmed");
    assert_eq!(added["id"], b64(&passkey.credential_id));
    assert!(added["last_used_at"].is_null());

    let signed_in = sign_in_with_passkey(&app, &mut passkey).await;
    let claims = claims(&signed_in.access_token);
    assert_eq!(
        claims["sub"],
        ann.as_str(),
        "the passkey signs Ann in: {claims}"
    );
    assert!(
        claims["auth_time"].as_i64().is_some(),
        "a fresh auth_time: {claims}"
    );
    // The tokens work at the API like a password sign-in's.
    let me = app.get_as(&signed_in.access_token, "/api/me").await;
    assert_eq!(me.status(), StatusCode::OK);

    let listed = list(&app, &signed_in.access_token).await;
    assert_eq!(
        listed["passkeys"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert!(
        listed["passkeys"][0]["last_used_at"].as_i64().is_some(),
        "the use is recorded: {listed}"
    );

    // A second sign-in counts on (the signature counter is stored).
    sign_in_with_passkey(&app, &mut passkey).await;

    let id = added["id"].as_str().expect("an id");
    let (status, _) = remove(&app, &signed_in.access_token, id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = remove(&app, &signed_in.access_token, id).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        list(&app, &signed_in.access_token).await["passkeys"],
        json!([])
    );

    // Removed, it signs nobody in.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let answer = passkey.assert(&started["options"]);
    let response = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    refused_page(response, "a removed passkey").await;
}

#[tokio::test]
async fn a_passkey_answer_is_refused_when_replayed_forged_or_from_another_origin() {
    let app = TestApp::spawn_embedded_at_localhost(|_| {}).await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (mut passkey, _) = add_passkey(&app, &tokens.access_token, "Phone").await;

    // A ceremony is answered once, even in its own form: a bad answer uses it up.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let answer = passkey.assert(&started["options"]);
    let response = post_assertion(
        &app,
        &mut browser,
        &page,
        &started["ceremony"],
        &json!({"id": "x"}),
    )
    .await;
    refused_page(response, "a bad answer").await;
    let response = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    refused_page(response, "the right answer to a used ceremony").await;
    // An unused ceremony of one login form is no good in another.
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let answer = passkey.assert(&started["options"]);
    let mut other = Browser::new();
    let other_page = open_login(&app, &mut other).await;
    let response =
        post_assertion(&app, &mut other, &other_page, &started["ceremony"], &answer).await;
    refused_page(response, "another form's ceremony").await;
    // Asked again, a form's new ceremony replaces its earlier one.
    let (_, first) = passkey_options(&app, &mut other, &other_page).await;
    let (_, second) = passkey_options(&app, &mut other, &other_page).await;
    let answer = passkey.assert(&first["options"]);
    let response = post_assertion(&app, &mut other, &other_page, &first["ceremony"], &answer).await;
    refused_page(response, "a ceremony its form replaced").await;
    let answer = passkey.assert(&second["options"]);
    let response =
        post_assertion(&app, &mut other, &other_page, &second["ceremony"], &answer).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the form's latest ceremony signs in"
    );

    // Replayed: the same answer to the same ceremony, after it signed in once.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let answer = passkey.assert(&started["options"]);
    let first = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    assert_eq!(
        first.status(),
        StatusCode::SEE_OTHER,
        "the first answer signs in"
    );
    let mut other = Browser::new();
    let page = open_login(&app, &mut other).await;
    let response = post_assertion(&app, &mut other, &page, &started["ceremony"], &answer).await;
    refused_page(response, "a ceremony answered twice").await;
    // …and replayed against a new ceremony (the challenge differs).
    let (_, fresh) = passkey_options(&app, &mut other, &page).await;
    let response = post_assertion(&app, &mut other, &page, &fresh["ceremony"], &answer).await;
    refused_page(response, "an old answer to a new challenge").await;

    // Forged: the right credential id, signed by another key.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let (mut forger, _) = SoftPasskey::create(
        &json!({"publicKey": {"user": {"id": b64(&passkey.user_handle)}, "rp": {"id": "localhost"}, "challenge": "AA"}}),
        &app.address,
    );
    forger.credential_id = passkey.credential_id.clone();
    let answer = forger.assert(&started["options"]);
    let response = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    refused_page(response, "a signature by another key").await;

    // Another origin: a phishing page's client data.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    passkey.origin = "http://localhost:1".into();
    let answer = passkey.assert(&started["options"]);
    let response = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    refused_page(response, "client data of another origin").await;
    passkey.origin = app.address.clone();

    // Not JSON at all.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let response = post_assertion(
        &app,
        &mut browser,
        &page,
        &started["ceremony"],
        &json!("garbage"),
    )
    .await;
    refused_page(response, "an answer that is not an assertion").await;

    // After all that, the real passkey still works…
    sign_in_with_passkey(&app, &mut passkey).await;
    // …but not a clone of it whose signature counter went back.
    passkey.counter = 0;
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let (_, started) = passkey_options(&app, &mut browser, &page).await;
    let answer = passkey.assert(&started["options"]);
    let response = post_assertion(&app, &mut browser, &page, &started["ceremony"], &answer).await;
    refused_page(response, "a signature counter that went back").await;
}

/// `POST /account/passkeys/options` with `token`.
async fn start_adding(app: &TestApp, token: &str) -> (StatusCode, Value) {
    account_call(
        app,
        reqwest::Method::POST,
        "/account/passkeys/options",
        token,
        None,
    )
    .await
}

/// `POST /account/passkeys` with `token`.
async fn finish_adding(
    app: &TestApp,
    token: &str,
    ceremony: &Value,
    name: &str,
    credential: &Value,
) -> (StatusCode, Value) {
    let body = json!({"ceremony": ceremony, "name": name, "credential": credential});
    account_call(
        app,
        reqwest::Method::POST,
        "/account/passkeys",
        token,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn adding_a_passkey_needs_a_token_a_recent_sign_in_a_name_and_a_fresh_ceremony() {
    let app = TestApp::spawn_embedded_at_localhost(|args| {
        args.provider.provider_passkey_max_auth_age_secs = 2;
    })
    .await;
    app.add_account(ANN, PASSWORD, "employee").await;
    app.add_account(MIA, PASSWORD, "employee").await;

    let anonymous = app
        .client
        .get(app.url("/account/passkeys"))
        .send()
        .await
        .expect("a response");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key(header::WWW_AUTHENTICATE));
    let body: Value = anonymous.json().await.expect("JSON");
    assert_eq!(body["error"], "unauthorized", "{body}");

    // A bad name is refused before the ceremony is used up: corrected, the same answer
    // to the same ceremony adds the passkey.
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (status, started) = start_adding(&app, &tokens.access_token).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let (mut passkey, answer) = SoftPasskey::create(&started["options"], &app.address);
    assert_refused_field(
        finish_adding(
            &app,
            &tokens.access_token,
            &started["ceremony"],
            " ",
            &answer,
        )
        .await,
        "name",
    );
    let (status, body) = finish_adding(
        &app,
        &tokens.access_token,
        &started["ceremony"],
        "Phone",
        &answer,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // …and it is used up now: the same answer again is refused.
    assert_refused_field(
        finish_adding(
            &app,
            &tokens.access_token,
            &started["ceremony"],
            "Phone",
            &answer,
        )
        .await,
        "ceremony",
    );

    // Someone else cannot finish Ann's ceremony, and trying uses it up.
    let mia = sign_in(&app, MIA, PASSWORD, PWA_SCOPE).await;
    let (_, started) = start_adding(&app, &tokens.access_token).await;
    let (_, answer) = SoftPasskey::create(&started["options"], &app.address);
    assert_refused_field(
        finish_adding(
            &app,
            &mia.access_token,
            &started["ceremony"],
            "Mine",
            &answer,
        )
        .await,
        "ceremony",
    );
    assert_refused_field(
        finish_adding(
            &app,
            &tokens.access_token,
            &started["ceremony"],
            "Tablet",
            &answer,
        )
        .await,
        "ceremony",
    );

    // An answer for another origin is not a passkey of ours.
    let (_, started) = start_adding(&app, &tokens.access_token).await;
    let (_, foreign) = SoftPasskey::create(&started["options"], "http://localhost:1");
    assert_refused_field(
        finish_adding(
            &app,
            &tokens.access_token,
            &started["ceremony"],
            "Phone",
            &foreign,
        )
        .await,
        "credential",
    );

    // The browser is told which passkeys the person has; one sent again anyway is refused
    // (webauthn-rs checks the exclusion list)…
    let (_, started) = start_adding(&app, &tokens.access_token).await;
    let excluded = &started["options"]["publicKey"]["excludeCredentials"];
    assert_eq!(excluded[0]["id"], b64(&passkey.credential_id), "{excluded}");
    let again = passkey.registration(&started["options"]);
    let (status, body) = finish_adding(
        &app,
        &tokens.access_token,
        &started["ceremony"],
        "Again",
        &again,
    )
    .await;
    assert_eq!(
        body["message"], "the passkey could not be verified",
        "{body}"
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // …and Ann's credential offered as Mia's (her options do not exclude it) is a conflict.
    let (_, started) = start_adding(&app, &mia.access_token).await;
    let stolen = passkey.registration(&started["options"]);
    let (status, body) = finish_adding(
        &app,
        &mia.access_token,
        &started["ceremony"],
        "Not mine",
        &stolen,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["message"], "this passkey is registered already",
        "{body}"
    );
    assert_eq!(list(&app, &mia.access_token).await["passkeys"], json!([]));

    // Mia cannot remove Ann's passkey.
    let id = b64(&passkey.credential_id);
    let (status, _) = remove(&app, &mia.access_token, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, &tokens.access_token).await, 1);

    // Only the app's own tokens manage passkeys: not a batch client's, nor another app's
    // that the provider's session gave silently.
    let secret = app.add_batch_client("payroll", &["batch:upload"]).await;
    let batch = crate::provider_admin::client_token(&app, "payroll", &secret).await;
    assert_eq!(list_status(&app, &batch).await, StatusCode::UNAUTHORIZED);
    let desktop = other_app_token(&app, ANN).await;
    assert_eq!(list_status(&app, &desktop).await, StatusCode::FORBIDDEN);
    let (status, _) = start_adding(&app, &desktop).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Once the sign-in is older than the setting: step-up (RFC 9470) to add or remove.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let (status, body) = start_adding(&app, &tokens.access_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "insufficient_user_authentication", "{body}");
    assert_eq!(body["max_age"], 2, "{body}");
    let (status, body) = remove(&app, &tokens.access_token, &id).await;
    assert_eq!(body["error"], "insufficient_user_authentication", "{body}");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Listing needs no fresh sign-in, and nothing was removed.
    assert_eq!(count(&app, &tokens.access_token).await, 1);
}

/// Fails unless the answer is a 422 about `field`.
fn assert_refused_field((status, body): (StatusCode, Value), field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], field, "{body}");
}

async fn list_status(app: &TestApp, token: &str) -> StatusCode {
    account_call(app, reqwest::Method::GET, "/account/passkeys", token, None)
        .await
        .0
}

/// An access token of `email` for another public app, which the provider's session gives
/// without a password (as it would to any app the person signed in to before).
async fn other_app_token(app: &TestApp, email: &str) -> String {
    const DESKTOP: &str = "desktop";
    const REDIRECT: &str = "http://localhost:9999/cb";
    app.add_public_client(DESKTOP, &[REDIRECT], &[]).await;
    let pkce = Pkce::new();
    let state = random_text();
    let url = authorize_url(
        app,
        DESKTOP,
        REDIRECT,
        &pkce,
        "openid",
        &state,
        &random_text(),
        &[],
    );
    let response = Browser::new().login(app, &url, email, PASSWORD).await;
    let redirect = expect_redirect(response, "the other app's sign-in").await;
    let code = code_from(&redirect.location, &state);
    let (status, body, _) = crate::provider::token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", DESKTOP),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// The enrolment page's form post: the new passkey named `name`.
async fn post_enrolment(
    app: &TestApp,
    browser: &mut Browser,
    page: &LoginPage,
    ceremony: &str,
    name: &str,
    credential: &Value,
) -> reqwest::Response {
    let credential = credential.to_string();
    let fields = [
        ("ceremony", ceremony),
        ("name", name),
        ("credential", &credential),
    ];
    post_from(
        app,
        browser,
        page,
        "/oauth/authorize/passkey/enroll",
        &fields,
    )
    .await
}

/// The enrollment page a password sign-in under the policy shows: the options and ceremony.
fn enrollment(page: &str) -> (Value, String) {
    let marker = "data-options=\"";
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("the page carries options: {page}"))
        + marker.len();
    let end = start + page[start..].find('"').expect("the attribute ends");
    let options = serde_json::from_str(&html_unescape(&page[start..end])).expect("JSON options");
    (options, hidden_input(page, "ceremony"))
}

#[tokio::test]
async fn with_the_policy_on_managers_add_a_passkey_at_sign_in_and_then_must_use_it() {
    let app = TestApp::spawn_embedded_at_localhost(|_| {}).await;
    let mia = app.add_account(MIA, PASSWORD, "manager").await;
    app.add_account(EVE, PASSWORD, "employee").await;
    let mut her_browser = Browser::new();
    let before =
        crate::provider::sign_in_with(&app, &mut her_browser, MIA, PASSWORD, PWA_SCOPE).await;
    let covered = provider::admin::require_passkeys_of_approvers(&app.db, true)
        .await
        .expect("the policy is set");
    assert_eq!(covered, 1);
    // Her sign-ins ended, so the next one follows the policy: no refresh, and her
    // browser's provider session gives no silent sign-in.
    let (status, body, _) = crate::provider::redeem_refresh(&app, before.refresh()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let state = random_text();
    let silent = authorize_url(
        &app,
        PWA,
        &pwa_redirect(&app),
        &Pkce::new(),
        PWA_SCOPE,
        &state,
        &random_text(),
        &[("prompt", "none")],
    );
    let response = her_browser.send(app.client.get(silent)).await;
    let redirect = expect_redirect(response, "a silent sign-in after the policy").await;
    assert!(
        redirect.location.contains("error=login_required"),
        "{}",
        redirect.location
    );

    // An employee is not covered.
    sign_in(&app, EVE, PASSWORD, PWA_SCOPE).await;

    // The manager's right password leads to adding a passkey, not to the app.
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    let password = [("email", MIA), ("password", PASSWORD)];
    let response = post_from(&app, &mut browser, &page, "/oauth/authorize", &password).await;
    assert_eq!(response.status(), StatusCode::OK, "no code yet");
    let enroll_page = response.text().await.expect("a page");
    assert!(enroll_page.contains("Add a passkey"), "{enroll_page}");
    let (options, ceremony) = enrollment(&enroll_page);
    let (mut passkey, answer) = SoftPasskey::create(&options, &app.address);
    // Without a name: the page again, with a new ceremony.
    let response = post_enrolment(&app, &mut browser, &page, &ceremony, "", &answer).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let again = response.text().await.expect("a page");
    assert!(
        html_unescape(&again).contains("give the passkey a name"),
        "{again}"
    );
    let (options, ceremony) = enrollment(&again);
    let answer = passkey.registration(&options);
    let response =
        post_enrolment(&app, &mut browser, &page, &ceremony, "Work phone", &answer).await;
    let redirect = expect_redirect(response, "an enrollment").await;
    let code = code_from(&redirect.location, &page.state);
    let tokens = redeem(&app, &Grant::new(code, page.pkce, pwa_redirect(&app))).await;
    let listed = list(&app, &tokens.access_token).await;
    assert_eq!(listed["required"], true, "{listed}");
    assert_eq!(listed["passkeys"][0]["name"], "Work phone", "{listed}");
    // Her only passkey stays while she must use one.
    let id = b64(&passkey.credential_id);
    let (status, body) = remove(&app, &tokens.access_token, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(count(&app, &tokens.access_token).await, 1);

    // From now on her password alone is refused, and the passkey signs her in.
    let mut browser = Browser::new();
    let response = browser
        .login(&app, &open_login_url(&app), MIA, PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let refusal = response.text().await.expect("a page");
    assert!(
        html_unescape(&refusal).contains("Sign in with a passkey"),
        "{refusal}"
    );
    let tokens = sign_in_with_passkey(&app, &mut passkey).await;
    assert_eq!(claims(&tokens.access_token)["sub"], mia.as_str());

    // A lost phone: the administrator resets her passkeys; the password leads to a new one.
    assert_eq!(
        provider::admin::reset_passkeys(&app.db, MIA)
            .await
            .expect("reset"),
        1
    );
    let mut browser = Browser::new();
    let response = browser
        .login(&app, &open_login_url(&app), MIA, PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .expect("a page")
        .contains("data-options"));

    // Policy off: the password alone signs her in again.
    provider::admin::require_passkeys_of_approvers(&app.db, false)
        .await
        .expect("off");
    let grant = obtain_code(&app, &mut Browser::new(), MIA, PASSWORD, PWA_SCOPE).await;
    let tokens = redeem(&app, &grant).await;

    // A new password (account recovery) removes the passkeys whoever held the account
    // may have added.
    let (_, stranger) = add_passkey(&app, &tokens.access_token, "Stranger's").await;
    assert_eq!(stranger["name"], "Stranger's");
    provider::admin::set_password(&app.db, MIA, "a brand new password")
        .await
        .expect("a new password");
    let tokens = sign_in(&app, MIA, "a brand new password", PWA_SCOPE).await;
    assert_eq!(
        list(&app, &tokens.access_token).await["passkeys"],
        json!([])
    );
}

fn open_login_url(app: &TestApp) -> String {
    authorize_url(
        app,
        PWA,
        &pwa_redirect(app),
        &Pkce::new(),
        PWA_SCOPE,
        &random_text(),
        &random_text(),
        &[],
    )
}

#[tokio::test]
async fn at_an_ip_address_there_are_no_passkeys() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let mut browser = Browser::new();
    let page = open_login(&app, &mut browser).await;
    assert!(
        !page.html.contains("passkey"),
        "no passkey button: {}",
        page.html
    );
    let (status, body) = passkey_options(&app, &mut browser, &page).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let tokens = sign_in(&app, ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body) = account_call(
        &app,
        reqwest::Method::POST,
        "/account/passkeys/options",
        &tokens.access_token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // The page the app is served tells it too.
    let home = app.get("/").await.text().await.expect("a page");
    assert!(
        home.contains("&quot;passkeys&quot;:false") || home.contains("\"passkeys\":false"),
        "the app is told: no passkeys"
    );
}

#[tokio::test]
async fn the_cli_requires_passkeys_of_managers_lists_them_and_resets_a_lost_phone() {
    let app = TestApp::spawn_embedded_at_localhost(|_| {}).await;
    app.add_account(MIA, PASSWORD, "manager").await;
    app.add_account(EVE, PASSWORD, "employee").await;
    let tokens = sign_in(&app, EVE, PASSWORD, PWA_SCOPE).await;
    add_passkey(&app, &tokens.access_token, "Eve's phone").await;
    let database = app.database_url.expose().to_owned();
    let cli = |args: &'static [&'static str]| {
        let database = database.clone();
        async move {
            let mut all = vec!["passkeys"];
            all.extend_from_slice(args);
            all.extend(["--database-url", database.as_str()]);
            let output = crate::helpers::run_timesheets(&all, &[]).await;
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                output.status.success(),
                "{args:?}: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            );
            stdout
        }
    };

    let listed = cli(&["list"]).await;
    assert!(
        listed.contains(EVE) && listed.contains("Eve's phone") && listed.contains("never used"),
        "{listed}"
    );
    assert!(
        listed.contains("1 passkey(s); passkeys are required of nobody"),
        "{listed}"
    );

    let required = cli(&["require", "managers"]).await;
    assert!(required.contains("managers and admins (1)"), "{required}");
    assert!(cli(&["list"])
        .await
        .contains("required of managers and admins"));
    // The running server applies it at once: Mia's password leads to adding a passkey.
    let mut browser = Browser::new();
    let response = browser
        .login(&app, &open_login_url(&app), MIA, PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .expect("a page")
        .contains("data-options"));

    let reset = cli(&["reset", EVE]).await;
    assert!(reset.contains("removed 1 passkey(s)"), "{reset}");
    assert!(cli(&["list", "--email", EVE])
        .await
        .starts_with("0 passkey(s)"));
    cli(&["require", "nobody"]).await;
    let grant = obtain_code(&app, &mut Browser::new(), MIA, PASSWORD, PWA_SCOPE).await;
    redeem(&app, &grant).await;

    // An unknown person is one clear error line.
    let output = crate::helpers::run_timesheets(
        &[
            "passkeys",
            "reset",
            "nobody@example.com",
            "--database-url",
            &database,
        ],
        &[],
    )
    .await;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no user with email nobody@example.com")
    );
}

//! Sender-constrained tokens (RFC 9449): the embedded provider binds tokens to the key of
//! a DPoP proof, the API accepts a bound token only with a fresh proof by that key for
//! that very request, and every refusal carries the RFC's error code.

use dpop::testing::{unsigned, with_header, ProofKey};
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    provider::{
        assert_token_error, authorize_url, code_from, expect_redirect, form_answer, jwt_claims,
        obtain_code, pwa_redirect, random_text, Answer, Browser, Pkce, Tokens, PASSWORD, PWA,
        PWA_SCOPE,
    },
};

const ANN: &str = "ann@example.com";

fn now() -> i64 {
    crate::issuer::now() as i64
}

/// `POST /oauth/token` with a `DPoP` header (or none).
async fn token_with_proof(app: &TestApp, proof: Option<&str>, fields: &[(&str, &str)]) -> Answer {
    let mut request = app.client.post(app.url("/oauth/token"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    form_answer(request, fields).await
}

fn token_endpoint(app: &TestApp) -> String {
    app.url("/oauth/token")
}

/// Ann signs in in a new browser and redeems the code with a proof of `key`.
async fn sign_in_bound(app: &TestApp, key: &ProofKey, scope: &str) -> Tokens {
    let grant = obtain_code(app, &mut Browser::new(), ANN, PASSWORD, scope).await;
    let proof = key.proof("POST", &token_endpoint(app), None);
    let (status, body, _) = token_with_proof(app, Some(&proof), &grant.token_fields()).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a code redeemed with a proof: {body}"
    );
    assert_eq!(body["token_type"], "DPoP", "{body}");
    Tokens::from_body(&body)
}

async fn refresh_with(app: &TestApp, key: Option<&ProofKey>, refresh_token: &str) -> Answer {
    let proof = key.map(|key| key.proof("POST", &token_endpoint(app), None));
    token_with_proof(
        app,
        proof.as_deref(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", PWA),
        ],
    )
    .await
}

/// `method path` with `Authorization: DPoP token` and `proof` (if any).
async fn api_call(
    app: &TestApp,
    method: Method,
    path: &str,
    authorization: &str,
    proof: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(header::AUTHORIZATION, authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.expect("request sent")
}

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` and a JSON body saying so.
async fn assert_proof_refused(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    let challenge = challenge(&response);
    assert!(
        challenge.starts_with(r#"DPoP error="invalid_dpop_proof""#)
            && challenge.contains(r#"algs="ES256""#),
        "{case}: {challenge}"
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], "invalid_dpop_proof", "{case}: {body}");
}

/// 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
fn assert_token_refused(response: &reqwest::Response, case: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    assert_eq!(
        challenge(response),
        r#"Bearer error="invalid_token""#,
        "{case}"
    );
}

#[tokio::test]
async fn discovery_offers_es256_proofs() {
    let app = TestApp::spawn_embedded().await;
    let config: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        config["dpop_signing_alg_values_supported"],
        json!(["ES256"])
    );
}

#[tokio::test]
async fn a_proof_at_the_token_endpoint_binds_the_access_and_refresh_tokens_to_its_key() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let tokens = sign_in_bound(&app, &key, PWA_SCOPE).await;
    assert_eq!(
        jwt_claims(&tokens.access_token)["cnf"],
        json!({ "jkt": key.jkt() })
    );

    // A refresh without a proof, or with another key, is refused and spends nothing.
    let none = refresh_with(&app, None, tokens.refresh()).await;
    assert_token_error(
        &none,
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        "no proof",
    );
    let thief = ProofKey::generate();
    let other = refresh_with(&app, Some(&thief), tokens.refresh()).await;
    assert_token_error(
        &other,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "another key",
    );

    let (status, body, _) = refresh_with(&app, Some(&key), tokens.refresh()).await;
    assert_eq!(status, StatusCode::OK, "the key's own refresh: {body}");
    assert_eq!(body["token_type"], "DPoP");
    let renewed = Tokens::from_body(&body);
    assert_eq!(
        jwt_claims(&renewed.access_token)["cnf"]["jkt"],
        key.jkt().as_str()
    );

    // Without any proof, the same sign-in flow still gives Bearer tokens.
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) = token_with_proof(&app, None, &grant.token_fields()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        jwt_claims(body["access_token"].as_str().expect("a token"))["cnf"],
        Value::Null
    );
}

#[tokio::test]
async fn the_token_endpoint_refuses_every_bad_proof_with_invalid_dpop_proof() {
    let app = TestApp::spawn_embedded().await;
    let key = ProofKey::generate();
    let url = token_endpoint(&app);
    let fields = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-real-refresh-token"),
        ("client_id", PWA),
    ];
    // A good proof reaches the grant, which is what is wrong then.
    let good = key.proof("POST", &url, None);
    let answer = token_with_proof(&app, Some(&good), &fields).await;
    assert_token_error(
        &answer,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "good proof",
    );
    let replayed = token_with_proof(&app, Some(&good), &fields).await;
    assert_token_error(
        &replayed,
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        "a proof used twice",
    );

    let claims = |method: &str, url: &str, iat: i64| ProofKey::claims(method, url, None, iat);
    let mut private = key.jwk.clone();
    private["d"] = "c2VjcmV0LXNjYWxhcg".into();
    let cases: Vec<(&str, String)> = vec![
        (
            "another method",
            key.sign(|_| {}, &claims("GET", &url, now())),
        ),
        (
            "another URL",
            key.sign(|_| {}, &claims("POST", &app.url("/oauth/revoke"), now())),
        ),
        (
            "iat ten minutes old",
            key.sign(|_| {}, &claims("POST", &url, now() - 600)),
        ),
        (
            "typ JWT",
            key.sign(|h| h.typ = Some("JWT".into()), &claims("POST", &url, now())),
        ),
        (
            "a private key in jwk",
            with_header(
                &key.sign(|_| {}, &claims("POST", &url, now())),
                &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
            ),
        ),
        (
            "alg none",
            unsigned(
                &json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}),
                &claims("POST", &url, now()),
            ),
        ),
        (
            "alg HS256",
            with_header(
                &key.sign(|_| {}, &claims("POST", &url, now())),
                &json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk}),
            ),
        ),
        ("not a JWS", "not.a.proof.at-all".to_owned()),
    ];
    for (case, proof) in cases {
        let answer = token_with_proof(&app, Some(&proof), &fields).await;
        assert_token_error(&answer, StatusCode::BAD_REQUEST, "invalid_dpop_proof", case);
    }
}

#[tokio::test]
async fn a_code_asked_for_with_dpop_jkt_is_redeemed_only_with_that_key() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let bound_url = |pkce: &Pkce, state: &str| {
        authorize_url(
            &app,
            PWA,
            &pwa_redirect(&app),
            pkce,
            PWA_SCOPE,
            state,
            &random_text(),
            &[("dpop_jkt", key.jkt().as_str())],
        )
    };
    let mut answers = Vec::new();
    let other = ProofKey::generate();
    for proof_key in [None, Some(&other), Some(&key)] {
        let (pkce, state) = (Pkce::new(), random_text());
        let response = Browser::new()
            .login(&app, &bound_url(&pkce, &state), ANN, PASSWORD)
            .await;
        let code = code_from(&expect_redirect(response, "login").await.location, &state);
        let redirect_uri = pwa_redirect(&app);
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", PWA),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        let proof = proof_key.map(|key| key.proof("POST", &token_endpoint(&app), None));
        answers.push(token_with_proof(&app, proof.as_deref(), &fields).await);
    }
    assert_token_error(
        &answers[0],
        StatusCode::BAD_REQUEST,
        "invalid_dpop_proof",
        "no proof",
    );
    assert_token_error(
        &answers[1],
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "another key",
    );
    assert_eq!(
        answers[2].0,
        StatusCode::OK,
        "the key's own: {}",
        answers[2].1
    );
    assert_eq!(answers[2].1["token_type"], "DPoP");

    // A dpop_jkt that is no thumbprint is refused at the authorization request.
    let (pkce, state) = (Pkce::new(), random_text());
    let url = authorize_url(
        &app,
        PWA,
        &pwa_redirect(&app),
        &pkce,
        PWA_SCOPE,
        &state,
        &random_text(),
        &[("dpop_jkt", "not-a-thumbprint")],
    );
    let response = app.client.get(url).send().await.expect("sent");
    let location = expect_redirect(response, "a bad dpop_jkt").await.location;
    assert!(
        location.contains("error=invalid_request") && location.contains("dpop_jkt"),
        "{location}"
    );
}

#[tokio::test]
async fn the_api_takes_a_bound_token_only_with_a_fresh_proof_of_its_key_for_the_request() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let token = sign_in_bound(&app, &key, PWA_SCOPE).await.access_token;
    let dpop = format!("DPoP {token}");
    let me = app.url("/api/me");

    let proof = key.proof("GET", &me, Some(&token));
    let response = api_call(&app, Method::GET, "/api/me", &dpop, Some(&proof)).await;
    assert_eq!(response.status(), StatusCode::OK, "token and proof");
    let again = api_call(&app, Method::GET, "/api/me", &dpop, Some(&proof)).await;
    assert_proof_refused(again, "the same proof twice").await;

    // Copied out of the page, the token alone is worth nothing.
    let bearer = api_call(
        &app,
        Method::GET,
        "/api/me",
        &format!("Bearer {token}"),
        None,
    )
    .await;
    assert_token_refused(&bearer, "a bound token as Bearer");
    let alone = api_call(&app, Method::GET, "/api/me", &dpop, None).await;
    assert_proof_refused(alone, "no proof").await;

    let claims = |method: &str, url: &str, token: Option<&str>, iat: i64| {
        ProofKey::claims(method, url, token, iat)
    };
    let t = Some(token.as_str());
    let mut private = key.jwk.clone();
    private["d"] = "c2VjcmV0LXNjYWxhcg".into();
    let thief = ProofKey::generate();
    let cases: Vec<(&str, String)> = vec![
        (
            "another method",
            key.sign(|_| {}, &claims("POST", &me, t, now())),
        ),
        (
            "another URL",
            key.sign(|_| {}, &claims("GET", &app.url("/api/projects"), t, now())),
        ),
        (
            "stale iat",
            key.sign(|_| {}, &claims("GET", &me, t, now() - 600)),
        ),
        (
            "iat in the future",
            key.sign(|_| {}, &claims("GET", &me, t, now() + 600)),
        ),
        (
            "ath of another token",
            key.sign(
                |_| {},
                &claims("GET", &me, Some("another.access.token"), now()),
            ),
        ),
        ("no ath", key.sign(|_| {}, &claims("GET", &me, None, now()))),
        (
            "a private key in jwk",
            with_header(
                &key.sign(|_| {}, &claims("GET", &me, t, now())),
                &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
            ),
        ),
        (
            "alg none",
            unsigned(
                &json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}),
                &claims("GET", &me, t, now()),
            ),
        ),
        (
            "alg HS256",
            with_header(
                &key.sign(|_| {}, &claims("GET", &me, t, now())),
                &json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk}),
            ),
        ),
        ("a proof by another key", thief.proof("GET", &me, t)),
    ];
    for (case, proof) in cases {
        let response = api_call(&app, Method::GET, "/api/me", &dpop, Some(&proof)).await;
        assert_proof_refused(response, case).await;
    }

    // Two DPoP headers are one too many.
    let response = app
        .client
        .get(&me)
        .header(header::AUTHORIZATION, &dpop)
        .header("DPoP", key.proof("GET", &me, t))
        .header("DPoP", key.proof("GET", &me, t))
        .send()
        .await
        .expect("sent");
    assert_proof_refused(response, "two proofs").await;

    // The query is not part of htu.
    let path = "/api/timesheets?week=2026-W49";
    let proof = key.proof("GET", &app.url("/api/timesheets"), t);
    let response = api_call(&app, Method::GET, path, &dpop, Some(&proof)).await;
    assert_eq!(response.status(), StatusCode::OK, "a query does not count");
}

#[tokio::test]
async fn server_functions_take_a_bound_token_with_its_proof() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let token = sign_in_bound(&app, &key, PWA_SCOPE).await.access_token;
    let url = app.url("/api/rpc/week");
    let call = |proof: Option<String>, scheme: &str| {
        let mut request = app
            .client
            .post(&url)
            .header(header::AUTHORIZATION, format!("{scheme} {token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body("week=2026-W49");
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };
    let ok = call(Some(key.proof("POST", &url, Some(&token))), "DPoP")
        .await
        .expect("sent");
    let status = ok.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        ok.text().await.unwrap_or_default()
    );
    let bearer = call(None, "Bearer").await.expect("sent");
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED, "as Bearer");
    let wrong_url = call(
        Some(key.proof("POST", &app.url("/api/rpc/projects"), Some(&token))),
        "DPoP",
    )
    .await
    .expect("sent");
    assert_proof_refused(wrong_url, "a proof for another function").await;
}

#[tokio::test]
async fn oidc_dpop_required_refuses_bearer_and_off_leaves_bearer_only() {
    use server::auth::DpopMode;
    let required =
        TestApp::spawn_embedded_with(|args| args.oidc.oidc_dpop = DpopMode::Required).await;
    required.add_account(ANN, PASSWORD, "employee").await;
    let grant = obtain_code(&required, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let (_, body, _) = token_with_proof(&required, None, &grant.token_fields()).await;
    let bearer = body["access_token"].as_str().expect("a Bearer token");
    let response = required.get_as(bearer, "/api/me").await;
    assert_token_refused(&response, "Bearer with OIDC_DPOP=required");
    let key = ProofKey::generate();
    let token = sign_in_bound(&required, &key, PWA_SCOPE).await.access_token;
    let proof = key.proof("GET", &required.url("/api/me"), Some(&token));
    let response = api_call(
        &required,
        Method::GET,
        "/api/me",
        &format!("DPoP {token}"),
        Some(&proof),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "DPoP with OIDC_DPOP=required"
    );

    // Off: the embedded provider neither offers DPoP nor binds tokens to a proof's key, so
    // the PWA keeps working with Bearer tokens; the DPoP scheme is refused.
    let off = TestApp::spawn_embedded_with(|args| args.oidc.oidc_dpop = DpopMode::Off).await;
    off.add_account(ANN, PASSWORD, "employee").await;
    let config: Value = off
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(config["dpop_signing_alg_values_supported"], Value::Null);
    let grant = obtain_code(&off, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let proof = key.proof("POST", &token_endpoint(&off), None);
    let (status, body, _) = token_with_proof(&off, Some(&proof), &grant.token_fields()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer", "the proof is ignored");
    let token = body["access_token"].as_str().expect("a token");
    assert_eq!(jwt_claims(token)["cnf"], Value::Null);
    assert_eq!(off.get_as(token, "/api/me").await.status(), StatusCode::OK);
    let proof = key.proof("GET", &off.url("/api/me"), Some(token));
    let response = api_call(
        &off,
        Method::GET,
        "/api/me",
        &format!("DPoP {token}"),
        Some(&proof),
    )
    .await;
    assert_token_refused(&response, "DPoP with OIDC_DPOP=off");
}

#[tokio::test]
async fn with_provider_nonces_a_proof_must_carry_the_current_one() {
    let app = TestApp::spawn_embedded_with(|args| args.provider.provider_dpop_nonce = true).await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let url = token_endpoint(&app);
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let with_nonce = |nonce: &str| {
        let mut claims = ProofKey::claims("POST", &url, None, now());
        claims["nonce"] = nonce.into();
        key.sign(|_| {}, &claims)
    };

    // Without a nonce, or with one the provider never gave: `use_dpop_nonce`, and the
    // nonce to send.
    for (case, proof) in [
        ("no nonce", key.proof("POST", &url, None)),
        ("a made-up nonce", with_nonce("made-up")),
    ] {
        let (status, body, headers) =
            token_with_proof(&app, Some(&proof), &grant.token_fields()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
        assert_eq!(body["error"], "use_dpop_nonce", "{case}");
        assert!(headers.contains_key("dpop-nonce"), "{case}");
    }
    let (_, _, headers) = token_with_proof(&app, Some(&key.proof("POST", &url, None)), &[]).await;
    let nonce = headers["dpop-nonce"].to_str().expect("ASCII").to_owned();

    // With it: the code (not spent by the refusals) gives DPoP tokens, and the answer
    // hands out the nonce again.
    let (status, body, headers) =
        token_with_proof(&app, Some(&with_nonce(&nonce)), &grant.token_fields()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(headers["dpop-nonce"].to_str().expect("ASCII"), nonce);

    // A client without DPoP is not asked for anything.
    let grant = obtain_code(&app, &mut Browser::new(), ANN, PASSWORD, PWA_SCOPE).await;
    let (status, body, _) = token_with_proof(&app, None, &grant.token_fields()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_with_its_proof_like_the_api() {
    let app = TestApp::spawn_embedded().await;
    app.add_account(ANN, PASSWORD, "employee").await;
    let key = ProofKey::generate();
    let token = sign_in_bound(&app, &key, PWA_SCOPE).await.access_token;
    let url = app.url("/oauth/userinfo");
    let dpop = format!("DPoP {token}");

    let proof = key.proof("GET", &url, Some(&token));
    let response = api_call(&app, Method::GET, "/oauth/userinfo", &dpop, Some(&proof)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let claims: Value = response.json().await.expect("JSON");
    assert_eq!(claims["email"], ANN);

    let bearer = app.get_as(&token, "/oauth/userinfo").await;
    assert_token_refused(&bearer, "a bound token as Bearer at userinfo");
    let again = api_call(&app, Method::GET, "/oauth/userinfo", &dpop, Some(&proof)).await;
    assert_proof_refused(again, "the same proof again at userinfo").await;
}

//! A test OpenID Connect issuer on 127.0.0.1: discovery and a JWKS whose keys a test can
//! rotate, a counter of JWKS fetches, and the private keys to mint tokens with.
//!
//! Key pairs are generated here with aws-lc-rs (once per test binary: RSA generation is
//! slow) and tokens are signed with jsonwebtoken, the crate the server verifies with.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, LazyLock, RwLock,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use axum::{extract::State, routing::get, Json, Router};
use jsonwebtoken::{jwk::Jwk, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The API audience every test app is configured with.
pub const AUDIENCE: &str = "https://timesheets.test/api";
/// The PWA's client id: an ID token carries it as its audience.
pub const PWA_CLIENT_ID: &str = "timesheets-pwa";
pub const USER_SCOPES: &str =
    "openid profile email read:timesheets create:timesheets delete:timesheets";

/// PKCS#8 PEM of an RSA 2048 key pair.
fn rsa_pem() -> String {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key pair");
    let der = pair.as_der().expect("PKCS#8 DER");
    pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))
}

static RSA_MAIN: LazyLock<String> = LazyLock::new(rsa_pem);
static RSA_OTHER: LazyLock<String> = LazyLock::new(rsa_pem);
static EC_MAIN: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("a P-256 key pair")
        .as_ref()
        .to_vec()
});

/// A private key with the `kid` and algorithm its public half is published under.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    /// The RSA public key in PEM (SPKI), for the HS256-confusion test.
    pub public_pem: Option<String>,
}

impl TestKey {
    /// The issuer's main RSA key.
    pub fn rsa(kid: &str) -> TestKey {
        TestKey::from_rsa_pem(kid, &RSA_MAIN)
    }

    /// A second RSA key: an attacker's, or the issuer's next one after rotation.
    pub fn other_rsa(kid: &str) -> TestKey {
        TestKey::from_rsa_pem(kid, &RSA_OTHER)
    }

    pub fn ec(kid: &str) -> TestKey {
        TestKey {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&EC_MAIN),
            public_pem: None,
        }
    }

    fn from_rsa_pem(kid: &str, pem: &str) -> TestKey {
        let pair = RsaKeyPair::from_pkcs8(&pem::parse(pem).expect("PEM").into_contents())
            .expect("an RSA key");
        let public_der = aws_lc_rs::signature::KeyPair::public_key(&pair)
            .as_der()
            .expect("SPKI DER");
        TestKey {
            kid: kid.into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("an RSA PEM"),
            public_pem: Some(pem::encode(&pem::Pem::new(
                "PUBLIC KEY",
                public_der.as_ref().to_vec(),
            ))),
        }
    }

    /// The public JWK, as an issuer publishes it.
    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).expect("a public JWK");
        jwk.common.key_id = Some(self.kid.clone());
        jwk
    }

    /// The JWS header this key signs with.
    pub fn header(&self) -> Header {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        header
    }

    pub fn sign(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding).expect("a signed token")
    }
}

#[derive(Clone)]
struct IssuerState {
    advertised_issuer: String,
    jwks_uri: String,
    keys: Arc<RwLock<Vec<Jwk>>>,
    jwks_fetches: Arc<AtomicUsize>,
    /// The JWKS endpoint answers 503 (a provider outage).
    down: Arc<std::sync::atomic::AtomicBool>,
}

pub struct TestIssuer {
    pub url: String,
    /// The issuer's current signing key.
    pub key: TestKey,
    state: IssuerState,
}

impl TestIssuer {
    /// An issuer publishing an RSA (`rsa-1`) and an EC (`ec-1`) key.
    pub async fn start() -> TestIssuer {
        TestIssuer::start_advertising(None).await
    }

    /// An issuer whose discovery document names `advertised` instead of its own URL.
    pub async fn start_advertising(advertised: Option<&str>) -> TestIssuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the issuer");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let key = TestKey::rsa("rsa-1");
        let state = IssuerState {
            advertised_issuer: advertised.unwrap_or(&url).to_owned(),
            jwks_uri: format!("{url}/jwks.json"),
            keys: Arc::new(RwLock::new(vec![key.jwk(), TestKey::ec("ec-1").jwk()])),
            jwks_fetches: Arc::new(AtomicUsize::new(0)),
            down: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        TestIssuer { url, key, state }
    }

    /// Adds a key to the published JWKS (as a provider does when it rotates keys).
    pub fn publish(&self, key: &TestKey) {
        self.state.keys.write().expect("keys").push(key.jwk());
    }

    /// From now on the JWKS endpoint fails with 503.
    pub fn go_down(&self) {
        self.state.down.store(true, Ordering::SeqCst);
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Claims of a valid user access token for the test API.
    pub fn user_claims(&self, scope: &str) -> Value {
        let now = now();
        json!({
            "iss": self.url,
            "sub": "user-ann",
            "aud": [AUDIENCE, format!("{}/userinfo", self.url)],
            "azp": PWA_CLIENT_ID,
            "client_id": PWA_CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            // Signed in just now: a manager may approve (step-up, RFC 9470).
            "auth_time": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "scope": scope,
            "name": "Ann Example",
            "email": "ann@example.com",
        })
    }

    /// Claims of a valid client-credentials access token.
    pub fn client_claims(&self, client_id: &str, scope: &str) -> Value {
        let now = now();
        json!({
            "iss": self.url,
            "sub": client_id,
            "client_id": client_id,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 300,
            "scope": scope,
        })
    }

    /// Signs `claims` with the issuer's main key.
    pub fn sign(&self, claims: &Value) -> String {
        self.key.sign(&self.key.header(), claims)
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

async fn discovery(State(state): State<IssuerState>) -> Json<Value> {
    Json(json!({
        "issuer": state.advertised_issuer,
        "jwks_uri": state.jwks_uri,
        "authorization_endpoint": format!("{}/authorize", state.advertised_issuer),
        "token_endpoint": format!("{}/token", state.advertised_issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

async fn jwks(State(state): State<IssuerState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if state.down.load(Ordering::SeqCst) {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let keys = state.keys.read().expect("keys").clone();
    Json(json!({ "keys": keys })).into_response()
}

//! What the benchmarks share: a throw-away OpenID Connect issuer on 127.0.0.1 (discovery
//! and a JWKS with an RSA and an EC key) and the private keys to mint tokens with.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use axum::{routing::get, Json, Router};
use jsonwebtoken::{jwk::Jwk, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub const AUDIENCE: &str = "https://timesheets.bench/api";

pub struct BenchIssuer {
    pub url: String,
    /// (key, algorithm, kid): RS256 first, then ES256.
    pub keys: Vec<(EncodingKey, Algorithm, &'static str)>,
}

impl BenchIssuer {
    pub async fn start() -> BenchIssuer {
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let rsa_pem = pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            rsa.as_der().expect("DER").as_ref().to_vec(),
        ));
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let ec =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
        let keys = vec![
            (
                EncodingKey::from_rsa_pem(rsa_pem.as_bytes()).expect("RSA PEM"),
                Algorithm::RS256,
                "rsa",
            ),
            (
                EncodingKey::from_ec_der(ec.as_ref()),
                Algorithm::ES256,
                "ec",
            ),
        ];
        let jwks: Vec<Jwk> = keys
            .iter()
            .map(|(key, alg, kid)| {
                let mut jwk = Jwk::from_encoding_key(key, *alg).expect("JWK");
                jwk.common.key_id = Some((*kid).to_owned());
                jwk
            })
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let discovery = json!({"issuer": url, "jwks_uri": format!("{url}/jwks")});
        let router = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route(
                "/jwks",
                get(move || async move { Json(json!({ "keys": jwks })) }),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        BenchIssuer { url, keys }
    }

    /// A token signed with key `key` (0: RS256, 1: ES256) over `claims` plus `iss`,
    /// `aud`, `iat` and `exp`.
    pub fn token(&self, key: usize, mut claims: Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs();
        claims["iss"] = json!(self.url);
        claims["aud"] = json!(AUDIENCE);
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + 3600);
        let (encoding, alg, kid) = &self.keys[key];
        let mut header = Header::new(*alg);
        header.kid = Some((*kid).to_owned());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, &claims, encoding).expect("token")
    }
}

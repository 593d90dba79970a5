//! The per-request cost of access-token verification: `cargo bench -p server --bench verify_token`.
//!
//! A throw-away issuer on 127.0.0.1 serves discovery and a JWKS with an RSA and an EC key;
//! the verifier loads them once, as the server does at start-up, and each iteration
//! verifies one token completely (header, key lookup, signature, claims, principal).

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{
    encoding::AsDer,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use axum::{routing::get, Json, Router};
use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::{jwk::Jwk, Algorithm, EncodingKey, Header};
use serde_json::json;
use server::auth::{TokenVerifier, VerifierSettings};

const AUDIENCE: &str = "https://timesheets.bench/api";

fn keys() -> [(EncodingKey, Algorithm, &'static str); 2] {
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let rsa_pem = pem::encode(&pem::Pem::new(
        "PRIVATE KEY",
        rsa.as_der().expect("DER").as_ref().to_vec(),
    ));
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let ec = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
    [
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
    ]
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let keys = keys();
    let jwks: Vec<Jwk> = keys
        .iter()
        .map(|(key, alg, kid)| {
            let mut jwk = Jwk::from_encoding_key(key, *alg).expect("JWK");
            jwk.common.key_id = Some((*kid).to_owned());
            jwk
        })
        .collect();
    let verifier = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let issuer = format!("http://{}", listener.local_addr().expect("address"));
        let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")});
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
        TokenVerifier::discover(VerifierSettings {
            issuer: issuer.parse().expect("issuer"),
            audience: AUDIENCE.into(),
            permissions_claim: "permissions".into(),
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            require_at_jwt: true,
            leeway: std::time::Duration::from_secs(30),
            jwks_refetch_interval: std::time::Duration::from_secs(60),
            jwks_max_age: std::time::Duration::from_secs(3600),
        })
        .await
        .expect("the verifier starts")
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let claims = json!({
        "iss": verifier.settings().issuer.as_str(), "sub": "user-1", "aud": AUDIENCE,
        "client_id": "pwa", "iat": now, "exp": now + 3600,
        "scope": "openid read:timesheets create:timesheets delete:timesheets",
        "permissions": ["read:timesheets", "create:timesheets"],
    });
    let mut group = c.benchmark_group("verify_access_token");
    for (key, alg, kid) in &keys {
        let mut header = Header::new(*alg);
        header.kid = Some((*kid).to_owned());
        header.typ = Some("at+jwt".into());
        let token = jsonwebtoken::encode(&header, &claims, key).expect("token");
        group.bench_function(format!("{alg:?}"), |b| {
            b.to_async(&runtime).iter(|| async {
                verifier
                    .verify(std::hint::black_box(&token))
                    .await
                    .expect("valid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

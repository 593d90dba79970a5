//! The per-request cost of access-token verification: `cargo bench -p server --bench verify_token`.
//!
//! The verifier loads the bench issuer's keys once, as the server does at start-up; each
//! iteration verifies one token completely (header, key lookup, signature, claims, principal).

mod support;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::Algorithm;
use serde_json::json;
use server::auth::{settings::DpopMode, TokenVerifier, VerifierSettings};
use support::{BenchIssuer, AUDIENCE};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (issuer, verifier) = runtime.block_on(async {
        let issuer = BenchIssuer::start().await;
        let verifier = TokenVerifier::discover(VerifierSettings {
            issuer: issuer.url.parse().expect("issuer"),
            audience: AUDIENCE.into(),
            permissions_claim: "permissions".into(),
            algorithms: vec![Algorithm::RS256, Algorithm::ES256],
            require_at_jwt: true,
            leeway: Duration::from_secs(30),
            jwks_refetch_interval: Duration::from_secs(60),
            jwks_max_age: Duration::from_secs(3600),
            dpop: DpopMode::Allowed,
        })
        .await
        .expect("the verifier starts");
        (issuer, verifier)
    });
    let claims = json!({
        "sub": "user-1", "client_id": "pwa",
        "scope": "openid read:timesheets create:timesheets delete:timesheets",
        "permissions": ["read:timesheets", "create:timesheets"],
    });
    let mut group = c.benchmark_group("verify_access_token");
    for key in 0..issuer.keys.len() {
        let token = issuer.token(key, claims.clone());
        group.bench_function(format!("{:?}", issuer.keys[key].1), |b| {
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

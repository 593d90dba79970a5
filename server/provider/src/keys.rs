//! The provider's signing keys: ES256 (P-256) pairs generated with aws-lc-rs on first
//! start, kept in the database (private key as PKCS#8; never logged), named by their RFC
//! 7638 thumbprint. The newest unretired key signs; `keys rotate` retires it, and a retired
//! key stays in the JWKS until every token it signed has expired.

use anyhow::Context;
use aws_lc_rs::{
    digest, hkdf, hmac,
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use jsonwebtoken::EncodingKey;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

use db::{clock::now_ms, Db};

/// Retired keys stay published this long: longer than any token lives (at most 1 h).
const RETIRED_KEY_PUBLISHED_MS: i64 = 2 * 60 * 60 * 1000;

/// The key that signs now.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    /// A MAC key derived from it (HKDF-SHA256) for the DPoP nonces: every instance has it,
    /// and a key rotation changes the nonces too.
    pub nonce_key: hmac::Key,
}

fn nonce_key(private_key_der: &[u8]) -> anyhow::Result<hmac::Key> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"timesheets provider").extract(private_key_der);
    let okm = prk
        .expand(&[b"dpop nonce v1"], hmac::HMAC_SHA256)
        .map_err(|_| anyhow::anyhow!("cannot derive the nonce key"))?;
    Ok(hmac::Key::from(okm))
}

/// Makes a new key pair and stores it; returns its `kid`.
pub async fn generate(conn: &mut AnyConnection) -> anyhow::Result<String> {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("cannot generate a signing key"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("the generated signing key does not load"))?;
    // X9.62 uncompressed point: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
    let point = pair.public_key().as_ref();
    anyhow::ensure!(
        point.len() == 65 && point[0] == 4,
        "unexpected public key encoding"
    );
    let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
    let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
    // RFC 7638: the members in lexicographic order, no whitespace.
    let thumbprint_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, thumbprint_input.as_bytes()));
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig", "alg": "ES256"});
    sqlx::query(
        "INSERT INTO provider_keys (kid, algorithm, private_key, public_jwk, created_at)
         VALUES ($1, 'ES256', $2, $3, $4)",
    )
    .bind(&kid)
    .bind(STANDARD.encode(pkcs8.as_ref()))
    .bind(jwk.to_string())
    .bind(now_ms())
    .execute(&mut *conn)
    .await
    .context("cannot store the signing key")?;
    Ok(kid)
}

/// Makes a key unless one is in use (first start).
pub async fn ensure(db: &Db) -> anyhow::Result<()> {
    let mut conn = db.acquire().await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM provider_keys WHERE retired_at IS NULL")
            .fetch_one(&mut *conn)
            .await?;
    if current == 0 {
        let kid = generate(&mut conn).await?;
        tracing::info!(%kid, "generated the embedded provider's signing key");
    }
    Ok(())
}

/// Retires the signing key(s) in use and makes a new one; returns the new `kid`.
pub async fn rotate(db: &Db) -> anyhow::Result<String> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE provider_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let kid = generate(&mut tx).await?;
    tx.commit().await?;
    Ok(kid)
}

/// The newest key in use.
pub async fn current(conn: &mut AnyConnection) -> anyhow::Result<SigningKey> {
    let row = sqlx::query(
        "SELECT kid, private_key FROM provider_keys WHERE retired_at IS NULL
         ORDER BY created_at DESC, kid LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    .context("the embedded provider has no signing key")?;
    let kid: String = row.try_get("kid")?;
    let private: String = row.try_get("private_key")?;
    let der = STANDARD
        .decode(private)
        .context("a stored signing key is not base64")?;
    Ok(SigningKey {
        kid,
        encoding: EncodingKey::from_ec_der(&der),
        nonce_key: nonce_key(&der)?,
    })
}

/// The public keys to publish: those in use and those retired recently.
pub async fn public_jwks(db: &Db) -> sqlx::Result<Vec<Value>> {
    jwks_retired_after(db, now_ms() - RETIRED_KEY_PUBLISHED_MS).await
}

/// Every public key ever used: a logout's `id_token_hint` may be old.
pub async fn all_public_jwks(db: &Db) -> sqlx::Result<Vec<Value>> {
    jwks_retired_after(db, 0).await
}

async fn jwks_retired_after(db: &Db, retired_after: i64) -> sqlx::Result<Vec<Value>> {
    let mut conn = db.acquire().await?;
    let rows = sqlx::query(
        "SELECT public_jwk FROM provider_keys WHERE retired_at IS NULL OR retired_at > $1
         ORDER BY created_at DESC",
    )
    .bind(retired_after)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let text: String = row.try_get("public_jwk")?;
            serde_json::from_str(&text).map_err(|err| sqlx::Error::ColumnDecode {
                index: "public_jwk".into(),
                source: Box::new(err),
            })
        })
        .collect()
}

//! The server's VAPID key pair (RFC 8292): made on first start and kept in the database,
//! so every instance signs with the key browsers subscribed with.

use anyhow::Context;
use aws_lc_rs::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine as _,
};
use db::{clock::now_ms, Db};
use jsonwebtoken::EncodingKey;

use crate::store::push;

/// The VAPID key: its public half for browsers, its private half to sign with.
#[derive(Clone)]
pub struct VapidKey {
    /// Base64url of the uncompressed P-256 point: `applicationServerKey`, and `k=`.
    pub public_key: String,
    signing: EncodingKey,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    fn from_stored(private_key: &str) -> anyhow::Result<VapidKey> {
        let der = STANDARD
            .decode(private_key)
            .context("the stored VAPID key is not base64")?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|err| anyhow::anyhow!("the stored VAPID key is not a P-256 key: {err}"))?;
        Ok(VapidKey {
            public_key: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            signing: EncodingKey::from_ec_der(&der),
        })
    }

    pub fn signing(&self) -> &EncodingKey {
        &self.signing
    }
}

/// The stored key, made (once, whichever instance is first) when there is none.
pub async fn ensure(db: &Db) -> anyhow::Result<VapidKey> {
    let mut conn = db.acquire().await?;
    if let Some((private_key, _)) = push::vapid_key(&mut conn).await? {
        return VapidKey::from_stored(&private_key);
    }
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("could not make a VAPID key"))?;
    let private_key = STANDARD.encode(pkcs8.as_ref());
    let made = VapidKey::from_stored(&private_key)?;
    push::add_vapid_key(&mut conn, &private_key, &made.public_key, now_ms()).await?;
    // Another instance may have stored its own a moment before: use what is stored.
    let (stored, _) = push::vapid_key(&mut conn)
        .await?
        .context("the VAPID key vanished after it was stored")?;
    VapidKey::from_stored(&stored)
}

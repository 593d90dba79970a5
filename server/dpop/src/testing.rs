//! A DPoP client's key for tests (feature `testing`): makes proofs, good or deliberately
//! wrong, as a browser's WebCrypto key would.

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{encode, jwk::Jwk, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::access_token_hash;

/// A P-256 key pair and its public JWK.
pub struct ProofKey {
    encoding: EncodingKey,
    pub jwk: Value,
}

impl ProofKey {
    pub fn generate() -> ProofKey {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("the key loads");
        // An uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        ProofKey {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({
                "kty": "EC", "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
        }
    }

    /// The key's JWK SHA-256 thumbprint, as tokens bind to it (`cnf.jkt`, `dpop_jkt`).
    pub fn jkt(&self) -> String {
        serde_json::from_value::<Jwk>(self.jwk.clone())
            .expect("a JWK")
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .expect("a thumbprint")
    }

    /// The claims of a fresh proof for `method` and `url` at `now` (Unix seconds), with
    /// `ath` when a token goes with it.
    pub fn claims(method: &str, url: &str, token: Option<&str>, now: i64) -> Value {
        let mut claims = json!({
            "htm": method, "htu": url, "iat": now,
            "jti": uuid_like(),
        });
        if let Some(token) = token {
            claims["ath"] = access_token_hash(token).into();
        }
        claims
    }

    /// A good proof for `method` and `url`, now.
    pub fn proof(&self, method: &str, url: &str, token: Option<&str>) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        self.sign(|_| {}, &ProofKey::claims(method, url, token, now))
    }

    /// `claims` signed by this key under a `dpop+jwt` header with its JWK, after
    /// `header` changed what it wants to.
    pub fn sign(&self, header: impl FnOnce(&mut Header), claims: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.typ = Some("dpop+jwt".into());
        h.jwk = Some(serde_json::from_value(self.jwk.clone()).expect("a JWK"));
        header(&mut h);
        encode(&h, claims, &self.encoding).expect("a signed proof")
    }
}

/// `proof` with its header replaced by `header`: the signature no longer matches, or
/// means nothing.
pub fn with_header(proof: &str, header: &Value) -> String {
    let rest = proof.split_once('.').expect("a JWS").1;
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

/// `claims` under `header` with no signature at all (`alg: none`).
pub fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// 128 random bits, base64url: a `jti`.
fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
    URL_SAFE_NO_PAD.encode(bytes)
}

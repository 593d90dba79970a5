//! DPoP proofs (RFC 9449 §4.3): the checks the embedded provider's token endpoint and the
//! API make on a `DPoP` header before a sender-constrained token is issued or accepted.
//!
//! The signature is checked by `jsonwebtoken` (aws-lc-rs), as for access tokens; this
//! crate adds what a proof is: its own public key in the header and only that, the
//! request it was made for, its age, and the token it goes with. Whether a `jti` was seen
//! before is the caller's to know (the provider asks the database, the API its memory):
//! [`Proof::replay_key`] is what they remember.

use aws_lc_rs::digest::{digest, SHA256};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{
    decode,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, ThumbprintHash},
    Algorithm, DecodingKey, Header, Validation,
};
use serde::Deserialize;

/// The one algorithm accepted and advertised (`dpop_signing_alg_values_supported`,
/// `algs` in challenges): ES256 is what WebCrypto and every DPoP client can make.
pub const ALGORITHMS: &str = "ES256";
/// Longer proofs are refused before parsing (a real one is under 1 KB).
pub const MAX_PROOF_BYTES: usize = 4 * 1024;
/// Oldest proof accepted, by its `iat`: proofs are made per request, so seconds would
/// do, but phones' clocks drift.
pub const MAX_AGE_SECS: i64 = 120;
/// How far ahead of our clock a proof's `iat` may be.
pub const FUTURE_LEEWAY_SECS: i64 = 60;
/// Longest `jti` kept (RFC 9449 asks for 96 bits of randomness; a UUID is 36 chars).
const MAX_JTI_BYTES: usize = 128;

/// Members that only a private or symmetric JWK has (RFC 7518 §6).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

/// What the proof must match: the request that carries it.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The request's method, e.g. `POST`.
    pub method: &'a str,
    /// The request's URL as the client addressed it; query and fragment are ignored.
    pub url: &'a str,
    /// The access token sent with the proof, whose hash the proof's `ath` must be.
    /// `None` at the token endpoint, where there is none yet.
    pub access_token: Option<&'a str>,
    /// The server nonces the proof may carry (RFC 9449 §8); empty: none is required.
    pub nonces: &'a [String],
    /// Unix seconds.
    pub now: i64,
}

/// A proof that passed every check but replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The JWK SHA-256 thumbprint of the proof's key (RFC 7638): what tokens bind to
    /// (`cnf.jkt`).
    pub jkt: String,
    pub jti: String,
    /// Unix seconds.
    pub iat: i64,
}

impl Proof {
    /// What a replay cache remembers: the `jti` is unique per key, so both are hashed.
    pub fn replay_key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        key.copy_from_slice(
            digest(&SHA256, format!("{}.{}", self.jkt, self.jti).as_bytes()).as_ref(),
        );
        key
    }

    /// Until when (Unix seconds) a replay must be recognised: past it, the `iat` check
    /// refuses the proof anyway.
    pub fn remember_until(&self) -> i64 {
        self.iat
            .saturating_add(MAX_AGE_SECS)
            .saturating_add(FUTURE_LEEWAY_SECS)
    }
}

/// Why a proof was refused: for the operator's log. The client gets
/// `invalid_dpop_proof` (or `use_dpop_nonce`) whatever the check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the proof is longer than {MAX_PROOF_BYTES} bytes")]
    TooLong,
    #[error("not a compact JWS")]
    NotAJws,
    #[error("unreadable header: {0}")]
    Header(String),
    #[error("typ is not dpop+jwt")]
    WrongType,
    #[error("algorithm {0} is not {ALGORITHMS}")]
    AlgorithmNotAllowed(String),
    #[error("the header has no jwk")]
    MissingJwk,
    #[error("the jwk is a private or symmetric key")]
    PrivateKey,
    #[error("the jwk is not a P-256 public key")]
    WrongKey,
    #[error("the header has critical extensions")]
    UnknownCritical,
    #[error("signature or claims rejected: {0}")]
    Rejected(String),
    #[error("htm {0:?} is not the request's method")]
    WrongMethod(String),
    #[error("htu {0:?} is not the request's URL")]
    WrongUrl(String),
    #[error("iat is more than {MAX_AGE_SECS} s old")]
    Stale,
    #[error("iat is in the future")]
    FromTheFuture,
    #[error("jti is empty or too long")]
    BadJti,
    #[error("ath is missing")]
    MissingAth,
    #[error("ath is not the hash of the access token")]
    WrongAth,
    #[error("the proof lacks the server's current nonce")]
    WrongNonce,
}

impl ProofError {
    /// The OAuth error code (RFC 9449 §8 and §9): a missing or stale nonce is
    /// `use_dpop_nonce`, any other failure `invalid_dpop_proof`.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::WrongNonce => "use_dpop_nonce",
            _ => "invalid_dpop_proof",
        }
    }
}

#[derive(Deserialize)]
struct ProofClaims {
    htm: String,
    htu: String,
    /// RFC 7519 NumericDate: fractions are allowed.
    iat: f64,
    jti: String,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Checks a proof against the request that carries it (RFC 9449 §4.3, steps 1–11 but
/// the replay check).
pub fn verify(proof: &str, expected: &Expected<'_>) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::TooLong);
    }
    let mut parts = proof.split('.');
    let (Some(raw_header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::NotAJws);
    };
    let header = header_of(raw_header)?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(ProofError::WrongType);
    }
    if header.alg != Algorithm::ES256 {
        return Err(ProofError::AlgorithmNotAllowed(format!("{:?}", header.alg)));
    }
    if header.crit.is_some() {
        return Err(ProofError::UnknownCritical);
    }
    let jwk = header.jwk.ok_or(ProofError::MissingJwk)?;
    let key = p256_key(&jwk)?;
    let mut validation = Validation::new(Algorithm::ES256);
    // A proof has no exp, aud or iss: its freshness is `iat`, checked below.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|err| ProofError::Rejected(err.to_string()))?
        .claims;

    if claims.htm != expected.method {
        return Err(ProofError::WrongMethod(claims.htm));
    }
    if !same_target(&claims.htu, expected.url) {
        return Err(ProofError::WrongUrl(claims.htu));
    }
    let iat = claims.iat.floor() as i64;
    if iat < expected.now.saturating_sub(MAX_AGE_SECS) {
        return Err(ProofError::Stale);
    }
    if iat > expected.now.saturating_add(FUTURE_LEEWAY_SECS) {
        return Err(ProofError::FromTheFuture);
    }
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
        return Err(ProofError::BadJti);
    }
    if let Some(token) = expected.access_token {
        let ath = claims.ath.as_deref().ok_or(ProofError::MissingAth)?;
        // Both sides are public (a hash of what the caller sent): no timing concern.
        if ath != access_token_hash(token) {
            return Err(ProofError::WrongAth);
        }
    }
    if !expected.nonces.is_empty()
        && !claims
            .nonce
            .as_ref()
            .is_some_and(|nonce| expected.nonces.contains(nonce))
    {
        return Err(ProofError::WrongNonce);
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| ProofError::WrongKey)?;
    Ok(Proof {
        jkt,
        jti: claims.jti,
        iat,
    })
}

/// `ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, token.as_bytes()))
}

/// Whether `value` can be a SHA-256 JWK thumbprint (`dpop_jkt`, `cnf.jkt`):
/// 43 base64url characters.
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The proof's header, read once. jsonwebtoken's JWK type has no private members, so a
/// private key in the header would pass unnoticed: they are looked for in the JSON first.
fn header_of(raw_header: &str) -> Result<Header, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw_header)
        .map_err(|err| ProofError::Header(err.to_string()))?;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|err| ProofError::Header(err.to_string()))?;
    let Some(jwk) = header.get("jwk").and_then(serde_json::Value::as_object) else {
        return Err(ProofError::MissingJwk);
    };
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| jwk.contains_key(*member))
    {
        return Err(ProofError::PrivateKey);
    }
    serde_json::from_value(header).map_err(|err| ProofError::Header(err.to_string()))
}

fn p256_key(jwk: &Jwk) -> Result<DecodingKey, ProofError> {
    match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
            DecodingKey::from_jwk(jwk).map_err(|_| ProofError::WrongKey)
        }
        _ => Err(ProofError::WrongKey),
    }
}

/// `htu` against the request's URL with syntax-based normalisation (RFC 3986 §6.2.2–3,
/// as `url` parses): scheme, host, port and path; query and fragment are ignored.
fn same_target(htu: &str, expected: &str) -> bool {
    let (Ok(htu), Ok(expected)) = (url::Url::parse(htu), url::Url::parse(expected)) else {
        return false;
    };
    htu.scheme() == expected.scheme()
        && htu.host_str() == expected.host_str()
        && htu.port_or_known_default() == expected.port_or_known_default()
        && htu.path() == expected.path()
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests {
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::{json, Value};

    use super::{
        testing::{self, ProofKey},
        *,
    };

    const URL: &str = "https://time.example.com/api/entries";
    const NOW: i64 = 1_800_000_000;

    fn key() -> ProofKey {
        ProofKey::generate()
    }

    fn proof_with(key: &ProofKey, header: impl FnOnce(&mut Header), claims: Value) -> String {
        key.sign(header, &claims)
    }

    fn claims() -> Value {
        json!({"htm": "GET", "htu": URL, "iat": NOW, "jti": "e1j3V_bKic8-LAEB",
               "ath": access_token_hash("the.token.itself")})
    }

    fn expected() -> Expected<'static> {
        Expected {
            method: "GET",
            url: URL,
            access_token: Some("the.token.itself"),
            nonces: &[],
            now: NOW,
        }
    }

    #[test]
    fn a_good_proof_gives_its_keys_thumbprint() {
        let key = key();
        let proof = verify(&proof_with(&key, |_| {}, claims()), &expected()).expect("valid");
        let jwk: Jwk = serde_json::from_value(key.jwk.clone()).expect("a jwk");
        assert_eq!(
            proof.jkt,
            jwk.thumbprint(ThumbprintHash::SHA256).expect("thumbprint")
        );
        assert!(is_thumbprint(&proof.jkt));
        assert_eq!(proof.jti, "e1j3V_bKic8-LAEB");
        assert_eq!(
            proof.remember_until(),
            NOW + MAX_AGE_SECS + FUTURE_LEEWAY_SECS
        );
    }

    #[test]
    fn the_url_is_compared_normalised_and_without_its_query() {
        let key = key();
        for htu in [
            "https://TIME.example.com:443/api/entries",
            "https://time.example.com/api/entries?week=2026-W49#x",
        ] {
            let mut c = claims();
            c["htu"] = htu.into();
            assert!(
                verify(&proof_with(&key, |_| {}, c), &expected()).is_ok(),
                "{htu}"
            );
        }
        for htu in [
            "http://time.example.com/api/entries",
            "https://time.example.com:8443/api/entries",
            "https://other.example.com/api/entries",
            "https://time.example.com/api/entries/1",
            "not a url",
        ] {
            let mut c = claims();
            c["htu"] = htu.into();
            assert!(
                matches!(
                    verify(&proof_with(&key, |_| {}, c), &expected()),
                    Err(ProofError::WrongUrl(_))
                ),
                "{htu}"
            );
        }
    }

    #[test]
    fn each_claim_is_checked() {
        let key = key();
        let refused = |change: &dyn Fn(&mut Value)| {
            let mut c = claims();
            change(&mut c);
            verify(&proof_with(&key, |_| {}, c), &expected()).expect_err("refused")
        };
        assert!(matches!(
            refused(&|c| c["htm"] = "POST".into()),
            ProofError::WrongMethod(_)
        ));
        assert_eq!(
            refused(&|c| c["iat"] = (NOW - MAX_AGE_SECS - 1).into()),
            ProofError::Stale
        );
        assert_eq!(
            refused(&|c| c["iat"] = (NOW + FUTURE_LEEWAY_SECS + 1).into()),
            ProofError::FromTheFuture
        );
        assert_eq!(refused(&|c| c["jti"] = "".into()), ProofError::BadJti);
        assert_eq!(
            refused(&|c| c["ath"] = access_token_hash("another.token.x").into()),
            ProofError::WrongAth
        );
        assert_eq!(
            refused(&|c| {
                c.as_object_mut().expect("object").remove("ath");
            }),
            ProofError::MissingAth
        );
        assert!(matches!(
            refused(&|c| {
                c.as_object_mut().expect("object").remove("jti");
            }),
            ProofError::Rejected(_)
        ));
    }

    #[test]
    fn the_header_must_be_a_dpop_proof_with_a_public_p256_key() {
        let key = key();
        let refused = |header: &dyn Fn(&mut Header)| {
            verify(&proof_with(&key, header, claims()), &expected()).expect_err("refused")
        };
        assert_eq!(
            refused(&|h| h.typ = Some("JWT".into())),
            ProofError::WrongType
        );
        assert_eq!(refused(&|h| h.jwk = None), ProofError::MissingJwk);
        assert_eq!(
            refused(&|h| h.crit = Some(vec!["exp".into()])),
            ProofError::UnknownCritical
        );
        // A private key in the header, signed by that key: refused for what it shows.
        let mut private = key.jwk.clone();
        private["d"] = "c2VjcmV0".into();
        let raw_header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private});
        let forged = testing::with_header(&proof_with(&key, |_| {}, claims()), &raw_header);
        assert_eq!(
            verify(&forged, &expected()).expect_err("refused"),
            ProofError::PrivateKey
        );
    }

    #[test]
    fn none_and_hmac_proofs_are_refused() {
        let key = key();
        for alg in ["none", "HS256"] {
            let header = json!({"typ": "dpop+jwt", "alg": alg, "jwk": key.jwk});
            let forged = testing::unsigned(&header, &claims());
            assert!(verify(&forged, &expected()).is_err(), "{alg}");
        }
        let hmac = encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"k"),
        )
        .expect("signed");
        assert!(verify(&hmac, &expected()).is_err());
    }

    #[test]
    fn a_signature_by_another_key_is_refused() {
        let (signer, shown) = (key(), key());
        let shown_jwk = shown.jwk.clone();
        let proof = signer.sign(
            |h| h.jwk = Some(serde_json::from_value(shown_jwk).expect("a jwk")),
            &claims(),
        );
        assert!(matches!(
            verify(&proof, &expected()),
            Err(ProofError::Rejected(_))
        ));
    }

    #[test]
    fn a_required_nonce_must_be_the_servers() {
        let key = key();
        let nonces = ["n-2".to_owned(), "n-1".to_owned()];
        let mut with_nonce = expected();
        with_nonce.nonces = &nonces;
        let err = verify(&proof_with(&key, |_| {}, claims()), &with_nonce).expect_err("no nonce");
        assert_eq!(err.code(), "use_dpop_nonce");
        let mut c = claims();
        c["nonce"] = "n-0".into();
        let err = verify(&proof_with(&key, |_| {}, c), &with_nonce).expect_err("an old nonce");
        assert_eq!(err.code(), "use_dpop_nonce");
        let mut c = claims();
        c["nonce"] = "n-1".into();
        assert!(verify(&proof_with(&key, |_| {}, c), &with_nonce).is_ok());
    }

    #[test]
    fn replay_keys_differ_by_key_and_jti() {
        let a = Proof {
            jkt: "a".repeat(43),
            jti: "1".into(),
            iat: NOW,
        };
        let mut b = a.clone();
        b.jti = "2".into();
        let mut c = a.clone();
        c.jkt = "b".repeat(43);
        assert_ne!(a.replay_key(), b.replay_key());
        assert_ne!(a.replay_key(), c.replay_key());
        assert_eq!(a.replay_key(), a.clone().replay_key());
    }
}

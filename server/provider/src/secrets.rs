//! Random tokens and the hashes we keep instead of secrets. Audited primitives only:
//! aws-lc-rs for randomness, SHA-256 and constant-time comparison; argon2id (RustCrypto)
//! for passwords and client secrets.

use std::{sync::LazyLock, time::Duration};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use aws_lc_rs::{constant_time, digest, rand::SecureRandom};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// 256 random bits, base64url: codes, refresh tokens, session ids, CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // The system's CSPRNG failing is not something to carry on from.
    aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random number generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, base64url: how random tokens are stored (a leaked table grants nothing).
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// PKCE S256 (RFC 7636 §4.6): whether `verifier` is a well-formed code verifier whose
/// SHA-256 is `challenge`. Compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    well_formed
        && constant_time::verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
}

/// Whether two secrets are equal, in constant time.
pub fn same(a: &str, b: &str) -> bool {
    constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// An argon2id hash (PHC string, default OWASP parameters) of a password or client secret.
pub fn hash_secret(secret: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("cannot hash the secret: {err}"))
}

/// Whether `secret` matches the stored hash. Without a stored hash (unknown account) it
/// still spends the time of one check, so timing does not reveal which emails exist.
pub fn verify_secret(secret: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_secret("no account has this password").unwrap_or_default());
    let (hash, real) = match stored {
        Some(hash) => (hash, true),
        None => (DUMMY.as_str(), false),
    };
    let matches = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    real && matches
}

/// All argon2 checks in flight at once may not use more than this many threads: each
/// takes ~19 MiB and tens of milliseconds, so a flood of logins must queue, not exhaust
/// memory.
static CHECKS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores)
});

/// The server is too busy checking secrets right now; the caller should answer 503.
#[derive(Debug)]
pub struct Busy;

/// [`verify_secret`] on a blocking thread, at most one per core at a time; `Busy` when no
/// check could start within a few seconds.
pub async fn verify_secret_bounded(secret: String, stored: Option<String>) -> Result<bool, Busy> {
    let permit = tokio::time::timeout(Duration::from_secs(5), CHECKS.acquire())
        .await
        .map_err(|_| Busy)?
        .map_err(|_| Busy)?;
    let matches = tokio::task::spawn_blocking(move || verify_secret(&secret, stored.as_deref()))
        .await
        .unwrap_or(false);
    drop(permit);
    Ok(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(challenge, challenge));
        assert!(!pkce_matches("short", challenge));
    }

    #[test]
    fn secrets_verify_against_their_hash_only() {
        let hash = hash_secret("correct horse").expect("hashed");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse", Some(&hash)));
        assert!(!verify_secret("wrong horse", Some(&hash)));
        assert!(!verify_secret("correct horse", None));
    }
}

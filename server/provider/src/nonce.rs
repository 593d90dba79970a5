//! Server nonces for DPoP proofs at the token endpoint (RFC 9449 §8), when
//! `PROVIDER_DPOP_NONCE` is on. Stateless: a nonce is the HMAC of a five-minute window
//! under a key every instance derives from the signing key, so any instance hands out and
//! accepts the same ones without storing them; the current and the previous window count.

use aws_lc_rs::hmac;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

const WINDOW_SECS: i64 = 300;

fn for_window(key: &hmac::Key, window: i64) -> String {
    URL_SAFE_NO_PAD.encode(hmac::sign(key, &window.to_be_bytes()))
}

/// The nonce to hand out at `now` (Unix seconds).
pub fn current(key: &hmac::Key, now: i64) -> String {
    for_window(key, now.div_euclid(WINDOW_SECS))
}

/// The nonces a proof may carry at `now`: this window's and the previous one's, so a
/// nonce handed out just before a window ends still works.
pub fn accepted(key: &hmac::Key, now: i64) -> [String; 2] {
    let window = now.div_euclid(WINDOW_SECS);
    [for_window(key, window), for_window(key, window - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &[byte; 32])
    }

    #[test]
    fn a_nonce_is_accepted_for_its_window_and_the_next_only() {
        let start = 1_800_000_000 - 1_800_000_000 % WINDOW_SECS;
        let handed = current(&key(1), start + 10);
        assert!(accepted(&key(1), start + WINDOW_SECS - 1).contains(&handed));
        assert!(accepted(&key(1), start + WINDOW_SECS + 10).contains(&handed));
        assert!(!accepted(&key(1), start + 2 * WINDOW_SECS).contains(&handed));
        assert!(
            !accepted(&key(2), start + 10).contains(&handed),
            "another key"
        );
    }
}

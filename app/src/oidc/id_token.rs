//! The ID token checks of OpenID Connect Core §3.1.3.7 that need no crypto, and the
//! profile shown from its claims. The browser verifies the signature (WebCrypto, see
//! `browser::webcrypto`) over the parts [`CompactJws::parse`] returns, then these claims;
//! both halves are plain functions so they are unit-tested natively.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};

/// Why an ID token was refused. The message is shown to the user on the sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token is signed with {0}, which this app does not accept")]
    Algorithm(String),
    #[error("the ID token's signing key is not in the provider's key set")]
    UnknownKey,
    #[error("the ID token's signature is not valid")]
    Signature,
    #[error("the ID token was issued by {found}, not by {expected}")]
    Issuer { expected: String, found: String },
    #[error("the ID token is not meant for this app")]
    Audience,
    #[error("the ID token has expired; check this device's clock")]
    Expired,
    #[error("the ID token does not answer this sign-in (nonce)")]
    Nonce,
    #[error("the renewed ID token is for another user")]
    Subject,
}

/// The signature algorithms an ID token may use: RS256 and ES256, the API's default
/// allow-list (`OIDC_ALGORITHMS` changes the API's; this one is fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Rs256,
    Es256,
}

/// A compact JWS split into what signature verification needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactJws {
    pub algorithm: SigningAlgorithm,
    pub key_id: Option<String>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
    pub claims: IdTokenClaims,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

impl CompactJws {
    /// Splits and decodes a token; refuses anything but three base64url parts, an
    /// algorithm outside the allow-list (`none` and HMAC included) and unknown `crit`.
    pub fn parse(token: &str) -> Result<CompactJws, IdTokenError> {
        // `header.payload` is what the signature covers.
        let (signing_input, signature) = token.rsplit_once('.').ok_or(IdTokenError::Malformed)?;
        let (header, payload) = signing_input
            .split_once('.')
            .filter(|(_, payload)| !payload.contains('.'))
            .ok_or(IdTokenError::Malformed)?;
        let header: Header = decode_json(header)?;
        let algorithm = match header.alg.as_str() {
            "RS256" => SigningAlgorithm::Rs256,
            "ES256" => SigningAlgorithm::Es256,
            other => return Err(IdTokenError::Algorithm(other.to_owned())),
        };
        if header.crit.is_some() {
            return Err(IdTokenError::Malformed);
        }
        let claims = decode_json(payload)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| IdTokenError::Malformed)?;
        Ok(CompactJws {
            algorithm,
            key_id: header.kid,
            signing_input: signing_input.to_owned(),
            signature,
            claims,
        })
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed)
}

/// `aud` is one string or an array of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(aud) => aud == client_id,
            Audience::Many(auds) => auds.iter().any(|aud| aud == client_id),
        }
    }

    fn is_many(&self) -> bool {
        matches!(self, Audience::Many(auds) if auds.len() > 1)
    }
}

/// The claims this app reads from an ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    #[serde(default)]
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
}

/// What an ID token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with the authorization request; `None` for a renewed token,
    /// which answers no request of ours.
    pub nonce: Option<&'a str>,
    /// For a renewed token: the subject of the sign-in it renews.
    pub subject: Option<&'a str>,
    pub now_secs: i64,
    /// Clock skew allowed between this device and the provider.
    pub leeway_secs: i64,
}

impl IdTokenClaims {
    /// The claim checks of OIDC Core §3.1.3.7 (and §12.2 for renewed tokens).
    pub fn check(&self, expected: Expected<'_>) -> Result<(), IdTokenError> {
        if self.iss != expected.issuer {
            return Err(IdTokenError::Issuer {
                expected: expected.issuer.to_owned(),
                found: self.iss.clone(),
            });
        }
        if !self.aud.contains(expected.client_id) {
            return Err(IdTokenError::Audience);
        }
        // With several audiences the authorized party must be us.
        if (self.aud.is_many() || self.azp.is_some())
            && self.azp.as_deref() != Some(expected.client_id)
        {
            return Err(IdTokenError::Audience);
        }
        if self.exp + expected.leeway_secs <= expected.now_secs {
            return Err(IdTokenError::Expired);
        }
        if let Some(nonce) = expected.nonce {
            if self.nonce.as_deref() != Some(nonce) {
                return Err(IdTokenError::Nonce);
            }
        }
        if let Some(subject) = expected.subject {
            if self.sub != subject {
                return Err(IdTokenError::Subject);
            }
        }
        Ok(())
    }

    pub fn profile(&self) -> Profile {
        Profile {
            subject: self.sub.clone(),
            name: self.name.clone().filter(|name| !name.trim().is_empty()),
            email: self.email.clone().filter(|email| !email.is_empty()),
            // Only web pictures: a `javascript:` or `data:` URL from a provider is not shown.
            picture: self
                .picture
                .clone()
                .filter(|url| url.starts_with("https://") || url.starts_with("http://")),
        }
    }
}

/// Who is signed in, as the ID token says: for display only (the API identifies people by
/// their access token's `iss` and `sub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

impl Profile {
    /// The name to greet with: the name, else the email, else "you".
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or("you")
    }

    /// Up to two letters for an avatar without a picture: first and last word of the
    /// name, else the email's first letter.
    pub fn initials(&self) -> String {
        let from_name = self.name.as_deref().map(|name| {
            let mut words = name.split_whitespace();
            let first = words.next().and_then(|word| word.chars().next());
            let last = words.last().and_then(|word| word.chars().next());
            first.into_iter().chain(last).collect::<String>()
        });
        let initials = from_name
            .filter(|initials| !initials.is_empty())
            .or_else(|| {
                self.email
                    .as_deref()
                    .and_then(|email| email.chars().next())
                    .map(String::from)
            })
            .unwrap_or_else(|| "?".to_owned());
        crate::browser::uppercase(&initials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), b64("sig"))
    }

    const CLAIMS: &str = r#"{"iss":"https://id.example","sub":"u1","aud":"pwa","exp":2000,"iat":1000,"nonce":"n1","name":"Emma Employee","email":"emma@example.test"}"#;

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://id.example",
            client_id: "pwa",
            nonce: Some("n1"),
            subject: None,
            now_secs: 1500,
            leeway_secs: 30,
        }
    }

    #[test]
    fn a_well_formed_token_parses_into_signing_input_signature_and_claims() {
        let raw = token(r#"{"alg":"ES256","kid":"k1"}"#, CLAIMS);
        let jws = CompactJws::parse(&raw).expect("parses");
        assert_eq!(jws.algorithm, SigningAlgorithm::Es256);
        assert_eq!(jws.key_id.as_deref(), Some("k1"));
        assert_eq!(jws.signature, b"sig");
        assert_eq!(
            format!("{}.{}", jws.signing_input, b64("sig")),
            raw,
            "the signing input is exactly header.payload"
        );
        assert_eq!(jws.claims.sub, "u1");
        assert_eq!(jws.claims.check(expected()), Ok(()));
    }

    #[test]
    fn algorithms_outside_the_allow_list_are_refused() {
        for alg in ["none", "None", "HS256", "RS384", "PS256", "EdDSA"] {
            let raw = token(&format!(r#"{{"alg":"{alg}"}}"#), CLAIMS);
            assert_eq!(
                CompactJws::parse(&raw),
                Err(IdTokenError::Algorithm(alg.to_owned()))
            );
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = token(r#"{"alg":"RS256"}"#, CLAIMS);
        for raw in [
            String::new(),
            "a.b".to_owned(),
            format!("{good}.extra"),
            format!("{}.{}.!!", b64(r#"{"alg":"RS256"}"#), b64(CLAIMS)),
            token(r#"{"alg":"RS256","crit":["exp"]}"#, CLAIMS),
            token(r#"{"alg":"RS256"}"#, r#"{"iss":"x"}"#),
            token("not json", CLAIMS),
        ] {
            assert_eq!(
                CompactJws::parse(&raw),
                Err(IdTokenError::Malformed),
                "{raw}"
            );
        }
    }

    fn claims(json: &str) -> IdTokenClaims {
        serde_json::from_str(json).expect("claims")
    }

    #[test]
    fn issuer_audience_expiry_and_nonce_must_match() {
        let base: IdTokenClaims = claims(CLAIMS);
        let mut wrong_issuer = base.clone();
        wrong_issuer.iss = "https://id.example/".into();
        assert!(matches!(
            wrong_issuer.check(expected()),
            Err(IdTokenError::Issuer { .. })
        ));

        let mut other_app = base.clone();
        other_app.aud = Audience::One("other".into());
        assert_eq!(other_app.check(expected()), Err(IdTokenError::Audience));

        let mut expired = base.clone();
        expired.exp = 1470;
        assert_eq!(expired.check(expected()), Err(IdTokenError::Expired));
        expired.exp = 1471;
        assert_eq!(expired.check(expected()), Ok(()), "within the leeway");

        let mut replayed = base.clone();
        replayed.nonce = Some("n0".into());
        assert_eq!(replayed.check(expected()), Err(IdTokenError::Nonce));
        replayed.nonce = None;
        assert_eq!(replayed.check(expected()), Err(IdTokenError::Nonce));
    }

    #[test]
    fn several_audiences_need_us_as_the_authorized_party() {
        let mut token = claims(CLAIMS);
        token.aud = Audience::Many(vec!["pwa".into(), "api".into()]);
        assert_eq!(token.check(expected()), Err(IdTokenError::Audience));
        token.azp = Some("api".into());
        assert_eq!(token.check(expected()), Err(IdTokenError::Audience));
        token.azp = Some("pwa".into());
        assert_eq!(token.check(expected()), Ok(()));
    }

    #[test]
    fn a_renewed_token_needs_no_nonce_but_the_same_subject() {
        let mut renewed = claims(CLAIMS);
        renewed.nonce = None;
        let renewal = Expected {
            nonce: None,
            subject: Some("u1"),
            ..expected()
        };
        assert_eq!(renewed.check(renewal), Ok(()));
        renewed.sub = "u2".into();
        assert_eq!(renewed.check(renewal), Err(IdTokenError::Subject));
    }

    #[test]
    fn the_profile_shows_name_email_picture_and_initials() {
        let mut token = claims(CLAIMS);
        let profile = token.profile();
        assert_eq!(profile.display_name(), "Emma Employee");
        assert_eq!(profile.initials(), "EE");
        assert_eq!(profile.picture, None);

        token.name = Some("maria".into());
        token.picture = Some("javascript:alert(1)".into());
        let profile = token.profile();
        assert_eq!(profile.initials(), "M");
        assert_eq!(profile.picture, None, "only web pictures are shown");

        token.name = None;
        token.picture = Some("https://img.example/a.png".into());
        let profile = token.profile();
        assert_eq!(profile.display_name(), "emma@example.test");
        assert_eq!(profile.initials(), "E");
        assert_eq!(
            profile.picture.as_deref(),
            Some("https://img.example/a.png")
        );
    }
}

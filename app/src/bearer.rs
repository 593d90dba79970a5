//! Reading the access token from a request: RFC 6750 §2.1 and RFC 9449 §7.1, the
//! `Authorization` header only. Tokens in the query string or a form body are never looked
//! at, since they end up in logs and browser history.

use http::{header::AUTHORIZATION, HeaderMap};

/// How the client presents its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 6750: whoever holds it may use it.
    Bearer,
    /// RFC 9449: with a proof of the key the token is bound to.
    Dpop,
}

/// The scheme and token of the one `Authorization: Bearer|DPoP <token>` header, if there
/// is exactly one.
pub fn access_token(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    let token = token.trim_matches(' ');
    (!token.is_empty()).then_some((scheme, token))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(
                AUTHORIZATION,
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        map
    }

    #[test]
    fn the_token_is_read_whatever_the_scheme_case() {
        for value in [
            "Bearer abc.def.ghi",
            "bearer abc.def.ghi",
            "BEARER  abc.def.ghi",
        ] {
            assert_eq!(
                access_token(&headers(&[value])),
                Some((Scheme::Bearer, "abc.def.ghi")),
                "{value}"
            );
        }
    }

    #[test]
    fn anything_but_one_bearer_or_dpop_header_has_no_token() {
        for values in [
            &[][..],
            &["Basic dXNlcjpwYXNz"],
            &["Bearer"],
            &["Bearer "],
            &["Token abc"],
            &["Bearer a.b.c", "Bearer d.e.f"],
            &["DPoP "],
        ] {
            assert_eq!(access_token(&headers(values)), None, "{values:?}");
        }
    }

    #[test]
    fn a_dpop_token_is_read_with_its_scheme() {
        for value in ["DPoP abc.def.ghi", "dpop abc.def.ghi"] {
            assert_eq!(
                access_token(&headers(&[value])),
                Some((Scheme::Dpop, "abc.def.ghi"))
            );
        }
    }
}

//! Cache-Control for everything the server answers, decided in one place.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const ONE_DAY: &str = "public, max-age=86400";
const NEVER: &str = "no-store";

/// `immutable_bundle`: whether each `/pkg` file name is its content's hash. (Only this flag, not
/// the whole app state: the state would be cloned for every request.)
pub async fn set_cache_headers(
    State(immutable_bundle): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    let policy = policy_for(request.uri().path(), immutable_bundle);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        // Pages must be revalidated so a deploy shows at once; they name the hashed bundle.
        let policy = if is_html { REVALIDATE } else { policy };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

fn policy_for(path: &str, immutable_bundle: bool) -> &'static str {
    if path.starts_with("/api/")
        || path.starts_with("/oauth/")
        || path == "/healthz"
        || path == "/readyz"
    {
        NEVER
    } else if path.starts_with("/pkg/") {
        // A content hash in the name means a changed file gets a new URL.
        if immutable_bundle {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    } else if path.starts_with("/icons/") {
        ONE_DAY
    } else {
        REVALIDATE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_path_gets_its_policy() {
        let cases = [
            ("/api/timesheets", true, NEVER),
            ("/api/rpc/week", true, NEVER),
            ("/readyz", true, NEVER),
            ("/pkg/timesheets.0a1b.wasm", true, IMMUTABLE),
            ("/pkg/timesheets.wasm", false, REVALIDATE),
            ("/icons/icon-192.png", true, ONE_DAY),
            ("/manifest.webmanifest", true, REVALIDATE),
            ("/", true, REVALIDATE),
        ];
        for (path, hashed, expected) in cases {
            assert_eq!(policy_for(path, hashed), expected, "{path}");
        }
    }
}

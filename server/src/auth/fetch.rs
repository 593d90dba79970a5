//! The one way the token gate reads a document of the issuer (discovery, JWKS).

use serde::de::DeserializeOwned;

/// `GET url` as JSON; any non-2xx answer is an error.
pub async fn json<T: DeserializeOwned>(http: &reqwest::Client, url: &str) -> reqwest::Result<T> {
    http.get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)?
        .json()
        .await
}

//! `fetch` for the oauth2 crate's requests and for the provider's JSON documents.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;

use super::dpop;

/// The provider could not be reached, or answered something unreadable.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the sign-in provider ({0})")]
pub struct FetchError(String);

fn failed(err: impl std::fmt::Display) -> FetchError {
    FetchError(err.to_string())
}

/// An [`oauth2::AsyncHttpClient`] over the browser's `fetch`.
pub async fn oauth2_fetch(
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, FetchError> {
    send(&request, None).await
}

/// [`oauth2_fetch`] with a DPoP proof by the key `jkt` (RFC 9449 §5), when there is one.
/// Sent again once when the provider asks for its nonce (`use_dpop_nonce`, §8; Okta always
/// does) or refuses the proof while this device's clock is found to be off.
pub async fn oauth2_fetch_with_proof(
    jkt: Option<String>,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, FetchError> {
    let Some(jkt) = jkt else {
        return send(&request, None).await;
    };
    let uri = request.uri().to_string();
    let method = request.method().as_str().to_owned();
    let mut tries = 0;
    loop {
        tries += 1;
        let nonce = dpop::nonce_for(&uri);
        let proof = dpop::proof(&jkt, &method, &uri, None, nonce.as_deref())
            .await
            .ok_or_else(|| FetchError("this sign-in's key is gone from the browser".into()))?;
        let response = send(&request, Some(proof)).await?;
        let new_nonce = response
            .headers()
            .get("dpop-nonce")
            .and_then(|value| value.to_str().ok())
            .filter(|value| Some(*value) != nonce.as_deref())
            .map(str::to_owned);
        if let Some(value) = &new_nonce {
            dpop::keep_nonce(&uri, value);
        }
        if tries > 1 || response.status() != http::StatusCode::BAD_REQUEST {
            return Ok(response);
        }
        let again = match oauth_error(response.body()).as_deref() {
            Some("use_dpop_nonce") => new_nonce.is_some(),
            Some("invalid_dpop_proof") => dpop::sync_clock().await,
            _ => false,
        };
        if !again {
            return Ok(response);
        }
    }
}

/// The `error` of an OAuth error answer.
fn oauth_error(body: &[u8]) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(answer.get("error")?.as_str()?.to_owned())
}

async fn send(
    request: &oauth2::HttpRequest,
    proof: Option<String>,
) -> Result<oauth2::HttpResponse, FetchError> {
    let mut builder =
        RequestBuilder::new(&request.uri().to_string()).method(request.method().clone());
    if let Some(proof) = &proof {
        builder = builder.header("DPoP", proof);
    }
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.to_str().map_err(failed)?);
    }
    let body = request.body();
    let request = if body.is_empty() {
        builder.build()
    } else {
        builder.body(web_sys::js_sys::Uint8Array::from(body.as_slice()))
    }
    .map_err(failed)?;
    let response = request.send().await.map_err(failed)?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers().entries() {
        answer = answer.header(name, value);
    }
    answer
        .body(response.binary().await.map_err(failed)?)
        .map_err(failed)
}

/// GET a JSON document (discovery, key set).
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, FetchError> {
    let response = Request::get(url).send().await.map_err(failed)?;
    if !response.ok() {
        return Err(FetchError(format!("{url} answered {}", response.status())));
    }
    response.json().await.map_err(failed)
}

//! `fetch` for the oauth2 crate's requests and for the provider's JSON documents.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;

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
    send(request, None).await
}

/// [`oauth2_fetch`] with a DPoP proof by the key `jkt` (RFC 9449 §5), when there is one.
pub async fn oauth2_fetch_with_proof(
    jkt: Option<String>,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, FetchError> {
    let Some(jkt) = jkt else {
        return send(request, None).await;
    };
    let uri = request.uri().to_string();
    let proof = super::dpop::proof(&jkt, request.method().as_str(), &uri, None)
        .await
        .ok_or_else(|| FetchError("this sign-in's key is gone from the browser".into()))?;
    send(request, Some(proof)).await
}

async fn send(
    request: oauth2::HttpRequest,
    proof: Option<String>,
) -> Result<oauth2::HttpResponse, FetchError> {
    let (parts, body) = request.into_parts();
    let mut builder = RequestBuilder::new(&parts.uri.to_string()).method(parts.method);
    if let Some(proof) = &proof {
        builder = builder.header("DPoP", proof);
    }
    for (name, value) in &parts.headers {
        builder = builder.header(name.as_str(), value.to_str().map_err(failed)?);
    }
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

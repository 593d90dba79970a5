//! Calls from the app to the server with the signed-in user's access token (and, for a
//! DPoP-bound token, a proof per call): server functions through [`BearerClient`]
//! (`#[server(client = BearerClient)]`), REST routes through [`download_with_token`], and
//! [`authorized`] for one renewal and one retry on a 401.

use std::future::Future;

use server_fn::{
    client::{browser::BrowserClient, Client},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
};

use crate::error::AppError;

/// The browser's `fetch` client plus the access token when signed in: `Authorization:
/// Bearer <token>`, or `Authorization: DPoP <token>` with the call's `DPoP` proof.
pub struct BearerClient;

impl<E, IS, OS> Client<E, IS, OS> for BearerClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(request: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        {
            // Signing a proof is asynchronous (WebCrypto); the browser's futures are not
            // `Send`, and need not be on its one thread.
            send_wrapper::SendWrapper::new(async move {
                let (method, url) = (request.method().to_string(), request.url());
                for (name, value) in crate::session::authorization(&method, &url)
                    .await
                    .unwrap_or_default()
                {
                    request.headers().set(name, &value);
                }
                <BrowserClient as Client<E, IS, OS>>::send(request).await
            })
        }
        #[cfg(not(feature = "hydrate"))]
        <BrowserClient as Client<E, IS, OS>>::send(request)
    }

    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<bytes::Bytes, bytes::Bytes>> + Send + 'static,
                impl futures::Sink<bytes::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// Runs `call` with a fresh access token; after a 401 renews once and retries once, and
/// after a refused DPoP proof retries once if this device's clock was found to be off.
pub async fn authorized<T, F, Fut>(call: F) -> Result<T, AppError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    #[cfg(feature = "hydrate")]
    {
        let Some(token) = crate::session::fresh_access_token().await else {
            return Err(AppError::Unauthorized);
        };
        match call().await {
            Err(AppError::Unauthorized)
                if crate::session::renew_after_unauthorized(token).await =>
            {
                call().await
            }
            Err(AppError::InvalidDpopProof) if crate::oidc::browser::dpop::sync_clock().await => {
                call().await
            }
            first => first,
        }
    }
    #[cfg(not(feature = "hydrate"))]
    call().await
}

/// One REST call with the access token (renewed and retried as [`authorized`] does):
/// the response when it is a success, else the API's error.
#[cfg(feature = "hydrate")]
async fn send_with_token(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<gloo_net::http::Response, AppError> {
    authorized(|| {
        let (path, body) = (path.to_owned(), body.clone());
        async move {
            let origin = web_sys::window()
                .and_then(|window| window.location().origin().ok())
                .unwrap_or_default();
            let headers = crate::session::authorization(method, &format!("{origin}{path}"))
                .await
                .ok_or(AppError::Unauthorized)?;
            let mut request = gloo_net::http::RequestBuilder::new(&path)
                .method(method.parse().map_err(|_| AppError::Internal)?);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let sent = match body {
                Some(body) => {
                    request
                        .header("content-type", "application/json")
                        .body(body)
                        .map_err(|_| AppError::Internal)?
                        .send()
                        .await
                }
                None => request.send().await,
            };
            let response = sent.map_err(|err| AppError::Transport {
                message: err.to_string(),
            })?;
            if response.ok() {
                return Ok(response);
            }
            // The API's errors are this same JSON type.
            Err(response
                .json::<AppError>()
                .await
                .unwrap_or(AppError::Transport {
                    message: format!("the server answered {}", response.status()),
                }))
        }
    })
    .await
}

/// A JSON REST call with the access token; `None` for an answer without a body (204).
#[cfg(feature = "hydrate")]
pub async fn call_json<T: serde::de::DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&impl serde::Serialize>,
) -> Result<Option<T>, AppError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|_| AppError::Internal)?;
    let response = send_with_token(method, path, body).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    response
        .json::<T>()
        .await
        .map(Some)
        .map_err(|err| AppError::Transport {
            message: err.to_string(),
        })
}

/// A file from a REST route with the access token (e.g. the CSV export), as its name and
/// bytes' object URL for a download link.
#[cfg(feature = "hydrate")]
pub async fn download_with_token(path: &str) -> Result<String, AppError> {
    let response = send_with_token("GET", path, None).await?;
    let body = response.binary().await.map_err(|err| AppError::Transport {
        message: err.to_string(),
    })?;
    let parts = web_sys::js_sys::Array::of1(&web_sys::js_sys::Uint8Array::from(body.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&response.headers().get("content-type").unwrap_or_default());
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| AppError::Internal)?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| AppError::Internal)
}

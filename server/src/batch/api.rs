//! The Timesheets API as a batch client sees it: an access token by client credentials
//! (the `oauth2` crate, over our reqwest client) from the issuer's discovered token
//! endpoint, uploads retried with backoff (safe: uploads are idempotent by external id),
//! and the CSV export.

use std::time::Duration;

use anyhow::{bail, Context};
use app::entries::{UploadReport, UploadRow};
use oauth2::{
    basic::{BasicClient, BasicRequestTokenError},
    ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use reqwest::StatusCode;

/// Attempts per request before giving up on 5xx answers and connection errors.
const ATTEMPTS: u32 = 5;

/// How a batch client signs in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The OpenID Connect issuer (its discovery names the token endpoint).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Sent as `audience` (Auth0 needs it to issue a token for the API).
    pub audience: Option<String>,
}

pub struct ApiClient {
    http: reqwest::Client,
    api_url: String,
    token: String,
    credentials: Option<Credentials>,
}

/// oauth2's HTTP requests, sent with our reqwest client.
async fn send_oauth(
    http: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let bytes = response.bytes().await?.to_vec();
    Ok(answer.body(bytes).unwrap_or_default())
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot create the HTTP client")
}

impl ApiClient {
    /// Signs in with client credentials.
    pub async fn sign_in(api_url: &str, credentials: Credentials) -> anyhow::Result<ApiClient> {
        let http = http_client()?;
        let token = fetch_token(&http, &credentials).await?;
        Ok(ApiClient {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token,
            credentials: Some(credentials),
        })
    }

    /// Uses an access token obtained elsewhere (e.g. a person's, for the export).
    pub fn with_token(api_url: &str, token: String) -> anyhow::Result<ApiClient> {
        Ok(ApiClient {
            http: http_client()?,
            api_url: api_url.trim_end_matches('/').to_owned(),
            token,
            credentials: None,
        })
    }

    /// Uploads rows (one request), retrying what may succeed on a second try.
    pub async fn upload(&mut self, rows: &[UploadRow]) -> anyhow::Result<UploadReport> {
        let url = format!("{}/api/timesheets/upload", self.api_url);
        let response = self
            .send_with_retries(|client| client.http.post(&url).json(rows))
            .await?;
        response
            .json()
            .await
            .context("the API's upload report is not readable")
    }

    /// `GET /api/timesheets/export` as CSV text.
    pub async fn export(&mut self, query: &[(&str, &str)]) -> anyhow::Result<String> {
        let url =
            url::Url::parse_with_params(&format!("{}/api/timesheets/export", self.api_url), query)
                .context("the API URL is not a URL")?;
        let response = self
            .send_with_retries(|client| client.http.get(url.clone()))
            .await?;
        response.text().await.context("the export did not arrive")
    }

    async fn send_with_retries(
        &mut self,
        request: impl Fn(&ApiClient) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        let mut renewed = false;
        let mut attempt = 1;
        loop {
            let sent = request(self).bearer_auth(&self.token).send().await;
            let retry = match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    // The token may have expired during a long import: one new one.
                    let Some(credentials) = &self.credentials else {
                        bail!("the API refused the access token (401): it may have expired");
                    };
                    self.token = fetch_token(&self.http, credentials).await?;
                    renewed = true;
                    continue;
                }
                Ok(response)
                    if response.status().is_server_error()
                        || response.status() == StatusCode::TOO_MANY_REQUESTS =>
                {
                    format!("the API answered {}", response.status())
                }
                Ok(response) => {
                    let status = response.status();
                    let body: serde_json::Value = response.json().await.unwrap_or_default();
                    let message = body["message"].as_str().unwrap_or("no details");
                    bail!("the API refused the request ({status}): {message}");
                }
                Err(error) if error.is_connect() || error.is_timeout() || error.is_request() => {
                    format!("cannot reach the API at {}: {error}", self.api_url)
                }
                Err(error) => return Err(error).context("the request failed"),
            };
            if attempt >= ATTEMPTS {
                bail!("{retry} (gave up after {ATTEMPTS} attempts)");
            }
            let wait = Duration::from_millis(250 * 2u64.pow(attempt));
            tracing::warn!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "{retry}; retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

async fn fetch_token(http: &reqwest::Client, credentials: &Credentials) -> anyhow::Result<String> {
    let issuer = credentials.issuer.trim_end_matches('/');
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    let metadata: serde_json::Value = http
        .get(&discovery)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("cannot reach the issuer at {discovery}"))?
        .json()
        .await
        .with_context(|| format!("{discovery} is not an OpenID configuration"))?;
    let token_url = metadata["token_endpoint"]
        .as_str()
        .with_context(|| format!("{discovery} names no token_endpoint"))?;
    let client = BasicClient::new(ClientId::new(credentials.client_id.clone()))
        .set_client_secret(ClientSecret::new(credentials.client_secret.clone()))
        .set_token_uri(
            TokenUrl::new(token_url.to_owned()).context("the token endpoint is not a URL")?,
        );
    let mut request = client
        .exchange_client_credentials()
        .add_scope(Scope::new("batch:upload".into()));
    if let Some(audience) = &credentials.audience {
        request = request.add_extra_param("audience", audience.clone());
    }
    let send = |request: HttpRequest| send_oauth(http, request);
    let token = request.request_async(&send).await.map_err(|error| match error {
        BasicRequestTokenError::ServerResponse(response) => {
            let code = response.error().to_string();
            if code == "invalid_client" {
                anyhow::anyhow!(
                    "the issuer refused the client credentials (invalid_client): check the client id and secret"
                )
            } else {
                anyhow::anyhow!(
                    "the issuer refused the token request ({code}): {}",
                    response.error_description().map_or("", String::as_str)
                )
            }
        }
        RequestTokenError::Request(error) => {
            anyhow::anyhow!("cannot reach the issuer's token endpoint {token_url}: {error}")
        }
        other => anyhow::anyhow!("the token request failed: {other}"),
    })?;
    Ok(token.access_token().secret().clone())
}

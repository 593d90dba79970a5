//! The OAuth 2.0 / OpenID Connect protocol steps of the PWA, over the `oauth2` crate:
//! the authorization request (PKCE S256, `state`, `nonce`), the callback's code exchange,
//! refresh-token renewal, revocation and RP-initiated logout. Against a provider that
//! offers DPoP, a new key is made for each sign-in and every token request carries a
//! proof by it (`dpop`), so the tokens are bound to this browser.

use gloo_storage::{SessionStorage, Storage as _};
use oauth2::{
    basic::{
        BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
        BasicTokenIntrospectionResponse, BasicTokenType,
    },
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationUrl, StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::{
    dpop,
    http::{oauth2_fetch, oauth2_fetch_with_proof},
    keys::{discovery, verify_id_token, Discovery},
};
use crate::{
    auth::ScopeSet,
    oidc::{
        callback::{
            read_callback, safe_return_path, CallbackError, CallbackOutcome, PendingSignIn,
        },
        id_token::{Expected, Profile},
        AuthConfig, CALLBACK_PATH,
    },
};

/// The tab's transient sign-in record (never a token).
const PENDING_KEY: &str = "timesheets.oidc.pending";
/// Clock skew tolerated on ID tokens.
const LEEWAY_SECS: i64 = 60;

/// The tokens of a signed-in user. Lives in memory only (and crosses to this origin's
/// other tabs over `BroadcastChannel`); never in any storage.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// Unix milliseconds.
    pub expires_at_ms: f64,
    /// How long the access token was valid when issued, in milliseconds.
    pub lifetime_ms: f64,
    /// The API's scopes the token grants (the token response's `scope`).
    pub scopes: ScopeSet,
    pub profile: Profile,
    /// The DPoP key the tokens are bound to (`token_type` DPoP), whose proofs go with
    /// every call; `None`: Bearer tokens.
    #[serde(default)]
    pub dpop_jkt: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    /// Never prints a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("scopes", &self.scopes)
            .field("subject", &self.profile.subject)
            .finish_non_exhaustive()
    }
}

/// Why signing in, or renewing, did not work; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Callback(#[from] CallbackError),
    #[error("Cannot reach the sign-in provider: {0}")]
    Unreachable(String),
    #[error("The sign-in provider's answer was refused: {0}")]
    Refused(String),
    /// The refresh token is no longer valid (`invalid_grant`): sign in again.
    #[error("Your session has ended. Please sign in again.")]
    SessionEnded,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type OidcClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointSet,
>;

fn now_ms() -> f64 {
    web_sys::js_sys::Date::now()
}

fn origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

fn refused(err: impl std::fmt::Display) -> SignInError {
    SignInError::Refused(err.to_string())
}

async fn client(config: &AuthConfig) -> Result<(OidcClient, std::rc::Rc<Discovery>), SignInError> {
    let discovery = discovery(config)
        .await
        .map_err(|err| SignInError::Unreachable(err.to_string()))?;
    let revocation = discovery
        .revocation_endpoint
        .clone()
        .map(RevocationUrl::new)
        .transpose()
        .map_err(refused)?;
    let client = oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(discovery.authorization_endpoint.clone()).map_err(refused)?)
        .set_token_uri(TokenUrl::new(discovery.token_endpoint.clone()).map_err(refused)?)
        .set_revocation_url_option(revocation)
        .set_redirect_uri(
            RedirectUrl::new(format!("{}{CALLBACK_PATH}", origin())).map_err(refused)?,
        );
    Ok((client, discovery))
}

/// Sends the browser to the provider's authorization endpoint. `silent` asks for
/// `prompt=none`: restore a live provider session without showing a page. `max_age`
/// (seconds) asks for a sign-in at most that old: a step-up before approving.
pub(crate) async fn start(
    config: &AuthConfig,
    return_to: &str,
    silent: bool,
    max_age: Option<u64>,
) -> Result<(), SignInError> {
    let (client, discovery) = client(config).await?;
    // The code is bound to the key (`dpop_jkt`, RFC 9449 §10): a new one when the person
    // signs in, the browser's newest for a silent restore or a step-up.
    let dpop_jkt = if discovery.offers_dpop() {
        let new = !silent && max_age.is_none();
        Some(
            dpop::key_for_sign_in(new)
                .await
                .ok_or_else(|| refused("this browser cannot make a signing key"))?,
        )
    } else {
        None
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.secret().clone());
    for scope in config.scopes.split_whitespace() {
        request = request.add_scope(oauth2::Scope::new(scope.to_owned()));
    }
    for (name, value) in &config.extra_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    if silent {
        request = request.add_extra_param("prompt", "none");
    }
    if let Some(max_age) = max_age {
        // A step-up: a provider session just younger than `max_age` would answer without a
        // password, and be too old a moment later at the API. Always ask.
        request = request
            .add_extra_param("max_age", max_age.to_string())
            .add_extra_param("prompt", "login");
    }
    if let Some(jkt) = &dpop_jkt {
        request = request.add_extra_param("dpop_jkt", jkt.clone());
    }
    let (url, state) = request.url();
    let pending = PendingSignIn {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to: safe_return_path(return_to),
        silent,
        started_ms: now_ms(),
        dpop_jkt,
    };
    SessionStorage::set(PENDING_KEY, &pending).map_err(refused)?;
    web_sys::window()
        .ok_or_else(|| refused("no window"))?
        .location()
        .assign(url.as_str())
        .map_err(|_| refused("cannot open the sign-in page"))
}

/// What the callback came to.
pub enum Completed {
    SignedIn {
        tokens: TokenSet,
        return_to: String,
    },
    /// A silent attempt found no provider session.
    LoginRequired {
        return_to: String,
    },
}

/// Handles `/auth/callback`: takes (and deletes) this tab's pending sign-in, checks the
/// answer, exchanges the code with the PKCE verifier and verifies the ID token.
pub(crate) async fn complete(
    config: &AuthConfig,
    query: &[(String, String)],
) -> Result<Completed, SignInError> {
    let pending: Option<PendingSignIn> = SessionStorage::get(PENDING_KEY).ok();
    // One use only: a reload or a replayed link finds nothing.
    SessionStorage::delete(PENDING_KEY);
    let (client, discovery) = client(config).await?;
    let outcome = read_callback(
        query,
        pending.as_ref(),
        &config.issuer,
        discovery.authorization_response_iss_parameter_supported,
        now_ms(),
    )?;
    let Some(pending) = pending else {
        return Err(CallbackError::NoPendingSignIn.into());
    };
    let code = match outcome {
        CallbackOutcome::LoginRequired => {
            return Ok(Completed::LoginRequired {
                return_to: pending.return_to,
            })
        }
        CallbackOutcome::Code(code) => code,
    };
    let jkt = pending.dpop_jkt.clone();
    let fetch = move |request| oauth2_fetch_with_proof(jkt.clone(), request);
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(&fetch)
        .await
        .map_err(token_error)?;
    let bound = pending.dpop_jkt.as_deref();
    let tokens = token_set(
        config,
        &discovery,
        response,
        None,
        Some(&pending.nonce),
        bound,
    )
    .await?;
    Ok(Completed::SignedIn {
        tokens,
        return_to: pending.return_to,
    })
}

/// Renews with the refresh token (the provider rotates it: the answer has a new one).
pub(crate) async fn refresh(
    config: &AuthConfig,
    current: &TokenSet,
) -> Result<TokenSet, SignInError> {
    let refresh_token = current
        .refresh_token
        .clone()
        .ok_or(SignInError::SessionEnded)?;
    // A bound refresh token is only taken with a proof by its key: without the key (another
    // tab signed out meanwhile) the session has ended.
    if let Some(jkt) = &current.dpop_jkt {
        if !dpop::has_key(jkt).await {
            return Err(SignInError::SessionEnded);
        }
    }
    let (client, discovery) = client(config).await?;
    let jkt = current.dpop_jkt.clone();
    let fetch = move |request| oauth2_fetch_with_proof(jkt.clone(), request);
    let response = client
        .exchange_refresh_token(&RefreshToken::new(refresh_token))
        .request_async(&fetch)
        .await
        .map_err(token_error)?;
    let bound = current.dpop_jkt.as_deref();
    token_set(config, &discovery, response, Some(current), None, bound).await
}

/// Revokes the refresh token (RFC 7009); best effort, sign-out goes on regardless.
pub(crate) async fn revoke(config: &AuthConfig, tokens: &TokenSet) {
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return;
    };
    let Ok((client, _)) = client(config).await else {
        return;
    };
    if let Ok(request) = client.revoke_token(StandardRevocableToken::RefreshToken(
        RefreshToken::new(refresh_token),
    )) {
        let _ = request.request_async(&oauth2_fetch).await;
    }
}

/// The provider's RP-initiated logout URL for these tokens, when it has one.
pub(crate) async fn logout_url(config: &AuthConfig, tokens: &TokenSet) -> Option<String> {
    let discovery = discovery(config).await.ok()?;
    let endpoint = discovery.end_session_endpoint.as_deref()?;
    let url = oauth2::url::Url::parse_with_params(
        endpoint,
        [
            ("id_token_hint", tokens.id_token.as_str()),
            ("post_logout_redirect_uri", &format!("{}/", origin())),
            ("client_id", config.client_id.as_str()),
        ],
    )
    .ok()?;
    Some(url.into())
}

fn token_error<E: std::error::Error>(err: RequestTokenError<E, BasicErrorResponse>) -> SignInError {
    match err {
        RequestTokenError::ServerResponse(response)
            if *response.error() == BasicErrorResponseType::InvalidGrant =>
        {
            SignInError::SessionEnded
        }
        RequestTokenError::ServerResponse(response) => SignInError::Refused(
            response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string()),
        ),
        RequestTokenError::Request(err) => SignInError::Unreachable(err.to_string()),
        other => SignInError::Refused(other.to_string()),
    }
}

/// Turns a token response into a [`TokenSet`] after verifying its ID token. A renewal
/// may come without a new ID token: the previous one is kept. `proof_key`: the DPoP key
/// the request was made with; the tokens are bound to it if the answer says `DPoP`.
async fn token_set(
    config: &AuthConfig,
    discovery: &Discovery,
    response: OidcTokenResponse,
    previous: Option<&TokenSet>,
    nonce: Option<&str>,
    proof_key: Option<&str>,
) -> Result<TokenSet, SignInError> {
    // A provider that ignored the proof sends Bearer tokens: then they are used as such.
    let dpop_jkt = match response.token_type() {
        BasicTokenType::Extension(kind) if kind.eq_ignore_ascii_case("dpop") => Some(
            proof_key
                .ok_or_else(|| refused("DPoP-bound tokens for a request without a proof"))?
                .to_owned(),
        ),
        _ => None,
    };
    // A renewal may come without a new ID token (or with the same one): keep the profile.
    let profile = match (response.extra_fields().id_token.as_deref(), previous) {
        (Some(id_token), Some(previous)) if id_token == previous.id_token => {
            previous.profile.clone()
        }
        (Some(id_token), _) => {
            let expected = Expected {
                issuer: &config.issuer,
                client_id: &config.client_id,
                nonce,
                subject: previous.map(|previous| previous.profile.subject.as_str()),
                now_secs: (now_ms() / 1000.0) as i64,
                leeway_secs: LEEWAY_SECS,
            };
            verify_id_token(discovery, id_token, expected)
                .await
                .map_err(refused)?
                .profile()
        }
        (None, Some(previous)) => previous.profile.clone(),
        (None, None) => {
            return Err(refused(
                "the answer has no ID token (is `openid` requested?)",
            ))
        }
    };
    let id_token = response
        .extra_fields()
        .id_token
        .clone()
        .or_else(|| previous.map(|previous| previous.id_token.clone()))
        .unwrap_or_default();
    // RFC 6749 §5.1: without `scope` in the answer, what was asked for was granted.
    let scopes = match response.scopes() {
        Some(scopes) => scopes
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => previous
            .map(|previous| previous.scopes.to_string())
            .unwrap_or_else(|| config.scopes.clone()),
    };
    let lifetime_ms = response
        .expires_in()
        .map_or(300_000.0, |lifetime| lifetime.as_millis() as f64);
    Ok(TokenSet {
        access_token: response.access_token().secret().clone(),
        // Rotation: the new refresh token replaces the old; a provider that does not
        // rotate sends none and the old one stays valid.
        refresh_token: response
            .refresh_token()
            .map(|token| token.secret().clone())
            .or_else(|| previous.and_then(|previous| previous.refresh_token.clone())),
        id_token,
        expires_at_ms: now_ms() + lifetime_ms,
        lifetime_ms,
        scopes: ScopeSet::from_scope_string(&scopes),
        profile,
        dpop_jkt,
    })
}

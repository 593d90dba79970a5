//! The embedded OpenID Connect provider, used when no external issuer is configured so
//! that one command runs the whole product. Its rules are in `docs/PROVIDER.md`; all of
//! its state is in the database, so instances behind a load balancer share it.

pub mod admin;
pub mod api_error;
mod authorize;
mod discovery;
mod invitation;
pub mod keys;
mod logout;
mod nonce;
mod oauth_error;
mod pages;
pub mod passkeys;
mod revoke;
pub mod roles;
pub mod secrets;
pub mod settings;
pub mod store;
mod token;
mod tokens;
mod userinfo;

use std::sync::Arc;

use axum::{
    http::{header, HeaderValue, Method},
    routing::{get, post},
    Router,
};
use axum_extra::extract::cookie::{Cookie, SameSite};
use tower_http::cors::{AllowOrigin, CorsLayer};

use app::{auth::Principal, error::AppError};
use db::{clock::now_ms, Db};

pub use self::settings::{ProviderArgs, ProviderSettings, PublicUrl};

/// How userinfo checks a request's access token: the API's own gate, passed in by the
/// server, so that both accept exactly the same tokens (Bearer, or DPoP with its proof).
#[async_trait::async_trait]
pub trait AccessTokens: Send + Sync {
    /// Who the request's token speaks for, or why it is refused.
    async fn principal(&self, request: &axum::http::request::Parts) -> Result<Principal, AppError>;
}

/// What the provider's handlers share.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    settings: ProviderSettings,
    /// The API's own gate, for userinfo's access tokens.
    verifier: Arc<dyn AccessTokens>,
    /// The WebAuthn relying party, when the public URL has a host name.
    passkeys: Option<webauthn_rs::Webauthn>,
}

impl Provider {
    pub fn new(db: Db, settings: ProviderSettings, verifier: Arc<dyn AccessTokens>) -> Provider {
        let passkeys = passkeys::relying_party(&settings.issuer);
        Provider {
            inner: Arc::new(Inner {
                db,
                settings,
                verifier,
                passkeys,
            }),
        }
    }

    /// Deletes expired provider state every 15 minutes (each instance; the deletes are
    /// idempotent), so the tables do not grow forever.
    pub fn spawn_housekeeping(&self) {
        let db = self.inner.db.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(15 * 60));
            loop {
                every.tick().await;
                let purged = match db.acquire().await {
                    Ok(mut conn) => store::purge_expired(&mut conn, now_ms()).await,
                    Err(error) => Err(error),
                };
                match purged {
                    Ok(rows) => tracing::debug!(rows, "purged expired sign-in state"),
                    Err(error) => tracing::warn!(%error, "cannot purge expired sign-in state"),
                }
            }
        });
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.inner.settings
    }

    /// The relying party for passkeys, if this address can have them.
    pub fn passkeys(&self) -> Option<&webauthn_rs::Webauthn> {
        self.inner.passkeys.as_ref()
    }

    fn issuer(&self) -> &str {
        self.inner.settings.issuer.as_str()
    }

    fn cookie_name(&self, name: &'static str) -> String {
        cookie_name(name, self.settings().issuer.is_https())
    }

    fn cookie(&self, name: &'static str, value: String, max_age_secs: i64) -> Cookie<'static> {
        cookie(name, value, max_age_secs, self.settings().issuer.is_https())
    }

    fn removal(&self, name: &'static str) -> Cookie<'static> {
        self.cookie(name, String::new(), 0)
    }
}

/// Over https cookies get `Secure` and the `__Host-` prefix (bound to this host, path `/`).
fn cookie_name(name: &'static str, https: bool) -> String {
    if https {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The provider's cookies: never readable by scripts, sent on top-level navigations from
/// other sites (the redirect back from an app) but not on their sub-requests.
fn cookie(name: &'static str, value: String, max_age_secs: i64, https: bool) -> Cookie<'static> {
    Cookie::build((cookie_name(name, https), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
}

/// Cookie holding the provider session id.
const SESSION_COOKIE: &str = "ts_session";
/// Cookie binding a pending login form to the browser that asked for it.
const LOGIN_COOKIE: &str = "ts_login";

/// The provider's endpoints. Token, revocation and userinfo answer cross-origin requests
/// from the PWA's origin only.
pub fn router<S: Clone + Send + Sync + 'static>(provider: Provider) -> Router<S> {
    let pwa_origin = HeaderValue::from_str(&provider.settings().issuer.origin()).ok();
    let cors = CorsLayer::new()
        // A list, not `exact`: other origins get no CORS header at all.
        .allow_origin(AllowOrigin::list(pwa_origin))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("dpop"),
        ])
        // A browser client reads the nonce to put in its next proof (RFC 9449 §8).
        .expose_headers([header::HeaderName::from_static("dpop-nonce")]);
    let cross_origin = Router::new()
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route(
            "/oauth/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/oauth/jwks", get(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .layer(cors);
    Router::new()
        .route(
            "/oauth/authorize",
            get(authorize::authorize).post(authorize::login),
        )
        .route("/oauth/authorize/passkey", post(passkeys::login::sign_in))
        .route(
            "/oauth/authorize/passkey/options",
            post(passkeys::login::options),
        )
        .route(
            "/oauth/authorize/passkey/enroll",
            post(passkeys::login::enroll),
        )
        .route("/oauth/passkey.js", get(passkeys::login::script))
        // Same origin as the app: no CORS.
        .route(
            "/account/passkeys",
            get(passkeys::account::list).post(passkeys::account::add),
        )
        .route(
            "/account/passkeys/options",
            post(passkeys::account::options),
        )
        .route(
            "/account/passkeys/{id}",
            axum::routing::delete(passkeys::account::remove),
        )
        .route("/oauth/logout", get(logout::logout))
        .route(
            "/oauth/invitation",
            get(invitation::show).post(invitation::set_password),
        )
        .merge(cross_origin)
        .with_state(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_cookies_are_secure_and_host_bound() {
        let secure = cookie(SESSION_COOKIE, "v".into(), 60, true).to_string();
        assert!(secure.starts_with("__Host-ts_session=v"), "{secure}");
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(secure.contains(part), "{part} in {secure}");
        }
        assert!(
            !secure.contains("Domain"),
            "__Host- cookies have no Domain: {secure}"
        );
        let plain = cookie(SESSION_COOKIE, "v".into(), 60, false).to_string();
        assert!(
            plain.starts_with("ts_session=v") && !plain.contains("Secure"),
            "{plain}"
        );
    }
}

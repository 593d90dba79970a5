//! Building and running the server, so `main` and the tests start the very same app.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use app::ports::SharedServices;

use db::Db;
use leptos::config::{Env, LeptosOptions};
use provider::{Provider, ProviderSettings, PublicUrl};
use tokio::net::TcpListener;

use crate::{
    assets::Assets,
    auth::{DpopMode, Gate, TokenVerifier},
    config::ServeArgs,
    routes,
    services::{PageCache, PushConfig, ServerServices},
    state::{AppState, AppStateInner},
};

/// Starts the reminders scheduler (it sends nothing until someone subscribes).
fn start_reminders(
    args: &ServeArgs,
    db: &Db,
    vapid: crate::push::keys::VapidKey,
    public_url: &PublicUrl,
) -> anyhow::Result<()> {
    let reminders = &args.reminders;
    let contact = reminders.push_contact.clone().unwrap_or_else(|| {
        if public_url.as_str().starts_with("https://") {
            public_url.as_str().to_owned()
        } else {
            "mailto:timesheets@localhost".to_owned()
        }
    });
    let sender = Arc::new(crate::push::sender::PushSender::new(vapid, contact)?);
    crate::push::reminders::spawn(
        db.clone(),
        sender,
        crate::push::reminders::ReminderSettings {
            week: reminders.reminder_week_at.0,
            approvals: reminders.reminder_approvals_at.0,
            every: Duration::from_secs(reminders.reminder_check_secs),
        },
    );
    Ok(())
}

/// cargo-leptos names the bundle and says whether file names carry content hashes
/// through these variables when it builds the server; the same variables at run
/// time win, as they do for Leptos itself.
const OUTPUT_NAME: &str = match option_env!("LEPTOS_OUTPUT_NAME") {
    Some(name) => name,
    None => "timesheets",
};
const HASH_FILES_AT_BUILD: Option<&str> = option_env!("LEPTOS_HASH_FILES");

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
}

impl Application {
    /// Connects and migrates the database and binds the listener; fails with a clear
    /// message on bad settings, an unreachable database or a port in use.
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        let mut db = args.database.connect().await?;
        let sqlite_claim = db.claim_for_serving()?;
        db.migrate().await?;
        // Pages are cached where every write is seen: this server's own SQLite file, or
        // PostgreSQL with the other servers' writes heard (db::watch).
        let shared = db.backend() == db::Backend::Postgres;
        let cache_pages = args.read_cache && (sqlite_claim.is_some() || shared);
        if cache_pages {
            db.watch_other_writers(&args.database.database_url)?;
        }
        let listener = TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let address = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let public_url = args
            .provider
            .public_url
            .clone()
            .unwrap_or_else(|| PublicUrl::for_address(address));
        let (verifier, gate, provider) = token_verifier(&args, &db, public_url.clone()).await?;
        let mut pwa_auth = args.oidc.pwa_auth_config(
            verifier.settings().issuer.as_str(),
            &args.provider.oidc_client_id,
        );
        pwa_auth.passkeys = provider
            .as_ref()
            .is_some_and(|provider| provider.passkeys().is_some());
        let pwa_auth = Arc::new(pwa_auth);
        let leptos_options = leptos_options(&args, address);
        let assets = Arc::new(Assets::load(&leptos_options));
        let pages = cache_pages.then(PageCache::default);
        let embedded_issuer = provider
            .as_ref()
            .map(|provider| provider.settings().issuer.to_string());
        let vapid = crate::push::keys::ensure(&db).await?;
        let server_services = ServerServices::new(db.clone(), pages, embedded_issuer)
            .with_undo_window(Duration::from_secs(args.decision_undo_secs))
            .with_approval_max_auth_age(Duration::from_secs(args.approval_max_auth_age_secs))
            .with_push(PushConfig {
                public_key: vapid.public_key.clone(),
                allow_http: args.reminders.push_allow_http,
            });
        start_reminders(&args, &db, vapid, &public_url)?;
        let services: SharedServices = Arc::new(server_services.clone());
        let state = AppState(Arc::new(AppStateInner {
            leptos_options,
            db,
            services,
            server_services,
            gate: Arc::new(gate),
            assets,
            cors_origins: args.cors_allowed_origins.clone().into(),
            provider,
            pwa_auth,
            _sqlite_claim: sqlite_claim,
        }));
        Ok(Self {
            listener,
            address,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The embedded provider's settings, when it runs.
    pub fn provider_settings(&self) -> Option<&ProviderSettings> {
        self.state.provider.as_ref().map(Provider::settings)
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for at most
    /// `grace`, and closes the database pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> std::io::Result<()> {
        let db = self.state.db.clone();
        let router = routes::router(self.state);
        let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopping_tx.send(true);
        });
        let mut graceful_rx = stopping_rx.clone();
        let server = axum::serve(self.listener, router).with_graceful_shutdown(async move {
            let _ = graceful_rx.wait_for(|stopping| *stopping).await;
        });
        let mut deadline_rx = stopping_rx;
        let result = tokio::select! {
            result = std::future::IntoFuture::into_future(server) => result,
            _ = async {
                let _ = deadline_rx.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; stopping anyway");
                Ok(())
            }
        };
        db.close().await;
        result
    }
}

/// The gate in front of the API: the verifier of the configured issuer's access tokens,
/// whose discovery and key fetch happen now, so a wrong issuer stops start-up instead of
/// failing every request. Without an external issuer the embedded provider starts, and the
/// API verifies its tokens.
async fn token_verifier(
    args: &ServeArgs,
    db: &Db,
    public_url: PublicUrl,
) -> anyhow::Result<(Arc<TokenVerifier>, Gate, Option<Provider>)> {
    // Where the PWA is: DPoP proofs name this origin (behind a TLS proxy the request's own
    // Host and scheme may be the proxy's upstream ones).
    let public_origin = args.provider.public_url.as_ref().map(PublicUrl::origin);
    if let Some(settings) = args.oidc.verifier_settings() {
        let verifier = TokenVerifier::discover(settings)
            .await
            .context("cannot set up access-token verification")?;
        let settings = verifier.settings();
        tracing::info!(issuer = %settings.issuer, audience = %settings.audience, "verifying access tokens");
        let verifier = Arc::new(verifier);
        let gate = Gate::new(verifier.clone(), public_origin);
        return Ok((verifier, gate, None));
    }
    let issuer = public_url.as_str().parse().map_err(|err: String| {
        anyhow::anyhow!("PUBLIC_URL {public_url} cannot be the issuer: {err}")
    })?;
    let mut settings = ProviderSettings::new(&args.provider, public_url, &args.oidc.oidc_audience);
    // The API refuses DPoP when it is off: the provider then neither offers nor binds.
    settings.dpop = args.oidc.oidc_dpop != DpopMode::Off;
    provider::admin::prepare(db, &settings).await?;
    if settings.demo {
        crate::demo::seed(db, &settings).await?;
    }
    let verifier =
        TokenVerifier::embedded(args.oidc.embedded_verifier_settings(issuer), db.clone())
            .await
            .context("cannot set up access-token verification")?;
    let verifier = Arc::new(verifier);
    tracing::info!(issuer = %settings.issuer, "embedded OpenID Connect provider: no OIDC_ISSUER configured");
    // One gate for the API and userinfo: the same tokens, the same memory of proofs.
    let gate = Gate::new(verifier.clone(), public_origin);
    let provider = Provider::new(
        db.clone(),
        settings,
        Arc::new(gate.clone()) as Arc<dyn provider::AccessTokens>,
    );
    provider.spawn_housekeeping();
    Ok((verifier, gate, Some(provider)))
}

fn leptos_options(args: &ServeArgs, address: SocketAddr) -> LeptosOptions {
    let hash_files = std::env::var("LEPTOS_HASH_FILES")
        .ok()
        .as_deref()
        .or(HASH_FILES_AT_BUILD)
        == Some("true");
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(args.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(address)
        .env(Env::PROD)
        .hash_files(hash_files)
        .build()
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and systemd send). The handlers are
/// installed when this is called, not when the future is first polled: call it before
/// slow start-up work, so a stop request during start-up is a graceful stop too.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
                match stream {
                    Some(mut stream) => {
                        stream.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {},
                _ = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

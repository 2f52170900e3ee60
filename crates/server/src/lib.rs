//! # pgconnect-server
//!
//! The HTTP backend behind `pgconnect serve`: the live Test Connection of `pgconnect-live` behind
//! an axum router, and the wizard's built files at `/`.
//!
//! Routes:
//! - `POST /api/datastores/connection` — Qualytics' "test before create": the body is a
//!   `POST /api/datastores` payload;
//! - `POST /api/connections/test` — either payload shape; `?kind=enrichment` audits the role as an
//!   enrichment datastore's;
//! - `GET /healthz` (liveness) and `GET /readyz` (the store answers, with a key this server
//!   holds);
//! - everything else under `/api` answers a JSON 404 (or 405); other paths serve the wizard.
//!
//! Every answer is JSON with a stable shape: 200 the check's report, 422 the validation report
//! (the same JSON as the CLI and the npm package), 400/404/405/413/429 an [`ApiError`]. No input
//! yields a 500: a panic would be caught and answered as one, and tests fire malformed input at
//! every route to prove none happens.
//!
//! Logs (tracing) carry method, route, status and time — never a body, a header or a query string,
//! so never a password, token or secret value.

pub mod api;
pub mod auth;
mod check;
mod error;
pub mod openapi;
pub mod registry;
pub mod tls;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use pgconnect_live::check::CheckOptions;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::ApiError;
use registry::Registry;
use registry::crypto::Keys;
use registry::store::StoreLocation;

/// Largest request body accepted (a payload is a few KiB, a CA bundle included).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen. Default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// Live checks allowed at once; more get 429. Default 32.
    pub max_concurrent_checks: usize,
    /// Timeouts and network policy of each check (and of its vault exchanges).
    pub check: CheckOptions,
    /// The wizard's built files (Trunk's `dist/`), served at `/` when the directory exists.
    pub web_dir: Option<PathBuf>,
    /// Where the registry lives.
    pub store: StoreLocation,
    /// The server's key (credentials and session tokens).
    pub keys: Keys,
    /// Catalog discoveries at once (more wait). Default 4.
    pub max_concurrent_catalogs: usize,
    /// Each catalog query's statement timeout. Default 30 s.
    pub catalog_statement_timeout: Duration,
    /// A whole discovery, connection included. Default 120 s.
    pub catalog_timeout: Duration,
    /// How long a discovery waits for its turn before it fails as `catalog/busy`. Default (`None`):
    /// `catalog_timeout`.
    pub catalog_queue_timeout: Option<Duration>,
    /// Serve HTTPS with the certificate and key in these files (reloaded on SIGHUP); `None`:
    /// plain HTTP.
    pub tls: Option<tls::TlsFiles>,
    /// With `tls`: send `Strict-Transport-Security: max-age=…` with every answer, so browsers
    /// use only HTTPS for this host that long (`0` makes them forget an earlier one). `None`:
    /// none is sent.
    pub hsts_max_age: Option<Duration>,
}

impl Config {
    /// Defaults for a registry at `store` under `keys`: `127.0.0.1:8080`, 32 checks at once.
    #[must_use]
    pub fn new(store: StoreLocation, keys: Keys) -> Config {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_concurrent_checks: 32,
            check: CheckOptions::default(),
            web_dir: None,
            store,
            keys,
            max_concurrent_catalogs: 4,
            catalog_statement_timeout: Duration::from_secs(30),
            catalog_timeout: Duration::from_secs(120),
            catalog_queue_timeout: None,
            tls: None,
            hsts_max_age: None,
        }
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    config: Arc<Config>,
    checks: Arc<Semaphore>,
    catalogs: Arc<Semaphore>,
    registry: Registry,
}

impl AppState {
    /// Opens the registry of `config` (creating and migrating it as needed).
    pub async fn open(config: Config) -> Result<AppState, String> {
        // The explanations' patterns compile on first use: do it now, not in the first check.
        let _ = pgconnect_core::explain::explain(&pgconnect_core::explain::ErrorInput::default());
        let registry = Registry::open(&config.store, config.keys.clone()).await?;
        Ok(AppState {
            checks: Arc::new(Semaphore::new(config.max_concurrent_checks)),
            catalogs: Arc::new(Semaphore::new(config.max_concurrent_catalogs.max(1))),
            config: Arc::new(config),
            registry,
        })
    }

    /// The registry.
    #[must_use]
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// True when this server serves HTTPS itself.
    pub(crate) fn https(&self) -> bool {
        self.config.tls.is_some()
    }

    /// The `Strict-Transport-Security` value every answer carries: only when this server serves
    /// HTTPS itself and was given a max-age (behind a proxy that ends TLS, the proxy sends it).
    fn hsts(&self) -> Option<HeaderValue> {
        let age = self.config.hsts_max_age.filter(|_| self.https())?;
        HeaderValue::from_str(&format!("max-age={}", age.as_secs())).ok()
    }

    /// A one-time login link's path and query (`/login?code=…`), valid for 24 hours.
    pub async fn login_path(&self) -> Result<String, String> {
        Ok(format!(
            "/login?code={}",
            api::session::new_login_code(&self.registry, &api::session::admin_grant()).await?
        ))
    }
}

/// The application: every route, the body limit, panic catching, security headers and request
/// logging. Tests drive it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let web = web::service(state.config.web_dir.as_deref());
    let hsts = state.hsts();
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/api/openapi.json", get(openapi::document))
        .route(
            "/api/datastores/connection",
            post(check::datastore_connection),
        )
        .route("/api/connections/test", post(check::connection_test))
        .route(
            "/api/connections",
            post(api::connections::create).get(api::connections::list),
        )
        .route(
            "/api/connections/{id}",
            get(api::connections::get)
                .patch(api::connections::update)
                .delete(api::connections::delete),
        )
        .route("/api/connections/{id}/test", post(api::connections::test))
        .route(
            "/api/datastores",
            post(api::datastores::create).get(api::datastores::list),
        )
        .route(
            "/api/datastores/{id}",
            get(api::datastores::get)
                .patch(api::datastores::update)
                .delete(api::datastores::delete),
        )
        .route(
            "/api/datastores/{id}/connection",
            post(api::datastores::verify),
        )
        .route(
            "/api/datastores/{id}/catalog",
            post(api::catalog::trigger).get(api::catalog::get),
        )
        .route(
            "/api/datastores/{id}/enrichment/{enrichment_id}",
            axum::routing::patch(api::datastores::link),
        )
        .route(
            "/api/datastores/{id}/enrichment",
            axum::routing::delete(api::datastores::unlink),
        )
        .route(
            "/api/session",
            get(api::session::whoami).delete(api::session::sign_out),
        )
        .route("/api/teams", get(api::session::teams))
        .route(
            "/api/login-links",
            post(api::links::create).get(api::links::list),
        )
        .route(
            "/api/login-links/{id}",
            axum::routing::delete(api::links::withdraw),
        )
        .route("/api/tokens", get(api::tokens::list))
        .route(
            "/api/tokens/{id}",
            axum::routing::delete(api::tokens::revoke),
        )
        .route("/login", get(api::session::login))
        .route(
            "/assets/data",
            post(api::assets::create).get(api::assets::list),
        )
        .route(
            "/assets/data/{id}",
            get(api::assets::get)
                .post(api::assets::action)
                .delete(api::assets::delete)
                .fallback(api::assets::method_not_allowed),
        )
        .route("/api", axum::routing::any(error::api_not_found))
        .route("/api/{*rest}", axum::routing::any(error::api_not_found))
        .method_not_allowed_fallback(error::method_not_allowed)
        .fallback(web)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(log_request))
        .layer(CatchPanicLayer::custom(error::panicked))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // pages set their own (web::page_policy); everything else runs, loads and frames nothing
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::NOT_A_PAGE_POLICY),
        ))
        // for browsers that predate CSP's frame-ancestors
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &Response| hsts.clone(),
        ))
        .with_state(state)
}

#[utoipa::path(
    get,
    operation_id = "health",
    path = "/healthz",
    tag = "server",
    summary = "Liveness",
    security(()),
    responses((status = 200, description = "The server runs", body = api::views::Health)),
)]
async fn health() -> axum::Json<api::views::Health> {
    axum::Json(api::views::Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// How long `/readyz` waits for the store.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

#[utoipa::path(
    get,
    operation_id = "ready",
    path = "/readyz",
    tag = "server",
    summary = "Readiness: the store answers, with a key this server holds",
    description = "For a load balancer in front of several servers on one PostgreSQL store: 503 \
                   while the store does not answer (within 5 s), or after another server rotated \
                   the key and this one still holds the old (it could not save credentials).",
    security(()),
    responses(
        (status = 200, description = "Ready", body = api::views::Ready),
        (status = 503, response = api::views::NotReady),
    ),
)]
async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<api::views::Ready>, error::ApiError> {
    let store = state.registry.store();
    let key = match tokio::time::timeout(READY_TIMEOUT, store.setting("key_id")).await {
        Ok(Ok(key)) => key,
        Ok(Err(e)) => return Err(error::ApiError::store_not_ready(&e)),
        Err(_) => {
            return Err(error::ApiError::store_not_ready(&format!(
                "no answer within {} s",
                READY_TIMEOUT.as_secs()
            )));
        }
    };
    if let Some(key) = key.filter(|k| !state.registry.keys().knows(k)) {
        return Err(error::ApiError::key_not_ready(&key));
    }
    Ok(axum::Json(api::views::Ready {
        status: "ready",
        store: match store.backend() {
            registry::store::Backend::Sqlite => "sqlite",
            registry::store::Backend::Postgres => "postgres",
        },
    }))
}

/// One line per request: method, route (the pattern, not the raw path), status, time, and who:
/// the subject and id of the token a handler accepted (`-` for none), so the log is an audit
/// trail of who changed what — never the token itself.
async fn log_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(static)".to_owned(), |p| p.as_str().to_owned());
    let who = auth::Who::default();
    request.extensions_mut().insert(who.clone());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    let (subject, token) = who.get().map_or(("-", "-"), |(subject, jti)| {
        (subject.as_str(), jti.as_deref().unwrap_or("-"))
    });
    if status >= 500 {
        tracing::error!(%method, %route, status, ms, who = ?subject, %token, "request");
    } else {
        tracing::info!(%method, %route, status, ms, who = ?subject, %token, "request");
    }
    response
}

/// What `serve` reports once it listens.
#[derive(Debug, Clone)]
pub struct Started {
    /// The bound address.
    pub addr: SocketAddr,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// `/login?code=…` when the store was empty: the first admin's one-time login link.
    pub login_path: Option<String>,
}

/// Opens the registry, binds `config.addr`, calls `ready`, and serves until Ctrl-C or SIGTERM,
/// letting requests in flight finish (each check is bounded by its timeout).
pub async fn serve(config: Config, ready: impl FnOnce(&Started)) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = AppState::open(config).await?;
    let empty = state
        .registry
        .store()
        .is_empty()
        .await
        .map_err(|e| e.to_string())?;
    let login_path = if empty {
        Some(state.login_path().await?)
    } else {
        None
    };
    let registry = state.registry.clone();
    let tls = state.config.tls.clone();
    let router = app(state);
    let started = |scheme| Started {
        addr,
        scheme,
        login_path,
    };
    // ready once the listener is whole (with TLS: its SIGHUP handler in place)
    let served = match tls {
        Some(files) => {
            let listener = tls::TlsListener::new(listener, files).map_err(|e| e.to_string())?;
            ready(&started("https"));
            run(listener, router).await
        }
        None => {
            ready(&started("http"));
            run(listener, router).await
        }
    };
    registry.store().close().await;
    served
}

/// Serves `router` on `listener` until Ctrl-C or SIGTERM.
async fn run<L>(listener: L, router: Router) -> Result<(), String>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

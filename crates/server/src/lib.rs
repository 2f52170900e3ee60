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
//! - `GET /healthz`;
//! - everything else under `/api` answers a JSON 404 (or 405); other paths serve the wizard.
//!
//! Every answer is JSON with a stable shape: 200 the check's report, 422 the validation report
//! (the same JSON as the CLI and the npm package), 400/404/405/413/429 an [`ApiError`]. No input
//! yields a 500: a panic would be caught and answered as one, and tests fire malformed input at
//! every route to prove none happens.
//!
//! Logs (tracing) carry method, route, status and time — never a body, a header or a query string,
//! so never a password, token or secret value.

mod check;
mod error;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_concurrent_checks: 32,
            check: CheckOptions::default(),
            web_dir: None,
        }
    }
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    config: Arc<Config>,
    checks: Arc<Semaphore>,
}

impl AppState {
    /// State for `config`.
    #[must_use]
    pub fn new(config: Config) -> AppState {
        // The explanations' patterns compile on first use: do it now, not in the first check.
        let _ = pgconnect_core::explain::explain(&pgconnect_core::explain::ErrorInput::default());
        AppState {
            checks: Arc::new(Semaphore::new(config.max_concurrent_checks)),
            config: Arc::new(config),
        }
    }
}

/// The application: every route, the body limit, panic catching, security headers and request
/// logging. Tests drive it with `tower::ServiceExt::oneshot`.
pub fn app(state: AppState) -> Router {
    let web = web::service(state.config.web_dir.as_deref());
    Router::new()
        .route("/healthz", get(health))
        .route(
            "/api/datastores/connection",
            post(check::datastore_connection),
        )
        .route("/api/connections/test", post(check::connection_test))
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
        .with_state(state)
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// One line per request: method, route (the pattern, not the raw path), status, time.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(static)".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::error!(%method, %route, status, ms, "request");
    } else {
        tracing::info!(%method, %route, status, ms, "request");
    }
    response
}

/// Binds `config.addr`, calls `ready` with the bound address, and serves until Ctrl-C or
/// SIGTERM, letting requests in flight finish (each check is bounded by its timeout).
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let router = app(AppState::new(config));
    ready(addr);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
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

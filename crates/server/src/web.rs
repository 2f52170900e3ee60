//! The wizard's built files at `/`, or — before it is built — a page that says how to build it
//! and what the API offers.

use std::convert::Infallible;
use std::path::Path;

use axum::body::Body;
use axum::handler::HandlerWithoutStateExt as _;
use axum::http::{Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// A service for every path the API does not claim.
pub fn service(dir: Option<&Path>) -> MethodRouter<crate::AppState, Infallible> {
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(dir) => {
            let index = dir.join("index.html");
            // An unknown route gets index.html (the wizard routes in the browser); an unknown
            // file (`/app-3f2a.js`, a stale hash after a rebuild) gets a 404, not HTML under a
            // script's name.
            let fallback = move |request: Request<Body>| {
                let index = index.clone();
                async move {
                    if names_a_file(request.uri().path()) {
                        return (StatusCode::NOT_FOUND, "Not found\n").into_response();
                    }
                    match ServeFile::new(index).oneshot(request).await {
                        Ok(response) => response.into_response(),
                        Err(never) => match never {},
                    }
                }
            };
            axum::routing::get_service(
                ServeDir::new(dir)
                    .precompressed_br()
                    .precompressed_gzip()
                    .fallback(fallback.into_service()),
            )
            .fallback(crate::error::method_not_allowed)
        }
        None => axum::routing::get(placeholder).fallback(crate::error::method_not_allowed),
    }
}

/// Whether a path's last segment has an extension, as a file's name does and a wizard route's
/// (`/datastores/7`) does not.
fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

async fn placeholder<B>(request: Request<B>) -> Response {
    if request.uri().path() != "/" {
        return (StatusCode::NOT_FOUND, "Not found\n").into_response();
    }
    ([(header::CACHE_CONTROL, "no-store")], Html(PLACEHOLDER)).into_response()
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pgconnect</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
code,pre{background:#f2f4f7;border-radius:4px;padding:.1rem .3rem}pre{padding:.75rem;overflow:auto}</style>
</head><body>
<h1>pgconnect is running</h1>
<p>The wizard has not been built into this server's web directory yet (<code>scripts/build-web.sh</code> builds it into <code>dist/</code>). The API is ready; <code>/api/openapi.json</code> describes it:</p>
<pre>curl -s localhost:8080/api/connections/test \
  -H 'Content-Type: application/json' -d @datastore.json</pre>
<ul>
<li><code>POST /api/connections/test</code> — test a payload (either shape; <code>?kind=enrichment</code>)</li>
<li><code>POST /api/datastores/connection</code> — test a Qualytics <code>POST /api/datastores</code> body</li>
<li><code>GET /healthz</code> (liveness), <code>GET /readyz</code> (readiness)</li>
</ul>
</body></html>
"#;

//! The wizard's built files at `/`, or — before it is built — a page that says how to build it
//! and what the API offers; and the Content-Security-Policy of each.
//!
//! A page of ours may run only its own scripts — the files next to it and the inline ones it
//! holds, allowed by their SHA-256 (Trunk's loader is one) —, compile WebAssembly, talk to this
//! origin only and be framed by no one (the wizard is where passwords are typed: no
//! clickjacking). Every other answer (the API's JSON, scripts, the wasm) gets
//! [`NOT_A_PAGE_POLICY`] from the app's layer: nothing may run or load in it.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::handler::HandlerWithoutStateExt as _;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// The Content-Security-Policy of every answer that is not a page: it may load, run and frame
/// nothing, and nothing may frame it.
pub const NOT_A_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

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
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(dir.join("index.html")),
                with_page_policy,
            ))
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

/// Gives an answer for the wizard's one page, `index`, the page's policy, read as it is now on
/// disk (a rebuild while the server runs changes the loader's hash). The page is told by the
/// path, not by the answer's type: a `304 Not Modified` has none, and a browser puts the
/// headers of a 304 on the copy it keeps — the page would then load under the policy of an
/// answer that is not a page, and run nothing.
async fn with_page_policy(
    axum::extract::State(index): axum::extract::State<Arc<PathBuf>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_page = !names_a_file(path) || path.ends_with(".html");
    let mut response = next.run(request).await;
    if is_page {
        // An unreadable index (removed mid-rebuild) leaves the strictest policy, from the layer.
        if let Ok(html) = tokio::fs::read_to_string(index.as_path()).await
            && let Ok(value) = HeaderValue::from_str(&page_policy(&html))
        {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

/// The Content-Security-Policy of `html`, a page of ours: its own files and the inline scripts
/// and styles it holds (by their SHA-256), WebAssembly, requests to this origin, images from
/// here or inline (`data:`, the icon), no `<base>`, no framing.
#[must_use]
pub fn page_policy(html: &str) -> String {
    let scripts = inline_hashes(html, "script");
    let styles = inline_hashes(html, "style");
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'{styles}; img-src 'self' data:; connect-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// ` 'sha256-…'` for the text of each inline `<tag>` element of `html` (one without `src`), as
/// a browser hashes it: the raw text up to `</tag`, line breaks normalised to LF as HTML's
/// parser does before anything else.
fn inline_hashes(html: &str, tag: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}");
    let mut out = String::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(&open) {
        let start = at + found + open.len();
        // `<scripts>` or `<style-x>` are other elements
        let Some(next) = lower[start..].chars().next() else {
            break;
        };
        if !(next == '>' || next == '/' || next.is_ascii_whitespace()) {
            at = start;
            continue;
        }
        let Some(tag_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(body_end) = lower[tag_end..].find(&close).map(|i| tag_end + i) else {
            break;
        };
        let attributes = &lower[start..tag_end];
        let external = attributes
            .split(|c: char| c.is_ascii_whitespace())
            .any(|a| a.starts_with("src="));
        if !external {
            let text = html[tag_end..body_end]
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text));
            out.push_str(&format!(" 'sha256-{digest}'"));
        }
        at = body_end;
    }
    out
}

async fn placeholder<B>(request: Request<B>) -> Response {
    if request.uri().path() != "/" {
        return (StatusCode::NOT_FOUND, "Not found\n").into_response();
    }
    let policy = HeaderValue::from_str(&page_policy(PLACEHOLDER))
        .unwrap_or(HeaderValue::from_static(NOT_A_PAGE_POLICY));
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        Html(PLACEHOLDER),
    )
        .into_response()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inline_elements_are_hashed_as_browsers_hash_them() {
        // printf 'alert(1)' | openssl dgst -sha256 -binary | base64
        let one = " 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='";
        assert_eq!(inline_hashes("<script>alert(1)</script>", "script"), one);
        assert_eq!(
            inline_hashes("<SCRIPT type=module>alert(1)</Script >", "script"),
            one
        );
        // external scripts are allowed by 'self', not by a hash; <scripts> is not <script>
        assert_eq!(
            inline_hashes(
                "<script src=/a.js></script><scripts>x</scripts><script\tdefer>alert(1)</script>",
                "script"
            ),
            one
        );
        // CRLF and CR become LF before the text is hashed (HTML's input stream)
        let lf = " 'sha256-fhj3NzEbLcOy8mndeDlrA1HxT7Zu+oefdoyyMYGIPHg='";
        for text in ["a\r\nb", "a\rb", "a\nb"] {
            assert_eq!(
                inline_hashes(&format!("<style>{text}</style>"), "style"),
                lf
            );
        }
        // unterminated or absent: nothing
        assert_eq!(inline_hashes("<script>alert(1)", "script"), "");
        assert_eq!(inline_hashes("<p>no script</p><script", "script"), "");
    }

    #[test]
    fn the_placeholder_runs_no_script_and_keeps_its_style() {
        let policy = page_policy(PLACEHOLDER);
        assert!(
            policy.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'sha256-"),
            "{policy}"
        );
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
    }
}

//! What the server's tests share: a fresh registry per test, tokens, requests with a token.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use pgconnect_server::auth::{Role, mint};
use pgconnect_server::registry::crypto::Keys;
use pgconnect_server::registry::store::StoreLocation;
use pgconnect_server::{AppState, Config};
use serde_json::Value;
use tower::ServiceExt as _;

/// The tests' master key (tokens minted with it verify on every test server).
pub fn keys() -> Keys {
    Keys::from_master(&[42; 32])
}

/// A new, empty data directory under the target's temp dir.
pub fn data_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "registry-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A config on a fresh SQLite registry.
pub fn config() -> Config {
    Config::new(StoreLocation::Sqlite(data_dir()), keys())
}

/// Opens the state of `config`.
pub async fn state(config: Config) -> AppState {
    AppState::open(config).await.unwrap()
}

/// A token for `role` in `teams`.
pub fn token(role: Role, teams: &[&str]) -> String {
    let teams: Vec<String> = teams.iter().map(|t| (*t).to_owned()).collect();
    mint(&keys(), "test", role, &teams, Duration::from_secs(3600)).unwrap()
}

/// A token for `subject`, a `role` in `teams`.
pub fn token_for(subject: &str, role: Role, teams: &[&str]) -> String {
    let teams: Vec<String> = teams.iter().map(|t| (*t).to_owned()).collect();
    mint(&keys(), subject, role, &teams, Duration::from_secs(3600)).unwrap()
}

/// An admin's token.
pub fn admin() -> String {
    token(Role::Admin, &[])
}

/// One request through the router, with `token` if given.
pub async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

/// [`call`] with a JSON body (or none for `Value::Null`), answering JSON.
pub async fn json_call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let bytes = if body.is_null() {
        vec![]
    } else {
        body.to_string().into_bytes()
    };
    let (status, _, out) = call(app, method, uri, token, &[], bytes).await;
    (status, serde_json::from_slice(&out).unwrap_or(Value::Null))
}

/// The JSON Pointer of each diagnostic in a report answer, in order.
pub fn paths(report: &Value) -> Vec<&str> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect()
}

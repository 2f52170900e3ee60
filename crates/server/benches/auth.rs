//! What the revocation check costs a request: `GET /api/session` through the whole router
//! (`oneshot`), with a token that has an id (so `Caller` asks the store whether it is revoked)
//! and one without (minted before ids existed: no lookup), interleaved, on both stores (SQLite in
//! a temp dir, and a real PostgreSQL started for the run, on loopback).
//!
//! `cargo bench -p pgconnect-server --bench auth`. Prints medians and p95s.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pgconnect_server::auth::{Claims, Role, TokenKind, issue, sign};
use pgconnect_server::registry::crypto::Keys;
use pgconnect_server::registry::store::StoreLocation;
use pgconnect_server::{AppState, Config, app};
use pgconnect_testkit::pg::{PgServer, SUPERUSER, SUPERUSER_PASSWORD};
use pgconnect_testkit::shop::psql_ok;
use tower::ServiceExt as _;

const RUNS: usize = 5_000;
const WARMUP: usize = 500;

async fn one(router: &axum::Router, token: &str) -> Duration {
    let request = Request::get("/api/session")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let started = Instant::now();
    let response = router.clone().oneshot(request).await.unwrap();
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    took
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (us(v[v.len() / 2]), us(v[v.len() * 95 / 100]))
}

async fn bench(name: &str, store: StoreLocation) {
    let keys = Keys::from_master(&[7; 32]);
    let state = AppState::open(Config::new(store, keys.clone()))
        .await
        .unwrap();
    let hour = Duration::from_secs(3600);
    let (with_id, _) = issue(
        state.registry(),
        TokenKind::Cli,
        "bench",
        Role::Viewer,
        &[],
        hour,
    )
    .await
    .unwrap();
    let mut old = Claims::new("bench", Role::Viewer, &[], hour).unwrap();
    old.jti = None;
    let without_id = sign(&keys, &old).unwrap();
    let router = app(state);
    for _ in 0..WARMUP {
        one(&router, &with_id).await;
        one(&router, &without_id).await;
    }
    let (mut a, mut b) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        a.push(one(&router, &with_id).await);
        b.push(one(&router, &without_id).await);
    }
    let ((a50, a95), (b50, b95)) = (stats(a), stats(b));
    println!(
        "{name:10} with id (store lookup) {a50:8.1} µs median {a95:8.1} p95 | without {b50:8.1} µs \
         median {b95:8.1} p95 | the check costs {:6.1} µs",
        a50 - b50
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(bench(
        "SQLite",
        StoreLocation::Sqlite(dir.path().to_owned()),
    ));
    let pg = PgServer::start().unwrap();
    psql_ok(&pg, "postgres", "CREATE DATABASE registry").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/registry",
        pg.port()
    );
    runtime.block_on(bench("PostgreSQL", StoreLocation::Postgres(url)));
}

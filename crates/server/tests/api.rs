//! The HTTP API, driven in-process with `oneshot` (no socket) and, for the live checks and the
//! concurrency limit, over real TCP against real PostgreSQL servers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use axum::http::{StatusCode, header};
use pgconnect_live::check::{CheckOptions, CheckReport, StageName};
mod common;

use pgconnect_server::{AppState, Config, MAX_BODY_BYTES, app};
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, RESULTS, SCHEMA, WRITER};
use serde_json::{Value, json};

async fn state(config: Config) -> AppState {
    common::state(config).await
}

fn quick() -> Config {
    Config {
        check: CheckOptions {
            total_timeout: Duration::from_secs(5),
            ..CheckOptions::default()
        },
        ..common::config()
    }
}

async fn send(
    app: axum::Router,
    method: &str,
    uri: &str,
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    common::call(&app, method, uri, Some(&common::admin()), &[], body).await
}

async fn post_json(app: axum::Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let (status, _, bytes) = send(app, "POST", uri, body.to_string().into_bytes()).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn craft(host: &str, port: u16, user: &str, password: &str) -> Value {
    json!({
        "name": "shop", "type": "postgresql",
        "config": {"host": host, "port": port, "database": DB, "schema": SCHEMA, "ssl_mode": "disable"},
        "credentials": {"username": user, "password": password}
    })
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn refusals_are_json_that_says_what_and_how() {
    let app = app(state(quick()).await);
    let (status, _, body) = send(app.clone(), "GET", "/healthz", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["status"],
        "ok"
    );
    let (status, _, body) = send(app.clone(), "GET", "/readyz", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"status": "ready", "store": "sqlite"})
    );

    // malformed JSON: where it breaks
    let (status, _, body) = send(
        app.clone(),
        "POST",
        "/api/connections/test",
        b"{\n  \"name\": \"x\",\n  oops\n}".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&v), "request/json-syntax");
    assert_eq!(v["error"]["line"], 3);
    assert_eq!(v["error"]["column"], 3);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 3, column 3"),
        "{v}"
    );
    // a UTF-8 byte-order mark before the JSON is skipped: the payload itself is judged
    let (status, _, body) = send(
        app.clone(),
        "POST",
        "/api/connections/test",
        b"\xef\xbb\xbf{\"name\": \"x\"}".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        String::from_utf8_lossy(&body).contains("payload/unknown-shape"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // empty body
    let (status, _, body) = send(app.clone(), "POST", "/api/connections/test", vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body).unwrap().contains("empty"));
    // whitespace alone is no JSON either, and is said so
    let (status, _, body) = send(
        app.clone(),
        "POST",
        "/api/connections/test",
        b" \r\n".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body).unwrap().contains("only whitespace"));

    // over 64 KiB
    let big = json!({"name": "x".repeat(MAX_BODY_BYTES)});
    let (status, _, body) = send(
        app.clone(),
        "POST",
        "/api/connections/test",
        big.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        error_code(&serde_json::from_slice(&body).unwrap()),
        "request/too-large"
    );

    // an invalid payload: the same report as the core (and so the CLI and the npm package)
    let invalid = json!({"name": "", "type": "postgresql", "config": {"host": "db:5432", "port": 70000}, "credentials": {"username": "postgres"}});
    let (status, v) = post_json(app.clone(), "/api/connections/test", &invalid).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        v,
        serde_json::to_value(pgconnect_core::analyze(&invalid, None).report).unwrap()
    );
    assert_eq!(v["valid"], false);
    let paths = common::paths(&v);
    assert!(
        paths.contains(&"/config/host") && paths.contains(&"/config/port"),
        "{paths:?}"
    );
    // the Qualytics route reads the body as a Qualytics payload
    let (status, v) = post_json(
        app.clone(),
        "/api/datastores/connection",
        &craft("db.example.com", 5432, "u", "p"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // unknown route, wrong method, bad query
    let (status, _, body) = send(app.clone(), "GET", "/api/nope", vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        error_code(&serde_json::from_slice(&body).unwrap()),
        "request/not-found"
    );
    let (status, _, body) = send(app.clone(), "GET", "/api/connections/test", vec![]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        error_code(&serde_json::from_slice(&body).unwrap()),
        "request/method"
    );
    let (status, _, body) = send(app.clone(), "DELETE", "/", vec![]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        error_code(&serde_json::from_slice(&body).unwrap()),
        "request/method"
    );
    let (status, v) = post_json(
        app.clone(),
        "/api/connections/test?kind=sink",
        &craft("db.example.com", 5432, "u", "p"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&v), "request/query");

    // the page at / before the wizard is built: its inline style allowed, no script, no framing
    let (status, headers, body) = send(app.clone(), "GET", "/", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.contains("style-src 'self' 'sha256-"), "{policy}");
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{policy}"
    );
    // the API's answers are not pages
    let (_, headers, _) = send(app.clone(), "GET", "/healthz", vec![]).await;
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("POST /api/connections/test")
    );

    // the network policy answers at once, as a report
    let (status, v) = post_json(
        app.clone(),
        "/api/connections/test",
        &craft("169.254.169.254", 5432, "u", "p"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "failed");
    assert_eq!(error_code(&v), "network/denied");
}

/// Odd bodies of every kind: each is answered 4xx or 200, never 5xx, never a dropped connection.
#[tokio::test]
async fn no_input_yields_a_server_error() {
    let app = app(state(Config {
        check: CheckOptions {
            total_timeout: Duration::from_millis(300),
            connect_timeout: Duration::from_millis(100),
            ..CheckOptions::default()
        },
        ..common::config()
    })
    .await);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<Vec<u8>> = vec![
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"text\"".to_vec(),
        b"12345678901234567890123456789".to_vec(),
        b"{\"name\": \"\\ud800\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        deep.into_bytes(),
        br#"{"connection": null, "config": null}"#.to_vec(),
        br#"{"name":"x","teams":["Public"],"database":"d","schema":"s","connection":{"type":"postgresql","host":"${h}","port":"${p}","username":"u","password":"p"}}"#.to_vec(),
        br#"{"name":"x","teams":[],"database":"d","schema":"s","connection_id":1}"#.to_vec(),
        br#"{"name":"x","type":"postgresql","config":{"host":"[::1]","port":"1","database":"d"},"credentials":{"username":"u","password":"p"}}"#.to_vec(),
        br#"{"name":"x","type":"postgresql","config":{"host":"localhost","port":1,"database":"d","ssl_mode":"verify-full","ssl_root_cert":"garbage"},"credentials":{"username":"u","password":"p"}}"#.to_vec(),
    ];
    for body in bodies {
        for uri in [
            "/api/connections/test",
            "/api/datastores/connection",
            "/api/connections/test?kind=enrichment",
        ] {
            let (status, _, response) = send(app.clone(), "POST", uri, body.clone()).await;
            assert!(
                !status.is_server_error(),
                "{uri} {:?} → {status}: {}",
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&response)
            );
            let v: Value = serde_json::from_slice(&response)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&response)));
            assert!(v.is_object());
        }
    }
}

#[tokio::test]
async fn the_wizard_is_served_when_built() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>wizard</title><script type=module>alert(1)</script>\
         <script src=/app.js></script>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.js"), "console.log(1)").unwrap();
    let app = app(state(Config {
        web_dir: Some(dir.path().to_owned()),
        ..quick()
    })
    .await);
    let (status, headers, body) = send(app.clone(), "GET", "/", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("wizard"));
    // the page runs its own files and its inline loader (by its SHA-256 of `alert(1)`), and
    // nobody frames it
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains(
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=';"
        ),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    // a rebuild while the server runs: the next answer carries the new loader's hash
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>wizard</title><script type=module>a\r\nb</script>",
    )
    .unwrap();
    let (_, headers, _) = send(app.clone(), "GET", "/datastores/7", vec![]).await;
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy
            .contains("'wasm-unsafe-eval' 'sha256-fhj3NzEbLcOy8mndeDlrA1HxT7Zu+oefdoyyMYGIPHg=';"),
        "{policy}"
    );
    // a page the browser has kept: the 304 carries the page's policy too (a browser puts a
    // 304's headers on its copy)
    let modified = headers[header::LAST_MODIFIED].to_str().unwrap();
    let (status, kept, _) = common::call(
        &app,
        "GET",
        "/",
        None,
        &[("if-modified-since", modified)],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(kept[header::CONTENT_SECURITY_POLICY], policy);
    let (status, headers, _) = send(app.clone(), "GET", "/app.js", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    // not a page: nothing may run in it
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    // a wizard route that is not a file: index.html
    let (status, _, body) = send(app.clone(), "GET", "/datastores/7", vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body).unwrap().contains("wizard"));
    // an unknown file is a 404, not index.html under a script's name
    for path in ["/app-3f2a.js", "/assets/logo.png", "/favicon.ico"] {
        let (status, _, body) = send(app.clone(), "GET", path, vec![]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !String::from_utf8(body).unwrap().contains("wizard"),
            "{path}"
        );
    }
    // the API is still the API
    let (status, _, _) = send(app, "GET", "/api/anything", vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_test_fills_every_field_of_the_answer() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let app = app(state(quick()).await);
    let (status, v) = post_json(
        app.clone(),
        "/api/connections/test",
        &craft("127.0.0.1", pg.port(), READER, PASSWORD),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v:#}");
    for field in [
        "connected",
        "message",
        "status",
        "latency_ms",
        "server_version",
        "schemas",
        "table_count",
        "stages",
        "privileges",
        "recommendations",
    ] {
        assert!(!v[field].is_null(), "{field} is missing: {v:#}");
    }
    assert_eq!(v["connected"], true);
    assert_eq!(v["status"], "connected");
    assert!(v["server_version"].as_str().unwrap().starts_with("15."));
    assert_eq!(v["schemas"], json!(["public", RESULTS, SCHEMA]));
    assert_eq!(v["table_count"], 3);
    assert_eq!(v["privileges"]["ok"], true);
    assert!(v.get("error").is_none());
    assert!(!v.to_string().contains(PASSWORD));
    let report: CheckReport = serde_json::from_value(v).unwrap();
    assert!(report.passed());

    // Qualytics route, enrichment datastore (enrich_only in the payload)
    let qualytics = json!({
        "name": "shop-enrichment", "teams": ["Public"], "database": DB, "schema": RESULTS,
        "enrich_only": true, "trigger_catalog": false,
        "connection": {"name": "shop", "type": "postgresql", "host": "127.0.0.1", "port": pg.port().to_string(),
                       "username": WRITER, "password": PASSWORD, "ssl_mode": "disable"}
    });
    let (status, v) = post_json(app.clone(), "/api/datastores/connection", &qualytics).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["privileges"]["kind"], "enrichment");
    assert_eq!(v["privileges"]["ok"], true, "{v:#}");
    // ?kind=enrichment turns a source payload into an enrichment audit: the reader lacks CREATE
    let (_, v) = post_json(
        app,
        "/api/connections/test?kind=enrichment",
        &craft("127.0.0.1", pg.port(), READER, PASSWORD),
    )
    .await;
    assert_eq!(v["privileges"]["kind"], "enrichment");
    assert_eq!(v["privileges"]["ok"], false);
}

fn http_client() -> reqwest::Client {
    // plain HTTP, but reqwest (rustls-no-provider) wants a provider chosen
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut auth = reqwest::header::HeaderMap::new();
    auth.insert(
        header::AUTHORIZATION,
        format!("Bearer {}", common::admin()).parse().unwrap(),
    );
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .default_headers(auth)
        .build()
        .unwrap()
}

async fn serve(config: Config) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state(config).await);
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (format!("http://{addr}"), task)
}

/// A TCP server that accepts and never answers: a check against it waits until its timeout.
async fn silent() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    (port, hold)
}

/// A server that runs one check at a time, each bounded by `timeout`.
async fn one_check_at_a_time(timeout: Duration) -> (String, tokio::task::JoinHandle<()>) {
    serve(Config {
        max_concurrent_checks: 1,
        check: CheckOptions {
            total_timeout: timeout,
            ..CheckOptions::default()
        },
        ..common::config()
    })
    .await
}

/// More checks than the limit: the surplus is told to come back (429 + Retry-After) at once.
#[tokio::test(flavor = "multi_thread")]
async fn checks_beyond_the_limit_get_429_with_retry_after() {
    // a server that accepts TCP and never answers keeps the one permitted check busy
    let (port, hold) = silent().await;
    let (base, server) = one_check_at_a_time(Duration::from_secs(2)).await;
    let client = http_client();
    let url = format!("{base}/api/connections/test");
    let body = craft("127.0.0.1", port, "u", "p").to_string();
    let first = tokio::spawn({
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move { client.post(&url).body(body).send().await.unwrap().status() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers()[header::RETRY_AFTER], "1");
    let v: Value = second.json().await.unwrap();
    assert_eq!(error_code(&v), "server/busy");
    // an invalid payload is still answered while busy (validation needs no permit)
    let invalid = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first.await.unwrap(),
        StatusCode::OK,
        "the held check ends with its timeout, as a report"
    );
    // and the permit is back
    let third = client.post(&url).body(body).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::OK);
    hold.abort();
    server.abort();
}

/// 100 checks at once at a server with max_connections = 20: each answer is a report (200) or a
/// 429, never a 5xx.
#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_checks_at_once_against_max_connections_20() {
    let pg = shop::start(PgOptions {
        config: vec!["max_connections = 20".to_owned()],
        ..PgOptions::default()
    })
    .unwrap();
    let (base, server) = serve(common::config()).await;
    let client = http_client();
    let url = format!("{base}/api/connections/test");
    let body = craft("127.0.0.1", pg.port(), READER, PASSWORD).to_string();
    let requests: Vec<_> = (0..100)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            tokio::spawn(async move {
                let r = client.post(&url).body(body).send().await.unwrap();
                let status = r.status();
                let v: Value = r.json().await.unwrap();
                (status, v)
            })
        })
        .collect();
    let (mut connected, mut refused_by_pg, mut busy) = (0, 0, 0);
    for r in requests {
        let (status, v) = r.await.unwrap();
        match status {
            StatusCode::OK => {
                let report: CheckReport = serde_json::from_value(v.clone()).unwrap();
                if report.connected {
                    connected += 1;
                } else {
                    refused_by_pg += 1;
                    let code = &report.error.as_ref().unwrap().explanation().code;
                    assert!(code.starts_with("limits/"), "{v:#}");
                }
            }
            StatusCode::TOO_MANY_REQUESTS => busy += 1,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    println!(
        "100 checks: {connected} connected, {refused_by_pg} refused by PostgreSQL (too many clients), {busy} answered 429"
    );
    assert_eq!(connected + refused_by_pg + busy, 100);
    assert!(connected >= 1);
    assert!(
        busy >= 1,
        "100 checks at once against a limit of 32: some must be told to wait"
    );
    server.abort();
}

/// Reads NDJSON events from a streamed answer as they arrive, each with when it arrived.
async fn events(
    response: &mut reqwest::Response,
    started: std::time::Instant,
    until: impl Fn(&Value) -> bool,
) -> Vec<(Duration, Value)> {
    let mut pending = Vec::new();
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let v: Value = serde_json::from_slice(&line).unwrap();
            let stop = until(&v);
            out.push((started.elapsed(), v));
            if stop {
                return out;
            }
        }
    }
    out
}

/// `Accept: application/x-ndjson`: each stage is told as it begins and ends, the report last.
#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_check_tells_each_stage_as_it_runs() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let (base, server) = serve(quick()).await;
    let client = http_client();
    let started = std::time::Instant::now();
    let mut response = client
        .post(format!("{base}/api/connections/test"))
        .header(header::ACCEPT, "application/x-ndjson")
        .body(craft("127.0.0.1", pg.port(), READER, PASSWORD).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/x-ndjson"
    );
    let all = events(&mut response, started, |_| false).await;
    let text: String = all.iter().map(|(_, v)| v.to_string()).collect();
    assert!(!text.contains(PASSWORD));
    let kinds: Vec<&str> = all
        .iter()
        .map(|(_, v)| v["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"report"), "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "report").count(), 1);
    // every stage that began also ended, after it began
    for (i, (_, e)) in all.iter().enumerate() {
        if e["event"] == "started" {
            let name = &e["stage"];
            assert!(
                all[i..]
                    .iter()
                    .any(|(_, l)| l["event"] == "stage" && l["stage"]["name"] == *name),
                "{name} began and never ended: {kinds:?}"
            );
        }
    }
    let told: Vec<Value> = all
        .iter()
        .filter(|(_, e)| e["event"] == "stage")
        .map(|(_, e)| e["stage"].clone())
        .collect();
    let report: CheckReport =
        serde_json::from_value(all.last().unwrap().1["report"].clone()).unwrap();
    assert!(report.passed(), "{report:#?}");
    assert_eq!(told.len(), report.stages.len());
    let names: Vec<&str> = told.iter().map(|s| s["name"].as_str().unwrap()).collect();
    // every stage, told once, in the order they run
    assert_eq!(names, StageName::ALL.map(StageName::as_str));

    // an invalid payload is still a plain 422, streamed or not
    let invalid = client
        .post(format!("{base}/api/connections/test"))
        .header(header::ACCEPT, "application/x-ndjson")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    server.abort();
}

/// Stages reach the caller while the check still runs, and a caller that goes away stops its
/// check: the permit is free again at once, not when the check would have timed out.
#[tokio::test(flavor = "multi_thread")]
async fn a_streamed_check_arrives_as_it_runs_and_stops_when_the_caller_leaves() {
    // accepts TCP, never answers: the check waits in the TLS/startup stage until its timeout
    let (port, hold) = silent().await;
    let (base, server) = one_check_at_a_time(Duration::from_secs(30)).await;
    let client = http_client();
    let url = format!("{base}/api/connections/test");
    let body = craft("127.0.0.1", port, "u", "p").to_string();
    let started = std::time::Instant::now();
    let mut first = client
        .post(&url)
        .header(header::ACCEPT, "application/x-ndjson")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let seen = events(&mut first, started, |e| {
        e["event"] == "stage" && e["stage"]["name"] == "connect"
    })
    .await;
    let (at, connect) = seen.last().unwrap();
    assert_eq!(connect["stage"]["outcome"], "ok", "{seen:?}");
    assert!(
        *at < Duration::from_secs(10),
        "the connect stage must arrive while the check (30 s timeout) still runs, not at its end"
    );
    // the only permit is taken...
    let busy = client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...until the caller goes away
    drop(first);
    let mut freed = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let again = client
            .post(&url)
            .header(header::ACCEPT, "application/x-ndjson")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        if again.status() == StatusCode::OK {
            freed = true;
            break;
        }
    }
    assert!(freed, "the abandoned check still holds its permit");
    assert!(started.elapsed() < Duration::from_secs(20));
    hold.abort();
    server.abort();
}

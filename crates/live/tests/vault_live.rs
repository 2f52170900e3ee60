//! The vault flow against a real OpenBao dev server started for each test: userpass + KV v2,
//! approle + KV v1, and every way it fails (bad credentials, a policy that denies the path, a
//! missing secret, wrong token and data paths, a missing key, a vault that refuses connections, one
//! that accepts TCP and never answers, a rotated secret). `vault_no_leak.rs` runs them all again
//! with every log captured.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use pgconnect_live::http::HttpOptions;
use pgconnect_live::vault::{check, fetch_secret};
use serde_json::json;

mod common;

use common::*;

#[tokio::test]
async fn userpass_and_kv_v2() {
    let v = vault();
    let p = payload(v.userpass("alice", LOGIN_PASSWORD));
    let (progress, secret) = fetch_secret(&settings(&p), &fast()).await;
    let secret = secret.unwrap();
    assert!(progress.login_ok && progress.token_path_matched && progress.data_path_matched);
    assert_eq!(
        secret.keys().collect::<Vec<_>>(),
        ["host", "password", "port", "username"]
    );
    assert_eq!(text(secret.get("password").unwrap()), DB_PASSWORD);
    let c = run_check(&p).await;
    assert!(c.ok(), "{c:?}");
    assert_eq!(c.keys_resolved, ["host", "password", "port", "username"]);
}

#[tokio::test]
async fn approle_and_kv_v1() {
    let v = vault();
    let mut p = payload(v.approle_kv1());
    p["connection"]["host"] = json!("db.example.com");
    p["connection"]["port"] = json!(5432);
    let c = run_check(&p).await;
    assert!(c.ok(), "{c:?}");
    assert_eq!(c.keys_resolved, ["password", "username"]);
}

#[tokio::test]
async fn wrong_password_is_a_400_with_the_vaults_message() {
    let v = vault();
    let c = run_check(&payload(v.userpass("alice", "not-the-password"))).await;
    let e = c.error.unwrap();
    assert_eq!(e.status, Some(400));
    assert_eq!(e.explanation.code, "vault/login-rejected");
    assert_eq!(e.vault_errors, ["invalid username or password"]);
    assert!(!c.login_ok);
    assert_eq!(c.keys_missing, ["host", "password", "port", "username"]);
}

#[tokio::test]
async fn a_policy_that_denies_the_path_is_a_403() {
    let v = vault();
    let c = run_check(&payload(v.userpass("bob", "bob-pw-1234"))).await;
    assert!(c.login_ok && c.token_path_matched && !c.data_path_matched);
    let e = c.error.unwrap();
    assert_eq!(e.status, Some(403));
    assert_eq!(e.explanation.code, "vault/read-forbidden");
    assert_eq!(e.vault_errors, ["permission denied"]);
}

#[tokio::test]
async fn a_missing_secret_is_a_404() {
    let v = vault();
    let mut sm = v.userpass("alice", LOGIN_PASSWORD);
    sm["secret_url"] = json!(format!("{}/v1/secret/data/nothing-here", v.server.addr()));
    let e = run_check(&payload(sm)).await.error.unwrap();
    assert_eq!(e.status, Some(404));
    assert_eq!(e.explanation.code, "vault/secret-not-found");
}

#[tokio::test]
async fn wrong_token_and_data_paths_list_what_exists() {
    let v = vault();
    let mut sm = v.userpass("alice", LOGIN_PASSWORD);
    sm["token_jsonpath"] = json!("$.auth.token");
    let c = run_check(&payload(sm)).await;
    assert!(c.login_ok && !c.token_path_matched);
    let e = c.error.unwrap();
    assert_eq!(e.explanation.code, "vault/token-path-no-match");
    assert!(
        e.keys_found.contains(&"client_token".to_owned()),
        "{:?}",
        e.keys_found
    );

    let mut sm = v.userpass("alice", LOGIN_PASSWORD);
    sm["data_jsonpath"] = json!("$.data.secret");
    let c = run_check(&payload(sm)).await;
    assert!(c.token_path_matched && !c.data_path_matched);
    let e = c.error.unwrap();
    assert_eq!(e.explanation.code, "vault/data-path-no-match");
    assert!(
        e.keys_found.contains(&"metadata".to_owned()),
        "{:?}",
        e.keys_found
    );

    // KV v2 read with the KV v1 path: the fix names the right one
    let mut sm = v.userpass("alice", LOGIN_PASSWORD);
    sm["data_jsonpath"] = json!("$.data");
    let e = run_check(&payload(sm)).await.error.unwrap();
    assert_eq!(e.explanation.code, "vault/data-not-flat");
    assert!(e.explanation.fix.contains("$.data.data"));
}

#[tokio::test]
async fn a_key_the_secret_lacks_is_reported_missing() {
    let v = vault();
    let mut p = payload(v.userpass("alice", LOGIN_PASSWORD));
    p["database"] = json!("${database}");
    let c = run_check(&p).await;
    assert!(c.error.is_none());
    assert_eq!(c.keys_missing, ["database"]);
    assert!(!c.ok());
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.path == "/database")
        .unwrap();
    assert_eq!(d.code, "secrets/key-missing");
    assert!(
        d.help.contains("host, password, port, username"),
        "{}",
        d.help
    );
}

#[tokio::test]
async fn a_vault_that_refuses_connections_fails_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sm = json!({
        "login_url": format!("http://127.0.0.1:{port}/v1/auth/userpass/login/alice"),
        "credentials_payload": "{\"password\": \"x\"}",
        "token_jsonpath": "$.auth.client_token",
        "secret_url": format!("http://127.0.0.1:{port}/v1/secret/data/db"),
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    });
    let started = Instant::now();
    let e = run_check(&payload(sm)).await.error.unwrap();
    assert_eq!(e.explanation.code, "vault/refused");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_vault_that_never_answers_is_cut_off_within_the_timeout() {
    // accepts TCP, reads, never writes
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let sm = json!({
        "login_url": format!("http://127.0.0.1:{port}/v1/auth/userpass/login/alice"),
        "credentials_payload": "{\"password\": \"x\"}",
        "token_jsonpath": "$.auth.client_token",
        "secret_url": format!("http://127.0.0.1:{port}/v1/secret/data/db"),
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    });
    let p = payload(sm);
    let options = HttpOptions {
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    };
    let started = Instant::now();
    let c = check(&p, &settings(&p), None, &options).await;
    let elapsed = started.elapsed();
    assert_eq!(c.error.unwrap().explanation.code, "vault/timeout");
    // generous bound: the 2 s limit plus scheduling slack
    assert!(
        elapsed >= Duration::from_millis(1900) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_rotated_secret_is_picked_up_by_the_next_check() {
    let v = vault();
    let p = payload(v.userpass("alice", LOGIN_PASSWORD));
    let sm = settings(&p);
    let (_, first) = fetch_secret(&sm, &fast()).await;
    assert_eq!(text(first.unwrap().get("password").unwrap()), DB_PASSWORD);
    v.server
        .bao(&["kv", "patch", "secret/db", "password=Rotated-Pa55-2"])
        .unwrap();
    let (_, second) = fetch_secret(&sm, &fast()).await;
    assert_eq!(
        text(second.unwrap().get("password").unwrap()),
        "Rotated-Pa55-2"
    );
    // and the resolved payload carries it
    let c = run_check(&p).await;
    assert!(c.ok());
}

#[tokio::test]
async fn tls_to_the_vault_is_verified_against_the_given_ca() {
    let s = pgconnect_testkit::bao::BaoServer::start_tls().unwrap();
    s.bao(&["auth", "enable", "userpass"]).unwrap();
    s.bao_with_stdin(
        &["policy", "write", "p", "-"],
        Some("path \"secret/data/db\" { capabilities = [\"read\"] }\n"),
    )
    .unwrap();
    s.bao(&[
        "write",
        "auth/userpass/users/t",
        "password=tls-Login-pw",
        "policies=p",
    ])
    .unwrap();
    s.bao(&["kv", "put", "secret/db", "password=x-y-z-1"])
        .unwrap();
    let mut sm = json!({
        "login_url": format!("{}/v1/auth/userpass/login/t", s.addr()),
        "credentials_payload": {"password": "tls-Login-pw"},
        "token_jsonpath": "$.auth.client_token",
        "secret_url": format!("{}/v1/secret/data/db", s.addr()),
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    });
    assert!(s.addr().starts_with("https://"));
    // without the CA: the certificate is not trusted
    let p = payload(sm.clone());
    let (progress, result) = fetch_secret(&settings(&p), &fast()).await;
    let e = result.unwrap_err();
    assert_eq!(e.explanation.code, "vault/tls", "{e:?}");
    assert!(
        e.explanation.cause.contains("not trusted"),
        "{}",
        e.explanation.cause
    );
    assert!(!progress.login_ok);
    // with it: verified and read
    sm["ca_cert"] = json!(s.ca_pem().unwrap());
    let p = payload(sm);
    let (_, result) = fetch_secret(&settings(&p), &fast()).await;
    assert_eq!(result.unwrap().keys().collect::<Vec<_>>(), ["password"]);
}

/// A one-trick HTTP server: answers every request with `response` and counts the requests.
async fn canned_server(response: Vec<u8>) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (port, hits)
}

fn settings_at(port: u16) -> serde_json::Value {
    json!({
        "login_url": format!("http://127.0.0.1:{port}/v1/auth/userpass/login/alice"),
        "credentials_payload": "{\"password\": \"x\"}",
        "token_jsonpath": "$.auth.client_token",
        "secret_url": format!("http://127.0.0.1:{port}/v1/secret/data/db"),
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    })
}

#[tokio::test]
async fn redirects_are_never_followed() {
    use std::sync::atomic::Ordering;
    // the redirect target counts every request it gets: it must get none
    let (target, target_hits) =
        canned_server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec()).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{target}/v1/auth/userpass/login/alice\r\ncontent-length: 0\r\n\r\n"
    );
    let (port, hits) = canned_server(redirect.into_bytes()).await;
    let e = run_check(&payload(settings_at(port))).await.error.unwrap();
    assert_eq!(e.explanation.code, "vault/redirect");
    assert_eq!(e.status, Some(307));
    assert!(
        e.explanation.cause.contains(&format!("127.0.0.1:{target}")),
        "{}",
        e.explanation.cause
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

#[tokio::test]
async fn answers_over_one_mebibyte_are_cut_off() {
    let body = format!(
        "{{\"auth\": {{\"client_token\": \"{}\"}}}}",
        "x".repeat(2 << 20)
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (port, _) = canned_server(response.into_bytes()).await;
    let e = run_check(&payload(settings_at(port))).await.error.unwrap();
    assert_eq!(e.explanation.code, "vault/answer-too-large");
    assert!(
        e.explanation.cause.contains("1048576 bytes"),
        "{}",
        e.explanation.cause
    );
}

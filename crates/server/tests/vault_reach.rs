//! What a stored connection's vault credentials open — the vault token, the secret it reads —
//! never goes to an address the caller picks without typing the credentials again. Against a
//! real OpenBao, with loopback listeners standing in for an attacker's database and vault: a
//! refused change reaches neither, and the same change with the credentials retyped does (so
//! the listeners would see a leak).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use common::{json_call, token};
use pgconnect_server::app;
use pgconnect_server::auth::Role;
use pgconnect_testkit::bao::BaoServer;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const DB_PASSWORD: &str = "Vaulted-db-Pa55word";
const LOGIN_PASSWORD: &str = "alice-vault-login-pw";

/// A loopback listener that keeps the first bytes of every connection it accepts.
struct Trap {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Trap {
    async fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    let n = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buf))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .unwrap_or(0);
                    log.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    let _ = socket
                        .write_all(b"HTTP/1.1 500 Trap\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        Trap { port, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn vault() -> BaoServer {
    let s = BaoServer::start().unwrap();
    s.with_reader("alice", LOGIN_PASSWORD, "db", &[("password", DB_PASSWORD)])
        .unwrap();
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn what_stored_vault_credentials_open_never_reaches_a_new_address() {
    let bao = vault();
    let db = Trap::start().await;
    let evil_db = Trap::start().await;
    let evil_vault = Trap::start().await;
    let state = common::state(common::config()).await;
    let app = app(state);
    let dev = token(Role::Developer, &["Finance"]);
    let credentials = json!({"password": LOGIN_PASSWORD}).to_string();
    let connection = json!({"name": "vaulted", "type": "postgresql", "host": "127.0.0.1",
        "port": db.port, "username": "reader", "password": "${password}", "ssl_mode": "disable",
        "secrets_management": {
            "login_url": format!("{}/v1/auth/userpass/login/alice", bao.addr()),
            "credentials_payload": credentials,
            "token_jsonpath": "$.auth.client_token",
            "secret_url": format!("{}/v1/secret/data/db", bao.addr()),
            "token_header_name": "X-Vault-Token",
            "data_jsonpath": "$.data.data"}});
    let (status, v) = json_call(&app, "POST", "/api/connections", Some(&dev), &connection).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let test = format!("/api/connections/{}/test", v["id"]);

    // the stored connection works: the secret reaches the stored database address
    let (status, v) = json_call(&app, "POST", &test, Some(&dev), &json!({"database": "d"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["secrets"]["keys_resolved"], json!(["password"]), "{v}");
    let tried = db.seen().len();
    assert!(tried > 0, "{v}");

    let evil_secret_url = format!("http://127.0.0.1:{}/v1/secret/data/db", evil_vault.port);
    let refused = [
        json!({"host": "127.0.0.1", "port": evil_db.port, "password": "${password}"}),
        json!({"port": evil_db.port}),
        json!({"secrets_management": {"secret_url": evil_secret_url}}),
    ];
    for overrides in &refused {
        let mut body = overrides.clone();
        body["database"] = json!("d");
        let (status, v) = json_call(&app, "POST", &test, Some(&dev), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{overrides}: {v}");
        let paths = common::paths(&v);
        assert!(
            paths.contains(&"/secrets_management/credentials_payload"),
            "{overrides}: {v}"
        );
        let (status, v) = json_call(
            &app,
            "PATCH",
            &test.replace("/test", ""),
            Some(&dev),
            overrides,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{overrides}: {v}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(evil_db.seen(), Vec::<String>::new());
    assert_eq!(evil_vault.seen(), Vec::<String>::new());
    assert_eq!(db.seen().len(), tried, "nothing else was tried");

    // the same changes with the credentials typed again: the caller's own choice, and the
    // traps do see what goes there
    let retyped = json!({"credentials_payload": credentials});
    let (_, v) = json_call(
        &app,
        "POST",
        &test,
        Some(&dev),
        &json!({"port": evil_db.port, "password": "${password}", "database": "d",
                "secrets_management": retyped}),
    )
    .await;
    assert!(!evil_db.seen().is_empty(), "{v}");
    let (_, v) = json_call(
        &app,
        "POST",
        &test,
        Some(&dev),
        &json!({"database": "d", "secrets_management":
            {"secret_url": evil_secret_url, "credentials_payload": credentials}}),
    )
    .await;
    let asked = evil_vault.seen();
    assert_eq!(asked.len(), 1, "{v}");
    assert!(
        asked[0].to_ascii_lowercase().contains("x-vault-token: "),
        "{}",
        asked[0]
    );
}

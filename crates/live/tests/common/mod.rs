//! Fixtures shared by the vault test binaries: a configured OpenBao and payloads that use it.

#![allow(dead_code)]

use std::time::Duration;

use pgconnect_core::resolve::SecretValue;
use pgconnect_core::{SecretsManagement, analyze};
use pgconnect_live::http::HttpOptions;
use pgconnect_live::vault::{SecretsCheck, check};
use pgconnect_testkit::bao::BaoServer;
use serde_json::{Value, json};

pub const DB_PASSWORD: &str = "Db-Pa55word-rotating-1";
pub const LOGIN_PASSWORD: &str = "alice-vault-login-pw";
pub const ROLE_SECRET_KEYS: [&str; 2] = ["r0le-id-value", "s3cret-id-value"];

/// A vault with: userpass user `alice` (policy `reader`: read `secret/data/*` and `kv1/pg`),
/// user `bob` (no policy on the secrets), an AppRole `app` (policy `reader`), a KV v2 secret
/// `secret/db` and a KV v1 secret `kv1/pg`.
pub struct Vault {
    pub server: BaoServer,
    role_id: String,
    secret_id: String,
}

pub fn vault() -> Vault {
    let s = BaoServer::start().unwrap();
    s.bao(&["auth", "enable", "userpass"]).unwrap();
    s.bao(&["auth", "enable", "approle"]).unwrap();
    s.bao(&["secrets", "enable", "-path=kv1", "-version=1", "kv"])
        .unwrap();
    s.bao_with_stdin(
        &["policy", "write", "reader", "-"],
        Some(
            "path \"secret/data/*\" { capabilities = [\"read\"] }\n\
             path \"kv1/pg\" { capabilities = [\"read\"] }\n",
        ),
    )
    .unwrap();
    s.bao(&[
        "write",
        "auth/userpass/users/alice",
        &format!("password={LOGIN_PASSWORD}"),
        "policies=reader",
    ])
    .unwrap();
    s.bao(&[
        "write",
        "auth/userpass/users/bob",
        "password=bob-pw-1234",
        "policies=default",
    ])
    .unwrap();
    s.bao(&["write", "auth/approle/role/app", "token_policies=reader"])
        .unwrap();
    s.bao(&[
        "write",
        "auth/approle/role/app/role-id",
        &format!("role_id={}", ROLE_SECRET_KEYS[0]),
    ])
    .unwrap();
    s.bao(&[
        "write",
        "auth/approle/role/app/custom-secret-id",
        &format!("secret_id={}", ROLE_SECRET_KEYS[1]),
    ])
    .unwrap();
    s.bao(&[
        "kv",
        "put",
        "secret/db",
        "host=db.internal.example",
        "port=6432",
        "username=warehouse_reader",
        &format!("password={DB_PASSWORD}"),
    ])
    .unwrap();
    s.bao(&[
        "write",
        "kv1/pg",
        "username=kv1_user",
        "password=kv1-Secret-Pw",
    ])
    .unwrap();
    Vault {
        role_id: ROLE_SECRET_KEYS[0].to_owned(),
        secret_id: ROLE_SECRET_KEYS[1].to_owned(),
        server: s,
    }
}

impl Vault {
    pub fn userpass(&self, user: &str, password: &str) -> Value {
        json!({
            "login_url": format!("{}/v1/auth/userpass/login/{user}", self.server.addr()),
            "credentials_payload": json!({"password": password}).to_string(),
            "token_jsonpath": "$.auth.client_token",
            "secret_url": format!("{}/v1/secret/data/db", self.server.addr()),
            "token_header_name": "X-Vault-Token",
            "data_jsonpath": "$.data.data"
        })
    }

    pub fn approle_kv1(&self) -> Value {
        json!({
            "login_url": format!("{}/v1/auth/approle/login", self.server.addr()),
            "credentials_payload": {"role_id": self.role_id, "secret_id": self.secret_id},
            "token_jsonpath": "$.auth.client_token",
            "secret_url": format!("{}/v1/kv1/pg", self.server.addr()),
            "token_header_name": "X-Vault-Token",
            "data_jsonpath": "$.data"
        })
    }
}

/// A Qualytics payload whose connection takes host, port, username and password from the secret.
pub fn payload(secrets: Value) -> Value {
    json!({
        "name": "vaulted", "teams": ["Public"], "database": "analytics", "schema": "public",
        "connection": {
            "type": "postgresql", "host": "${host}", "port": "${port}",
            "username": "${username}", "password": "${password}", "ssl_mode": "verify-full",
            "secrets_management": secrets
        }
    })
}

pub fn settings(p: &Value) -> SecretsManagement {
    let a = analyze(p, None);
    assert!(a.report.is_valid(), "{:?}", a.report);
    let req = a.request.unwrap();
    *req.new_connection()
        .unwrap()
        .secrets_management
        .clone()
        .unwrap()
}

pub fn fast() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(3),
        ..HttpOptions::default()
    }
}

pub async fn run_check(p: &Value) -> SecretsCheck {
    check(p, &settings(p), None, &fast()).await
}

pub fn text(v: &SecretValue) -> &str {
    match v {
        SecretValue::Text(s) => s.expose(),
        SecretValue::NotText(w) => w,
    }
}

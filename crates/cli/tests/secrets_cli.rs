//! `pgconnect secrets check` against a real OpenBao dev server.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use pgconnect_testkit::bao::BaoServer;
use serde_json::{Value, json};

fn payload(bao: &BaoServer, password: &str) -> Value {
    json!({
        "name": "vaulted", "type": "postgresql",
        "config": {"host": "${host}", "port": 5432, "database": "analytics", "ssl_mode": "verify-full"},
        "credentials": {"username": "${username}", "password": "${password}"},
        "secrets_management": {
            "login_url": format!("{}/v1/auth/userpass/login/cli", bao.addr()),
            "credentials_payload": {"password": password},
            "token_jsonpath": "$.auth.client_token",
            "secret_url": format!("{}/v1/secret/data/pg", bao.addr()),
            "token_header_name": "X-Vault-Token",
            "data_jsonpath": "$.data.data"
        }
    })
}

fn run(p: &Value, format: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, p.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pgconnect"))
        .args([
            "secrets",
            "check",
            file.to_str().unwrap(),
            "--format",
            format,
            "--timeout",
            "5",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn secrets_check_reports_keys_never_values() {
    let bao = BaoServer::start().unwrap();
    bao.bao(&["auth", "enable", "userpass"]).unwrap();
    bao.bao_with_stdin(
        &["policy", "write", "pg", "-"],
        Some("path \"secret/data/pg\" { capabilities = [\"read\"] }\n"),
    )
    .unwrap();
    bao.bao(&[
        "write",
        "auth/userpass/users/cli",
        "password=cli-Login-pw",
        "policies=pg",
    ])
    .unwrap();
    bao.bao(&[
        "kv",
        "put",
        "secret/pg",
        "host=db.example.com",
        "username=reader",
        "password=Very-Secret-9",
    ])
    .unwrap();

    let (code, out) = run(&payload(&bao, "cli-Login-pw"), "json");
    assert_eq!(code, 0, "{out}");
    let mut v: Value = serde_json::from_str(&out).unwrap();
    // the dev vault speaks http: the resolved payload's report warns about exactly that
    let diagnostics = v.as_object_mut().unwrap().remove("diagnostics").unwrap();
    let codes: Vec<&str> = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["secrets/url-not-https", "secrets/url-not-https"]);
    assert_eq!(
        v,
        json!({"login_ok": true, "token_path_matched": true, "data_path_matched": true,
               "keys_resolved": ["host", "password", "username"], "keys_missing": []})
    );

    let (code, out) = run(&payload(&bao, "cli-Login-pw"), "text");
    assert_eq!(code, 0);
    assert!(
        out.contains("keys resolved        ${host}, ${password}, ${username}"),
        "{out}"
    );

    // a key the secret lacks: exit 1
    let mut p = payload(&bao, "cli-Login-pw");
    p["config"]["database"] = json!("${database}");
    let (code, out) = run(&p, "json");
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["keys_missing"], json!(["database"]));
    let (_, out) = run(&p, "text");
    assert!(out.contains("keys missing         ${database}\n"), "{out}");

    // a wrong login: exit 1 with the vault's explanation
    let (code, out) = run(&payload(&bao, "wrong-Login-pw"), "text");
    assert_eq!(code, 1);
    assert!(
        out.contains("The vault rejected the login (HTTP 400) [vault/login-rejected]"),
        "{out}"
    );
    assert!(out.contains("Vault: invalid username or password"), "{out}");
    // the secret was never read, so its keys are unresolved, not known to be missing
    assert!(
        out.contains(
            "keys unresolved      ${host}, ${password}, ${username} (the secret was not read)"
        ),
        "{out}"
    );
    assert!(!out.contains("keys missing"), "{out}");
    for secret in [
        "Very-Secret-9",
        "cli-Login-pw",
        "wrong-Login-pw",
        "db.example.com",
    ] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
}

#[test]
fn secrets_check_without_a_vault_is_an_error() {
    let p = json!({"name": "x", "type": "postgresql",
        "config": {"host": "db.example.com", "database": "a"},
        "credentials": {"username": "u", "password": "p"}});
    let (code, out) = run(&p, "text");
    assert_eq!(code, 1);
    assert!(out.contains("no secrets_management settings"), "{out}");
}

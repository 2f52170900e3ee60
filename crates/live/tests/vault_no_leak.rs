//! Every vault scenario again — success and each failure — with every log line of every crate
//! captured at TRACE level: no password, credentials, token or secret value may appear in any
//! output, error message or log line. (Its own test binary: tracing's callsite cache is
//! process-wide, so the capturing subscriber must be the global one.)

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pgconnect_live::vault::{check, fetch_secret};
use pgconnect_testkit::logs::contains_token;
use serde_json::{Value, json};

#[test]
fn no_secret_token_or_password_in_any_output_or_log() {
    let logs = pgconnect_testkit::logs::capture_everything().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let v = vault();
    let mut outputs = String::new();
    let mut scenarios: Vec<Value> = vec![
        payload(v.userpass("alice", LOGIN_PASSWORD)),
        payload(v.approle_kv1()),
        payload(v.userpass("alice", "wrong-Password-999")),
        payload(v.userpass("bob", "bob-pw-1234")),
    ];
    let mut missing = v.userpass("alice", LOGIN_PASSWORD);
    missing["secret_url"] = json!(format!("{}/v1/secret/data/none", v.server.addr()));
    scenarios.push(payload(missing));
    let mut bad_data = v.userpass("alice", LOGIN_PASSWORD);
    bad_data["data_jsonpath"] = json!("$.data");
    scenarios.push(payload(bad_data));
    let mut bad_token = v.userpass("alice", LOGIN_PASSWORD);
    bad_token["token_jsonpath"] = json!("$.auth");
    scenarios.push(payload(bad_token));
    let mut port_bad = payload(v.userpass("alice", LOGIN_PASSWORD));
    port_bad["connection"]["port"] = json!("${password}"); // a password where a port belongs
    scenarios.push(port_bad);
    for p in &scenarios {
        let sm = settings(p);
        let (progress, secret) = rt.block_on(fetch_secret(&sm, &fast()));
        outputs.push_str(&format!("{progress:?} {secret:?} {sm:?}"));
        if let Err(e) = &secret {
            outputs.push_str(&format!("{e} {}", serde_json::to_string(e).unwrap()));
        }
        let c = rt.block_on(check(p, &sm, None, &fast()));
        outputs.push_str(&serde_json::to_string(&c).unwrap());
        outputs.push_str(&format!("{c:?}"));
    }
    let logs = logs.text();
    assert!(
        logs.contains("vault login succeeded"),
        "logging was not captured: {logs}"
    );
    let everything = format!("{outputs}\n{logs}");
    for secret in [
        DB_PASSWORD,
        LOGIN_PASSWORD,
        "wrong-Password-999",
        "bob-pw-1234",
        "kv1-Secret-Pw",
        "db.internal.example",
        "warehouse_reader",
        "6432",
        ROLE_SECRET_KEYS[0],
        ROLE_SECRET_KEYS[1],
        v.server.root_token(),
    ] {
        assert!(
            !contains_token(&everything, secret),
            "{secret:?} leaked:\n{everything}"
        );
    }
    // tokens look like `s.` followed by 24 characters (OpenBao service tokens)
    let token = regex_like_token(&everything);
    assert!(token.is_none(), "a vault token leaked: {token:?}");
}

fn regex_like_token(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
        .find(|w| (w.starts_with("s.") || w.starts_with("hvs.")) && w.len() >= 26)
        .map(str::to_owned)
}

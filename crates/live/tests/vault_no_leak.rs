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

use std::sync::{Arc, Mutex};

use common::*;
use pgconnect_live::vault::{check, fetch_secret};
use serde_json::{Value, json};

/// Collects every log line of every crate at TRACE level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_secret_token_or_password_in_any_output_or_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
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
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
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

/// `needle` in `text`: values of 8 or more characters anywhere; shorter ones (a port such as `6432`)
/// only as a whole token, not inside a longer number (another port, a timing).
fn contains_token(text: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    text.match_indices(needle).any(|(i, _)| {
        let before = text.get(..i).and_then(|t| t.chars().next_back());
        let after = text.get(i + needle.len()..).and_then(|t| t.chars().next());
        needle.len() >= 8 || (!before.is_some_and(is_word) && !after.is_some_and(is_word))
    })
}

fn regex_like_token(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
        .find(|w| (w.starts_with("s.") || w.starts_with("hvs.")) && w.len() >= 26)
        .map(str::to_owned)
}

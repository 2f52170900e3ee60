//! `pgconnect key rotate`, with a key file and with PGCONNECT_SECRET_KEY: stored passwords still
//! log in to a real PostgreSQL after the rotation, the old key opens nothing, old tokens stop
//! working, a server still running with the old key saves nothing, and a rotation interrupted
//! half-way is finished by running the command again.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::{keyed, request, start_keyed, token_keyed};
use pgconnect_testkit::pg::{PgOptions, PgServer};
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::{Value, json};

const OLD: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const NEW: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

fn connection(pg: &PgServer, name: &str) -> String {
    json!({"name": name, "type": "postgresql", "host": "127.0.0.1", "port": pg.port(),
           "username": READER, "password": PASSWORD, "ssl_mode": "disable"})
    .to_string()
}

/// `pgconnect key rotate --data-dir data` with the keys given: (exit code, stdout, stderr).
fn rotate(data: &Path, key: Option<&str>, previous: Option<&str>) -> (i32, String, String) {
    common::run(
        keyed(key, previous)
            .args(["key", "rotate", "--data-dir"])
            .arg(data),
    )
}

/// Tests stored connection `id` live; the check's status.
fn live_status(addr: &str, token: &str, id: i64) -> String {
    let body = json!({"database": DB, "schema": SCHEMA}).to_string();
    let (status, answer) = request(
        addr,
        "POST",
        &format!("/api/connections/{id}/test"),
        token,
        &body,
    )
    .unwrap();
    assert_eq!(status, 200, "{answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    v["status"].as_str().unwrap().to_owned()
}

fn create(addr: &str, token: &str, body: &str) -> (u16, Value) {
    let (status, answer) = request(addr, "POST", "/api/connections", token, body).unwrap();
    (status, serde_json::from_str(&answer).unwrap())
}

fn stop(mut server: common::Server) {
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The keys in the key file (its comment lines aside).
fn key_lines(data: &Path) -> Vec<String> {
    std::fs::read_to_string(data.join("secret.key"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn rotating_the_key_file() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let file_key = || keyed(None, None);
    let (server, addr, _out) = start_keyed(data, &file_key());
    let old_token = token_keyed(data, file_key(), "admin", &[]);
    let (status, v) = create(&addr, &old_token, &connection(&pg, "warehouse"));
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(live_status(&addr, &old_token, id), "connected");
    let before = key_lines(data);
    assert_eq!(before.len(), 1);

    // rotated while the server runs: it can no longer save a credential, and says why
    let (code, out, err) = rotate(data, None, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 stored secret(s) re-sealed"), "{out}");
    assert!(out.contains("The old key is removed"), "{out}");
    let after = key_lines(data);
    assert_eq!(after.len(), 1, "only the new key stays");
    assert_ne!(after, before);
    assert!(
        !out.contains(&after[0]) && !out.contains(&before[0]),
        "no key is printed"
    );
    let (status, v) = create(&addr, &old_token, &connection(&pg, "late"));
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (503, Some("server/key-rotated"))
    );
    stop(server);

    // restarted: the stored password still logs in; the old token is refused
    let (server, addr, _out) = start_keyed(data, &file_key());
    let (status, _) = request(&addr, "GET", "/api/connections", &old_token, "").unwrap();
    assert_eq!(status, 401);
    let token = token_keyed(data, file_key(), "admin", &[]);
    assert_eq!(live_status(&addr, &token, id), "connected");
    let (status, v) = create(&addr, &token, &connection(&pg, "second"));
    assert_eq!(status, 201, "{v}");
    let second = v["id"].as_i64().unwrap();
    stop(server);

    // a rotation cut short after its first step (new key first, old key kept after it): the
    // server still opens everything, and running the command again finishes it
    let fresh = "07".repeat(32);
    std::fs::write(
        data.join("secret.key"),
        format!("{fresh}\n{}\n", key_lines(data)[0]),
    )
    .unwrap();
    let (server, addr, _out) = start_keyed(data, &file_key());
    let token = token_keyed(data, file_key(), "admin", &[]);
    assert_eq!(live_status(&addr, &token, id), "connected");
    let (status, v) = create(&addr, &token, &connection(&pg, "third"));
    assert_eq!(status, 201, "sealed with the new key meanwhile: {v}");
    let third = v["id"].as_i64().unwrap();
    stop(server);
    let (code, out, err) = rotate(data, None, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 stored secret(s) re-sealed"), "{out}");
    assert_eq!(key_lines(data).len(), 1);
    let (server, addr, _out) = start_keyed(data, &file_key());
    let token = token_keyed(data, file_key(), "admin", &[]);
    for c in [id, second, third] {
        assert_eq!(live_status(&addr, &token, c), "connected", "connection {c}");
    }
    stop(server);

    // no key file at all: nothing to rotate, and nothing is created
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = rotate(empty.path(), None, None);
    assert_eq!(code, 2);
    assert!(err.contains("there is no key file"), "{err}");
    assert!(!empty.path().join("secret.key").exists());
}

#[test]
fn rotating_an_environment_key() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (server, addr, _out) = start_keyed(data, &keyed(Some(OLD), None));
    let token = token_keyed(data, keyed(Some(OLD), None), "admin", &[]);
    let (status, v) = create(&addr, &token, &connection(&pg, "warehouse"));
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    stop(server);

    // the same key again: nothing to do, and it says how to rotate
    let (code, out, _) = rotate(data, Some(OLD), None);
    assert_eq!(code, 0);
    assert!(out.contains("nothing to re-seal"), "{out}");
    // a new key alone does not open the store
    let (code, _, err) = rotate(data, Some(NEW), None);
    assert_eq!(code, 2);
    assert!(err.contains("PGCONNECT_PREVIOUS_SECRET_KEYS"), "{err}");

    // mid-rotation, a server with both keys serves the old secret and old tokens
    let both = || keyed(Some(NEW), Some(OLD));
    let (server, addr, _out) = start_keyed(data, &both());
    assert_eq!(live_status(&addr, &token, id), "connected");
    stop(server);
    let (code, out, err) = rotate(data, Some(NEW), Some(OLD));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 stored secret(s) re-sealed"), "{out}");
    assert!(
        out.contains("Remove PGCONNECT_PREVIOUS_SECRET_KEYS"),
        "{out}"
    );
    assert!(
        !data.join("secret.key").exists(),
        "an environment key writes no file"
    );

    // the old key alone no longer opens the store; the new key alone serves everything
    let out = keyed(Some(OLD), None)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("encrypted with key"), "{err}");
    let (server, addr, _out) = start_keyed(data, &keyed(Some(NEW), None));
    let (status, _) = request(&addr, "GET", "/api/connections", &token, "").unwrap();
    assert_eq!(status, 401, "a token signed with the old key");
    let token = token_keyed(data, keyed(Some(NEW), None), "admin", &[]);
    assert_eq!(live_status(&addr, &token, id), "connected");
    stop(server);
}

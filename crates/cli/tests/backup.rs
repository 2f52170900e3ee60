//! `pgconnect store backup`: a snapshot of the SQLite registry taken while the server runs, which
//! a new server opens with the same key — its stored password still logs in to a real
//! PostgreSQL — and which holds nothing written after it; and its refusals.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{KEY, keyed, request};
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::{Value, json};

fn backup(data: &Path, to: &Path, extra: &[&str]) -> (i32, String, String) {
    common::run(
        keyed(Some(KEY), None)
            .args(["store", "backup", "--data-dir"])
            .arg(data)
            .arg("--to")
            .arg(to)
            .args(extra),
    )
}

#[test]
fn a_backup_taken_while_serving_restores_with_the_same_key() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dev = common::token(data.path(), "developer", &["Finance"]);
    let (mut server, addr, _stdout) = common::start(data.path());
    let connection = |name: &str| {
        json!({"name": name, "type": "postgresql", "host": "127.0.0.1", "port": pg.port(),
               "username": READER, "password": PASSWORD, "ssl_mode": "disable"})
        .to_string()
    };
    let (status, answer) = request(
        &addr,
        "POST",
        "/api/connections",
        &dev,
        &connection("before"),
    )
    .unwrap();
    assert_eq!(status, 201, "{answer}");

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("registry-backup.db");
    let (code, stdout, stderr) = backup(data.path(), &file, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Backed up the registry to"), "{stdout}");
    assert!(
        stdout.contains("The key is not in it: keep PGCONNECT_SECRET_KEY"),
        "{stdout}"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "owner-only");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert!(
        !bytes
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()),
        "the password is sealed in the copy"
    );
    // never over an existing file
    let (code, _, stderr) = backup(data.path(), &file, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("exists: give a new file"), "{stderr}");

    // written after the backup: not in it
    let (status, answer) = request(
        &addr,
        "POST",
        "/api/connections",
        &dev,
        &connection("after"),
    )
    .unwrap();
    assert_eq!(status, 201, "{answer}");
    let _ = server.kill();
    let _ = server.wait();

    // restored into a new data directory, opened with the same key
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&file, restored.path().join("registry.db")).unwrap();
    let (mut server, addr, _stdout) = common::start(restored.path());
    assert_eq!(common::connection_names(&addr, &dev), ["before"]);
    let body = json!({"database": DB, "schema": SCHEMA}).to_string();
    let (status, answer) = request(&addr, "POST", "/api/connections/1/test", &dev, &body).unwrap();
    assert_eq!(status, 200, "{answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        v["status"], "connected",
        "the sealed password opens: {answer}"
    );
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn backup_refusals_say_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let to = empty.path().join("b.db");
    let (code, _, stderr) = backup(empty.path(), &to, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("there is no registry in"), "{stderr}");
    assert!(!to.exists());
    let (code, _, stderr) = backup(
        empty.path(),
        &to,
        &["--store", "postgres://registry@127.0.0.1:9/r"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("back it up with pg_dump"), "{stderr}");
    assert!(!to.exists());
}

//! `pgconnect store restore`: a copy from `store backup` takes the registry's place — its stored
//! password still logs in to a real PostgreSQL —, the registry it replaced is kept (restoring
//! that one brings everything back), tokens revoked after the copy stay revoked, older copies are
//! migrated and a broken registry is moved aside; and every refusal leaves the data directory as
//! it was.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::{KEY, keyed, request};
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::{Value, json};

/// A key other than [`KEY`].
const OTHER_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

fn store(data: &Path, key: &str, args: &[&str], file: &Path) -> (i32, String, String) {
    common::run(
        keyed(Some(key), None)
            .arg("store")
            .args(args)
            .arg(file)
            .arg("--data-dir")
            .arg(data),
    )
}

fn backup(data: &Path, to: &Path) {
    let (code, stdout, stderr) = store(data, KEY, &["backup", "--to"], to);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

fn restore(data: &Path, from: &Path) -> (i32, String, String) {
    store(data, KEY, &["restore", "--from"], from)
}

/// A token for `subject` and its id.
fn token(data: &Path, subject: &str) -> (String, String) {
    let (code, stdout, stderr) = common::run(
        keyed(Some(KEY), None)
            .args(["token", "create", "--role", "admin", "--subject", subject])
            .arg("--data-dir")
            .arg(data),
    );
    assert_eq!(code, 0, "{stderr}");
    (
        common::token_id(&stdout),
        stdout.lines().last().unwrap().to_owned(),
    )
}

fn create(addr: &str, token: &str, name: &str, port: u16) {
    let body = json!({"name": name, "type": "postgresql", "host": "127.0.0.1", "port": port,
                      "username": READER, "password": PASSWORD, "ssl_mode": "disable"});
    let (status, answer) =
        request(addr, "POST", "/api/connections", token, &body.to_string()).unwrap();
    assert_eq!(status, 201, "{answer}");
}

/// The data directory's files, by name, with their contents.
fn snapshot(data: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                b"<dir>".to_vec()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Runs SQL statements on a SQLite file.
fn sql(file: &Path, statements: &[&'static str]) {
    sqlx::any::install_default_drivers();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(&format!("sqlite://{}?mode=rwc", file.display()))
                .await
                .unwrap();
            for s in statements {
                sqlx::query(*s).execute(&pool).await.unwrap();
            }
            pool.close().await;
        });
}

fn kept_file(stdout: &str) -> PathBuf {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("The registry it replaced is kept as "))
        .unwrap_or_else(|| panic!("no kept file in {stdout}"));
    PathBuf::from(line.trim_end_matches('.'))
}

#[test]
fn a_restore_brings_the_copy_back_keeps_what_it_replaced_and_what_was_revoked() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (_, admin) = token(data, "admin");
    let (doomed_id, doomed) = token(data, "doomed");
    let (mut server, addr, _stdout) = common::start(data);
    create(&addr, &admin, "before", pg.port());
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("registry-backup.db");
    backup(data, &copy);

    // after the copy: a connection, a revocation, a new token (the first start made a login link)
    create(&addr, &admin, "after", pg.port());
    let (code, _, stderr) = common::run(
        keyed(Some(KEY), None)
            .args(["token", "revoke", &doomed_id, "--data-dir"])
            .arg(data),
    );
    assert_eq!(code, 0, "{stderr}");
    let (_, late) = token(data, "late");

    // never under a running server
    let (code, stdout, stderr) = restore(data, &copy);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("a server is running on"), "{stderr}");
    assert!(stderr.contains("stop it, restore"), "{stderr}");
    assert_eq!(common::connection_names(&addr, &admin), ["before", "after"]);
    let _ = server.kill();
    let _ = server.wait();

    let (code, stdout, stderr) = restore(data, &copy);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("1 connection(s), 0 datastore(s); all 1 stored secret(s) open with key"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Tokens and login links are the replaced registry's (3 token(s), 1 login link(s))"
        ),
        "{stdout}"
    );
    let kept = kept_file(&stdout);
    assert_eq!(kept.parent().unwrap(), data);
    let leftovers: Vec<_> = snapshot(data).into_iter().map(|(n, _)| n).collect();
    assert!(
        !leftovers
            .iter()
            .any(|n| n.contains("restor") && !n.contains("before-restore")),
        "staging removed: {leftovers:?}"
    );

    // the copy's registry: the stored password still logs in
    let (mut server, addr, _stdout) = common::start(data);
    assert_eq!(common::connection_names(&addr, &admin), ["before"]);
    let body = json!({"database": DB, "schema": SCHEMA}).to_string();
    let (status, answer) =
        request(&addr, "POST", "/api/connections/1/test", &admin, &body).unwrap();
    assert_eq!(status, 200, "{answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["status"], "connected", "{answer}");
    // revoked after the copy was made: still revoked; minted after it: still known
    let (status, body) = request(&addr, "GET", "/api/session", &doomed, "").unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("auth/token-revoked"), "{body}");
    let (code, listed, _) = common::run(
        keyed(Some(KEY), None)
            .args(["token", "list", "--all", "--data-dir"])
            .arg(data),
    );
    assert_eq!(code, 0);
    assert!(listed.contains("late"), "{listed}");
    assert_eq!(
        request(&addr, "GET", "/api/session", &late, "").unwrap().0,
        200
    );
    // a second server may run beside the first (the lock is shared)
    let (mut second, second_addr, _out) = common::start(data);
    assert_eq!(common::connection_names(&second_addr, &admin), ["before"]);
    let _ = second.kill();
    let _ = second.wait();
    let _ = server.kill();
    let _ = server.wait();

    // nothing was lost: restoring the kept registry brings back what the copy did not have
    let (code, stdout, stderr) = restore(data, &kept);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("2 connection(s)"), "{stdout}");
    let (mut server, addr, _stdout) = common::start(data);
    assert_eq!(common::connection_names(&addr, &admin), ["before", "after"]);
    assert_eq!(
        request(&addr, "GET", "/api/session", &doomed, "")
            .unwrap()
            .0,
        401
    );
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn an_older_copy_is_migrated_and_a_broken_registry_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (_, admin) = token(data, "admin");
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("old.db");
    backup(data, &copy);
    // as written before login links had roles (migration 4) and records their authors (5)
    sql(
        &copy,
        &[
            "DELETE FROM _sqlx_migrations WHERE version >= 4",
            "ALTER TABLE connections DROP COLUMN created_by",
            "ALTER TABLE connections DROP COLUMN updated_by",
            "ALTER TABLE datastores DROP COLUMN created_by",
            "ALTER TABLE datastores DROP COLUMN updated_by",
            "ALTER TABLE login_codes DROP COLUMN subject",
            "ALTER TABLE login_codes DROP COLUMN role",
            "ALTER TABLE login_codes DROP COLUMN teams",
        ],
    );
    // the registry is broken
    let registry = data.join("registry.db");
    std::fs::write(&registry, b"this is not what it was").unwrap();

    let (code, stdout, stderr) = restore(data, &copy);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("The replaced registry could not be opened"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Tokens revoked after the copy was made work again"),
        "{stdout}"
    );
    assert!(stdout.contains("pgconnect key rotate"), "{stdout}");
    let kept = kept_file(&stdout);
    assert_eq!(std::fs::read(&kept).unwrap(), b"this is not what it was");

    let (mut server, addr, _stdout) = common::start(data);
    assert!(common::connection_names(&addr, &admin).is_empty());
    // migrations 4 and 5 ran on the copy: a login link with a role can be made, and a record
    // its author
    let (code, stdout, stderr) = common::run(
        keyed(Some(KEY), None)
            .args(["token", "login-link", "--role", "viewer", "--subject", "v"])
            .arg("--data-dir")
            .arg(data),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let body = json!({"name": "new", "type": "postgresql", "host": "127.0.0.1", "port": 5432,
                      "username": READER, "password": PASSWORD, "ssl_mode": "disable"});
    let (status, answer) =
        request(&addr, "POST", "/api/connections", &admin, &body.to_string()).unwrap();
    assert_eq!(status, 201, "{answer}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["created_by"], "admin", "{answer}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn refusals_say_why_and_leave_the_data_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    token(data, "admin");
    let out = tempfile::tempdir().unwrap();
    let good = out.path().join("good.db");
    backup(data, &good);
    let before = snapshot(data);

    let junk = out.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 4096]).unwrap();
    let short = out.path().join("short.db");
    std::fs::write(&short, b"SQLite").unwrap();
    let foreign = out.path().join("foreign.db");
    sql(&foreign, &["CREATE TABLE t (x INTEGER)"]);
    let newer = out.path().join("newer.db");
    std::fs::copy(&good, &newer).unwrap();
    sql(
        &newer,
        &[
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
           execution_time) VALUES (99, 'future', 1, x'00', 0)",
        ],
    );
    // made with another key, with a sealed password in it
    let other = tempfile::tempdir().unwrap();
    let (mut server, addr, _stdout) =
        common::start_keyed(other.path(), &keyed(Some(OTHER_KEY), None));
    let other_admin = common::token_keyed(other.path(), keyed(Some(OTHER_KEY), None), "admin", &[]);
    create(&addr, &other_admin, "theirs", 5432);
    let _ = server.kill();
    let _ = server.wait();
    let foreign_key = out.path().join("other-key.db");
    let (code, _, stderr) = store(other.path(), OTHER_KEY, &["backup", "--to"], &foreign_key);
    assert_eq!(code, 0, "{stderr}");

    for (from, why) in [
        (out.path().join("missing.db"), "cannot read"),
        (junk, "is not a SQLite database"),
        (short, "too short to be a SQLite database"),
        (
            foreign,
            "it is not a pgconnect registry (it has no _sqlx_migrations table)",
        ),
        (
            newer,
            "written by a newer pgconnect (its schema is at migration 99",
        ),
        (foreign_key, "its credentials are sealed with key"),
        (data.join("registry.db"), "is the registry itself"),
    ] {
        let (code, stdout, stderr) = restore(data, &from);
        assert_eq!(code, 2, "{from:?}: {stdout}");
        assert!(stderr.contains(why), "{from:?}: {stderr}");
        assert!(!stderr.contains(PASSWORD), "{stderr}");
        let mut after = snapshot(data);
        after.retain(|(name, _)| name != "registry.lock");
        let mut expected = before.clone();
        expected.retain(|(name, _)| name != "registry.lock");
        assert_eq!(
            after.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            expected.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "{from:?}"
        );
        assert!(after == expected, "{from:?}: the data directory changed");
    }

    // a new data directory with no key: no key is made up
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = common::run(
        keyed(None, None)
            .args(["store", "restore", "--from"])
            .arg(&good)
            .arg("--data-dir")
            .arg(empty.path()),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("there is no key in"), "{stderr}");
    assert!(!empty.path().join("secret.key").exists());

    let (code, _, stderr) = store(
        data,
        KEY,
        &[
            "restore",
            "--store",
            "postgres://registry@127.0.0.1:9/r",
            "--from",
        ],
        &good,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("pg_restore"), "{stderr}");
}

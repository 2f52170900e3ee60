//! `pgconnect connections …` and `pgconnect datastores …` against a running `pgconnect serve`
//! and a real PostgreSQL: the Qualytics CLI's flow, --dry-run, --format json, exit codes.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::Value;

/// Runs `pgconnect ARGS` against `server` with `token`, `stdin` on standard input.
fn cli(server: &str, token: Option<&str>, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgconnect"));
    cmd.args(args)
        .env("PGCONNECT_SERVER", format!("http://{server}"))
        .env_remove("PGCONNECT_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("PGCONNECT_TOKEN", t);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_qualytics_cli_flow_against_a_running_server() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let dev = common::token(data.path(), "developer", &["Finance"]);
    let viewer = common::token(data.path(), "viewer", &["Finance"]);
    let (mut server, addr, _stdout) = common::start(data.path());
    let port = pg.port().to_string();
    let create = [
        "connections",
        "create",
        "--type",
        "postgresql",
        "--name",
        "warehouse",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--username",
        READER,
        "--password-stdin",
        "--ssl-mode",
        "disable",
    ];

    // dry run: validated locally, password masked, nothing sent
    let mut dry = create.to_vec();
    dry.extend(["--dry-run", "--format", "json"]);
    let (code, out, _) = cli(&addr, Some(&dev), &dry, &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["request"]["body"]["password"], "********");
    assert!(!out.contains(PASSWORD));
    // no token: exit 2, says how to get one
    let (code, _, err) = cli(&addr, None, &["connections", "list"], "");
    assert_eq!(code, 2);
    assert!(err.contains("pgconnect token create"), "{err}");
    // a viewer may not create: exit 1, the server's words
    let (code, _, err) = cli(&addr, Some(&viewer), &create, PASSWORD);
    assert_eq!(code, 1);
    assert!(err.contains("developer role"), "{err}");

    let (code, out, err) = cli(&addr, Some(&dev), &create, &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("warehouse") && out.contains("password set"),
        "{out}"
    );
    let (code, out, _) = cli(
        &addr,
        Some(&viewer),
        &["connections", "list", "--format", "json"],
        "",
    );
    assert_eq!(code, 0);
    let list: Value = serde_json::from_str(&out).unwrap();
    let cid = list[0]["id"].as_i64().unwrap().to_string();
    assert!(!out.contains(PASSWORD));
    // the stored password (read from stdin, newline trimmed) logs in
    let test = [
        "connections",
        "test",
        "--id",
        &cid,
        "--database",
        DB,
        "--schema",
        SCHEMA,
    ];
    let (code, out, _) = cli(&addr, Some(&viewer), &test, "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Connected to PostgreSQL"), "{out}");

    // the database's password changes: a wrong one stored fails the test, the right one passes
    let update = ["connections", "update", "--id", &cid, "--password-stdin"];
    let (code, out, err) = cli(&addr, Some(&dev), &update, "not-the-password\n");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("updated connection") && out.contains("password set"),
        "{out}"
    );
    let (code, out, _) = cli(&addr, Some(&viewer), &test, "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[auth/password-failed]"), "{out}");
    let (code, out, err) = cli(&addr, Some(&dev), &update, &format!("{PASSWORD}\n"));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = cli(&addr, Some(&viewer), &test, "");
    assert_eq!(code, 0, "{out}");
    // a new host without the password again: refused by the server, which says why
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &["connections", "update", "--id", &cid, "--host", "localhost"],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("connection/password-required"), "{err}");
    // a dry run masks the password and sends nothing; no change at all is a usage error
    let mut dry = update.to_vec();
    dry.push("--dry-run");
    let (code, out, _) = cli(&addr, Some(&dev), &dry, "s3cret-typo\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PATCH") && out.contains("********") && !out.contains("s3cret"),
        "{out}"
    );
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &["connections", "update", "--id", &cid],
        "",
    );
    assert_eq!(code, 2);
    assert!(err.contains("nothing to change"), "{err}");
    let (code, out, _) = cli(&addr, Some(&viewer), &test, "");
    assert_eq!(
        code, 0,
        "the refused and dry-run updates changed nothing: {out}"
    );

    // datastores by connection name
    let (code, out, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "create",
            "--name",
            "orders",
            "--connection-name",
            "warehouse",
            "--database",
            DB,
            "--schema",
            SCHEMA,
            "--teams",
            "Finance",
        ],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("orders") && out.contains("source"), "{out}");
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "create",
            "--name",
            "x",
            "--connection-name",
            "nope",
            "--database",
            DB,
            "--schema",
            SCHEMA,
        ],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("no connection named \"nope\""), "{err}");
    let (code, out, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "create",
            "--name",
            "results",
            "--connection-id",
            &cid,
            "--database",
            DB,
            "--schema",
            "results",
            "--enrichment-only",
            "--enrichment-prefix",
            "qa",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let eid = serde_json::from_str::<Value>(&out).unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (_, out, _) = cli(
        &addr,
        Some(&viewer),
        &["datastores", "list", "--format", "json"],
        "",
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    let sid = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "orders")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "enrichment",
            "--id",
            &sid,
            "--link",
            &eid,
            "--prefix",
            "Orders",
        ],
        "",
    );
    // the core's rule, with the field and the fix; nothing linked
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("/enrichment_prefix") && err.contains("use \"orders\""),
        "{err}"
    );
    let (code, out, _) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "enrichment",
            "--id",
            &sid,
            "--link",
            &eid,
            "--prefix",
            "orders_",
        ],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("enrichment: results") && out.contains("tables prefixed orders_"),
        "{out}"
    );
    let (code, out, _) = cli(
        &addr,
        Some(&viewer),
        &["datastores", "get", "--id", &sid],
        "",
    );
    assert_eq!(code, 0);
    assert!(out.contains("enrichment: results"), "{out}");
    let (code, out, _) = cli(
        &addr,
        Some(&viewer),
        &["datastores", "verify", "--id", &sid],
        "",
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = cli(
        &addr,
        Some(&dev),
        &["datastores", "enrichment", "--id", &sid, "--unlink"],
        "",
    );
    assert_eq!(code, 0);
    assert!(!out.contains("enrichment:"), "{out}");
    // the datastore's own fields: checked locally first, then by the server
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &["datastores", "update", "--id", &sid, "--schema", ""],
        "",
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/schema"), "{err}");
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &["datastores", "update", "--id", &sid],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to change"), "{err}");
    let (code, _, err) = cli(
        &addr,
        Some(&viewer),
        &["datastores", "update", "--id", &sid, "--name", "x"],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("developer role"), "{err}");
    let (code, out, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "update",
            "--id",
            &sid,
            "--name",
            "orders-2",
            "--schema",
            "results",
            "--teams",
            "Finance,Public",
            "--no-enrichment-prefix",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            &v["name"],
            &v["schema"],
            &v["teams"],
            &v["enrichment_prefix"]
        ),
        (
            &Value::from("orders-2"),
            &Value::from("results"),
            &serde_json::json!(["Finance", "Public"]),
            &Value::Null
        )
    );
    let (code, out, err) = cli(
        &addr,
        Some(&dev),
        &[
            "datastores",
            "update",
            "--id",
            &sid,
            "--schema",
            SCHEMA,
            "--name",
            "orders",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("updated datastore\n") && out.contains(&format!("{DB}.{SCHEMA}")),
        "{out}"
    );
    // the reader audited as an enrichment role lacks CREATE: the test says so, exit 1
    let mut as_enrichment = test.to_vec();
    as_enrichment.push("--enrichment");
    let (code, out, _) = cli(&addr, Some(&viewer), &as_enrichment, "");
    assert_eq!(code, 1, "{out}");
    // in use: refused with the server's reason
    let (code, _, err) = cli(
        &addr,
        Some(&dev),
        &["connections", "delete", "--id", &cid],
        "",
    );
    assert_eq!(code, 1);
    assert!(err.contains("used by 2 datastores"), "{err}");
    for id in [&sid, &eid] {
        assert_eq!(
            cli(&addr, Some(&dev), &["datastores", "delete", "--id", id], "").0,
            0
        );
    }
    let (code, out, _) = cli(
        &addr,
        Some(&dev),
        &["connections", "delete", "--id", &cid],
        "",
    );
    assert_eq!(code, 0, "{out}");
    // unreachable server: exit 2
    let (code, _, err) = cli("127.0.0.1:9", Some(&dev), &["datastores", "list"], "");
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach the server"), "{err}");
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
}

/// A vault-backed connection moved with `connections update`: the server refuses the move until
/// `--vault-credentials-file` comes again, then the moved connection resolves its password from
/// the vault and logs in; `--no-vault` turns the vault off.
#[test]
fn a_vault_backed_connection_moves_with_its_credentials_typed_again() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let bao = pgconnect_testkit::bao::BaoServer::start().unwrap();
    bao.with_reader("alice", "alice-login-pw", "db", &[("password", PASSWORD)])
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let credentials = data.path().join("credentials.json");
    std::fs::write(&credentials, r#"{"password": "alice-login-pw"}"#).unwrap();
    let credentials = credentials.to_str().unwrap();
    let dev = common::token(data.path(), "developer", &["Finance"]);
    let (mut server, addr, _stdout) = common::start(data.path());
    // first on a port where nothing listens
    let login = format!("{}/v1/auth/userpass/login/alice", bao.addr());
    let secret = format!("{}/v1/secret/data/db", bao.addr());
    let create = [
        "connections",
        "create",
        "--type",
        "postgresql",
        "--name",
        "vaulted",
        "--host",
        "127.0.0.1",
        "--port",
        "9",
        "--username",
        READER,
        "--password-stdin",
        "--ssl-mode",
        "disable",
        "--vault-login-url",
        &login,
        "--vault-credentials-file",
        credentials,
        "--vault-secret-url",
        &secret,
    ];
    let (code, out, err) = cli(&addr, Some(&dev), &create, "${password}");
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = cli(
        &addr,
        Some(&dev),
        &["connections", "list", "--format", "json"],
        "",
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    let cid = list[0]["id"].as_i64().unwrap().to_string();
    let port = pg.port().to_string();
    let mut moved = vec![
        "connections",
        "update",
        "--id",
        &cid,
        "--port",
        &port,
        "--password-stdin",
    ];
    // a dry run asks the server for the stored connection and tells, changing nothing, what it
    // would answer: the same refusal, at the same field
    let mut dry = moved.clone();
    dry.extend(["--dry-run", "--format", "json"]);
    let (code, out, err) = cli(&addr, Some(&dev), &dry, "${password}");
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["report"]["diagnostics"][0]["code"], "secrets/credentials-required",
        "{v}"
    );
    assert_eq!(
        v["report"]["diagnostics"][0]["path"],
        "/secrets_management/credentials_payload"
    );
    let (code, _, err) = cli(&addr, Some(&dev), &moved, "${password}");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("secrets/credentials-required"), "{err}");
    assert!(err.contains("credentials_payload"), "{err}");
    moved.extend(["--vault-credentials-file", credentials]);
    dry.extend(["--vault-credentials-file", credentials]);
    let (code, out, err) = cli(&addr, Some(&dev), &dry, "${password}");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains("alice-login-pw"),
        "the credentials are masked: {out}"
    );
    let (_, out, _) = cli(
        &addr,
        Some(&dev),
        &["connections", "list", "--format", "json"],
        "",
    );
    assert!(
        out.contains("\"port\": 9"),
        "a dry run changes nothing: {out}"
    );
    let (code, out, err) = cli(&addr, Some(&dev), &moved, "${password}");
    assert_eq!(code, 0, "{out}{err}");
    let test = [
        "connections",
        "test",
        "--id",
        &cid,
        "--database",
        DB,
        "--schema",
        SCHEMA,
    ];
    let (code, out, _) = cli(&addr, Some(&dev), &test, "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Connected to PostgreSQL"), "{out}");
    assert_eq!(
        list[0]["secrets_management"]["credentials_payload_set"], true,
        "{list}"
    );
    let (_, out, _) = cli(&addr, Some(&dev), &["connections", "list"], "");
    assert!(
        out.contains(&format!("vault {secret} (credentials set)")),
        "{out}"
    );
    // off the vault: the password itself, and the stored credentials are gone
    let off = [
        "connections",
        "update",
        "--id",
        &cid,
        "--no-vault",
        "--password-stdin",
    ];
    let (code, out, err) = cli(&addr, Some(&dev), &off, PASSWORD);
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = cli(
        &addr,
        Some(&dev),
        &["connections", "list", "--format", "json"],
        "",
    );
    let list: Value = serde_json::from_str(&out).unwrap();
    assert!(list[0].get("secrets_management").is_none(), "{list}");
    assert_eq!(list[0]["password_set"], true, "{list}");
    let (code, out, _) = cli(&addr, Some(&dev), &test, "");
    assert_eq!(code, 0, "{out}");
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
}

/// `pgconnect token create | head -1`: a reader that stops early is not an error (no panic).
#[test]
fn a_closed_pipe_is_not_a_crash() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgconnect"))
        .args(["token", "create", "--role", "viewer", "--data-dir"])
        .arg(data.path())
        .env("PGCONNECT_SECRET_KEY", common::KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0));
}

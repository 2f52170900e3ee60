//! `pgconnect test` against a real PostgreSQL server: text and JSON output, exit codes, and the
//! network-policy flags.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA, psql_ok};
use serde_json::{Value, json};

fn craft(port: u16, password: &str) -> Value {
    json!({
        "name": "shop", "type": "postgresql",
        "config": {"host": "127.0.0.1", "port": port, "database": DB, "schema": SCHEMA, "ssl_mode": "disable"},
        "credentials": {"username": READER, "password": password}
    })
}

fn run(p: &Value, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, p.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pgconnect"))
        .arg("test")
        .arg(&file)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn pgconnect_test_reports_stages_fixes_and_exit_codes() {
    let pg = shop::start(PgOptions::default()).unwrap();

    // success: every stage listed, exit 0
    let (code, out, err) = run(&craft(pg.port(), PASSWORD), &[]);
    println!("{out}{err}");
    assert_eq!(code, 0, "{out}{err}");
    for line in [
        "validate",
        "resolve",
        "connect",
        "authenticate",
        "inspect",
        "privileges",
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with("ok") && l.contains(line)),
            "{line}: {out}"
        );
    }
    assert!(out.contains("Connected to PostgreSQL 15"), "{out}");
    assert!(out.contains("Schemas: public, results, sales"), "{out}");
    assert!(!out.contains(PASSWORD));

    // JSON: the server's answer
    let (code, out, _) = run(&craft(pg.port(), PASSWORD), &["--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "connected");
    assert_eq!(v["table_count"], 3);
    assert_eq!(v["stages"].as_array().unwrap().len(), 9);

    // missing USAGE: exit 1 and the GRANT that fixes it
    psql_ok(&pg, DB, "REVOKE USAGE ON SCHEMA sales FROM shop_reader;").unwrap();
    let (code, out, _) = run(&craft(pg.port(), PASSWORD), &[]);
    println!("{out}");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("GRANT USAGE ON SCHEMA sales TO shop_reader;"),
        "{out}"
    );
    assert!(out.contains("[privilege/schema]"), "{out}");

    // the same role as an enrichment datastore also lacks CREATE
    let (code, out, _) = run(
        &craft(pg.port(), PASSWORD),
        &["--enrichment", "--format", "json"],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["privileges"]["kind"], "enrichment");
    let missing: Vec<&str> = v["privileges"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["privilege"].as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"CREATE") || missing.contains(&"USAGE"),
        "{missing:?}"
    );

    // a wrong password: explained, exit 1
    let (code, out, _) = run(&craft(pg.port(), "nope-nope"), &[]);
    assert_eq!(code, 1);
    assert!(out.contains("[auth/password-failed]"), "{out}");
    assert!(!out.contains("nope-nope"));

    // the operator's deny list
    let (code, out, _) = run(
        &craft(pg.port(), PASSWORD),
        &["--deny-cidr", "127.0.0.0/8", "--format", "json"],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "network/denied", "{v:#}");

    // invalid payload: the validation report, exit 1; bad flags and files: exit 2
    let (code, out, _) = run(&json!({"name": "x"}), &["--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["valid"], false);
    let (code, _, err) = run(&craft(pg.port(), PASSWORD), &["--allow-cidr", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("--allow-cidr"), "{err}");
    let (code, _, err) = run(&craft(pg.port(), PASSWORD), &["--timeout", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--timeout"), "{err}");
}

/// One HTTP/1.1 request over a fresh TCP connection; the whole answer as text.
fn http(addr: &str, request_head: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(format!("{request_head}\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// `pgconnect serve` prints the URL it listens on and, on an empty store, a one-time login link
/// that opens an admin session (once); answers there, and stops cleanly on SIGTERM.
#[test]
fn pgconnect_serve_prints_its_url_and_stops_on_sigterm() {
    use std::io::{BufRead as _, BufReader, Read as _};
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgconnect"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env_remove("PGCONNECT_SECRET_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_owned();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let answer = http(&addr, "GET /healthz HTTP/1.1");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"status\":\"ok\""), "{answer}");

    // the login link, printed on the following lines
    let mut login = None;
    for _ in 0..6 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(at) = line.find("/login?code=") {
            login = Some(line[at..].trim().to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let login = login.expect("a login link on first start");
    let answer = http(&addr, &format!("GET {login} HTTP/1.1"));
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let answer = http(
        &addr,
        &format!("GET /api/session HTTP/1.1\r\nCookie: {session}"),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"role\":\"admin\""), "{answer}");
    // once only
    let again = http(&addr, &format!("GET {login} HTTP/1.1"));
    assert!(again.starts_with("HTTP/1.1 401"), "{again}");
    // without the cookie: 401
    let anonymous = http(&addr, "GET /api/session HTTP/1.1");
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.path().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let started = std::time::Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("route=/healthz status=200"), "{logs}");
    assert!(logs.contains("shutting down"), "{logs}");
}

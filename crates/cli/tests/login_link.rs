//! `pgconnect token login-link`: a browser signs in to a server whose store is in use (the server
//! prints a link only on its first start), once.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead as _, Read as _, Write as _};

use common::{KEY, keyed};

/// `GET path` with optional cookie: (status, headers and body as text).
fn get(addr: &str, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{cookie}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    (answer[9..12].parse().unwrap(), answer)
}

/// The `name=value` of the answer's `Set-Cookie`.
fn cookie_of(answer: &str) -> String {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

#[test]
fn a_login_link_for_a_store_in_use_opens_one_session() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (mut server, addr, _out) = common::start(data);

    let out = keyed(Some(KEY), None)
        .args([
            "token",
            "login-link",
            "--url",
            &format!("http://{addr}/"),
            "--data-dir",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let link = text.lines().last().unwrap();
    let path = link
        .strip_prefix(&format!("http://{addr}"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(path.starts_with("/login?code="), "{text}");

    let (status, answer) = get(&addr, path, None);
    assert_eq!(status, 303, "{answer}");
    let cookie = cookie_of(&answer);
    let (status, answer) = get(&addr, "/api/session", Some(&cookie));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains(r#""role":"admin""#), "{answer}");
    // once only
    let (status, answer) = get(&addr, path, None);
    assert_eq!(status, 401);
    assert!(answer.contains("pgconnect token login-link"), "{answer}");

    // a link for a colleague: their role, teams and name
    let out = keyed(Some(KEY), None)
        .args(["token", "login-link", "--url", &format!("http://{addr}")])
        .args([
            "--role",
            "developer",
            "--team",
            "Finance",
            "--subject",
            "alice",
        ])
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(
            "A one-time login link for the wizard (developer session for \"alice\", teams \
             Finance; valid 24 hours, usable once):"
        ),
        "{text}"
    );
    let path = text
        .lines()
        .last()
        .unwrap()
        .replace(&format!("http://{addr}"), "");
    let (status, answer) = get(&addr, &path, None);
    assert_eq!(status, 303, "{answer}");
    let cookie = cookie_of(&answer);
    let (status, answer) = get(&addr, "/api/session", Some(&cookie));
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(r#""sub":"alice","role":"developer","teams":["Finance"]"#),
        "{answer}"
    );
    // links not used yet: listed (never their codes), and withdrawn
    let token = |args: &[&str]| {
        keyed(Some(KEY), None)
            .arg("token")
            .args(args)
            .arg("--data-dir")
            .arg(data)
            .output()
            .unwrap()
    };
    let made = String::from_utf8(token(&["login-link", "--subject", "dave"]).stdout).unwrap();
    let dave = made
        .lines()
        .last()
        .unwrap()
        .replace("http://127.0.0.1:8080", "");
    let listed = token(&["links"]);
    let table = String::from_utf8(listed.stdout).unwrap();
    assert!(table.starts_with("ID  "), "{table}");
    assert!(
        table.lines().any(|l| l
            .split_whitespace()
            .skip(1)
            .take(3)
            .eq(["dave", "admin", "Public"])),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&token(&["links", "--format", "json"]).stdout).unwrap();
    // dave's, and the one the server printed on its first start
    let links = json.as_array().unwrap();
    assert_eq!(links.len(), 2, "{json}");
    assert!(
        !json
            .to_string()
            .contains(dave.trim_start_matches("/login?code="))
    );
    let id_of = |subject: &str| {
        links
            .iter()
            .find(|l| l["subject"] == subject)
            .and_then(|l| l["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let id = id_of("dave");
    let out = token(&["withdraw", &id]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Withdrew 1 login link(s)"));
    let out = token(&["withdraw", &id]);
    assert_eq!(out.status.code(), Some(1), "a second time: no such link");
    assert!(String::from_utf8_lossy(&out.stderr).contains("`pgconnect token links` lists them"));
    assert_eq!(
        get(&addr, &dave, None).0,
        401,
        "a withdrawn link opens nothing"
    );
    let left = String::from_utf8(token(&["links"]).stdout).unwrap();
    assert!(!left.contains("dave"), "{left}");
    assert_eq!(token(&["withdraw", &id_of("admin")]).status.code(), Some(0));
    assert_eq!(
        String::from_utf8(token(&["links"]).stdout).unwrap(),
        "No login link is waiting to be used.\n"
    );

    // a role or a team that is not one is refused before anything is stored
    for (flag, value, says) in [
        (
            "--role",
            "boss",
            "--role \"boss\": use admin, developer or viewer",
        ),
        ("--team", " ", "--team is empty"),
        (
            "--subject",
            "",
            "--subject must name who the session is for",
        ),
    ] {
        let out = keyed(Some(KEY), None)
            .args(["token", "login-link", flag, value, "--data-dir"])
            .arg(data)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag}: {err}");
    }

    // a URL that is not one is refused before anything is stored
    let out = keyed(Some(KEY), None)
        .args([
            "token",
            "login-link",
            "--url",
            "pgconnect.example.com",
            "--data-dir",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--url"));
    // another key does not open the store, so it makes no link
    let out = keyed(Some(&"09".repeat(32)), None)
        .args(["token", "login-link", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("encrypted with key"));

    // restarted on a store in use: no link, but the way to get one
    let token = common::token(data, "admin", &[]);
    let body = r#"{"name": "c", "type": "postgresql", "host": "db.example.com", "port": 5432,
                   "username": "u", "password": "pw", "ssl_mode": "verify-full"}"#;
    let (status, answer) =
        common::request(&addr, "POST", "/api/connections", &token, body).unwrap();
    assert_eq!(status, 201, "{answer}");
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, addr, mut out) = common::start(data);
    let mut printed = String::new();
    while !printed.contains("Press Ctrl-C") {
        assert!(out.read_line(&mut printed).unwrap() > 0, "{printed}");
    }
    assert!(!printed.contains("/login?code="), "{printed}");
    assert!(
        printed.contains(&format!("pgconnect token login-link --url http://{addr}")),
        "{printed}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

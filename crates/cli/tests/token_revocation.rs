//! `pgconnect token list` / `token revoke` against a running server, and signing out of a wizard
//! session: a revoked token is refused from the next request on, a copy of it included.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read as _, Write as _};
use std::process::{Output, Stdio};

use common::{KEY, keyed};

/// `pgconnect token …` on `data` with the test key; stdin from `input`.
fn token_cmd(data: &std::path::Path, args: &[&str], input: &str) -> Output {
    let mut child = keyed(Some(KEY), None)
        .arg("token")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `method path` with a cookie: the status and the whole answer.
fn with_cookie(addr: &str, method: &str, path: &str, cookie: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    (answer[9..12].parse().unwrap(), answer)
}

fn session(addr: &str, token: &str) -> (u16, String) {
    common::request(addr, "GET", "/api/session", token, "").unwrap()
}

#[test]
fn revoked_tokens_are_refused_from_the_next_request_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (mut server, addr, _out) = common::start(data);

    // three tokens: two for a pipeline, one for a person
    let create = |subject: &str, role: &str| {
        let out = token_cmd(
            data,
            &[
                "create",
                "--role",
                role,
                "--team",
                "qa",
                "--subject",
                subject,
            ],
            "",
        );
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        let id = common::token_id(&stdout);
        assert!(
            stdout.contains(&format!("pgconnect token revoke {id}")),
            "{stdout}"
        );
        (id, stdout.lines().last().unwrap().to_owned())
    };
    let (ci1, ci1_token) = create("ci", "developer");
    let (_, ci2_token) = create("ci", "viewer");
    let (alice, alice_token) = create("alice", "viewer");
    assert_eq!(ci1.len(), 24, "{ci1}");
    assert!(ci1.bytes().all(|b| b.is_ascii_hexdigit()), "{ci1}");
    for t in [&ci1_token, &ci2_token, &alice_token] {
        assert_eq!(session(&addr, t).0, 200);
    }

    // listed, with their subjects and roles, never the tokens themselves
    let out = token_cmd(data, &["list"], "");
    let (listed, _) = text(&out);
    assert!(out.status.success());
    assert_eq!(listed.lines().count(), 4, "{listed}");
    assert!(
        listed.lines().next().unwrap().starts_with("ID "),
        "{listed}"
    );
    let alice_line = listed.lines().find(|l| l.contains(&alice)).unwrap();
    for word in ["cli", "alice", "viewer", "qa", "active"] {
        assert!(alice_line.contains(word), "{alice_line}");
    }
    for t in [&ci1_token, &ci2_token, &alice_token] {
        assert!(!listed.contains(t.as_str()));
    }

    // by subject: both of the pipeline's tokens end, at once, on the running server
    let out = token_cmd(data, &["revoke", "--subject", "ci"], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains(&format!("revoked {ci1}")), "{stdout}");
    for t in [&ci1_token, &ci2_token] {
        let (status, body) = session(&addr, t);
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("auth/token-revoked"), "{body}");
    }
    assert_eq!(session(&addr, &alice_token).0, 200, "others are untouched");

    // a leaked token itself, from stdin; again is harmless
    let out = token_cmd(data, &["revoke", "-"], &format!("{alice_token}\n"));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), format!("revoked {alice}"));
    assert_eq!(session(&addr, &alice_token).0, 401);
    let out = token_cmd(data, &["revoke", &alice], "");
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.is_empty() && stderr.contains("revoked already"),
        "{stderr}"
    );

    // what cannot be revoked says why, and exits 2
    for (args, input, says) in [
        (
            vec!["revoke", "0123456789abcdef01234567"],
            "",
            "no token has the id",
        ),
        (vec!["revoke"], "", "say which tokens"),
        (vec!["revoke", "-"], "not.a.token", "the token on stdin"),
    ] {
        let out = token_cmd(data, &args, input);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    // `list` shows the active ones; `--all` the revoked too, as JSON for scripts
    let (listed, _) = text(&token_cmd(data, &["list"], ""));
    assert_eq!(listed.trim(), "No active tokens.");
    let out = token_cmd(data, &["list", "--all", "--format", "json"], "");
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert!(
        all.iter()
            .all(|t| t["status"] == "revoked" && t["revoked_at"].is_string())
    );
    let first = all.iter().find(|t| t["id"] == ci1.as_str()).unwrap();
    assert_eq!(
        (
            &first["subject"],
            &first["role"],
            &first["kind"],
            &first["teams"]
        ),
        (
            &serde_json::json!("ci"),
            &serde_json::json!("developer"),
            &serde_json::json!("cli"),
            &serde_json::json!(["qa"])
        )
    );

    // a wizard session: signing out revokes its token, so a copy of the cookie is refused too
    let out = keyed(Some(KEY), None)
        .args([
            "token",
            "login-link",
            "--url",
            &format!("http://{addr}"),
            "--data-dir",
        ])
        .arg(data)
        .output()
        .unwrap();
    let link = String::from_utf8(out.stdout).unwrap();
    let path = link
        .lines()
        .last()
        .unwrap()
        .replace(&format!("http://{addr}"), "");
    let (status, answer) = with_cookie(&addr, "GET", &path, "none=1");
    assert_eq!(status, 303, "{answer}");
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    assert_eq!(with_cookie(&addr, "GET", "/api/session", &cookie).0, 200);
    let (listed, _) = text(&token_cmd(data, &["list"], ""));
    assert!(
        listed
            .lines()
            .any(|l| l.contains("session") && l.contains("admin")),
        "{listed}"
    );
    let (status, answer) = with_cookie(&addr, "DELETE", "/api/session", &cookie);
    assert_eq!(status, 204, "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("set-cookie: pgconnect_session=; ")
            && answer.contains("Max-Age=0"),
        "{answer}"
    );
    let (status, answer) = with_cookie(&addr, "GET", "/api/session", &cookie);
    assert_eq!(status, 401);
    assert!(answer.contains("auth/token-revoked"), "{answer}");
    let (listed, _) = text(&token_cmd(data, &["list"], ""));
    assert_eq!(listed.trim(), "No active tokens.");

    server.kill().unwrap();
    server.wait().unwrap();
}

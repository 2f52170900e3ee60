//! Starting `pgconnect serve` and talking to it over plain HTTP/1.1.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs `cmd` to its end: (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The server key every test server and token uses.
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A running `pgconnect serve`, killed when dropped — so a failing test leaves no server behind.
#[derive(Debug)]
pub struct Server(pub Child);

impl std::ops::Deref for Server {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server; its stdout stays open (returned) so that it can go on printing.
pub fn start(data: &std::path::Path) -> (Server, String, BufReader<std::process::ChildStdout>) {
    start_keyed(data, &keyed(Some(KEY), None))
}

/// `pgconnect` with PGCONNECT_SECRET_KEY and PGCONNECT_PREVIOUS_SECRET_KEYS set as given (unset
/// when `None`: the data directory's key file).
pub fn keyed(key: Option<&str>, previous: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgconnect"));
    for (name, value) in [
        ("PGCONNECT_SECRET_KEY", key),
        ("PGCONNECT_PREVIOUS_SECRET_KEYS", previous),
    ] {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    cmd
}

/// Starts the server as `keyed` says.
pub fn start_keyed(
    data: &std::path::Path,
    keyed: &Command,
) -> (Server, String, BufReader<std::process::ChildStdout>) {
    let mut cmd = Command::new(keyed.get_program());
    for (name, value) in keyed.get_envs() {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    let mut child = cmd
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (Server(child), addr, stdout)
}

/// One request; (status, body) or `None` when the connection broke (the server died).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}

/// Mints a token with `pgconnect token create`.
pub fn token(data: &std::path::Path, role: &str, teams: &[&str]) -> String {
    token_keyed(data, keyed(Some(KEY), None), role, teams)
}

/// Mints a token with `pgconnect token create`, the key as `cmd` (from [`keyed`]) says.
pub fn token_keyed(data: &std::path::Path, mut cmd: Command, role: &str, teams: &[&str]) -> String {
    cmd.args(["token", "create", "--role", role, "--data-dir"])
        .arg(data);
    for t in teams {
        cmd.args(["--team", t]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// The names of the stored connections, from `GET /api/connections`.
pub fn connection_names(addr: &str, token: &str) -> Vec<String> {
    let (status, answer) = request(addr, "GET", "/api/connections", token, "").unwrap();
    assert_eq!(status, 200, "{answer}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&answer).unwrap();
    list.iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The token id in `pgconnect token create`'s output.
pub fn token_id(stdout: &str) -> String {
    stdout
        .split(", id ")
        .nth(1)
        .and_then(|t| t.split(';').next())
        .unwrap_or_else(|| panic!("no id in {stdout}"))
        .to_owned()
}

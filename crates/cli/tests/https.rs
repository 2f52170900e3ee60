//! `pgconnect serve --tls-cert --tls-key`: HTTPS end to end with a certificate from a test CA —
//! the login link's cookie is `Secure`, a client that stalls its handshake delays nobody, plain
//! HTTP gets no answer, `pgconnect connections` trusts the server with `--server-ca-cert` and says
//! what to do without it, SIGHUP takes up a renewed certificate — and the refusals of bad certificate files, and the warnings for plain
//! HTTP across the network.

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{KEY, Server, keyed};
use pgconnect_testkit::tls::{TestPki, self_signed};

/// Starts `pgconnect serve --addr addr` with `extra` flags; stdout piped, stderr as given.
fn spawn(data: &Path, addr: &str, extra: &[&str], stderr: Stdio) -> Server {
    Server(
        keyed(Some(KEY), None)
            .args(["serve", "--addr", addr, "--data-dir"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

/// What the server printed on start, up to "Press Ctrl-C".
fn banner(child: &mut Server) -> String {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("Press Ctrl-C") {
        assert_ne!(out.read_line(&mut printed).unwrap(), 0, "{printed}");
    }
    printed
}

/// Starts `pgconnect serve` with `extra` flags: the child, the first lines it printed (up to "Press
/// Ctrl-C"), and its address.
fn serve(data: &Path, extra: &[&str]) -> (Server, String, SocketAddr) {
    let mut child = spawn(data, "127.0.0.1:0", extra, Stdio::null());
    let printed = banner(&mut child);
    let port = printed
        .split_whitespace()
        .find_map(|w| w.strip_prefix("https://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no https URL in {printed}"))
        .trim_end_matches('/')
        .to_owned();
    let addr = SocketAddr::from(([127, 0, 0, 1], port.parse().unwrap()));
    (child, printed, addr)
}

/// `GET url` (with `cookie`, if any) from a client that trusts only `ca` and reaches `localhost`
/// (the certificate's name) at `addr`: the status and the Set-Cookie header.
fn get(ca: &str, addr: SocketAddr, url: &str, cookie: Option<&str>) -> (u16, Option<String>) {
    let (status, headers) = try_get(ca, addr, url, cookie).unwrap();
    let set = headers
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, set)
}

/// The status and headers of [`get`]'s request, or why it failed.
fn try_get(
    ca: &str,
    addr: SocketAddr,
    url: &str,
    cookie: Option<&str>,
) -> Result<(u16, reqwest::header::HeaderMap), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let client = reqwest::Client::builder()
                .tls_certs_only(reqwest::Certificate::from_pem_bundle(ca.as_bytes()).unwrap())
                .resolve("localhost", addr)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut request = client.get(url);
            if let Some(c) = cookie {
                request = request.header("cookie", c);
            }
            let response = request.send().await.map_err(|e| format!("{e:?}"))?;
            Ok((response.status().as_u16(), response.headers().clone()))
        })
}

/// A certificate and its key written to `cert.pem` and `key.pem` in a new temp directory (kept
/// while the returned guard lives): the directory and the two paths.
fn pem_files(cert: &str, key: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let files = tempfile::tempdir().unwrap();
    let (c, k) = (files.path().join("cert.pem"), files.path().join("key.pem"));
    std::fs::write(&c, cert).unwrap();
    std::fs::write(&k, key).unwrap();
    (files, c, k)
}

#[test]
fn serving_https_with_a_certificate_from_a_private_ca() {
    let pki = TestPki::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (files, cert, key) = pem_files(&pki.server_cert_pem, &pki.server_key_pem);
    let (ca, other_ca) = (
        files.path().join("ca.pem"),
        files.path().join("other-ca.pem"),
    );
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    std::fs::write(&other_ca, &pki.other_ca_pem).unwrap();
    let (mut server, printed, addr) = serve(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let port = addr.port();
    assert!(
        printed.contains(&format!("is serving on https://127.0.0.1:{port}/")),
        "{printed}"
    );
    let code = printed
        .split_whitespace()
        .find_map(|w| w.split_once("/login?code=").map(|(_, c)| c.to_owned()))
        .unwrap_or_else(|| panic!("no login link in {printed}"));

    // a client that connects and never says hello holds up no one (handshakes run apart)
    let silent = std::net::TcpStream::connect(addr).unwrap();
    let url = |path: &str| format!("https://localhost:{port}{path}");
    let (status, headers) = try_get(&pki.ca_pem, addr, &url("/healthz"), None).unwrap();
    assert_eq!(status, 200);
    drop(silent);
    // no Strict-Transport-Security unless asked for (--hsts-max-age)
    assert!(headers.get("strict-transport-security").is_none());

    // the login link's session cookie is sent over HTTPS only
    let (status, cookie) = get(
        &pki.ca_pem,
        addr,
        &url(&format!("/login?code={code}")),
        None,
    );
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    assert!(
        cookie.contains("HttpOnly; SameSite=Strict; Secure; Path=/"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap();
    let (status, _) = get(&pki.ca_pem, addr, &url("/api/session"), Some(session));
    assert_eq!(status, 200);

    // plain HTTP on the HTTPS port gets no HTTP answer
    let mut plain = std::net::TcpStream::connect(addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");

    // the CLI: trusted with --server-ca-cert; without it, or with another CA, it says what to do
    let token = common::token(dir.path(), "admin", &[]);
    let server_url = format!("https://localhost:{port}");
    let list = |ca: Option<&Path>| {
        let mut cmd = keyed(Some(KEY), None);
        cmd.args(["connections", "list", "--server", &server_url])
            .env("PGCONNECT_TOKEN", &token)
            .env_remove("PGCONNECT_SERVER_CA_CERT");
        if let Some(ca) = ca {
            cmd.arg("--server-ca-cert").arg(ca);
        }
        common::run(&mut cmd)
    };
    let (code, stdout, stderr) = list(Some(&ca));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    for ca in [None, Some(other_ca.as_path())] {
        let (code, _, stderr) = list(ca);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("the server's certificate is not trusted: give the CA that signed it with --server-ca-cert"),
            "{stderr}"
        );
    }
    let (code, _, stderr) = list(Some(&cert.with_file_name("missing.pem")));
    assert_eq!(code, 2);
    assert!(stderr.contains("--server-ca-cert"), "{stderr}");

    // a renewed certificate: SIGHUP reads the files again, and new connections get it
    let renewed = TestPki::new().unwrap();
    std::fs::write(&cert, &renewed.server_cert_pem).unwrap();
    std::fs::write(&key, &renewed.server_key_pem).unwrap();
    hangup(&server);
    let health = url("/healthz");
    let mut tries = 0;
    while try_get(&renewed.ca_pem, addr, &health, None).is_err() {
        tries += 1;
        assert!(tries < 50, "the renewed certificate was not taken up");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(try_get(&pki.ca_pem, addr, &health, None).is_err());
    // files that make no configuration: the certificate in use stays, and the server runs on
    std::fs::write(&key, "not a key").unwrap();
    hangup(&server);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&renewed.ca_pem, addr, &health, None).0, 200);
    assert!(server.try_wait().unwrap().is_none());
}

/// `--hsts-max-age`: every answer over HTTPS tells browsers to keep to HTTPS; without
/// `--tls-cert` the flag is refused, since a policy sent over plain HTTP is ignored.
#[test]
fn strict_transport_security_when_asked_for() {
    let pki = TestPki::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_files, cert, key) = pem_files(&pki.server_cert_pem, &pki.server_key_pem);
    let (_server, _, addr) = serve(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--hsts-max-age",
            "600",
        ],
    );
    for path in ["/healthz", "/", "/api/session", "/nothing.js"] {
        let (_, headers) = try_get(
            &pki.ca_pem,
            addr,
            &format!("https://localhost:{}{path}", addr.port()),
            None,
        )
        .unwrap();
        assert_eq!(
            headers["strict-transport-security"], "max-age=600",
            "{path}"
        );
    }

    let (code, _, stderr) = common::run(
        keyed(Some(KEY), None)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--hsts-max-age",
                "600",
                "--data-dir",
            ])
            .arg(dir.path()),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
}

fn hangup(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn bad_certificate_files_are_refused_with_what_to_give() {
    let pki = TestPki::new().unwrap();
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let cert = write("cert.pem", &pki.server_cert_pem);
    let key = write("key.pem", &pki.server_key_pem);
    let ca_cert = write("ca.pem", &pki.ca_pem);
    let garbage = write("garbage.pem", "not a certificate\n");
    let (old_cert, old_key) = self_signed(&["localhost"], 946_684_800, 978_307_200).unwrap();
    let expired = write("expired.pem", &old_cert);
    let expired_key = write("expired-key.pem", &old_key);
    let missing = files
        .path()
        .join("missing.pem")
        .to_str()
        .unwrap()
        .to_owned();
    let data = tempfile::tempdir().unwrap();
    for (flags, why) in [
        (
            vec!["--tls-cert", &missing, "--tls-key", &key],
            "--tls-cert",
        ),
        (
            vec!["--tls-cert", &garbage, "--tls-key", &key],
            "--tls-cert holds no certificate",
        ),
        (
            vec!["--tls-cert", &cert, "--tls-key", &garbage],
            "--tls-key holds no private key",
        ),
        (
            vec!["--tls-cert", &ca_cert, "--tls-key", &key],
            "--tls-key is not the key of --tls-cert's first certificate",
        ),
        (
            vec!["--tls-cert", &expired, "--tls-key", &expired_key],
            "--tls-cert expired on 2001-01-01T00:00:00Z: renew it",
        ),
        (vec!["--tls-cert", &cert], "--tls-key"),
        (
            vec!["--public-url", "pgconnect.example.com"],
            "--public-url",
        ),
        (vec!["--public-url", "https://h.example/app"], "(no path)"),
    ] {
        let (code, _, stderr) = common::run(
            keyed(Some(KEY), None)
                .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
                .arg(data.path())
                .args(&flags),
        );
        assert_eq!(code, 2, "{flags:?}: {stderr}");
        assert!(stderr.contains(why), "{flags:?}: {stderr}");
        assert!(
            !stderr.contains("PRIVATE KEY-----\n"),
            "no key material: {stderr}"
        );
    }
}

#[test]
fn the_public_url_names_the_printed_links() {
    let pki = TestPki::new().unwrap();
    let (_files, cert, key) = pem_files(&pki.server_cert_pem, &pki.server_key_pem);
    let data = tempfile::tempdir().unwrap();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let flags = [
        "--tls-cert",
        cert,
        "--tls-key",
        key,
        "--public-url",
        "https://pgconnect.example.com:8443/",
    ];
    let mut child = spawn(data.path(), "127.0.0.1:0", &flags, Stdio::piped());
    let printed = banner(&mut child);
    // the certificate is for localhost: browsers would refuse pgconnect.example.com
    let mut warning = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut warning)
        .unwrap();
    assert!(
        warning.starts_with(
            "warning: --public-url's host pgconnect.example.com is not a name of the TLS \
             certificate (localhost): browsers will refuse the connection"
        ),
        "{warning}"
    );
    assert!(
        printed.contains("TLS certificate for localhost, valid until "),
        "{printed}"
    );
    assert!(
        printed.contains("is serving on https://pgconnect.example.com:8443/\n"),
        "{printed}"
    );
    assert!(
        printed.contains("  https://pgconnect.example.com:8443/login?code="),
        "{printed}"
    );
    drop(child);
}

#[test]
fn plain_http_across_the_network_is_warned_about() {
    let data = tempfile::tempdir().unwrap();
    let mut child = spawn(data.path(), "0.0.0.0:0", &[], Stdio::piped());
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    drop(child);
    assert!(
        line.starts_with(
            "warning: serving plain HTTP on 0.0.0.0:0: the passwords typed into the wizard"
        ),
        "{line}"
    );
    assert!(line.contains("--tls-cert and --tls-key"), "{line}");

    // and the client, sending a token to another machine over plain HTTP
    let (code, _, stderr) = common::run(
        keyed(Some(KEY), None)
            .args([
                "connections",
                "list",
                "--server",
                "http://pgconnect.invalid:9",
            ])
            .env("PGCONNECT_TOKEN", "x.y.z"),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("warning: pgconnect.invalid is reached over plain HTTP: the token"),
        "{stderr}"
    );
    // this machine is not warned about
    let (_, _, stderr) = common::run(
        keyed(Some(KEY), None)
            .args(["connections", "list", "--server", "http://127.0.0.1:9"])
            .env("PGCONNECT_TOKEN", "x.y.z"),
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn a_certificate_that_expires_soon_is_warned_about() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (cert, key) = self_signed(&["localhost"], now - 86_400, now + 3 * 86_400 - 60).unwrap();
    let (_files, c, k) = pem_files(&cert, &key);
    let data = tempfile::tempdir().unwrap();
    let flags = [
        "--tls-cert",
        c.to_str().unwrap(),
        "--tls-key",
        k.to_str().unwrap(),
        "--public-url",
        "https://localhost:8443",
    ];
    let mut child = spawn(data.path(), "127.0.0.1:0", &flags, Stdio::piped());
    banner(&mut child);
    let mut warning = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut warning)
        .unwrap();
    assert!(
        warning.starts_with("warning: the TLS certificate expires in 2 day(s), at "),
        "{warning}"
    );
    assert!(warning.contains("`kill -HUP` the server"), "{warning}");
}

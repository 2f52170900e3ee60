//! The wizard end to end in Debian's headless Chromium: this test starts a real PostgreSQL (the
//! shop fixture plus a role without USAGE), a real OpenBao (userpass + a KV v2 secret holding the
//! role's password) and `pgconnect serve` with the built wizard (`dist/`), then runs
//! `tests/e2e/wizard.test.mjs` (node's test runner, playwright-core on /usr/bin/chromium) against
//! them. Screenshots of every step go to `test-output/wizard/`.
//!
//! Needs `scripts/build-web.sh` (dist/) and `npm ci --prefix tests/e2e`; `scripts/test.sh` does
//! both. Without them the test says so and stops — under `CI=true` it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::ffi::OsStr;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pgconnect_testkit::bao::BaoServer;
use pgconnect_testkit::pg::{PgOptions, SUPERUSER, SUPERUSER_PASSWORD};
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, RESULTS, SCHEMA, WRITER};
use pgconnect_testkit::{in_ci, workspace_root};

mod common;

const NO_USAGE: &str = "no_usage";
const NO_USAGE_PASSWORD: &str = "N0-usage-pw";
const VAULT_USER: &str = "wizard";
const VAULT_PASSWORD: &str = "wizard-vault-login-pw";

fn missing(what: &str) {
    let message = format!("the wizard's browser test needs {what}");
    assert!(!in_ci(), "{message}");
    eprintln!("skipped: {message}");
}

/// One browser test at a time: two Chromiums on a small machine would make the timings each one
/// asserts flaky.
static BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The built wizard (`dist/`) and the e2e directory with playwright-core installed; `None` (said,
/// and a failure under CI) when either is missing.
fn prerequisites() -> Option<(PathBuf, PathBuf)> {
    let root = workspace_root();
    let dist = root.join("dist");
    if !dist.join("index.html").is_file() {
        missing("the built wizard: run scripts/build-web.sh");
        return None;
    }
    let e2e = root.join("tests/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir() {
        missing("playwright-core: run npm ci --prefix tests/e2e");
        return None;
    }
    Some((dist, e2e))
}

/// Starts `pgconnect serve` on a free loopback port with the built wizard, the test key and
/// `extra` flags: the server, its port and the first-start login link's path (`/login?code=…`).
fn serve_wizard(data: &Path, dist: &Path, extra: &[&OsStr]) -> (common::Server, u16, String) {
    let mut server = common::Server(
        Command::new(env!("CARGO_BIN_EXE_pgconnect"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .arg("--web-dir")
            .arg(dist)
            .args(extra)
            .env("PGCONNECT_SECRET_KEY", common::KEY)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("Press Ctrl-C") {
        assert_ne!(stdout.read_line(&mut printed).unwrap(), 0, "{printed}");
    }
    let port = printed
        .split_whitespace()
        .find_map(|w| w.split_once("://127.0.0.1:"))
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {printed}"));
    let login = printed
        .split_whitespace()
        .find_map(|w| w.find("/login?code=").map(|at| w[at..].to_owned()))
        .unwrap_or_else(|| panic!("no login link in {printed}"));
    (server, port, login)
}

/// `node --test` on `file` of `e2e`, its screenshots into `output` (emptied first).
fn node_test(e2e: &Path, file: &str, output: &Path) -> Command {
    let _ = std::fs::remove_dir_all(output);
    std::fs::create_dir_all(output).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg("--test")
        .arg("--test-reporter=spec")
        .arg(e2e.join(file))
        .current_dir(e2e)
        .env("OUTPUT_DIR", output);
    cmd
}

#[test]
fn the_wizard_in_headless_chromium() {
    let Some((dist, e2e)) = prerequisites() else {
        return;
    };
    let _one = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);

    let pg = shop::start(PgOptions::default()).unwrap();
    let setup = format!(
        "CREATE ROLE {NO_USAGE} LOGIN PASSWORD '{NO_USAGE_PASSWORD}';\n\
         GRANT CONNECT ON DATABASE {DB} TO {NO_USAGE};"
    );
    let out = pg.psql(DB, &setup).unwrap();
    assert!(out.status.success(), "{out:?}");

    let bao = BaoServer::start().unwrap();
    bao.with_reader(
        VAULT_USER,
        VAULT_PASSWORD,
        "shop",
        &[("username", READER), ("password", PASSWORD)],
    )
    .unwrap();

    let data = tempfile::tempdir().unwrap();
    // a viewer's session too (Public only), recorded in the store the server opens
    let viewer = common::token(data.path(), "viewer", &[]);
    // and a login link for a developer of Finance, as an operator hands one to a colleague
    let out = common::keyed(Some(common::KEY), None)
        .args([
            "token",
            "login-link",
            "--role",
            "developer",
            "--team",
            "Finance",
        ])
        .args(["--subject", "alice", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let developer_login = text
        .lines()
        .last()
        .and_then(|l| l.find("/login?code=").map(|at| l[at..].to_owned()))
        .unwrap_or_else(|| panic!("{text}"));
    let (server, port, login) = serve_wizard(
        data.path(),
        &dist,
        &["--max-concurrent-checks".as_ref(), "3".as_ref()],
    );
    let url = format!("http://127.0.0.1:{port}");
    let login = format!("{url}{login}");

    let output = workspace_root().join("test-output/wizard");
    let status = node_test(&e2e, "wizard.test.mjs", &output)
        .env("PGCONNECT_URL", &url)
        .env("PGCONNECT_LOGIN", &login)
        .env("PGCONNECT_VIEWER_TOKEN", &viewer)
        .env("PGCONNECT_DEVELOPER_LOGIN", &developer_login)
        .env("PG_HOST", pg.host())
        .env("PG_PORT", pg.port().to_string())
        .env("PG_DB", DB)
        .env("PG_SCHEMA", SCHEMA)
        .env("PG_RESULTS", RESULTS)
        .env("PG_READER", READER)
        .env("PG_WRITER", WRITER)
        .env("PG_PASSWORD", PASSWORD)
        .env("PG_NO_USAGE", NO_USAGE)
        .env("PG_NO_USAGE_PASSWORD", NO_USAGE_PASSWORD)
        .env(
            "PG_SUPERUSER_CONNINFO",
            pg.conninfo(SUPERUSER, SUPERUSER_PASSWORD, DB),
        )
        .env("VAULT_ADDR", bao.addr())
        .env("VAULT_USER", VAULT_USER)
        .env("VAULT_PASSWORD", VAULT_PASSWORD)
        .status()
        .unwrap();
    drop(server);
    assert!(status.success(), "the browser tests failed (see above)");
}

/// The wizard over HTTPS (`tests/e2e/https.test.mjs`): `pgconnect serve --tls-cert --tls-key`
/// with a test CA's certificate for localhost, a real PostgreSQL for the live check.
#[test]
fn the_wizard_over_https_in_headless_chromium() {
    let Some((dist, e2e)) = prerequisites() else {
        return;
    };
    let _one = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let pg = shop::start(PgOptions::default()).unwrap();
    let pki = pgconnect_testkit::tls::TestPki::new().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (cert, key) = (files.path().join("cert.pem"), files.path().join("key.pem"));
    std::fs::write(&cert, &pki.server_cert_pem).unwrap();
    std::fs::write(&key, &pki.server_key_pem).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (server, port, login) = serve_wizard(
        data.path(),
        &dist,
        &[
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ],
    );
    // the certificate is for localhost: the browser opens the server by that name
    let url = format!("https://localhost:{port}");
    let login = format!("{url}{login}");
    let output = workspace_root().join("test-output/wizard-https");
    let status = node_test(&e2e, "https.test.mjs", &output)
        .env("PGCONNECT_URL", &url)
        .env("PGCONNECT_LOGIN", &login)
        .env("PG_HOST", pg.host())
        .env("PG_PORT", pg.port().to_string())
        .env("PG_DB", DB)
        .env("PG_SCHEMA", SCHEMA)
        .env("PG_READER", READER)
        .env("PG_PASSWORD", PASSWORD)
        .status()
        .unwrap();
    drop(server);
    assert!(
        status.success(),
        "the HTTPS browser test failed (see above)"
    );
}

/// The first-load budget (issue 7): the built wizard's files, as served (brotli, precompressed by
/// scripts/build-web.sh), stay under 400 KB. A size, not a timing: CI holds it; the time budget is
/// scripts/budget-web.sh's.
#[test]
fn the_built_wizard_fits_its_first_load_budget() {
    const BUDGET: u64 = 400_000;
    let dist = workspace_root().join("dist");
    let Ok(entries) = std::fs::read_dir(&dist) else {
        return missing("the built wizard: run scripts/build-web.sh");
    };
    let mut total = 0;
    let mut kinds = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(served) = name.strip_suffix(".br") {
            total += std::fs::metadata(&path).unwrap().len();
            kinds.push(served.rsplit('.').next().unwrap().to_owned());
        }
    }
    kinds.sort();
    // every file the page loads is there, precompressed: the sum is the whole first load
    assert_eq!(kinds, ["css", "html", "js", "wasm"], "{}", dist.display());
    eprintln!("the wizard's first load: {total} B brotli (budget {BUDGET})");
    assert!(
        total < BUDGET,
        "{total} B brotli is over the budget of {BUDGET} B"
    );
    assert!(total > 100_000, "{total} B: not the wizard's build");
}

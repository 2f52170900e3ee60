//! HTTPS for `pgconnect serve --tls-cert --tls-key`: the rustls configuration from PEM files, and
//! a listener that hands axum connections whose TLS handshake is done.
//!
//! Handshakes run in tasks of their own, each bounded by [`HANDSHAKE_TIMEOUT`], at most
//! [`MAX_HANDSHAKES`] at once: a client that connects and says nothing delays nobody else, and a
//! flood of connections waits in the kernel's backlog as it would without TLS.
//!
//! On SIGHUP the files are read again (a renewed certificate, without a restart); new connections
//! get the new certificate, and files that do not make a configuration leave the one in use.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; more connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 256;

/// The server's TLS configuration from a PEM certificate chain (the server's certificate first)
/// and a PEM private key (PKCS#8, PKCS#1 or SEC1). Errors say which file is wrong and how.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--tls-cert cannot be read as PEM: {e}"))?;
    if chain.is_empty() {
        return Err(
            "--tls-cert holds no certificate: give the server's certificate chain in PEM \
             (-----BEGIN CERTIFICATE-----), the server's own certificate first"
                .to_owned(),
        );
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        format!(
            "--tls-key holds no private key it can read ({e}): give the certificate's key in \
             PEM (PKCS#8 -----BEGIN PRIVATE KEY-----, PKCS#1 or SEC1), unencrypted"
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                "--tls-key is not the key of --tls-cert's first certificate: give the pair that \
                 belongs together"
                    .to_owned()
            }
            e => format!("--tls-cert and --tls-key cannot be used: {e}"),
        })?;
    // the server speaks HTTP/1.1 only
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Days before its end from which a certificate is said to expire soon.
pub const EXPIRES_SOON_DAYS: i64 = 14;

/// What the server's certificate says about itself, for the operator: the names it is for and
/// when it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Its subjectAltName DNS names and IP addresses (browsers look at nothing else).
    pub names: Vec<String>,
    /// Valid from (Unix seconds).
    pub not_before: i64,
    /// Valid until (Unix seconds).
    pub not_after: i64,
}

impl CertInfo {
    /// The chain's first certificate (the server's own), parsed.
    pub fn of(der: &[u8]) -> Result<CertInfo, String> {
        use x509_parser::extensions::GeneralName;
        let (_, x509) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("--tls-cert's first certificate cannot be parsed: {e}"))?;
        let mut names = Vec::new();
        if let Ok(Some(san)) = x509.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => names.push((*n).to_owned()),
                    GeneralName::IPAddress(bytes) => {
                        let ip = match bytes.len() {
                            4 => <[u8; 4]>::try_from(*bytes)
                                .ok()
                                .map(|b| std::net::IpAddr::from(b).to_string()),
                            16 => <[u8; 16]>::try_from(*bytes)
                                .ok()
                                .map(|b| std::net::IpAddr::from(b).to_string()),
                            _ => None,
                        };
                        names.extend(ip);
                    }
                    _ => {}
                }
            }
        }
        Ok(CertInfo {
            names,
            not_before: x509.validity().not_before.timestamp(),
            not_after: x509.validity().not_after.timestamp(),
        })
    }

    /// Refuses a certificate that is not valid at `now` (Unix seconds): browsers would refuse
    /// every connection.
    pub fn check_valid_at(&self, now: i64) -> Result<(), String> {
        if now > self.not_after {
            return Err(format!(
                "--tls-cert expired on {}: renew it (a running server takes the new files on \
                 `kill -HUP`)",
                when(self.not_after)
            ));
        }
        if now < self.not_before {
            return Err(format!(
                "--tls-cert is not valid before {}: check the machine's clock, or the certificate",
                when(self.not_before)
            ));
        }
        Ok(())
    }

    /// Whole days left at `now`, when fewer than [`EXPIRES_SOON_DAYS`].
    #[must_use]
    pub fn expires_soon(&self, now: i64) -> Option<i64> {
        let days = (self.not_after - now) / 86_400;
        (days < EXPIRES_SOON_DAYS).then_some(days)
    }

    /// True when a browser would accept it for `host`: one of its names, a `*.` name covering
    /// one label, case ignored; an IP address (IPv6 in brackets or not) matches exactly.
    #[must_use]
    pub fn covers(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.names.iter().any(|name| {
            let name = name.to_ascii_lowercase();
            match name.strip_prefix("*.") {
                Some(parent) => host
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
                None => name == host,
            }
        })
    }

    /// Its end, RFC 3339.
    #[must_use]
    pub fn expires(&self) -> String {
        when(self.not_after)
    }
}

fn when(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map_or_else(|_| unix.to_string(), crate::registry::rfc3339)
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A configuration and the certificate it serves.
struct Loaded {
    config: Arc<ServerConfig>,
    info: CertInfo,
}

/// The certificate and key files, and the configuration last read from them. Its `Debug` shows
/// the paths only: the configuration holds the private key.
#[derive(Clone)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<Arc<Loaded>>>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TlsFiles {
    /// Reads the files (`--tls-cert`, `--tls-key`) into a configuration; refuses a certificate
    /// that is not valid now.
    pub fn load(cert: &Path, key: &Path) -> Result<TlsFiles, String> {
        let loaded = read(cert, key)?;
        Ok(TlsFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(RwLock::new(Arc::new(loaded))),
        })
    }

    /// Reads the files again; on success new connections use what they hold now, on failure the
    /// configuration in use stays.
    pub fn reload(&self) -> Result<CertInfo, String> {
        let loaded = Arc::new(read(&self.cert, &self.key)?);
        let info = loaded.info.clone();
        match self.current.write() {
            Ok(mut current) => *current = loaded,
            // a writer panicked mid-assignment: the value is whole either way
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        Ok(info)
    }

    /// The certificate in use.
    #[must_use]
    pub fn info(&self) -> CertInfo {
        self.loaded().info.clone()
    }

    /// The configuration in use.
    fn current(&self) -> Arc<ServerConfig> {
        self.loaded().config.clone()
    }

    fn loaded(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

fn read(cert: &Path, key: &Path) -> Result<Loaded, String> {
    let read = |path: &Path, flag: &str| {
        std::fs::read(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
    };
    let cert_pem = read(cert, "--tls-cert")?;
    let config = server_config(&cert_pem, &read(key, "--tls-key")?)?;
    let first = CertificateDer::pem_slice_iter(&cert_pem)
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| "--tls-cert holds no certificate".to_owned())?;
    let info = CertInfo::of(first.as_ref())?;
    info.check_valid_at(now_unix())?;
    Ok(Loaded { config, info })
}

/// A TCP listener whose connections come out with their TLS handshake done.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `tcp`, and reloading `files` on SIGHUP (on the current Tokio runtime).
    pub fn new(tcp: TcpListener, files: TlsFiles) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(MAX_HANDSHAKES);
        let reloading = reload_on_hangup(files.clone())?;
        let accepting = tokio::spawn(async move {
            let _reloading = AbortOnDrop(reloading);
            accept_loop(tcp, files, tx).await;
        });
        Ok(TlsListener {
            ready,
            local,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

/// Aborts the task when dropped (with the accept loop that holds it).
struct AbortOnDrop(Option<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// A task that reloads `files` at each SIGHUP (Unix).
#[cfg(unix)]
fn reload_on_hangup(files: TlsFiles) -> io::Result<Option<JoinHandle<()>>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(Some(tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match files.reload() {
                Ok(info) => {
                    tracing::info!(
                        cert = %files.cert.display(),
                        names = %info.names.join(", "),
                        expires = %info.expires(),
                        "SIGHUP: TLS certificate reloaded; new connections use it"
                    );
                    if let Some(days) = info.expires_soon(now_unix()) {
                        tracing::warn!(days, expires = %info.expires(), "the TLS certificate expires soon");
                    }
                }
                Err(e) => tracing::error!(
                    error = %e,
                    "SIGHUP: TLS certificate not reloaded; the one in use stays"
                ),
            }
        }
    })))
}

#[cfg(not(unix))]
fn reload_on_hangup(_files: TlsFiles) -> io::Result<Option<JoinHandle<()>>> {
    Ok(None)
}

async fn accept_loop(
    tcp: TcpListener,
    files: TlsFiles,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // as axum does: out of file descriptors and the like pass; wait a moment
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = TlsAcceptor::from(files.current());
        let ready = ready.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
            drop(permit);
            match handshake {
                Ok(Ok(tls)) => {
                    let _ = ready.send((tls, peer)).await;
                }
                // a plain-HTTP request or a client that distrusts the certificate: its
                // business, and no reason to fill the log
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // the accept loop ended (never, short of a dropped runtime): accept nothing more
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use pgconnect_testkit::tls::TestPki;

    use super::*;

    #[test]
    fn a_certificate_says_its_names_and_when_it_is_valid() {
        let day = 86_400;
        let (pem, _) = pgconnect_testkit::tls::self_signed(
            &[
                "pgconnect.example.com",
                "*.apps.example.com",
                "127.0.0.1",
                "::1",
            ],
            1_000 * day,
            1_010 * day,
        )
        .unwrap();
        let der = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        let info = CertInfo::of(der.as_ref()).unwrap();
        assert_eq!(
            info.names,
            [
                "pgconnect.example.com",
                "*.apps.example.com",
                "127.0.0.1",
                "::1"
            ]
        );
        for (host, covered) in [
            ("pgconnect.example.com", true),
            ("PGCONNECT.example.com", true),
            ("wiki.apps.example.com", true),
            ("apps.example.com", false),
            ("a.b.apps.example.com", false),
            ("example.com", false),
            ("127.0.0.1", true),
            ("[::1]", true),
            ("127.0.0.2", false),
        ] {
            assert_eq!(info.covers(host), covered, "{host}");
        }
        assert_eq!(info.expires(), "1972-10-07T00:00:00Z");
        assert!(info.check_valid_at(1_005 * day).is_ok());
        let late = info.check_valid_at(1_011 * day).unwrap_err();
        assert!(
            late.contains("--tls-cert expired on 1972-10-07T00:00:00Z"),
            "{late}"
        );
        let early = info.check_valid_at(999 * day).unwrap_err();
        assert!(early.contains("not valid before"), "{early}");
        assert_eq!(info.expires_soon(1_000 * day), Some(10));
        assert_eq!(info.expires_soon(1_009 * day + 1), Some(0));
        let (long, _) = pgconnect_testkit::tls::self_signed(&["x"], 0, 100 * day).unwrap();
        let der = CertificateDer::pem_slice_iter(long.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(CertInfo::of(der.as_ref()).unwrap().expires_soon(day), None);
    }

    #[test]
    fn debug_shows_the_paths_never_the_key() {
        let pki = TestPki::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, &pki.server_cert_pem).unwrap();
        std::fs::write(&key, &pki.server_key_pem).unwrap();
        let files = TlsFiles::load(&cert, &key).unwrap();
        let shown = format!("{files:?}");
        assert!(shown.contains("k.pem"), "{shown}");
        let body: String = pki
            .server_key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert!(!shown.contains(&body[..20]), "{shown}");
        // a reload from files that make no configuration keeps the one in use
        let before = files.current();
        std::fs::write(&key, "no key").unwrap();
        assert!(
            files
                .reload()
                .unwrap_err()
                .contains("--tls-key holds no private key")
        );
        assert!(Arc::ptr_eq(&before, &files.current()));
    }
}

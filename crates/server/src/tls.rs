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

/// The certificate and key files, and the configuration last read from them. Its `Debug` shows
/// the paths only: the configuration holds the private key.
#[derive(Clone)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    current: Arc<RwLock<Arc<ServerConfig>>>,
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
    /// Reads the files (`--tls-cert`, `--tls-key`) into a configuration.
    pub fn load(cert: &Path, key: &Path) -> Result<TlsFiles, String> {
        let config = read_config(cert, key)?;
        Ok(TlsFiles {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: Arc::new(RwLock::new(config)),
        })
    }

    /// Reads the files again; on success new connections use what they hold now, on failure the
    /// configuration in use stays.
    pub fn reload(&self) -> Result<(), String> {
        let config = read_config(&self.cert, &self.key)?;
        match self.current.write() {
            Ok(mut current) => *current = config,
            // a writer panicked mid-assignment: the value is whole either way
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        Ok(())
    }

    /// The configuration in use.
    fn current(&self) -> Arc<ServerConfig> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

fn read_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let read = |path: &Path, flag: &str| {
        std::fs::read(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
    };
    server_config(&read(cert, "--tls-cert")?, &read(key, "--tls-key")?)
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
                Ok(()) => tracing::info!(
                    cert = %files.cert.display(),
                    "SIGHUP: TLS certificate reloaded; new connections use it"
                ),
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

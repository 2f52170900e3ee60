//! TLS to PostgreSQL with libpq's `sslmode` semantics, on rustls (ring).
//!
//! tokio-postgres itself knows only disable/prefer/require and leaves verification to the
//! connector, so this module supplies it: `allow`, `prefer` and `require` encrypt without checking
//! the certificate (as libpq does); `verify-ca` checks that the chain leads to a trusted CA but not
//! the name; `verify-full` checks both. The trusted CAs are the connection's `ssl_root_cert` when
//! given (and only those, like libpq's `sslrootcert=<file>`), otherwise the Mozilla roots (like
//! `sslrootcert=system`). The connector records the negotiated protocol and the server
//! certificate's subject and expiry for the check's report.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pgconnect_core::SslMode;
use pgconnect_core::check::TlsInfo;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for `mode` (which must use TLS) and the optional PEM CA bundle.
pub fn client_config(mode: SslMode, ca_pem: Option<&str>) -> Result<Arc<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    let config = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(ca_pem)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("TLS set-up failed: {e}"))?;
            if mode == SslMode::VerifyFull {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly { inner: webpki }))
                    .with_no_client_auth()
            }
        }
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn roots(ca_pem: Option<&str>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| format!("ssl_root_cert cannot be read: {e}"))?;
                store.add(cert).map_err(|e| {
                    format!("ssl_root_cert holds a certificate that cannot be used: {e}")
                })?;
            }
            if store.is_empty() {
                return Err("ssl_root_cert holds no certificate".to_owned());
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

/// `require` / `prefer` / `allow`: the connection is encrypted, the certificate is not checked
/// (the handshake's signatures still are).
#[derive(Debug)]
struct Unverified {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted CA; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last: a name mismatch means the chain passed.
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A tokio-postgres TLS connector for one connection: the rustls config, the name to present
/// and verify, and a slot where the handshake's facts are recorded.
#[derive(Clone)]
pub struct PgTls {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    verified: bool,
    info: Arc<Mutex<Option<(TlsInfo, Duration)>>>,
}

impl PgTls {
    /// A connector presenting `host` (a DNS name or an address).
    pub fn new(config: Arc<ClientConfig>, host: &str, verified: bool) -> Result<PgTls, String> {
        let name = ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        )
        .map_err(|e| format!("{host:?} cannot be used as a TLS server name: {e}"))?;
        Ok(PgTls {
            config,
            name,
            verified,
            info: Arc::new(Mutex::new(None)),
        })
    }

    /// What the handshake established and how long it took, once it has run.
    #[must_use]
    pub fn info(&self) -> Option<(TlsInfo, Duration)> {
        self.info.lock().ok().and_then(|i| i.clone())
    }
}

impl<S> TlsConnect<S> for PgTls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = PgTlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<PgTlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let started = Instant::now();
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(self.name, stream)
                .await?;
            let (_, session) = tls.get_ref();
            let protocol = session
                .protocol_version()
                .and_then(|v| v.as_str())
                .unwrap_or("TLS")
                .replace("TLSv1_", "TLSv1.");
            if let Some(cert) = session.peer_certificates().and_then(|c| c.first())
                && let Ok(mut slot) = self.info.lock()
            {
                *slot = Some((describe(cert, protocol, self.verified), started.elapsed()));
            }
            Ok(PgTlsStream(tls))
        })
    }
}

fn describe(cert: &CertificateDer<'_>, protocol: String, verified: bool) -> TlsInfo {
    match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok((_, x509)) => TlsInfo {
            protocol,
            subject: x509.subject().to_string(),
            issuer: x509.issuer().to_string(),
            not_after: x509.validity().not_after.to_string(),
            not_after_unix: x509.validity().not_after.timestamp(),
            verified,
        },
        Err(_) => TlsInfo {
            protocol,
            subject: "(certificate could not be parsed)".to_owned(),
            issuer: String::new(),
            not_after: String::new(),
            not_after_unix: 0,
            verified,
        },
    }
}

/// The encrypted stream handed to tokio-postgres.
pub struct PgTlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for PgTlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for PgTlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for PgTlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM with channel binding (tls-server-end-point) is not offered; plain SCRAM runs
        // inside the encrypted connection.
        ChannelBinding::none()
    }
}

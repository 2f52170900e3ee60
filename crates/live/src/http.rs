//! An HTTP client for talking to vaults: rustls (ring) with the Mozilla roots plus an optional
//! PEM CA, redirects never followed, connect and total timeouts, a cap on the body size, and the
//! network policy applied to every address a vault URL resolves to (the connection goes to the
//! addresses that were checked: the resolver that checks them is the one reqwest dials from).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pgconnect_core::vault::{HttpRequest, HttpResponse, Method, Stage, VaultError};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::policy::NetworkPolicy;

/// Limits of one exchange.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// TCP (and TLS) connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Bound on a whole flow (login and read together). Default 10 s.
    pub total_timeout: Duration,
    /// Largest response body read. Default 1 MiB.
    pub max_body_bytes: usize,
    /// Which addresses the vault URLs may resolve to.
    pub policy: NetworkPolicy,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            policy: NetworkPolicy::default(),
        }
    }
}

/// A client for one vault configuration (its CA).
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    max_body_bytes: usize,
    policy: NetworkPolicy,
}

/// Resolves names for reqwest and refuses the whole name when any address is denied.
struct PolicyResolver(NetworkPolicy);

/// The error a denied name resolves to; found again in the error chain by its text.
#[derive(Debug)]
struct DeniedError(String);

impl std::fmt::Display for DeniedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeniedError {}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            policy.check_all(&ips).map_err(|d| {
                Box::new(DeniedError(d.to_string())) as Box<dyn std::error::Error + Send + Sync>
            })?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl Client {
    /// Builds a client trusting the Mozilla roots and, when given, the PEM CA bundle.
    pub fn new(
        options: &HttpOptions,
        ca_pem: Option<&str>,
        stage: Stage,
    ) -> Result<Client, VaultError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = ca_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| bad_ca(stage, &e.to_string()))?;
                roots.add(cert).map_err(|e| bad_ca(stage, &e.to_string()))?;
                added += 1;
            }
            if added == 0 {
                return Err(bad_ca(stage, "no certificate found in the PEM text"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad_ca(stage, &e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let inner = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .no_proxy()
            .dns_resolver(PolicyResolver(options.policy.clone()))
            .user_agent(concat!("pgconnect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                VaultError::transport(
                    stage,
                    "vault/client",
                    "Could not set up the HTTP client",
                    format!("{e}"),
                    "This is a bug in pgconnect; please report it.".to_owned(),
                )
            })?;
        Ok(Client {
            inner,
            max_body_bytes: options.max_body_bytes,
            policy: options.policy.clone(),
        })
    }

    /// Sends `request` and reads the answer, at most `max_body_bytes` of it.
    pub async fn send(
        &self,
        stage: Stage,
        request: &HttpRequest,
    ) -> Result<HttpResponse, VaultError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut builder = self.inner.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.expose());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.expose().to_owned());
        }
        let host = host_of(&request.url);
        // An address written in the URL is dialled without a lookup: check it here.
        let literal = reqwest::Url::parse(&request.url).ok().and_then(|u| {
            u.host_str().and_then(|h| {
                h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .ok()
            })
        });
        if let Some(ip) = literal
            && let Err(d) = self.policy.check(ip)
        {
            return Err(denied(stage, &host, &d.to_string()));
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| transport_error(stage, &host, &e))?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(stage, &host, &e))?
        {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(VaultError::transport(
                    stage,
                    "vault/answer-too-large",
                    "The vault's answer is too large",
                    format!(
                        "The answer from {host} exceeds {} bytes; a login or secret answer is a few KiB.",
                        self.max_body_bytes
                    ),
                    "Check that the URL points at the vault's API endpoint.".to_owned(),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(stage = ?stage, %host, status, bytes = body.len(), "vault answered");
        Ok(HttpResponse {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            location,
        })
    }
}

fn denied(stage: Stage, host: &str, why: &str) -> VaultError {
    tracing::debug!(stage = ?stage, %host, "vault address denied by the network policy");
    VaultError::transport(
        stage,
        "vault/denied",
        "The network policy does not allow this vault address",
        format!("{host}: {why}."),
        "Use the vault's own address. Link-local (cloud metadata), multicast and broadcast \
         addresses are never dialled; an operator can change the policy with --allow-cidr / \
         --deny-cidr."
            .to_owned(),
    )
}

fn bad_ca(stage: Stage, why: &str) -> VaultError {
    VaultError::transport(
        stage,
        "vault/ca-invalid",
        "The vault CA certificate cannot be used",
        format!("ca_cert could not be read: {why}."),
        "Paste the CA certificate that signed the vault's TLS certificate, in PEM form.".to_owned(),
    )
}

/// `scheme://host:port` of a URL, for messages (never the path or query).
pub fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .map(|u| {
            let host = u.host_str().unwrap_or("?").to_owned();
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        })
        .unwrap_or_else(|| "the vault".to_owned())
}

/// Classifies a reqwest failure into an explained [`VaultError`]; the message names the host, never
/// the request's headers or body.
fn transport_error(stage: Stage, host: &str, e: &reqwest::Error) -> VaultError {
    let chain = crate::error_chain(e);
    let lower = chain.to_ascii_lowercase();
    if let Some(at) = lower.find("is denied by the network policy") {
        let start = chain[..at].rfind(": ").map_or(0, |i| i + 2);
        return denied(stage, host, chain[start..].trim_end_matches('.'));
    }
    let (code, title, cause, fix) = if e.is_timeout() {
        (
            "vault/timeout",
            "The vault did not answer in time",
            format!("No answer from {host} within the time limit."),
            "Check that the URL's host and port are the vault's, and that the network lets the \
             platform reach it (a firewall that drops packets looks like this).",
        )
    } else if lower.contains("connection refused") {
        (
            "vault/refused",
            "The vault refused the connection",
            format!("Nothing accepts connections at {host}."),
            "Check the URL's host and port (Vault and OpenBao listen on 8200 by default) and that \
             the vault is running.",
        )
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        (
            "vault/dns",
            "The vault's host name does not resolve",
            format!("DNS has no address for {host}."),
            "Check the host name in the URL.",
        )
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        (
            "vault/tls",
            "The TLS connection to the vault failed",
            format!("TLS with {host} failed: {}.", tls_reason(&lower)),
            "If the vault's certificate comes from a private CA, paste that CA into ca_cert; check \
             that the certificate names the URL's host and has not expired.",
        )
    } else if e.is_connect() {
        (
            "vault/unreachable",
            "The vault cannot be reached",
            format!("Connecting to {host} failed."),
            "Check the URL's host and port and the network path to the vault.",
        )
    } else {
        (
            "vault/transport",
            "The exchange with the vault failed",
            format!("The exchange with {host} failed."),
            "Check the URL and retry.",
        )
    };
    tracing::debug!(stage = ?stage, %host, code, "vault exchange failed");
    VaultError::transport(stage, code, title, cause, fix.to_owned())
}

fn tls_reason(lower: &str) -> &'static str {
    if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
        "the certificate is signed by a CA that is not trusted"
    } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
        "the certificate does not name this host"
    } else if lower.contains("expired") {
        "the certificate has expired"
    } else if lower.contains("http") && lower.contains("corrupt") {
        "the server does not speak TLS on that port"
    } else {
        "the handshake did not complete"
    }
}

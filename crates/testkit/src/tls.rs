//! Certificates made in the test (rcgen): a CA, a server certificate it signs for `localhost`, and
//! an unrelated CA, for PostgreSQL servers with `ssl = on` and for TLS vaults; and self-signed
//! certificates with chosen names and validity, for `pgconnect serve --tls-cert`.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::pg::HarnessError;

/// A test PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that signed the server certificate (PEM).
    pub ca_pem: String,
    /// Another CA, which signed nothing the server presents (PEM).
    pub other_ca_pem: String,
    /// The server certificate: CN and subjectAltName `localhost` only (PEM).
    pub server_cert_pem: String,
    /// Its private key (PEM, PKCS#8).
    pub server_key_pem: String,
}

fn err(what: &str, e: &rcgen::Error) -> HarnessError {
    HarnessError(format!("cannot make the test {what}: {e}"))
}

fn ca(name: &str) -> Result<CertifiedIssuer<'static, KeyPair>, HarnessError> {
    let key = KeyPair::generate().map_err(|e| err("CA key", &e))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| err("CA", &e))?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "pgconnect tests");
    CertifiedIssuer::self_signed(params, key).map_err(|e| err("CA", &e))
}

impl TestPki {
    /// Makes a fresh PKI (a few milliseconds).
    pub fn new() -> Result<TestPki, HarnessError> {
        let ca = ca("pgconnect test CA")?;
        let other = ca_other()?;
        let key = KeyPair::generate().map_err(|e| err("server key", &e))?;
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])
            .map_err(|e| err("server certificate", &e))?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "pgconnect tests");
        let cert = params
            .signed_by(&key, &ca)
            .map_err(|e| err("server certificate", &e))?;
        Ok(TestPki {
            ca_pem: ca.pem(),
            other_ca_pem: other.pem(),
            server_cert_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
        })
    }

    /// `postgresql.conf` lines and data-directory files for a server with `ssl = on` using this
    /// PKI's server certificate.
    #[must_use]
    pub fn postgres_ssl(&self) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
        (
            vec![
                "ssl = on".to_owned(),
                "ssl_cert_file = 'server.crt'".to_owned(),
                "ssl_key_file = 'server.key'".to_owned(),
            ],
            vec![
                (
                    "server.crt".to_owned(),
                    self.server_cert_pem.clone().into_bytes(),
                ),
                (
                    "server.key".to_owned(),
                    self.server_key_pem.clone().into_bytes(),
                ),
            ],
        )
    }
}

fn ca_other() -> Result<CertifiedIssuer<'static, KeyPair>, HarnessError> {
    ca("an unrelated CA")
}

/// A self-signed certificate for `names` (DNS names or IP addresses), valid from `not_before` to
/// `not_after` (Unix seconds): its PEM and its key's PEM.
pub fn self_signed(
    names: &[&str],
    not_before: i64,
    not_after: i64,
) -> Result<(String, String), HarnessError> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).map_err(|e| err("certificate", &e))?;
    let at = |unix: i64| {
        time::OffsetDateTime::from_unix_timestamp(unix)
            .map_err(|e| HarnessError(format!("cannot make the test certificate: {e}")))
    };
    params.not_before = at(not_before)?;
    params.not_after = at(not_after)?;
    let key = KeyPair::generate().map_err(|e| err("key", &e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| err("certificate", &e))?;
    Ok((cert.pem(), key.serialize_pem()))
}

//! The one model both request shapes normalise to.
//!
//! A Qualytics-style `POST /api/datastores` body and a CRAFT-style `POST /assets/data` body say the
//! same thing with different field names and nesting; [`crate::validate::analyze`] reads either
//! into a [`DatastoreRequest`]. Values may still hold `${key}` placeholders (resolved later, from a
//! secret); a port given as a placeholder is kept as text in [`PortSpec::Template`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Which request body a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Shape {
    /// Qualytics-style `POST /api/datastores`.
    Qualytics,
    /// CRAFT-style `POST /assets/data`.
    Craft,
}

impl Shape {
    /// The shape's name in messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Qualytics => "Qualytics-style `POST /api/datastores` body",
            Shape::Craft => "CRAFT-style `POST /assets/data` body",
        }
    }
}

/// What the datastore is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DatastoreKind {
    /// Read-only: the platform reads, profiles and scans it.
    #[default]
    Source,
    /// Read-write: the platform writes its results (anomalies, check metrics) into it.
    Enrichment,
}

impl DatastoreKind {
    /// `source` or `enrichment`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DatastoreKind::Source => "source",
            DatastoreKind::Enrichment => "enrichment",
        }
    }
}

/// The kind of database behind a connection. Only PostgreSQL today; the enum leaves room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Connector {
    /// PostgreSQL (`"type": "postgresql"`, any case).
    Postgresql,
}

impl Connector {
    /// Every connector, with the `type` value that selects it.
    pub const ALL: &'static [(&'static str, Connector)] = &[("postgresql", Connector::Postgresql)];

    /// The connector for a `type` value (case-insensitive).
    #[must_use]
    pub fn from_type(value: &str) -> Option<Connector> {
        Self::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|(_, c)| *c)
    }

    /// The canonical `type` value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Connector::Postgresql => "postgresql",
        }
    }

    /// The port the database listens on unless configured otherwise.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Connector::Postgresql => 5432,
        }
    }
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Try without TLS first; encrypt only if the server insists.
    Allow,
    /// Try TLS first; fall back to plain text (libpq's default).
    Prefer,
    /// Encrypt; do not verify the server.
    Require,
    /// Encrypt and verify the server's certificate chains to a trusted CA.
    VerifyCa,
    /// Encrypt, verify the chain and that the certificate names the host.
    VerifyFull,
}

impl SslMode {
    /// Every mode, weakest first.
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    /// The libpq spelling (exact, lowercase).
    #[must_use]
    pub fn parse(value: &str) -> Option<SslMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// The libpq spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// True when the connection is never made without TLS.
    #[must_use]
    pub fn requires_tls(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }

    /// True when the server's certificate is checked.
    #[must_use]
    pub fn verifies_server(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port: a number, or text holding `${key}` placeholders to be resolved first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    /// A checked port, 1–65535.
    Number(u16),
    /// A template such as `${db_port}`.
    Template(String),
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Number(n) => write!(f, "{n}"),
            PortSpec::Template(t) => f.write_str(t),
        }
    }
}

/// How to reach a PostgreSQL server and log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The connection's own name (Qualytics `connection.name`), if given.
    pub name: Option<String>,
    /// The database product.
    pub connector: Connector,
    /// DNS name or IP address.
    pub host: String,
    /// TCP port.
    pub port: PortSpec,
    /// Role to log in as.
    pub username: String,
    /// Its password, if given.
    pub password: Option<Secret>,
    /// TLS mode; `None` means libpq's default, `prefer`.
    pub ssl_mode: Option<SslMode>,
    /// PEM CA bundle for `verify-ca` / `verify-full`.
    pub ssl_root_cert: Option<String>,
    /// Where `${key}` placeholders in the connection get their values.
    pub secrets_management: Option<Box<SecretsManagement>>,
}

/// Whether [`Connection::to_payload`] writes the secret values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Write the password and the vault credentials payload (to send them to a check).
    Include,
    /// Leave them out (to store or show the connection).
    Omit,
}

impl Connection {
    /// The connection as a Qualytics `connection` object, the canonical form a registry stores:
    /// reading it back with [`crate::validate::analyze_connection`] gives the same connection
    /// (with [`Secrets::Include`]). `${key}` placeholders stay as written.
    #[must_use]
    pub fn to_payload(&self, secrets: Secrets) -> serde_json::Value {
        use serde_json::{Map, Value};
        let mut o = Map::new();
        if let Some(name) = &self.name {
            o.insert("name".into(), Value::from(name.as_str()));
        }
        o.insert("type".into(), Value::from(self.connector.as_str()));
        o.insert("host".into(), Value::from(self.host.as_str()));
        o.insert(
            "port".into(),
            match &self.port {
                PortSpec::Number(n) => Value::from(*n),
                PortSpec::Template(t) => Value::from(t.as_str()),
            },
        );
        o.insert("username".into(), Value::from(self.username.as_str()));
        if let (Secrets::Include, Some(pw)) = (secrets, &self.password) {
            o.insert("password".into(), Value::from(pw.expose()));
        }
        if let Some(mode) = self.ssl_mode {
            o.insert("ssl_mode".into(), Value::from(mode.as_str()));
        }
        if let Some(pem) = &self.ssl_root_cert {
            o.insert("ssl_root_cert".into(), Value::from(pem.as_str()));
        }
        if let Some(sm) = &self.secrets_management {
            o.insert("secrets_management".into(), sm.to_payload(secrets));
        }
        Value::Object(o)
    }
}

/// A HashiCorp-Vault-style secret: how to log in, where the secret is, and where in the two
/// answers the token and the data are. Any connection property may then say `${key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsManagement {
    /// `POST` here with the credentials payload to log in.
    pub login_url: String,
    /// The login request's JSON body (credentials: a secret in itself).
    pub credentials_payload: Secret,
    /// Where the token is in the login answer, e.g. `$.auth.client_token`.
    pub token_jsonpath: String,
    /// `GET` here with the token to read the secret.
    pub secret_url: String,
    /// The header that carries the token, e.g. `X-Vault-Token`.
    pub token_header_name: String,
    /// Where the secret's key/value object is in the read answer: `$.data` (KV v1) or
    /// `$.data.data` (KV v2).
    pub data_jsonpath: String,
    /// `X-Vault-Namespace` header value (Vault Enterprise, OpenBao namespaces).
    pub namespace: Option<String>,
    /// PEM CA bundle the vault's TLS certificate must chain to.
    pub ca_cert: Option<String>,
}

impl SecretsManagement {
    /// The settings as a `secrets_management` object (see [`Connection::to_payload`]).
    #[must_use]
    pub fn to_payload(&self, secrets: Secrets) -> serde_json::Value {
        use serde_json::{Map, Value};
        let mut o = Map::new();
        o.insert("login_url".into(), Value::from(self.login_url.as_str()));
        if secrets == Secrets::Include {
            // Stored as written: JSON text, or an object serialised by the validator.
            let text = self.credentials_payload.expose();
            let v = serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::from(text));
            o.insert("credentials_payload".into(), v);
        }
        o.insert(
            "token_jsonpath".into(),
            Value::from(self.token_jsonpath.as_str()),
        );
        o.insert("secret_url".into(), Value::from(self.secret_url.as_str()));
        o.insert(
            "token_header_name".into(),
            Value::from(self.token_header_name.as_str()),
        );
        o.insert(
            "data_jsonpath".into(),
            Value::from(self.data_jsonpath.as_str()),
        );
        if let Some(ns) = &self.namespace {
            o.insert("namespace".into(), Value::from(ns.as_str()));
        }
        if let Some(pem) = &self.ca_cert {
            o.insert("ca_cert".into(), Value::from(pem.as_str()));
        }
        Value::Object(o)
    }
}

/// A stored connection's id: Qualytics uses integers, other registries strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConnectionId {
    /// An integer id.
    Number(u64),
    /// A textual id (UUID, slug).
    Text(String),
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionId::Number(n) => write!(f, "{n}"),
            ConnectionId::Text(t) => f.write_str(t),
        }
    }
}

/// A new connection, or a reference to one already stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionRef {
    /// Connection details given in the request.
    New(Connection),
    /// `connection_id`: reuse a stored connection's host, port and credentials.
    Existing(ConnectionId),
}

/// A datastore registration, whichever shape it came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatastoreRequest {
    /// The shape it was read from.
    pub shape: Shape,
    /// Display name of the datastore.
    pub name: String,
    /// Free text (CRAFT `description`).
    pub description: Option<String>,
    /// Teams that may see it (Qualytics); empty for CRAFT.
    pub teams: Vec<String>,
    /// Source or enrichment.
    pub kind: DatastoreKind,
    /// Discover the catalog right after creation.
    pub trigger_catalog: bool,
    /// Prefix for the tables written into the enrichment datastore.
    pub enrichment_prefix: Option<String>,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
    /// How to connect.
    pub connection: ConnectionRef,
}

impl DatastoreRequest {
    /// The connection details, when the request carries them.
    #[must_use]
    pub fn new_connection(&self) -> Option<&Connection> {
        match &self.connection {
            ConnectionRef::New(c) => Some(c),
            ConnectionRef::Existing(_) => None,
        }
    }
}

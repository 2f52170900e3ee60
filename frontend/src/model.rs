//! The wizard's state as plain data, and what it becomes: the JSON bodies the registry API takes.
//! No Leptos here, so it is tested natively (`cargo test -p pgconnect-web`).

use pgconnect_core::explain::Field;
use pgconnect_core::{Report, Shape, analyze};
use serde_json::{Map, Value, json};

/// The fields of a connection, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnForm {
    /// Host.
    pub host: String,
    /// Port, as typed (a number or a `${key}`).
    pub port: String,
    /// Role.
    pub username: String,
    /// Password (or a `${key}`).
    pub password: String,
    /// `""` (libpq's default, prefer) or a mode.
    pub ssl_mode: String,
    /// The uploaded CA certificate (PEM), for verify-ca / verify-full.
    pub ssl_root_cert: String,
    /// Its file name, to show.
    pub ca_file_name: String,
    /// Secrets Management on.
    pub vault: bool,
    /// Vault login URL.
    pub login_url: String,
    /// Vault credentials payload (JSON text).
    pub credentials_payload: String,
    /// Token JSONPath.
    pub token_jsonpath: String,
    /// Secret URL.
    pub secret_url: String,
    /// Token header name.
    pub token_header_name: String,
    /// Data JSONPath.
    pub data_jsonpath: String,
}

impl Default for ConnForm {
    fn default() -> Self {
        ConnForm {
            host: String::new(),
            port: "5432".to_owned(),
            username: String::new(),
            password: String::new(),
            ssl_mode: String::new(),
            ssl_root_cert: String::new(),
            ca_file_name: String::new(),
            vault: false,
            login_url: String::new(),
            credentials_payload: String::new(),
            token_jsonpath: "$.auth.client_token".to_owned(),
            secret_url: String::new(),
            token_header_name: "X-Vault-Token".to_owned(),
            data_jsonpath: "$.data.data".to_owned(),
        }
    }
}

/// Whether `mode` verifies the server's certificate (and so takes a CA).
#[must_use]
pub fn verifies(mode: &str) -> bool {
    matches!(mode, "verify-ca" | "verify-full")
}

impl ConnForm {
    /// The Qualytics `connection` object (`name` is the connection's own name, if any).
    #[must_use]
    pub fn to_json(&self, name: &str) -> Value {
        let mut c = Map::new();
        if !name.trim().is_empty() {
            c.insert("name".into(), json!(name.trim()));
        }
        c.insert("type".into(), json!("postgresql"));
        c.insert("host".into(), json!(self.host.trim()));
        let port = self.port.trim();
        c.insert(
            "port".into(),
            port.parse::<u32>()
                .map_or_else(|_| json!(port), |n| json!(n)),
        );
        c.insert("username".into(), json!(self.username.trim()));
        c.insert("password".into(), json!(self.password));
        if !self.ssl_mode.is_empty() {
            c.insert("ssl_mode".into(), json!(self.ssl_mode));
        }
        if verifies(&self.ssl_mode) && !self.ssl_root_cert.trim().is_empty() {
            c.insert("ssl_root_cert".into(), json!(self.ssl_root_cert));
        }
        if self.vault {
            c.insert(
                "secrets_management".into(),
                json!({
                    "login_url": self.login_url.trim(),
                    "credentials_payload": self.credentials_payload,
                    "token_jsonpath": self.token_jsonpath.trim(),
                    "secret_url": self.secret_url.trim(),
                    "token_header_name": self.token_header_name.trim(),
                    "data_jsonpath": self.data_jsonpath.trim(),
                }),
            );
        }
        Value::Object(c)
    }

    /// Fills the fields a pasted connection string gives; `None` when it is not one (the report
    /// says why).
    pub fn paste(&mut self, text: &str) -> Result<Pasted, Report> {
        let parsed = pgconnect_core::connstr::parse_connection_string(text);
        if !parsed.is_ok() {
            return Err(parsed.report);
        }
        let mut filled = Vec::new();
        if let Some(h) = parsed.host {
            self.host = h;
            filled.push("host");
        }
        if let Some(p) = parsed.port {
            self.port = p.to_string();
            filled.push("port");
        }
        if let Some(u) = parsed.username {
            self.username = u;
            filled.push("username");
        }
        if let Some(pw) = parsed.password {
            self.password = pw.expose().to_owned();
            filled.push("password");
        }
        if let Some(m) = parsed.ssl_mode {
            self.ssl_mode = m.as_str().to_owned();
            filled.push("ssl_mode");
        }
        Ok(Pasted {
            database: parsed.database,
            schema: parsed.schema,
            filled,
            report: parsed.report,
        })
    }
}

/// What a paste filled in besides the connection.
#[derive(Debug)]
pub struct Pasted {
    /// Database, if the string named one.
    pub database: Option<String>,
    /// Schema (JDBC `currentSchema`, libpq `options=-csearch_path=`).
    pub schema: Option<String>,
    /// The connection fields it set.
    pub filled: Vec<&'static str>,
    /// Its warnings.
    pub report: Report,
}

/// One datastore being added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatastoreForm {
    /// Name.
    pub name: String,
    /// Use a stored connection rather than a new one.
    pub existing: bool,
    /// That connection.
    pub connection_id: Option<i64>,
    /// A new connection's own name (optional: it takes the datastore's name).
    pub connection_name: String,
    /// A new connection.
    pub conn: ConnForm,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Teams.
    pub teams: Vec<String>,
    /// Initiate sync (catalog discovery after create).
    pub trigger_catalog: bool,
}

impl Default for DatastoreForm {
    fn default() -> Self {
        DatastoreForm {
            name: String::new(),
            existing: false,
            connection_id: None,
            connection_name: String::new(),
            conn: ConnForm::default(),
            database: String::new(),
            schema: "public".to_owned(),
            teams: vec!["Public".to_owned()],
            trigger_catalog: true,
        }
    }
}

/// What a datastore is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Read-only.
    Source,
    /// Results are written there.
    Enrichment,
}

impl Kind {
    /// `source` / `enrichment`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Enrichment => "enrichment",
        }
    }
}

impl DatastoreForm {
    /// The `POST /api/datastores` body.
    #[must_use]
    pub fn to_json(&self, kind: Kind, prefix: Option<&str>) -> Value {
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name.trim()));
        o.insert("teams".into(), json!(self.teams));
        o.insert("database".into(), json!(self.database.trim()));
        o.insert("schema".into(), json!(self.schema.trim()));
        o.insert("trigger_catalog".into(), json!(self.trigger_catalog));
        if kind == Kind::Enrichment {
            o.insert("enrich_only".into(), json!(true));
        }
        if let Some(p) = prefix.map(str::trim).filter(|p| !p.is_empty()) {
            o.insert("enrichment_prefix".into(), json!(p));
        }
        if self.existing {
            o.insert(
                "connection_id".into(),
                self.connection_id.map_or(Value::Null, |id| json!(id)),
            );
        } else {
            o.insert(
                "connection".into(),
                self.conn.to_json(&self.connection_name),
            );
        }
        Value::Object(o)
    }

    /// The body for testing a stored connection (`POST /api/connections/{id}/test`).
    #[must_use]
    pub fn stored_test_json(&self, kind: Kind) -> Value {
        json!({"database": self.database.trim(), "schema": self.schema.trim(), "kind": kind.as_str()})
    }
}

/// The core's report on a body, with `connection_id` missing said in words (the core only sees
/// `null`).
#[must_use]
pub fn check(body: &Value) -> Report {
    let mut report = analyze(body, Some(Shape::Qualytics)).report;
    if body.get("connection_id").is_some_and(Value::is_null) {
        report.push(pgconnect_core::Diagnostic::error(
            "connection/none-chosen",
            &pgconnect_core::Path::ROOT.key("connection_id"),
            "no connection is chosen",
            "choose a stored connection, or switch to a new connection",
        ));
    }
    report
}

/// The JSON Pointer of the form field an explanation implicates.
#[must_use]
pub fn field_path(field: Field) -> &'static str {
    match field {
        Field::Host => "/connection/host",
        Field::Port => "/connection/port",
        Field::Username => "/connection/username",
        Field::Password => "/connection/password",
        Field::Database => "/database",
        Field::Schema => "/schema",
        Field::SslMode => "/connection/ssl_mode",
        Field::LoginUrl => "/connection/secrets_management/login_url",
        Field::CredentialsPayload => "/connection/secrets_management/credentials_payload",
        Field::TokenJsonpath => "/connection/secrets_management/token_jsonpath",
        Field::SecretUrl => "/connection/secrets_management/secret_url",
        Field::TokenHeaderName => "/connection/secrets_management/token_header_name",
        Field::DataJsonpath => "/connection/secrets_management/data_jsonpath",
    }
}

/// Whether a diagnostic at `path` belongs to the field at `field` (itself or inside it).
#[must_use]
pub fn belongs(path: &str, field: &str) -> bool {
    path == field
        || path
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn filled() -> DatastoreForm {
        let mut d = DatastoreForm {
            name: "sales".into(),
            database: "shop".into(),
            ..DatastoreForm::default()
        };
        d.conn.host = "db.example.com".into();
        d.conn.username = "qualytics_ro".into();
        d.conn.password = "pw".into();
        d
    }

    #[test]
    fn a_filled_form_validates_and_an_empty_one_says_where() {
        let d = filled();
        let body = d.to_json(Kind::Source, None);
        assert!(check(&body).is_valid(), "{:?}", check(&body));
        assert_eq!(body["connection"]["port"], 5432);
        let empty = DatastoreForm::default().to_json(Kind::Source, None);
        let paths: Vec<String> = check(&empty)
            .diagnostics
            .iter()
            .filter(|d| d.severity == pgconnect_core::Severity::Error)
            .map(|d| d.path.clone())
            .collect();
        for p in [
            "/name",
            "/database",
            "/connection/host",
            "/connection/username",
        ] {
            assert!(paths.iter().any(|x| x == p), "{p} not in {paths:?}");
        }
    }

    #[test]
    fn vault_ca_and_placeholders_reach_the_body() {
        let mut d = filled();
        d.conn.port = "${db_port}".into();
        d.conn.ssl_mode = "verify-full".into();
        d.conn.ssl_root_cert = "-----BEGIN CERTIFICATE-----\n".into();
        d.conn.vault = true;
        d.conn.login_url = "https://vault/v1/auth/userpass/login/u".into();
        let body = d.to_json(Kind::Enrichment, Some(" dq_ "));
        assert_eq!(body["connection"]["port"], "${db_port}");
        assert!(body["connection"]["ssl_root_cert"].is_string());
        assert_eq!(
            body["connection"]["secrets_management"]["token_header_name"],
            "X-Vault-Token"
        );
        assert_eq!(body["enrich_only"], true);
        assert_eq!(body["enrichment_prefix"], "dq_");
        // a CA for a mode that does not verify is not sent
        d.conn.ssl_mode = "require".into();
        assert!(
            d.to_json(Kind::Source, None)["connection"]
                .get("ssl_root_cert")
                .is_none()
        );
    }

    #[test]
    fn an_existing_connection_needs_choosing() {
        let mut d = filled();
        d.existing = true;
        let body = d.to_json(Kind::Source, None);
        assert!(body.get("connection").is_none());
        assert!(
            check(&body)
                .diagnostics
                .iter()
                .any(|x| x.path == "/connection_id")
        );
        d.connection_id = Some(3);
        assert!(check(&d.to_json(Kind::Source, None)).is_valid());
    }

    #[test]
    fn a_pasted_uri_fills_the_fields_and_the_password() {
        let mut c = ConnForm::default();
        let p = c
            .paste("postgresql://reader:s%40cret@db.example.com:6543/shop?sslmode=verify-full")
            .unwrap();
        assert_eq!(c.host, "db.example.com");
        assert_eq!(c.port, "6543");
        assert_eq!(c.username, "reader");
        assert_eq!(c.password, "s@cret");
        assert_eq!(c.ssl_mode, "verify-full");
        assert_eq!(p.database.as_deref(), Some("shop"));
        let mut c = ConnForm::default();
        let p = c
            .paste("jdbc:postgresql://h:5433/d?user=u&currentSchema=sales")
            .unwrap();
        assert_eq!((c.host.as_str(), c.port.as_str()), ("h", "5433"));
        assert_eq!(p.schema.as_deref(), Some("sales"));
        let mut c = ConnForm::default();
        let p = c
            .paste("host=h port=5 dbname=d user=u password='a b'")
            .unwrap();
        assert_eq!(c.password, "a b");
        assert_eq!(p.database.as_deref(), Some("d"));
        assert!(
            ConnForm::default()
                .paste("not a connection string")
                .is_err()
        );
    }

    #[test]
    fn fields_and_paths() {
        assert!(belongs("/teams/0", "/teams"));
        assert!(belongs("/teams", "/teams"));
        assert!(!belongs("/teams2", "/teams"));
        assert_eq!(field_path(Field::Password), "/connection/password");
    }
}

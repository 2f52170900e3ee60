//! The wizard's state as plain data, and what it becomes: the JSON bodies the registry API takes.
//! No Leptos here, so it is tested natively (`cargo test -p pgconnect-web`).

use pgconnect_core::diagnostic::{Diagnostic, Severity};
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

/// Changing a stored connection (a datastore page's "Change the connection…"): what it is, to
/// fill the form and to tell what changed. Secrets are never shown, so the form's password (and
/// vault credentials) start empty, and empty means "keep the stored one".
#[derive(Debug, Clone, PartialEq)]
pub struct ConnEdit {
    /// The connection as the API shows it (`connection` of `GET /api/datastores/{id}`).
    shown: Value,
}

/// Connection fields a change compares one by one (the secrets and the vault are apart).
const EDITABLE: [&str; 6] = [
    "name",
    "host",
    "port",
    "username",
    "ssl_mode",
    "ssl_root_cert",
];

/// The vault fields that are not secret.
const VAULT_FIELDS: [&str; 5] = [
    "login_url",
    "token_jsonpath",
    "secret_url",
    "token_header_name",
    "data_jsonpath",
];

/// What a file name reads as when the CA certificate is the stored one.
pub const STORED_CA: &str = "the stored certificate";

impl ConnEdit {
    /// From the API's view of the connection.
    #[must_use]
    pub fn new(shown: Value) -> ConnEdit {
        ConnEdit { shown }
    }

    /// The connection's id.
    #[must_use]
    pub fn id(&self) -> Option<i64> {
        self.shown.get("id").and_then(Value::as_i64)
    }

    /// How many datastores use it (the change applies to all of them).
    #[must_use]
    pub fn datastores(&self) -> i64 {
        self.shown
            .get("datastore_count")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    }

    /// Whether a password is stored.
    #[must_use]
    pub fn password_set(&self) -> bool {
        self.shown.get("password_set") == Some(&Value::Bool(true))
    }

    fn vault(&self) -> Option<&Value> {
        self.shown
            .get("secrets_management")
            .filter(|v| !v.is_null())
    }

    /// Whether vault credentials are stored.
    #[must_use]
    pub fn credentials_set(&self) -> bool {
        self.vault().and_then(|v| v.get("credentials_payload_set")) == Some(&Value::Bool(true))
    }

    /// The form, filled with what is stored (the secrets empty), and the connection's name.
    #[must_use]
    pub fn form(&self) -> (ConnForm, String) {
        let s = &self.shown;
        let text = |v: &Value, k: &str| match v.get(k) {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let mut c = ConnForm {
            host: text(s, "host"),
            port: text(s, "port"),
            username: text(s, "username"),
            ssl_mode: text(s, "ssl_mode"),
            ssl_root_cert: text(s, "ssl_root_cert"),
            ..ConnForm::default()
        };
        if !c.ssl_root_cert.is_empty() {
            STORED_CA.clone_into(&mut c.ca_file_name);
        }
        if let Some(v) = self.vault() {
            c.vault = true;
            c.login_url = text(v, "login_url");
            c.token_jsonpath = text(v, "token_jsonpath");
            c.secret_url = text(v, "secret_url");
            c.token_header_name = text(v, "token_header_name");
            c.data_jsonpath = text(v, "data_jsonpath");
        }
        (c, text(s, "name"))
    }

    /// The `PATCH /api/connections/{id}` body: the fields that differ from what is stored
    /// (`null` removes one), a secret only when one is typed. An empty name takes `fallback`
    /// (the datastore's name), as a new connection does.
    #[must_use]
    pub fn patch(&self, form: &ConnForm, name: &str, fallback: &str) -> Map<String, Value> {
        let name = if name.trim().is_empty() {
            fallback
        } else {
            name
        };
        let now = form.to_json(name);
        let mut patch = Map::new();
        let same = |a: Option<&Value>, b: Option<&Value>| {
            let t = |v: Option<&Value>| v.map(|v| v.to_string().trim_matches('"').to_owned());
            t(a) == t(b)
        };
        for k in EDITABLE {
            if !same(self.shown.get(k), now.get(k)) {
                patch.insert(k.into(), now.get(k).cloned().unwrap_or(Value::Null));
            }
        }
        if !form.password.is_empty() {
            patch.insert("password".into(), json!(form.password));
        }
        match (self.vault(), now.get("secrets_management")) {
            (Some(_), None) => {
                patch.insert("secrets_management".into(), Value::Null);
            }
            (None, Some(v)) => {
                patch.insert("secrets_management".into(), v.clone());
            }
            (Some(was), Some(v)) => {
                let mut changes = Map::new();
                for k in VAULT_FIELDS {
                    if !same(was.get(k), v.get(k)) {
                        changes.insert(k.into(), v.get(k).cloned().unwrap_or(Value::Null));
                    }
                }
                if !form.credentials_payload.is_empty() {
                    changes.insert(
                        "credentials_payload".into(),
                        json!(form.credentials_payload),
                    );
                }
                if !changes.is_empty() {
                    patch.insert("secrets_management".into(), Value::Object(changes));
                }
            }
            (None, None) => {}
        }
        patch
    }

    /// The core's report on the change: the datastore `body` the form makes, where an empty
    /// secret that is stored is kept rather than missing, and the server's rule that a stored
    /// secret is never sent to a new address or over weaker TLS (it says to type it again).
    #[must_use]
    pub fn report(&self, body: &Value, patch: &Map<String, Value>) -> Report {
        let mut report = check(body);
        // a kept secret is not judged on the empty field (it was checked when it was saved),
        // nor is whether a `${key}` is used when the stored password may be one
        let password_kept = self.password_set() && !patch.contains_key("password");
        let credentials_kept = self.credentials_set()
            && patch
                .get("secrets_management")
                .and_then(|v| v.get("credentials_payload"))
                .is_none();
        report.diagnostics.retain(|d| match d.path.as_str() {
            "/connection/password" => !password_kept,
            "/connection/secrets_management/credentials_payload" => !credentials_kept,
            _ => !(password_kept && d.code == "secrets/unused"),
        });
        // what was shown, with any text where a secret is stored: the rule reads only presence
        let stored = pgconnect_core::patch::stored_from_view(&self.shown);
        if let Err(refused) = pgconnect_core::patch::merge_connection(&stored, patch) {
            for mut d in refused.diagnostics {
                d.path = format!("/connection{}", d.path);
                report.push(d);
            }
        }
        report
    }
}

/// Changing a stored datastore's own fields (a datastore page's "Edit details…"): what is stored,
/// to fill the form and to tell what changed. The connection is not among them (it has its own
/// form), nor is the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailsEdit {
    /// The datastore as the API shows it (`GET /api/datastores/{id}`).
    shown: Value,
}

impl DetailsEdit {
    /// From the API's view of the datastore.
    #[must_use]
    pub fn new(shown: Value) -> DetailsEdit {
        DetailsEdit { shown }
    }

    /// The datastore's kind.
    #[must_use]
    pub fn kind(&self) -> Kind {
        if self.shown.get("enrich_only") == Some(&Value::Bool(true)) {
            Kind::Enrichment
        } else {
            Kind::Source
        }
    }

    fn text(&self, key: &str) -> String {
        self.shown
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn teams(&self) -> Vec<String> {
        self.shown
            .get("teams")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The form, filled with what is stored; Initiate sync starts off (it asks for a discovery
    /// once the change is saved).
    #[must_use]
    pub fn form(&self) -> DatastoreForm {
        DatastoreForm {
            name: self.text("name"),
            database: self.text("database"),
            schema: self.text("schema"),
            teams: self.teams(),
            trigger_catalog: false,
            ..DatastoreForm::default()
        }
    }

    /// The teams to offer: the caller's, then those the datastore has that the caller was not
    /// given (an admin's view of another team's datastore), so none is unticked by omission.
    #[must_use]
    pub fn team_choices(&self, mine: &[String]) -> Vec<String> {
        let mut out = mine.to_vec();
        for t in self.teams() {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// The `PATCH /api/datastores/{id}` body: only what differs from what is stored (text
    /// trimmed, as on create), and `trigger_catalog` when Initiate sync is ticked.
    #[must_use]
    pub fn patch(&self, f: &DatastoreForm) -> Map<String, Value> {
        let mut o = Map::new();
        for (key, typed) in [
            ("name", &f.name),
            ("database", &f.database),
            ("schema", &f.schema),
        ] {
            let typed = typed.trim();
            if typed != self.text(key) {
                o.insert(key.into(), json!(typed));
            }
        }
        let mut stored = self.teams();
        let mut typed = f.teams.clone();
        stored.sort();
        typed.sort();
        if stored != typed {
            o.insert("teams".into(), json!(f.teams));
        }
        if f.trigger_catalog {
            o.insert("trigger_catalog".into(), json!(true));
        }
        o
    }

    /// The core's report on the change, at the form's paths (`/name`, `/teams`, …).
    #[must_use]
    pub fn report(&self, patch: &Map<String, Value>, mine: &[String]) -> Report {
        let mut report = pgconnect_core::analyze_datastore_patch(
            &Value::Object(patch.clone()),
            core_kind(self.kind()),
        )
        .0;
        if report.is_valid()
            && let Some(d) = self.team_rule(patch, mine)
        {
            report.push(d);
        }
        report
    }

    /// The stored teams the caller cannot take the datastore away from: those not among `mine`
    /// (`GET /api/teams`: an admin's are every team in use). Shown ticked and locked.
    #[must_use]
    pub fn locked_teams(&self, mine: &[String]) -> Vec<String> {
        if mine.is_empty() {
            return Vec::new(); // not known (yet): the server judges
        }
        self.teams()
            .into_iter()
            .filter(|t| !mine.contains(t))
            .collect()
    }

    /// The server's team rules for a developer (a team the caller is not in stays; the caller
    /// keeps sight of the datastore), judged before Save instead of refused after it.
    fn team_rule(&self, patch: &Map<String, Value>, mine: &[String]) -> Option<Diagnostic> {
        let new: Vec<&str> = patch
            .get("teams")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if mine.is_empty() || new.is_empty() {
            return None;
        }
        let error = |code: &'static str, message: String, help: String| Diagnostic {
            code: code.into(),
            severity: Severity::Error,
            path: "/teams".to_owned(),
            message,
            help,
        };
        if let Some(team) = self
            .locked_teams(mine)
            .into_iter()
            .find(|t| !new.contains(&t.as_str()))
        {
            return Some(error(
                "auth/team",
                format!(
                    "you are not in team {team}, so you cannot take the datastore away from it"
                ),
                "keep it ticked, or ask one of its members or an admin".to_owned(),
            ));
        }
        if !new.iter().any(|t| mine.iter().any(|m| m == t)) {
            return Some(error(
                "teams/lock-out",
                "you would no longer see this datastore: none of the ticked teams is yours"
                    .to_owned(),
                format!("keep one of your teams ticked: {}", mine.join(", ")),
            ));
        }
        None
    }

    /// The body of a test of where the change points: `POST /api/connections/{id}/test` with the
    /// database and schema as typed, audited for the datastore's kind.
    #[must_use]
    pub fn test_body(&self, f: &DatastoreForm) -> Value {
        json!({
            "database": f.database.trim(),
            "schema": f.schema.trim(),
            "kind": self.kind().as_str(),
        })
    }

    /// The connection's id.
    #[must_use]
    pub fn connection_id(&self) -> Option<i64> {
        self.shown.pointer("/connection/id").and_then(Value::as_i64)
    }
}

fn core_kind(k: Kind) -> pgconnect_core::DatastoreKind {
    match k {
        Kind::Source => pgconnect_core::DatastoreKind::Source,
        Kind::Enrichment => pgconnect_core::DatastoreKind::Enrichment,
    }
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

    fn shown_datastore() -> Value {
        json!({"id": 7, "name": "orders", "enrich_only": false, "teams": ["Finance", "Ops"],
               "database": "shop", "schema": "sales", "enrichment_prefix": "sales_",
               "connection": {"id": 3, "name": "warehouse"}})
    }

    #[test]
    fn details_fill_the_form_and_send_only_what_changed() {
        let e = DetailsEdit::new(shown_datastore());
        let mut f = e.form();
        assert_eq!(
            (f.name.as_str(), f.database.as_str(), f.schema.as_str()),
            ("orders", "shop", "sales")
        );
        assert_eq!(f.teams, ["Finance", "Ops"]);
        assert!(!f.trigger_catalog, "Initiate sync starts off");
        assert_eq!(e.connection_id(), Some(3));
        assert!(e.patch(&f).is_empty(), "nothing typed, nothing sent");
        assert!(e.report(&e.patch(&f), &[]).diagnostics.is_empty());
        // the same teams in another order are no change; text is trimmed as on create
        f.teams = vec!["Ops".to_owned(), "Finance".to_owned()];
        f.schema = " sales ".to_owned();
        assert!(e.patch(&f).is_empty());
        f.schema = "results ".to_owned();
        f.teams.push("Public".to_owned());
        f.trigger_catalog = true;
        assert_eq!(
            Value::Object(e.patch(&f)),
            json!({"schema": "results", "teams": ["Ops", "Finance", "Public"],
                   "trigger_catalog": true})
        );
        assert_eq!(
            e.test_body(&f),
            json!({"database": "shop", "schema": "results", "kind": "source"})
        );
        // the core judges the change at the form's paths
        f.name = String::new();
        f.teams.clear();
        f.database = "d".repeat(64);
        let r = e.report(&e.patch(&f), &[]);
        let paths: Vec<&str> = r.diagnostics.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["/name", "/database", "/teams"], "{r:?}");
        // the caller's teams first, then the datastore's others
        assert_eq!(
            e.team_choices(&["Public".to_owned(), "Finance".to_owned()]),
            ["Public", "Finance", "Ops"]
        );
        // a developer's team rules, before Save: another team's stays, and one of mine remains
        let mine = ["Public".to_owned(), "Finance".to_owned()];
        assert_eq!(e.locked_teams(&mine), ["Ops"]);
        assert!(e.locked_teams(&[]).is_empty(), "unknown: nothing locked");
        let codes = |teams: &[&str]| {
            let mut f = e.form();
            f.teams = teams.iter().map(|t| (*t).to_owned()).collect();
            e.report(&e.patch(&f), &mine)
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.path))
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&["Ops", "Finance", "Public"]), Vec::<String>::new());
        assert_eq!(codes(&["Finance"]), ["auth/team /teams"]);
        assert_eq!(codes(&["Ops"]), ["teams/lock-out /teams"]);
        assert_eq!(codes(&["Ops", "Public"]), Vec::<String>::new());
        // an admin's teams are every team in use: nothing is locked, any team may stay
        let all = ["Finance".to_owned(), "Ops".to_owned(), "Public".to_owned()];
        assert!(e.locked_teams(&all).is_empty());
        let mut f = e.form();
        f.teams = vec!["Public".to_owned()];
        assert!(e.report(&e.patch(&f), &all).is_valid());
        let enrichment = DetailsEdit::new(json!({"enrich_only": true}));
        assert_eq!(enrichment.kind(), Kind::Enrichment);
        assert_eq!(enrichment.connection_id(), None);
    }

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

    fn shown() -> Value {
        json!({"id": 3, "name": "warehouse", "type": "postgresql", "host": "db1", "port": 5432,
               "username": "u", "ssl_mode": "verify-full",
               "ssl_root_cert": "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
               "password_set": true,
               "datastore_count": 2, "created": "t", "updated": "t"})
    }

    /// The report on a change, as the page's form makes it.
    fn edit_report(e: &ConnEdit, c: &ConnForm, name: &str) -> (Map<String, Value>, Report) {
        let patch = e.patch(c, name, "sales");
        let d = DatastoreForm {
            name: "sales".into(),
            database: "shop".into(),
            conn: c.clone(),
            connection_name: name.into(),
            ..DatastoreForm::default()
        };
        let r = e.report(&d.to_json(Kind::Source, None), &patch);
        (patch, r)
    }

    fn errors_at(r: &Report, path: &str) -> Vec<String> {
        r.errors()
            .filter(|d| d.path == path)
            .map(|d| d.code.to_string())
            .collect()
    }

    #[test]
    fn a_stored_connection_fills_the_form_with_its_secrets_empty_and_nothing_changed() {
        let e = ConnEdit::new(shown());
        assert_eq!(
            (e.id(), e.datastores(), e.password_set()),
            (Some(3), 2, true)
        );
        let (c, name) = e.form();
        assert_eq!(name, "warehouse");
        assert_eq!((c.host.as_str(), c.port.as_str()), ("db1", "5432"));
        assert_eq!(c.password, "");
        assert_eq!(c.ca_file_name, STORED_CA);
        assert!(!c.vault);
        let (patch, r) = edit_report(&e, &c, &name);
        assert!(patch.is_empty(), "{patch:?}");
        // the empty password is the stored one, not a missing one
        assert!(r.is_valid(), "{r:?}");
        // an emptied name takes the datastore's, as a new connection does
        let (patch, _) = edit_report(&e, &c, " ");
        assert_eq!(Value::Object(patch), json!({"name": "sales"}));
    }

    #[test]
    fn a_change_sends_only_what_changed_and_a_new_address_asks_for_the_password() {
        let e = ConnEdit::new(shown());
        let (mut c, name) = e.form();
        c.username = "reader".into();
        let (patch, r) = edit_report(&e, &c, &name);
        assert_eq!(Value::Object(patch), json!({"username": "reader"}));
        assert!(r.is_valid(), "{r:?}");
        c.host = "db2.example.com".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert_eq!(
            errors_at(&r, "/connection/password"),
            ["connection/password-required"]
        );
        c.password = "new-pw".into();
        let (patch, r) = edit_report(&e, &c, &name);
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(
            Value::Object(patch),
            json!({"host": "db2.example.com", "username": "reader", "password": "new-pw"})
        );
        // back to libpq's default: the mode and the CA are removed, and that is weaker TLS
        let (mut c, name) = e.form();
        c.ssl_mode = String::new();
        let (patch, r) = edit_report(&e, &c, &name);
        assert_eq!(
            Value::Object(patch),
            json!({"ssl_mode": null, "ssl_root_cert": null})
        );
        assert_eq!(
            errors_at(&r, "/connection/password"),
            ["connection/password-required"]
        );
        // a typed password is judged as any password is
        c.password = " pw".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.path == "/connection/password")
        );
    }

    #[test]
    fn a_vault_change_keeps_the_credentials_unless_what_they_open_moves() {
        let mut s = shown();
        s["password"] = Value::Null;
        s["secrets_management"] = json!({"login_url": "https://v/login", "token_jsonpath": "$.auth.client_token",
            "secret_url": "https://v/secret", "token_header_name": "X-Vault-Token",
            "data_jsonpath": "$.data.data", "namespace": "team-a", "credentials_payload_set": true});
        let e = ConnEdit::new(s);
        assert!(e.credentials_set());
        let (mut c, name) = e.form();
        assert!(c.vault);
        assert_eq!(c.secret_url, "https://v/secret");
        assert_eq!(c.credentials_payload, "");
        c.password = "${db_password}".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert!(r.is_valid(), "{r:?}");
        c.password = String::new();
        c.secret_url = "https://v/other".into();
        let (patch, r) = edit_report(&e, &c, &name);
        // the namespace, which the form does not show, is not touched
        assert_eq!(
            Value::Object(patch),
            json!({"secrets_management": {"secret_url": "https://v/other"}})
        );
        assert!(r.is_valid(), "{r:?}");
        c.login_url = "https://elsewhere/login".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert_eq!(
            errors_at(&r, "/connection/secrets_management/credentials_payload"),
            ["secrets/credentials-required"]
        );
        c.credentials_payload = "{\"password\": \"x\"}".into();
        let (patch, r) = edit_report(&e, &c, &name);
        assert!(r.is_valid(), "{r:?}");
        assert_eq!(
            patch["secrets_management"]["credentials_payload"],
            "{\"password\": \"x\"}"
        );
        // the database moves: the secret the stored credentials read would go there
        let (mut c, name) = e.form();
        c.host = "elsewhere".into();
        c.password = "${db_password}".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert_eq!(
            errors_at(&r, "/connection/secrets_management/credentials_payload"),
            ["secrets/credentials-required"]
        );
        // another vault origin for the secret: the token would go there
        let (mut c, name) = e.form();
        c.secret_url = "https://elsewhere/secret".into();
        let (_, r) = edit_report(&e, &c, &name);
        assert_eq!(
            errors_at(&r, "/connection/secrets_management/credentials_payload"),
            ["secrets/credentials-required"]
        );
        // turned off: removed
        let (mut c, name) = e.form();
        c.vault = false;
        let (patch, _) = edit_report(&e, &c, &name);
        assert_eq!(Value::Object(patch), json!({"secrets_management": null}));
    }

    #[test]
    fn fields_and_paths() {
        assert!(belongs("/teams/0", "/teams"));
        assert!(belongs("/teams", "/teams"));
        assert!(!belongs("/teams2", "/teams"));
        assert_eq!(field_path(Field::Password), "/connection/password");
    }
}

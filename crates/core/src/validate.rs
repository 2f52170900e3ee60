//! Payload validation: `validate(payload) -> Report`.
//!
//! One pass over the JSON reports every problem (never stopping at the first), each with the JSON
//! Pointer of the field as submitted, what is wrong and how to fix it. When nothing is an error the
//! same pass yields the normalised [`DatastoreRequest`].

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Path, Report, json_str};
use crate::host::{check_host, note_texts, problem_text};
use crate::ident::{MAX_NAME_BYTES, NameProblem, check_name, is_well_known_superuser};
use crate::model::{
    Connection, ConnectionId, ConnectionRef, Connector, DatastoreKind, DatastoreRequest, PortSpec,
    SecretsManagement, Shape, SslMode,
};
use crate::placeholder::{self, mentions_placeholder};
use crate::secret::Secret;
use crate::url::{UrlProblem, parse_http_url};

/// The result of reading a payload: the report, and the model when the report has no errors.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Every finding.
    pub report: Report,
    /// The shape the payload was read as, when it could be told.
    pub shape: Option<Shape>,
    /// The normalised request; `Some` exactly when `report.is_valid()`.
    pub request: Option<DatastoreRequest>,
}

/// Validates a payload of either shape. Never fails, never panics; see [`analyze`].
#[must_use]
pub fn validate(payload: &Value) -> Report {
    analyze(payload, None).report
}

/// Reads a payload into a report and, if it is valid, the normalised request. `shape` forces the
/// shape (an HTTP route knows which body it takes); `None` tells it from the fields present.
#[must_use]
pub fn analyze(payload: &Value, shape: Option<Shape>) -> Analysis {
    analyze_with(payload, shape, false)
}

/// [`analyze`] for a payload whose placeholders were already substituted (see
/// [`crate::resolve`]): `${` in a value is literal text there.
#[must_use]
pub fn analyze_resolved(payload: &Value, shape: Option<Shape>) -> Analysis {
    analyze_with(payload, shape, true)
}

/// Reads a registry connection on its own: a Qualytics `connection` object at the root (paths
/// relative to it), as `POST /api/connections` takes it. `Some` exactly when the report is valid.
#[must_use]
pub fn analyze_connection(value: &Value) -> (Report, Option<Connection>) {
    let mut w = Walker::default();
    let root = Path::ROOT;
    let parsed = match value.as_object() {
        Some(obj) => w.connection_object(obj, &root, None),
        None => {
            w.wrong_type(
                &root,
                value,
                "an object (a connection: type, host, port, username, …)",
            );
            None
        }
    };
    let report = Report::from_diagnostics(w.diags);
    let parsed = if report.is_valid() { parsed } else { None };
    (report, parsed)
}

/// Reads vault settings on their own (the `secrets_management` object, paths relative to it), as
/// the npm package's vault functions take them.
pub fn parse_secrets_management(settings: &Value) -> Result<SecretsManagement, Report> {
    let mut w = Walker::default();
    let root = Path::ROOT;
    let parsed = match settings.as_object() {
        Some(obj) => w.secrets_settings(obj, &root, None),
        None => {
            w.wrong_type(
                &root,
                settings,
                "an object (the secrets_management settings)",
            );
            None
        }
    };
    let report = Report::from_diagnostics(w.diags);
    match parsed {
        Some(sm) if report.is_valid() => Ok(sm),
        _ => Err(report),
    }
}

/// What linking an enrichment datastore changes besides the link itself (the body of
/// `PATCH /api/datastores/{id}/enrichment/{enrichment_id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkRequest {
    /// `None`: the source's prefix stays as it is; `Some(None)`: it is removed;
    /// `Some(Some(p))`: it becomes `p`.
    pub enrichment_prefix: Option<Option<String>>,
}

/// The fields a link body takes.
const LINK: &[&str] = &["enrichment_prefix"];

/// Reads a link body: no body (`null`) or `{"enrichment_prefix": …}`, the prefix checked as on a
/// new source datastore. A field it does not take is an error, not a warning: the body has one
/// job, and a misspelt prefix ignored would leave the tables named differently than asked.
#[must_use]
pub fn analyze_link(body: &Value) -> (Report, Option<LinkRequest>) {
    let mut w = Walker {
        // no secrets take part in a link: `${` is literal text (and not valid in a prefix)
        resolved: true,
        ..Walker::default()
    };
    let root = Path::ROOT;
    let parsed = match body {
        Value::Null => Some(LinkRequest::default()),
        Value::Object(obj) => {
            for key in obj.keys().filter(|k| !LINK.contains(&k.as_str())) {
                w.push(Diagnostic::error(
                    "link/unknown-field",
                    &root.key(key),
                    format!("unknown field `{key}` in the link body; nothing was changed"),
                    match suggest(key, LINK) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "the link body takes only `enrichment_prefix` (a string, or null \
                                 to remove the prefix); send no body to keep the prefix"
                            .to_owned(),
                    },
                ));
            }
            match obj.get("enrichment_prefix") {
                None => Some(LinkRequest::default()),
                Some(Value::Null) => Some(LinkRequest {
                    enrichment_prefix: Some(None),
                }),
                Some(_) => w
                    .enrichment_prefix(obj, &root, DatastoreKind::Source)
                    .map(|p| LinkRequest {
                        enrichment_prefix: Some(Some(p.to_owned())),
                    }),
            }
        }
        other => {
            w.wrong_type(
                &root,
                other,
                "an object such as {\"enrichment_prefix\": \"sales_\"}, or no body",
            );
            None
        }
    };
    let report = Report::from_diagnostics(w.diags);
    let parsed = if report.is_valid() { parsed } else { None };
    (report, parsed)
}

/// A change to a stored datastore's own fields (the body of `PATCH /api/datastores/{id}`). A field
/// left out keeps its stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatastorePatch {
    /// The new display name.
    pub name: Option<String>,
    /// The new teams (the whole list).
    pub teams: Option<Vec<String>>,
    /// The new database.
    pub database: Option<String>,
    /// The new schema.
    pub schema: Option<String>,
    /// `Some(None)`: remove the prefix; `Some(Some(p))`: set it.
    pub enrichment_prefix: Option<Option<String>>,
    /// `Some(true)`: discover the catalog after the change (Qualytics' "Initiate Sync").
    pub trigger_catalog: Option<bool>,
}

impl DatastorePatch {
    /// True when the change moves the datastore to other tables (its catalog is then stale).
    #[must_use]
    pub fn moves_tables(&self) -> bool {
        self.database.is_some() || self.schema.is_some()
    }
}

/// The fields a datastore change takes.
const DATASTORE_PATCH: &[&str] = &[
    "name",
    "teams",
    "database",
    "schema",
    "enrichment_prefix",
    "trigger_catalog",
    "trigger_sync",
];

/// Reads a change to a stored datastore of kind `kind`: each field present is checked as on a
/// new datastore (`null` removes only the optional `enrichment_prefix`). Fields of the connection
/// and the datastore's kind are refused with where they are changed instead; any field it does not
/// take is an error, so a misspelt field never leaves the datastore silently unchanged.
#[must_use]
pub fn analyze_datastore_patch(
    body: &Value,
    kind: DatastoreKind,
) -> (Report, Option<DatastorePatch>) {
    let mut w = Walker::default();
    let root = Path::ROOT;
    let Some(obj) = body.as_object() else {
        w.wrong_type(
            &root,
            body,
            "an object of the fields to change, such as {\"schema\": \"analytics\"}",
        );
        return (Report::from_diagnostics(w.diags), None);
    };
    for key in obj
        .keys()
        .filter(|k| !DATASTORE_PATCH.contains(&k.as_str()))
    {
        let help = if key == "connection"
            || key == "connection_id"
            || Q_CONNECTION.contains(&key.as_str())
        {
            "the connection is changed on its own, for every datastore that uses it: \
             PATCH /api/connections/{connection_id}"
                .to_owned()
        } else if key == "enrich_only" || key == "enrichment_only" {
            "a datastore's kind cannot change: create a new datastore of the kind you need"
                .to_owned()
        } else {
            match suggest(key, DATASTORE_PATCH) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "a datastore change takes `name`, `teams`, `database`, `schema`, \
                         `enrichment_prefix` and `trigger_catalog`"
                    .to_owned(),
            }
        };
        w.push(Diagnostic::error(
            "datastore/unknown-field",
            &root.key(key),
            format!("`{key}` cannot be changed here; nothing was changed"),
            help,
        ));
    }
    let required = |key: &str| obj.contains_key(key).then_some(Need::Required);
    let mut ok = true;
    let mut take = |v: Option<&str>, present: bool| {
        if present && v.is_none() {
            ok = false;
        }
        v.map(str::to_owned)
    };
    let name = required("name").and_then(|need| w.text(obj, &root, "name", need));
    let name = take(name, obj.contains_key("name"));
    let database = required("database").and_then(|need| w.pg_name(obj, &root, "database", need));
    let database = take(database, obj.contains_key("database"));
    let schema = required("schema").and_then(|need| w.pg_name(obj, &root, "schema", need));
    let schema = take(schema, obj.contains_key("schema"));
    let teams = if obj.contains_key("teams") {
        let t = w.teams(obj, &root);
        ok &= t.is_some();
        t
    } else {
        None
    };
    let enrichment_prefix = match obj.get("enrichment_prefix") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => {
            let p = w.enrichment_prefix(obj, &root, kind);
            ok &= p.is_some();
            Some(p.map(str::to_owned))
        }
    };
    let trigger_catalog = w.aliased_bool(obj, &root, "trigger_catalog", "trigger_sync");
    let report = Report::from_diagnostics(w.diags);
    let patch = DatastorePatch {
        name,
        teams,
        database,
        schema,
        enrichment_prefix,
        trigger_catalog,
    };
    let valid = ok && report.is_valid();
    (report, valid.then_some(patch))
}

fn analyze_with(payload: &Value, shape: Option<Shape>, resolved: bool) -> Analysis {
    let mut w = Walker {
        resolved,
        ..Walker::default()
    };
    let root = Path::ROOT;
    let Some(obj) = payload.as_object() else {
        w.push(Diagnostic::error(
            "payload/not-an-object",
            &root,
            format!("the payload is {}, not a JSON object", describe(payload)),
            "send a JSON object such as {\"name\": …, \"connection\": {…}} (Qualytics) or \
             {\"name\": …, \"config\": {…}, \"credentials\": {…}} (CRAFT)",
        ));
        return w.finish(None, None);
    };
    let shape = match shape {
        Some(s) => s,
        None => match detect_shape(obj) {
            Ok(s) => s,
            Err(d) => {
                w.push(d);
                return w.finish(None, None);
            }
        },
    };
    let request = match shape {
        Shape::Qualytics => w.qualytics(obj, &root),
        Shape::Craft => w.craft(obj, &root),
    };
    w.finish(Some(shape), request)
}

// ---------------------------------------------------------------------------------------------
// Shapes and their fields

const Q_TOP: &[&str] = &[
    "name",
    "teams",
    "database",
    "schema",
    "enrich_only",
    "enrichment_only",
    "trigger_catalog",
    "trigger_sync",
    "enrichment_prefix",
    "connection",
    "connection_id",
];
const Q_CONNECTION: &[&str] = &[
    "name",
    "type",
    "host",
    "port",
    "username",
    "password",
    "ssl_mode",
    "ssl_root_cert",
    "secrets_management",
];
const C_TOP: &[&str] = &[
    "name",
    "description",
    "type",
    "config",
    "credentials",
    "secrets_management",
];
const C_CONFIG: &[&str] = &[
    "host",
    "port",
    "database",
    "schema",
    "ssl_mode",
    "ssl_root_cert",
];
const C_CREDENTIALS: &[&str] = &["username", "password"];
const SECRETS: &[&str] = &[
    "login_url",
    "credentials_payload",
    "token_jsonpath",
    "secret_url",
    "token_header_name",
    "data_jsonpath",
    "namespace",
    "ca_cert",
];

/// Where each shape's objects are and which fields they take (for misplaced-field hints).
fn layout(shape: Shape) -> &'static [(&'static str, &'static [&'static str])] {
    match shape {
        Shape::Qualytics => &[
            ("", Q_TOP),
            ("/connection", Q_CONNECTION),
            ("/connection/secrets_management", SECRETS),
        ],
        Shape::Craft => &[
            ("", C_TOP),
            ("/config", C_CONFIG),
            ("/credentials", C_CREDENTIALS),
            ("/secrets_management", SECRETS),
        ],
    }
}

/// Names people write for our fields (other tools' spellings), lowercased.
const SYNONYMS: &[(&str, &str)] = &[
    ("user", "username"),
    ("usr", "username"),
    ("login", "username"),
    ("pass", "password"),
    ("passwd", "password"),
    ("pwd", "password"),
    ("hostname", "host"),
    ("server", "host"),
    ("address", "host"),
    ("dbname", "database"),
    ("db", "database"),
    ("database_name", "database"),
    ("sslmode", "ssl_mode"),
    ("ssl", "ssl_mode"),
    ("sslrootcert", "ssl_root_cert"),
    ("ssl_ca", "ssl_root_cert"),
    ("ca_cert", "ssl_root_cert"),
    ("search_path", "schema"),
    ("schema_name", "schema"),
    ("team", "teams"),
    ("connector", "type"),
    ("enrichment", "enrich_only"),
    ("config", "connection"),
    ("connection", "config"),
];

fn detect_shape(obj: &Map<String, Value>) -> Result<Shape, Diagnostic> {
    let has = |k: &str| obj.contains_key(k);
    let q_strong = has("connection") || has("connection_id");
    let c_strong = has("config") || has("credentials");
    if q_strong && c_strong {
        return Err(Diagnostic::error(
            "payload/mixed-shapes",
            &Path::ROOT,
            "the payload mixes the two request shapes: it has `connection`/`connection_id` \
             (Qualytics) and `config`/`credentials` (CRAFT)",
            "use one shape: Qualytics puts host, port, username and password in `connection`; \
             CRAFT puts host, port, database, schema and ssl_mode in `config` and username and \
             password in `credentials`",
        ));
    }
    if q_strong {
        return Ok(Shape::Qualytics);
    }
    if c_strong {
        return Ok(Shape::Craft);
    }
    let q_weak = [
        "teams",
        "enrich_only",
        "enrichment_only",
        "trigger_catalog",
        "trigger_sync",
        "enrichment_prefix",
    ]
    .iter()
    .any(|k| has(k));
    let c_weak = has("description") || has("type");
    match (q_weak, c_weak) {
        (true, false) => Ok(Shape::Qualytics),
        (false, true) => Ok(Shape::Craft),
        _ => {
            let flat = ["host", "port", "username", "password"]
                .iter()
                .any(|k| has(k));
            let mut help = String::from(
                "a Qualytics-style body nests the server in `connection` ({\"name\", \"teams\", \
                 \"database\", \"schema\", \"connection\": {\"type\", \"host\", \"port\", \
                 \"username\", \"password\"}}); a CRAFT-style body has `config` ({\"host\", \
                 \"port\", \"database\", \"schema\", \"ssl_mode\"}) and `credentials` \
                 ({\"username\", \"password\"})",
            );
            if flat {
                help.push_str(
                    "; the host, port, username and password given at the top level belong in \
                     one of those objects",
                );
            }
            Err(Diagnostic::error(
                "payload/unknown-shape",
                &Path::ROOT,
                "cannot tell which request this is: it has neither `connection`/`connection_id` \
                 (Qualytics) nor `config`/`credentials` (CRAFT)",
                help,
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The walker

#[derive(Default)]
struct Walker {
    diags: Vec<Diagnostic>,
    /// Re-validating a payload whose placeholders were already substituted: `${` is literal text.
    resolved: bool,
    /// The string fields that hold `${key}` placeholders: (pointer, keys).
    templated: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}

/// The fields both shapes hold for a new connection, read from wherever the shape keeps them.
struct ConnFields<'v> {
    name: Option<&'v str>,
    connector: Option<Connector>,
    host: Option<String>,
    port: Option<PortSpec>,
    username: Option<&'v str>,
    password: Option<&'v str>,
    ssl_mode: Option<SslMode>,
    ssl_root_cert: Option<&'v str>,
    secrets: Option<SecretsManagement>,
}

impl Walker {
    /// True when `s` holds a placeholder whose value is not known yet (value checks wait).
    fn is_templated(&self, s: &str) -> bool {
        !self.resolved && mentions_placeholder(s)
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn finish(self, shape: Option<Shape>, request: Option<DatastoreRequest>) -> Analysis {
        let report = Report::from_diagnostics(self.diags);
        let request = if report.is_valid() { request } else { None };
        Analysis {
            report,
            shape,
            request,
        }
    }

    // ----- Qualytics -----

    fn qualytics(&mut self, obj: &Map<String, Value>, root: &Path<'_>) -> Option<DatastoreRequest> {
        self.unknown_fields(obj, root, Q_TOP, Some(Shape::Qualytics));
        let name = self.text(obj, root, "name", Need::Required);
        let teams = self.teams(obj, root);
        let database = self.pg_name(obj, root, "database", Need::Required);
        let schema = self.pg_name(obj, root, "schema", Need::Required);
        let enrich_only = self.aliased_bool(obj, root, "enrich_only", "enrichment_only");
        let trigger_catalog = self.aliased_bool(obj, root, "trigger_catalog", "trigger_sync");
        let kind = if enrich_only == Some(true) {
            DatastoreKind::Enrichment
        } else {
            DatastoreKind::Source
        };
        let prefix = self.enrichment_prefix(obj, root, kind);

        let conn_path = root.key("connection");
        let id_path = root.key("connection_id");
        let connection = match (non_null(obj, "connection"), non_null(obj, "connection_id")) {
            (Some(_), Some(_)) => {
                self.push(Diagnostic::error(
                    "connection/both-new-and-existing",
                    &id_path,
                    "the payload has both `connection` and `connection_id`",
                    "send `connection` to create a new connection, or `connection_id` to reuse a \
                     stored one — not both",
                ));
                None
            }
            (None, None) => {
                self.push(Diagnostic::error(
                    "field/required",
                    &conn_path,
                    "`connection` is required (or `connection_id` to reuse a stored connection)",
                    "add \"connection\": {\"type\": \"postgresql\", \"host\": …, \"port\": 5432, \
                     \"username\": …, \"password\": …}",
                ));
                None
            }
            (None, Some(id)) => self
                .connection_id(id, &id_path)
                .map(ConnectionRef::Existing),
            (Some(conn), None) => match conn.as_object() {
                None => {
                    self.wrong_type(&conn_path, conn, "an object");
                    None
                }
                Some(c) => self
                    .connection_object(c, &conn_path, Some(Shape::Qualytics))
                    .map(ConnectionRef::New),
            },
        };

        Some(DatastoreRequest {
            shape: Shape::Qualytics,
            name: name?.to_owned(),
            description: None,
            teams: teams?,
            kind,
            trigger_catalog: trigger_catalog.unwrap_or(false),
            enrichment_prefix: prefix.map(str::to_owned),
            database: database?.to_owned(),
            schema: schema?.to_owned(),
            connection: connection?,
        })
    }

    /// A Qualytics `connection` object (also a registry connection on its own, at the root).
    fn connection_object(
        &mut self,
        c: &Map<String, Value>,
        conn_path: &Path<'_>,
        shape: Option<Shape>,
    ) -> Option<Connection> {
        self.unknown_fields(c, conn_path, Q_CONNECTION, shape);
        let fields = ConnFields {
            name: self.text(c, conn_path, "name", Need::Optional),
            connector: self.connector(c, conn_path, "type"),
            host: self.host(c, conn_path),
            port: self.port(c, conn_path, Need::Required),
            username: self.username(c, conn_path),
            password: self.password(c, conn_path),
            ssl_mode: self.ssl_mode(c, conn_path),
            ssl_root_cert: self.text(c, conn_path, "ssl_root_cert", Need::Optional),
            secrets: None,
        };
        let (present, secrets) = self.secrets_management(c, conn_path, shape);
        let fields = ConnFields { secrets, ..fields };
        self.tls_consistency(&fields, conn_path);
        self.secrets_cross_checks(present, &conn_path.key("password"), fields.password);
        build_connection(fields)
    }

    fn teams(&mut self, obj: &Map<String, Value>, root: &Path<'_>) -> Option<Vec<String>> {
        let path = root.key("teams");
        let value = self.field(obj, root, "teams", Need::Required, "[\"Public\"]")?;
        let Some(items) = value.as_array() else {
            let help = match value.as_str() {
                Some(s) => format!("write a list, even for one team: [{}]", json_str(s)),
                None => "write a list of team names, e.g. [\"Public\"]".to_owned(),
            };
            self.push(Diagnostic::error(
                "field/wrong-type",
                &path,
                format!(
                    "`teams` must be an array of strings, not {}",
                    describe(value)
                ),
                help,
            ));
            return None;
        };
        if items.is_empty() {
            self.push(Diagnostic::error(
                "teams/empty",
                &path,
                "`teams` is empty: a datastore belongs to at least one team",
                "add a team, e.g. [\"Public\"] to make it visible to everyone",
            ));
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = path.index(i);
            match item.as_str() {
                None => {
                    self.wrong_type(&p, item, "a string (a team name)");
                    ok = false;
                }
                Some("") => {
                    self.empty(&p, "team name");
                    ok = false;
                }
                Some(s) if self.has_nul(&p, "team name", s) => ok = false,
                Some(s) => {
                    self.placeholders(&p, s);
                    self.whitespace(&p, s, "team name");
                    if out.iter().any(|t| t == s) {
                        self.push(Diagnostic::warning(
                            "teams/duplicate",
                            &p,
                            format!("team {} is listed twice", json_str(s)),
                            "remove the repeated entry",
                        ));
                    } else {
                        out.push(s.to_owned());
                    }
                }
            }
        }
        ok.then_some(out)
    }

    fn enrichment_prefix<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        root: &Path<'_>,
        kind: DatastoreKind,
    ) -> Option<&'v str> {
        let path = root.key("enrichment_prefix");
        let prefix = self.text(obj, root, "enrichment_prefix", Need::Optional)?;
        if self.is_templated(prefix) {
            return Some(prefix);
        }
        const SUFFIX: &str = "_check_metrics";
        let max = MAX_NAME_BYTES - SUFFIX.len();
        let lower = prefix.to_ascii_lowercase();
        let first_ok = prefix
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        let chars_ok = prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !(first_ok && chars_ok) {
            let cleaned: String = lower
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let cleaned = if cleaned.starts_with(|c: char| c.is_ascii_digit()) {
                format!("_{cleaned}")
            } else {
                cleaned
            };
            self.push(Diagnostic::error(
                "enrichment/prefix-invalid",
                &path,
                format!(
                    "enrichment prefix {} does not make valid unquoted table names",
                    json_str(prefix)
                ),
                format!(
                    "start with a letter or `_` and use only lowercase letters, digits and `_`, \
                     e.g. {}",
                    json_str(&cleaned)
                ),
            ));
        } else if prefix != lower {
            self.push(Diagnostic::error(
                "enrichment/prefix-uppercase",
                &path,
                format!(
                    "enrichment prefix {} has upper-case letters; unquoted table names are folded \
                     to lower case, so the tables would not be named as written",
                    json_str(prefix)
                ),
                format!("use {}", json_str(&lower)),
            ));
        }
        if prefix.len() > max {
            self.push(Diagnostic::error(
                "enrichment/prefix-too-long",
                &path,
                format!(
                    "enrichment prefix is {} bytes; with `{SUFFIX}` appended the table name \
                     would exceed PostgreSQL's {MAX_NAME_BYTES}-byte limit and be truncated",
                    prefix.len()
                ),
                format!("use at most {max} bytes"),
            ));
        }
        if kind == DatastoreKind::Enrichment {
            self.push(Diagnostic::warning(
                "enrichment/prefix-on-enrichment",
                &path,
                "`enrichment_prefix` is set on an enrichment datastore; the prefix belongs to \
                 the source datastore whose results are written",
                "set the prefix on the source datastore that links to this one, or drop it here",
            ));
        }
        Some(prefix)
    }

    fn connection_id(&mut self, id: &Value, path: &Path<'_>) -> Option<ConnectionId> {
        match id {
            Value::Number(n) => match n.as_u64() {
                Some(v) if v > 0 => Some(ConnectionId::Number(v)),
                _ => {
                    self.push(Diagnostic::error(
                        "connection/id-invalid",
                        path,
                        format!("`connection_id` {n} is not a positive whole number"),
                        "use the id of a stored connection, as listed by `GET /api/connections`",
                    ));
                    None
                }
            },
            Value::String(s) if s.trim().is_empty() => {
                self.empty(path, "connection id");
                None
            }
            Value::String(s) => Some(ConnectionId::Text(s.clone())),
            other => {
                self.wrong_type(path, other, "a positive integer or a string id");
                None
            }
        }
    }

    // ----- CRAFT -----

    fn craft(&mut self, obj: &Map<String, Value>, root: &Path<'_>) -> Option<DatastoreRequest> {
        self.unknown_fields(obj, root, C_TOP, Some(Shape::Craft));
        let name = self.text(obj, root, "name", Need::Required);
        let description = self.text_allow_empty(obj, root, "description");
        let connector = self.connector(obj, root, "type");

        let config_path = root.key("config");
        let config = self.object(obj, root, "config");
        let (host, port, database, schema, ssl_mode, ssl_root_cert) = match config {
            Some(c) => {
                self.unknown_fields(c, &config_path, C_CONFIG, Some(Shape::Craft));
                (
                    self.host(c, &config_path),
                    self.port(c, &config_path, Need::Optional),
                    self.pg_name(c, &config_path, "database", Need::Required),
                    self.pg_name(c, &config_path, "schema", Need::Optional),
                    self.ssl_mode(c, &config_path),
                    self.text(c, &config_path, "ssl_root_cert", Need::Optional),
                )
            }
            None => (None, None, None, None, None, None),
        };
        let port_defaulted = config.is_some_and(|c| non_null(c, "port").is_none());
        let schema_defaulted = config.is_some_and(|c| non_null(c, "schema").is_none());

        let cred_path = root.key("credentials");
        let (username, password) = match self.object(obj, root, "credentials") {
            Some(c) => {
                self.unknown_fields(c, &cred_path, C_CREDENTIALS, Some(Shape::Craft));
                (self.username(c, &cred_path), self.password(c, &cred_path))
            }
            None => (None, None),
        };

        let (present, secrets) = self.secrets_management(obj, root, Some(Shape::Craft));
        let fields = ConnFields {
            name: None,
            connector,
            host,
            port: if port_defaulted {
                Some(PortSpec::Number(Connector::Postgresql.default_port()))
            } else {
                port
            },
            username,
            password,
            ssl_mode,
            ssl_root_cert,
            secrets,
        };
        if config.is_some() {
            self.tls_consistency(&fields, &config_path);
        }
        self.secrets_cross_checks(present, &cred_path.key("password"), fields.password);
        let connection = build_connection(fields);
        let schema = if schema_defaulted {
            Some("public")
        } else {
            schema
        };
        Some(DatastoreRequest {
            shape: Shape::Craft,
            name: name?.to_owned(),
            description: description.map(str::to_owned),
            teams: Vec::new(),
            kind: DatastoreKind::Source,
            trigger_catalog: false,
            enrichment_prefix: None,
            database: database?.to_owned(),
            schema: schema?.to_owned(),
            connection: ConnectionRef::New(connection?),
        })
    }

    // ----- connection fields shared by both shapes -----

    fn connector(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
    ) -> Option<Connector> {
        let path = parent.key(key);
        let value = self.text(obj, parent, key, Need::Required)?;
        if let Some(c) = Connector::from_type(value) {
            return Some(c);
        }
        let lower = value.to_ascii_lowercase();
        let help = if ["postgres", "pg", "pgsql", "psql", "postgre", "postgressql"]
            .contains(&lower.as_str())
        {
            format!("write \"postgresql\" (not {})", json_str(value))
        } else {
            "pgconnect connects to PostgreSQL: set `type` to \"postgresql\"".to_owned()
        };
        self.push(Diagnostic::error(
            "connection/unsupported-type",
            &path,
            format!("connector type {} is not supported", json_str(value)),
            help,
        ));
        None
    }

    fn host(&mut self, obj: &Map<String, Value>, parent: &Path<'_>) -> Option<String> {
        let path = parent.key("host");
        let host = self.text(obj, parent, "host", Need::Required)?;
        if self.is_templated(host) {
            return Some(host.to_owned());
        }
        match check_host(host) {
            Ok((_, notes)) => {
                for (code, message, help) in note_texts(host, &notes) {
                    self.push(Diagnostic::warning(code, &path, message, help));
                }
                Some(host.to_owned())
            }
            Err(problem) => {
                let (code, message, help) = problem_text(host, &problem);
                self.push(Diagnostic::error(code, &path, message, help));
                None
            }
        }
    }

    fn port(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Path<'_>,
        need: Need,
    ) -> Option<PortSpec> {
        let path = parent.key("port");
        let value = self.field(obj, parent, "port", need, "5432")?;
        match value {
            Value::Number(n) => {
                if let Some(v) = n.as_u64() {
                    self.port_range(&path, &v.to_string(), u16::try_from(v).ok())
                } else if n.as_i64().is_some() {
                    self.port_range(&path, &n.to_string(), None)
                } else {
                    self.push(Diagnostic::error(
                        "connection/port-not-a-number",
                        &path,
                        format!("port {n} is not a whole number"),
                        "write the port as a whole number between 1 and 65535, e.g. 5432",
                    ));
                    None
                }
            }
            Value::String(s) => {
                if s.is_empty() {
                    self.empty(&path, "port");
                    return None;
                }
                if self.is_templated(s) {
                    return self
                        .placeholders(&path, s)
                        .then(|| PortSpec::Template(s.clone()));
                }
                if s.bytes().all(|b| b.is_ascii_digit()) {
                    return self.port_range(&path, s, s.parse::<u16>().ok());
                }
                let trimmed = s.trim();
                let help = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                    format!("remove the spaces: \"{trimmed}\"")
                } else {
                    "write the port as a number between 1 and 65535, e.g. 5432 (PostgreSQL's \
                     default), or as a `${key}` placeholder"
                        .to_owned()
                };
                self.push(Diagnostic::error(
                    "connection/port-not-a-number",
                    &path,
                    format!("port {} is not a number", json_str(s)),
                    help,
                ));
                None
            }
            other => {
                self.wrong_type(&path, other, "an integer (or a numeric string)");
                None
            }
        }
    }

    fn port_range(
        &mut self,
        path: &Path<'_>,
        written: &str,
        value: Option<u16>,
    ) -> Option<PortSpec> {
        match value {
            Some(p) if p >= 1 => Some(PortSpec::Number(p)),
            _ => {
                self.push(Diagnostic::error(
                    "connection/port-out-of-range",
                    path,
                    format!("port {written} is outside 1–65535"),
                    "use the port the server listens on; PostgreSQL's default is 5432",
                ));
                None
            }
        }
    }

    fn username<'v>(&mut self, obj: &'v Map<String, Value>, parent: &Path<'_>) -> Option<&'v str> {
        let path = parent.key("username");
        let user = self.pg_name(obj, parent, "username", Need::Required)?;
        if !self.is_templated(user) && is_well_known_superuser(user) {
            self.push(Diagnostic::warning(
                "connection/superuser-username",
                &path,
                format!(
                    "username {} is a well-known superuser account",
                    json_str(user)
                ),
                "connect with a dedicated least-privilege role: `pgconnect grants --kind source \
                 --role <name> --database <db> --schema <schema> --create-role` writes the SQL",
            ));
        }
        Some(user)
    }

    fn password<'v>(&mut self, obj: &'v Map<String, Value>, parent: &Path<'_>) -> Option<&'v str> {
        let path = parent.key("password");
        let value = self.field(obj, parent, "password", Need::Required, "\"…\"")?;
        let Some(pw) = value.as_str() else {
            // never echo the value: a number typed as password is still a password
            self.push(Diagnostic::error(
                "field/wrong-type",
                &path,
                format!("`password` must be a string, not {}", json_type(value)),
                "put the password in quotes",
            ));
            return None;
        };
        if pw.is_empty() {
            self.empty(&path, "password");
            return None;
        }
        if self.has_nul(&path, "password", pw) {
            return None;
        }
        self.placeholders(&path, pw);
        if pw != pw.trim() {
            self.push(Diagnostic::warning(
                "field/surrounding-whitespace",
                &path,
                "the password starts or ends with whitespace",
                "check that the spaces are part of the password and not left over from pasting",
            ));
        }
        Some(pw)
    }

    fn ssl_mode(&mut self, obj: &Map<String, Value>, parent: &Path<'_>) -> Option<SslMode> {
        let path = parent.key("ssl_mode");
        let Some(value) = self.text(obj, parent, "ssl_mode", Need::Optional) else {
            if non_null(obj, "ssl_mode").is_none() {
                self.push(Diagnostic::info(
                    "connection/ssl-mode-default",
                    &path,
                    "no ssl_mode given: the connection uses libpq's default, prefer (encrypted \
                     only if the server offers it, and the server is not verified)",
                    "set ssl_mode to verify-full to encrypt and verify the server",
                ));
            }
            return None;
        };
        if self.is_templated(value) {
            return None;
        }
        let Some(mode) = SslMode::parse(value) else {
            let lower = value.to_ascii_lowercase().replace('_', "-");
            let help = match SslMode::parse(&lower) {
                Some(m) => format!("write {}", json_str(m.as_str())),
                None => {
                    "use one of disable, allow, prefer, require, verify-ca, verify-full".to_owned()
                }
            };
            self.push(Diagnostic::error(
                "connection/ssl-mode-invalid",
                &path,
                format!("ssl_mode {} is not an SSL mode", json_str(value)),
                help,
            ));
            return None;
        };
        match mode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => {
                let what = match mode {
                    SslMode::Disable => "never encrypts the connection",
                    SslMode::Allow => "encrypts only if the server insists",
                    _ => "falls back to an unencrypted connection when the server offers no TLS",
                };
                self.push(Diagnostic::warning(
                    "connection/ssl-mode-insecure",
                    &path,
                    format!(
                        "ssl_mode {mode} {what}: the password and data may cross the network \
                         in clear text"
                    ),
                    "use verify-full (or at least require) unless the network path is trusted",
                ));
            }
            SslMode::Require => self.push(Diagnostic::warning(
                "connection/ssl-mode-unverified",
                &path,
                "ssl_mode require encrypts but does not verify the server, so a machine in the \
                 middle can pose as it",
                "use verify-full, with ssl_root_cert holding your CA's certificate if it is not a \
                 public CA",
            )),
            SslMode::VerifyCa | SslMode::VerifyFull => {}
        }
        Some(mode)
    }

    fn tls_consistency(&mut self, f: &ConnFields<'_>, parent: &Path<'_>) {
        if let Some(pem) = f.ssl_root_cert {
            let path = parent.key("ssl_root_cert");
            if !self.is_templated(pem) {
                self.pem(
                    "connection/ssl-root-cert-invalid",
                    &path,
                    "ssl_root_cert",
                    pem,
                );
            }
            if f.ssl_mode.is_some_and(|m| !m.verifies_server()) {
                self.push(Diagnostic::warning(
                    "connection/ssl-root-cert-unused",
                    &path,
                    "ssl_root_cert is given but ssl_mode does not verify the server, so the \
                     certificate is not used",
                    "set ssl_mode to verify-full (or verify-ca) to check the server against it",
                ));
            }
        }
    }

    /// A database, schema or user name: a non-empty string of at most 63 bytes without NUL.
    fn pg_name<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
        need: Need,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let value = self.text(obj, parent, key, need)?;
        if self.is_templated(value) {
            return Some(value);
        }
        match check_name(value) {
            Ok(()) => Some(value),
            Err(NameProblem::TooLong { bytes, truncated }) => {
                self.push(Diagnostic::error(
                    "name/too-long",
                    &path,
                    format!(
                        "{key} is {bytes} bytes; PostgreSQL names hold at most {MAX_NAME_BYTES} \
                         bytes and the server would silently truncate it to {}",
                        json_str(&truncated)
                    ),
                    format!(
                        "use the name exactly as it exists on the server (at most \
                         {MAX_NAME_BYTES} bytes)"
                    ),
                ));
                None
            }
            Err(NameProblem::Empty | NameProblem::Nul) => None, // reported by text()
        }
    }

    // ----- generic field access -----

    /// The value at `key`, reporting a missing required field. `null` counts as absent.
    fn field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
        need: Need,
        example: &str,
    ) -> Option<&'v Value> {
        match obj.get(key) {
            Some(Value::Null) | None => {
                if need == Need::Required {
                    let null = obj.get(key).is_some();
                    self.push(Diagnostic::error(
                        "field/required",
                        &parent.key(key),
                        if null {
                            format!("`{key}` is required and may not be null")
                        } else {
                            format!("`{key}` is required")
                        },
                        format!("add \"{key}\": {example}"),
                    ));
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    /// A non-empty string, with its placeholders checked and surrounding whitespace warned about
    /// (except in PEM text, which ends in a newline by nature).
    fn text<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
        need: Need,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let warn_whitespace = key != "ssl_root_cert";
        let value = self.field(obj, parent, key, need, example_for(key))?;
        let Some(s) = value.as_str() else {
            self.wrong_type(&path, value, "a string");
            return None;
        };
        if s.is_empty() {
            self.empty(&path, key);
            return None;
        }
        if self.has_nul(&path, key, s) {
            return None;
        }
        self.placeholders(&path, s);
        if warn_whitespace {
            self.whitespace(&path, s, key);
        }
        Some(s)
    }

    /// An optional string that may be empty (free text).
    fn text_allow_empty<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let value = self.field(obj, parent, key, Need::Optional, "\"\"")?;
        let Some(s) = value.as_str() else {
            self.wrong_type(&path, value, "a string");
            return None;
        };
        if self.has_nul(&path, key, s) {
            return None;
        }
        self.placeholders(&path, s);
        Some(s)
    }

    fn object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
    ) -> Option<&'v Map<String, Value>> {
        let value = self.field(obj, parent, key, Need::Required, "{…}")?;
        let map = value.as_object();
        if map.is_none() {
            self.wrong_type(&parent.key(key), value, "an object");
        }
        map
    }

    /// A boolean that may be spelled two ways (`enrich_only` / `enrichment_only`).
    fn aliased_bool(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Path<'_>,
        primary: &str,
        alias: &str,
    ) -> Option<bool> {
        let a = self.boolean(obj, parent, primary);
        let b = self.boolean(obj, parent, alias);
        match (a, b) {
            (Some(x), Some(y)) if x == y => {
                self.push(Diagnostic::warning(
                    "field/duplicate-alias",
                    &parent.key(alias),
                    format!("`{alias}` repeats `{primary}`"),
                    format!("keep only `{primary}`"),
                ));
                Some(x)
            }
            (Some(_), Some(_)) => {
                self.push(Diagnostic::error(
                    "field/conflicting-alias",
                    &parent.key(alias),
                    format!("`{alias}` and `{primary}` mean the same thing but disagree"),
                    format!("keep only `{primary}` with the value you mean"),
                ));
                None
            }
            (x, y) => x.or(y),
        }
    }

    fn boolean(&mut self, obj: &Map<String, Value>, parent: &Path<'_>, key: &str) -> Option<bool> {
        let value = self.field(obj, parent, key, Need::Optional, "false")?;
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" || s == "false" => {
                self.push(Diagnostic::error(
                    "field/wrong-type",
                    &parent.key(key),
                    format!("`{key}` must be a boolean, not the string {}", json_str(s)),
                    format!("write {s} without quotes"),
                ));
                None
            }
            other => {
                self.wrong_type(&parent.key(key), other, "a boolean (true or false)");
                None
            }
        }
    }

    // ----- secrets management -----

    /// Reads `secrets_management` from `obj`: (whether it is there, the config when valid).
    fn secrets_management(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Path<'_>,
        shape: Option<Shape>,
    ) -> (bool, Option<SecretsManagement>) {
        let path = parent.key("secrets_management");
        let Some(value) = non_null(obj, "secrets_management") else {
            return (false, None);
        };
        let Some(sm) = value.as_object() else {
            self.wrong_type(&path, value, "an object");
            return (true, None);
        };
        (true, self.secrets_settings(sm, &path, shape))
    }

    /// The vault settings object itself.
    fn secrets_settings(
        &mut self,
        sm: &Map<String, Value>,
        path: &Path<'_>,
        shape: Option<Shape>,
    ) -> Option<SecretsManagement> {
        let path = *path;
        self.unknown_fields(sm, &path, SECRETS, shape);
        let login_url = self.vault_url(sm, &path, "login_url");
        let credentials = self.credentials_payload(sm, &path);
        let token_jsonpath =
            self.jsonpath_field(sm, &path, "token_jsonpath", "$.auth.client_token");
        let secret_url = self.vault_url(sm, &path, "secret_url");
        let header = self.header_name(sm, &path);
        let data_jsonpath = self.jsonpath_field(sm, &path, "data_jsonpath", "$.data.data");
        let namespace = self.vault_text(sm, &path, "namespace", Need::Optional);
        if let Some(ns) = namespace
            && ns.chars().any(|c| c.is_control() || !c.is_ascii())
        {
            self.push(Diagnostic::error(
                "secrets/namespace-invalid",
                &path.key("namespace"),
                "namespace holds characters an HTTP header cannot carry",
                "write the namespace path in ASCII, e.g. admin/team-a",
            ));
        }
        let ca_cert = self.vault_text(sm, &path, "ca_cert", Need::Optional);
        if let Some(pem) = ca_cert {
            self.pem(
                "secrets/ca-cert-invalid",
                &path.key("ca_cert"),
                "ca_cert",
                pem,
            );
        }
        (|| {
            Some(SecretsManagement {
                login_url: login_url?.to_owned(),
                credentials_payload: credentials?,
                token_jsonpath: token_jsonpath?.to_owned(),
                secret_url: secret_url?.to_owned(),
                token_header_name: header?.to_owned(),
                data_jsonpath: data_jsonpath?.to_owned(),
                namespace: namespace.map(str::to_owned),
                ca_cert: ca_cert.map(str::to_owned),
            })
        })()
    }

    /// A vault setting: a string taken literally. A `${key}` in it is an error: these settings are
    /// what fetches the secret, so they cannot come from it.
    fn vault_text<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
        need: Need,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let value = self.field(obj, parent, key, need, example_for(key))?;
        let Some(s) = value.as_str() else {
            self.wrong_type(&path, value, "a string");
            return None;
        };
        if s.trim().is_empty() {
            self.empty(&path, key);
            return None;
        }
        if !self.resolved
            && placeholder::scan(s)
                .is_ok_and(|p| p.iter().any(|p| matches!(p, placeholder::Piece::Key(_))))
        {
            self.push(Diagnostic::error(
                "secrets/placeholder-in-vault-settings",
                &path,
                format!("{key} holds a ${{key}} placeholder, but vault settings are what fetch the secret"),
                "write the value itself; if `${` is literal text, write it as `$${`",
            ));
            return None;
        }
        Some(s)
    }

    fn vault_url<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let url = self.vault_text(obj, parent, key, Need::Required)?;
        let example = if key == "login_url" {
            "https://vault.example.com:8200/v1/auth/userpass/login/<user>"
        } else {
            "https://vault.example.com:8200/v1/secret/data/<path>"
        };
        let problem = match parse_http_url(url) {
            Ok(u) => {
                if !u.is_https() {
                    self.push(Diagnostic::warning(
                        "secrets/url-not-https",
                        &path,
                        format!("{key} uses http: the credentials, token and secret cross the network unencrypted"),
                        "use https unless the vault is on a trusted local network",
                    ));
                }
                return Some(url);
            }
            Err(p) => p,
        };
        let (message, help) = match problem {
            UrlProblem::NotAbsolute => (
                format!("{key} is not an absolute URL"),
                format!("write the whole URL, e.g. {example}"),
            ),
            UrlProblem::Scheme(s) => (
                format!("{key} uses the scheme {s:?}; a vault answers over http or https"),
                format!("write e.g. {example}"),
            ),
            UrlProblem::UserInfo => (
                format!("{key} holds user information (user@ or user:password@)"),
                "remove it: the vault login goes in credentials_payload, where it is kept secret"
                    .to_owned(),
            ),
            UrlProblem::Host(_) => (
                format!("{key} has no valid host"),
                format!("write e.g. {example}"),
            ),
            UrlProblem::Port(p) => (
                format!("{key} has the port {p:?}, which is not 1–65535"),
                "Vault and OpenBao listen on 8200 unless configured otherwise".to_owned(),
            ),
            UrlProblem::Whitespace => (
                format!("{key} holds spaces or control characters"),
                "percent-encode them (a space is %20), or remove what was pasted by mistake"
                    .to_owned(),
            ),
            UrlProblem::Fragment => (
                format!("{key} holds a #fragment, which is never sent to the server"),
                "remove the part from # on".to_owned(),
            ),
        };
        self.push(Diagnostic::error(
            "secrets/url-invalid",
            &path,
            message,
            help,
        ));
        None
    }

    /// The login body: JSON text as the form holds it, or a JSON object. Kept as a secret.
    fn credentials_payload(
        &mut self,
        obj: &Map<String, Value>,
        parent: &Path<'_>,
    ) -> Option<Secret> {
        let key = "credentials_payload";
        let path = parent.key(key);
        let value = self.field(obj, parent, key, Need::Required, "{\"password\": \"…\"}")?;
        let parsed: Value = match value {
            Value::Object(_) => value.clone(),
            Value::String(text) => match serde_json::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    // serde_json's message names the problem, never the text itself
                    self.push(Diagnostic::error(
                        "secrets/credentials-not-json",
                        &path,
                        format!(
                            "credentials_payload is not valid JSON: {} (line {}, column {})",
                            e.to_string()
                                .split(" at line ")
                                .next()
                                .unwrap_or("syntax error"),
                            e.line(),
                            e.column()
                        ),
                        "write a JSON object, e.g. {\"password\": \"…\"} for userpass or \
                         {\"role_id\": \"…\", \"secret_id\": \"…\"} for AppRole",
                    ));
                    return None;
                }
            },
            other => {
                self.wrong_type(&path, other, "a JSON object, or JSON text of one");
                return None;
            }
        };
        if !parsed.is_object() {
            self.push(Diagnostic::error(
                "secrets/credentials-not-object",
                &path,
                "credentials_payload is JSON but not an object",
                "the vault's login endpoint takes an object, e.g. {\"password\": \"…\"}",
            ));
            return None;
        }
        let text = serde_json::to_string(&parsed).unwrap_or_default();
        if !self.resolved
            && placeholder::scan(&text)
                .is_ok_and(|p| p.iter().any(|p| matches!(p, placeholder::Piece::Key(_))))
        {
            self.push(Diagnostic::error(
                "secrets/placeholder-in-vault-settings",
                &path,
                "credentials_payload holds a ${key} placeholder, but it is what fetches the secret",
                "write the credentials themselves; if `${` is literal text, write it as `$${`",
            ));
            return None;
        }
        Some(Secret::new(text))
    }

    fn jsonpath_field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
        key: &str,
        example: &str,
    ) -> Option<&'v str> {
        let path = parent.key(key);
        let text = self.vault_text(obj, parent, key, Need::Required)?;
        match crate::jsonpath::check(text) {
            Ok(()) => Some(text),
            Err(e) => {
                self.push(Diagnostic::error(
                    "secrets/jsonpath-invalid",
                    &path,
                    format!(
                        "{key} {} is not valid JSONPath: {}",
                        json_str(text),
                        e.message
                    ),
                    format!("write a path such as {example}"),
                ));
                None
            }
        }
    }

    fn header_name<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        parent: &Path<'_>,
    ) -> Option<&'v str> {
        let key = "token_header_name";
        let path = parent.key(key);
        let name = self.vault_text(obj, parent, key, Need::Required)?;
        let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if let Some(bad) = name.chars().find(|c| !is_tchar(*c)) {
            self.push(Diagnostic::error(
                "secrets/header-name-invalid",
                &path,
                format!(
                    "token_header_name {} holds {bad:?}, which an HTTP header name may not",
                    json_str(name)
                ),
                "use a header name such as X-Vault-Token (letters, digits and -)",
            ));
            return None;
        }
        Some(name)
    }

    fn pem(&mut self, code: &'static str, path: &Path<'_>, key: &str, pem: &str) {
        let begins = pem.matches("-----BEGIN CERTIFICATE-----").count();
        let ends = pem.matches("-----END CERTIFICATE-----").count();
        if begins == 0 || begins != ends {
            self.push(Diagnostic::error(
                code,
                path,
                format!("{key} is not a PEM certificate bundle"),
                "paste the CA certificate in PEM form: the text from -----BEGIN CERTIFICATE----- \
                 to -----END CERTIFICATE-----",
            ));
        }
    }

    /// With secrets management on, placeholders have somewhere to come from and a plain password
    /// beside them is suspicious; without it, a placeholder can never be resolved.
    fn secrets_cross_checks(
        &mut self,
        present: bool,
        password_path: &Path<'_>,
        password: Option<&str>,
    ) {
        if self.resolved {
            return;
        }
        if present {
            if self.templated.is_empty() {
                self.push(Diagnostic::warning(
                    "secrets/unused",
                    &Path::ROOT,
                    "secrets management is on but no field uses a ${key} placeholder",
                    "write ${key} in the fields whose values come from the secret (e.g. \
                     \"password\": \"${db_password}\"), or turn secrets management off",
                ));
            } else if let Some(pw) = password
                && !mentions_placeholder(pw)
            {
                self.push(Diagnostic::warning(
                    "secrets/plain-password",
                    password_path,
                    "the password is written in plain text although secrets management is on",
                    "take it from the secret too, e.g. \"password\": \"${db_password}\"",
                ));
            }
        } else {
            for (pointer, keys) in std::mem::take(&mut self.templated) {
                self.diags.push(Diagnostic {
                    code: std::borrow::Cow::Borrowed("secrets/no-vault"),
                    severity: crate::diagnostic::Severity::Error,
                    path: pointer,
                    message: format!(
                        "{} cannot be filled in: secrets management is off",
                        keys.join(", ")
                    ),
                    help: "turn on secrets management (the vault settings), or write the value \
                           itself; write $${ for a literal ${"
                        .to_owned(),
                });
            }
        }
    }

    fn placeholders(&mut self, path: &Path<'_>, s: &str) -> bool {
        if !self.is_templated(s) {
            return true;
        }
        match placeholder::scan(s) {
            Ok(pieces) => {
                let keys: Vec<String> = pieces
                    .iter()
                    .filter_map(|p| match p {
                        placeholder::Piece::Key(k) => Some(format!("${{{k}}}")),
                        placeholder::Piece::Literal(_) => None,
                    })
                    .collect();
                if !keys.is_empty() {
                    self.templated.push((path.to_pointer(), keys));
                }
                true
            }
            Err(e) => {
                self.push(Diagnostic::error(
                    "field/placeholder-syntax",
                    path,
                    format!("{e}"),
                    "write a placeholder as ${key}, where key holds letters, digits, `_`, `-`, \
                     `.` or `/`; write $${ for a literal ${",
                ));
                false
            }
        }
    }

    fn whitespace(&mut self, path: &Path<'_>, s: &str, what: &str) {
        if s != s.trim() && !s.trim().is_empty() {
            self.push(Diagnostic::warning(
                "field/surrounding-whitespace",
                path,
                format!("{what} {} starts or ends with whitespace", json_str(s)),
                format!(
                    "use {} unless the spaces are really part of it",
                    json_str(s.trim())
                ),
            ));
        }
    }

    /// Reports a NUL character, which neither libpq (C strings) nor PostgreSQL's text types can
    /// hold (nor a registry in PostgreSQL). The value is not quoted: it may be a password.
    fn has_nul(&mut self, path: &Path<'_>, what: &str, s: &str) -> bool {
        let nul = s.contains('\0');
        if nul {
            self.push(Diagnostic::error(
                "field/has-nul",
                path,
                format!(
                    "{what} holds a NUL character (\\u0000), which libpq and PostgreSQL cannot \
                     take"
                ),
                "remove the \\u0000 character (it is usually left over from copying)",
            ));
        }
        nul
    }

    fn empty(&mut self, path: &Path<'_>, what: &str) {
        self.push(Diagnostic::error(
            "field/empty",
            path,
            format!("{what} is empty"),
            format!("fill in the {what}"),
        ));
    }

    fn wrong_type(&mut self, path: &Path<'_>, value: &Value, expected: &str) {
        let pointer = path.to_pointer();
        let mut segments = pointer.rsplit('/');
        let last = segments.next().unwrap_or_default();
        let name = match last.parse::<usize>() {
            Ok(i) => format!(
                "item {} of {}",
                i + 1,
                segments.next().unwrap_or("the list")
            ),
            // the whole value (a PATCH body, a connection on its own)
            Err(_) if pointer.is_empty() => "the value".to_owned(),
            Err(_) => format!("`{last}`"),
        };
        let help = match (value, expected) {
            (Value::Number(n), e) if e.starts_with("a string") => {
                format!("put the value in quotes: \"{n}\"")
            }
            (Value::Array(a), e) if e.starts_with("a string") && a.len() == 1 => {
                "give the single value, not a list".to_owned()
            }
            _ => format!("give {expected}"),
        };
        self.push(Diagnostic::error(
            "field/wrong-type",
            path,
            format!("{name} must be {expected}, not {}", json_type(value)),
            help,
        ));
    }

    /// Warns about every field the object does not take, suggesting near misses and saying where a
    /// misplaced field belongs.
    fn unknown_fields(
        &mut self,
        obj: &Map<String, Value>,
        path: &Path<'_>,
        known: &[&'static str],
        shape: Option<Shape>,
    ) {
        for key in obj.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let here = path.to_pointer();
            let field_path = path.key(key);
            let help = if let Some(s) = suggest(key, known) {
                format!("did you mean `{s}`?")
            } else if let Some(place) = shape.and_then(|shape| belongs_elsewhere(key, &here, shape))
            {
                format!("`{}` belongs at {place}", canonical(key))
            } else {
                format!(
                    "remove it; this object takes {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.push(Diagnostic::warning(
                "field/unknown",
                &field_path,
                format!(
                    "unknown field `{key}` in {}; it is ignored",
                    if here.is_empty() {
                        "the payload".to_owned()
                    } else {
                        format!("`{here}`")
                    }
                ),
                help,
            ));
        }
    }
}

fn build_connection(f: ConnFields<'_>) -> Option<Connection> {
    Some(Connection {
        name: f.name.map(str::to_owned),
        connector: f.connector?,
        host: f.host?,
        port: f.port?,
        username: f.username?.to_owned(),
        password: Some(Secret::new(f.password?)),
        ssl_mode: f.ssl_mode,
        ssl_root_cert: f.ssl_root_cert.map(str::to_owned),
        secrets_management: f.secrets.map(Box::new),
    })
}

fn non_null<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn canonical(key: &str) -> &str {
    let lower = key.to_ascii_lowercase();
    SYNONYMS
        .iter()
        .find(|(from, _)| *from == lower)
        .map_or(key, |(_, to)| to)
}

/// A known field that `key` is probably a misspelling or another tool's name of.
fn suggest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    if let Some(k) = known.iter().find(|k| **k == lower) {
        return Some(k);
    }
    if let Some((_, to)) = SYNONYMS.iter().find(|(from, _)| *from == lower)
        && let Some(k) = known.iter().find(|k| *k == to)
    {
        return Some(k);
    }
    let normalized = lower.replace('-', "_");
    known
        .iter()
        // two edits change the length by at most two: skip the rest without computing
        .filter(|k| k.len().abs_diff(normalized.len()) <= 2)
        .map(|k| (strsim::damerau_levenshtein(&normalized, k), *k))
        .filter(|(d, k)| *d <= 2 && *d * 3 <= k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Where a field the current object does not take lives in this shape, if anywhere.
fn belongs_elsewhere(key: &str, here: &str, shape: Shape) -> Option<String> {
    let wanted = canonical(key);
    layout(shape)
        .iter()
        .filter(|(place, _)| *place != here)
        .find(|(_, fields)| fields.contains(&wanted))
        .map(|(place, _)| format!("`{place}/{wanted}`"))
}

fn example_for(key: &str) -> &'static str {
    match key {
        "name" => "\"my-datastore\"",
        "type" => "\"postgresql\"",
        "host" => "\"db.example.com\"",
        "username" => "\"qualytics_read_role\"",
        "database" => "\"analytics\"",
        "schema" => "\"public\"",
        "login_url" => "\"https://vault.example.com:8200/v1/auth/userpass/login/<user>\"",
        "secret_url" => "\"https://vault.example.com:8200/v1/secret/data/<path>\"",
        "token_jsonpath" => "\"$.auth.client_token\"",
        "data_jsonpath" => "\"$.data.data\" (KV v2) or \"$.data\" (KV v1)",
        "token_header_name" => "\"X-Vault-Token\"",
        _ => "\"…\"",
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: &Value) -> Vec<(String, String)> {
        validate(v)
            .diagnostics
            .into_iter()
            .map(|d| (d.code.into_owned(), d.path))
            .collect()
    }

    fn qualytics() -> Value {
        json!({
            "name": "orders", "teams": ["Public"], "database": "analytics", "schema": "public",
            "enrich_only": false, "trigger_catalog": true,
            "connection": {"name": "c", "type": "postgresql", "host": "db.example.com",
                "port": "5432", "username": "qualytics_read", "password": "pw",
                "ssl_mode": "verify-full"}
        })
    }

    #[test]
    fn datastore_changes_are_checked_as_on_a_new_datastore() {
        let src = DatastoreKind::Source;
        // nothing to change is a valid, empty change
        assert_eq!(
            analyze_datastore_patch(&json!({}), src),
            (Report::default(), Some(DatastorePatch::default()))
        );
        let (r, p) = analyze_datastore_patch(
            &json!({"name": "orders v2", "teams": ["Sales", "Public"], "database": "${db}",
                "schema": "analytics", "enrichment_prefix": null, "trigger_sync": true}),
            src,
        );
        assert!(r.diagnostics.is_empty(), "{r:?}");
        let p = p.unwrap();
        assert_eq!(
            p,
            DatastorePatch {
                name: Some("orders v2".to_owned()),
                teams: Some(vec!["Sales".to_owned(), "Public".to_owned()]),
                database: Some("${db}".to_owned()),
                schema: Some("analytics".to_owned()),
                enrichment_prefix: Some(None),
                trigger_catalog: Some(true),
            }
        );
        assert!(p.moves_tables());
        let renamed = DatastorePatch {
            name: Some("x".to_owned()),
            ..DatastorePatch::default()
        };
        assert!(!renamed.moves_tables());

        // every problem at once, at its path; no change when anything is wrong
        let (r, p) = analyze_datastore_patch(
            &json!({"name": null, "teams": [], "database": "", "schema": "s".repeat(64),
                "enrichment_prefix": "Sales-", "trigger_catalog": "true"}),
            src,
        );
        assert!(p.is_none());
        let got: Vec<(&str, &str)> = r
            .diagnostics
            .iter()
            .map(|d| (d.code.as_ref(), d.path.as_str()))
            .collect();
        for want in [
            ("field/required", "/name"),
            ("teams/empty", "/teams"),
            ("field/empty", "/database"),
            ("name/too-long", "/schema"),
            ("enrichment/prefix-invalid", "/enrichment_prefix"),
            ("field/wrong-type", "/trigger_catalog"),
        ] {
            assert!(got.contains(&want), "{want:?} missing from {got:?}");
        }

        // connection fields and the kind are refused with where they are changed
        let (r, p) = analyze_datastore_patch(
            &json!({"connection_id": 3, "port": 6432, "enrich_only": true, "shema": "x"}),
            src,
        );
        assert!(p.is_none());
        let help = |path: &str| {
            r.diagnostics
                .iter()
                .find(|d| d.path == path)
                .map(|d| (d.code.to_string(), d.help.clone()))
                .unwrap()
        };
        assert_eq!(help("/connection_id").0, "datastore/unknown-field");
        assert!(help("/connection_id").1.contains("PATCH /api/connections/"));
        assert!(help("/port").1.contains("PATCH /api/connections/"));
        assert!(help("/enrich_only").1.contains("kind cannot change"));
        assert_eq!(help("/shema").1, "did you mean `schema`?");

        // a prefix on an enrichment datastore warns as on create; not an object is refused
        let (r, p) = analyze_datastore_patch(
            &json!({"enrichment_prefix": "x_"}),
            DatastoreKind::Enrichment,
        );
        assert!(p.is_some());
        assert_eq!(r.diagnostics[0].code, "enrichment/prefix-on-enrichment");
        let (r, p) = analyze_datastore_patch(&json!(["schema"]), src);
        assert!(p.is_none());
        assert_eq!(
            (
                r.diagnostics[0].code.as_ref(),
                r.diagnostics[0].path.as_str()
            ),
            ("field/wrong-type", "")
        );
        assert_eq!(
            r.diagnostics[0].message,
            "the value must be an object of the fields to change, such as {\"schema\": \
             \"analytics\"}, not an array"
        );
    }

    #[test]
    fn link_bodies_keep_set_or_remove_the_prefix_and_refuse_the_rest() {
        let read = |v: Value| analyze_link(&v);
        let keep = LinkRequest::default();
        assert_eq!(read(Value::Null), (Report::default(), Some(keep.clone())));
        assert_eq!(read(json!({})), (Report::default(), Some(keep)));
        let (r, l) = read(json!({"enrichment_prefix": "sales_"}));
        assert!(r.diagnostics.is_empty(), "{r:?}");
        assert_eq!(
            l.unwrap().enrichment_prefix,
            Some(Some("sales_".to_owned()))
        );
        let (_, l) = read(json!({"enrichment_prefix": null}));
        assert_eq!(l.unwrap().enrichment_prefix, Some(None));
        // the prefix rules of a new datastore, at the body's own path; no result when wrong
        let one = |v: Value| {
            let (r, l) = read(v);
            assert!(l.is_none() && !r.is_valid(), "{r:?}");
            assert_eq!(r.diagnostics.len(), 1, "{r:?}");
            let d = r.diagnostics.into_iter().next().unwrap();
            (d.code.into_owned(), d.path, d.help)
        };
        let (code, path, help) = one(json!({"enrichment_prefix": "Sales_"}));
        assert_eq!(
            (code.as_str(), path.as_str()),
            ("enrichment/prefix-uppercase", "/enrichment_prefix")
        );
        assert!(help.contains("\"sales_\""), "{help}");
        let (code, _, help) = one(json!({"enrichment_prefix": "9 lives-"}));
        assert_eq!(code, "enrichment/prefix-invalid");
        assert!(help.contains("\"_9_lives_\""), "{help}");
        // `${` is no placeholder here: nothing resolves it
        assert_eq!(
            one(json!({"enrichment_prefix": "${p}"})).0,
            "enrichment/prefix-invalid"
        );
        assert_eq!(
            one(json!({"enrichment_prefix": ""})).1,
            "/enrichment_prefix"
        );
        assert_eq!(one(json!({"enrichment_prefix": 7})).0, "field/wrong-type");
        // a misspelt field is an error, with the field it meant
        let (code, path, help) = one(json!({"enrichment_prefx": "sales_"}));
        assert_eq!(
            (code.as_str(), path.as_str()),
            ("link/unknown-field", "/enrichment_prefx")
        );
        assert_eq!(help, "did you mean `enrichment_prefix`?");
        let (_, _, help) = one(json!({"enrichment_id": 3}));
        assert!(help.contains("takes only `enrichment_prefix`"), "{help}");
        let (code, path, _) = one(json!(["sales_"]));
        assert_eq!((code.as_str(), path.as_str()), ("field/wrong-type", ""));
    }

    #[test]
    fn link_local_hosts_and_encoded_zones_warn() {
        let report = |host: &str| {
            let mut p = qualytics();
            p["connection"]["host"] = json!(host);
            validate(&p)
        };
        let one = |host: &str| {
            let r = report(host);
            assert!(r.is_valid(), "{host}: {r:?}");
            assert_eq!(r.diagnostics.len(), 1, "{host}: {r:?}");
            let d = &r.diagnostics[0];
            assert_eq!(d.path, "/connection/host");
            (d.code.to_string(), d.message.clone(), d.help.clone())
        };
        let (code, message, help) = one("fe80::1%25eth0");
        assert_eq!(code, "connection/host-zone-encoded");
        assert!(message.contains(r#"interface "25eth0""#), "{message}");
        assert!(help.starts_with(r#"write "fe80::1%eth0""#), "{help}");
        let (code, _, help) = one("2001:db8::7%25enp0s3");
        assert_eq!(code, "connection/host-zone-encoded");
        assert!(help.starts_with(r#"write "2001:db8::7%enp0s3""#), "{help}");
        let (code, message, help) = one("fe80::1");
        assert_eq!(code, "connection/host-link-local");
        assert!(message.contains("without a zone") && message.contains("Invalid argument"));
        assert!(help.contains("fe80::1%eth0"), "{help}");
        for host in ["fe80::1%eth0", "169.254.20.7"] {
            let (code, message, _) = one(host);
            assert_eq!(code, "connection/host-link-local");
            assert!(message.contains("same network link"), "{message}");
        }
        // brackets and an encoded zone: both are said, each with its own fix
        let r = report("[fe80::1%25eth0]");
        let codes: Vec<_> = r.diagnostics.iter().map(|d| d.code.as_ref()).collect();
        assert_eq!(
            codes,
            ["connection/host-brackets", "connection/host-zone-encoded"]
        );
        // an interface index is not an encoding; routable addresses say nothing
        for host in ["fe80::1%25", "fe80::1%2"] {
            assert_eq!(one(host).0, "connection/host-link-local", "{host}");
        }
        for host in ["2001:db8::1%25", "2001:db8::1", "10.0.0.1", "fec0::1"] {
            assert_eq!(report(host).diagnostics, vec![], "{host}");
        }
    }

    #[test]
    fn clean_qualytics_payload_normalises() {
        let a = analyze(&qualytics(), None);
        assert_eq!(a.report.diagnostics, vec![]);
        let r = a.request.unwrap();
        assert_eq!(r.shape, Shape::Qualytics);
        let c = r.new_connection().unwrap();
        assert_eq!(c.port, PortSpec::Number(5432));
        assert_eq!(c.password.as_ref().unwrap().expose(), "pw");
        assert!(r.trigger_catalog);
    }

    #[test]
    fn a_connection_alone_round_trips_through_its_payload() {
        use crate::model::Secrets;
        let value = json!({"name": "w", "type": "PostgreSQL", "host": "${db_host}",
            "port": "${db_port}", "username": "${db_user}", "password": "${db_password}",
            "ssl_mode": "require",
            "secrets_management": {"login_url": "https://vault.example.com/v1/auth/userpass/login/u",
                "credentials_payload": "{\"password\": \"vault-pw\"}",
                "token_jsonpath": "$.auth.client_token",
                "secret_url": "https://vault.example.com/v1/secret/data/pg",
                "token_header_name": "X-Vault-Token", "data_jsonpath": "$.data.data"}});
        let (report, c) = analyze_connection(&value);
        assert!(report.is_valid(), "{report:?}");
        let c = c.unwrap();
        assert_eq!(c.port, PortSpec::Template("${db_port}".into()));
        let again = analyze_connection(&c.to_payload(Secrets::Include));
        assert_eq!(again.1.as_ref(), Some(&c));
        let stored = c.to_payload(Secrets::Omit);
        assert!(stored.get("password").is_none());
        assert!(
            stored["secrets_management"]
                .get("credentials_payload")
                .is_none()
        );
        assert!(!stored.to_string().contains("vault-pw"));
        // paths are relative to the connection; no hint sends a field to `/connection/…`
        let (report, c) = analyze_connection(&json!({"type": "postgresql", "host": "h",
            "port": 70000, "username": "u", "password": "p", "database": "d"}));
        assert!(c.is_none());
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (d.code.as_ref(), d.path.as_str()))
            .collect();
        assert!(
            found.contains(&("connection/port-out-of-range", "/port")),
            "{found:?}"
        );
        assert!(found.contains(&("field/unknown", "/database")), "{found:?}");
        assert!(matches!(
            analyze_connection(&json!([1])).0.diagnostics[0]
                .code
                .as_ref(),
            "field/wrong-type"
        ));
    }

    #[test]
    fn craft_defaults_port_and_schema() {
        let a = analyze(
            &json!({"name": "n", "type": "PostgreSQL",
                "config": {"host": "db.example.com", "database": "a", "ssl_mode": "verify-full"},
                "credentials": {"username": "u", "password": "p"}}),
            None,
        );
        assert!(a.report.is_valid(), "{:?}", a.report);
        let r = a.request.unwrap();
        assert_eq!(r.schema, "public");
        assert_eq!(r.new_connection().unwrap().port, PortSpec::Number(5432));
    }

    #[test]
    fn near_misses_and_misplaced_fields() {
        let mut p = qualytics();
        let conn = p["connection"].as_object_mut().unwrap();
        let host = conn.remove("host").unwrap();
        conn.insert("hots".into(), host);
        p["host"] = json!("x");
        let report = validate(&p);
        let hots = report
            .diagnostics
            .iter()
            .find(|d| d.path == "/connection/hots")
            .unwrap();
        assert_eq!(hots.help, "did you mean `host`?");
        let misplaced = report
            .diagnostics
            .iter()
            .find(|d| d.path == "/host")
            .unwrap();
        assert_eq!(misplaced.help, "`host` belongs at `/connection/host`");
        assert!(codes(&p).contains(&("field/required".into(), "/connection/host".into())));
    }

    #[test]
    fn never_stops_at_the_first_problem() {
        let p = json!({"name": "", "teams": "Public", "database": 5, "schema": "s".repeat(64),
            "connection": {"type": "mysql", "host": "db:5432", "port": 70000,
                "username": "postgres", "password": 1, "ssl_mode": "REQUIRE"}});
        let got = codes(&p);
        for want in [
            ("field/empty", "/name"),
            ("field/wrong-type", "/teams"),
            ("field/wrong-type", "/database"),
            ("name/too-long", "/schema"),
            ("connection/unsupported-type", "/connection/type"),
            ("connection/host-has-port", "/connection/host"),
            ("connection/port-out-of-range", "/connection/port"),
            ("connection/superuser-username", "/connection/username"),
            ("field/wrong-type", "/connection/password"),
            ("connection/ssl-mode-invalid", "/connection/ssl_mode"),
        ] {
            assert!(
                got.contains(&(want.0.to_owned(), want.1.to_owned())),
                "missing {want:?} in {got:?}"
            );
        }
    }

    #[test]
    fn port_forms() {
        let mut p = qualytics();
        for (port, code) in [
            (json!(0), Some("connection/port-out-of-range")),
            (json!(-1), Some("connection/port-out-of-range")),
            (json!(65536), Some("connection/port-out-of-range")),
            (
                json!("99999999999999999999"),
                Some("connection/port-out-of-range"),
            ),
            (json!(5432.5), Some("connection/port-not-a-number")),
            (json!(" 5432"), Some("connection/port-not-a-number")),
            (
                json!("postgresql_port"),
                Some("connection/port-not-a-number"),
            ),
            (json!(true), Some("field/wrong-type")),
            (json!("${db_port}"), Some("secrets/no-vault")),
            (json!(65535), None),
            (json!("1"), None),
        ] {
            p["connection"]["port"] = port.clone();
            let got = codes(&p);
            let port_codes: Vec<_> = got
                .iter()
                .filter(|(_, path)| path == "/connection/port")
                .map(|(c, _)| c.as_str())
                .collect();
            assert_eq!(port_codes, code.into_iter().collect::<Vec<_>>(), "{port}");
        }
    }

    #[test]
    fn password_value_never_appears_in_diagnostics() {
        let mut p = qualytics();
        p["connection"]["password"] = json!(" s3cr3t-${unterminated ");
        let text = serde_json::to_string(&validate(&p)).unwrap();
        assert!(!text.contains("s3cr3t"), "{text}");
        p["connection"]["password"] = json!(123456789);
        let text = serde_json::to_string(&validate(&p)).unwrap();
        assert!(!text.contains("123456789"), "{text}");
    }

    #[test]
    fn a_nul_character_is_refused_in_every_text_field() {
        // libpq ends a C string at NUL (a password would be cut short) and PostgreSQL's text
        // types refuse it (a registry in PostgreSQL could not store the name).
        let mut p = qualytics();
        p["connection"]["password"] = json!("s3cr3t\u{0}tail");
        p["name"] = json!("orders\u{0}");
        p["connection"]["name"] = json!("\u{0}");
        p["teams"] = json!(["Public", "a\u{0}b"]);
        let report = validate(&p);
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains("s3cr3t") && !text.contains("tail"), "{text}");
        let nul: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == "field/has-nul")
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(
            nul,
            [
                "/name",
                "/teams/1",
                "/connection/name",
                "/connection/password"
            ]
        );
        assert!(!report.is_valid());
    }

    #[test]
    fn not_an_object_and_unknown_shape() {
        assert_eq!(
            codes(&json!([1])),
            vec![("payload/not-an-object".into(), "".into())]
        );
        assert_eq!(
            codes(&json!({"host": "x"})),
            vec![("payload/unknown-shape".into(), "".into())]
        );
        assert_eq!(
            codes(&json!({"connection": {}, "config": {}})),
            vec![("payload/mixed-shapes".into(), "".into())]
        );
    }
}

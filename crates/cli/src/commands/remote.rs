//! `pgconnect connections …` and `pgconnect datastores …`: the registry of a running
//! `pgconnect serve`, like the Qualytics CLI. The server is `--server` (or PGCONNECT_SERVER), the
//! token PGCONNECT_TOKEN. `--dry-run` on creates validates with the core and shows the request
//! (password masked) without sending it.
//!
//! Exit codes: 0 done; 1 the server refused (its error is printed) or a test failed; 2 the
//! command could not run (bad flags, server unreachable, no token).

use std::path::PathBuf;
use std::time::Duration;

use pgconnect_core::patch::check_connection_change;
use serde_json::{Map, Value, json};

use crate::output::{Format, Outcome, Unreadable, json, read_input};

/// Where the server is and how to talk to it.
#[derive(Debug, Clone, clap::Args)]
pub struct Remote {
    /// The pgconnect server.
    #[arg(
        long,
        env = "PGCONNECT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    server: String,
    /// CA certificates (PEM) to trust for an https --server, beside the system's: for a server
    /// whose certificate a private CA signed.
    #[arg(long, env = "PGCONNECT_SERVER_CA_CERT", value_name = "FILE")]
    server_ca_cert: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// An answer: status and JSON body.
struct Answer {
    status: u16,
    body: Value,
}

impl Remote {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Answer, Unreadable> {
        let token = std::env::var("PGCONNECT_TOKEN").map_err(|_| {
            Unreadable(
                "PGCONNECT_TOKEN is not set: mint one with `pgconnect token create --role \
                 developer` on the server's machine"
                    .to_owned(),
            )
        })?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = format!("{}{path}", self.server.trim_end_matches('/'));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
        if let Some(host) = plain_http_elsewhere(&self.server) {
            eprintln!(
                "warning: {host} is reached over plain HTTP: the token and any password sent \
                 cross the network unencrypted (serve with --tls-cert and --tls-key, and use \
                 https:// in --server)"
            );
        }
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(60));
        if let Some(file) = &self.server_ca_cert {
            let pem = std::fs::read(file)
                .map_err(|e| Unreadable(format!("--server-ca-cert {}: {e}", file.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    Unreadable(format!(
                        "--server-ca-cert {}: holds no PEM certificate (-----BEGIN \
                         CERTIFICATE-----)",
                        file.display()
                    ))
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        runtime.block_on(async {
            let client = builder
                .build()
                .map_err(|e| Unreadable(format!("cannot build an HTTP client: {e}")))?;
            let method = reqwest::Method::from_bytes(method.as_bytes())
                .map_err(|e| Unreadable(e.to_string()))?;
            let mut request = client.request(method, &url).bearer_auth(token.trim());
            if let Some(b) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(b.to_string());
            }
            let response = request.send().await.map_err(|e| {
                let why = pgconnect_live_error(&e);
                let hint = if why.contains("invalid peer certificate") {
                    "the server's certificate is not trusted: give the CA that signed it with \
                     --server-ca-cert, and use the name the certificate is for in --server"
                } else {
                    "is `pgconnect serve` running? see --server"
                };
                Unreadable(format!(
                    "cannot reach the server at {}: {why} ({hint})",
                    self.server
                ))
            })?;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok(Answer { status, body })
        })
    }

    /// The outcome of an answer: success prints `text(body)` (or the JSON), a refusal its error.
    fn outcome(&self, answer: &Answer, text: impl Fn(&Value) -> String) -> Outcome {
        if (200..300).contains(&answer.status) {
            return Outcome::ok(match self.format {
                Format::Json => json(&answer.body),
                Format::Text => text(&answer.body),
            });
        }
        let stderr = match self.format {
            Format::Json => json(&answer.body),
            Format::Text => refusal(answer),
        };
        Outcome {
            stdout: String::new(),
            stderr,
            failed: true,
        }
    }
}

/// The host of an `http://` server URL that is not this machine.
fn plain_http_elsewhere(server: &str) -> Option<String> {
    let url = reqwest::Url::parse(server).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| host.to_owned())
}

fn pgconnect_live_error(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// A refusal in words: the server's error (what, how to fix) or its diagnostics.
fn refusal(answer: &Answer) -> String {
    if let Some(e) = answer.body.get("error") {
        let at = e["path"]
            .as_str()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        return format!(
            "error {}: {}{at}\n  help: {}\n",
            answer.status,
            e["message"].as_str().unwrap_or("refused"),
            e["help"].as_str().unwrap_or("")
        );
    }
    if let Ok(report) = serde_json::from_value::<pgconnect_core::Report>(answer.body.clone()) {
        return report.render_text();
    }
    format!("error {}: {}\n", answer.status, answer.body)
}

// ---------------------------------------------------------------------------------------------
// connections

/// Stored connections on the server.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Connections {
    /// Store a connection (the password is read from standard input).
    #[command(
        after_help = "Example:\n  printf %s \"$DB_PASSWORD\" | pgconnect connections create --type postgresql \\\n    --name warehouse --host db.example.com --port 5432 --username qualytics_read --password-stdin"
    )]
    Create(CreateConnection),
    /// Change a stored connection: only the fields given change (the password from standard
    /// input). A new host or port, or a weaker ssl_mode, needs the password again (and on a
    /// vault-backed connection --vault-credentials-file): what is stored never goes to a new
    /// address.
    #[command(
        after_help = "Examples:\n  printf %s \"$NEW_PASSWORD\" | pgconnect connections update --id 3 --password-stdin\n  printf %s \"$DB_PASSWORD\" | pgconnect connections update --id 3 --host db2.example.com --password-stdin"
    )]
    Update(UpdateConnection),
    /// List stored connections (passwords are never shown: `password_set`).
    List(List),
    /// Test a stored connection live.
    Test(TestConnection),
    /// Delete a connection no datastore uses.
    Delete(ById),
}

/// `connections create`.
#[derive(Debug, clap::Args)]
pub struct CreateConnection {
    /// Connector type.
    #[arg(long = "type", default_value = "postgresql")]
    connector: String,
    /// Unique name (datastores refer to it with --connection-name).
    #[arg(long)]
    name: String,
    /// Host name or IP address.
    #[arg(long)]
    host: String,
    /// Port.
    #[arg(long, default_value_t = 5432)]
    port: u16,
    /// Role to log in as.
    #[arg(long)]
    username: String,
    /// Read the password from standard input (never from a flag: flags end up in shell history).
    #[arg(long)]
    password_stdin: bool,
    /// disable, allow, prefer, require, verify-ca or verify-full.
    #[arg(long)]
    ssl_mode: Option<String>,
    /// PEM file of the CA for verify-ca / verify-full.
    #[arg(long)]
    ssl_root_cert: Option<PathBuf>,
    #[command(flatten)]
    vault: VaultFlags,
    /// Validate and print the request without sending it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    remote: Remote,
}

/// `connections update`.
#[derive(Debug, clap::Args)]
pub struct UpdateConnection {
    /// The connection's id.
    #[arg(long)]
    id: i64,
    /// New unique name.
    #[arg(long)]
    name: Option<String>,
    /// New host name or IP address.
    #[arg(long)]
    host: Option<String>,
    /// New port.
    #[arg(long)]
    port: Option<u16>,
    /// New role to log in as.
    #[arg(long)]
    username: Option<String>,
    /// Read the new password from standard input (never from a flag).
    #[arg(long)]
    password_stdin: bool,
    /// New ssl_mode: disable, allow, prefer, require, verify-ca or verify-full.
    #[arg(long)]
    ssl_mode: Option<String>,
    /// PEM file of the CA for verify-ca / verify-full.
    #[arg(long)]
    ssl_root_cert: Option<PathBuf>,
    #[command(flatten)]
    vault: VaultChange,
    /// Print the request without sending it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    remote: Remote,
}

/// `connections update`'s vault settings: only those given change. The credentials file must
/// come again when the login URL or the vault's CA changes, the secret URL moves to another
/// origin, or the database moves (what the stored credentials open never goes to a new address).
#[derive(Debug, clap::Args)]
pub struct VaultChange {
    /// New vault login URL.
    #[arg(long)]
    vault_login_url: Option<String>,
    /// JSON file with the login credentials payload.
    #[arg(long)]
    vault_credentials_file: Option<PathBuf>,
    /// New place of the token in the login answer.
    #[arg(long)]
    vault_token_jsonpath: Option<String>,
    /// New secret URL.
    #[arg(long)]
    vault_secret_url: Option<String>,
    /// New header for the token.
    #[arg(long)]
    vault_token_header: Option<String>,
    /// New place of the key/value data in the secret's answer.
    #[arg(long)]
    vault_data_jsonpath: Option<String>,
    /// New vault namespace.
    #[arg(long)]
    vault_namespace: Option<String>,
    /// PEM file of the vault's CA.
    #[arg(long)]
    vault_ca_cert: Option<PathBuf>,
    /// Stop using the vault: the settings and stored credentials are removed (give the
    /// password with --password-stdin in place of its `${key}`).
    #[arg(long, conflicts_with_all = [
        "vault_login_url", "vault_credentials_file", "vault_token_jsonpath", "vault_secret_url",
        "vault_token_header", "vault_data_jsonpath", "vault_namespace", "vault_ca_cert",
    ])]
    no_vault: bool,
}

impl VaultChange {
    /// The `secrets_management` patch: `null` to remove, the fields given, or none.
    fn patch(&self) -> Result<Option<Value>, Unreadable> {
        if self.no_vault {
            return Ok(Some(Value::Null));
        }
        let mut sm = Map::new();
        for (field, value) in [
            ("login_url", &self.vault_login_url),
            ("token_jsonpath", &self.vault_token_jsonpath),
            ("secret_url", &self.vault_secret_url),
            ("token_header_name", &self.vault_token_header),
            ("data_jsonpath", &self.vault_data_jsonpath),
            ("namespace", &self.vault_namespace),
        ] {
            if let Some(v) = value {
                sm.insert(field.into(), json!(v));
            }
        }
        if let Some(f) = &self.vault_credentials_file {
            sm.insert(
                "credentials_payload".into(),
                json!(read_file(f, "--vault-credentials-file")?),
            );
        }
        if let Some(f) = &self.vault_ca_cert {
            sm.insert("ca_cert".into(), json!(read_file(f, "--vault-ca-cert")?));
        }
        Ok((!sm.is_empty()).then_some(Value::Object(sm)))
    }
}

impl UpdateConnection {
    fn body(&self) -> Result<Value, Unreadable> {
        let mut o = Map::new();
        for (field, value) in [
            ("name", &self.name),
            ("host", &self.host),
            ("username", &self.username),
            ("ssl_mode", &self.ssl_mode),
        ] {
            if let Some(v) = value {
                o.insert(field.into(), json!(v));
            }
        }
        if let Some(p) = self.port {
            o.insert("port".into(), json!(p));
        }
        if self.password_stdin {
            o.insert("password".into(), json!(read_password()?));
        }
        if let Some(f) = &self.ssl_root_cert {
            o.insert(
                "ssl_root_cert".into(),
                json!(read_file(f, "--ssl-root-cert")?),
            );
        }
        if let Some(v) = self.vault.patch()? {
            o.insert("secrets_management".into(), v);
        }
        if o.is_empty() {
            return Err(Unreadable(
                "nothing to change: give at least one of --name, --host, --port, --username, \
                 --password-stdin, --ssl-mode, --ssl-root-cert, a --vault-* flag or --no-vault"
                    .to_owned(),
            ));
        }
        Ok(Value::Object(o))
    }
}

/// The password on standard input, without the newline `echo` adds.
fn read_password() -> Result<String, Unreadable> {
    let pw = read_input("-")?;
    let pw = pw.strip_suffix('\n').unwrap_or(&pw);
    Ok(pw.strip_suffix('\r').unwrap_or(pw).to_owned())
}

/// Secrets management: `${key}` placeholders in any field resolve from this vault secret.
#[derive(Debug, clap::Args)]
pub struct VaultFlags {
    /// Vault login URL (POSTed the credentials payload).
    #[arg(long)]
    vault_login_url: Option<String>,
    /// JSON file with the login credentials payload (e.g. {"password": "…"}).
    #[arg(long)]
    vault_credentials_file: Option<PathBuf>,
    /// Where the token is in the login answer.
    #[arg(long, default_value = "$.auth.client_token")]
    vault_token_jsonpath: String,
    /// Secret URL (GET with the token).
    #[arg(long)]
    vault_secret_url: Option<String>,
    /// Header that carries the token.
    #[arg(long, default_value = "X-Vault-Token")]
    vault_token_header: String,
    /// Where the key/value data is in the secret's answer ($.data.data for KV v2).
    #[arg(long, default_value = "$.data.data")]
    vault_data_jsonpath: String,
    /// Vault namespace.
    #[arg(long)]
    vault_namespace: Option<String>,
    /// PEM file of the vault's CA.
    #[arg(long)]
    vault_ca_cert: Option<PathBuf>,
}

fn read_file(path: &PathBuf, flag: &str) -> Result<String, Unreadable> {
    std::fs::read_to_string(path).map_err(|e| Unreadable(format!("{flag} {}: {e}", path.display())))
}

impl CreateConnection {
    fn body(&self) -> Result<Value, Unreadable> {
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name));
        o.insert("type".into(), json!(self.connector));
        o.insert("host".into(), json!(self.host));
        o.insert("port".into(), json!(self.port));
        o.insert("username".into(), json!(self.username));
        if self.password_stdin {
            o.insert("password".into(), json!(read_password()?));
        }
        if let Some(m) = &self.ssl_mode {
            o.insert("ssl_mode".into(), json!(m));
        }
        if let Some(f) = &self.ssl_root_cert {
            o.insert(
                "ssl_root_cert".into(),
                json!(read_file(f, "--ssl-root-cert")?),
            );
        }
        let v = &self.vault;
        if v.vault_login_url.is_some() || v.vault_secret_url.is_some() {
            let mut sm = Map::new();
            sm.insert("login_url".into(), json!(v.vault_login_url));
            if let Some(f) = &v.vault_credentials_file {
                sm.insert(
                    "credentials_payload".into(),
                    json!(read_file(f, "--vault-credentials-file")?),
                );
            }
            sm.insert("token_jsonpath".into(), json!(v.vault_token_jsonpath));
            sm.insert("secret_url".into(), json!(v.vault_secret_url));
            sm.insert("token_header_name".into(), json!(v.vault_token_header));
            sm.insert("data_jsonpath".into(), json!(v.vault_data_jsonpath));
            if let Some(ns) = &v.vault_namespace {
                sm.insert("namespace".into(), json!(ns));
            }
            if let Some(f) = &v.vault_ca_cert {
                sm.insert("ca_cert".into(), json!(read_file(f, "--vault-ca-cert")?));
            }
            o.insert("secrets_management".into(), Value::Object(sm));
        }
        Ok(Value::Object(o))
    }
}

/// The request with its secrets masked, for `--dry-run`.
fn masked(body: &Value) -> Value {
    pgconnect_core::preview::masked(body)
}

/// `--dry-run`: the core's verdict and the request that would be sent.
fn dry_run(
    method: &str,
    path: &str,
    body: &Value,
    report: &pgconnect_core::Report,
    remote: &Remote,
) -> Outcome {
    let request = json!({"method": method, "path": path, "body": masked(body)});
    let stdout = match remote.format {
        Format::Json => json(&json!({"request": request, "report": report})),
        Format::Text => format!(
            "{method} {}{path}\n{}",
            remote.server.trim_end_matches('/'),
            json(&masked(body))
        ),
    };
    Outcome {
        stdout,
        stderr: if report.diagnostics.is_empty() {
            String::new()
        } else {
            report.render_text()
        },
        failed: !report.is_valid(),
    }
}

/// `connections list`.
#[derive(Debug, clap::Args)]
pub struct List {
    #[command(flatten)]
    remote: Remote,
}

/// `… --id ID`.
#[derive(Debug, clap::Args)]
pub struct ById {
    /// The record's id.
    #[arg(long)]
    id: i64,
    #[command(flatten)]
    remote: Remote,
}

/// `connections test`.
#[derive(Debug, clap::Args)]
pub struct TestConnection {
    /// The connection's id.
    #[arg(long)]
    id: i64,
    /// Database to log in to (default: the user name, as libpq does).
    #[arg(long)]
    database: Option<String>,
    /// Schema to audit.
    #[arg(long)]
    schema: Option<String>,
    /// Audit as an enrichment datastore's role (CREATE and writes too).
    #[arg(long)]
    enrichment: bool,
    #[command(flatten)]
    remote: Remote,
}

fn connection_line(c: &Value) -> String {
    // a vault-backed connection says where its secret comes from, as the wizard's page does
    let vault = c
        .get("secrets_management")
        .filter(|v| v.is_object())
        .map_or_else(String::new, |v| {
            format!(
                "  vault {} (credentials {})",
                v["secret_url"].as_str().unwrap_or(""),
                if v["credentials_payload_set"] == true {
                    "set"
                } else {
                    "not set"
                }
            )
        });
    format!(
        "{:>4}  {:<24} {}@{}:{}  ssl_mode={}  password {}  datastores {}{vault}\n",
        c["id"],
        c["name"].as_str().unwrap_or(""),
        c["username"].as_str().unwrap_or(""),
        c["host"].as_str().unwrap_or(""),
        c["port"],
        c["ssl_mode"].as_str().unwrap_or("prefer"),
        if c["password_set"] == true {
            "set"
        } else {
            "not set"
        },
        c["datastore_count"]
    )
}

/// A check's report as text; exit 1 unless it connected with everything in place.
fn check_outcome(remote: &Remote, answer: &Answer) -> Outcome {
    let mut out = remote.outcome(answer, |b| {
        serde_json::from_value::<pgconnect_core::check::CheckReport>(b.clone())
            .map(|r| r.render_text())
            .unwrap_or_else(|_| json(b))
    });
    if (200..300).contains(&answer.status) {
        let passed =
            serde_json::from_value::<pgconnect_core::check::CheckReport>(answer.body.clone())
                .is_ok_and(|r| r.passed());
        out.failed = !passed;
    }
    out
}

pub fn connections(command: &Connections) -> Result<Outcome, Unreadable> {
    match command {
        Connections::Create(a) => {
            let body = a.body()?;
            let (report, _) = pgconnect_core::analyze_connection(&body);
            if a.dry_run {
                return Ok(dry_run(
                    "POST",
                    "/api/connections",
                    &body,
                    &report,
                    &a.remote,
                ));
            }
            if !report.is_valid() {
                return Ok(Outcome::rejected(&report));
            }
            let answer = a.remote.call("POST", "/api/connections", Some(&body))?;
            Ok(a.remote.outcome(&answer, |c| {
                format!("created connection\n{}", connection_line(c))
            }))
        }
        Connections::Update(a) => {
            let body = a.body()?;
            let path = format!("/api/connections/{}", a.id);
            if a.dry_run {
                // the stored connection as the server shows it (its secrets only as flags): the
                // core says what the server would answer the change, and nothing changes
                let stored = a.remote.call("GET", &path, None)?;
                if !(200..300).contains(&stored.status) {
                    return Ok(a.remote.outcome(&stored, |_| String::new()));
                }
                let report = check_connection_change(&stored.body, &body);
                return Ok(dry_run("PATCH", &path, &body, &report, &a.remote));
            }
            let answer = a.remote.call("PATCH", &path, Some(&body))?;
            Ok(a.remote.outcome(&answer, |c| {
                format!("updated connection\n{}", connection_line(c))
            }))
        }
        Connections::List(a) => {
            let answer = a.remote.call("GET", "/api/connections", None)?;
            Ok(a.remote.outcome(&answer, |b| {
                b.as_array()
                    .map_or_else(String::new, |cs| cs.iter().map(connection_line).collect())
            }))
        }
        Connections::Test(a) => {
            let mut body = Map::new();
            if let Some(d) = &a.database {
                body.insert("database".into(), json!(d));
            }
            if let Some(s) = &a.schema {
                body.insert("schema".into(), json!(s));
            }
            if a.enrichment {
                body.insert("kind".into(), json!("enrichment"));
            }
            let answer = a.remote.call(
                "POST",
                &format!("/api/connections/{}/test", a.id),
                Some(&Value::Object(body)),
            )?;
            Ok(check_outcome(&a.remote, &answer))
        }
        Connections::Delete(a) => {
            let answer = a
                .remote
                .call("DELETE", &format!("/api/connections/{}", a.id), None)?;
            Ok(a.remote
                .outcome(&answer, |_| format!("deleted connection {}\n", a.id)))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// datastores

/// Datastores on the server.
#[derive(Debug, clap::Subcommand)]
pub enum Datastores {
    /// Create a datastore on a stored connection.
    #[command(
        after_help = "Example:\n  pgconnect datastores create --name orders --connection-name warehouse \\\n    --database analytics --schema public --teams Finance,Public --trigger-catalog"
    )]
    Create(CreateDatastore),
    /// Change a datastore's own fields: only those given change. A new database or schema drops
    /// the stored catalog; the connection is changed with `connections update`.
    #[command(
        after_help = "Examples:\n  pgconnect datastores update --id 4 --schema analytics --trigger-catalog\n  pgconnect datastores update --id 4 --name orders --teams Finance,Sales"
    )]
    Update(UpdateDatastore),
    /// List the datastores your teams see.
    List(List),
    /// Show one datastore.
    Get(ById),
    /// Test a datastore's connection live.
    Verify(ById),
    /// Delete a datastore.
    Delete(ById),
    /// Link an enrichment datastore to a source datastore, or unlink it.
    Enrichment(EnrichmentLink),
}

/// `datastores create`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("connection").required(true).args(["connection_name", "connection_id"]))]
pub struct CreateDatastore {
    /// Display name.
    #[arg(long)]
    name: String,
    /// The stored connection, by name.
    #[arg(long)]
    connection_name: Option<String>,
    /// The stored connection, by id.
    #[arg(long)]
    connection_id: Option<i64>,
    /// Database.
    #[arg(long)]
    database: String,
    /// Schema.
    #[arg(long)]
    schema: String,
    /// Teams that see it, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "Public")]
    teams: Vec<String>,
    /// An enrichment datastore (results are written there).
    #[arg(long)]
    enrichment_only: bool,
    /// Prefix of the tables written into an enrichment datastore.
    #[arg(long)]
    enrichment_prefix: Option<String>,
    /// Discover the catalog right after creation.
    #[arg(long)]
    trigger_catalog: bool,
    /// Validate and print the request without sending it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    remote: Remote,
}

/// `datastores update`.
#[derive(Debug, clap::Args)]
pub struct UpdateDatastore {
    /// The datastore's id.
    #[arg(long)]
    id: i64,
    /// New display name.
    #[arg(long)]
    name: Option<String>,
    /// New database (drops the stored catalog).
    #[arg(long)]
    database: Option<String>,
    /// New schema (drops the stored catalog).
    #[arg(long)]
    schema: Option<String>,
    /// Every team that sees it from now on, comma-separated.
    #[arg(long, value_delimiter = ',')]
    teams: Option<Vec<String>>,
    /// New prefix of the tables written for this datastore.
    #[arg(long, conflicts_with = "no_enrichment_prefix")]
    enrichment_prefix: Option<String>,
    /// Remove the enrichment prefix.
    #[arg(long)]
    no_enrichment_prefix: bool,
    /// Discover the catalog once the change is stored.
    #[arg(long)]
    trigger_catalog: bool,
    /// Validate and print the request without sending it.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    remote: Remote,
}

impl UpdateDatastore {
    fn body(&self) -> Result<Value, Unreadable> {
        let mut o = Map::new();
        for (field, value) in [
            ("name", &self.name),
            ("database", &self.database),
            ("schema", &self.schema),
            ("enrichment_prefix", &self.enrichment_prefix),
        ] {
            if let Some(v) = value {
                o.insert(field.into(), json!(v));
            }
        }
        if let Some(t) = &self.teams {
            o.insert("teams".into(), json!(t));
        }
        if self.no_enrichment_prefix {
            o.insert("enrichment_prefix".into(), Value::Null);
        }
        if self.trigger_catalog {
            o.insert("trigger_catalog".into(), json!(true));
        }
        if o.is_empty() {
            return Err(Unreadable(
                "nothing to change: give at least one of --name, --database, --schema, --teams, \
                 --enrichment-prefix, --no-enrichment-prefix, --trigger-catalog"
                    .to_owned(),
            ));
        }
        Ok(Value::Object(o))
    }
}

/// `datastores enrichment`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("action").required(true).args(["link", "unlink"]))]
pub struct EnrichmentLink {
    /// The source datastore.
    #[arg(long)]
    id: i64,
    /// The enrichment datastore to link.
    #[arg(long)]
    link: Option<i64>,
    /// Remove the link (the prefix stays, for the next link).
    #[arg(long)]
    unlink: bool,
    /// With --link: the prefix of the tables written for this datastore, e.g. `sales_`.
    /// Without it (and without --no-prefix) the prefix stays as it is.
    #[arg(long, requires = "link", conflicts_with = "no_prefix")]
    prefix: Option<String>,
    /// With --link: remove the prefix.
    #[arg(long, requires = "link")]
    no_prefix: bool,
    #[command(flatten)]
    remote: Remote,
}

fn datastore_text(d: &Value) -> String {
    let c = &d["connection"];
    let mut s = format!(
        "{:>4}  {:<24} {}  {}.{} on {} ({}@{}:{})  teams {}\n",
        d["id"],
        d["name"].as_str().unwrap_or(""),
        if d["enrich_only"] == true {
            "enrichment"
        } else {
            "source    "
        },
        d["database"].as_str().unwrap_or(""),
        d["schema"].as_str().unwrap_or(""),
        c["name"].as_str().unwrap_or(""),
        c["username"].as_str().unwrap_or(""),
        c["host"].as_str().unwrap_or(""),
        c["port"],
        d["teams"]
            .as_array()
            .map(|t| t
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","))
            .unwrap_or_default()
    );
    if let Some(e) = d["enrichment_datastore"].as_object() {
        s.push_str(&format!(
            "      enrichment: {} ({}){}\n",
            e["name"].as_str().unwrap_or(""),
            e["id"],
            d["enrichment_prefix"]
                .as_str()
                .map(|p| format!(", tables prefixed {p}"))
                .unwrap_or_default()
        ));
    }
    s
}

pub fn datastores(command: &Datastores) -> Result<Outcome, Unreadable> {
    match command {
        Datastores::Create(a) => {
            let mut body = Map::new();
            body.insert("name".into(), json!(a.name));
            body.insert("teams".into(), json!(a.teams));
            body.insert("database".into(), json!(a.database));
            body.insert("schema".into(), json!(a.schema));
            body.insert("enrich_only".into(), json!(a.enrichment_only));
            body.insert("trigger_catalog".into(), json!(a.trigger_catalog));
            if let Some(p) = &a.enrichment_prefix {
                body.insert("enrichment_prefix".into(), json!(p));
            }
            // the core validates with a stand-in id; a name is resolved through the server's list
            body.insert("connection_id".into(), json!(a.connection_id.unwrap_or(1)));
            let report = pgconnect_core::validate(&Value::Object(body.clone()));
            if a.dry_run {
                if let Some(n) = &a.connection_name {
                    body.remove("connection_id");
                    body.insert("connection_name".into(), json!(n));
                }
                let body = Value::Object(body);
                return Ok(dry_run(
                    "POST",
                    "/api/datastores",
                    &body,
                    &report,
                    &a.remote,
                ));
            }
            if !report.is_valid() {
                return Ok(Outcome::rejected(&report));
            }
            if let Some(name) = &a.connection_name {
                let list = a.remote.call("GET", "/api/connections", None)?;
                if !(200..300).contains(&list.status) {
                    return Ok(a.remote.outcome(&list, |_| String::new()));
                }
                let found: Vec<&Value> = list
                    .body
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| c.get("name").and_then(Value::as_str) == Some(name.as_str()))
                    .collect();
                let [c] = found.as_slice() else {
                    return Ok(Outcome {
                        stdout: String::new(),
                        stderr: format!(
                            "error: there is no connection named {name:?}\n  help: `pgconnect \
                             connections list` shows them\n"
                        ),
                        failed: true,
                    });
                };
                body.insert(
                    "connection_id".into(),
                    c.get("id").cloned().unwrap_or(Value::Null),
                );
            }
            let body = Value::Object(body);
            let answer = a.remote.call("POST", "/api/datastores", Some(&body))?;
            Ok(a.remote.outcome(&answer, |d| {
                format!("created datastore\n{}", datastore_text(d))
            }))
        }
        Datastores::Update(a) => {
            let body = a.body()?;
            let path = format!("/api/datastores/{}", a.id);
            // the kind is the server's to know; it only decides a warning about the prefix
            let (report, _) = pgconnect_core::analyze_datastore_patch(
                &body,
                pgconnect_core::DatastoreKind::Source,
            );
            if a.dry_run {
                return Ok(dry_run("PATCH", &path, &body, &report, &a.remote));
            }
            if !report.is_valid() {
                return Ok(Outcome::rejected(&report));
            }
            let answer = a.remote.call("PATCH", &path, Some(&body))?;
            Ok(a.remote.outcome(&answer, |d| {
                format!("updated datastore\n{}", datastore_text(d))
            }))
        }
        Datastores::List(a) => {
            let answer = a.remote.call("GET", "/api/datastores", None)?;
            Ok(a.remote.outcome(&answer, |b| {
                b.as_array()
                    .map_or_else(String::new, |ds| ds.iter().map(datastore_text).collect())
            }))
        }
        Datastores::Get(a) => {
            let answer = a
                .remote
                .call("GET", &format!("/api/datastores/{}", a.id), None)?;
            Ok(a.remote.outcome(&answer, datastore_text))
        }
        Datastores::Verify(a) => {
            let answer = a.remote.call(
                "POST",
                &format!("/api/datastores/{}/connection", a.id),
                None,
            )?;
            Ok(check_outcome(&a.remote, &answer))
        }
        Datastores::Delete(a) => {
            let answer = a
                .remote
                .call("DELETE", &format!("/api/datastores/{}", a.id), None)?;
            Ok(a.remote
                .outcome(&answer, |_| format!("deleted datastore {}\n", a.id)))
        }
        Datastores::Enrichment(a) => {
            let (method, path) = match a.link {
                Some(e) => ("PATCH", format!("/api/datastores/{}/enrichment/{e}", a.id)),
                None => ("DELETE", format!("/api/datastores/{}/enrichment", a.id)),
            };
            let body = match (&a.prefix, a.no_prefix) {
                (Some(p), _) => Some(json!({ "enrichment_prefix": p })),
                (None, true) => Some(json!({ "enrichment_prefix": null })),
                (None, false) => None,
            };
            let answer = a.remote.call(method, &path, body.as_ref())?;
            Ok(a.remote.outcome(&answer, datastore_text))
        }
    }
}

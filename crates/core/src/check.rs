//! The answer of a live Test Connection, as data: what the server and the CLI send and what the
//! wizard shows. The check itself is I/O and lives in `pgconnect-live`; its report is defined here
//! so every edge (server, CLI, browser) reads and writes the same JSON.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::explain::Explanation;
use crate::model::DatastoreKind;
use crate::resolve::Redactor;
use crate::vault::VaultError;

/// The steps of a check, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    /// The payload is checked by the core.
    Validate,
    /// The vault flow resolves the `${key}` placeholders (secrets management only).
    Secrets,
    /// The host's addresses are looked up and checked against the network policy.
    Resolve,
    /// TCP to a checked address.
    Connect,
    /// TLS, per ssl_mode.
    Tls,
    /// Log-in to the database.
    Authenticate,
    /// Server version, role, schemas, table count.
    Inspect,
    /// The privilege audit for the datastore's kind.
    Privileges,
    /// Advice.
    Recommendations,
}

impl StageName {
    /// Every stage, in order.
    pub const ALL: [StageName; 9] = [
        StageName::Validate,
        StageName::Secrets,
        StageName::Resolve,
        StageName::Connect,
        StageName::Tls,
        StageName::Authenticate,
        StageName::Inspect,
        StageName::Privileges,
        StageName::Recommendations,
    ];

    /// The JSON spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StageName::Validate => "validate",
            StageName::Secrets => "secrets",
            StageName::Resolve => "resolve",
            StageName::Connect => "connect",
            StageName::Tls => "tls",
            StageName::Authenticate => "authenticate",
            StageName::Inspect => "inspect",
            StageName::Privileges => "privileges",
            StageName::Recommendations => "recommendations",
        }
    }
}

/// A stage's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done.
    Ok,
    /// Failed. A failed connection skips what follows; a failed privilege audit does not stop the
    /// recommendations.
    Failed,
    /// Not run (not applicable, or an earlier stage failed).
    Skipped,
}

/// One stage of the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageReport {
    /// Which stage.
    pub name: StageName,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took, in milliseconds (to the microsecond).
    pub elapsed_ms: f64,
    /// One line about it.
    pub detail: String,
}

/// `connected` or `failed`, as in the CRAFT test answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The role logged in and the server answered.
    Connected,
    /// It did not.
    Failed,
}

/// What the TLS handshake established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: String,
    /// The server certificate's subject (`CN=db.example.com, O=…`).
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// When it expires, as the certificate says.
    pub not_after: String,
    /// The same instant as seconds since the Unix epoch.
    pub not_after_unix: i64,
    /// Whether the certificate was verified (`verify-ca`, `verify-full`).
    pub verified: bool,
}

/// A privilege the role lacks, with the statement that grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissingPrivilege {
    /// `CONNECT`, `USAGE`, `CREATE`, `SELECT`, `INSERT, UPDATE, DELETE`, …
    pub privilege: String,
    /// What on: `schema s`, `2 of 12 table(s) in schema s (orders, …)`, …
    pub object: String,
    /// The statement that fixes it (run as a superuser or the objects' owner).
    pub fix_sql: String,
}

/// The privilege audit for the datastore's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivilegeAudit {
    /// Source or enrichment.
    pub kind: DatastoreKind,
    /// The role audited (`current_user`).
    pub role: String,
    /// True when nothing is missing and nothing was refused.
    pub ok: bool,
    /// What is missing.
    pub missing: Vec<MissingPrivilege>,
    /// Every fix, one statement a line (empty when nothing is missing).
    pub fix_sql: String,
}

/// Advice that is not a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recommendation {
    /// Stable identifier, e.g. `server/track-commit-timestamp`.
    pub code: String,
    /// What and why.
    pub message: String,
    /// SQL that applies it, when there is some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_sql: Option<String>,
}

/// Why the check failed: a vault failure, or a connection/audit failure explained by the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum CheckError {
    /// The vault flow failed (it carries `stage`: `login` or `read`).
    Vault(VaultError),
    /// Connecting, authenticating or auditing failed.
    Connection(Explanation),
}

impl CheckError {
    /// The explanation, whichever kind of failure.
    #[must_use]
    pub fn explanation(&self) -> &Explanation {
        match self {
            CheckError::Vault(v) => &v.explanation,
            CheckError::Connection(e) => e,
        }
    }
}

/// Which `${key}`s the vault resolved (names only, never values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretsSummary {
    /// Referenced keys the secret had.
    pub keys_resolved: Vec<String>,
    /// Referenced keys it lacked.
    pub keys_missing: Vec<String>,
}

/// The answer of Test Connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckReport {
    /// True when the role logged in and the server answered.
    pub connected: bool,
    /// `connected` or `failed`.
    pub status: Status,
    /// One sentence for a notification.
    pub message: String,
    /// From the start of the TCP connect to the server's first answer to a query.
    pub latency_ms: Option<u64>,
    /// `server_version`.
    pub server_version: Option<String>,
    /// The role logged in as.
    pub current_user: Option<String>,
    /// Whether that role is a superuser.
    pub superuser: Option<bool>,
    /// Schemas other than the system ones.
    pub schemas: Vec<String>,
    /// Tables, views, materialized views and foreign tables in the configured schema.
    pub table_count: Option<u64>,
    /// The TLS session, when the connection is encrypted.
    pub tls: Option<TlsInfo>,
    /// Every stage, in order.
    pub stages: Vec<StageReport>,
    /// The audit, when the check got that far.
    pub privileges: Option<PrivilegeAudit>,
    /// Advice.
    pub recommendations: Vec<Recommendation>,
    /// The payload's warnings and notes (it had no errors, or the check would not have run).
    pub diagnostics: Vec<Diagnostic>,
    /// Which `${key}`s resolved, when secrets management is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsSummary>,
    /// Why it failed, or what the server refused after the log-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CheckError>,
}

/// What a check streams while it runs (`Accept: application/x-ndjson`): one JSON object per line,
/// `{"event": "started", ...}` and `{"event": "stage", ...}` as stages begin and end, then the
/// whole report (or, for a payload that stopped validating, its diagnostics) last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CheckEvent {
    /// A stage began.
    Started {
        /// Which stage.
        stage: StageName,
    },
    /// A stage ended.
    Stage {
        /// The stage, as it will be in the report.
        stage: StageReport,
    },
    /// The check ended: the same report the JSON answer carries.
    Report {
        /// The whole report.
        report: Box<CheckReport>,
    },
    /// The check did not run: the payload has errors (the JSON answer's 422).
    Invalid {
        /// The core's diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
}

impl CheckReport {
    /// A report with nothing in it yet.
    #[must_use]
    pub fn new(diagnostics: Vec<Diagnostic>) -> CheckReport {
        CheckReport {
            connected: false,
            status: Status::Failed,
            message: String::new(),
            latency_ms: None,
            server_version: None,
            current_user: None,
            superuser: None,
            schemas: Vec::new(),
            table_count: None,
            tls: None,
            stages: Vec::new(),
            privileges: None,
            recommendations: Vec::new(),
            diagnostics,
            secrets: None,
            error: None,
        }
    }

    /// True when the datastore can be used as configured: logged in, nothing refused, nothing
    /// missing.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.connected && self.error.is_none() && self.privileges.as_ref().is_some_and(|p| p.ok)
    }

    /// The stage named `name`, if it was recorded.
    #[must_use]
    pub fn stage(&self, name: StageName) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Shows every value that came from the vault as its `${key}`, in every text of the report.
    pub fn redact(&mut self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        let r = |s: &mut String| redactor.redact_in_place(s);
        r(&mut self.message);
        self.current_user.as_mut().map(r);
        self.schemas.iter_mut().for_each(r);
        self.stages.iter_mut().for_each(|s| r(&mut s.detail));
        if let Some(p) = self.privileges.as_mut() {
            r(&mut p.role);
            r(&mut p.fix_sql);
            for m in &mut p.missing {
                r(&mut m.object);
                r(&mut m.fix_sql);
            }
        }
        for rec in &mut self.recommendations {
            r(&mut rec.message);
            rec.fix_sql.as_mut().map(r);
        }
        for d in &mut self.diagnostics {
            r(&mut d.message);
            r(&mut d.help);
        }
        let e = match self.error.as_mut() {
            Some(CheckError::Connection(e)) => e,
            Some(CheckError::Vault(v)) => &mut *v.explanation,
            None => return,
        };
        for s in [&mut e.title, &mut e.cause, &mut e.fix] {
            r(s);
        }
        for s in [e.fix_sql.as_mut(), e.fix_config.as_mut()]
            .into_iter()
            .flatten()
        {
            r(s);
        }
    }
}

impl CheckReport {
    /// The report for a terminal: one line per stage, then what was found, what is missing with
    /// the SQL that grants it, the explanation of a failure, and advice.
    #[must_use]
    pub fn render_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for s in &self.stages {
            let mark = match s.outcome {
                Outcome::Ok => "ok",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            };
            let _ = writeln!(
                out,
                "  {mark:<8} {:<16} {:>7.1} ms  {}",
                s.name.as_str(),
                s.elapsed_ms,
                s.detail
            );
        }
        out.push('\n');
        let _ = write!(out, "{}", self.message);
        if let Some(ms) = self.latency_ms {
            let _ = write!(out, " ({ms} ms to the first answer)");
        }
        out.push('\n');
        if !self.schemas.is_empty() {
            let _ = writeln!(out, "Schemas: {}", self.schemas.join(", "));
        }
        if let Some(n) = self.table_count {
            let _ = writeln!(out, "Tables in the configured schema: {n}");
        }
        if let Some(tls) = &self.tls {
            let _ = writeln!(
                out,
                "TLS: {} · {} · expires {} · {}",
                tls.protocol,
                tls.subject,
                tls.not_after,
                if tls.verified {
                    "verified"
                } else {
                    "not verified"
                }
            );
        }
        if let Some(s) = &self.secrets {
            let keys = |v: &[String]| {
                v.iter()
                    .map(|k| format!("${{{k}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(out, "Vault keys resolved: {}", keys(&s.keys_resolved));
            if !s.keys_missing.is_empty() {
                let _ = writeln!(out, "Vault keys missing: {}", keys(&s.keys_missing));
            }
        }
        let notes: Vec<&Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity != crate::diagnostic::Severity::Info)
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "\nPayload warnings:");
            for d in notes {
                let _ = writeln!(out, "  - {} ({}) [{}]", d.message, d.path, d.code);
            }
        }
        if let Some(p) = &self.privileges
            && !p.missing.is_empty()
        {
            let _ = writeln!(
                out,
                "\nMissing privileges for {} ({} datastore):",
                p.role,
                p.kind.as_str()
            );
            for m in &p.missing {
                let _ = writeln!(out, "  {} on {}", m.privilege, m.object);
            }
            let _ = writeln!(
                out,
                "Fix (run as a superuser or the objects' owner):\n{}",
                indent(&p.fix_sql)
            );
        }
        if let Some(error) = &self.error {
            let e = error.explanation();
            let _ = writeln!(out, "\n{} [{}]", e.title, e.code);
            let _ = writeln!(out, "Cause: {}", e.cause);
            let _ = writeln!(out, "Fix:   {}", e.fix);
            let listed = self.privileges.as_ref().is_some_and(|p| {
                e.fix_sql
                    .as_deref()
                    .is_some_and(|sql| p.fix_sql.contains(sql))
            });
            if let Some(sql) = e.fix_sql.as_ref().filter(|_| !listed) {
                let _ = writeln!(out, "Fix SQL:\n{}", indent(sql));
            }
            if let Some(conf) = &e.fix_config {
                let _ = writeln!(out, "pg_hba.conf:\n{}", indent(conf));
            }
        }
        if !self.recommendations.is_empty() {
            let _ = writeln!(out, "\nRecommendations:");
            for r in &self.recommendations {
                let _ = writeln!(out, "  - {} [{}]", r.message, r.code);
                if let Some(sql) = &r.fix_sql {
                    let _ = writeln!(out, "{}", indent(&format!("  {sql}")));
                }
            }
        }
        out
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::SecretMap;

    #[test]
    fn round_trips_and_redacts() {
        let mut r = CheckReport::new(vec![]);
        r.connected = true;
        r.status = Status::Connected;
        r.current_user = Some("vault_role".to_owned());
        r.stages.push(StageReport {
            name: StageName::Authenticate,
            outcome: Outcome::Ok,
            elapsed_ms: 3.25,
            detail: "logged in as vault_role".to_owned(),
        });
        r.error = Some(CheckError::Connection(Explanation {
            code: "privilege/schema".to_owned(),
            title: "t".to_owned(),
            cause: "Role \"vault_role\" lacks USAGE".to_owned(),
            fix: "f".to_owned(),
            fix_sql: Some("GRANT USAGE ON SCHEMA s TO vault_role;".to_owned()),
            fix_config: None,
            fields: vec![],
        }));
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["status"], "connected");
        assert_eq!(json["stages"][0]["name"], "authenticate");
        assert!(
            json["latency_ms"].is_null(),
            "absent values are null, not missing"
        );
        let back: CheckReport =
            serde_json::from_value(json).unwrap_or_else(|_| CheckReport::new(vec![]));
        assert_eq!(back, r);
        assert!(!r.passed(), "an error means not passed");

        let secret = SecretMap::from_pairs([("username", "vault_role")]);
        r.redact(&Redactor::new(&secret, &["username".to_owned()]));
        assert_eq!(r.current_user.as_deref(), Some("${username}"));
        assert_eq!(r.stages[0].detail, "logged in as ${username}");
        let e = r.error.as_ref().map(CheckError::explanation);
        assert_eq!(
            e.and_then(|e| e.fix_sql.as_deref()),
            Some("GRANT USAGE ON SCHEMA s TO ${username};")
        );
        assert!(e.is_some_and(|e| e.cause.contains("\"${username}\"")));
    }

    #[test]
    fn a_vault_error_reads_back_as_one() {
        let v = crate::vault::VaultError::transport(
            crate::vault::Stage::Login,
            "vault/timeout",
            "The vault did not answer in time",
            "c".to_owned(),
            "f".to_owned(),
        );
        let e = CheckError::Vault(v);
        let text = serde_json::to_string(&e).unwrap_or_default();
        let back: Result<CheckError, _> = serde_json::from_str(&text);
        assert!(matches!(back, Ok(CheckError::Vault(_))), "{text}");
    }
}

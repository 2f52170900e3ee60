//! The shapes the JavaScript API takes and returns, beyond the core's own JSON types. Their
//! TypeScript declarations are generated from these definitions (see `types.rs`).

use std::collections::BTreeMap;

use pgconnect_core::diagnostic::{Diagnostic, ReportJson};
use pgconnect_core::grants::Generated;
use pgconnect_core::jsonpath::JsonPathError;
use pgconnect_core::resolve::Resolution;
use pgconnect_core::vault::{HttpRequest, HttpResponse, Method, VaultError};
use pgconnect_core::{DatastoreKind, Report};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Options of `grantSql` / `revokeSql`: the core's grant options plus the password in clear
/// (written as a SCRAM verifier, never as text) and an optional salt.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(optional_fields)
)]
pub struct GrantSqlOptions {
    /// Source (read-only) or enrichment (read-write).
    pub kind: DatastoreKind,
    /// The role the platform logs in as.
    pub role: String,
    /// The database it connects to.
    pub database: String,
    /// The schemas to grant on.
    pub schemas: Vec<String>,
    /// The role that creates tables there (default privileges are set FOR ROLE it).
    pub owner: Option<String>,
    /// Create the role (LOGIN) unless it exists.
    pub create_role: Option<bool>,
    /// The role's password; written as a SCRAM-SHA-256 verifier.
    pub password: Option<String>,
    /// Base64 of 16 salt bytes for the verifier (default: `crypto.getRandomValues`).
    pub salt: Option<String>,
}

/// Generated SQL or configuration: `text` when the options were valid; `report` always.
#[derive(Debug, Serialize)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(optional_fields)
)]
pub struct GeneratedText {
    /// The SQL script or pg_hba.conf line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Warnings (when `text` is there) or errors (when it is not).
    pub report: ReportJson,
}

impl From<Result<Generated, Report>> for GeneratedText {
    fn from(r: Result<Generated, Report>) -> Self {
        match r {
            Ok(g) => GeneratedText {
                text: Some(g.text),
                report: g.report.to_json(),
            },
            Err(report) => GeneratedText {
                text: None,
                report: report.to_json(),
            },
        }
    }
}

/// Options of `buildConnectionUri`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(optional_fields)
)]
pub struct BuildUriOptions {
    /// Include the password in the URI.
    pub show_password: Option<bool>,
}

/// A built URI, or the report of why the payload cannot give one.
#[derive(Debug, Serialize)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(optional_fields)
)]
pub struct UriResult {
    /// `postgresql://…`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The payload's report (warnings), or what prevents a URI.
    pub report: ReportJson,
}

impl UriResult {
    pub fn failed(report: Report) -> Self {
        UriResult {
            uri: None,
            report: report.to_json(),
        }
    }
}

/// `resolvePlaceholders`' result: the resolved payload (it holds the secret values: handle it as a
/// secret) and the keys used and missing.
#[derive(Debug, Serialize)]
#[cfg_attr(all(test, not(target_arch = "wasm32")), derive(ts_rs::TS))]
pub struct ResolutionJs {
    /// The payload with every placeholder substituted.
    #[cfg_attr(
        all(test, not(target_arch = "wasm32")),
        ts(type = "DatastorePayload | Record<string, unknown>")
    )]
    pub payload: Value,
    /// Keys referenced and found.
    pub keys_resolved: Vec<String>,
    /// Keys referenced but absent from the secret.
    pub keys_missing: Vec<String>,
    /// True when the resolved payload is valid and nothing is missing.
    pub valid: bool,
    /// Resolution problems and the resolved payload's report (secret values redacted).
    pub diagnostics: Vec<Diagnostic>,
}

impl From<Resolution> for ResolutionJs {
    fn from(r: Resolution) -> Self {
        ResolutionJs {
            valid: r.report.is_valid(),
            payload: r.payload,
            keys_resolved: r.keys_resolved,
            keys_missing: r.keys_missing,
            diagnostics: r.report.diagnostics,
        }
    }
}

/// A request for the caller's `fetch`. It carries the credentials (login) or the token (read):
/// send it, do not log it.
#[derive(Debug, Serialize)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(optional_fields)
)]
pub struct HttpRequestJs {
    /// `"GET"` or `"POST"`.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header name → value.
    pub headers: BTreeMap<String, String>,
    /// JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl From<&HttpRequest> for HttpRequestJs {
    fn from(r: &HttpRequest) -> Self {
        HttpRequestJs {
            method: r.method,
            url: r.url.clone(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_owned()))
                .collect(),
            body: r.body.as_ref().map(|b| b.expose().to_owned()),
        }
    }
}

/// What the vault answered: status, body text and, for redirects, `Location`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    all(test, not(target_arch = "wasm32")),
    derive(ts_rs::TS),
    ts(rename = "HttpResponse", optional_fields)
)]
pub struct HttpResponseJs {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
    /// The `Location` header, if any.
    pub location: Option<String>,
}

impl From<HttpResponseJs> for HttpResponse {
    fn from(r: HttpResponseJs) -> Self {
        HttpResponse {
            status: r.status,
            body: r.body,
            location: r.location,
        }
    }
}

/// `vaultLoginRequest` / `vaultReadRequest`: the next request, or why there is none.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(all(test, not(target_arch = "wasm32")), derive(ts_rs::TS))]
pub enum VaultRequestResult {
    /// Send this.
    Request {
        /// The request.
        request: HttpRequestJs,
    },
    /// The settings are not valid.
    InvalidSettings {
        /// What is wrong with them.
        report: ReportJson,
    },
    /// The previous answer was a failure (login rejected, token path wrong…).
    VaultError {
        /// Explained.
        error: VaultError,
    },
}

impl VaultRequestResult {
    pub fn invalid(report: Report) -> Self {
        VaultRequestResult::InvalidSettings {
            report: report.to_json(),
        }
    }
}

/// `vaultSecret`: the secret's key/value pairs (values as text), or why there are none.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(all(test, not(target_arch = "wasm32")), derive(ts_rs::TS))]
pub enum VaultSecretResult {
    /// The secret, ready for `resolvePlaceholders`.
    Secret {
        /// Key → value.
        secret: BTreeMap<String, String>,
    },
    /// The settings are not valid.
    InvalidSettings {
        /// What is wrong with them.
        report: ReportJson,
    },
    /// The answer was a failure (403, 404, data path wrong…).
    VaultError {
        /// Explained.
        error: VaultError,
    },
}

/// `extractJsonPath`: the selected nodes and their normalized paths, or why the path is invalid.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(all(test, not(target_arch = "wasm32")), derive(ts_rs::TS))]
pub enum JsonPathResult {
    /// What the path selects.
    Nodes {
        /// The nodes, in document order.
        #[cfg_attr(all(test, not(target_arch = "wasm32")), ts(type = "Array<JsonValue>"))]
        nodes: Vec<Value>,
        /// Their normalized paths (`$['a'][0]`).
        paths: Vec<String>,
    },
    /// The path does not compile.
    InvalidPath {
        /// Where it breaks.
        error: JsonPathError,
    },
}

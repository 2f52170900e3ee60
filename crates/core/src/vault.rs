//! The vault flow, without I/O: the core describes the two HTTP exchanges and interprets the
//! answers; a caller (the native executor, or JavaScript with its own `fetch`) sends them.
//!
//! 1. [`login_request`] → `POST login_url` with the credentials payload;
//!    [`token_from_login`] finds the token at `token_jsonpath` (exactly one string).
//! 2. [`read_request`] → `GET secret_url` with `token_header_name: <token>`;
//!    [`secret_from_read`] finds the secret at `data_jsonpath` (exactly one object of scalars).
//!
//! Every failure is a [`VaultError`]: the HTTP status, the vault's own `{"errors": [...]}`
//! messages, the keys that do exist where a path found nothing — and never the token, the
//! credentials or a secret value.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::explain::{Explanation, Field};
use crate::jsonpath::JsonPath;
use crate::model::SecretsManagement;
use crate::resolve::SecretMap;
use crate::secret::Secret;

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

/// A header value; secret ones (the token) are masked in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Nothing secret.
    Plain(String),
    /// A token.
    Secret(Secret),
}

impl HeaderValue {
    /// The value to send.
    #[must_use]
    pub fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(s) => s,
            HeaderValue::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Plain(s) => write!(f, "{s:?}"),
            HeaderValue::Secret(s) => write!(f, "{s:?}"),
        }
    }
}

/// A request for the caller to send. `Debug` masks the token and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(String, HeaderValue)>,
    /// JSON body (the credentials), if any.
    pub body: Option<Secret>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body text (the caller caps its size).
    pub body: String,
    /// `Location`, for redirects (which are never followed).
    pub location: Option<String>,
}

/// Which exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Stage {
    /// Logging in.
    Login,
    /// Reading the secret.
    Read,
}

/// A failed step, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VaultError {
    /// The step that failed.
    pub stage: Stage,
    /// HTTP status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub status: Option<u16>,
    /// The vault's own error messages (`{"errors": [...]}`), cleaned up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub vault_errors: Vec<String>,
    /// Keys that exist where a JSONPath found nothing (names only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub keys_found: Vec<String>,
    /// What happened and what to do.
    #[serde(flatten)]
    pub explanation: Box<Explanation>,
}

impl VaultError {
    fn new(
        stage: Stage,
        status: Option<u16>,
        code: &str,
        title: &str,
        cause: String,
        fix: String,
        fields: Vec<Field>,
    ) -> Self {
        VaultError {
            stage,
            status,
            vault_errors: Vec::new(),
            keys_found: Vec::new(),
            explanation: Box::new(Explanation {
                code: code.to_owned(),
                title: title.to_owned(),
                cause,
                fix,
                fix_sql: None,
                fix_config: None,
                fields,
            }),
        }
    }

    /// An error of the caller's transport (connect, TLS, timeout, size), explained the same way.
    #[must_use]
    pub fn transport(stage: Stage, code: &str, title: &str, cause: String, fix: String) -> Self {
        let field = match stage {
            Stage::Login => Field::LoginUrl,
            Stage::Read => Field::SecretUrl,
        };
        Self::new(stage, None, code, title, cause, fix, vec![field])
    }

    fn with_vault_errors(mut self, errors: Vec<String>) -> Self {
        self.vault_errors = errors;
        self
    }

    fn with_keys(mut self, keys: Vec<String>) -> Self {
        self.keys_found = keys;
        self
    }
}

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.explanation.title, self.explanation.cause)
    }
}

/// `$${` in a vault setting is a literal `${`.
fn literal(s: &str) -> String {
    s.replace("$${", "${")
}

/// The login request: `POST login_url` with the credentials payload.
#[must_use]
pub fn login_request(sm: &SecretsManagement) -> HttpRequest {
    let headers = with_common_headers(
        sm,
        vec![(
            "Content-Type".to_owned(),
            HeaderValue::Plain("application/json".to_owned()),
        )],
    );
    HttpRequest {
        method: Method::Post,
        url: literal(&sm.login_url),
        headers,
        body: Some(Secret::new(literal(sm.credentials_payload.expose()))),
    }
}

/// The read request: `GET secret_url` with the token in `token_header_name`.
#[must_use]
pub fn read_request(sm: &SecretsManagement, token: &Secret) -> HttpRequest {
    let headers = with_common_headers(
        sm,
        vec![(
            sm.token_header_name.clone(),
            HeaderValue::Secret(token.clone()),
        )],
    );
    HttpRequest {
        method: Method::Get,
        url: literal(&sm.secret_url),
        headers,
        body: None,
    }
}

/// `headers` plus `Accept: application/json` and, when set, `X-Vault-Namespace`.
fn with_common_headers(
    sm: &SecretsManagement,
    mut headers: Vec<(String, HeaderValue)>,
) -> Vec<(String, HeaderValue)> {
    headers.push((
        "Accept".to_owned(),
        HeaderValue::Plain("application/json".to_owned()),
    ));
    if let Some(ns) = &sm.namespace {
        headers.push((
            "X-Vault-Namespace".to_owned(),
            HeaderValue::Plain(ns.clone()),
        ));
    }
    headers
}

/// The token in the login answer, at `token_jsonpath`: exactly one non-empty string.
pub fn token_from_login(
    sm: &SecretsManagement,
    response: &HttpResponse,
) -> Result<Secret, VaultError> {
    let stage = Stage::Login;
    let doc = answer(stage, response)?;
    let path = compile(stage, &sm.token_jsonpath, Field::TokenJsonpath)?;
    let nodes = path.select(&doc);
    let status = Some(response.status);
    match nodes.as_slice() {
        [] => Err(no_match(
            stage,
            status,
            &doc,
            &sm.token_jsonpath,
            Field::TokenJsonpath,
        )),
        [Value::String(t)] if !t.is_empty() => Ok(Secret::new(t.clone())),
        [Value::String(_)] => Err(VaultError::new(
            stage,
            status,
            "vault/token-empty",
            "The token is empty",
            format!(
                "token_jsonpath {} selects an empty string.",
                sm.token_jsonpath
            ),
            "Check token_jsonpath (usually $.auth.client_token).".to_owned(),
            vec![Field::TokenJsonpath],
        )),
        [other] => Err(VaultError::new(
            stage,
            status,
            "vault/token-wrong-type",
            "token_jsonpath does not select a string",
            format!(
                "token_jsonpath {} selects {}, not the token string.",
                sm.token_jsonpath,
                kind(other)
            ),
            "Point token_jsonpath at the token itself, usually $.auth.client_token.".to_owned(),
            vec![Field::TokenJsonpath],
        )
        .with_keys(object_keys(other))),
        many => Err(several(
            stage,
            status,
            &sm.token_jsonpath,
            many.len(),
            Field::TokenJsonpath,
        )),
    }
}

/// The secret in the read answer, at `data_jsonpath`: exactly one object whose values are
/// strings, numbers or booleans.
pub fn secret_from_read(
    sm: &SecretsManagement,
    response: &HttpResponse,
) -> Result<SecretMap, VaultError> {
    let stage = Stage::Read;
    let doc = answer(stage, response)?;
    let path = compile(stage, &sm.data_jsonpath, Field::DataJsonpath)?;
    let nodes = path.select(&doc);
    let status = Some(response.status);
    let object = match nodes.as_slice() {
        [] => {
            let mut e = no_match(stage, status, &doc, &sm.data_jsonpath, Field::DataJsonpath);
            if looks_like_kv_v1(&doc) && sm.data_jsonpath.replace(' ', "") == "$.data.data" {
                e.explanation.fix =
                    "This looks like a KV version 1 answer, which keeps the secret \
                                     at $.data: set data_jsonpath to $.data."
                        .to_owned();
            }
            return Err(e);
        }
        [Value::Object(map)] => map,
        [other] => {
            return Err(VaultError::new(
                stage,
                status,
                "vault/data-wrong-type",
                "data_jsonpath does not select an object",
                format!(
                    "data_jsonpath {} selects {}, not the secret's key/value object.",
                    sm.data_jsonpath,
                    kind(other)
                ),
                "Point data_jsonpath at the object holding the keys: $.data.data for KV v2, \
                 $.data for KV v1."
                    .to_owned(),
                vec![Field::DataJsonpath],
            ));
        }
        many => {
            return Err(several(
                stage,
                status,
                &sm.data_jsonpath,
                many.len(),
                Field::DataJsonpath,
            ));
        }
    };
    let nested: Vec<String> = object
        .iter()
        .filter(|(_, v)| v.is_object() || v.is_array())
        .map(|(k, _)| k.clone())
        .collect();
    if !nested.is_empty() {
        let kv2 = object.contains_key("data") && object.contains_key("metadata");
        return Err(VaultError::new(
            stage,
            status,
            "vault/data-not-flat",
            "The selected object is not a flat key/value secret",
            format!(
                "data_jsonpath {} selects an object whose {} hold{} objects or arrays; a secret's \
                 values must be strings, numbers or booleans.",
                sm.data_jsonpath,
                nested.join(", "),
                if nested.len() == 1 { "s" } else { "" }
            ),
            if kv2 {
                "This looks like a KV version 2 answer, which nests the secret one level deeper: \
                 set data_jsonpath to $.data.data."
                    .to_owned()
            } else {
                "Point data_jsonpath one level deeper, at the object holding the keys.".to_owned()
            },
            vec![Field::DataJsonpath],
        )
        .with_keys(object.keys().cloned().collect()));
    }
    if object.is_empty() {
        return Err(VaultError::new(
            stage,
            status,
            "vault/secret-empty",
            "The secret has no keys",
            format!(
                "data_jsonpath {} selects an empty object.",
                sm.data_jsonpath
            ),
            "Store the connection values in the secret, or point secret_url at the right secret."
                .to_owned(),
            vec![Field::SecretUrl, Field::DataJsonpath],
        ));
    }
    Ok(SecretMap::from_object(object))
}

/// A 2xx answer's JSON, or the error that explains the status.
fn answer(stage: Stage, r: &HttpResponse) -> Result<Value, VaultError> {
    let status = Some(r.status);
    if (300..400).contains(&r.status) {
        let to = r
            .location
            .as_deref()
            .map(|l| format!(" to {}", l.chars().take(200).collect::<String>()))
            .unwrap_or_default();
        return Err(VaultError::new(
            stage,
            status,
            "vault/redirect",
            "The vault answered with a redirect",
            format!(
                "HTTP {}{to}. Redirects are not followed: they could carry the credentials or \
                 the token to another server.",
                r.status
            ),
            "Use the URL the vault redirects to (a standby node redirects to the active one; \
             http may redirect to https)."
                .to_owned(),
            vec![url_field(stage)],
        ));
    }
    if !(200..300).contains(&r.status) {
        return Err(status_error(stage, r));
    }
    serde_json::from_str(&r.body).map_err(|_| {
        VaultError::new(
            stage,
            status,
            "vault/not-json",
            "The answer is not JSON",
            format!(
                "HTTP {} came with a body of {} bytes that is not JSON; a Vault API answers in JSON.",
                r.status,
                r.body.len()
            ),
            format!(
                "Check that {} points at the vault's HTTP API (it starts with /v1/).",
                field_name(url_field(stage))
            ),
            vec![url_field(stage)],
        )
    })
}

fn status_error(stage: Stage, r: &HttpResponse) -> VaultError {
    let status = Some(r.status);
    let errors = vault_errors(&r.body);
    let said = if errors.is_empty() {
        String::new()
    } else {
        format!(" The vault says: {}.", errors.join("; "))
    };
    let (code, title, cause, fix, fields) = match (stage, r.status) {
        (Stage::Login, 400) => (
            "vault/login-rejected",
            "The vault rejected the login",
            format!("HTTP 400 from login_url: the credentials were not accepted.{said}"),
            "Check the credentials payload (user name and password, or role_id and secret_id) and \
             that login_url names the right user or role.",
            vec![Field::CredentialsPayload, Field::LoginUrl],
        ),
        (Stage::Login, 403) => (
            "vault/login-forbidden",
            "The vault refused the login",
            format!("HTTP 403 from login_url.{said}"),
            "Check the credentials payload, and that the auth method allows logins from here \
             (CIDR restrictions, bound role options).",
            vec![Field::CredentialsPayload, Field::LoginUrl],
        ),
        (Stage::Login, 404 | 405) => (
            "vault/login-not-found",
            "No login endpoint at login_url",
            format!("HTTP {} from login_url.{said}", r.status),
            "Check login_url: the auth method must be enabled at that path, e.g. \
             /v1/auth/userpass/login/<user> or /v1/auth/approle/login.",
            vec![Field::LoginUrl],
        ),
        (Stage::Read, 403) => (
            "vault/read-forbidden",
            "The token may not read the secret",
            format!("HTTP 403 from secret_url.{said}"),
            "The policies of the identity that logged in do not grant read on this path (or the \
             token is invalid, or token_header_name is wrong): grant `read` on the secret's path \
             in a policy attached to that identity.",
            vec![Field::SecretUrl, Field::TokenHeaderName],
        ),
        (Stage::Read, 404) => (
            "vault/secret-not-found",
            "No secret at secret_url",
            format!("HTTP 404 from secret_url.{said}"),
            "Check the secret's path and mount. On a KV version 2 mount the read URL has /data/ \
             after the mount: /v1/<mount>/data/<path>.",
            vec![Field::SecretUrl],
        ),
        (Stage::Read, 400) => (
            "vault/read-rejected",
            "The vault rejected the read",
            format!("HTTP 400 from secret_url.{said}"),
            "Check secret_url and token_header_name.",
            vec![Field::SecretUrl, Field::TokenHeaderName],
        ),
        (_, 429) => (
            "vault/rate-limited",
            "The vault is rate-limiting requests",
            format!("HTTP 429.{said}"),
            "Retry later, or ask the vault's administrators about the rate-limit quota.",
            vec![],
        ),
        (_, 503) => (
            "vault/unavailable",
            "The vault is sealed or not ready",
            format!("HTTP 503.{said}"),
            "Unseal the vault, or point the URL at an active, unsealed node.",
            vec![url_field(stage)],
        ),
        (_, s) if s >= 500 => (
            "vault/server-error",
            "The vault failed to answer",
            format!("HTTP {s}.{said}"),
            "Retry; if it persists, check the vault's logs.",
            vec![url_field(stage)],
        ),
        (_, s) => (
            "vault/http-error",
            "The vault answered with an error",
            format!("HTTP {s}.{said}"),
            "Check the URL and the vault's own message.",
            vec![url_field(stage)],
        ),
    };
    VaultError::new(stage, status, code, title, cause, fix.to_owned(), fields)
        .with_vault_errors(errors)
}

/// The vault's `{"errors": [...]}` messages, tidied (OpenBao's "1 error occurred:\n\t* x" → "x"),
/// at most 5, each at most 300 characters, control characters removed.
fn vault_errors(body: &str) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let Some(Value::Array(items)) = map.get("errors") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_str)
        .flat_map(|e| {
            let lines: Vec<String> = e
                .lines()
                .map(|l| l.trim().trim_start_matches("* ").trim().to_owned())
                .filter(|l| {
                    !l.is_empty()
                        && !l.ends_with("error occurred:")
                        && !l.ends_with("errors occurred:")
                })
                .collect();
            if lines.is_empty() {
                vec![e.trim().to_owned()]
            } else {
                lines
            }
        })
        .filter(|e| !e.is_empty())
        .map(|e| e.chars().filter(|c| !c.is_control()).take(300).collect())
        .take(5)
        .collect()
}

fn compile(stage: Stage, text: &str, field: Field) -> Result<JsonPath, VaultError> {
    JsonPath::compile(text).map_err(|e| {
        VaultError::new(
            stage,
            None,
            "vault/jsonpath-invalid",
            "The JSONPath is not valid",
            format!("{} {text:?}: {}", field_name(field), e.message),
            "Write a path such as $.auth.client_token or $.data.data.".to_owned(),
            vec![field],
        )
    })
}

fn no_match(
    stage: Stage,
    status: Option<u16>,
    doc: &Value,
    path: &str,
    field: Field,
) -> VaultError {
    let (where_, keys) = deepest_existing(doc, path);
    let cause = if where_ == "$" {
        format!(
            "{} {path} matches nothing in the answer. Its top-level keys are: {}.",
            field_name(field),
            list(&keys)
        )
    } else {
        format!(
            "{} {path} matches nothing in the answer. {where_} exists and has the keys: {}.",
            field_name(field),
            list(&keys)
        )
    };
    let code = match field {
        Field::TokenJsonpath => "vault/token-path-no-match",
        _ => "vault/data-path-no-match",
    };
    VaultError::new(
        stage,
        status,
        code,
        &format!("{} matches nothing", field_name(field)),
        cause,
        format!(
            "Correct {} to point at one of the keys that exist.",
            field_name(field)
        ),
        vec![field],
    )
    .with_keys(keys)
}

fn several(stage: Stage, status: Option<u16>, path: &str, n: usize, field: Field) -> VaultError {
    VaultError::new(
        stage,
        status,
        match field {
            Field::TokenJsonpath => "vault/token-path-several",
            _ => "vault/data-path-several",
        },
        &format!("{} matches several values", field_name(field)),
        format!(
            "{} {path} matches {n} values; it must match exactly one.",
            field_name(field)
        ),
        "Use a path without wildcards or descendant segments (..), e.g. $.auth.client_token."
            .to_owned(),
        vec![field],
    )
}

/// For a simple member path (`$.a.b` or `$['a']['b']`), the deepest prefix that exists and its
/// keys; otherwise the root's keys.
fn deepest_existing(doc: &Value, path: &str) -> (String, Vec<String>) {
    let mut node = doc;
    let mut shown = "$".to_owned();
    for name in member_names(path) {
        match node.get(&name) {
            Some(next) if next.is_object() => {
                node = next;
                shown.push('.');
                shown.push_str(&name);
            }
            _ => break,
        }
    }
    (shown, object_keys(node))
}

/// The member names of a path made only of `.name` and `['name']` steps (empty otherwise).
fn member_names(path: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = path.strip_prefix('$').unwrap_or_default();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let Some(end) = r.find("']") else {
                return Vec::new();
            };
            names.push(r.get(..end).unwrap_or_default().to_owned());
            rest = r.get(end + 2..).unwrap_or_default();
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = r.get(..end).unwrap_or_default();
            if name.is_empty() || name == "*" {
                return Vec::new();
            }
            names.push(name.to_owned());
            rest = r.get(end..).unwrap_or_default();
        } else {
            return Vec::new();
        }
    }
    names
}

fn object_keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.keys().take(30).cloned().collect())
        .unwrap_or_default()
}

fn looks_like_kv_v1(doc: &Value) -> bool {
    doc.get("data")
        .and_then(Value::as_object)
        .is_some_and(|d| !d.contains_key("data") && !d.values().any(|v| v.is_object()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "(none)".to_owned()
    } else {
        keys.join(", ")
    }
}

fn url_field(stage: Stage) -> Field {
    match stage {
        Stage::Login => Field::LoginUrl,
        Stage::Read => Field::SecretUrl,
    }
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::LoginUrl => "login_url",
        Field::CredentialsPayload => "credentials_payload",
        Field::TokenJsonpath => "token_jsonpath",
        Field::SecretUrl => "secret_url",
        Field::TokenHeaderName => "token_header_name",
        Field::DataJsonpath => "data_jsonpath",
        _ => "the setting",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sm(data_path: &str) -> SecretsManagement {
        SecretsManagement {
            login_url: "https://v:8200/v1/auth/userpass/login/app".into(),
            credentials_payload: Secret::new(r#"{"password":"login-pw-123"}"#),
            token_jsonpath: "$.auth.client_token".into(),
            secret_url: "https://v:8200/v1/secret/data/db".into(),
            token_header_name: "X-Vault-Token".into(),
            data_jsonpath: data_path.into(),
            namespace: Some("team-a".into()),
            ca_cert: None,
        }
    }

    fn ok(body: Value) -> HttpResponse {
        HttpResponse {
            status: 200,
            body: body.to_string(),
            location: None,
        }
    }

    #[test]
    fn requests_carry_what_they_must_and_debug_hides_it() {
        let s = sm("$.data.data");
        let login = login_request(&s);
        assert_eq!(login.method, Method::Post);
        assert_eq!(
            login.body.as_ref().unwrap().expose(),
            r#"{"password":"login-pw-123"}"#
        );
        assert!(
            login
                .headers
                .iter()
                .any(|(n, v)| n == "X-Vault-Namespace" && v.expose() == "team-a")
        );
        let read = read_request(&s, &Secret::new("hvs.token-xyz"));
        assert_eq!(read.method, Method::Get);
        assert!(
            read.headers
                .iter()
                .any(|(n, v)| n == "X-Vault-Token" && v.expose() == "hvs.token-xyz")
        );
        let debug = format!("{login:?}{read:?}");
        assert!(
            !debug.contains("login-pw-123") && !debug.contains("hvs.token-xyz"),
            "{debug}"
        );
    }

    #[test]
    fn token_and_secret_from_answers() {
        let s = sm("$.data.data");
        let token =
            token_from_login(&s, &ok(json!({"auth": {"client_token": "hvs.abc"}}))).unwrap();
        assert_eq!(token.expose(), "hvs.abc");
        let map = secret_from_read(
            &s,
            &ok(json!({"data": {"data": {"password": "pw", "port": 5432}, "metadata": {"version": 3}}})),
        )
        .unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["password", "port"]);
    }

    #[test]
    fn failures_are_explained_without_values() {
        let s = sm("$.data.data");
        let e = token_from_login(
            &s,
            &HttpResponse {
                status: 400,
                body: r#"{"errors":["invalid username or password"]}"#.into(),
                location: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/login-rejected");
        assert_eq!(e.vault_errors, ["invalid username or password"]);
        let e = secret_from_read(
            &s,
            &HttpResponse {
                status: 403,
                body: "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}".into(),
                location: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/read-forbidden");
        assert_eq!(e.vault_errors, ["permission denied"]);
        // KV v1 answer read with the KV v2 path
        let e = secret_from_read(
            &s,
            &ok(json!({"data": {"password": "SECRET-VALUE-1"}, "lease_id": ""})),
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/data-path-no-match");
        assert_eq!(e.keys_found, ["password"]);
        assert!(
            e.explanation.fix.contains("$.data."),
            "{}",
            e.explanation.fix
        );
        // KV v2 answer read with the KV v1 path
        let e = secret_from_read(
            &sm("$.data"),
            &ok(json!({"data": {"data": {"password": "SECRET-VALUE-2"}, "metadata": {}}})),
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/data-not-flat");
        assert!(e.explanation.fix.contains("$.data.data"));
        let e = token_from_login(&s, &ok(json!({"auth": {"token": "SECRET-TOKEN"}}))).unwrap_err();
        assert_eq!(e.explanation.code, "vault/token-path-no-match");
        assert_eq!(e.keys_found, ["token"]);
        let e = token_from_login(&sm("$"), &ok(json!({"auth": {"client_token": ["a", "b"]}})))
            .unwrap_err();
        assert_eq!(e.explanation.code, "vault/token-wrong-type");
        let text = serde_json::to_string(&e).unwrap();
        for secret in ["SECRET-VALUE", "SECRET-TOKEN", "login-pw"] {
            assert!(!text.contains(secret));
        }
        let e = token_from_login(
            &s,
            &HttpResponse {
                status: 307,
                body: String::new(),
                location: Some("https://active:8200/x".into()),
            },
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/redirect");
        let e = token_from_login(
            &s,
            &HttpResponse {
                status: 200,
                body: "<html>".into(),
                location: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.explanation.code, "vault/not-json");
    }

    #[test]
    fn member_name_parsing() {
        assert_eq!(member_names("$.data.data"), ["data", "data"]);
        assert_eq!(
            member_names("$['auth']['client_token']"),
            ["auth", "client_token"]
        );
        assert!(member_names("$..x").is_empty());
    }
}

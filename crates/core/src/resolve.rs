//! Resolving `${key}` placeholders from a secret: a pure function of (payload, secret) → resolved
//! payload, plus which keys were used and which are missing — never their values.
//!
//! Every string in the payload is resolved except the `secrets_management` settings themselves
//! (they are what fetches the secret). Numbers and booleans in the secret become strings; objects,
//! arrays and null are errors. The resolved payload is validated again (a resolved port must still
//! be a port), with every secret value in the messages replaced by its `${key}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Report, Severity};
use crate::model::{DatastoreRequest, Shape};
use crate::placeholder::{self, Piece};
use crate::secret::Secret;
use crate::validate::analyze_resolved;

/// One value of a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// A string, number or boolean, as the text it substitutes.
    Text(Secret),
    /// Something that cannot be substituted into a string: `"an object"`, `"an array"`, `"null"`.
    NotText(&'static str),
}

/// The key/value pairs of a secret. `Debug` shows the keys only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretMap {
    entries: BTreeMap<String, SecretValue>,
}

impl SecretMap {
    /// Reads a secret's JSON object: strings as they are, numbers and booleans as their JSON text.
    #[must_use]
    pub fn from_object(object: &Map<String, Value>) -> SecretMap {
        let entries = object
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => SecretValue::Text(Secret::new(s.clone())),
                    Value::Number(n) => SecretValue::Text(Secret::new(n.to_string())),
                    Value::Bool(b) => SecretValue::Text(Secret::new(b.to_string())),
                    Value::Object(_) => SecretValue::NotText("an object"),
                    Value::Array(_) => SecretValue::NotText("an array"),
                    Value::Null => SecretValue::NotText("null"),
                };
                (k.clone(), value)
            })
            .collect();
        SecretMap { entries }
    }

    /// A map of plain string values (tests, callers that hold the secret already).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> SecretMap {
        SecretMap {
            entries: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), SecretValue::Text(Secret::new(v.into()))))
                .collect(),
        }
    }

    /// The value for `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&SecretValue> {
        self.entries.get(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the secret has no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretMap")
            .field("keys", &self.entries.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The outcome of resolving a payload. Serialises without the resolved payload (it holds secret
/// values): `{keys_resolved, keys_missing, valid, diagnostics}`.
#[derive(Clone)]
pub struct Resolution {
    /// The payload with every placeholder substituted (secret values inside: handle as a secret).
    pub payload: Value,
    /// The normalised request, when the resolved payload is valid.
    pub request: Option<DatastoreRequest>,
    /// Keys referenced and found, sorted, without repeats.
    pub keys_resolved: Vec<String>,
    /// Keys referenced but absent from the secret, sorted, without repeats.
    pub keys_missing: Vec<String>,
    /// Resolution problems, then the resolved payload's validation (values redacted).
    pub report: Report,
}

impl fmt::Debug for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolution")
            .field("keys_resolved", &self.keys_resolved)
            .field("keys_missing", &self.keys_missing)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl Serialize for Resolution {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Resolution", 4)?;
        s.serialize_field("keys_resolved", &self.keys_resolved)?;
        s.serialize_field("keys_missing", &self.keys_missing)?;
        s.serialize_field("valid", &self.report.is_valid())?;
        s.serialize_field("diagnostics", &self.report.diagnostics)?;
        s.end()
    }
}

/// The placeholder keys a payload references (outside its vault settings), sorted, unique.
#[must_use]
pub fn referenced_keys(payload: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    visit_strings(payload, &mut String::new(), &mut |_, s| {
        if let Ok(pieces) = placeholder::scan(s) {
            for p in pieces {
                if let Piece::Key(k) = p {
                    keys.push(k.to_owned());
                }
            }
        }
    });
    keys.sort();
    keys.dedup();
    keys
}

/// Substitutes every `${key}` in `payload` from `secret` and validates the result.
#[must_use]
pub fn resolve(payload: &Value, secret: &SecretMap, shape: Option<Shape>) -> Resolution {
    let mut used = Vec::new();
    let mut missing = Vec::new();
    let mut diags = Vec::new();
    // (pointer, template, resolved text): to redact values from the re-validation's messages
    let mut substituted: Vec<(String, String, String)> = Vec::new();
    let mut resolved = payload.clone();
    let mut pointers = Vec::new();
    visit_strings(payload, &mut String::new(), &mut |pointer, s| {
        if s.contains("${") {
            pointers.push(pointer.to_owned());
        }
    });
    for pointer in pointers {
        let Some(Value::String(template)) = payload.pointer(&pointer) else {
            continue;
        };
        let pieces = match placeholder::scan(template) {
            Ok(p) => p,
            Err(e) => {
                diags.push(diag(
                    "field/placeholder-syntax",
                    &pointer,
                    e.to_string(),
                    "write a placeholder as ${key}; write $${ for a literal ${",
                ));
                continue;
            }
        };
        let mut out = String::new();
        let mut complete = true;
        for piece in pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Key(key) => match secret.get(key) {
                    Some(SecretValue::Text(v)) => {
                        used.push(key.to_owned());
                        out.push_str(v.expose());
                    }
                    Some(SecretValue::NotText(what)) => {
                        used.push(key.to_owned());
                        complete = false;
                        diags.push(diag(
                            "secrets/key-not-text",
                            &pointer,
                            format!("`${{{key}}}`: the secret's {key:?} is {what}, which cannot be put into a string"),
                            "store a string, number or boolean under that key",
                        ));
                    }
                    None => {
                        missing.push(key.to_owned());
                        complete = false;
                        let mut keys: Vec<&str> = secret.keys().collect();
                        keys.truncate(20);
                        diags.push(diag(
                            "secrets/key-missing",
                            &pointer,
                            format!("`${{{key}}}`: the secret has no key {key:?}"),
                            if keys.is_empty() {
                                "the secret has no keys at all: check secret_url and data_jsonpath"
                                    .to_owned()
                            } else {
                                format!("keys in the secret: {}", keys.join(", "))
                            },
                        ));
                    }
                },
            }
        }
        if complete && let Some(slot) = resolved.pointer_mut(&pointer) {
            substituted.push((pointer.clone(), template.clone(), out.clone()));
            *slot = Value::String(out);
        }
    }
    let analysis = analyze_resolved(&resolved, shape);
    for mut d in analysis.report.diagnostics {
        redact(&mut d, &substituted);
        diags.push(d);
    }
    used.sort();
    used.dedup();
    missing.sort();
    missing.dedup();
    let report = Report::from_diagnostics(diags);
    let request = if report.is_valid() {
        analysis.request
    } else {
        None
    };
    Resolution {
        payload: resolved,
        request,
        keys_resolved: used,
        keys_missing: missing,
        report,
    }
}

fn diag(code: &'static str, pointer: &str, message: String, help: impl Into<String>) -> Diagnostic {
    Diagnostic {
        code: std::borrow::Cow::Borrowed(code),
        severity: Severity::Error,
        path: pointer.to_owned(),
        message,
        help: help.into(),
    }
}

/// Replaces resolved values in a diagnostic's text by the template they came from: the field's own
/// value wherever it occurs in a diagnostic about that field, and any value of 4 or more characters
/// wherever it occurs.
fn redact(d: &mut Diagnostic, substituted: &[(String, String, String)]) {
    for (pointer, template, value) in substituted {
        if value.is_empty() {
            continue;
        }
        if &d.path == pointer || value.chars().count() >= 4 {
            d.message = d.message.replace(value.as_str(), template);
            d.help = d.help.replace(value.as_str(), template);
        }
    }
}

/// Calls `f(pointer, string)` for every string in `v` outside the vault settings.
fn visit_strings(v: &Value, pointer: &mut String, f: &mut impl FnMut(&str, &str)) {
    match v {
        Value::String(s) => f(pointer, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                visit_strings(item, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                if k == "secrets_management" && (pointer.is_empty() || pointer == "/connection") {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                visit_strings(item, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PortSpec;
    use serde_json::json;

    fn payload() -> Value {
        json!({
            "name": "vaulted", "teams": ["Public"], "database": "${db/name}", "schema": "public",
            "connection": {
                "type": "postgresql", "host": "${host}", "port": "${port}",
                "username": "${user}", "password": "pre-$${literal}-${password}",
                "ssl_mode": "verify-full",
                "secrets_management": {
                    "login_url": "https://vault.example:8200/v1/auth/userpass/login/app",
                    "credentials_payload": "{\"password\": \"v\"}",
                    "token_jsonpath": "$.auth.client_token",
                    "secret_url": "https://vault.example:8200/v1/secret/data/db",
                    "token_header_name": "X-Vault-Token",
                    "data_jsonpath": "$.data.data"
                }
            }
        })
    }

    #[test]
    fn substitutes_and_validates() {
        let secret = SecretMap::from_object(
            json!({"host": "db.internal", "port": 6432, "user": "reader",
                   "password": "s3cr3t-value", "db/name": "analytics", "extra": true})
            .as_object()
            .unwrap(),
        );
        let r = resolve(&payload(), &secret, None);
        assert_eq!(r.report.diagnostics, vec![], "{:?}", r.report);
        assert_eq!(
            r.keys_resolved,
            ["db/name", "host", "password", "port", "user"]
        );
        assert!(r.keys_missing.is_empty());
        let req = r.request.clone().unwrap();
        let c = req.new_connection().unwrap();
        assert_eq!(c.port, PortSpec::Number(6432));
        assert_eq!(
            c.password.as_ref().unwrap().expose(),
            "pre-${literal}-s3cr3t-value"
        );
        assert_eq!(req.database, "analytics");
        // serialised: keys only
        let text = serde_json::to_string(&r).unwrap() + &format!("{r:?}") + &format!("{secret:?}");
        for v in ["s3cr3t-value", "db.internal", "6432", "reader"] {
            assert!(!text.contains(v), "{v} leaked: {text}");
        }
    }

    #[test]
    fn missing_and_structured_keys() {
        let secret = SecretMap::from_object(
            json!({"host": {"a": 1}, "user": "u", "password": "p", "db/name": "d"})
                .as_object()
                .unwrap(),
        );
        let r = resolve(&payload(), &secret, None);
        assert_eq!(r.keys_missing, ["port"]);
        let codes: Vec<(&str, &str)> = r
            .report
            .diagnostics
            .iter()
            .map(|d| (d.code.as_ref(), d.path.as_str()))
            .collect();
        assert!(
            codes.contains(&("secrets/key-missing", "/connection/port")),
            "{codes:?}"
        );
        assert!(
            codes.contains(&("secrets/key-not-text", "/connection/host")),
            "{codes:?}"
        );
        assert!(r.request.is_none());
    }

    #[test]
    fn resolved_values_are_validated_and_redacted() {
        let secret = SecretMap::from_pairs([
            ("host", "bad host.example"),
            ("port", "70000"),
            ("user", "u"),
            ("password", "p"),
            ("db/name", "d"),
        ]);
        let r = resolve(&payload(), &secret, None);
        let port = r
            .report
            .diagnostics
            .iter()
            .find(|d| d.path == "/connection/port")
            .unwrap();
        assert_eq!(port.code, "connection/port-out-of-range");
        assert!(port.message.contains("${port}"), "{}", port.message);
        assert!(!port.message.contains("70000"));
        let host = r
            .report
            .diagnostics
            .iter()
            .find(|d| d.path == "/connection/host")
            .unwrap();
        assert!(!host.message.contains("bad host"), "{}", host.message);
    }

    #[test]
    fn referenced_keys_skip_vault_settings() {
        assert_eq!(
            referenced_keys(&payload()),
            ["db/name", "host", "password", "port", "user"]
        );
    }
}

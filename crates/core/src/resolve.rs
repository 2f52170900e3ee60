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

/// Replaces secret values in text meant for people (a live check's report: server messages, fix
/// SQL, stage details) by the `${key}` each came from, so what the vault supplied is never shown
/// back. A value of 8 or more characters is replaced wherever it occurs; a shorter one (a port, a
/// short role name) only where it stands alone, not inside a longer word or number. The SQL-quoted
/// forms of a value (quotes doubled) are replaced too. `Debug` shows the keys only.
#[derive(Clone, Default)]
pub struct Redactor {
    /// (text to find, its `${key}`), longest first.
    needles: Vec<(String, String)>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&str> = self.needles.iter().map(|(_, k)| k.as_str()).collect();
        keys.dedup();
        f.debug_struct("Redactor").field("keys", &keys).finish()
    }
}

impl Redactor {
    /// A redactor for the text values of `keys` in `secret` (keys it lacks are ignored).
    #[must_use]
    pub fn new(secret: &SecretMap, keys: &[String]) -> Redactor {
        let mut needles = Vec::new();
        for key in keys {
            let Some(SecretValue::Text(value)) = secret.get(key) else {
                continue;
            };
            let value = value.expose();
            if value.is_empty() {
                continue;
            }
            let template = format!("${{{key}}}");
            for needle in [
                value.to_owned(),
                value.replace('"', "\"\""),
                value.replace('\'', "''"),
            ] {
                if !needles.iter().any(|(n, _)| *n == needle) {
                    needles.push((needle, template.clone()));
                }
            }
        }
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Redactor { needles }
    }

    /// True when there is nothing to redact.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret value replaced by its `${key}`.
    #[must_use]
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let mut out = String::new();
        let mut copied = 0;
        let mut i = 0;
        while i < text.len() {
            let rest = text.get(i..).unwrap_or_default();
            let before = text.get(..i).and_then(|t| t.chars().next_back());
            let hit = self.needles.iter().find(|(needle, _)| {
                rest.starts_with(needle.as_str()) && {
                    let after = rest.get(needle.len()..).and_then(|t| t.chars().next());
                    let starts_word = is_word(needle.chars().next());
                    let ends_word = is_word(needle.chars().next_back());
                    needle.chars().count() >= 8
                        || !((starts_word && is_word(before)) || (ends_word && is_word(after)))
                }
            });
            match hit {
                Some((needle, template)) => {
                    out.push_str(text.get(copied..i).unwrap_or_default());
                    out.push_str(template);
                    i += needle.len();
                    copied = i;
                }
                None => i += rest.chars().next().map_or(1, char::len_utf8),
            }
        }
        if copied == 0 {
            return std::borrow::Cow::Borrowed(text);
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        std::borrow::Cow::Owned(out)
    }

    /// Redacts `text` where it stands.
    pub fn redact_in_place(&self, text: &mut String) {
        if let std::borrow::Cow::Owned(redacted) = self.redact(text) {
            *text = redacted;
        }
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

    #[test]
    fn redactor_replaces_values_by_their_keys() {
        let secret = SecretMap::from_pairs([
            ("host", "db.internal.example"),
            ("port", "6432"),
            ("username", "Data \"Reader\""),
            ("password", "s3cret-Pw"),
            ("short", "ab"),
        ]);
        let keys: Vec<String> = ["host", "port", "username", "short", "absent"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let r = Redactor::new(&secret, &keys);
        assert_eq!(
            r.redact("connected to db.internal.example:6432 in 16432 ms"),
            "connected to ${host}:${port} in 16432 ms"
        );
        assert_eq!(
            r.redact("GRANT USAGE ON SCHEMA s TO \"Data \"\"Reader\"\"\";"),
            "GRANT USAGE ON SCHEMA s TO \"${username}\";"
        );
        assert_eq!(r.redact("ab abc cab (ab)"), "${short} abc cab (${short})");
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(matches!(r.redact("nothing"), std::borrow::Cow::Borrowed(_)));
        // the password's key was not asked for: left alone (it is never in a report anyway)
        assert_eq!(r.redact("s3cret-Pw"), "s3cret-Pw");
        let debug = format!("{r:?}");
        assert!(
            debug.contains("${host}") && !debug.contains("db.internal"),
            "{debug}"
        );
        assert!(Redactor::default().is_empty());
        assert_eq!(
            r.redact("ü6432ü 6432é"),
            "ü6432ü 6432é",
            "Unicode letters are word characters"
        );
    }
}

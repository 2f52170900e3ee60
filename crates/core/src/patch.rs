//! Changing a stored connection: a patch (the fields to set) applied to the stored `connection`
//! object, under one rule — **a stored secret is never sent somewhere the user did not send it**.
//! When the host or port changes, or the TLS settings get weaker, the password must come with the
//! patch. The stored vault credentials reach further — they log in, the token they open reads the
//! secret, the secret goes to the database — so the credentials payload must come with the patch
//! when the vault's login URL or CA certificate changes, when the secret URL moves to another
//! origin, and, while the connection uses the vault, when the database moves or its TLS weakens.
//!
//! The server applies it to the stored connection (secrets opened) before it saves or tests a
//! change; the wizard applies it to what it was shown (a secret's presence, never its value) so
//! the same refusal shows on the field as the user types.

use serde_json::{Map, Value};

use crate::{Diagnostic, Path, Report, SslMode};

/// A secret of a stored connection that a patch did not resend, and so is kept as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredSecret {
    /// `password`.
    Password,
    /// `secrets_management.credentials_payload`.
    VaultCredentials,
}

/// A stored connection with a patch applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The `connection` object, with the stored secrets the patch did not replace.
    pub value: Value,
    /// The secrets kept from the store.
    pub kept: Vec<StoredSecret>,
}

/// How well an `ssl_mode` protects the password: libpq's modes in order, absent = `prefer`.
fn tls_rank(connection: &Value) -> usize {
    let mode = connection
        .get("ssl_mode")
        .and_then(Value::as_str)
        .and_then(SslMode::parse)
        .unwrap_or(SslMode::Prefer);
    SslMode::ALL.iter().position(|m| *m == mode).unwrap_or(0)
}

/// Whether field `key` holds the same value in both (a port written as a number and as its
/// decimal text is one port). Compared as values, not as serialised text, which would pull a JSON
/// writer into the WebAssembly builds.
fn same(a: &Value, b: &Value, key: &str) -> bool {
    match (a.get(key), b.get(key)) {
        (Some(Value::String(s)), Some(Value::Number(n)))
        | (Some(Value::Number(n)), Some(Value::String(s))) => is_decimal_of(s, n),
        (x, y) => x == y,
    }
}

/// `s` is `n` written in decimal, as JSON would write it (no sign, no leading zero).
fn is_decimal_of(s: &str, n: &serde_json::Number) -> bool {
    let canonical =
        !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical && n.as_u64().is_some_and(|n| s.parse::<u64>() == Ok(n))
}

/// A vault setting.
fn vault<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("secrets_management").and_then(|s| s.get(key))
}

/// Where a URL sends its request: its text up to the first `/` after `scheme://`, compared as
/// written, so any change of scheme, host, port or user part counts (and so does a `?`, `#` or
/// `\\` parsers may read differently: the cost of a false alarm is typing the credentials again).
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url
        .get(start..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| start + i);
    url.get(..end).unwrap_or(url)
}

/// Whether the secret URL sends its request to the same origin in both.
fn same_secret_origin(a: &Value, b: &Value) -> bool {
    match (vault(a, "secret_url"), vault(b, "secret_url")) {
        (Some(Value::String(x)), Some(Value::String(y))) => origin(x) == origin(y),
        (x, y) => x == y,
    }
}

fn has_credentials(v: &Value) -> bool {
    v.get("secrets_management")
        .and_then(|s| s.get("credentials_payload"))
        .is_some()
}

/// Applies `patch` (fields to set; `null` removes; `secrets_management` merges field by field)
/// to `stored`. Refuses, with the path of the secret to resend (relative to the `connection`
/// object), a patch that would carry a stored secret to a new address or over weaker TLS.
///
/// `stored` is the stored `connection` object. A secret's value is not read, only whether it is
/// there: the wizard passes any string where the store has one.
///
/// # Errors
/// The report of the secrets the patch must resend (or an empty report if `stored` is not an
/// object).
pub fn merge_connection(stored: &Value, patch: &Map<String, Value>) -> Result<Merged, Report> {
    let mut value = stored.clone();
    let Some(obj) = value.as_object_mut() else {
        return Err(Report::new());
    };
    for (k, v) in patch {
        if k == "secrets_management"
            && let (Some(Value::Object(current)), Value::Object(changes)) =
                (obj.get_mut("secrets_management"), v)
        {
            for (sk, sv) in changes {
                if sv.is_null() {
                    current.remove(sk);
                } else {
                    current.insert(sk.clone(), sv.clone());
                }
            }
            continue;
        }
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    let mut report = Report::new();
    let moved = !same(stored, &value, "host") || !same(stored, &value, "port");
    let weaker = tls_rank(&value) < tls_rank(stored) || !same(stored, &value, "ssl_root_cert");
    if (moved || weaker) && stored.get("password").is_some() && !patch.contains_key("password") {
        report.push(Diagnostic::error(
            "connection/password-required",
            &Path::ROOT.key("password"),
            if moved {
                "the host or port changes, and the stored password is never sent to a new address"
            } else {
                "the TLS settings get weaker (or trust another CA), and the stored password is \
                 never sent over a less protected connection"
            },
            "send the password again in the same request",
        ));
    }
    let resent_credentials = patch
        .get("secrets_management")
        .and_then(|s| s.get("credentials_payload"))
        .is_some();
    // the stored credentials log in at the login URL (trusting the vault's CA); the token they
    // open goes to the secret URL's origin; the secret it reads goes to the database
    let vault_used = value
        .get("secrets_management")
        .is_some_and(Value::is_object);
    let credentials_moved = if !vault_used || !has_credentials(stored) || resent_credentials {
        None
    } else if vault(&value, "login_url").is_some()
        && vault(stored, "login_url") != vault(&value, "login_url")
    {
        Some(
            "the vault's login URL changes, and the stored credentials are never sent to a new \
             address",
        )
    } else if vault(stored, "ca_cert") != vault(&value, "ca_cert") {
        Some(
            "the vault's CA certificate changes, and the stored credentials are never sent to a \
             server trusted by another CA",
        )
    } else if !same_secret_origin(stored, &value) {
        Some(
            "the secret URL moves to another address, and the vault token the stored credentials \
             open is never sent to a new address",
        )
    } else if moved {
        Some(
            "the host or port changes, and the secrets the stored credentials read from the vault \
             are never sent to a new address",
        )
    } else if weaker {
        Some(
            "the TLS settings get weaker (or trust another CA), and the secrets the stored \
             credentials read from the vault are never sent over a less protected connection",
        )
    } else {
        None
    };
    if let Some(why) = credentials_moved {
        report.push(Diagnostic::error(
            "secrets/credentials-required",
            &Path::ROOT
                .key("secrets_management")
                .key("credentials_payload"),
            why,
            "send credentials_payload again in the same request",
        ));
    }
    if !report.is_valid() {
        return Err(report);
    }
    let mut kept = Vec::new();
    if !patch.contains_key("password") && value.get("password").is_some() {
        kept.push(StoredSecret::Password);
    }
    if !resent_credentials && has_credentials(&value) {
        kept.push(StoredSecret::VaultCredentials);
    }
    Ok(Merged { value, kept })
}

/// The fields a connection change sets: the change must be an object (the body of
/// `PATCH /api/connections/{id}`).
///
/// # Errors
/// A report naming the root when it is not one.
pub fn change_fields(change: &Value) -> Result<&Map<String, Value>, Report> {
    change.as_object().ok_or_else(|| {
        let mut r = Report::new();
        r.push(Diagnostic::error(
            "field/wrong-type",
            &Path::ROOT,
            "the body must be an object of the fields to change",
            "send e.g. {\"port\": 6432} or {\"password\": \"…\"}",
        ));
        r
    })
}

/// A stored connection as the registry's API shows it — `password_set` and
/// `secrets_management.credentials_payload_set` in place of the secrets, plus its id, counts and
/// times — as the `connection` object [`merge_connection`] reads: each stored secret an empty
/// string (only its presence counts), the view's own fields left out.
#[must_use]
pub fn stored_from_view(view: &Value) -> Value {
    let mut stored = view.clone();
    if let Some(o) = stored.as_object_mut() {
        for k in ["id", "datastore_count", "created", "updated"] {
            o.remove(k);
        }
        if o.remove("password_set") == Some(Value::Bool(true)) {
            o.insert("password".into(), Value::String(String::new()));
        }
        if let Some(Value::Object(v)) = o.get_mut("secrets_management")
            && v.remove("credentials_payload_set") == Some(Value::Bool(true))
        {
            v.insert("credentials_payload".into(), Value::String(String::new()));
        }
    }
    stored
}

/// What the registry answers `PATCH /api/connections/{id}` with `change`, told without the
/// secrets from the connection's view ([`stored_from_view`]): the secrets the change must send
/// again, else the changed connection's diagnostics — where a kept secret is not judged (it was
/// checked when it was stored), nor is whether a `${key}` is used, as a kept password may be one.
/// Paths are relative to the connection object, as in the server's answer.
#[must_use]
pub fn check_connection_change(view: &Value, change: &Value) -> Report {
    let change = match change_fields(change) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let merged = match merge_connection(&stored_from_view(view), change) {
        Ok(m) => m,
        Err(refused) if !refused.diagnostics.is_empty() => return refused,
        // the view is no object: said as for any connection that is not one
        Err(_) => return crate::analyze_connection(view).0,
    };
    let password_kept = merged.kept.contains(&StoredSecret::Password);
    let credentials_kept = merged.kept.contains(&StoredSecret::VaultCredentials);
    let (mut report, _) = crate::analyze_connection(&merged.value);
    report.diagnostics.retain(|d| match d.path.as_str() {
        "/password" => !password_kept,
        "/secrets_management/credentials_payload" => !credentials_kept,
        _ => !(password_kept && d.code == "secrets/unused"),
    });
    Report::from_diagnostics(report.diagnostics)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use serde_json::json;

    fn stored() -> Value {
        json!({"name": "w", "type": "postgresql", "host": "db1", "port": 5432,
               "username": "u", "password": "stored-pw"})
    }

    fn merge(stored: &Value, patch: &Value) -> Result<Merged, Report> {
        merge_connection(stored, patch.as_object().unwrap())
    }

    #[test]
    fn a_new_address_needs_the_password_again() {
        let r = merge(&stored(), &json!({"host": "elsewhere.example.com"})).unwrap_err();
        assert_eq!(r.diagnostics[0].code, "connection/password-required");
        assert_eq!(r.diagnostics[0].path, "/password");
        assert!(merge(&stored(), &json!({"port": "6432"})).is_err());
        // the same port written as text is no move
        let m = merge(&stored(), &json!({"port": "5432", "username": "v"})).unwrap();
        assert_eq!(m.kept, vec![StoredSecret::Password]);
        assert_eq!(m.value["password"], "stored-pw");
        assert_eq!(m.value["username"], "v");
        let m = merge(
            &stored(),
            &json!({"host": "elsewhere", "password": "new-pw"}),
        )
        .unwrap();
        assert!(m.kept.is_empty());
        assert_eq!(m.value["password"], "new-pw");
        // without a stored password there is nothing to protect
        let mut s = stored();
        s.as_object_mut().unwrap().remove("password");
        assert!(merge(&s, &json!({"host": "elsewhere"})).is_ok());
    }

    #[test]
    fn weaker_tls_needs_the_password_again_and_stronger_does_not() {
        let mut s = stored();
        s["ssl_mode"] = json!("verify-full");
        assert!(merge(&s, &json!({"ssl_mode": "disable"})).is_err());
        // removing the mode falls back to prefer, weaker than verify-full
        assert!(merge(&s, &json!({"ssl_mode": null})).is_err());
        assert!(merge(&s, &json!({"ssl_mode": "verify-full", "username": "x"})).is_ok());
        assert!(merge(&stored(), &json!({"ssl_mode": "require"})).is_ok());
        // another CA is trusted: the password again
        s["ssl_root_cert"] = json!("-----BEGIN CERTIFICATE-----\nA");
        let r = merge(
            &s,
            &json!({"ssl_root_cert": "-----BEGIN CERTIFICATE-----\nB"}),
        );
        assert!(r.unwrap_err().diagnostics[0].message.contains("TLS"));
    }

    #[test]
    fn a_new_vault_login_url_needs_the_credentials_again() {
        let mut s = stored();
        s["secrets_management"] = json!({"login_url": "https://v1/login", "credentials_payload": "{\"password\":\"x\"}",
            "secret_url": "https://v1/secret"});
        let patch = json!({"secrets_management": {"login_url": "https://evil/login"}});
        let r = merge(&s, &patch).unwrap_err();
        assert_eq!(
            r.diagnostics[0].path,
            "/secrets_management/credentials_payload"
        );
        let patch = json!({"secrets_management": {"secret_url": "https://v1/other"}});
        let m = merge(&s, &patch).unwrap();
        assert_eq!(
            m.kept,
            vec![StoredSecret::Password, StoredSecret::VaultCredentials]
        );
        assert_eq!(
            m.value["secrets_management"]["login_url"],
            "https://v1/login"
        );
        assert_eq!(
            m.value["secrets_management"]["secret_url"],
            "https://v1/other"
        );
        // null removes a field, and the whole object
        let m = merge(&s, &json!({"secrets_management": null})).unwrap();
        assert!(m.value.get("secrets_management").is_none());
        assert_eq!(m.kept, vec![StoredSecret::Password]);
    }

    /// The credentials' reach: the token they open and the secret it reads go nowhere new
    /// either, and neither do they themselves to a vault trusted by another CA.
    #[test]
    fn what_the_stored_vault_credentials_open_stays_where_it_was() {
        let mut s = stored();
        s["password"] = json!("${pw}");
        s["secrets_management"] = json!({"login_url": "https://v1/v1/auth/userpass/login/u",
            "credentials_payload": "{\"password\":\"x\"}", "secret_url": "https://v1/v1/secret/data/pg",
            "ca_cert": "-----BEGIN CERTIFICATE-----\nA"});
        let refused = |patch: Value| {
            let r = merge(&s, &patch).unwrap_err();
            let d = r
                .diagnostics
                .iter()
                .find(|d| d.code == "secrets/credentials-required")
                .unwrap_or_else(|| panic!("{patch}: {r:?}"));
            assert_eq!(d.path, "/secrets_management/credentials_payload");
            d.message.clone()
        };
        for url in [
            "https://evil/v1/secret/data/pg",
            "http://v1/v1/secret/data/pg",
            "https://v1:8200/v1/secret/data/pg",
            "https://v1@evil/v1/secret/data/pg",
            "https://v1\\@evil/x",
            "https://v1?@evil/",
        ] {
            let m = refused(json!({"secrets_management": {"secret_url": url}}));
            assert!(m.contains("vault token"), "{url}: {m}");
        }
        let m =
            refused(json!({"secrets_management": {"ca_cert": "-----BEGIN CERTIFICATE-----\nB"}}));
        assert!(m.contains("another CA"), "{m}");
        refused(json!({"secrets_management": {"ca_cert": null}}));
        // the database moves: resending the `${pw}` placeholder is not enough, the vault's
        // secret would go to the new host
        let m = refused(json!({"host": "evil", "password": "${pw}"}));
        assert!(m.contains("host or port"), "{m}");
        let m = refused(json!({"ssl_mode": "disable", "password": "${pw}"}));
        assert!(m.contains("TLS"), "{m}");
        // with the credentials typed again, all of it may move
        let m = merge(
            &s,
            &json!({"host": "elsewhere", "password": "${pw}", "secrets_management": {
                "credentials_payload": "{\"password\":\"y\"}", "secret_url": "https://v2/v1/s"}}),
        )
        .unwrap();
        assert!(m.kept.is_empty());
        // a new path on the same vault, or a new JSONPath, is no move
        let m = merge(
            &s,
            &json!({"secrets_management": {"secret_url": "https://v1/v1/secret/data/other",
                "data_jsonpath": "$.data.data"}}),
        )
        .unwrap();
        assert_eq!(
            m.kept,
            vec![StoredSecret::Password, StoredSecret::VaultCredentials]
        );
        // without the vault, nothing it fetched can go anywhere
        assert!(
            merge(
                &s,
                &json!({"host": "elsewhere", "password": "plain", "secrets_management": null})
            )
            .is_ok()
        );
    }

    /// The API's view of a vault-backed connection: secrets only as flags.
    fn view() -> Value {
        json!({"id": 3, "name": "w", "type": "postgresql", "host": "db1", "port": 5432,
               "username": "${username}", "password_set": true, "ssl_mode": "verify-full",
               "ssl_root_cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
               "secrets_management": {"login_url": "https://v1/v1/auth/userpass/login/u",
                   "token_jsonpath": "$.auth.client_token", "secret_url": "https://v1/v1/secret/data/pg",
                   "token_header_name": "X-Vault-Token", "data_jsonpath": "$.data.data",
                   "credentials_payload_set": true},
               "datastore_count": 2, "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z"})
    }

    fn change(v: Value) -> Value {
        v
    }

    #[test]
    fn a_change_is_checked_from_the_view_as_the_server_will() {
        let stored = stored_from_view(&view());
        assert_eq!(stored["password"], "");
        assert_eq!(stored["secrets_management"]["credentials_payload"], "");
        for k in [
            "id",
            "password_set",
            "datastore_count",
            "created",
            "updated",
        ] {
            assert!(stored.get(k).is_none(), "{k}");
        }
        // a kept secret is not judged, nor is the unused-key warning it could answer
        let r = check_connection_change(&view(), &change(json!({"username": "u2"})));
        assert!(r.diagnostics.is_empty(), "{r:?}");
        // a change the rule refuses: the secrets to send again
        let r = check_connection_change(&view(), &change(json!({"host": "db2"})));
        let codes: Vec<_> = r.diagnostics.iter().map(|d| d.code.as_ref()).collect();
        assert_eq!(
            codes,
            [
                "connection/password-required",
                "secrets/credentials-required"
            ]
        );
        // a change the rule allows, judged as any connection is
        let r = check_connection_change(&view(), &change(json!({"username": ""})));
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.path == "/username" && d.severity == crate::Severity::Error),
            "{r:?}"
        );
        let r = check_connection_change(
            &view(),
            &change(
                json!({"host": "db2", "password": "", "secrets_management": {"credentials_payload": "{}"}}),
            ),
        );
        assert!(
            r.diagnostics.iter().any(|d| d.path == "/password"),
            "a typed password is judged: {r:?}"
        );
        assert!(!check_connection_change(&json!([]), &json!({})).is_valid());
        let r = check_connection_change(&view(), &json!(["port"]));
        assert_eq!(r.diagnostics[0].code, "field/wrong-type");
        assert_eq!(r.diagnostics[0].path, "");
    }

    #[test]
    fn a_stored_value_that_is_no_object_is_refused_without_a_panic() {
        assert!(merge(&json!([1]), &json!({})).is_err());
    }
}

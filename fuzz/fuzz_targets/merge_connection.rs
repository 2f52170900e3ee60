//! Changing a stored connection: any stored connection and any patch — a merge or a refusal,
//! never a panic — and a merge that keeps a stored secret never lets it, or what it opens, reach
//! an address or a TLS setting the stored connection did not have. The rule is stated here again
//! in terms of what each secret reaches, independently of how `merge_connection` checks it.
//!
//! `check_connection_change` (the same change told from the API's view) runs on every input too.
//!
//! Input: `stored-json \0 patch-json`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::SslMode;
use pgconnect_core::patch::{StoredSecret, check_connection_change, merge_connection};
use serde_json::Value;

/// A field as text (a port as a number or a string is one port).
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).map(|x| match x {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// libpq's modes from weakest to strongest; absent or unknown is `prefer`.
fn strength(v: &Value) -> usize {
    let mode = v
        .get("ssl_mode")
        .and_then(Value::as_str)
        .and_then(SslMode::parse)
        .unwrap_or(SslMode::Prefer);
    SslMode::ALL.iter().position(|m| *m == mode).unwrap_or(0)
}

fn vault<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get("secrets_management").and_then(|s| s.get(key))
}

/// Scheme and authority: everything before the path.
fn origin(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    let after = s.find("://").map_or(0, |i| i + 3);
    Some(match s[after..].find('/') {
        Some(i) => s[..after + i].to_owned(),
        None => s.to_owned(),
    })
}

/// Where the database connection goes, and how well it is protected.
fn database_reach(v: &Value) -> (Option<String>, Option<String>, Option<String>) {
    (text(v, "host"), text(v, "port"), text(v, "ssl_root_cert"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text_in) = std::str::from_utf8(data) else {
        return;
    };
    let Some((stored, patch)) = text_in.split_once('\0') else {
        return;
    };
    let (Ok(stored), Ok(Value::Object(patch))) = (
        serde_json::from_str::<Value>(stored),
        serde_json::from_str::<Value>(patch),
    ) else {
        return;
    };
    // the same change told from the API's view (any value as the view): a report, never a panic
    let told = check_connection_change(&stored, &Value::Object(patch.clone()));
    assert!(told.diagnostics.iter().all(|d| !d.message.is_empty()));
    match merge_connection(&stored, &patch) {
        Err(report) => {
            for d in &report.diagnostics {
                assert!(
                    d.path == "/password" || d.path == "/secrets_management/credentials_payload",
                    "a refusal names the secret to send again: {d:?}"
                );
                assert!(!d.message.is_empty() && !d.help.is_empty());
            }
        }
        Ok(merged) => {
            let new = &merged.value;
            // every field the patch set is in the result (null removes)
            for (k, v) in &patch {
                if k != "secrets_management" {
                    assert_eq!(new.get(k), if v.is_null() { None } else { Some(v) }, "{k}");
                }
            }
            let password_kept = merged.kept.contains(&StoredSecret::Password);
            let credentials_kept = merged.kept.contains(&StoredSecret::VaultCredentials);
            assert_eq!(
                password_kept,
                stored.get("password").is_some()
                    && new.get("password").is_some()
                    && !patch.contains_key("password"),
            );
            if password_kept {
                assert_eq!(database_reach(&stored), database_reach(new));
                assert!(strength(new) >= strength(&stored));
            }
            if credentials_kept {
                assert!(vault(&stored, "credentials_payload").is_some());
                assert!(vault(new, "credentials_payload").is_some());
                if vault(new, "login_url").is_some() {
                    assert_eq!(vault(&stored, "login_url"), vault(new, "login_url"));
                }
                assert_eq!(vault(&stored, "ca_cert"), vault(new, "ca_cert"));
                assert_eq!(
                    origin(vault(&stored, "secret_url")),
                    origin(vault(new, "secret_url"))
                );
                // the secret it reads goes to the database
                assert_eq!(database_reach(&stored), database_reach(new));
                assert!(strength(new) >= strength(&stored));
            }
        }
    }
});

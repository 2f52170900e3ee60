//! Interpreting vault answers: an arbitrary status and body against arbitrary JSONPaths gives a
//! token, a secret or an explained error — never a panic, and the error never quotes a string
//! value of the answer (only key names and the vault's own `errors` messages).
//!
//! Input: 2 bytes of status, then `token_path \n data_path \n body`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::vault::{HttpResponse, VaultError, secret_from_read, token_from_login};
use pgconnect_core::{Secret, SecretsManagement};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((status, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let mut parts = rest.splitn(3, '\n');
    let token_path = parts.next().unwrap_or("$").to_owned();
    let data_path = parts.next().unwrap_or("$").to_owned();
    let body = parts.next().unwrap_or_default().to_owned();
    let sm = SecretsManagement {
        login_url: "https://v/login".into(),
        credentials_payload: Secret::new("{}"),
        token_jsonpath: token_path,
        secret_url: "https://v/read".into(),
        token_header_name: "X-Vault-Token".into(),
        data_jsonpath: data_path,
        namespace: None,
        ca_cert: None,
    };
    let response = HttpResponse {
        status: u16::from_be_bytes(*status),
        body,
        location: None,
    };
    if let Err(e) = token_from_login(&sm, &response) {
        check_no_values(&e, &response.body, &sm);
    }
    if let Err(e) = secret_from_read(&sm, &response) {
        check_no_values(&e, &response.body, &sm);
    }
});

fn check_no_values(e: &VaultError, body: &str, sm: &SecretsManagement) {
    let text = serde_json::to_string(e).unwrap_or_default() + &e.to_string();
    let Ok(doc) = serde_json::from_str::<Value>(body) else {
        return;
    };
    let mut keys = Vec::new();
    let mut values = Vec::new();
    collect(&doc, false, &mut keys, &mut values);
    for v in values {
        // values that are also key names, vault error messages or the settings' own text may show
        let innocent = v.chars().count() < 8
            || keys.iter().any(|k| k.contains(v.as_str()))
            || e.vault_errors.iter().any(|m| m.contains(v.as_str()))
            // the settings (the paths) are quoted on purpose, raw or escaped (`\t` reads `\\t`)
            || [&sm.token_jsonpath, &sm.data_jsonpath].iter().any(|p| {
                p.contains(v.as_str())
                    || format!("{p:?}").contains(v.as_str())
                    || serde_json::to_string(p).unwrap_or_default().contains(v.as_str())
            })
            // the title and fix are fixed texts (with example paths), not derived from the answer
            || e.explanation.title.contains(v.as_str())
            || e.explanation.fix.contains(v.as_str());
        assert!(
            innocent || !text.contains(v.as_str()),
            "value {v:?} quoted in {text}"
        );
    }
}

fn collect(v: &Value, in_errors: bool, keys: &mut Vec<String>, values: &mut Vec<String>) {
    match v {
        Value::String(s) if !in_errors => values.push(s.clone()),
        Value::Array(items) => items
            .iter()
            .for_each(|i| collect(i, in_errors, keys, values)),
        Value::Object(m) => {
            for (k, item) in m {
                keys.push(k.clone());
                collect(item, in_errors || k == "errors", keys, values);
            }
        }
        _ => {}
    }
}

//! Placeholder parsing and resolution: any template against any secret — a resolution or a
//! diagnostic, never a panic; the key lists are sorted, disjoint, and name only referenced keys.
//!
//! Input: `template \0 secret-json`; without a NUL, the secret is built from the template's own
//! keys (every other one missing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::placeholder::{Piece, scan};
use pgconnect_core::resolve::{SecretMap, referenced_keys, resolve};
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, secret_text) = text.split_once('\0').unwrap_or((text, ""));
    let secret = match serde_json::from_str::<Value>(secret_text) {
        Ok(Value::Object(m)) => SecretMap::from_object(&m),
        _ => {
            let keys: Vec<String> = scan(template)
                .map(|p| {
                    p.into_iter()
                        .filter_map(|p| match p {
                            Piece::Key(k) => Some(k.to_owned()),
                            Piece::Literal(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            SecretMap::from_pairs(
                keys.into_iter()
                    .step_by(2)
                    .map(|k| (k.clone(), format!("v-{k}"))),
            )
        }
    };
    let payload = json!({
        "name": template, "teams": [template], "database": template, "schema": template,
        "connection": {"type": "postgresql", "host": template, "port": template,
            "username": template, "password": template,
            "secrets_management": {"login_url": "https://v/x", "credentials_payload": "{}",
                "token_jsonpath": "$.a", "secret_url": "https://v/y",
                "token_header_name": "X-Vault-Token", "data_jsonpath": "$.d"}}
    });
    let r = resolve(&payload, &secret, None);
    let referenced = referenced_keys(&payload);
    assert!(r.keys_resolved.windows(2).all(|w| w[0] < w[1]));
    assert!(r.keys_missing.windows(2).all(|w| w[0] < w[1]));
    assert!(r.keys_resolved.iter().all(|k| !r.keys_missing.contains(k)));
    assert!(
        r.keys_resolved
            .iter()
            .chain(&r.keys_missing)
            .all(|k| referenced.contains(k))
    );
    assert_eq!(r.request.is_some(), r.report.is_valid());
    let _ = serde_json::to_string(&r);
});

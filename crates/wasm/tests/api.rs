//! The exported API, run inside a real JavaScript engine: `wasm-pack test --node` and
//! `wasm-pack test --headless --chrome` (with `WASM_BINDGEN_USE_BROWSER=1`).

#![cfg(target_arch = "wasm32")]
// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pgconnect_wasm::*;
use serde::Serialize;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(v: Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn rust(v: JsValue) -> Value {
    serde_wasm_bindgen::from_value(v).unwrap()
}

fn error_code(e: JsValue) -> String {
    let e: js_sys::Error = e.dyn_into().unwrap();
    js_sys::Reflect::get(&e, &JsValue::from_str("code"))
        .unwrap()
        .as_string()
        .unwrap()
}

fn source() -> Value {
    json!({
        "name": "orders", "teams": ["Public"], "database": "analytics", "schema": "public",
        "connection": {"type": "postgresql", "host": "db.example.com", "port": "5432",
            "username": "reader", "password": "s3cret", "ssl_mode": "verify-full"}
    })
}

#[wasm_bindgen_test]
fn validate_returns_the_report() {
    let r = rust(validate(js(source())).unwrap());
    assert_eq!(
        r,
        json!({"valid": true, "errors": 0, "warnings": 0, "diagnostics": []})
    );
    let mut bad = source();
    bad["connection"]["port"] = json!(70000);
    let r = rust(validate(js(bad)).unwrap());
    assert_eq!(r["valid"], false);
    assert_eq!(r["diagnostics"][0]["code"], "connection/port-out-of-range");
    assert_eq!(r["diagnostics"][0]["path"], "/connection/port");
    // not an object is a report too, not an exception
    let r = rust(validate(JsValue::from_str("text")).unwrap());
    assert_eq!(r["diagnostics"][0]["code"], "payload/not-an-object");
}

#[wasm_bindgen_test]
fn malformed_arguments_throw_with_a_code() {
    let e = grant_sql_js(js(json!({"kind": "source"}))).unwrap_err();
    assert_eq!(error_code(e), "arguments/invalid");
    let e = resolve_placeholders(js(source()), JsValue::from_f64(3.0)).unwrap_err();
    assert_eq!(error_code(e), "arguments/invalid");
}

fn error_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .unwrap()
        .message()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn a_malformed_argument_names_the_field() {
    let e = grant_sql_js(js(
        json!({"kind": "nonsense", "role": "r", "database": "d", "schemas": ["s"]}),
    ))
    .unwrap_err();
    assert_eq!(error_code(e.clone()), "arguments/invalid");
    let m = error_message(&e);
    assert!(
        m.starts_with("options.kind does not have the expected shape: unknown variant `nonsense`"),
        "{m}"
    );
    assert!(!m.contains("line 1"), "{m}");
    let e = grant_sql_js(js(
        json!({"kind": "source", "role": "r", "database": "d", "schemas": ["s", 3]}),
    ))
    .unwrap_err();
    assert!(
        error_message(&e).starts_with("options.schemas[1] does not have"),
        "{}",
        error_message(&e)
    );
}

#[wasm_bindgen_test]
fn a_shape_error_never_quotes_the_value() {
    let e = grant_sql_js(js(
        json!({"kind": "source", "role": "r", "database": "d", "schemas": ["s"],
        "password": 918_273_645}),
    ))
    .unwrap_err();
    let m = error_message(&e);
    assert_eq!(
        m,
        "options.password does not have the expected shape: invalid type: integer, expected a string"
    );
    let e = hba_line_js(js(
        json!({"role": "r", "database": "d", "cidr": "10.0.0.0/8",
        "ssl": "s3cr3t, expected \"x\""}),
    ))
    .unwrap_err();
    assert_eq!(
        error_message(&e),
        "options.ssl does not have the expected shape: invalid type: string, expected a boolean"
    );
}

/// Cycles, BigInt and deep nesting throw `arguments/invalid`, and the module keeps working
/// (reading objects directly once overflowed the module's stack and broke every later call).
#[wasm_bindgen_test]
fn cycles_bigint_and_deep_nesting_throw_and_the_module_keeps_working() {
    let cyclic = js(source());
    js_sys::Reflect::set(&cyclic, &JsValue::from_str("connection"), &cyclic).unwrap();
    let e = validate(cyclic).unwrap_err();
    assert_eq!(error_code(e.clone()), "arguments/invalid");
    assert!(
        error_message(&e)
            .starts_with("payload cannot be read as JSON (Converting circular structure"),
        "{}",
        error_message(&e)
    );

    let big = js(source());
    js_sys::Reflect::set(
        &big,
        &JsValue::from_str("port"),
        &JsValue::bigint_from_str("5432"),
    )
    .unwrap();
    assert_eq!(error_code(validate(big).unwrap_err()), "arguments/invalid");

    for depth in [200, 100_000] {
        let root = js_sys::Object::new();
        let mut cur = root.clone();
        for _ in 0..depth {
            let next = js_sys::Object::new();
            js_sys::Reflect::set(&cur, &JsValue::from_str("connection"), &next).unwrap();
            cur = next;
        }
        let e = validate(root.into()).unwrap_err();
        assert_eq!(error_code(e.clone()), "arguments/invalid", "depth {depth}");
        let r = rust(extract_json_path(js(json!({"a": [1]})), "$.a[0]").unwrap());
        assert_eq!(r["nodes"], json!([1]), "depth {depth}");
    }

    let r = rust(validate(js(source())).unwrap());
    assert_eq!(r["valid"], true);
}

#[wasm_bindgen_test]
fn placeholders_resolve_from_a_secret() {
    let mut p = source();
    p["connection"]["host"] = json!("${host}");
    p["connection"]["password"] = json!("${pw}");
    p["connection"]["secrets_management"] = json!({
        "login_url": "https://v:8200/v1/auth/userpass/login/a",
        "credentials_payload": "{\"password\": \"x\"}",
        "token_jsonpath": "$.auth.client_token",
        "secret_url": "https://v:8200/v1/secret/data/db",
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    });
    let r =
        rust(resolve_placeholders(js(p), js(json!({"host": "db.internal", "pw": 42}))).unwrap());
    assert_eq!(r["keys_resolved"], json!(["host", "pw"]));
    assert_eq!(r["payload"]["connection"]["host"], "db.internal");
    assert_eq!(r["payload"]["connection"]["password"], "42");
    assert_eq!(r["valid"], true);
}

#[wasm_bindgen_test]
fn the_vault_flow_step_by_step() {
    let config = json!({
        "login_url": "https://vault.example:8200/v1/auth/userpass/login/app",
        "credentials_payload": {"password": "login-pw"},
        "token_jsonpath": "$.auth.client_token",
        "secret_url": "https://vault.example:8200/v1/secret/data/db",
        "token_header_name": "X-Vault-Token",
        "data_jsonpath": "$.data.data"
    });
    let login = rust(vault_login_request(js(config.clone())).unwrap());
    assert_eq!(login["outcome"], "request");
    assert_eq!(login["request"]["method"], "POST");
    assert_eq!(login["request"]["body"], "{\"password\":\"login-pw\"}");
    let read = rust(
        vault_read_request(
            js(config.clone()),
            js(json!({"status": 200, "body": "{\"auth\": {\"client_token\": \"s.tok\"}}"})),
        )
        .unwrap(),
    );
    assert_eq!(read["outcome"], "request");
    assert_eq!(read["request"]["headers"]["X-Vault-Token"], "s.tok");
    let secret = rust(
        vault_secret(
            js(config.clone()),
            js(json!({"status": 200, "body": "{\"data\": {\"data\": {\"password\": \"p\"}}}"})),
        )
        .unwrap(),
    );
    assert_eq!(
        secret,
        json!({"outcome": "secret", "secret": {"password": "p"}})
    );
    let denied = rust(
        vault_secret(
            js(config),
            js(json!({"status": 403, "body": "{\"errors\": [\"permission denied\"]}"})),
        )
        .unwrap(),
    );
    assert_eq!(denied["outcome"], "vault_error");
    assert_eq!(denied["error"]["code"], "vault/read-forbidden");
    let invalid = rust(vault_login_request(js(json!({"login_url": "nope"}))).unwrap());
    assert_eq!(invalid["outcome"], "invalid_settings");
}

#[wasm_bindgen_test]
fn grants_with_a_password_use_scram_and_the_engines_nfkc() {
    // the salt and verifier PostgreSQL 15 stored for this password (see core scram tests)
    let r = rust(
        grant_sql_js(js(json!({
            "kind": "source", "role": "r2", "database": "d", "schemas": ["s"],
            "create_role": true, "password": "Ⅸ straße ﬀ", "salt": "PXKS6y7GN+2p707+5JKxag=="
        })))
        .unwrap(),
    );
    let sql = r["text"].as_str().unwrap();
    assert!(sql.contains("SCRAM-SHA-256$4096:PXKS6y7GN+2p707+5JKxag==$oue1FBeuYF5+TTKT7lq94+shuLeKKWB2LL+gDktY1Rw=:brQ0ZXfJ811QYbpePn+HAYPLNI4jw6JmQ0Skj71aVko="), "{sql}");
    assert!(!sql.contains("straße"));
    // random salt from crypto.getRandomValues: two calls differ
    let a = rust(grant_sql_js(js(json!({"kind": "source", "role": "r", "database": "d", "schemas": ["s"], "password": "pw"}))).unwrap());
    let b = rust(grant_sql_js(js(json!({"kind": "source", "role": "r", "database": "d", "schemas": ["s"], "password": "pw"}))).unwrap());
    assert_ne!(a["text"], b["text"]);
    let bad = rust(
        grant_sql_js(js(
            json!({"kind": "source", "role": "pg_x", "database": "d", "schemas": ["s"]}),
        ))
        .unwrap(),
    );
    assert!(bad.get("text").is_none());
    assert_eq!(
        bad["report"]["diagnostics"][0]["code"],
        "grants/role-reserved"
    );
    let revoke = rust(
        revoke_sql_js(js(
            json!({"kind": "enrichment", "role": "w", "database": "d", "schemas": ["s"]}),
        ))
        .unwrap(),
    );
    assert!(
        revoke["text"]
            .as_str()
            .unwrap()
            .contains("REVOKE USAGE, CREATE ON SCHEMA s FROM w;")
    );
}

#[wasm_bindgen_test]
fn hba_connection_strings_and_explanations() {
    let h = rust(
        hba_line_js(js(
            json!({"role": "r", "database": "d", "cidr": "10.0.0.0/8", "ssl": true}),
        ))
        .unwrap(),
    );
    assert_eq!(
        h["text"],
        "hostssl d               r               10.0.0.0/8              scram-sha-256"
    );
    let p =
        rust(parse_connection_string_js("postgresql://u:pw@db:6432/a?sslmode=require").unwrap());
    assert_eq!(p["port"], 6432);
    assert_eq!(p["password"], "pw");
    let u = rust(build_connection_uri(js(source()), None).unwrap());
    assert_eq!(
        u["uri"],
        "postgresql://reader@db.example.com:5432/analytics?sslmode=verify-full"
    );
    let u = rust(
        build_connection_uri(
            js(source()),
            Some(js(json!({"show_password": true})).unchecked_into()),
        )
        .unwrap(),
    );
    assert!(u["uri"].as_str().unwrap().contains("reader:s3cret@"));
    let e = rust(explain_error(js(json!({"sqlstate": "28P01", "message": "password authentication failed for user \"x\""}))).unwrap());
    assert_eq!(e["code"], "auth/password-failed");
    let j = rust(extract_json_path(js(json!({"a": [1, {"b": 2}]})), "$.a[1].b").unwrap());
    assert_eq!(
        j,
        json!({"outcome": "nodes", "nodes": [2], "paths": ["$['a'][1]['b']"]})
    );
    let j = rust(extract_json_path(js(json!({})), "$.a[").unwrap());
    assert_eq!(j["outcome"], "invalid_path");
}

#[wasm_bindgen_test]
fn validate_datastore_change_checks_a_patch_as_the_server_will() {
    let kind = || JsValue::from_str("source");
    let r = rust(
        validate_datastore_change(
            js(json!({"schema": "sales", "enrichment_prefix": null})),
            kind(),
        )
        .unwrap(),
    );
    assert_eq!(
        r,
        json!({"valid": true, "errors": 0, "warnings": 0, "diagnostics": []})
    );
    let r =
        rust(validate_datastore_change(js(json!({"host": "db2", "shema": "x"})), kind()).unwrap());
    assert_eq!(r["errors"], 2, "{r}");
    let paths: Vec<&str> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/host") && paths.contains(&"/shema"), "{r}");
    // the kind is an argument, and a wrong one throws
    let e = validate_datastore_change(js(json!({})), JsValue::from_str("sideways")).unwrap_err();
    assert_eq!(error_code(e), "arguments/invalid");
}

//! # pgconnect-wasm
//!
//! The core for JavaScript, built into `pkg/` by wasm-pack. A thin binding: every export reads its
//! arguments as JSON text (`JSON.stringify`, then serde_json — the form the CLI reads), calls one
//! core function and serialises the result (serde-wasm-bindgen) — no logic of its own. Results
//! are data in the same JSON as the CLI's `--format json`; only malformed arguments throw, as an
//! `Error` with a `code` property.
//!
//! The TypeScript types of every signature come from the Rust types (ts-rs, see `types.rs`, which
//! writes `types.d.ts`; that file is embedded here as a custom section of the `.d.ts`).

use pgconnect_core::connstr::{build_uri, parse_connection_string};
use pgconnect_core::explain::{ErrorInput, explain};
use pgconnect_core::grants::{GrantOptions, grant_sql, revoke_sql};
use pgconnect_core::hba::{HbaOptions, hba_line};
use pgconnect_core::jsonpath::JsonPath;
use pgconnect_core::resolve::{SecretMap, SecretValue, resolve};
use pgconnect_core::scram::{DEFAULT_ITERATIONS, SALT_LEN, ScramVerifier};
use pgconnect_core::validate::parse_secrets_management;
use pgconnect_core::vault::{self, HttpResponse};
use pgconnect_core::{
    DatastoreKind, Secret, analyze, analyze_datastore_patch, validate as core_validate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

mod wire;

use wire::{
    BuildUriOptions, GeneratedText, GrantSqlOptions, HttpRequestJs, HttpResponseJs, JsonPathResult,
    ResolutionJs, UriResult, VaultRequestResult, VaultSecretResult,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../types.d.ts");

#[wasm_bindgen]
extern "C" {
    /// An optional `BuildUriOptions` argument (an imported type, so the parameter is `options?`).
    #[wasm_bindgen(typescript_type = "BuildUriOptions")]
    pub type BuildUriOptionsArg;
}

// ---------------------------------------------------------------------------------------------
// The one error path: a malformed argument throws `Error` with `code`.

/// Throws `Error(message)` with `error.code = code`.
fn malformed(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

/// Reads an argument as JSON text, the form the CLI and the server read too.
///
/// `JSON.stringify` refuses cycles and `BigInt` with an exception (caught here), drops
/// `undefined` members and functions, and turns `NaN`/`Infinity` into `null`; serde_json refuses
/// nesting deeper than 128 levels. Reading JavaScript objects directly instead (serde-wasm-bindgen)
/// recursed without a limit: a cyclic or very deep object overflowed the module's stack and left
/// the module unusable. It was also slower (8 µs against 4 µs for a datastore payload).
fn input<T: DeserializeOwned>(value: JsValue, name: &str) -> Result<T, JsValue> {
    let text = json_text(&value, name)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = match e.path().to_string().as_str() {
            "." => name.to_owned(),
            path if path.starts_with('[') => format!("{name}{path}"),
            path => format!("{name}.{path}"),
        };
        shape_error(&at, e.inner())
    })
}

/// A JSON value argument (a payload, a document): no field path to track.
fn input_value(value: JsValue, name: &str) -> Result<Value, JsValue> {
    let text = json_text(&value, name)?;
    serde_json::from_str(&text).map_err(|e| shape_error(name, &e))
}

fn json_text(value: &JsValue, name: &str) -> Result<String, JsValue> {
    if value.is_undefined() {
        return Ok("null".to_owned());
    }
    match js_sys::JSON::stringify(value) {
        // `undefined` for a function or a symbol: no JSON value, like a missing argument.
        Ok(text) => Ok(text.as_string().unwrap_or_else(|| "null".to_owned())),
        Err(e) => {
            let why = e
                .dyn_ref::<js_sys::Error>()
                .and_then(|e| e.message().as_string())
                .unwrap_or_default();
            let why = why.lines().next().unwrap_or_default();
            Err(malformed(
                "arguments/invalid",
                &format!(
                    "{name} cannot be read as JSON ({why}); pass plain objects, arrays, strings, \
                     numbers and booleans, without cycles or BigInt"
                ),
            ))
        }
    }
}

fn shape_error(at: &str, e: &serde_json::Error) -> JsValue {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message);
    let message = if message.starts_with("recursion limit exceeded") {
        "it nests deeper than 128 levels".to_owned()
    } else {
        without_value(message)
    };
    malformed(
        "arguments/invalid",
        &format!("{at} does not have the expected shape: {message}"),
    )
}

/// serde quotes the value it did not expect (`invalid type: integer `1234`, expected a string`);
/// that value may be a password given as a number, so the message keeps only its kind.
fn without_value(message: &str) -> String {
    let Some((what, rest)) = ["invalid type: ", "invalid value: "]
        .into_iter()
        .find_map(|what| Some((what, message.strip_prefix(what)?)))
    else {
        return message.to_owned();
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    let kind = found
        .split(['`', '"'])
        .next()
        .unwrap_or_default()
        .trim_end();
    format!("{what}{kind}, expected {expected}")
}

fn output<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| malformed("output/serialize", &format!("cannot build the result: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Payloads

/// Validates a datastore payload (Qualytics- or CRAFT-style) and reports every problem.
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn validate(
    #[wasm_bindgen(unchecked_param_type = "DatastorePayload | Record<string, unknown>")]
    payload: JsValue,
) -> Result<JsValue, JsValue> {
    let payload = input_value(payload, "payload")?;
    output(&core_validate(&payload))
}

/// Checks a change to a stored datastore of kind `kind` — the body of
/// `PATCH /api/datastores/{id}` — as the server will: each field present as on a new datastore,
/// and a field the change cannot carry (a connection's, the kind, a misspelt one) an error that
/// says where it is changed instead.
#[wasm_bindgen(js_name = validateDatastoreChange, unchecked_return_type = "Report")]
pub fn validate_datastore_change(
    #[wasm_bindgen(unchecked_param_type = "DatastoreChange | Record<string, unknown>")]
    change: JsValue,
    #[wasm_bindgen(unchecked_param_type = "DatastoreKind")] kind: JsValue,
) -> Result<JsValue, JsValue> {
    let change = input_value(change, "change")?;
    if !kind.is_string() {
        return Err(malformed(
            "arguments/invalid",
            "kind is missing: give the stored datastore's kind, \"source\" or \"enrichment\"",
        ));
    }
    let kind: DatastoreKind = input(kind, "kind")?;
    output(&analyze_datastore_patch(&change, kind).0)
}

/// Substitutes the payload's `${key}` placeholders from `secrets` and validates the result.
#[wasm_bindgen(js_name = resolvePlaceholders, unchecked_return_type = "Resolution")]
pub fn resolve_placeholders(
    #[wasm_bindgen(unchecked_param_type = "DatastorePayload | Record<string, unknown>")]
    payload: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string | number | boolean>")]
    secrets: JsValue,
) -> Result<JsValue, JsValue> {
    let payload = input_value(payload, "payload")?;
    let secrets: serde_json::Map<String, Value> = input(secrets, "secrets")?;
    let resolution = resolve(&payload, &SecretMap::from_object(&secrets), None);
    output(&ResolutionJs::from(resolution))
}

/// Builds a libpq URI from a payload (password left out unless `show_password`).
#[wasm_bindgen(js_name = buildConnectionUri, unchecked_return_type = "UriResult")]
pub fn build_connection_uri(
    #[wasm_bindgen(unchecked_param_type = "DatastorePayload | Record<string, unknown>")]
    payload: JsValue,
    options: Option<BuildUriOptionsArg>,
) -> Result<JsValue, JsValue> {
    let payload = input_value(payload, "payload")?;
    let options: BuildUriOptions = match options.map(JsValue::from) {
        Some(o) if !o.is_undefined() && !o.is_null() => input(o, "options")?,
        _ => BuildUriOptions::default(),
    };
    let analysis = analyze(&payload, None);
    let result = match analysis.request {
        None => UriResult::failed(analysis.report),
        Some(request) => match build_uri(&request, options.show_password.unwrap_or(false)) {
            Ok(uri) => UriResult {
                uri: Some(uri),
                report: analysis.report.into(),
            },
            Err(report) => UriResult::failed(report),
        },
    };
    output(&result)
}

/// Parses a libpq URI, a libpq keyword/value string or a JDBC URL into the payload's fields.
#[wasm_bindgen(js_name = parseConnectionString, unchecked_return_type = "ParsedConnectionString")]
pub fn parse_connection_string_js(text: &str) -> Result<JsValue, JsValue> {
    output(&parse_connection_string(text).to_json())
}

// ---------------------------------------------------------------------------------------------
// SQL and configuration

/// The GRANT script for a source or enrichment role. A `password` is written as a SCRAM verifier
/// (with `salt`, base64 of 16 bytes, or 16 random bytes from `crypto.getRandomValues`).
#[wasm_bindgen(js_name = grantSql, unchecked_return_type = "GeneratedText")]
pub fn grant_sql_js(
    #[wasm_bindgen(unchecked_param_type = "GrantSqlOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = grant_options(input(options, "options")?)?;
    output(&GeneratedText::from(grant_sql(&options)))
}

/// The script that revokes what `grantSql` granted for the same options.
#[wasm_bindgen(js_name = revokeSql, unchecked_return_type = "GeneratedText")]
pub fn revoke_sql_js(
    #[wasm_bindgen(unchecked_param_type = "GrantSqlOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = grant_options(input(options, "options")?)?;
    output(&GeneratedText::from(revoke_sql(&options)))
}

fn grant_options(o: GrantSqlOptions) -> Result<GrantOptions, JsValue> {
    let password = match &o.password {
        None => None,
        Some(pw) => {
            let salt = match &o.salt {
                Some(b64) => {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|_| {
                            malformed("arguments/invalid", "options.salt is not base64")
                        })?;
                    if bytes.len() != SALT_LEN {
                        return Err(malformed(
                            "arguments/invalid",
                            "options.salt must be 16 bytes (24 base64 characters)",
                        ));
                    }
                    bytes
                }
                None => random_salt()?,
            };
            // NFKC from the JavaScript engine: the same normalisation, without shipping tables.
            let nfkc = |s: &str| {
                js_sys::JsString::from(s)
                    .normalize("NFKC")
                    .as_string()
                    .unwrap_or_else(|| s.to_owned())
            };
            Some(ScramVerifier::compute_with_nfkc(
                &Secret::new(pw.clone()),
                &salt,
                DEFAULT_ITERATIONS,
                nfkc,
            ))
        }
    };
    Ok(GrantOptions {
        kind: o.kind,
        role: o.role,
        database: o.database,
        schemas: o.schemas,
        owner: o.owner,
        create_role: o.create_role.unwrap_or(false),
        password,
    })
}

/// 16 random bytes from `globalThis.crypto.getRandomValues` (browsers and Node 20).
fn random_salt() -> Result<Vec<u8>, JsValue> {
    let no_crypto = || {
        malformed(
            "environment/no-crypto",
            "crypto.getRandomValues is not available: pass options.salt",
        )
    };
    let crypto = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|_| no_crypto())?;
    let get_random = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .map_err(|_| no_crypto())?;
    let get_random: js_sys::Function = get_random.dyn_into().map_err(|_| no_crypto())?;
    let array = js_sys::Uint8Array::new_with_length(SALT_LEN as u32);
    get_random.call1(&crypto, &array).map_err(|_| no_crypto())?;
    Ok(array.to_vec())
}

/// A pg_hba.conf line for the role.
#[wasm_bindgen(js_name = hbaLine, unchecked_return_type = "GeneratedText")]
pub fn hba_line_js(
    #[wasm_bindgen(unchecked_param_type = "HbaOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: HbaOptions = input(options, "options")?;
    output(&GeneratedText::from(hba_line(&options)))
}

/// Explains a connection error: cause, fix, fix SQL, fields to highlight.
#[wasm_bindgen(js_name = explainError, unchecked_return_type = "Explanation")]
pub fn explain_error(
    #[wasm_bindgen(unchecked_param_type = "ErrorInput")] error: JsValue,
) -> Result<JsValue, JsValue> {
    let error: ErrorInput = input(error, "error")?;
    output(&explain(&error))
}

// ---------------------------------------------------------------------------------------------
// The vault flow without I/O: the caller sends the requests with its own fetch.

/// Step 1: the login request to send.
#[wasm_bindgen(js_name = vaultLoginRequest, unchecked_return_type = "VaultRequestResult")]
pub fn vault_login_request(
    #[wasm_bindgen(unchecked_param_type = "SecretsManagementSettings")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let config = input_value(config, "config")?;
    let result = match parse_secrets_management(&config) {
        Err(report) => VaultRequestResult::invalid(report),
        Ok(sm) => VaultRequestResult::Request {
            request: HttpRequestJs::from(&vault::login_request(&sm)),
        },
    };
    output(&result)
}

/// Step 2: given the login answer, the request that reads the secret (or why the login failed).
#[wasm_bindgen(js_name = vaultReadRequest, unchecked_return_type = "VaultRequestResult")]
pub fn vault_read_request(
    #[wasm_bindgen(unchecked_param_type = "SecretsManagementSettings")] config: JsValue,
    #[wasm_bindgen(js_name = "loginResponse", unchecked_param_type = "HttpResponse")]
    login_response: JsValue,
) -> Result<JsValue, JsValue> {
    let config = input_value(config, "config")?;
    let response: HttpResponseJs = input(login_response, "loginResponse")?;
    let result = match parse_secrets_management(&config) {
        Err(report) => VaultRequestResult::invalid(report),
        Ok(sm) => match vault::token_from_login(&sm, &HttpResponse::from(response)) {
            Ok(token) => VaultRequestResult::Request {
                request: HttpRequestJs::from(&vault::read_request(&sm, &token)),
            },
            Err(error) => VaultRequestResult::VaultError { error },
        },
    };
    output(&result)
}

/// Step 3: given the read answer, the secret's key/value pairs (or why there are none).
#[wasm_bindgen(js_name = vaultSecret, unchecked_return_type = "VaultSecretResult")]
pub fn vault_secret(
    #[wasm_bindgen(unchecked_param_type = "SecretsManagementSettings")] config: JsValue,
    #[wasm_bindgen(js_name = "readResponse", unchecked_param_type = "HttpResponse")]
    read_response: JsValue,
) -> Result<JsValue, JsValue> {
    let config = input_value(config, "config")?;
    let response: HttpResponseJs = input(read_response, "readResponse")?;
    let result = match parse_secrets_management(&config) {
        Err(report) => VaultSecretResult::InvalidSettings {
            report: report.into(),
        },
        Ok(sm) => match vault::secret_from_read(&sm, &HttpResponse::from(response)) {
            Ok(secret) => VaultSecretResult::Secret {
                secret: secret
                    .keys()
                    .filter_map(|k| match secret.get(k) {
                        Some(SecretValue::Text(v)) => Some((k.to_owned(), v.expose().to_owned())),
                        _ => None,
                    })
                    .collect(),
            },
            Err(error) => VaultSecretResult::VaultError { error },
        },
    };
    output(&result)
}

/// Evaluates a JSONPath (RFC 9535, jsonpath-rust) on a JSON document.
#[wasm_bindgen(js_name = extractJsonPath, unchecked_return_type = "JsonPathResult")]
pub fn extract_json_path(
    #[wasm_bindgen(unchecked_param_type = "JsonValue")] document: JsValue,
    path: &str,
) -> Result<JsValue, JsValue> {
    let document = input_value(document, "document")?;
    let result = match JsonPath::compile(path) {
        Err(error) => JsonPathResult::InvalidPath { error },
        Ok(p) => {
            let (paths, nodes) = p
                .select_with_paths(&document)
                .into_iter()
                .map(|(path, node)| (path, node.clone()))
                .unzip();
            JsonPathResult::Nodes { nodes, paths }
        }
    };
    output(&result)
}

/// The version of the package (and of pgconnect-core).
#[wasm_bindgen]
#[must_use]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod types;

//! Generates `types.d.ts` — the TypeScript interfaces of every type the JavaScript API takes or
//! returns — from the Rust types (ts-rs), and fails when the committed file is out of date.
//! `PGCONNECT_BLESS=1 cargo test -p pgconnect-wasm types` rewrites it.

use pgconnect_core::connstr::{Format, ParsedConnectionStringJson};
use pgconnect_core::diagnostic::{Diagnostic, ReportJson, Severity};
use pgconnect_core::explain::{ClientFailure, ErrorContext, ErrorInput, Explanation, Field};
use pgconnect_core::hba::HbaOptions;
use pgconnect_core::jsonpath::JsonPathError;
use pgconnect_core::model::{ConnectionId, DatastoreKind, SslMode};
use pgconnect_core::vault::{Method, Stage, VaultError};
use pgconnect_core::wire::{
    CraftAsset, CraftConfig, CraftCredentials, CredentialsPayload, DatastoreChange,
    DatastorePayload, Port, QualyticsConnection, QualyticsDatastore, SecretsManagementSettings,
};
use ts_rs::{Config, TS};

use crate::wire::{
    BuildUriOptions, GeneratedText, GrantSqlOptions, HttpRequestJs, HttpResponseJs, JsonPathResult,
    ResolutionJs, UriResult, VaultRequestResult, VaultSecretResult,
};

const HEADER: &str = "\
// Generated from the Rust types by crates/wasm/src/types.rs (ts-rs). Do not edit by hand:
// PGCONNECT_BLESS=1 cargo test -p pgconnect-wasm types regenerates it.

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
";

fn declarations() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        // payloads
        DatastorePayload::decl(&cfg),
        DatastoreChange::decl(&cfg),
        QualyticsDatastore::decl(&cfg),
        QualyticsConnection::decl(&cfg),
        CraftAsset::decl(&cfg),
        CraftConfig::decl(&cfg),
        CraftCredentials::decl(&cfg),
        Port::decl(&cfg),
        SecretsManagementSettings::decl(&cfg),
        CredentialsPayload::decl(&cfg),
        ConnectionId::decl(&cfg),
        SslMode::decl(&cfg),
        DatastoreKind::decl(&cfg),
        // diagnostics
        ReportJson::decl(&cfg),
        Diagnostic::decl(&cfg),
        Severity::decl(&cfg),
        ResolutionJs::decl(&cfg).replace("type ResolutionJs", "type Resolution"),
        UriResult::decl(&cfg),
        BuildUriOptions::decl(&cfg),
        // connection strings
        ParsedConnectionStringJson::decl(&cfg),
        Format::decl(&cfg),
        // SQL and configuration
        GrantSqlOptions::decl(&cfg),
        HbaOptions::decl(&cfg),
        GeneratedText::decl(&cfg),
        // explanations
        ErrorInput::decl(&cfg),
        ErrorContext::decl(&cfg),
        ClientFailure::decl(&cfg),
        Explanation::decl(&cfg),
        Field::decl(&cfg),
        // vault
        HttpRequestJs::decl(&cfg).replace("type HttpRequestJs", "type HttpRequest"),
        HttpResponseJs::decl(&cfg),
        Method::decl(&cfg),
        VaultRequestResult::decl(&cfg).replace("HttpRequestJs", "HttpRequest"),
        VaultSecretResult::decl(&cfg),
        VaultError::decl(&cfg),
        Stage::decl(&cfg),
        JsonPathResult::decl(&cfg),
        JsonPathError::decl(&cfg),
    ];
    let mut out = String::from(HEADER);
    for decl in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(decl.trim());
        out.push('\n');
    }
    out
}

#[test]
fn types_d_ts_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/types.d.ts");
    let generated = declarations();
    if std::env::var("PGCONNECT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "crates/wasm/types.d.ts is out of date with the Rust types: run \
         PGCONNECT_BLESS=1 cargo test -p pgconnect-wasm types"
    );
    assert!(!mentions_any(&generated), "no `any` in the API's types");
}

/// True when `any` is used as a type (outside comments).
pub fn mentions_any(ts: &str) -> bool {
    ts.lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('*') && !l.starts_with("/*") && !l.starts_with("//"))
        .any(|l| {
            l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| word == "any")
        })
}

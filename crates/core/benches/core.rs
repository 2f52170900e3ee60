//! Criterion benchmarks of the core's hot paths: `validate` on each example payload (the JSON
//! already parsed, as the server and WASM hold it; and from text, as the CLI reads it), `grant_sql`,
//! and connection-string parsing.
//!
//! Run: `cargo bench -p pgconnect-core` (or `scripts/bench.sh`, which prints the medians).
//! Target: `validate` under 5 µs per payload natively.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use pgconnect_core::connstr::parse_connection_string;
use pgconnect_core::grants::{GrantOptions, grant_sql};
use pgconnect_core::scram::ScramVerifier;
use pgconnect_core::{DatastoreKind, Secret, validate};

fn payloads() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn bench_validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    for (name, text) in payloads() {
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        group.bench_with_input(BenchmarkId::new("value", &name), &value, |b, v| {
            b.iter(|| validate(black_box(v)));
        });
    }
    let (name, text) = payloads()
        .into_iter()
        .find(|(n, _)| n == "qualytics-source")
        .unwrap();
    group.bench_with_input(BenchmarkId::new("from-text", &name), &text, |b, t| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(t)).unwrap();
            validate(&v)
        });
    });
    let invalid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid/wrong-types.json");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(invalid).unwrap()).unwrap();
    group.bench_with_input(
        BenchmarkId::new("value", "invalid-wrong-types"),
        &value,
        |b, v| {
            b.iter(|| validate(black_box(v)));
        },
    );
    group.finish();
}

fn bench_grants(c: &mut Criterion) {
    let mut group = c.benchmark_group("grant_sql");
    let mut options = GrantOptions {
        kind: DatastoreKind::Source,
        role: "qualytics_read".into(),
        database: "analytics".into(),
        schemas: vec!["public".into(), "Sales Data".into()],
        owner: Some("app_owner".into()),
        create_role: true,
        password: None,
    };
    group.bench_function("source-2-schemas", |b| {
        b.iter(|| grant_sql(black_box(&options)))
    });
    options.kind = DatastoreKind::Enrichment;
    group.bench_function("enrichment-2-schemas", |b| {
        b.iter(|| grant_sql(black_box(&options)))
    });
    group.finish();
    // The SCRAM verifier is 4096 PBKDF2 rounds by design; measured separately so it does not hide
    // the SQL writer's cost.
    c.bench_function("scram_verifier_4096", |b| {
        b.iter(|| ScramVerifier::compute(black_box(&Secret::new("pw")), &[7; 16], 4096));
    });
}

fn bench_connstr(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_connection_string");
    for (name, s) in [
        (
            "uri",
            "postgresql://reader:p%40ss@db.example.com:5433/analytics?sslmode=verify-full",
        ),
        (
            "keyword-value",
            "host=db.example.com port=5433 dbname=analytics user=reader sslmode=verify-full",
        ),
        (
            "jdbc",
            "jdbc:postgresql://db.example.com:5433/analytics?user=reader&sslmode=verify-full",
        ),
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(name), &s, |b, s| {
            b.iter(|| parse_connection_string(black_box(s)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_validate, bench_grants, bench_connstr);
criterion_main!(benches);

//! Test Connection against the floor, side by side in one run on loopback (a real PostgreSQL
//! started for the run): a bare tokio-postgres connect + `SELECT 1` versus the full staged check
//! (validate, resolve, connect, authenticate, inspect, audit, recommendations), interleaved so both
//! see the same machine. Then the audit on a schema of 5,000 tables.
//!
//! `cargo bench -p pgconnect-live --bench live_check` (or `scripts/bench.sh live`). Prints a table
//! and writes `target/bench-live.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use pgconnect_core::check::{CheckReport, StageName};
use pgconnect_live::check::{CheckInput, CheckOptions, run_check};
use pgconnect_testkit::pg::{PgOptions, PgServer};
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA, psql_ok};
use serde_json::{Value, json};

const RUNS: usize = 300;
const WARMUP: usize = 30;
const BIG_TABLES: usize = 5_000;
const BIG_RUNS: usize = 30;

fn payload(pg: &PgServer, schema: &str) -> Value {
    json!({
        "name": "bench", "type": "postgresql",
        "config": {"host": "127.0.0.1", "port": pg.port(), "database": DB, "schema": schema, "ssl_mode": "disable"},
        "credentials": {"username": READER, "password": PASSWORD}
    })
}

/// The floor: connect and log in, then `SELECT 1`. Returns (connect, total).
async fn floor(pg: &PgServer) -> (Duration, Duration) {
    let started = Instant::now();
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(pg.port())
        .user(READER)
        .password(PASSWORD)
        .dbname(DB);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    let task = tokio::spawn(connection);
    let connected = started.elapsed();
    client.simple_query("SELECT 1").await.unwrap();
    let total = started.elapsed();
    drop(client);
    let _ = task.await;
    (connected, total)
}

async fn check(p: &Value) -> (Duration, CheckReport) {
    let started = Instant::now();
    let r = run_check(
        CheckInput {
            payload: Some(p),
            ..CheckInput::default()
        },
        &CheckOptions::default(),
    )
    .await
    .unwrap();
    let took = started.elapsed();
    assert!(r.passed(), "{r:#?}");
    (took, r)
}

fn stage_ms(r: &CheckReport, names: &[StageName]) -> f64 {
    names
        .iter()
        .filter_map(|n| r.stage(*n))
        .map(|s| s.elapsed_ms)
        .sum()
}

struct Stats {
    median: f64,
    p95: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p95: at(0.95),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pg = shop::start(PgOptions {
        config: vec!["max_connections = 50".to_owned()],
        ..PgOptions::default()
    })
    .unwrap();
    let p = payload(&pg, SCHEMA);

    let mut per_stage: Vec<Vec<f64>> = vec![Vec::new(); StageName::ALL.len()];
    let (mut floor_connect, mut floor_total) = (Vec::new(), Vec::new());
    let (mut check_connect, mut check_total, mut check_latency) =
        (Vec::new(), Vec::new(), Vec::new());
    rt.block_on(async {
        for i in 0..WARMUP + RUNS {
            let (fc, ft) = floor(&pg).await;
            let (took, r) = check(&p).await;
            if i >= WARMUP {
                floor_connect.push(ms(fc));
                floor_total.push(ms(ft));
                check_total.push(ms(took));
                check_connect.push(stage_ms(
                    &r,
                    &[
                        StageName::Resolve,
                        StageName::Connect,
                        StageName::Tls,
                        StageName::Authenticate,
                    ],
                ));
                check_latency.push(r.latency_ms.unwrap_or_default() as f64);
                for (i, name) in StageName::ALL.iter().enumerate() {
                    per_stage[i].push(stage_ms(&r, &[*name]));
                }
            }
        }
    });
    let (fc, ft, cc, ct, cl) = (
        stats(floor_connect),
        stats(floor_total),
        stats(check_connect),
        stats(check_total),
        stats(check_latency),
    );
    println!("Test Connection on loopback, {RUNS} runs each, interleaved (ms)");
    println!("{:<52} {:>8} {:>8}", "", "median", "p95");
    let row = |name: &str, s: &Stats| println!("{name:<52} {:>8.2} {:>8.2}", s.median, s.p95);
    row("floor: tokio-postgres connect (log-in)", &fc);
    row("floor: connect + SELECT 1", &ft);
    row("check: resolve + connect + TLS + authenticate", &cc);
    row("check: latency_ms (connect to first answer, whole ms)", &cl);
    row("check: whole staged check", &ct);
    for (i, name) in StageName::ALL.iter().enumerate() {
        row(
            &format!("  stage {}", name.as_str()),
            &stats(per_stage[i].clone()),
        );
    }
    let connect_ratio = cc.median / fc.median;
    let total_ratio = ct.median / ft.median;
    println!("connect ratio   {connect_ratio:.2}× the floor's connect   (target ≤ 1.2×)");
    println!("whole ratio     {total_ratio:.2}× connect + SELECT 1      (target ≤ 2×)");

    // The audit on 5,000 tables.
    psql_ok(&pg, DB, "CREATE SCHEMA big AUTHORIZATION shop_owner;").unwrap();
    for start in (0..BIG_TABLES).step_by(1000) {
        let sql = format!(
            "SET ROLE shop_owner; DO $$ BEGIN FOR i IN {}..{} LOOP \
             EXECUTE format('CREATE TABLE big.t%s (id bigint PRIMARY KEY, v text)', i); END LOOP; END $$;",
            start + 1,
            start + 1000
        );
        psql_ok(&pg, DB, &sql).unwrap();
    }
    psql_ok(
        &pg,
        DB,
        "GRANT USAGE ON SCHEMA big TO shop_reader; GRANT SELECT ON ALL TABLES IN SCHEMA big TO shop_reader;
         ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA big GRANT SELECT ON TABLES TO shop_reader;",
    )
    .unwrap();
    let big = payload(&pg, "big");
    let (mut audit, mut inspect, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    rt.block_on(async {
        for i in 0..5 + BIG_RUNS {
            let (took, r) = check(&big).await;
            assert_eq!(r.table_count, Some(BIG_TABLES as u64));
            if i >= 5 {
                audit.push(stage_ms(&r, &[StageName::Privileges]));
                inspect.push(stage_ms(&r, &[StageName::Inspect]));
                whole.push(ms(took));
            }
        }
    });
    let (a, ins, w) = (stats(audit), stats(inspect), stats(whole));
    println!("\nSchema with {BIG_TABLES} tables, {BIG_RUNS} runs (ms)");
    row("inspect (version, role, schemas, table count)", &ins);
    row("privilege audit (target < 300 ms)", &a);
    row("whole staged check", &w);

    let out = json!({
        "runs": RUNS,
        "floor_connect_ms": {"median": fc.median, "p95": fc.p95},
        "floor_connect_select1_ms": {"median": ft.median, "p95": ft.p95},
        "check_connect_ms": {"median": cc.median, "p95": cc.p95},
        "check_latency_ms": {"median": cl.median, "p95": cl.p95},
        "check_total_ms": {"median": ct.median, "p95": ct.p95},
        "connect_ratio": connect_ratio,
        "total_ratio": total_ratio,
        "big_schema_tables": BIG_TABLES,
        "audit_ms": {"median": a.median, "p95": a.p95},
        "big_inspect_ms": {"median": ins.median, "p95": ins.p95},
        "big_total_ms": {"median": w.median, "p95": w.p95},
    });
    let path = pgconnect_testkit::workspace_root().join("target/bench-live.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("\nwritten to {}", path.display());
}

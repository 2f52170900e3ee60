//! Catalog discovery on a schema of 10,000 tables × 10 columns, side by side in one run with
//! SQLAlchemy's inspector (`get_multi_columns` + `get_multi_pk_constraint`) on the same database
//! of a PostgreSQL started for the run. Both read on a warm connection; both end with the
//! columns and primary keys of every table in memory.
//!
//! `scripts/bench-catalog.sh` (installs SQLAlchemy and psycopg2 into the project's virtualenv and
//! sets PGCONNECT_PYTHON). Prints a table and writes `target/bench-catalog.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use pgconnect_live::catalog::{discover, run_catalog};
use pgconnect_live::check::{CheckInput, CheckOptions};
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, psql_ok};
use serde_json::{Value, json};

const TABLES: usize = 10_000;
const RUNS: usize = 10;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let python = std::env::var("PGCONNECT_PYTHON")
        .expect("PGCONNECT_PYTHON: run scripts/bench-catalog.sh, which installs SQLAlchemy");
    let pg = shop::start(PgOptions::default()).unwrap();
    println!("creating {TABLES} tables × 10 columns …");
    psql_ok(&pg, DB, "CREATE SCHEMA wide AUTHORIZATION shop_owner;").unwrap();
    for start in (0..TABLES).step_by(1000) {
        // every 10th table without a primary key; a timestamp and a date on each
        let sql = format!(
            "SET ROLE shop_owner; DO $$ BEGIN FOR i IN {}..{} LOOP EXECUTE format(\
             'CREATE TABLE wide.t%s (id bigint %s, customer_id bigint NOT NULL, name text, \
              amount numeric(12,2), status varchar(20), created_at timestamptz, updated_at timestamp, \
              day date, flags boolean, payload jsonb)', i, CASE WHEN i % 10 = 0 THEN '' ELSE 'PRIMARY KEY' END); \
             END LOOP; END $$;",
            start + 1,
            start + 1000
        );
        psql_ok(&pg, DB, &sql).unwrap();
    }
    psql_ok(
        &pg,
        DB,
        "GRANT USAGE ON SCHEMA wide TO shop_reader; GRANT SELECT ON ALL TABLES IN SCHEMA wide TO shop_reader; ANALYZE;",
    )
    .unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // pgconnect: the three queries on a warm connection
    let (ours, whole, tables, columns, without_pk) = rt.block_on(async {
        let mut config = tokio_postgres::Config::new();
        config.host("127.0.0.1").port(pg.port()).user(READER).password(PASSWORD).dbname(DB);
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
        let task = tokio::spawn(connection);
        let mut times = Vec::new();
        let mut last = None;
        for i in 0..RUNS + 2 {
            let started = Instant::now();
            let c = discover(&client, DB, "wide", Duration::from_secs(30)).await.unwrap();
            if i >= 2 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            last = Some(c);
        }
        drop(client);
        let _ = task.await;
        let c = last.unwrap();
        // and end to end, as the server runs it: the live check, then discovery
        let payload = json!({
            "name": "bench", "type": "postgresql",
            "config": {"host": "127.0.0.1", "port": pg.port(), "database": DB, "schema": "wide", "ssl_mode": "disable"},
            "credentials": {"username": READER, "password": PASSWORD}
        });
        let mut whole = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let options = CheckOptions { total_timeout: Duration::from_secs(120), ..CheckOptions::default() };
            let input = CheckInput { payload: Some(&payload), shape: None, kind: None };
            let (_, catalog) = run_catalog(input, &options, Duration::from_secs(30)).await.unwrap();
            assert_eq!(catalog.unwrap().unwrap().tables.len(), TABLES);
            whole.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        (times, whole, c.tables.len(), c.column_count, c.tables_without_primary_key.len())
    });
    assert_eq!(
        (tables, columns, without_pk),
        (TABLES, TABLES * 10, TABLES / 10)
    );

    // SQLAlchemy on the same database
    let url = format!(
        "postgresql+psycopg2://{READER}:{}@127.0.0.1:{}/{DB}",
        "Sh0p-role-pw%21",
        pg.port()
    );
    let out = std::process::Command::new(&python)
        .args([
            "scripts/sqlalchemy_catalog.py",
            &url,
            "wide",
            &RUNS.to_string(),
        ])
        .current_dir(pgconnect_testkit::workspace_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sa: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sa["tables"], TABLES);
    assert_eq!(sa["columns"], TABLES * 10);
    assert_eq!(sa["primary_keys"], TABLES - TABLES / 10);
    let sa_ms: Vec<f64> = sa["seconds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap() * 1000.0)
        .collect();

    let (o, w, s) = (median(ours), median(whole), median(sa_ms));
    let speedup = s / o;
    println!("\nCatalog of {TABLES} tables × 10 columns, median of {RUNS} runs");
    println!("pgconnect discover (3 queries)        {o:>9.1} ms   (target < 2000 ms)");
    println!("pgconnect check + discover (new conn) {w:>9.1} ms");
    println!(
        "SQLAlchemy {} inspector        {s:>9.1} ms",
        sa["sqlalchemy"].as_str().unwrap_or("?")
    );
    println!("speed-up                              {speedup:>9.1}×     (target ≥ 5×)");
    let json = json!({
        "tables": TABLES, "columns": TABLES * 10, "runs": RUNS,
        "pgconnect_discover_ms": o, "pgconnect_check_and_discover_ms": w,
        "sqlalchemy_version": sa["sqlalchemy"], "sqlalchemy_ms": s, "speedup": speedup,
    });
    let path = pgconnect_testkit::workspace_root().join("target/bench-catalog.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    println!("written to {}", path.display());
}

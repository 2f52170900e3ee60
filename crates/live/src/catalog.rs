//! Catalog discovery ("Initiate Sync"): the datastore's schema read in three set-based
//! `pg_catalog` queries — relations, columns, primary keys — in one read-only transaction under a
//! statement timeout, whatever the number of tables. The connection is the one the live check
//! vetted (network policy, TLS, vault), so discovery is [`run_catalog`]: a check, then the reading.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pgconnect_core::Report;
use pgconnect_core::catalog::{
    Catalog, Column, IncrementalCandidate, Table, TableKind, assemble, incremental_reason,
};
use tokio_postgres::Client;

use crate::check::{CheckInput, CheckOptions, CheckReport, run_check_then};

/// Relations of the schema that a scan could read; partitions are read through their parent.
const RELATIONS: &str = "\
SELECT c.oid::int8 AS oid, c.relname::text AS name, c.relkind::text AS kind,
       c.reltuples::float8 AS reltuples, has_table_privilege(c.oid, 'SELECT') AS readable
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition";

/// Their columns, in order, with what an incremental scan needs to know.
const COLUMNS: &str = "\
SELECT a.attrelid::int8 AS oid, a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
       NOT a.attnotnull AS nullable, a.atttypid::int8 AS type_oid,
       a.attidentity <> '' AS identity,
       COALESCE(pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false) AS serial
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

/// Primary keys, column by column in key order.
const PRIMARY_KEYS: &str = "\
SELECT con.conrelid::int8 AS oid, a.attname::text AS name
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_namespace n ON n.oid = con.connamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE con.contype = 'p' AND n.nspname = $1
ORDER BY con.conrelid, k.position";

/// Reads `schema`'s catalog through `client`, each query bounded by `statement_timeout`.
pub async fn discover(
    client: &Client,
    database: &str,
    schema: &str,
    statement_timeout: Duration,
) -> Result<Catalog, tokio_postgres::Error> {
    let started = Instant::now();
    // one snapshot for the three queries; nothing is written
    client
        .batch_execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = {}",
            statement_timeout.as_millis().max(1)
        ))
        .await?;
    let relations = client.query(RELATIONS, &[&schema]).await?;
    let columns = client.query(COLUMNS, &[&schema]).await?;
    let keys = client.query(PRIMARY_KEYS, &[&schema]).await?;
    client.batch_execute("COMMIT").await?;

    let mut tables: Vec<Table> = Vec::with_capacity(relations.len());
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(relations.len());
    for r in &relations {
        let kind: String = r.try_get("kind")?;
        let Some(kind) = TableKind::from_relkind(&kind) else {
            continue;
        };
        let reltuples: f64 = r.try_get("reltuples")?;
        index.insert(r.try_get("oid")?, tables.len());
        tables.push(Table {
            name: r.try_get("name")?,
            kind,
            // -1: never vacuumed or analyzed (PostgreSQL 14+); views have none
            estimated_rows: (reltuples >= 0.0 && kind != TableKind::View)
                .then_some(reltuples as u64),
            readable: r.try_get("readable")?,
            columns: Vec::new(),
            primary_key: Vec::new(),
            incremental_candidates: Vec::new(),
        });
    }
    for r in &columns {
        let oid: i64 = r.try_get("oid")?;
        let Some(table) = index.get(&oid).and_then(|i| tables.get_mut(*i)) else {
            continue;
        };
        let name: String = r.try_get("name")?;
        let type_oid: i64 = r.try_get("type_oid")?;
        if let Some(reason) = incremental_reason(
            u32::try_from(type_oid).unwrap_or(0),
            r.try_get("identity")?,
            r.try_get("serial")?,
        ) {
            table.incremental_candidates.push(IncrementalCandidate {
                column: name.clone(),
                reason,
            });
        }
        table.columns.push(Column {
            name,
            data_type: r.try_get("data_type")?,
            nullable: r.try_get("nullable")?,
        });
    }
    for r in &keys {
        let oid: i64 = r.try_get("oid")?;
        if let Some(table) = index.get(&oid).and_then(|i| tables.get_mut(*i)) {
            table.primary_key.push(r.try_get("name")?);
        }
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(assemble(database, schema, tables, elapsed_ms))
}

/// The live check of `input`, then discovery of its schema on the same connection. `Ok((report,
/// None))` when the check did not log in; `Ok((report, Some(Err(message))))` when a catalog query
/// failed (a timeout, a revoked privilege).
pub async fn run_catalog(
    input: CheckInput<'_>,
    options: &CheckOptions,
    statement_timeout: Duration,
) -> Result<(CheckReport, Option<Result<Catalog, String>>), Report> {
    run_check_then(input, options, move |client, request| {
        Box::pin(async move {
            discover(
                client,
                &request.database,
                &request.schema,
                statement_timeout,
            )
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => format!("{}: {}", db.code().code(), db.message()),
                None => crate::error_chain(&e),
            })
        })
    })
    .await
}

//! A realistic database for live checks: database `shop`, schema `sales` owned by `shop_owner`
//! (tables, a view, sequences), schema `results` for enrichment, `CONNECT` revoked from `PUBLIC`,
//! and two login roles made by pgconnect's own grant script — `shop_reader` (source, on `sales`)
//! and `shop_writer` (enrichment, on `results`).

use pgconnect_core::DatastoreKind;
use pgconnect_core::grants::{GrantOptions, grant_sql};
use pgconnect_core::scram::{DEFAULT_ITERATIONS, ScramVerifier};

use crate::pg::{HarnessError, PgOptions, PgServer};

/// The database.
pub const DB: &str = "shop";
/// The source schema.
pub const SCHEMA: &str = "sales";
/// The enrichment schema.
pub const RESULTS: &str = "results";
/// Owner of both schemas and everything in them.
pub const OWNER: &str = "shop_owner";
/// The source role.
pub const READER: &str = "shop_reader";
/// The enrichment role.
pub const WRITER: &str = "shop_writer";
/// Both roles' password.
pub const PASSWORD: &str = "Sh0p-role-pw!";
/// Tables and views in `sales`.
pub const SALES_TABLES: u64 = 3;

const SETUP: &str = r#"
CREATE ROLE shop_owner NOLOGIN;
CREATE SCHEMA sales AUTHORIZATION shop_owner;
CREATE SCHEMA results AUTHORIZATION shop_owner;
REVOKE CONNECT ON DATABASE shop FROM PUBLIC;
SET ROLE shop_owner;
CREATE TABLE sales.orders (id bigserial PRIMARY KEY, customer_id bigint, placed_at timestamptz DEFAULT now());
CREATE TABLE sales.customers (id bigserial PRIMARY KEY, name text);
CREATE VIEW sales.recent_orders AS SELECT * FROM sales.orders WHERE placed_at > now() - interval '7 days';
CREATE TABLE results.history (id bigserial PRIMARY KEY, note text);
RESET ROLE;
"#;

/// The grant options pgconnect's own script uses for `role`.
#[must_use]
pub fn grant_options(kind: DatastoreKind) -> GrantOptions {
    let (role, schema) = match kind {
        DatastoreKind::Source => (READER, SCHEMA),
        DatastoreKind::Enrichment => (WRITER, RESULTS),
    };
    GrantOptions {
        kind,
        role: role.to_owned(),
        database: DB.to_owned(),
        schemas: vec![schema.to_owned()],
        owner: Some(OWNER.to_owned()),
        create_role: true,
        password: Some(ScramVerifier::compute(
            &pgconnect_core::Secret::new(PASSWORD),
            &[7; 16],
            DEFAULT_ITERATIONS,
        )),
    }
}

/// Starts a server with `options` and builds the shop in it.
pub fn start(options: PgOptions) -> Result<PgServer, HarnessError> {
    let pg = PgServer::start_with(options)?;
    create(&pg)?;
    Ok(pg)
}

/// Builds the shop in a running server.
pub fn create(pg: &PgServer) -> Result<(), HarnessError> {
    psql_ok(pg, "postgres", "CREATE DATABASE shop;")?;
    psql_ok(pg, DB, SETUP)?;
    for kind in [DatastoreKind::Source, DatastoreKind::Enrichment] {
        let script = grant_sql(&grant_options(kind))
            .map_err(|r| HarnessError(format!("grant script refused: {r:?}")))?;
        psql_ok(pg, DB, &script.text)?;
    }
    Ok(())
}

/// Runs `sql` as the superuser and fails with psql's output when it fails.
pub fn psql_ok(pg: &PgServer, db: &str, sql: &str) -> Result<(), HarnessError> {
    let out = pg.psql(db, sql)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(HarnessError(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

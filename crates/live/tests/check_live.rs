//! Test Connection against real PostgreSQL servers started for each test: a plain one and one with
//! `ssl = on` and a certificate made in the test. Every answer field, every ssl_mode against both,
//! the connection-error catalogue's locally producible scenarios with their explanations and fix
//! SQL, the privilege audit against roles made by pgconnect's own grant script, the time bounds,
//! and the network policy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use pgconnect_core::explain::Field;
use pgconnect_core::grants::{GrantObject, statement};
use pgconnect_core::{DatastoreKind, Shape};
use pgconnect_live::check::{
    CheckError, CheckInput, CheckOptions, CheckReport, Outcome, StageName, Status, run_check,
};
use pgconnect_live::policy::NetworkPolicy;
use pgconnect_testkit::pg::{PgOptions, PgServer};
use pgconnect_testkit::shop::{
    self, DB, OWNER, PASSWORD, READER, RESULTS, SALES_TABLES, SCHEMA, WRITER, psql_ok,
};
use pgconnect_testkit::tls::TestPki;
use serde_json::{Value, json};

/// A Qualytics payload for the shop on `host:port`.
fn payload(host: &str, port: u16, user: &str, password: &str, ssl_mode: &str) -> Value {
    json!({
        "name": "shop-source", "teams": ["Public"], "database": DB, "schema": SCHEMA,
        "enrich_only": false, "trigger_catalog": false,
        "connection": {
            "name": "shop", "type": "postgresql", "host": host, "port": port,
            "username": user, "password": password, "ssl_mode": ssl_mode
        }
    })
}

fn reader(pg: &PgServer) -> Value {
    payload(pg.host(), pg.port(), READER, PASSWORD, "disable")
}

fn options() -> CheckOptions {
    CheckOptions {
        total_timeout: Duration::from_secs(10),
        ..CheckOptions::default()
    }
}

async fn check_with(p: &Value, kind: Option<DatastoreKind>, options: &CheckOptions) -> CheckReport {
    run_check(
        CheckInput {
            payload: Some(p),
            shape: None,
            kind,
        },
        options,
    )
    .await
    .unwrap_or_else(|r| panic!("payload rejected: {r:?}"))
}

async fn check(p: &Value) -> CheckReport {
    check_with(p, None, &options()).await
}

fn stage<'a>(r: &'a CheckReport, name: &str) -> &'a pgconnect_live::check::StageReport {
    r.stages
        .iter()
        .find(|s| s.name.as_str() == name)
        .unwrap_or_else(|| panic!("no stage {name}: {r:#?}"))
}

/// The explanation of a connection failure (panics on a vault failure or none).
fn explanation(r: &CheckReport) -> &pgconnect_core::explain::Explanation {
    match &r.error {
        Some(CheckError::Connection(e)) => e,
        other => panic!("expected a connection explanation, got {other:?}\n{r:#?}"),
    }
}

fn start_shop() -> PgServer {
    shop::start(PgOptions::default()).unwrap()
}

fn ssl_shop(pki: &TestPki, hba: Option<Vec<String>>) -> PgServer {
    let (config, files) = pki.postgres_ssl();
    let mut options = PgOptions {
        config,
        files,
        ..PgOptions::default()
    };
    if let Some(hba) = hba {
        options.hba = hba;
    }
    shop::start(options).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_script_role_connects_and_every_field_is_filled() {
    let pg = start_shop();
    let r = check(&reader(&pg)).await;
    assert!(r.connected, "{r:#?}");
    assert_eq!(r.status, Status::Connected);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert!(
        r.message.starts_with("Connected to PostgreSQL 15"),
        "{}",
        r.message
    );
    assert!(r.latency_ms.is_some());
    assert!(r.server_version.as_deref().unwrap().starts_with("15."));
    assert_eq!(r.current_user.as_deref(), Some(READER));
    assert_eq!(r.superuser, Some(false));
    assert_eq!(r.schemas, vec!["public", RESULTS, SCHEMA]);
    assert_eq!(r.table_count, Some(SALES_TABLES));
    let names: Vec<&str> = r.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "validate",
            "secrets",
            "resolve",
            "connect",
            "tls",
            "authenticate",
            "inspect",
            "privileges",
            "recommendations"
        ]
    );
    for s in &r.stages {
        let expected = match s.name {
            StageName::Secrets | StageName::Tls => Outcome::Skipped,
            _ => Outcome::Ok,
        };
        assert_eq!(s.outcome, expected, "{s:?}");
        assert!(!s.detail.is_empty(), "{s:?}");
    }
    assert_eq!(stage(&r, "resolve").detail, "1 address(es): 127.0.0.1");
    let audit = r.privileges.as_ref().unwrap();
    assert!(audit.ok, "{audit:#?}");
    assert!(audit.missing.is_empty());
    assert_eq!(audit.role, READER);
    assert_eq!(audit.kind, DatastoreKind::Source);
    assert!(
        r.recommendations
            .iter()
            .any(|x| x.code == "server/track-commit-timestamp"),
        "{:?}",
        r.recommendations
    );
    // the payload's warnings ride along (ssl_mode disable)
    assert!(
        r.diagnostics.iter().any(|d| d.code.contains("ssl")),
        "{:?}",
        r.diagnostics
    );

    // The answer, as JSON, never carries the password.
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn superuser_and_recommendations() {
    let pg = shop::start(PgOptions {
        config: vec!["track_commit_timestamp = on".to_owned()],
        ..PgOptions::default()
    })
    .unwrap();
    let p = payload(
        pg.host(),
        pg.port(),
        pgconnect_testkit::pg::SUPERUSER,
        pgconnect_testkit::pg::SUPERUSER_PASSWORD,
        "disable",
    );
    let r = check(&p).await;
    assert!(r.connected, "{r:#?}");
    assert_eq!(r.superuser, Some(true));
    let codes: Vec<&str> = r.recommendations.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(codes, ["privileges/superuser"], "{r:#?}");
    assert!(r.privileges.as_ref().unwrap().ok);
}

/// Each privilege the grant script gives, revoked in turn, comes back as exactly the GRANT that
/// restores it; after running that GRANT the audit passes again.
#[tokio::test(flavor = "multi_thread")]
async fn each_revoked_privilege_shows_the_grant_that_fixes_it() {
    let pg = start_shop();
    let p = reader(&pg);
    let owner_tables = GrantObject::FutureTables {
        schema: SCHEMA,
        owner: Some(OWNER),
    };
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "REVOKE USAGE ON SCHEMA sales FROM shop_reader;",
            "USAGE",
            statement("USAGE", &GrantObject::Schema(SCHEMA), READER),
            "privilege/schema",
        ),
        (
            "REVOKE SELECT ON sales.customers FROM shop_reader;",
            "SELECT",
            statement("SELECT", &GrantObject::AllTables(SCHEMA), READER),
            "privilege/table",
        ),
        (
            "REVOKE SELECT ON SEQUENCE sales.orders_id_seq FROM shop_reader;",
            "SELECT",
            statement("SELECT", &GrantObject::AllSequences(SCHEMA), READER),
            "privilege/table",
        ),
        (
            "ALTER DEFAULT PRIVILEGES FOR ROLE shop_owner IN SCHEMA sales REVOKE SELECT ON TABLES FROM shop_reader;",
            "SELECT",
            statement("SELECT", &owner_tables, READER),
            "",
        ),
    ];
    for (revoke, privilege, fix, code) in cases {
        psql_ok(&pg, DB, revoke).unwrap();
        let r = check(&p).await;
        assert!(r.connected, "{revoke}: {r:#?}");
        let audit = r.privileges.as_ref().unwrap();
        assert!(!audit.ok, "{revoke}");
        assert_eq!(audit.missing.len(), 1, "{revoke}: {:#?}", audit.missing);
        assert_eq!(audit.missing[0].privilege, privilege, "{revoke}");
        assert_eq!(audit.missing[0].fix_sql, fix, "{revoke}");
        assert_eq!(audit.fix_sql, fix);
        assert_eq!(stage(&r, "privileges").outcome, Outcome::Failed);
        assert!(
            r.message.contains("1 privilege is missing") || r.message.starts_with("Connected, but"),
            "{}",
            r.message
        );
        if code.is_empty() {
            assert!(r.error.is_none(), "{revoke}: {:?}", r.error);
        } else {
            let e = explanation(&r);
            assert_eq!(e.code, code, "{revoke}: {e:#?}");
            assert!(e.fix_sql.is_some(), "{revoke}");
        }
        // the fix, run as the owner of the objects, makes the audit pass
        let as_owner = format!("SET ROLE {OWNER};\n{fix}");
        psql_ok(&pg, DB, &as_owner).unwrap();
        let again = check(&p).await;
        assert!(
            again.privileges.as_ref().unwrap().ok,
            "{revoke} then {fix}: {again:#?}"
        );
        assert!(again.error.is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enrichment_role_passes_the_probe_and_missing_create_is_named() {
    let pg = start_shop();
    let mut p = payload(pg.host(), pg.port(), WRITER, PASSWORD, "disable");
    p["schema"] = json!(RESULTS);
    p["enrich_only"] = json!(true);
    let r = check(&p).await;
    assert!(r.connected, "{r:#?}");
    let audit = r.privileges.as_ref().unwrap();
    assert_eq!(audit.kind, DatastoreKind::Enrichment);
    assert!(audit.ok, "{audit:#?}");
    assert!(
        stage(&r, "privileges")
            .detail
            .contains("probe table created"),
        "{:?}",
        stage(&r, "privileges")
    );
    // the probe left nothing behind
    let out = pg
        .psql(
            DB,
            "SELECT count(*) FROM pg_class WHERE relname LIKE '_pgconnect_probe%';",
        )
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("     0"),
        "{out:?}"
    );

    psql_ok(&pg, DB, "REVOKE CREATE ON SCHEMA results FROM shop_writer;").unwrap();
    let r = check(&p).await;
    let audit = r.privileges.as_ref().unwrap();
    assert!(!audit.ok);
    let create = statement("USAGE, CREATE", &GrantObject::Schema(RESULTS), WRITER);
    assert_eq!(audit.missing.len(), 1, "{:#?}", audit.missing);
    assert_eq!(audit.missing[0].privilege, "CREATE");
    assert_eq!(audit.missing[0].fix_sql, create);
    let e = explanation(&r);
    assert_eq!(e.code, "privilege/schema", "{e:#?}");
    assert!(
        e.fix_sql
            .as_deref()
            .unwrap()
            .contains("CREATE ON SCHEMA results TO shop_writer"),
        "{e:#?}"
    );
    assert!(stage(&r, "privileges").detail.contains("probe refused"));

    // the same role checked as a source of the results schema needs no CREATE
    let r = check_with(&p, Some(DatastoreKind::Source), &options()).await;
    assert!(r.privileges.as_ref().unwrap().ok, "{r:#?}");
}

/// The locally producible rows of ../shared/testdata/postgres/connection_error_catalogue.csv.
#[tokio::test(flavor = "multi_thread")]
async fn catalogue_scenarios_are_explained_with_their_fix() {
    let catalogue = pgconnect_testkit::testdata_file("postgres/connection_error_catalogue.csv");
    if let Some(path) = &catalogue {
        // the scenarios below are the catalogue's: make sure they are still listed there
        let text = std::fs::read_to_string(path).unwrap();
        for row in [
            "wrong password",
            "role does not exist under password auth",
            "role has NOLOGIN",
            "no matching pg_hba.conf line",
            "explicit reject line in pg_hba.conf",
            "database does not exist",
            "no CONNECT privilege on database",
            "per-role CONNECTION LIMIT reached",
            "permission denied for schema (no USAGE)",
            "permission denied for table (no SELECT/INSERT...)",
            "CLIENT: server has ssl=off but sslmode=require",
            "CLIENT: TCP refused",
        ] {
            assert!(text.contains(row), "catalogue lost the row {row:?}");
        }
    }
    let pg = start_shop();
    psql_ok(
        &pg,
        DB,
        "CREATE ROLE no_login NOLOGIN PASSWORD 'x-Pw-12345';
         CREATE ROLE limited LOGIN PASSWORD 'x-Pw-12345' CONNECTION LIMIT 1;
         GRANT CONNECT ON DATABASE shop TO limited, no_login;",
    )
    .unwrap();
    let port = pg.port();
    let host = pg.host();

    // (payload, expected code, expected stage, fix_sql must contain, fields must contain)
    let mut unknown_db = payload(host, port, READER, PASSWORD, "disable");
    unknown_db["database"] = json!("nope_db");
    let cases: Vec<(Value, &str, &str, Option<&str>, &str)> = vec![
        (
            payload(host, port, READER, "wrong-pw", "disable"),
            "auth/password-failed",
            "authenticate",
            None,
            "password",
        ),
        (
            payload(host, port, "ghost_role", "wrong-pw", "disable"),
            "auth/password-failed",
            "authenticate",
            None,
            "username",
        ),
        (
            payload(host, port, "no_login", "x-Pw-12345", "disable"),
            "auth/role-cannot-login",
            "authenticate",
            Some("ALTER ROLE no_login LOGIN;"),
            "username",
        ),
        (
            unknown_db,
            "database/missing",
            "authenticate",
            None,
            "database",
        ),
    ];
    for (p, code, stage_name, fix, field) in cases {
        let r = check(&p).await;
        assert!(!r.connected, "{code}: {r:#?}");
        assert_eq!(r.status, Status::Failed);
        let e = explanation(&r);
        assert_eq!(e.code, code, "{e:#?}");
        assert_eq!(
            stage(&r, stage_name).outcome,
            Outcome::Failed,
            "{code}: {:#?}",
            r.stages
        );
        assert_eq!(stage(&r, "inspect").outcome, Outcome::Skipped);
        if let Some(fix) = fix {
            assert!(
                e.fix_sql.as_deref().unwrap_or_default().contains(fix),
                "{code}: {e:#?}"
            );
        }
        let fields = serde_json::to_string(&e.fields).unwrap();
        assert!(fields.contains(field), "{code}: {fields}");
        assert_eq!(r.message, e.title);
    }

    // CONNECT revoked: the fix is the exact GRANT
    psql_ok(&pg, DB, "REVOKE CONNECT ON DATABASE shop FROM shop_reader;").unwrap();
    let r = check(&reader(&pg)).await;
    let e = explanation(&r);
    assert_eq!(e.code, "privilege/connect", "{e:#?}");
    assert_eq!(
        e.fix_sql.as_deref(),
        Some(statement("CONNECT", &GrantObject::Database(DB), READER).as_str())
    );
    psql_ok(&pg, DB, "GRANT CONNECT ON DATABASE shop TO shop_reader;").unwrap();

    // too many connections for the role (CONNECTION LIMIT 1, one session held)
    let (_held, conn) = tokio_postgres::connect(
        &pg.conninfo("limited", "x-Pw-12345", DB),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
    let r = check(&payload(host, port, "limited", "x-Pw-12345", "disable")).await;
    let e = explanation(&r);
    assert_eq!(e.code, "limits/role-connections", "{e:#?}");
    assert!(
        e.fix_sql.as_deref().unwrap().contains("CONNECTION LIMIT"),
        "{e:#?}"
    );
    conn.abort();

    // pg_hba: no entry, then an explicit reject
    pg.set_hba(&[
        "local all all trust",
        "host all postgres 127.0.0.1/32 scram-sha-256",
    ])
    .unwrap();
    let r = check(&reader(&pg)).await;
    let e = explanation(&r);
    assert_eq!(e.code, "hba/no-entry", "{e:#?}");
    assert!(e.fix_config.as_deref().unwrap().contains(READER), "{e:#?}");
    pg.set_hba(&[
        "local all all trust",
        "host all shop_reader 127.0.0.1/32 reject",
    ])
    .unwrap();
    let r = check(&reader(&pg)).await;
    assert_eq!(explanation(&r).code, "hba/rejected");

    // ssl_mode require against a server without TLS
    pg.set_hba(&[
        "local all all trust",
        "host all all 127.0.0.1/32 scram-sha-256",
    ])
    .unwrap();
    let r = check(&payload(host, port, READER, PASSWORD, "require")).await;
    let e = explanation(&r);
    assert_eq!(e.code, "tls/server-has-no-ssl", "{r:#?}");
    assert_eq!(stage(&r, "tls").outcome, Outcome::Failed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_schema_is_explained() {
    let pg = start_shop();
    let mut p = reader(&pg);
    p["schema"] = json!("no_such_schema");
    let r = check(&p).await;
    assert!(r.connected);
    assert_eq!(explanation(&r).code, "schema/missing");
    assert_eq!(stage(&r, "inspect").outcome, Outcome::Failed);
    assert!(
        r.schemas.contains(&SCHEMA.to_owned()),
        "the schemas that exist are listed"
    );
}

/// Every ssl_mode against a server without TLS and one with it, as libpq behaves.
#[tokio::test(flavor = "multi_thread")]
async fn every_ssl_mode_against_both_servers() {
    let pki = TestPki::new().unwrap();
    let plain = start_shop();
    let tls = ssl_shop(&pki, None);
    let with_ca = |host: &str, port: u16, mode: &str, ca: &str| {
        let mut p = payload(host, port, READER, PASSWORD, mode);
        p["connection"]["ssl_root_cert"] = json!(ca);
        p
    };
    // plain server
    for (mode, ok) in [
        ("disable", true),
        ("allow", true),
        ("prefer", true),
        ("require", false),
        ("verify-ca", false),
        ("verify-full", false),
    ] {
        let p = if mode.starts_with("verify") {
            with_ca("localhost", plain.port(), mode, &pki.ca_pem)
        } else {
            payload("localhost", plain.port(), READER, PASSWORD, mode)
        };
        let r = check(&p).await;
        assert_eq!(r.connected, ok, "plain server, {mode}: {r:#?}");
        assert!(r.tls.is_none(), "plain server, {mode}");
        if !ok {
            assert_eq!(explanation(&r).code, "tls/server-has-no-ssl", "{mode}");
        }
    }
    // TLS server: what each mode does
    for (mode, encrypted, verified) in [
        ("disable", false, false),
        ("allow", false, false),
        ("prefer", true, false),
        ("require", true, false),
        ("verify-ca", true, true),
        ("verify-full", true, true),
    ] {
        let p = with_ca("localhost", tls.port(), mode, &pki.ca_pem);
        let r = check(&p).await;
        assert!(r.connected, "TLS server, {mode}: {r:#?}");
        assert!(r.privileges.as_ref().unwrap().ok);
        assert_eq!(
            r.tls.is_some(),
            encrypted,
            "TLS server, {mode}: {:?}",
            r.tls
        );
        if let Some(t) = &r.tls {
            assert_eq!(t.verified, verified, "{mode}");
            assert!(t.protocol.starts_with("TLSv1."), "{t:?}");
            assert!(t.subject.contains("CN=localhost"), "{t:?}");
            assert!(t.issuer.contains("pgconnect test CA"), "{t:?}");
            assert!(t.not_after_unix > 1_700_000_000, "{t:?}");
            assert_eq!(stage(&r, "tls").outcome, Outcome::Ok);
            assert!(stage(&r, "tls").detail.contains("CN=localhost"));
        }
    }
    // verify-full with a name the certificate does not carry
    let r = check(&with_ca(
        "127.0.0.1",
        tls.port(),
        "verify-full",
        &pki.ca_pem,
    ))
    .await;
    assert!(!r.connected);
    let e = explanation(&r);
    assert_eq!(e.code, "tls/host-mismatch", "{r:#?}");
    assert!(
        e.cause.contains("localhost") && e.cause.contains("127.0.0.1"),
        "{e:#?}"
    );
    assert_eq!(stage(&r, "tls").outcome, Outcome::Failed);
    // ... verify-ca does not check the name
    let r = check(&with_ca("127.0.0.1", tls.port(), "verify-ca", &pki.ca_pem)).await;
    assert!(r.connected, "{r:#?}");
    // verify-ca / verify-full with another CA
    for mode in ["verify-ca", "verify-full"] {
        let r = check(&with_ca("localhost", tls.port(), mode, &pki.other_ca_pem)).await;
        assert!(!r.connected, "{mode}");
        assert_eq!(
            explanation(&r).code,
            "tls/untrusted-certificate",
            "{mode}: {r:#?}"
        );
    }
    // verify-full without a CA: the system roots do not know the test CA
    let r = check(&payload(
        "localhost",
        tls.port(),
        READER,
        PASSWORD,
        "verify-full",
    ))
    .await;
    assert_eq!(explanation(&r).code, "tls/untrusted-certificate", "{r:#?}");
    // a CA field that holds no certificate
    let r = check(&with_ca(
        "localhost",
        tls.port(),
        "verify-full",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ))
    .await;
    assert!(!r.connected);
    assert!(r.error.is_some());
}

/// `allow` tries without TLS, then with it when the server insists (hostssl only); `prefer`
/// falls back to plain text when the server has no TLS.
#[tokio::test(flavor = "multi_thread")]
async fn allow_retries_with_tls_when_the_server_insists() {
    let pki = TestPki::new().unwrap();
    let tls = ssl_shop(
        &pki,
        Some(vec![
            "local all all trust".to_owned(),
            "hostssl all all 127.0.0.1/32 scram-sha-256".to_owned(),
        ]),
    );
    let r = check(&payload("localhost", tls.port(), READER, PASSWORD, "allow")).await;
    assert!(r.connected, "{r:#?}");
    assert!(r.tls.is_some());
    assert_eq!(
        r.stages
            .iter()
            .filter(|s| s.name == StageName::Connect)
            .count(),
        1
    );
    // disable against hostssl-only: the catalogue's "hostssl-only line but client sslmode=disable"
    let r = check(&payload(
        "localhost",
        tls.port(),
        READER,
        PASSWORD,
        "disable",
    ))
    .await;
    let e = explanation(&r);
    assert_eq!(e.code, "hba/no-entry", "{r:#?}");
    assert!(e.fix.contains("ssl_mode"), "{e:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_server_is_cut_off_within_the_bound() {
    // accepts TCP and never says a word
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            if let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        }
    });
    let options = CheckOptions {
        total_timeout: Duration::from_millis(1500),
        ..CheckOptions::default()
    };
    for mode in ["disable", "require"] {
        let started = Instant::now();
        let r = check_with(
            &payload("127.0.0.1", port, READER, PASSWORD, mode),
            None,
            &options,
        )
        .await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(1500), "{mode}: {took:?}");
        assert!(
            took < Duration::from_millis(2500),
            "{mode}: not cut off in time: {took:?}"
        );
        assert!(!r.connected);
        assert_eq!(explanation(&r).code, "network/timeout", "{mode}: {r:#?}");
        // not "a firewall drops the packets": the TCP connection was accepted
        assert!(
            explanation(&r)
                .cause
                .starts_with("\"127.0.0.1\" accepted the TCP connection"),
            "{mode}: {}",
            explanation(&r).cause
        );
        assert!(r.stages.iter().any(|s| s.outcome == Outcome::Failed));
        assert_eq!(stage(&r, "connect").outcome, Outcome::Ok, "TCP did connect");
    }
    hold.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_server_on_the_port_is_not_taken_for_postgres_without_tls() {
    // answers whatever it is sent with an HTTP error, as web servers and proxies do
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let web = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        loop {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
        }
    });
    for mode in ["disable", "require", "verify-full"] {
        let r = check(&payload("127.0.0.1", port, READER, PASSWORD, mode)).await;
        let e = explanation(&r);
        assert_eq!(e.code, "network/not-postgres", "{mode}: {r:#?}");
        assert_eq!(e.fields, vec![Field::Host, Field::Port], "{mode}");
        // it answers the SSL request with "H", not PostgreSQL's "N": not "ssl = off", and not
        // "the server closed the connection"
        assert!(e.cause.contains("HTTP server"), "{mode}: {}", e.cause);
    }
    web.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_port_fails_at_once_and_a_closing_server_is_explained() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let r = check(&payload("127.0.0.1", port, READER, PASSWORD, "disable")).await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(300), "refused took {took:?}");
    let e = explanation(&r);
    assert_eq!(e.code, "network/refused", "{r:#?}");
    assert_eq!(stage(&r, "connect").outcome, Outcome::Failed);
    assert!(
        e.fields
            .iter()
            .any(|f| serde_json::to_string(f).unwrap().contains("port"))
    );

    // accepts, then hangs up at once
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let closer = tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    let r = check(&payload("127.0.0.1", port, READER, PASSWORD, "disable")).await;
    assert_eq!(explanation(&r).code, "network/closed", "{r:#?}");
    closer.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_network_policy_denies_before_dialling() {
    for host in [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "[fe80::1]",
        "0.1.2.3",
        "224.0.0.1",
    ] {
        let started = Instant::now();
        let r = check(&payload(host, 5432, READER, PASSWORD, "disable")).await;
        assert!(started.elapsed() < Duration::from_millis(200), "{host}");
        let e = explanation(&r);
        assert_eq!(e.code, "network/denied", "{host}: {r:#?}");
        assert_eq!(stage(&r, "resolve").outcome, Outcome::Failed, "{host}");
        assert_eq!(stage(&r, "connect").outcome, Outcome::Skipped, "{host}");
        assert!(
            e.cause.contains("169.254")
                || e.cause.contains("fe80")
                || e.cause.contains("0.1.2.3")
                || e.cause.contains("224."),
            "{e:#?}"
        );
    }
    // an operator's deny list applies to names too: localhost resolves to a denied address
    let pg = start_shop();
    let options = CheckOptions {
        policy: NetworkPolicy::new(
            vec![],
            NetworkPolicy::parse_nets(&["127.0.0.0/8".to_owned()]).unwrap(),
        ),
        ..options()
    };
    let r = check_with(
        &payload("localhost", pg.port(), READER, PASSWORD, "disable"),
        None,
        &options,
    )
    .await;
    assert_eq!(explanation(&r).code, "network/denied", "{r:#?}");
    // and lifting a built-in denial is possible (deny still wins)
    let p = NetworkPolicy::new(
        NetworkPolicy::parse_nets(&["127.0.0.1".to_owned()]).unwrap(),
        vec![],
    );
    let r = check_with(
        &reader(&pg),
        None,
        &CheckOptions {
            policy: p,
            ..options.clone()
        },
    )
    .await;
    assert!(r.connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_payloads_are_refused_before_any_io() {
    let bad = json!({"name": "x", "connection": {"type": "postgresql", "host": "db:5432"}});
    let report = run_check(
        CheckInput {
            payload: Some(&bad),
            shape: Some(Shape::Qualytics),
            kind: None,
        },
        &options(),
    )
    .await
    .unwrap_err();
    assert!(!report.is_valid());
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.path == "/connection/host"),
        "{report:?}"
    );
    let stored = json!({"name": "x", "teams": ["Public"], "database": "d", "schema": "s", "connection_id": 3});
    let report = run_check(
        CheckInput {
            payload: Some(&stored),
            ..CheckInput::default()
        },
        &options(),
    )
    .await
    .unwrap_err();
    assert_eq!(report.diagnostics[0].code, "connection/stored");
}

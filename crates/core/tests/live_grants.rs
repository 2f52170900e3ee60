//! The generated SQL, proven against a real PostgreSQL server started for each test (Debian's
//! `initdb`/`pg_ctl`, a temporary data directory, a free loopback port).
//!
//! For adversarial names — spaces, quotes, upper case, non-ASCII, keywords (`user`, `select`,
//! `left`), 63-byte names — the grant script runs as superuser (twice: a rerun must not fail), the
//! role logs in with the SCRAM verifier's password, and does exactly what its kind allows: a source
//! role reads existing and future tables and sequences and cannot write or create; an enrichment
//! role creates, writes, alters and drops its own tables. The revoke script leaves the role with no
//! privilege on anything. `quote_ident` agrees with the server's for every keyword and name.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pgconnect_core::grants::{GrantOptions, grant_sql, revoke_sql};
use pgconnect_core::ident::{KeywordCategory, keyword_category, keywords, reserved_role_name};
use pgconnect_core::scram::{DEFAULT_ITERATIONS, ScramVerifier};
use pgconnect_core::{DatastoreKind, Secret, quote_ident};
use pgconnect_testkit::pg::PgServer;
use postgres::Client;
use postgres::error::SqlState;

/// Role names that break naive SQL writers.
fn adversarial_roles() -> Vec<String> {
    vec![
        "qualytics read".into(),
        "it's \"quoted\"".into(),
        "UpperCase".into(),
        "naïve_rôle_ü".into(),
        "user".into(),
        "select".into(),
        "left".into(),
        "r".repeat(63),
        format!("{}x", "é".repeat(31)), // 63 bytes, multi-byte
        "semi;colon -- comment".into(),
        "$pgconnect$".into(),
    ]
}

/// Schema names for the same purpose, paired with each role in turn.
fn adversarial_schemas() -> Vec<String> {
    vec![
        "Sales Data".into(),
        "select".into(),
        "we\"ird".into(),
        "ünïcode".into(),
        "s".repeat(63),
        "public".into(),
    ]
}

fn ident(s: &str) -> String {
    quote_ident(s).into_owned()
}

fn password_for(role: &str) -> String {
    format!("pw for {role}: ' \\ \" ünïcödé")
}

fn options(
    kind: DatastoreKind,
    role: &str,
    db: &str,
    schemas: &[String],
    owner: &str,
) -> GrantOptions {
    let salt: [u8; 16] =
        std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(role.len() as u8));
    GrantOptions {
        kind,
        role: role.to_owned(),
        database: db.to_owned(),
        schemas: schemas.to_vec(),
        owner: Some(owner.to_owned()),
        create_role: true,
        password: Some(ScramVerifier::compute(
            &Secret::new(password_for(role)),
            &salt,
            DEFAULT_ITERATIONS,
        )),
    }
}

/// A database with two schemas, each holding a table (with a serial) owned by `owner`.
fn prepare(server: &PgServer, db: &str, schemas: &[String], owner: &str) -> Client {
    let mut su = server.superuser("postgres").unwrap();
    su.batch_execute(&format!("CREATE DATABASE {}", ident(db)))
        .unwrap();
    let mut su = server.superuser(db).unwrap();
    su.batch_execute(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app owner') THEN \
         CREATE ROLE \"app owner\"; END IF; END $$; SET ROLE {};",
        ident(owner)
    ))
    .unwrap();
    for s in schemas {
        let s = ident(s);
        if s != "public" {
            su.batch_execute(&format!(
                "RESET ROLE; CREATE SCHEMA {s} AUTHORIZATION {}; SET ROLE {};",
                ident(owner),
                ident(owner)
            ))
            .unwrap();
        } else {
            su.batch_execute(&format!(
                "RESET ROLE; ALTER SCHEMA public OWNER TO {}; SET ROLE {};",
                ident(owner),
                ident(owner)
            ))
            .unwrap();
        }
        su.batch_execute(&format!(
            "CREATE TABLE {s}.\"Existing\" (id serial PRIMARY KEY, v text);
             INSERT INTO {s}.\"Existing\" (v) VALUES ('a'), ('b');
             CREATE SEQUENCE {s}.\"Counter\";"
        ))
        .unwrap();
    }
    su.batch_execute("RESET ROLE").unwrap();
    su
}

fn denied(r: Result<impl Sized, postgres::Error>, what: &str) {
    match r {
        Ok(_) => panic!("{what}: expected permission denied, but it succeeded"),
        Err(e) => assert_eq!(
            e.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{what}: expected 42501, got {e:?}"
        ),
    }
}

/// Names of objects (other than the role's own) on which `role` still holds any privilege, and
/// default-privilege entries naming it.
fn remaining_privileges(su: &mut Client, role: &str) -> Vec<String> {
    su.query(
        "WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1)
         SELECT 'database ' || datname FROM pg_database, r,
                LATERAL aclexplode(datacl) a WHERE a.grantee = r.oid
         UNION ALL
         SELECT 'schema ' || nspname FROM pg_namespace, r,
                LATERAL aclexplode(nspacl) a WHERE a.grantee = r.oid AND nspowner <> r.oid
         UNION ALL
         SELECT 'relation ' || relname FROM pg_class, r,
                LATERAL aclexplode(relacl) a WHERE a.grantee = r.oid AND relowner <> r.oid
         UNION ALL
         SELECT 'default acl in ' || coalesce(defaclnamespace::regnamespace::text, '*')
                FROM pg_default_acl, r, LATERAL aclexplode(defaclacl) a WHERE a.grantee = r.oid",
        &[&role],
    )
    .unwrap()
    .iter()
    .map(|row| row.get::<_, String>(0))
    .collect()
}

#[test]
fn source_roles_read_everything_and_write_nothing() {
    let server = PgServer::start().unwrap();
    let schemas = adversarial_schemas();
    let owner = "app owner";
    for (i, role) in adversarial_roles().iter().enumerate() {
        let db = format!("Source DB {i}");
        let pair = vec![
            schemas[i % schemas.len()].clone(),
            schemas[(i + 1) % schemas.len()].clone(),
        ];
        let mut su = prepare(&server, &db, &pair, owner);
        let o = options(DatastoreKind::Source, role, &db, &pair, owner);
        let script = grant_sql(&o).unwrap().text;
        su.batch_execute(&script)
            .unwrap_or_else(|e| panic!("grant script for {role:?} failed: {e:?}\n{script}"));
        su.batch_execute(&script)
            .unwrap_or_else(|e| panic!("rerun for {role:?} failed: {e:?}"));

        // the SCRAM verifier accepts the password
        let mut me = server
            .connect(role, &password_for(role), &db)
            .unwrap_or_else(|e| panic!("{role:?} cannot log in: {e:?}"));
        for s in &pair {
            let s = ident(s);
            let n: i64 = me
                .query_one(&format!("SELECT count(*) FROM {s}.\"Existing\""), &[])
                .unwrap()
                .get(0);
            assert_eq!(n, 2);
            me.query_one(&format!("SELECT last_value FROM {s}.\"Counter\""), &[])
                .unwrap();
            me.query_one(
                &format!("SELECT last_value FROM {s}.\"Existing_id_seq\""),
                &[],
            )
            .unwrap();
            denied(
                me.execute(
                    &format!("INSERT INTO {s}.\"Existing\" (v) VALUES ('x')"),
                    &[],
                ),
                "source INSERT",
            );
            denied(
                me.execute(&format!("UPDATE {s}.\"Existing\" SET v = 'y'"), &[]),
                "source UPDATE",
            );
            denied(
                me.batch_execute(&format!("CREATE TABLE {s}.mine (x int)")),
                "source CREATE TABLE",
            );
            // a table the owner creates later is readable through default privileges
            su.batch_execute(&format!(
                "SET ROLE {}; CREATE TABLE {s}.\"Later\" (x int); INSERT INTO {s}.\"Later\" VALUES (1); \
                 CREATE SEQUENCE {s}.\"Later_seq\"; RESET ROLE;",
                ident(owner)
            ))
            .unwrap();
            let n: i64 = me
                .query_one(&format!("SELECT count(*) FROM {s}.\"Later\""), &[])
                .unwrap()
                .get(0);
            assert_eq!(n, 1, "future table readable by {role:?}");
            me.query_one(&format!("SELECT last_value FROM {s}.\"Later_seq\""), &[])
                .unwrap();
        }
        drop(me);

        // revoke leaves nothing
        let revoke = revoke_sql(&o).unwrap().text;
        su.batch_execute(&revoke)
            .unwrap_or_else(|e| panic!("revoke for {role:?} failed: {e:?}\n{revoke}"));
        assert_eq!(
            remaining_privileges(&mut su, role),
            Vec::<String>::new(),
            "{role:?}"
        );
        let mut me = server.connect(role, &password_for(role), &db).unwrap();
        let s = ident(&pair[0]);
        // (on schema public PUBLIC keeps USAGE, so there the table itself refuses)
        denied(
            me.query_one(&format!("SELECT 1 FROM {s}.\"Existing\""), &[]),
            "after revoke",
        );
    }
}

#[test]
fn enrichment_roles_create_write_alter_and_drop() {
    let server = PgServer::start().unwrap();
    let schemas = adversarial_schemas();
    let owner = "app owner";
    for (i, role) in adversarial_roles().iter().enumerate() {
        let db = format!("Enrich DB {i}");
        let pair = vec![schemas[(i + 2) % schemas.len()].clone()];
        let mut su = prepare(&server, &db, &pair, owner);
        let o = options(DatastoreKind::Enrichment, role, &db, &pair, owner);
        let script = grant_sql(&o).unwrap().text;
        su.batch_execute(&script)
            .unwrap_or_else(|e| panic!("grant script for {role:?} failed: {e:?}\n{script}"));
        su.batch_execute(&script).unwrap();

        let mut me = server.connect(role, &password_for(role), &db).unwrap();
        let s = ident(&pair[0]);
        me.batch_execute(&format!(
            "CREATE TABLE {s}.\"_qualytics_Check Metrics\" (id bigserial PRIMARY KEY, v text);
             INSERT INTO {s}.\"_qualytics_Check Metrics\" (v) VALUES ('a');
             UPDATE {s}.\"_qualytics_Check Metrics\" SET v = 'b';
             DELETE FROM {s}.\"_qualytics_Check Metrics\";
             ALTER TABLE {s}.\"_qualytics_Check Metrics\" ADD COLUMN w int;
             DROP TABLE {s}.\"_qualytics_Check Metrics\";
             INSERT INTO {s}.\"Existing\" (v) VALUES ('from enrichment');
             UPDATE {s}.\"Existing\" SET v = 'updated' WHERE v = 'a';
             DELETE FROM {s}.\"Existing\" WHERE v = 'b';"
        ))
        .unwrap_or_else(|e| panic!("enrichment role {role:?} in {s}: {e:?}"));
        // a table the owner creates later is writable through default privileges
        su.batch_execute(&format!(
            "SET ROLE {}; CREATE TABLE {s}.\"Later\" (id serial, x int); RESET ROLE;",
            ident(owner)
        ))
        .unwrap();
        me.batch_execute(&format!("INSERT INTO {s}.\"Later\" (x) VALUES (1)"))
            .unwrap_or_else(|e| panic!("future table writable by {role:?}: {e:?}"));
        // it may not touch other databases' objects or drop the owner's tables
        denied(
            me.batch_execute(&format!("DROP TABLE {s}.\"Existing\"")),
            "drop owner's table",
        );
        me.batch_execute(&format!("CREATE TABLE {s}.kept (x int)"))
            .unwrap();
        drop(me);

        let revoke = revoke_sql(&o).unwrap().text;
        su.batch_execute(&revoke).unwrap();
        assert_eq!(
            remaining_privileges(&mut su, role),
            Vec::<String>::new(),
            "{role:?}"
        );
        let mut me = server.connect(role, &password_for(role), &db).unwrap();
        denied(
            me.execute(
                &format!("INSERT INTO {s}.\"Existing\" (v) VALUES ('x')"),
                &[],
            ),
            "after revoke",
        );
    }
}

#[test]
fn grant_script_runs_in_psql_too() {
    let server = PgServer::start().unwrap();
    let schemas = vec!["Sales Data".to_owned()];
    let mut su = prepare(&server, "psql db", &schemas, "app owner");
    let mut o = options(
        DatastoreKind::Source,
        "psql reader",
        "psql db",
        &schemas,
        "app owner",
    );
    o.password = None; // the script then tells how to set one with \password (in a comment)
    let script = grant_sql(&o).unwrap().text;
    let out = server.psql("psql db", &script).unwrap();
    assert!(
        out.status.success(),
        "psql: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let granted: bool = su
        .query_one(
            "SELECT has_table_privilege('psql reader', '\"Sales Data\".\"Existing\"', 'SELECT')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(granted);
}

#[test]
fn quote_ident_agrees_with_the_server() {
    let server = PgServer::start().unwrap();
    let mut su = server.superuser("postgres").unwrap();
    // the live server's own keyword list
    let live: Vec<(String, String)> = su
        .query("SELECT word, catcode::text FROM pg_get_keywords()", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(live.len() > 400);
    let mut names: Vec<String> = keywords().iter().map(|(k, _)| (*k).to_owned()).collect();
    names.extend(live.iter().map(|(k, _)| k.clone()));
    names.extend(adversarial_roles());
    names.extend(adversarial_schemas());
    names.extend(
        [
            "", "a", "_", "_1", "1a", "aB", "a-b", "a b", "\"", "naïve", "a\"b\"", "ab_12",
        ]
        .iter()
        .map(|s| (*s).to_owned()),
    );
    let rows = su
        .query(
            "SELECT n, quote_ident(n) FROM unnest($1::text[]) n",
            &[&names],
        )
        .unwrap();
    let (mut same, mut over) = (0, 0);
    for row in rows {
        let name: String = row.get(0);
        let server_quoted: String = row.get(1);
        let ours = quote_ident(&name);
        if ours == server_quoted {
            same += 1;
            continue;
        }
        // The core uses PostgreSQL 18's list; a keyword that is newer (or more reserved) than the
        // live server's may be quoted where the server leaves it bare. Over-quoting is harmless;
        // anything else is a bug.
        let live_cat = live
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, c)| c.as_str());
        let newer_or_stricter = keyword_category(&name)
            .is_some_and(|c| c != KeywordCategory::UnreservedKeyword)
            && live_cat.is_none_or(|c| c == "U");
        assert!(
            newer_or_stricter && server_quoted == name && ours == format!("\"{name}\""),
            "quote_ident({name:?}): ours {ours:?}, server {server_quoted:?}"
        );
        over += 1;
    }
    eprintln!("quote_ident: {same} identical to the server, {over} over-quoted newer keywords");
    assert!(same > 500);
}

#[test]
fn reserved_role_names_are_refused_by_core_and_server() {
    let server = PgServer::start().unwrap();
    let mut su = server.superuser("postgres").unwrap();
    for name in ["public", "none", "pg_reader", "current_user"] {
        assert!(reserved_role_name(name).is_some(), "core accepts {name}");
        let o = GrantOptions {
            kind: DatastoreKind::Source,
            role: name.to_owned(),
            database: "postgres".into(),
            schemas: vec!["public".into()],
            owner: None,
            create_role: true,
            password: None,
        };
        let err = grant_sql(&o).unwrap_err();
        assert_eq!(err.diagnostics[0].code, "grants/role-reserved");
        assert_eq!(err.diagnostics[0].path, "/role");
    }
    // the server agrees: CREATE ROLE refuses them (current_user when written bare, as people do)
    for sql in [
        "CREATE ROLE \"public\"",
        "CREATE ROLE \"none\"",
        "CREATE ROLE \"pg_reader\"",
        "CREATE ROLE current_user",
    ] {
        assert!(su.batch_execute(sql).is_err(), "{sql} was accepted");
    }
}

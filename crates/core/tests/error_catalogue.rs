//! Every row of `../shared/testdata/postgres/connection_error_catalogue.csv` (29 connection-failure
//! scenarios with the server's exact messages) gets a specific explanation — never the generic
//! one — with the right fields to highlight, and fix SQL where SQL fixes it.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pgconnect_core::explain::{ErrorContext, ErrorInput, Field, explain};

/// scenario → (expected code, fields that must be highlighted, fix SQL must contain)
fn expectation(scenario: &str) -> (&'static str, &'static [Field], Option<&'static str>) {
    use Field::*;
    match scenario {
        s if s.starts_with("wrong password") => {
            ("auth/password-failed", &[Username, Password], None)
        }
        s if s.starts_with("role does not exist under password") => {
            ("auth/password-failed", &[Username, Password], None)
        }
        s if s.starts_with("role does not exist under trust") => (
            "auth/role-missing",
            &[Username],
            Some("CREATE ROLE \"Ann Lee\" LOGIN;"),
        ),
        "role has NOLOGIN" => (
            "auth/role-cannot-login",
            &[Username],
            Some("ALTER ROLE \"Ann Lee\" LOGIN;"),
        ),
        "no matching pg_hba.conf line" => {
            ("hba/no-entry", &[Host, Username, Database, SslMode], None)
        }
        "explicit reject line in pg_hba.conf" => {
            ("hba/rejected", &[Host, Username, Database], None)
        }
        s if s.starts_with("hostssl-only line") => ("hba/no-entry", &[SslMode], None),
        "database does not exist" => ("database/missing", &[Database], None),
        "no CONNECT privilege on database" => (
            "privilege/connect",
            &[Database, Username],
            Some("GRANT CONNECT ON DATABASE \"Ann Lee\" TO \"Ann Lee\";"),
        ),
        s if s.starts_with("database datallowconn") => (
            "database/not-accepting",
            &[Database],
            Some("ALLOW_CONNECTIONS true"),
        ),
        "per-database CONNECTION LIMIT reached" => (
            "limits/database-connections",
            &[Database],
            Some("CONNECTION LIMIT"),
        ),
        "per-role CONNECTION LIMIT reached" => (
            "limits/role-connections",
            &[Username],
            Some("CONNECTION LIMIT"),
        ),
        "reserved slots left only" => ("limits/reserved-slots", &[], None),
        "max_connections exhausted" => ("limits/too-many-clients", &[], None),
        s if s.starts_with("server starting") => ("server/not-ready", &[Host, Port], None),
        s if s.starts_with("permission denied for schema") => (
            "privilege/schema",
            &[Schema, Username],
            Some("GRANT USAGE ON SCHEMA \"Ann Lee\" TO \"Ann Lee\";"),
        ),
        s if s.starts_with("permission denied for table") => (
            "privilege/table",
            &[Schema, Username],
            Some("GRANT SELECT ON ALL TABLES IN SCHEMA \"Sales\" TO \"Ann Lee\";"),
        ),
        "GRANT by role without grant option" => ("grant/no-grant-option", &[], None),
        "identifier longer than 63 bytes" => ("name/truncated", &[], None),
        s if s.starts_with("CREATE ROLE public") => ("role/reserved-name", &[Username], None),
        s if s.starts_with("CLIENT: wrong/absent password") => {
            ("auth/no-password", &[Password], None)
        }
        s if s.starts_with("CLIENT: server has ssl=off") => {
            ("tls/server-has-no-ssl", &[SslMode], None)
        }
        "CLIENT: TCP refused" => ("network/refused", &[Host, Port], None),
        "CLIENT: peer closed during startup" => ("network/closed", &[Host, Port], None),
        "CLIENT: connect_timeout elapsed" => ("network/timeout", &[Host, Port], None),
        "CLIENT: DNS failure" => ("network/dns", &[Host], None),
        s if s.starts_with("CLIENT: verify-ca/verify-full and no root cert") => {
            ("tls/no-root-certificate", &[SslMode], None)
        }
        "CLIENT: untrusted server cert" => ("tls/untrusted-certificate", &[SslMode], None),
        "CLIENT: verify-full host mismatch" => ("tls/host-mismatch", &[Host, SslMode], None),
        other => panic!("scenario not covered by this test: {other:?}"),
    }
}

/// The catalogue's message templates, made into real messages: commentary in "  (…)" dropped,
/// alternatives split on " | ", "PG15: "/"PG16+: " prefixes removed, `\n`/`\t` unescaped, and
/// `%s`/`%d`/`%.*s` filled in.
fn messages(template: &str) -> Vec<String> {
    let without_note = template.split("  (").next().unwrap();
    without_note
        .split(" | ")
        .map(|alt| {
            let alt = alt
                .trim_start_matches("PG15: ")
                .trim_start_matches("PG16+: ")
                .replace("\\n", "\n")
                .replace("\\t", "\t");
            let holes = alt.matches("%s").count() + alt.matches("%.*s").count();
            let samples: &[&str] = match holes {
                4 => &["203.0.113.7", "Ann Lee", "analytics", "no encryption"],
                3 => &["db.example.com", "203.0.113.9", "5432"],
                2 => &["db.example.com", "Name or service not known"],
                _ => &["Ann Lee"],
            };
            let mut out = alt.replace("%.*s", "%s").replace("%d", "2");
            for s in samples {
                out = out.replacen("%s", s, 1);
            }
            out
        })
        .collect()
}

#[test]
fn every_catalogue_row_is_explained() {
    let Some(path) = pgconnect_testkit::testdata_file("postgres/connection_error_catalogue.csv")
    else {
        return;
    };
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut rows = 0;
    let mut cases = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let scenario = &record[0];
        let sqlstate = record[1].trim();
        let (code, fields, sql) = expectation(scenario);
        for message in messages(&record[3]) {
            let detail = record[4].trim();
            let input = ErrorInput {
                sqlstate: (!sqlstate.is_empty()).then(|| sqlstate.to_owned()),
                message: message.clone(),
                detail: detail.strip_prefix("DETAIL: ").map(str::to_owned),
                client: None,
                context: ErrorContext {
                    username: Some("Ann Lee".into()),
                    schema: Some("Sales".into()),
                    ..ErrorContext::default()
                },
            };
            let e = explain(&input);
            assert_eq!(e.code, code, "{scenario}: {message}");
            for f in fields {
                assert!(
                    e.fields.contains(f),
                    "{scenario}: {f:?} not in {:?}",
                    e.fields
                );
            }
            if let Some(sql) = sql {
                let got = e.fix_sql.as_deref().unwrap_or("");
                assert!(
                    got.contains(sql),
                    "{scenario}: fix_sql {got:?} lacks {sql:?}"
                );
            }
            assert!(!e.cause.is_empty() && !e.fix.is_empty() && !e.title.is_empty());
            cases += 1;
        }
        rows += 1;
    }
    assert_eq!(rows, 29, "the catalogue has 29 scenarios");
    assert!(cases >= 29);
}

#[test]
fn hba_rows_come_with_a_pg_hba_line() {
    let e = explain(&ErrorInput {
        sqlstate: Some("28000".into()),
        message: "no pg_hba.conf entry for host \"203.0.113.7\", user \"Ann Lee\", database \"analytics\", SSL encryption".into(),
        ..ErrorInput::default()
    });
    assert_eq!(
        e.fix_config.as_deref(),
        Some("hostssl analytics       \"Ann Lee\"       203.0.113.7/32          scram-sha-256")
    );
    assert!(
        !e.fields.contains(&Field::SslMode),
        "encrypted attempt: ssl_mode is not the cause"
    );
    assert_eq!(e.fix_sql.as_deref(), Some("SELECT pg_reload_conf();"));
}

//! libpq's own connection-URI tests (`src/interfaces/libpq/t/001_uri.pl` of PostgreSQL 18, as JSON
//! in `../shared/testdata/postgres/libpq-uri/uri_tests.pg18.json`) run through pgconnect's parser:
//! every input libpq rejects is rejected with libpq's own message, and every input it accepts
//! parses to the same host, port, user, password, dbname and sslmode — except the cases the model
//! cannot express, listed below with the reason, which must get the named diagnostic and no value.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use pgconnect_core::connstr::{ParsedConnectionString, parse_connection_string};

/// Inputs libpq accepts whose result the payload model cannot hold: (input, diagnostic, reason).
const NOT_EXPRESSIBLE: &[(&str, &str, &str)] = &[
    (
        "postgresql://?hostaddr=127.0.0.1",
        "connstr/hostaddr-as-host",
        "hostaddr without host: the address becomes the host (an info note says so)",
    ),
    (
        "postgresql://example.com?hostaddr=63.1.2.4",
        "connstr/hostaddr",
        "host name plus a separate address to dial: one host field cannot hold both",
    ),
    (
        "postgres://?host=/path/to/socket/dir",
        "connstr/unix-socket",
        "Unix-domain socket directory: pgconnect connects over TCP",
    ),
    (
        "postgres://otheruser@?host=/no/such/directory",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://otheruser@/?host=/no/such/directory",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://otheruser@:12345?host=/no/such/socket/path",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://otheruser@:12345/db?host=/path/to/socket",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://:12345/db?host=/path/to/socket",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://:12345?host=/path/to/socket",
        "connstr/unix-socket",
        "Unix-domain socket directory",
    ),
    (
        "postgres://%2Fvar%2Flib%2Fpostgresql/dbname",
        "connstr/unix-socket",
        "Unix-domain socket directory written as a percent-encoded host",
    ),
];

fn expected_options(stdout: &str) -> BTreeMap<String, String> {
    let re = regex::Regex::new(r"([A-Za-z0-9_]+)='([^']*)'").unwrap();
    re.captures_iter(stdout)
        .map(|c| (c[1].to_owned(), c[2].to_owned()))
        .collect()
}

fn ours(p: &ParsedConnectionString) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), v);
        }
    };
    put("host", p.host.clone());
    put("port", p.port.map(|n| n.to_string()));
    put("user", p.username.clone());
    put(
        "password",
        p.password.as_ref().map(|s| s.expose().to_owned()),
    );
    put("dbname", p.database.clone());
    put("sslmode", p.ssl_mode.map(|m| m.as_str().to_owned()));
    m
}

#[test]
fn libpq_18_uri_tests() {
    let Some(path) = pgconnect_testkit::testdata_file("postgres/libpq-uri/uri_tests.pg18.json")
    else {
        return;
    };
    let suite: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tests = suite["tests"].as_array().unwrap();
    assert_eq!(tests.len(), suite["count"].as_u64().unwrap() as usize);
    let (mut rejected, mut same, mut listed) = (0, 0, 0);
    for t in tests {
        let input = t["input"].as_str().unwrap();
        let p = parse_connection_string(input);
        let codes: Vec<&str> = p
            .report
            .diagnostics
            .iter()
            .map(|d| d.code.as_ref())
            .collect();
        if !t["ok"].as_bool().unwrap() {
            // rejected, with libpq's message
            let want = t["expected_stderr"]
                .as_str()
                .unwrap()
                .trim_end()
                .trim_start_matches("libpq_uri_regress: ");
            assert_eq!(codes, ["connstr/syntax"], "{input} must be rejected");
            assert_eq!(p.report.diagnostics[0].message, want, "{input}");
            rejected += 1;
            continue;
        }
        assert!(
            !codes.contains(&"connstr/syntax"),
            "{input} must be accepted: {codes:?}"
        );
        if let Some((_, code, _reason)) = NOT_EXPRESSIBLE.iter().find(|(i, ..)| *i == input) {
            assert!(codes.contains(code), "{input}: want {code}, got {codes:?}");
            let expected = expected_options(t["expected_stdout"].as_str().unwrap());
            // never a wrong value: a host we return is the one libpq would dial
            if let Some(h) = &p.host {
                assert_eq!(Some(h), expected.get("hostaddr"), "{input}");
            }
            listed += 1;
            continue;
        }
        let mut want = expected_options(t["expected_stdout"].as_str().unwrap());
        want.retain(|k, _| {
            ["host", "port", "user", "password", "dbname", "sslmode"].contains(&k.as_str())
        });
        let mut got = ours(&p);
        // libpq_uri_regress prints only non-default options. With PGSSLROOTCERT=system the default
        // sslmode is verify-full, so an explicit verify-full is not printed.
        let default_sslmode = if t["env"]["PGSSLROOTCERT"] == "system" {
            "verify-full"
        } else {
            "prefer"
        };
        if !want.contains_key("sslmode")
            && got.get("sslmode").map(String::as_str) == Some(default_sslmode)
        {
            got.remove("sslmode");
        }
        assert_eq!(got, want, "{input}");
        same += 1;
    }
    let listed_total = NOT_EXPRESSIBLE.len();
    assert_eq!(
        listed, listed_total,
        "every listed case must occur in the suite"
    );
    eprintln!(
        "libpq 18 URI tests: {rejected} rejected as libpq rejects them, {same} parsed to libpq's \
         values, {listed} not expressible (diagnosed), of {}",
        tests.len()
    );
    assert_eq!(rejected + same + listed, tests.len());
}

//! Test Connection with vault-backed credentials, end to end: a real OpenBao holds the shop's
//! host, port, role and password; a real PostgreSQL checks them. A rotated password is picked up
//! by the next check; a vault address the network policy denies is refused before any exchange;
//! a key the secret lacks is named. Every log line of every crate is captured at TRACE level and
//! no secret value may appear in it, nor in any report (values show as their `${key}`). Its own
//! test binary: the capturing subscriber must be the process's global one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::{LOGIN_PASSWORD, vault};
use pgconnect_live::check::{
    CheckError, CheckEvent, CheckInput, CheckOptions, CheckReport, run_check, run_check_streamed,
};
use pgconnect_testkit::logs::contains_token;
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA, psql_ok};
use serde_json::{Value, json};

fn payload(secrets: &Value) -> Value {
    json!({
        "name": "vaulted-shop", "teams": ["Public"], "database": DB, "schema": SCHEMA,
        "connection": {
            "type": "postgresql", "host": "${host}", "port": "${port}",
            "username": "${username}", "password": "${password}", "ssl_mode": "disable",
            "secrets_management": secrets
        }
    })
}

fn check(rt: &tokio::runtime::Runtime, p: &Value, outputs: &mut String) -> CheckReport {
    let options = CheckOptions {
        total_timeout: Duration::from_secs(10),
        ..CheckOptions::default()
    };
    let r = rt
        .block_on(run_check(
            CheckInput {
                payload: Some(p),
                ..CheckInput::default()
            },
            &options,
        ))
        .unwrap_or_else(|r| panic!("{r:?}"));
    outputs.push_str(&serde_json::to_string(&r).unwrap());
    outputs.push_str(&format!("{r:?}"));
    r
}

#[test]
fn vault_backed_credentials_end_to_end_without_leaking_a_value() {
    let logs = pgconnect_testkit::logs::capture_everything().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pg = shop::start(PgOptions::default()).unwrap();
    let v = vault();
    let port = pg.port().to_string();
    let put = |password: &str| {
        v.server
            .bao(&[
                "kv",
                "put",
                "secret/shop",
                "host=localhost",
                &format!("port={port}"),
                &format!("username={READER}"),
                &format!("password={password}"),
            ])
            .unwrap();
    };
    put(PASSWORD);
    let mut secrets = v.userpass("alice", LOGIN_PASSWORD);
    secrets["secret_url"] = json!(format!("{}/v1/secret/data/shop", v.server.addr()));
    let p = payload(&secrets);
    let mut outputs = String::new();

    // 1. the check logs in with what the vault holds
    let r = check(&rt, &p, &mut outputs);
    assert!(r.connected, "{r:#?}");
    assert!(r.privileges.as_ref().unwrap().ok, "{r:#?}");
    let s = r.secrets.as_ref().unwrap();
    assert_eq!(s.keys_resolved, ["host", "password", "port", "username"]);
    assert!(s.keys_missing.is_empty());
    let names: Vec<_> = r
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.outcome))
        .collect();
    assert_eq!(names[1].0, "secrets");
    assert_eq!(
        serde_json::to_value(names[1].1).unwrap(),
        json!("ok"),
        "{r:#?}"
    );
    // values from the vault are shown as their keys
    assert_eq!(r.current_user.as_deref(), Some("${username}"));
    assert!(
        r.stages
            .iter()
            .any(|s| s.detail.contains("logged in as ${username}")),
        "{:#?}",
        r.stages
    );

    // 1b. streamed, each stage is told as it ends, redacted as the report is
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    rt.block_on(run_check_streamed(
        CheckInput {
            payload: Some(&p),
            ..CheckInput::default()
        },
        &CheckOptions::default(),
        tx,
    ));
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        outputs.push_str(&serde_json::to_string(&e).unwrap());
        events.push(e);
    }
    let told: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            CheckEvent::Stage { stage } => Some(stage.clone()),
            _ => None,
        })
        .collect();
    assert!(
        told.iter()
            .any(|s| s.detail.contains("logged in as ${username}")),
        "{told:#?}"
    );
    match events.last() {
        Some(CheckEvent::Report { report }) => {
            assert!(report.connected);
            assert_eq!(report.stages.len(), told.len(), "every stage is told once");
        }
        other => panic!("the last event must be the report: {other:?}"),
    }

    // 2. the password rotates in the database and in the vault: the next check uses the new one
    let rotated = "R0tated-Shop-pw#2";
    psql_ok(
        &pg,
        "postgres",
        &format!("ALTER ROLE {READER} PASSWORD '{rotated}';"),
    )
    .unwrap();
    let r = check(&rt, &p, &mut outputs);
    assert!(!r.connected, "the old password must fail now");
    match &r.error {
        Some(CheckError::Connection(e)) => {
            assert_eq!(e.code, "auth/password-failed");
            assert!(e.cause.contains("${username}"), "{e:#?}");
        }
        other => panic!("{other:?}"),
    }
    put(rotated);
    let r = check(&rt, &p, &mut outputs);
    assert!(r.connected, "rotated password not picked up: {r:#?}");

    // 3. a key the secret lacks
    let mut lacking = p.clone();
    lacking["database"] = json!("${database}");
    let r = check(&rt, &lacking, &mut outputs);
    assert!(!r.connected);
    assert_eq!(r.secrets.as_ref().unwrap().keys_missing, ["database"]);
    match &r.error {
        Some(CheckError::Connection(e)) => assert_eq!(e.code, "secrets/unresolved"),
        other => panic!("{other:?}"),
    }

    // 4. a vault URL aimed at the cloud metadata address is refused before any exchange
    let mut metadata = secrets.clone();
    metadata["login_url"] = json!("http://169.254.169.254/v1/auth/userpass/login/alice");
    let started = Instant::now();
    let r = check(&rt, &payload(&metadata), &mut outputs);
    assert!(started.elapsed() < Duration::from_millis(500));
    match &r.error {
        Some(CheckError::Vault(e)) => assert_eq!(e.explanation.code, "vault/denied", "{e:#?}"),
        other => panic!("{other:?}"),
    }
    // ... and a name that resolves to a denied address is refused too
    let mut named = secrets.clone();
    named["login_url"] = json!(format!(
        "http://localhost:{}/v1/auth/userpass/login/alice",
        v.server.addr().rsplit(':').next().unwrap()
    ));
    let options = CheckOptions {
        policy: pgconnect_live::policy::NetworkPolicy::new(
            vec![],
            vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        ),
        ..CheckOptions::default()
    };
    let r = rt
        .block_on(run_check(
            CheckInput {
                payload: Some(&payload(&named)),
                ..CheckInput::default()
            },
            &options,
        ))
        .unwrap();
    outputs.push_str(&serde_json::to_string(&r).unwrap());
    match &r.error {
        Some(CheckError::Vault(e)) => assert_eq!(e.explanation.code, "vault/denied", "{e:#?}"),
        other => panic!("{other:?}"),
    }

    // Nothing the vault holds, and no credential, appears anywhere.
    let logs = logs.text();
    assert!(logs.contains("check finished"), "logging was not captured");
    let everything = format!("{outputs}\n{logs}");
    for secret in [
        PASSWORD,
        rotated,
        LOGIN_PASSWORD,
        READER,
        port.as_str(),
        v.server.root_token(),
    ] {
        assert!(
            !contains_token(&everything, secret),
            "{secret:?} leaked:\n{everything}"
        );
    }
}

//! A 201 means durable: `pgconnect serve` on the SQLite store is killed with SIGKILL in the middle
//! of a burst of creates; after a restart every acknowledged record is there, intact, and its
//! sealed password still opens (the connection tests live against real PostgreSQL).

#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::{Value, json};

mod common;

use common::{request, start};

#[test]
fn every_acknowledged_create_survives_sigkill() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let token = common::token(data.path(), "developer", &["Public"]);

    let (mut server, addr, _stdout) = start(data.path());
    let acknowledged = Arc::new(Mutex::new(Vec::<(i64, Value)>::new()));
    let attempts = Arc::new(Mutex::new(0usize));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (addr, token, acknowledged, attempts) = (
                addr.clone(),
                token.clone(),
                acknowledged.clone(),
                attempts.clone(),
            );
            let port = pg.port();
            std::thread::spawn(move || {
                for i in 0.. {
                    let spec = json!({"name": format!("c-{w}-{i}"), "type": "postgresql",
                        "host": "127.0.0.1", "port": port, "username": READER,
                        "password": PASSWORD, "ssl_mode": "disable"});
                    *attempts.lock().unwrap() += 1;
                    match request(&addr, "POST", "/api/connections", &token, &spec.to_string()) {
                        Some((201, body)) => match serde_json::from_str::<Value>(&body) {
                            Ok(v) => acknowledged
                                .lock()
                                .unwrap()
                                .push((v["id"].as_i64().unwrap(), spec)),
                            Err(_) => return, // cut off mid-answer: not acknowledged
                        },
                        Some((status, body)) => panic!("{status}: {body}"),
                        None => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    // kill it mid-burst, once a good number of creates are acknowledged
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 150 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = server.wait();
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let attempts = *attempts.lock().unwrap();
    assert!(
        acknowledged.len() >= 150,
        "only {} acknowledged",
        acknowledged.len()
    );
    assert!(
        attempts > acknowledged.len(),
        "the kill came while requests were in flight"
    );

    // restart on the same directory: every acknowledged record is there, as it was sent
    let (mut server, addr, _stdout) = start(data.path());
    let (status, body) = request(&addr, "GET", "/api/connections", &token, "").unwrap();
    assert_eq!(status, 200);
    let stored: Vec<Value> = serde_json::from_str(&body).unwrap();
    for (id, spec) in &acknowledged {
        let got = stored.iter().find(|c| c["id"] == *id).unwrap_or_else(|| {
            panic!(
                "connection {id} ({}) was acknowledged but is gone",
                spec["name"]
            )
        });
        for field in ["name", "type", "host", "port", "username", "ssl_mode"] {
            assert_eq!(got[field], spec[field], "connection {id}: {field}");
        }
        assert_eq!(got["password_set"], true);
    }
    // the sealed passwords still open: a sample of them logs in
    for (id, _) in acknowledged.iter().step_by(acknowledged.len() / 5) {
        let (status, body) = request(
            &addr,
            "POST",
            &format!("/api/connections/{id}/test"),
            &token,
            &json!({"database": DB, "schema": SCHEMA}).to_string(),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"status\":\"connected\""), "{body}");
    }
    println!(
        "{} creates acknowledged before SIGKILL ({attempts} attempted); all {} found intact after restart",
        acknowledged.len(),
        acknowledged.len()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
}

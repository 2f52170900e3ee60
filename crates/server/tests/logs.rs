//! The server's logs, captured at TRACE level for every crate while requests carrying passwords go
//! through every path (success, wrong password, invalid payload, malformed JSON, too large): no
//! password appears in any log line or answer. Its own test binary: the capturing subscriber must
//! be the process's global one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
mod common;

use pgconnect_server::app;
use pgconnect_testkit::pg::PgOptions;
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, SCHEMA};
use serde_json::json;
use tower::ServiceExt as _;

#[tokio::test(flavor = "multi_thread")]
async fn no_password_in_any_log_line_or_answer() {
    let logs = pgconnect_testkit::logs::capture_everything().unwrap();
    let pg = shop::start(PgOptions::default()).unwrap();
    let state = common::state(common::config()).await;
    let app = app(state.clone());
    let wrong = "Wr0ng-Passw0rd-xyz";
    let payload = |password: &str| {
        json!({
            "name": "shop", "type": "postgresql",
            "config": {"host": "127.0.0.1", "port": pg.port(), "database": DB, "schema": SCHEMA, "ssl_mode": "disable"},
            "credentials": {"username": READER, "password": password}
        })
        .to_string()
    };
    let bodies = vec![
        payload(PASSWORD),
        payload(wrong),
        // invalid (port) with a password in it
        payload(wrong).replace(&pg.port().to_string(), "\"not-a-port\""),
        // malformed JSON right after the password
        format!("{{\"credentials\": {{\"password\": \"{wrong}\" oops"),
        // too large
        format!(
            "{{\"credentials\": {{\"password\": \"{wrong}\"}}, \"pad\": \"{}\"}}",
            "x".repeat(70_000)
        ),
    ];
    let mut answers = String::new();
    for body in bodies {
        let response = app
            .clone()
            .oneshot(
                Request::post("/api/connections/test")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {}", common::admin()))
                    .header("cookie", format!("other={wrong}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        answers.push_str(&format!("{} ", response.status()));
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        answers.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(answers.starts_with("200 OK"), "{answers}");
    for status in ["422", "400", "413"] {
        assert!(answers.contains(status), "{status} missing: {answers}");
    }
    // a login link opens a session: its line names the session it opened
    let code = pgconnect_server::api::session::new_login_code(
        state.registry(),
        &pgconnect_server::api::session::admin_grant(),
    )
    .await
    .unwrap();
    let response = app
        .clone()
        .oneshot(
            Request::get(format!("/login?code={code}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let logs = logs.text();
    let line = logs
        .lines()
        .find(|l| l.contains("route=/login status=303"))
        .unwrap();
    assert!(line.contains("who=\"admin\" token="), "{line}");
    assert!(!line.contains("token=-"), "{line}");
    assert!(!logs.contains(&code), "the login code is in no line");
    assert!(
        logs.contains("route=/api/connections/test status=200"),
        "{logs}"
    );
    assert!(logs.contains("check finished"), "{logs}");
    // each request line says who made it: the token's subject and id, never the token
    let line = logs
        .lines()
        .find(|l| l.contains("route=/api/connections/test status=200"))
        .unwrap();
    let id = line.split("token=").nth(1).unwrap_or_default();
    assert!(line.contains("who=\"test\""), "{line}");
    assert!(
        id.len() >= 16 && id.chars().take(16).all(|c| c.is_ascii_hexdigit()),
        "{line}"
    );
    // a JWT's header, base64 `{"` — in no line
    assert!(!logs.contains("eyJ"), "a token in the logs:\n{logs}");
    for secret in [PASSWORD, wrong] {
        assert!(!logs.contains(secret), "{secret:?} in the logs:\n{logs}");
        assert!(
            !answers.contains(secret),
            "{secret:?} in an answer:\n{answers}"
        );
    }
}

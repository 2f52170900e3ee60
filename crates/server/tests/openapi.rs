//! The OpenAPI document, and what schemathesis found against it (kept as regression tests): a
//! SQLite write race answered 503, and `Allow` headers that listed a method the resource does not
//! take. The schemathesis run itself is in `scripts/test.sh`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use axum::http::{StatusCode, header};
use pgconnect_server::app;
use serde_json::{Value, json};

#[tokio::test]
async fn the_document_is_served_without_a_token_and_names_every_route() {
    let app = app(common::state(common::config()).await);
    let (status, headers, body) =
        common::call(&app, "GET", "/api/openapi.json", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let mut operations = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.insert(format!("{} {path}", method.to_uppercase()));
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "duplicate operationId in {method} {path}"
            );
        }
    }
    let expected = [
        "GET /healthz",
        "GET /readyz",
        "GET /api/openapi.json",
        "POST /api/datastores/connection",
        "POST /api/connections/test",
        "POST /api/connections",
        "GET /api/connections",
        "GET /api/connections/{id}",
        "PATCH /api/connections/{id}",
        "PATCH /api/datastores/{id}",
        "DELETE /api/connections/{id}",
        "POST /api/connections/{id}/test",
        "POST /api/datastores",
        "GET /api/datastores",
        "GET /api/datastores/{id}",
        "DELETE /api/datastores/{id}",
        "POST /api/datastores/{id}/connection",
        "POST /api/datastores/{id}/catalog",
        "GET /api/datastores/{id}/catalog",
        "PATCH /api/datastores/{id}/enrichment/{enrichment_id}",
        "DELETE /api/datastores/{id}/enrichment",
        "GET /api/session",
        "DELETE /api/session",
        "GET /api/teams",
        "POST /api/login-links",
        "GET /api/login-links",
        "DELETE /api/login-links/{id}",
        "GET /api/tokens",
        "DELETE /api/tokens/{id}",
        "GET /login",
        "POST /assets/data",
        "GET /assets/data",
        "GET /assets/data/{id}",
        "POST /assets/data/{id}:test",
        "DELETE /assets/data/{id}",
    ];
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(operations, expected);

    // every reference resolves (a response or schema used by a route but not registered would not)
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 100, "{}", refs.len());
    for r in &refs {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }

    // both ways to authenticate are declared, and required by default
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "pgconnect_session");
    assert_eq!(doc["security"], json!([{"bearer": []}, {"session": []}]));
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn answers_carry_no_secret_field_and_the_schemas_say_so() {
    let app = app(common::state(common::config()).await);
    let (status, _, body) = common::call(&app, "GET", "/api/openapi.json", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ConnectionView",
        "ConnectionSpec",
        "SecretsManagementView",
        "AssetView",
    ] {
        let text = schemas[name].to_string();
        assert!(
            !text.contains("\"password\"") && !text.contains("\"credentials_payload\""),
            "{name} describes a secret: {text}"
        );
    }
    // the request body keeps its secret fields; unknown fields are documented as ignored,
    // as the core does (a warning), not refused
    let body = &schemas["QualyticsConnection"];
    assert!(body["properties"]["password"].is_object());
    assert!(body.get("additionalProperties").is_none());
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("field/unknown")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_deletes_and_creates_on_sqlite_never_answer_503() {
    // A deferred SQLite transaction that reads then writes failed at once with "database is
    // locked" when another writer committed in between; write transactions now BEGIN IMMEDIATE.
    let app = app(common::state(common::config()).await);
    let token = common::admin();
    let connection = |i: usize| {
        json!({"name": format!("c{i}"), "type": "postgresql", "host": "db.example.com",
               "port": 5432, "username": "u", "password": "p"})
        .to_string()
        .into_bytes()
    };
    let mut ids = Vec::new();
    for i in 0..24 {
        let (status, _, body) = common::call(
            &app,
            "POST",
            "/api/connections",
            Some(&token),
            &[],
            connection(i),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let v: Value = serde_json::from_slice(&body).unwrap();
        ids.push(v["id"].as_i64().unwrap());
    }
    let mut tasks = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let (a, t) = (app.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            common::call(
                &a,
                "DELETE",
                &format!("/api/connections/{id}"),
                Some(&t),
                &[],
                vec![],
            )
            .await
            .0
        }));
        let (a, t) = (app.clone(), token.clone());
        let body = connection(100 + i);
        tasks.push(tokio::spawn(async move {
            common::call(&a, "POST", "/api/connections", Some(&t), &[], body)
                .await
                .0
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(
            status == StatusCode::NO_CONTENT || status == StatusCode::CREATED,
            "{status}"
        );
    }
}

#[tokio::test]
async fn allow_names_only_the_methods_the_asset_path_takes() {
    let app = app(common::state(common::config()).await);
    let token = common::admin();
    let project = [("X-Project-ID", "p")];
    for (method, uri, allow) in [
        ("OPTIONS", "/assets/data/5", "GET,HEAD,DELETE"),
        ("POST", "/assets/data/5", "GET,HEAD,DELETE"),
        ("PUT", "/assets/data/5", "GET,HEAD,DELETE"),
        ("GET", "/assets/data/5:test", "POST"),
        ("DELETE", "/assets/data/5:test", "POST"),
        ("OPTIONS", "/assets/data/5:test", "POST"),
    ] {
        let (status, headers, body) =
            common::call(&app, method, uri, Some(&token), &project, vec![]).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(headers[header::ALLOW], allow, "{method} {uri}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "request/method");
    }
    // the methods it does take still work (404: no such asset)
    for (method, uri) in [
        ("GET", "/assets/data/5"),
        ("DELETE", "/assets/data/5"),
        ("POST", "/assets/data/5:test"),
    ] {
        let (status, _, _) = common::call(&app, method, uri, Some(&token), &project, vec![]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
    }
}

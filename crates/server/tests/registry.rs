//! The registry's API, the same scenario against both stores (SQLite in a data directory, and
//! PostgreSQL), with live tests against a real PostgreSQL server: connections, datastores,
//! enrichment links, CRAFT assets, roles and teams, the password rules, and that no answer and no
//! stored byte carries a password in clear.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use axum::http::StatusCode;
use common::{admin, call, json_call, token};
use pgconnect_server::auth::Role;
use pgconnect_server::registry::store::StoreLocation;
use pgconnect_server::{Config, app};
use pgconnect_testkit::pg::{PgOptions, PgServer, SUPERUSER, SUPERUSER_PASSWORD};
use pgconnect_testkit::shop::{self, DB, PASSWORD, READER, RESULTS, SCHEMA, WRITER};
use serde_json::{Value, json};

fn connection(pg: &PgServer, name: &str) -> Value {
    json!({"name": name, "type": "postgresql", "host": "127.0.0.1", "port": pg.port(),
           "username": READER, "password": PASSWORD, "ssl_mode": "disable"})
}

/// Every answer of the scenario, to search for the password at the end.
struct Transcript(String);

impl Transcript {
    fn add(&mut self, v: &Value) -> Value {
        self.0.push_str(&v.to_string());
        v.clone()
    }
}

async fn scenario(config: Config, pg: &PgServer) {
    let state = common::state(config).await;
    let app = app(state.clone());
    let mut seen = Transcript(String::new());
    let dev = token(Role::Developer, &["Finance"]);
    let viewer_sales = token(Role::Viewer, &["Sales"]);
    let viewer_finance = token(Role::Viewer, &["Finance"]);

    // ---- access: 401 without or with a bad token, 403 for a viewer's write
    let (status, headers, _) = call(&app, "GET", "/api/connections", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
    let (status, v) = json_call(&app, "GET", "/api/datastores", Some("x.y.z"), &Value::Null).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth/bad-token"))
    );
    let (status, v) = json_call(
        &app,
        "POST",
        "/api/connections",
        Some(&viewer_finance),
        &connection(pg, "w"),
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth/role"))
    );

    // ---- connections
    let (status, v) = json_call(
        &app,
        "POST",
        "/api/connections",
        Some(&dev),
        &connection(pg, "warehouse"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let cid = seen.add(&v)["id"].as_i64().unwrap();
    assert_eq!(v["password_set"], true);
    assert_eq!(v["name"], "warehouse");
    assert!(v.get("password").is_none(), "{v}");
    let (status, v) = json_call(
        &app,
        "POST",
        "/api/connections",
        Some(&dev),
        &connection(pg, "warehouse"),
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("registry/name-taken"))
    );
    let mut unnamed = connection(pg, "x");
    unnamed.as_object_mut().unwrap().remove("name");
    unnamed["port"] = json!(70000);
    let (status, v) = json_call(&app, "POST", "/api/connections", Some(&dev), &unnamed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paths = common::paths(&v);
    assert!(paths.contains(&"/port"), "{v}");
    seen.add(&v);
    let (status, v) = json_call(
        &app,
        "GET",
        "/api/connections",
        Some(&viewer_sales),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v.as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    seen.add(&v);
    let (status, v) = json_call(
        &app,
        "GET",
        "/api/connections/999",
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("registry/not-found"))
    );

    // the stored connection tests live (the password was sealed and opens again)
    let (status, v) = json_call(
        &app,
        "POST",
        &format!("/api/connections/{cid}/test"),
        Some(&viewer_sales),
        &json!({"database": DB, "schema": SCHEMA}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(seen.add(&v)["status"], "connected", "{v}");
    // an override tested without saving: a wrong database
    let (_, v) = json_call(
        &app,
        "POST",
        &format!("/api/connections/{cid}/test"),
        Some(&dev),
        &json!({"database": "nope"}),
    )
    .await;
    assert_eq!(seen.add(&v)["status"], "failed");
    // an override that moves the stored password elsewhere is refused
    let (status, v) = json_call(
        &app,
        "POST",
        &format!("/api/connections/{cid}/test"),
        Some(&dev),
        &json!({"host": "198.51.100.7", "database": DB}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["diagnostics"][0]["code"], "connection/password-required");
    // the overrides are optional: no body tests as stored; a body of whitespace is no JSON
    let test_path = format!("/api/connections/{cid}/test");
    let (status, _, out) = call(&app, "POST", &test_path, Some(&dev), &[], vec![]).await;
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (status, &v["connected"]),
        (StatusCode::OK, &json!(false)),
        "no database given: {v}"
    );
    let (status, _, out) = call(&app, "POST", &test_path, Some(&dev), &[], b"\r".to_vec()).await;
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "request/json-syntax");
    assert!(
        v["error"]["help"]
            .as_str()
            .unwrap()
            .contains("or no body at all"),
        "{v}"
    );

    // ---- datastores
    let source = json!({"name": "orders", "teams": ["Finance"], "database": DB, "schema": SCHEMA,
                        "enrich_only": false, "trigger_catalog": false, "connection_id": cid});
    let (status, v) = json_call(&app, "POST", "/api/datastores", Some(&dev), &source).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let sid = seen.add(&v)["id"].as_i64().unwrap();
    assert_eq!(v["connection"]["id"], cid);
    assert_eq!(v["connection"]["password_set"], true);
    // a datastore with its own new, unnamed connection: it takes the datastore's name
    let enrichment = json!({"name": "results", "teams": ["Public"], "database": DB, "schema": "results",
        "enrich_only": true, "enrichment_prefix": "qa", "trigger_catalog": true,
        "connection": {"type": "postgresql", "host": "127.0.0.1", "port": pg.port().to_string(),
                       "username": WRITER, "password": PASSWORD, "ssl_mode": "disable"}});
    let (status, v) = json_call(&app, "POST", "/api/datastores", Some(&dev), &enrichment).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let eid = seen.add(&v)["id"].as_i64().unwrap();
    assert_eq!(v["connection"]["name"], "results");
    assert_eq!(v["enrich_only"], true);
    // unknown connection_id: 404 naming the field; a team the developer is not in: 403
    let (status, v) = json_call(&app, "POST", "/api/datastores", Some(&dev),
        &json!({"name": "x", "teams": ["Finance"], "database": DB, "schema": SCHEMA, "connection_id": 4242})).await;
    assert_eq!(
        (status, v["error"]["path"].as_str()),
        (StatusCode::NOT_FOUND, Some("/connection_id"))
    );
    let (status, v) = json_call(&app, "POST", "/api/datastores", Some(&dev),
        &json!({"name": "x", "teams": ["Finance", "Sales"], "database": DB, "schema": SCHEMA, "connection_id": cid})).await;
    assert_eq!(
        (status, v["error"]["path"].as_str()),
        (StatusCode::FORBIDDEN, Some("/teams/1"))
    );
    // invalid: 422 with the core's diagnostics
    let (status, v) = json_call(
        &app,
        "POST",
        "/api/datastores",
        Some(&dev),
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["diagnostics"].as_array().unwrap().len() >= 3, "{v}");

    // teams: Sales sees only the Public enrichment datastore; Finance sees both
    let (_, v) = json_call(
        &app,
        "GET",
        "/api/datastores",
        Some(&viewer_sales),
        &Value::Null,
    )
    .await;
    let ids: Vec<i64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![eid]);
    let (_, v) = json_call(
        &app,
        "GET",
        "/api/datastores",
        Some(&viewer_finance),
        &Value::Null,
    )
    .await;
    assert_eq!(seen.add(&v).as_array().unwrap().len(), 2);
    let (status, _) = json_call(
        &app,
        "GET",
        &format!("/api/datastores/{sid}"),
        Some(&viewer_sales),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "existence is not disclosed");
    let (status, _) = json_call(
        &app,
        "DELETE",
        &format!("/api/datastores/{sid}"),
        Some(&viewer_finance),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // verify the stored datastore live
    let (status, v) = json_call(
        &app,
        "POST",
        &format!("/api/datastores/{sid}/connection"),
        Some(&viewer_finance),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen.add(&v)["status"], "connected", "{v}");
    assert_eq!(v["table_count"], shop::SALES_TABLES);

    // ---- catalog discovery, on demand (the enrichment datastore ran it on create)
    let (status, v) = json_call(
        &app,
        "POST",
        &format!("/api/datastores/{sid}/catalog"),
        Some(&viewer_finance),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, _) = json_call(
        &app,
        "POST",
        &format!("/api/datastores/{sid}/catalog"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let catalog = wait_for_catalog(&app, sid, &viewer_finance).await;
    assert_eq!(catalog["status"], "done", "{catalog}");
    let c = &catalog["catalog"];
    let names: Vec<&str> = c["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["customers", "orders", "recent_orders"]);
    let orders = &c["tables"][1];
    assert_eq!(orders["primary_key"], json!(["id"]));
    assert_eq!(
        orders["columns"][2],
        json!({"name": "placed_at", "data_type": "timestamp with time zone", "nullable": true})
    );
    assert_eq!(
        orders["incremental_candidates"],
        json!([{"column": "id", "reason": "serial"}, {"column": "placed_at", "reason": "timestamp"}])
    );
    assert_eq!(c["tables"][2]["kind"], "view");
    assert_eq!(c["tables_without_primary_key"], json!([]));
    assert_eq!(c["column_count"], 3 + 2 + 3);
    let on_create = wait_for_catalog(&app, eid, &dev).await;
    assert_eq!(
        on_create["catalog"]["tables"][0]["name"], "history",
        "{on_create}"
    );
    let (status, _) = json_call(
        &app,
        "GET",
        &format!("/api/datastores/{sid}/catalog"),
        Some(&viewer_sales),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // ---- enrichment link
    let (status, v) = json_call(
        &app,
        "PATCH",
        &format!("/api/datastores/{sid}/enrichment/{eid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["enrichment_datastore"]["id"], eid);
    assert_eq!(v["enrichment_datastore"]["host"], "127.0.0.1");
    assert_eq!(
        v["enrichment_prefix"],
        Value::Null,
        "no body: the prefix stays (none)"
    );
    // the prefix is set with the link, checked as on a new datastore; a refusal changes nothing
    let link = |body: Value, token: &str| {
        let (app, token) = (app.clone(), token.to_owned());
        async move {
            json_call(
                &app,
                "PATCH",
                &format!("/api/datastores/{sid}/enrichment/{eid}"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    let (status, v) = link(json!({"enrichment_prefix": "sales_"}), &dev).await;
    assert_eq!(
        (status, v["enrichment_prefix"].as_str()),
        (StatusCode::OK, Some("sales_")),
        "{v}"
    );
    let (status, v) = link(json!({"enrichment_prefix": "Sales"}), &dev).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        (&v["diagnostics"][0]["code"], &v["diagnostics"][0]["path"]),
        (
            &json!("enrichment/prefix-uppercase"),
            &json!("/enrichment_prefix")
        )
    );
    let (status, v) = link(json!({"prefix": "orders_"}), &dev).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["diagnostics"][0]["code"], "link/unknown-field");
    let (status, v) = link(json!({"enrichment_prefix": "orders_"}), &viewer_finance).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, v) = link(Value::Null, &dev).await;
    assert_eq!(
        (status, v["enrichment_prefix"].as_str()),
        (StatusCode::OK, Some("sales_")),
        "refusals and a link without a body leave the prefix: {v}"
    );
    let (status, v) = link(json!({"enrichment_prefix": null}), &dev).await;
    assert_eq!(
        (
            status,
            &v["enrichment_prefix"],
            &v["enrichment_datastore"]["id"]
        ),
        (StatusCode::OK, &Value::Null, &json!(eid))
    );
    let (status, v) = link(json!({"enrichment_prefix": "sales_"}), &dev).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = json_call(
        &app,
        "PATCH",
        &format!("/api/datastores/{eid}/enrichment/{sid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("registry/not-a-source"))
    );
    let (status, v) = json_call(
        &app,
        "DELETE",
        &format!("/api/datastores/{sid}/enrichment"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, &v["enrichment_datastore"], &v["enrichment_prefix"]),
        (StatusCode::OK, &Value::Null, &json!("sales_")),
        "unlinking keeps the prefix for the next link"
    );

    // ---- the datastore's own fields: checked as on create, team rules, the catalog follows
    let change = |id: i64, body: Value, token: &str| {
        let (app, token) = (app.clone(), token.to_owned());
        async move {
            json_call(
                &app,
                "PATCH",
                &format!("/api/datastores/{id}"),
                Some(&token),
                &body,
            )
            .await
        }
    };
    let code = |v: &Value| {
        v["error"]["code"]
            .as_str()
            .or(v["diagnostics"][0]["code"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, v) = change(sid, json!({"name": "x"}), &viewer_finance).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::FORBIDDEN, "auth/role".into())
    );
    let (status, v) = change(sid, json!({"name": "x"}), &viewer_sales).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not visible: {v}");
    let (status, v) = change(sid, json!({"shema": "results", "port": 1}), &dev).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let help = |path: &str| {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path)
            .map(|d| d["help"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(help("/shema"), "did you mean `schema`?", "{v}");
    assert!(help("/port").contains("PATCH /api/connections/"), "{v}");
    let (status, v) = change(sid, json!({"teams": ["Finance", "Sales"]}), &dev).await;
    assert_eq!(
        (status, v["error"]["path"].as_str()),
        (StatusCode::FORBIDDEN, Some("/teams/1"))
    );
    // re-sending the stored schema is no move: the catalog stays
    let (status, v) = change(
        sid,
        json!({"name": "orders v2", "schema": SCHEMA, "enrichment_prefix": null}),
        &dev,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["name"], &v["schema"], &v["enrichment_prefix"]),
        (&json!("orders v2"), &json!(SCHEMA), &Value::Null)
    );
    assert_eq!(v["catalog"]["status"], "done", "{v}");
    // a move drops the catalog, and a discovery that was running then is not stored
    let store = state.registry().store();
    let started = "2000-01-01T00:00:00Z";
    store.start_catalog(sid, "run-1", started).await.unwrap();
    let (status, v) = change(sid, json!({"schema": RESULTS}), &dev).await;
    assert_eq!(
        (status, &v["schema"]),
        (StatusCode::OK, &json!(RESULTS)),
        "{v}"
    );
    assert_eq!(v["catalog"], Value::Null, "{v}");
    assert!(
        !store
            .finish_catalog(sid, "run-1", "done", started, &json!({"tables": []}))
            .await
            .unwrap()
    );
    assert!(store.catalog(sid).await.unwrap().is_none());
    // trigger_catalog discovers the new schema once the change is stored
    let (status, v) = change(
        sid,
        json!({"schema": SCHEMA, "trigger_catalog": true}),
        &dev,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["trigger_catalog"], true);
    let catalog = wait_for_catalog(&app, sid, &dev).await;
    assert_eq!(
        catalog["catalog"]["tables"][1]["name"], "orders",
        "{catalog}"
    );
    // two discoveries started in the same second: only the later one stores its result
    let now = pgconnect_server::registry::now();
    store.start_catalog(sid, "run-a", &now).await.unwrap();
    store.start_catalog(sid, "run-b", &now).await.unwrap();
    let body = |n: usize| json!({"tables": [], "column_count": n});
    assert!(
        !store
            .finish_catalog(sid, "run-a", "done", &now, &body(1))
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_catalog(sid, "run-b", "done", &now, &body(2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_catalog(sid, "run-b", "done", &now, &body(3))
            .await
            .unwrap(),
        "a finished run is not finished twice"
    );
    assert_eq!(
        store.catalog(sid).await.unwrap().unwrap().body,
        Some(body(2))
    );
    // a discovery whose server stopped reads as interrupted, with the way out
    store
        .start_catalog(sid, "run-c", "2000-01-01T00:00:00Z")
        .await
        .unwrap();
    let (status, v) = json_call(
        &app,
        "GET",
        &format!("/api/datastores/{sid}/catalog"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, &v["status"], &v["failure"]["error"]["code"]),
        (
            StatusCode::OK,
            &json!("failed"),
            &json!("catalog/interrupted")
        ),
        "{v}"
    );
    assert!(
        v["failure"]["error"]["help"]
            .as_str()
            .is_some_and(|h| h.contains("Discover again")),
        "{v}"
    );
    let (_, v) = json_call(
        &app,
        "GET",
        &format!("/api/datastores/{sid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(v["catalog"]["status"], "failed", "{v}");
    let (status, _) = json_call(
        &app,
        "POST",
        &format!("/api/datastores/{sid}/catalog"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let catalog = wait_for_catalog(&app, sid, &dev).await;
    assert_eq!(catalog["status"], "done", "{catalog}");
    // teams: a developer adds and removes only its own teams and keeps sight of the datastore
    let (status, v) = change(eid, json!({"teams": ["Public", "Sales"]}), &admin()).await;
    assert_eq!(
        (status, &v["teams"]),
        (StatusCode::OK, &json!(["Public", "Sales"]))
    );
    let (status, v) = change(eid, json!({"teams": ["Public"]}), &dev).await;
    assert_eq!(
        (status, code(&v), v["error"]["path"].as_str()),
        (StatusCode::FORBIDDEN, "auth/team".into(), Some("/teams"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"Sales\""),
        "{v}"
    );
    let (status, v) = change(eid, json!({"teams": ["Sales"]}), &dev).await;
    assert_eq!(
        (status, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "teams/lock-out".into()),
        "{v}"
    );
    let (status, v) = change(eid, json!({"teams": ["Public", "Sales", "Finance"]}), &dev).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = change(eid, json!({"teams": ["Public"]}), &admin()).await;
    assert_eq!((status, &v["teams"]), (StatusCode::OK, &json!(["Public"])));
    let (status, v) = change(sid, json!({"name": "orders"}), &dev).await;
    assert_eq!((status, &v["name"]), (StatusCode::OK, &json!("orders")));

    // ---- updates: a new address needs the password again; a rename keeps it
    let (status, v) = json_call(
        &app,
        "DELETE",
        &format!("/api/connections/{cid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("registry/connection-in-use"))
    );
    let (status, v) = json_call(
        &app,
        "PATCH",
        &format!("/api/connections/{cid}"),
        Some(&dev),
        &json!({"host": "localhost"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["diagnostics"][0]["path"], "/password");
    let (status, v) = json_call(
        &app,
        "PATCH",
        &format!("/api/connections/{cid}"),
        Some(&dev),
        &json!({"name": "warehouse-2"}),
    )
    .await;
    assert_eq!(
        (status, v["name"].as_str(), v["password_set"].as_bool()),
        (StatusCode::OK, Some("warehouse-2"), Some(true))
    );
    let (status, v) = json_call(
        &app,
        "POST",
        &format!("/api/datastores/{sid}/connection"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("connected")),
        "the kept password still opens"
    );

    // ---- CRAFT assets, scoped by X-Project-ID
    let asset = json!({"name": "production-analytics", "description": "read-only", "type": "postgresql",
        "config": {"host": "127.0.0.1", "port": pg.port(), "database": DB, "schema": SCHEMA, "ssl_mode": "disable"},
        "credentials": {"username": READER, "password": PASSWORD}});
    let crafter = token(Role::Developer, &["proj-1"]);
    let body = asset.to_string().into_bytes();
    let (status, _, _) = call(
        &app,
        "POST",
        "/assets/data",
        Some(&crafter),
        &[],
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "X-Project-ID is required");
    let (status, _, _) = call(
        &app,
        "POST",
        "/assets/data",
        Some(&crafter),
        &[("x-project-id", "proj-2")],
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, out) = call(
        &app,
        "POST",
        "/assets/data",
        Some(&crafter),
        &[("x-project-id", "proj-1")],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&out).unwrap();
    let aid = seen.add(&v)["id"].as_i64().unwrap();
    assert_eq!(v["config"]["port"], pg.port());
    assert!(v.get("credentials").is_none());
    let (_, _, out) = call(
        &app,
        "GET",
        "/assets/data",
        Some(&crafter),
        &[("x-project-id", "proj-1")],
        vec![],
    )
    .await;
    assert_eq!(
        seen.add(&serde_json::from_slice(&out).unwrap())
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, _, _) = call(
        &app,
        "GET",
        &format!("/assets/data/{aid}"),
        Some(&admin()),
        &[("x-project-id", "proj-2")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another project's id");
    let (status, _, _) = call(
        &app,
        "GET",
        &format!("/api/datastores/{aid}"),
        Some(&admin()),
        &[],
        vec![],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "assets are not Qualytics datastores"
    );
    let (status, _, out) = call(
        &app,
        "POST",
        &format!("/assets/data/{aid}:test"),
        Some(&crafter),
        &[("x-project-id", "proj-1")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&out).unwrap();
    seen.add(&v);
    assert_eq!(v["status"], "connected");
    assert!(
        v["latency_ms"].as_u64().is_some() && v["server_version"].is_string(),
        "{v}"
    );
    assert!(v["schemas"].as_array().unwrap().iter().any(|s| s == SCHEMA));
    assert_eq!(v["table_count"], shop::SALES_TABLES);
    let (status, _, _) = call(
        &app,
        "DELETE",
        &format!("/assets/data/{aid}"),
        Some(&crafter),
        &[("x-project-id", "proj-1")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // ---- deletes
    let (status, _) = json_call(
        &app,
        "DELETE",
        &format!("/api/datastores/{sid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = json_call(
        &app,
        "DELETE",
        &format!("/api/connections/{cid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = json_call(
        &app,
        "GET",
        &format!("/api/connections/{cid}"),
        Some(&dev),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    authors(&app, pg).await;

    // ---- no answer carried the password
    assert!(seen.0.len() > 5_000, "the transcript holds the answers");
    assert!(!seen.0.contains(PASSWORD), "a password in an answer");
    // and the store holds it only sealed
    let stored = stored_text(&state).await;
    assert!(stored.contains("results"), "the dump reads the store");
    assert!(
        !stored.contains(PASSWORD),
        "a password in clear in the store"
    );
}

/// Who created and who last changed a connection, a datastore and a CRAFT asset: the subject of
/// the caller's token, in every view.
async fn authors(app: &axum::Router, pg: &PgServer) {
    let alice = common::token_for("alice", Role::Developer, &["Finance"]);
    let bob = common::token_for("bob", Role::Developer, &["Finance"]);
    let body = json!({"name": "authored", "teams": ["Finance"], "database": DB, "schema": SCHEMA,
                      "connection": connection(pg, "authored-conn")});
    let (status, v) = json_call(app, "POST", "/api/datastores", Some(&alice), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (id, cid) = (
        v["id"].as_i64().unwrap(),
        v["connection"]["id"].as_i64().unwrap(),
    );
    for x in [&v, &v["connection"]] {
        assert_eq!(
            (&x["created_by"], &x["updated_by"]),
            (&json!("alice"), &json!("alice")),
            "{x}"
        );
    }
    // a change of the datastore, then of its connection, by someone else
    let (status, v) = json_call(
        app,
        "PATCH",
        &format!("/api/datastores/{id}"),
        Some(&bob),
        &json!({"name": "authored-renamed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["created_by"], &v["updated_by"]),
        (&json!("alice"), &json!("bob")),
        "{v}"
    );
    assert_eq!(
        v["connection"]["updated_by"], "alice",
        "the connection did not change: {v}"
    );
    let (status, v) = json_call(
        app,
        "PATCH",
        &format!("/api/connections/{cid}"),
        Some(&bob),
        &json!({"name": "authored-conn-renamed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["created_by"], &v["updated_by"]),
        (&json!("alice"), &json!("bob")),
        "{v}"
    );
    // unlinking counts as a change too
    let (status, v) = json_call(
        app,
        "DELETE",
        &format!("/api/datastores/{id}/enrichment"),
        Some(&alice),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, &v["updated_by"]),
        (StatusCode::OK, &json!("alice")),
        "{v}"
    );
    // a CRAFT asset
    let asset = json!({"name": "authored-asset", "type": "postgresql",
        "config": {"host": "127.0.0.1", "port": pg.port(), "database": DB, "schema": SCHEMA,
                   "ssl_mode": "disable"},
        "credentials": {"username": READER, "password": PASSWORD}});
    let crafter = common::token_for("carol", Role::Developer, &["proj-9"]);
    let (status, _, out) = call(
        app,
        "POST",
        "/assets/data",
        Some(&crafter),
        &[("x-project-id", "proj-9")],
        asset.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        (&v["created_by"], &v["updated_by"]),
        (&json!("carol"), &json!("carol")),
        "{v}"
    );
}

/// The session token a login answer's `Set-Cookie` carries.
fn session_token(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('='))
        .map(|(_, token)| token.to_owned())
        .unwrap()
}

/// Polls a datastore's catalog until discovery has finished.
async fn wait_for_catalog(app: &axum::Router, id: i64, token: &str) -> Value {
    for _ in 0..200 {
        let (status, v) = json_call(
            app,
            "GET",
            &format!("/api/datastores/{id}/catalog"),
            Some(token),
            &Value::Null,
        )
        .await;
        if status == StatusCode::OK && v["status"] != "running" {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("catalog discovery of {id} did not finish in 10 s");
}

/// What the store holds, as text: every table's rows (secrets as hex) — for SQLite also the
/// database and WAL files' raw bytes.
async fn stored_text(state: &pgconnect_server::AppState) -> String {
    let store = state.registry().store();
    let mut text = String::new();
    for c in store.connections().await.unwrap() {
        text.push_str(&c.spec.to_string());
        for (field, sealed) in store.secrets(c.id).await.unwrap() {
            text.push_str(&field);
            text.push_str(&String::from_utf8_lossy(&sealed.ciphertext));
        }
    }
    for d in store.datastores(None).await.unwrap() {
        text.push_str(&format!("{d:?}"));
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_on_sqlite() {
    let pg = shop::start(PgOptions::default()).unwrap();
    let config = common::config();
    let StoreLocation::Sqlite(dir) = config.store.clone() else {
        unreachable!()
    };
    scenario(config, &pg).await;
    // the raw files too
    let mut raw = Vec::new();
    for f in ["registry.db", "registry.db-wal"] {
        raw.extend(std::fs::read(dir.join(f)).unwrap_or_default());
    }
    assert!(raw.len() > 10_000);
    assert!(
        !raw.windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_on_postgres() {
    let pg = shop::start(PgOptions::default()).unwrap();
    shop::psql_ok(&pg, "postgres", "CREATE DATABASE registry").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/registry",
        pg.port()
    );
    let config = Config::new(StoreLocation::Postgres(url.clone()), common::keys());
    scenario(config, &pg).await;
    // two servers on one store: a record written by one is read by the other
    let a = common::state(Config::new(
        StoreLocation::Postgres(url.clone()),
        common::keys(),
    ))
    .await;
    let b = common::state(Config::new(StoreLocation::Postgres(url), common::keys())).await;
    let (status, v) = json_call(
        &app(a),
        "POST",
        "/api/connections",
        Some(&admin()),
        &connection(&pg, "shared"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, got) = json_call(
        &app(b),
        "GET",
        &format!("/api/connections/{}", v["id"]),
        Some(&admin()),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, got["name"].as_str()),
        (StatusCode::OK, Some("shared"))
    );
}

/// A server started with another key refuses the store, and says why.
#[tokio::test]
async fn a_store_opens_only_with_its_key() {
    let config = common::config();
    let dir = config.store.clone();
    drop(common::state(config).await);
    let other = pgconnect_server::registry::crypto::Keys::from_master(&[9; 32]);
    let e = pgconnect_server::AppState::open(Config::new(dir, other))
        .await
        .unwrap_err();
    assert!(
        e.contains("encrypted with key") && e.contains("PGCONNECT_SECRET_KEY"),
        "{e}"
    );
}

/// A key rotation on `store`: every secret re-sealed under the new key in one go, a server still
/// on the old key refuses to seal (the fence), and only the new key opens the store afterwards.
async fn rotation(store: StoreLocation, pg: &PgServer) {
    use pgconnect_server::registry::crypto::Keys;
    let old = common::keys();
    let before = common::state(Config::new(store.clone(), old.clone())).await;
    let (status, v) = json_call(
        &app(before.clone()),
        "POST",
        "/api/connections",
        Some(&admin()),
        &connection(pg, "rotated"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();

    let new = Keys::from_master(&[43; 32]);
    let rotating = common::state(Config::new(
        store.clone(),
        new.clone().with_previous([old.clone()]),
    ))
    .await;
    assert_eq!(rotating.registry().reseal_all().await.unwrap(), 1);
    assert_eq!(
        rotating.registry().reseal_all().await.unwrap(),
        0,
        "done once"
    );
    assert_eq!(
        rotating.registry().store().secret_key_ids().await.unwrap(),
        vec![new.id().to_owned()]
    );

    // the server that still has only the old key is not ready, and saves nothing
    let (status, v) = json_call(&app(before.clone()), "GET", "/readyz", None, &Value::Null).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "server/not-ready", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the registry's key was rotated"),
        "{v}"
    );
    let (status, v) = json_call(&app(rotating.clone()), "GET", "/readyz", None, &Value::Null).await;
    assert_eq!(
        (status, &v["status"]),
        (StatusCode::OK, &json!("ready")),
        "{v}"
    );
    let (status, v) = json_call(
        &app(before),
        "POST",
        "/api/connections",
        Some(&admin()),
        &connection(pg, "too-late"),
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("server/key-rotated"))
    );

    let after = common::state(Config::new(store.clone(), new)).await;
    let (_, spec) = after.registry().open_connection(id).await.unwrap().unwrap();
    assert_eq!(spec["password"], PASSWORD);
    let e = pgconnect_server::AppState::open(Config::new(store, old))
        .await
        .unwrap_err();
    assert!(e.contains("encrypted with key"), "{e}");
}

/// `/readyz` says whether the store answers: ready on a live PostgreSQL store, 503 within its
/// 5 s once the store is gone (a load balancer stops sending requests), while `/healthz` stays 200.
#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_store() {
    let mut pg = PgServer::start().unwrap();
    shop::psql_ok(&pg, "postgres", "CREATE DATABASE ready").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/ready",
        pg.port()
    );
    let state = common::state(Config::new(
        StoreLocation::Postgres(url.clone()),
        common::keys(),
    ))
    .await;
    let app = app(state);
    let (status, v) = json_call(&app, "GET", "/readyz", None, &Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"status": "ready", "store": "postgres"}));

    pg.stop().unwrap();
    let started = std::time::Instant::now();
    let (status, v) = json_call(&app, "GET", "/readyz", None, &Value::Null).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "server/not-ready", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the registry's store does not answer"),
        "{v}"
    );
    assert!(!v.to_string().contains(SUPERUSER_PASSWORD), "{v}");
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let (status, _) = json_call(&app, "GET", "/healthz", None, &Value::Null).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn key_rotation_on_both_stores() {
    let pg = shop::start(PgOptions::default()).unwrap();
    rotation(common::config().store, &pg).await;
    shop::psql_ok(&pg, "postgres", "CREATE DATABASE rotation").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/rotation",
        pg.port()
    );
    rotation(StoreLocation::Postgres(url), &pg).await;
}

/// On PostgreSQL, a write that seals waits while a rotation holds the store's key setting, and
/// once the rotation commits it refuses (503) instead of sealing under the dropped key.
#[tokio::test(flavor = "multi_thread")]
async fn on_postgres_a_write_waits_for_a_rotation_then_refuses() {
    use pgconnect_server::registry::crypto::Keys;
    let pg = shop::start(PgOptions::default()).unwrap();
    shop::psql_ok(&pg, "postgres", "CREATE DATABASE fence").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/fence",
        pg.port()
    );
    let state = common::state(Config::new(
        StoreLocation::Postgres(url.clone()),
        common::keys(),
    ))
    .await;
    let app = app(state);
    let (status, v) = json_call(
        &app,
        "POST",
        "/api/connections",
        Some(&admin()),
        &connection(&pg, "fenced"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();

    // a rotation in progress: its transaction has written the new key's id and not committed
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut rotation = pool.begin().await.unwrap();
    sqlx::query("UPDATE settings SET value = $1 WHERE name = 'key_id'")
        .bind(Keys::from_master(&[44; 32]).id().to_owned())
        .execute(&mut *rotation)
        .await
        .unwrap();
    let write = tokio::spawn(async move {
        json_call(
            &app,
            "PATCH",
            &format!("/api/connections/{id}"),
            Some(&admin()),
            &json!({"password": "a-new-password"}),
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!write.is_finished(), "the write waits for the rotation");
    rotation.commit().await.unwrap();
    let (status, v) = write.await.unwrap();
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("server/key-rotated"))
    );
    pool.close().await;
}

/// Token revocation on `store`, seen by two servers sharing it: a revoked token is refused by
/// both from the next request on, signing out revokes the session's token and clears its
/// cookie, a token without an id cannot be signed out (and says so), and long-expired records
/// are pruned.
async fn revocation(store: StoreLocation) {
    use pgconnect_server::auth::{Claims, TokenKind, issue, sign};
    use std::time::Duration;
    let a = common::state(Config::new(store.clone(), common::keys())).await;
    let b = common::state(Config::new(store.clone(), common::keys())).await;
    let (app_a, app_b) = (app(a.clone()), app(b.clone()));
    let teams = ["qa".to_owned()];
    let hour = Duration::from_secs(3600);
    let (token, claims) = issue(
        a.registry(),
        TokenKind::Cli,
        "ci",
        Role::Developer,
        &teams,
        hour,
    )
    .await
    .unwrap();
    let jti = claims.jti.clone().unwrap();
    for app in [&app_a, &app_b] {
        let (status, v) = json_call(app, "GET", "/api/session", Some(&token), &Value::Null).await;
        assert_eq!(
            (status, v["role"].as_str()),
            (StatusCode::OK, Some("developer"))
        );
    }
    let rows = b.registry().store().tokens().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].jti.as_str(),
            rows[0].subject.as_str(),
            rows[0].role.as_str(),
            rows[0].kind.as_str(),
            rows[0].teams.as_slice(),
            rows[0].revoked_at.as_deref()
        ),
        (jti.as_str(), "ci", "developer", "cli", &teams[..], None)
    );

    let store_a = a.registry().store();
    let now = pgconnect_server::registry::now();
    assert_eq!(
        store_a
            .revoke_tokens(std::slice::from_ref(&jti), &now)
            .await
            .unwrap(),
        vec![jti.clone()]
    );
    assert!(
        store_a
            .revoke_tokens(std::slice::from_ref(&jti), &now)
            .await
            .unwrap()
            .is_empty(),
        "once"
    );
    for app in [&app_a, &app_b] {
        let (status, v) = json_call(app, "GET", "/api/teams", Some(&token), &Value::Null).await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("auth/token-revoked")),
            "{v}"
        );
    }
    assert_eq!(
        b.registry().store().tokens().await.unwrap()[0]
            .revoked_at
            .as_deref(),
        Some(now.as_str())
    );

    // signing out: the caller's own token, on either server
    let (session, _) = issue(
        b.registry(),
        TokenKind::Session,
        "admin",
        Role::Admin,
        &[],
        hour,
    )
    .await
    .unwrap();
    let (status, headers, _) = call(
        &app_a,
        "DELETE",
        "/api/session",
        Some(&session),
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("pgconnect_session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let (status, _) = json_call(&app_b, "GET", "/api/session", Some(&session), &Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // the admin API: list (never a token), revoke one; others may not
    let (admin_token, _) = issue(a.registry(), TokenKind::Cli, "ops", Role::Admin, &[], hour)
        .await
        .unwrap();
    let (viewer_token, viewer) = issue(
        a.registry(),
        TokenKind::Cli,
        "pipeline",
        Role::Viewer,
        &teams,
        hour,
    )
    .await
    .unwrap();
    let viewer_id = viewer.jti.unwrap();
    let (status, listed) = json_call(
        &app_b,
        "GET",
        "/api/tokens",
        Some(&admin_token),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let text = listed.to_string();
    for t in [&token, &session, &admin_token, &viewer_token] {
        assert!(!text.contains(t.as_str()));
    }
    let statuses: Vec<(&str, &str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["subject"].as_str().unwrap(),
                t["kind"].as_str().unwrap(),
                t["status"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("ci", "cli", "revoked"),
        ("admin", "session", "revoked"),
        ("ops", "cli", "active"),
        ("pipeline", "cli", "active"),
    ] {
        assert!(statuses.contains(&expected), "{expected:?} in {statuses:?}");
    }
    let (status, v) = json_call(
        &app_a,
        "GET",
        "/api/tokens",
        Some(&viewer_token),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let revoke = format!("/api/tokens/{viewer_id}");
    let (status, _) = json_call(&app_a, "DELETE", &revoke, Some(&viewer_token), &Value::Null).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer cannot revoke, even its own by this route"
    );
    for _ in 0..2 {
        let (status, v) =
            json_call(&app_a, "DELETE", &revoke, Some(&admin_token), &Value::Null).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{v}");
    }
    let (status, _) = json_call(
        &app_b,
        "GET",
        "/api/session",
        Some(&viewer_token),
        &Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, v) = json_call(
        &app_a,
        "DELETE",
        "/api/tokens/0123456789abcdef01234567",
        Some(&admin_token),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("registry/not-found"))
    );

    // a token minted before tokens had ids: signing out says it cannot end it, and it lives on
    let mut old = Claims::new("old", Role::Viewer, &[], hour).unwrap();
    old.jti = None;
    let old = sign(a.registry().keys(), &old).unwrap();
    let (status, v) = json_call(&app_a, "DELETE", "/api/session", Some(&old), &Value::Null).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("auth/token-not-revocable"))
    );
    assert!(
        v["error"]["help"]
            .as_str()
            .unwrap()
            .contains("pgconnect key rotate"),
        "{v}"
    );
    let (status, _) = json_call(&app_a, "GET", "/api/session", Some(&old), &Value::Null).await;
    assert_eq!(status, StatusCode::OK);

    // records of tokens that expired over a week ago are dropped when the next one is issued
    let ancient = pgconnect_server::registry::store::TokenRow {
        jti: "ancient".into(),
        subject: "x".into(),
        role: "viewer".into(),
        teams: vec![],
        kind: "cli".into(),
        issued_at: "2020-01-01T00:00:00Z".into(),
        expires_at: "2020-01-02T00:00:00Z".into(),
        revoked_at: None,
    };
    store_a
        .insert_token(&ancient, "2000-01-01T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(store_a.tokens().await.unwrap().len(), 5);
    issue(
        a.registry(),
        TokenKind::Cli,
        "next",
        Role::Viewer,
        &[],
        hour,
    )
    .await
    .unwrap();
    let left: Vec<String> = store_a
        .tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.subject)
        .collect();
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(!left.contains(&"x".to_owned()), "{left:?}");

    login_link(&store, &a, &app_b).await;
}

/// A login link spends its code and records the session's token together: once only, and a
/// store that fails as the token is recorded leaves the link usable.
async fn login_link(store: &StoreLocation, a: &pgconnect_server::AppState, app_b: &axum::Router) {
    use pgconnect_server::api::session::{admin_grant, new_login_code};
    use pgconnect_server::registry::store::LoginGrant;
    let sessions = || async {
        a.registry()
            .store()
            .tokens()
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.kind == "session")
            .count()
    };
    let before = sessions().await;
    let code = new_login_code(a.registry(), &admin_grant()).await.unwrap();
    let login = format!("/login?code={code}");

    // the store refuses the token's record (a real failure, raised by a trigger): nothing is spent
    let (url, create, drop) = match store {
        StoreLocation::Sqlite(dir) => (
            format!("sqlite://{}", dir.join("registry.db").display()),
            "CREATE TRIGGER refuse BEFORE INSERT ON tokens BEGIN SELECT RAISE(ABORT, 'disk full'); END",
            "DROP TRIGGER refuse",
        ),
        StoreLocation::Postgres(url) => (
            url.clone(),
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON tokens FOR EACH ROW EXECUTE FUNCTION refuse()",
            "DROP TRIGGER refuse ON tokens; DROP FUNCTION refuse()",
        ),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(create).execute(&pool).await.unwrap();
    let (status, _, body) = call(app_b, "GET", &login, None, &[], vec![]).await;
    let body = String::from_utf8(body).unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("Nothing was used up"), "{body}");
    assert!(!body.contains(&code), "{body}");
    sqlx::raw_sql(drop).execute(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(sessions().await, before);

    // the same link now opens a session, recorded; and only once. Plain HTTP: no Secure flag
    let (status, headers, _) = call(app_b, "GET", &login, None, &[], vec![]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(set.contains("; HttpOnly; SameSite=Strict; Path=/"), "{set}");
    assert!(!set.contains("Secure"), "{set}");
    let cookie = session_token(&headers);
    let (status, v) = json_call(app_b, "GET", "/api/session", Some(&cookie), &Value::Null).await;
    assert_eq!(
        (status, v["role"].as_str()),
        (StatusCode::OK, Some("admin"))
    );
    assert_eq!(sessions().await, before + 1);
    let (status, _, body) = call(app_b, "GET", &login, None, &[], vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8(body).unwrap().contains("cannot be used"));
    assert_eq!(sessions().await, before + 1, "a spent link records nothing");
    let (status, _, _) = call(app_b, "GET", "/login?code=", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // a link made for a developer of Finance opens that session, and the server holds it to it
    let grant = LoginGrant {
        subject: "alice".to_owned(),
        role: "developer".to_owned(),
        teams: vec!["Finance".to_owned()],
    };
    let code = new_login_code(a.registry(), &grant).await.unwrap();
    // through a TLS proxy that says so: the cookie goes over HTTPS only
    let (status, headers, _) = call(
        app_b,
        "GET",
        &format!("/login?code={code}"),
        None,
        &[("x-forwarded-proto", "HTTPS")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        set.contains("; HttpOnly; SameSite=Strict; Secure; Path=/"),
        "{set}"
    );
    let cookie = session_token(&headers);
    let (status, v) = json_call(app_b, "GET", "/api/session", Some(&cookie), &Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["sub"], &v["role"], &v["teams"]),
        (&json!("alice"), &json!("developer"), &json!(["Finance"])),
        "{v}"
    );
    let (_, teams) = json_call(app_b, "GET", "/api/teams", Some(&cookie), &Value::Null).await;
    assert_eq!(teams, json!(["Finance", "Public"]));
    let recorded = a.registry().store().tokens().await.unwrap();
    assert!(
        recorded.iter().any(|t| t.kind == "session"
            && t.subject == "alice"
            && t.role == "developer"
            && t.teams == ["Finance"]),
        "{recorded:?}"
    );
    let (status, v) = json_call(
        app_b,
        "POST",
        "/api/connections",
        Some(&cookie),
        &json!({"name": "x", "type": "postgresql", "host": "db.example.com", "port": 5432,
                "username": "u", "password": "p"}),
    )
    .await;
    assert_ne!(status, StatusCode::FORBIDDEN, "a developer creates: {v}");
    let (status, v) = json_call(app_b, "GET", "/api/tokens", Some(&cookie), &Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "but is no admin: {v}");
    // nor may it make login links; an admin may, from the API, and the link works once
    let ask = json!({"subject": "bob", "role": "viewer", "teams": ["Sales"]});
    let (status, v) = json_call(app_b, "POST", "/api/login-links", Some(&cookie), &ask).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let admin = admin();
    let (status, v) = json_call(
        app_b,
        "POST",
        "/api/login-links",
        Some(&admin),
        &json!({"subject": "", "role": "boss", "teams": [""]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let paths = common::paths(&v);
    assert_eq!(paths, ["/subject", "/role", "/teams/0"], "{v}");
    let (status, v) = json_call(app_b, "POST", "/api/login-links", Some(&admin), &ask).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (&v["subject"], &v["role"], &v["teams"]),
        (&json!("bob"), &json!("viewer"), &json!(["Sales"]))
    );
    let path = v["path"].as_str().unwrap();
    assert!(path.starts_with("/login?code="), "{v}");
    let (status, headers, _) = call(app_b, "GET", path, None, &[], vec![]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let bob = session_token(&headers);
    let (_, v) = json_call(app_b, "GET", "/api/session", Some(&bob), &Value::Null).await;
    assert_eq!((&v["sub"], &v["role"]), (&json!("bob"), &json!("viewer")));
    let (status, _, _) = call(app_b, "GET", path, None, &[], vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "once only");

    // links not used yet are listed (never their codes) and can be withdrawn
    let carol = json!({"subject": "carol", "role": "developer"});
    let (_, made) = json_call(app_b, "POST", "/api/login-links", Some(&admin), &carol).await;
    let (status, open) =
        json_call(app_b, "GET", "/api/login-links", Some(&admin), &Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let listed: Vec<&Value> = open
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["subject"] == "carol")
        .collect();
    assert_eq!(listed.len(), 1, "{open}");
    assert_eq!(
        (&listed[0]["role"], &listed[0]["teams"]),
        (&json!("developer"), &json!([]))
    );
    let code = made["path"]
        .as_str()
        .unwrap()
        .trim_start_matches("/login?code=");
    assert!(
        !open.to_string().contains(code),
        "the list never holds a code"
    );
    assert!(
        !open
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["subject"] == "bob"),
        "a used link is not listed: {open}"
    );
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let (status, _) = json_call(
        app_b,
        "DELETE",
        &format!("/api/login-links/{id}"),
        Some(&cookie),
        &Value::Null,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a developer cannot withdraw links"
    );
    let withdraw = || async {
        json_call(
            app_b,
            "DELETE",
            &format!("/api/login-links/{id}"),
            Some(&admin),
            &Value::Null,
        )
        .await
        .0
    };
    assert_eq!(withdraw().await, StatusCode::NO_CONTENT);
    assert_eq!(withdraw().await, StatusCode::NOT_FOUND);
    let (status, _, _) = call(
        app_b,
        "GET",
        made["path"].as_str().unwrap(),
        None,
        &[],
        vec![],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a withdrawn link opens nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_revocation_on_both_stores() {
    revocation(common::config().store).await;
    let pg = PgServer::start().unwrap();
    shop::psql_ok(&pg, "postgres", "CREATE DATABASE tokens").unwrap();
    let url = format!(
        "postgres://{SUPERUSER}:{SUPERUSER_PASSWORD}@127.0.0.1:{}/tokens",
        pg.port()
    );
    revocation(StoreLocation::Postgres(url)).await;
}

/// With every turn taken, a discovery waits `catalog_queue_timeout` and then fails as
/// `catalog/busy`, saying why; the one holding the turn is still running.
#[tokio::test(flavor = "multi_thread")]
async fn a_discovery_that_gets_no_turn_fails_as_busy() {
    use std::time::Duration;
    // a server that accepts connections and never answers: a discovery there holds its turn
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hole = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let config = Config {
        max_concurrent_catalogs: 1,
        catalog_timeout: Duration::from_secs(20),
        catalog_queue_timeout: Some(Duration::from_millis(300)),
        ..common::config()
    };
    let app = pgconnect_server::app(common::state(config).await);
    let dev = common::token(Role::Developer, &["Public"]);
    let mut ids = Vec::new();
    for name in ["hole-a", "hole-b"] {
        let body = json!({"name": name, "teams": ["Public"], "database": "d", "schema": "s",
            "trigger_catalog": true,
            "connection": {"name": name, "type": "postgresql", "host": "127.0.0.1", "port": port,
                "username": "u", "password": "p", "ssl_mode": "disable"}});
        let (status, v) = json_call(&app, "POST", "/api/datastores", Some(&dev), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    // one holds the turn for 20 s; the other gives up after 0.3 s
    let mut states = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        states.clear();
        for id in &ids {
            let (_, v) = json_call(
                &app,
                "GET",
                &format!("/api/datastores/{id}/catalog"),
                Some(&dev),
                &Value::Null,
            )
            .await;
            states.push(v);
        }
        if states.iter().any(|v| v["status"] == "failed") {
            break;
        }
    }
    let (failed, running): (Vec<&Value>, Vec<&Value>) =
        states.iter().partition(|v| v["status"] == "failed");
    assert_eq!((failed.len(), running.len()), (1, 1), "{states:?}");
    assert_eq!(running[0]["status"], "running", "{states:?}");
    let error = &failed[0]["failure"]["error"];
    assert_eq!(error["code"], "catalog/busy", "{error}");
    assert_eq!(
        error["message"],
        "Discovery waited 0.3 s for its turn and did not start: this server runs 1 discoveries \
         at once, and others were ahead of it."
    );
    assert!(
        error["help"]
            .as_str()
            .is_some_and(|h| h.contains("--max-concurrent-catalogs")),
        "{error}"
    );
    hole.abort();
}

//! Catalog discovery of a stored datastore: started after create (`trigger_catalog`) or on demand
//! (`POST /api/datastores/{id}/catalog`), run in the background, stored; `GET` returns it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::Shape;
use pgconnect_live::catalog::run_catalog;
use pgconnect_live::check::{CheckInput, CheckOptions};
use serde_json::{Value, json};

use super::datastores::{row_payload, visible};
use super::{id, store_error};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::registry::now;
use crate::registry::store::DatastoreRow;

/// Marks the catalog running and starts discovery in the background.
pub(crate) async fn start(state: &AppState, row: &DatastoreRow) -> Result<(), ApiError> {
    let (payload, kind) = row_payload(state, row).await?;
    let started = now();
    state
        .registry
        .store()
        .put_catalog(row.id, "running", &started, None, None)
        .await
        .map_err(store_error)?;
    let state = state.clone();
    let id = row.id;
    tokio::spawn(async move {
        // a few discoveries at a time; the rest wait their turn
        let Ok(_permit) = state.catalogs.clone().acquire_owned().await else {
            return;
        };
        let options = CheckOptions {
            total_timeout: state.config.catalog_timeout,
            ..state.config.check.clone()
        };
        let input = CheckInput {
            payload: Some(&payload),
            shape: Some(Shape::Qualytics),
            kind: Some(kind),
        };
        let outcome = run_catalog(input, &options, state.config.catalog_statement_timeout).await;
        let (status, body) = match outcome {
            Ok((_, Some(Ok(catalog)))) => (
                "done",
                serde_json::to_value(&catalog).unwrap_or(Value::Null),
            ),
            Ok((report, Some(Err(message)))) => (
                "failed",
                json!({"error": {"code": "catalog/query", "message": format!("A catalog query failed: {message}."),
                    "help": "A statement timeout or a missing privilege: see the check; raise --catalog-statement-timeout for very large schemas."},
                    "check": report}),
            ),
            Ok((report, None)) => (
                "failed",
                json!({"error": {"code": "catalog/no-connection", "message": report.message,
                    "help": "Fix the connection (see the check), then run discovery again."},
                    "check": report}),
            ),
            Err(report) => (
                "failed",
                json!({"error": {"code": "catalog/invalid", "message": "The stored datastore no longer validates.",
                    "help": "Update the connection."}, "diagnostics": report.diagnostics}),
            ),
        };
        let tables = body
            .get("tables")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if let Err(e) = state
            .registry
            .store()
            .put_catalog(id, status, &started, Some(&now()), Some(&body))
            .await
        {
            tracing::error!(error = %e, "cannot store a catalog");
        }
        tracing::info!(datastore = id, status, tables, "catalog discovery finished");
    });
    Ok(())
}

/// `POST /api/datastores/{id}/catalog`: 202, discovery runs in the background.
pub async fn trigger(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    caller.require(Role::Developer, "start catalog discovery")?;
    start(&state, &row).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "running", "datastore_id": row.id})),
    )
        .into_response())
}

/// `GET /api/datastores/{id}/catalog`: the stored catalog, or its state.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    let Some(c) = state
        .registry
        .store()
        .catalog(row.id)
        .await
        .map_err(store_error)?
    else {
        return Err(ApiError::not_found("catalog for datastore", &raw));
    };
    let (catalog, failure) = match (c.status.as_str(), c.body) {
        ("done", Some(body)) => (body, Value::Null),
        (_, Some(body)) => (Value::Null, body),
        _ => (Value::Null, Value::Null),
    };
    Ok(Json(
        json!({"datastore_id": row.id, "status": c.status, "started": c.started_at,
                   "finished": c.finished_at, "catalog": catalog, "failure": failure}),
    )
    .into_response())
}

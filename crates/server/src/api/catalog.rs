//! Catalog discovery of a stored datastore: started after create (`trigger_catalog`) or on demand
//! (`POST /api/datastores/{id}/catalog`), run in the background, stored; `GET` returns it.

use crate::api::views::{
    CatalogStarted, CatalogView, Forbidden, Invalid, NotFound, StoreFailed, Unauthorized,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::Shape;
use pgconnect_live::catalog::run_catalog;
use pgconnect_live::check::{CheckInput, CheckOptions};
use serde_json::Value;

use super::datastores::{row_payload, visible};
use super::{id, store_error, views};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::registry::now;
use crate::registry::store::DatastoreRow;

/// A failed discovery as stored and shown.
fn failed(
    code: &str,
    message: String,
    help: &str,
    check: Option<pgconnect_core::check::CheckReport>,
    diagnostics: Option<Vec<pgconnect_core::Diagnostic>>,
) -> (&'static str, Value) {
    let failure = views::CatalogFailure {
        error: views::ErrorDetail {
            code: code.to_owned(),
            message,
            help: help.to_owned(),
            line: None,
            column: None,
            path: None,
        },
        check,
        diagnostics,
    };
    (
        "failed",
        serde_json::to_value(&failure).unwrap_or(Value::Null),
    )
}

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
            Ok((report, Some(Err(message)))) => failed(
                "catalog/query",
                format!("A catalog query failed: {message}."),
                "A statement timeout or a missing privilege: see the check; raise \
                 --catalog-statement-timeout for very large schemas.",
                Some(report),
                None,
            ),
            Ok((report, None)) => failed(
                "catalog/no-connection",
                report.message.clone(),
                "Fix the connection (see the check), then run discovery again.",
                Some(report),
                None,
            ),
            Err(report) => failed(
                "catalog/invalid",
                "The stored datastore no longer validates.".to_owned(),
                "Update the connection.",
                None,
                Some(report.diagnostics),
            ),
        };
        let tables = body
            .get("tables")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        match state
            .registry
            .store()
            .finish_catalog(id, &started, status, &now(), &body)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                // deleted, moved to other tables, or a later discovery took over
                tracing::info!(datastore = id, "catalog discovery outdated; result dropped");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot store a catalog");
                return;
            }
        }
        tracing::info!(datastore = id, status, tables, "catalog discovery finished");
    });
    Ok(())
}

/// `POST /api/datastores/{id}/catalog`: 202, discovery runs in the background.
#[utoipa::path(
    post,
    operation_id = "datastores_discover",
    path = "/api/datastores/{id}/catalog",
    tag = "datastores",
    summary = "Start catalog discovery (runs in the background)",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 202, description = "Started", body = CatalogStarted),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 503, response = StoreFailed),
    ),
)]
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
        Json(views::CatalogStarted {
            status: "running",
            datastore_id: row.id,
        }),
    )
        .into_response())
}

/// `GET /api/datastores/{id}/catalog`: the stored catalog, or its state.
#[utoipa::path(
    get,
    operation_id = "datastores_catalog",
    path = "/api/datastores/{id}/catalog",
    tag = "datastores",
    summary = "The discovered catalog, or its state",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The catalog or its state", body = CatalogView),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
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
    let unreadable = || {
        ApiError::store(&format!(
            "stored catalog of datastore {} cannot be read",
            row.id
        ))
    };
    let (catalog, failure) = match (c.status.as_str(), c.body) {
        ("done", Some(body)) => (
            Some(serde_json::from_value(body).map_err(|_| unreadable())?),
            None,
        ),
        (_, Some(body)) => (
            None,
            Some(serde_json::from_value(body).map_err(|_| unreadable())?),
        ),
        _ => (None, None),
    };
    Ok(Json(views::CatalogView {
        datastore_id: row.id,
        status: c.status,
        started: c.started_at,
        finished: c.finished_at,
        catalog,
        failure,
    })
    .into_response())
}

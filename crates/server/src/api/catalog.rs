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
use crate::registry::crypto::random_hex;
use crate::registry::store::{CatalogRow, DatastoreRow};
use crate::registry::{now, rfc3339};
use std::time::Duration;

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
///
/// The discovery is known by a random run id: it stores its result only while the row still
/// carries that id (see `Store::finish_catalog`). It waits at most `catalog_queue_timeout` for its
/// turn and then runs at most `catalog_timeout`, so a row still running after [`stale_after`] has no
/// discovery behind it any more (the server stopped) and is shown as interrupted.
pub(crate) async fn start(state: &AppState, row: &DatastoreRow) -> Result<(), ApiError> {
    let (payload, kind) = row_payload(state, row).await?;
    let started = now();
    let run = random_hex(16).map_err(|e| ApiError::store(&e))?;
    state
        .registry
        .store()
        .start_catalog(row.id, &run, &started)
        .await
        .map_err(store_error)?;
    let state = state.clone();
    let id = row.id;
    tokio::spawn(async move {
        // a few discoveries at a time; the rest wait their turn, for a while
        let wait = queue_timeout(&state);
        let turn = tokio::time::timeout(wait, state.catalogs.clone().acquire_owned()).await;
        let (status, body) = match turn {
            Ok(Ok(_permit)) => discover(&state, &payload, kind).await,
            Ok(Err(_)) => return, // the semaphore is closed: the server is stopping
            Err(_) => failed(
                "catalog/busy",
                format!(
                    "Discovery waited {} s for its turn and did not start: this server runs {} \
                     discoveries at once, and others were ahead of it.",
                    wait.as_secs_f64(),
                    state.config.max_concurrent_catalogs.max(1)
                ),
                "Start it again later; the operator can raise `pgconnect serve --max-concurrent-catalogs`.",
                None,
                None,
            ),
        };
        let tables = body
            .get("tables")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        match state
            .registry
            .store()
            .finish_catalog(id, &run, status, &now(), &body)
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

/// How long a discovery waits for its turn.
fn queue_timeout(state: &AppState) -> Duration {
    state
        .config
        .catalog_queue_timeout
        .unwrap_or(state.config.catalog_timeout)
}

/// How long after its start a running discovery has certainly ended: its longest wait for a turn,
/// its longest run, and a minute to store the result. Servers that share a store should share
/// `--catalog-timeout`: each judges by its own.
#[must_use]
pub fn stale_after(queue_timeout: Duration, catalog_timeout: Duration) -> Duration {
    queue_timeout
        .saturating_add(catalog_timeout)
        .saturating_add(Duration::from_secs(60))
}

/// `c` as it stands at `now`: a row still running past [`stale_after`] lost its discovery (the
/// server that ran it stopped) and reads as failed, with the way out.
#[must_use]
pub fn settled(mut c: CatalogRow, now: time::OffsetDateTime, stale_after: Duration) -> CatalogRow {
    let limit = time::Duration::try_from(stale_after).unwrap_or(time::Duration::MAX);
    let cutoff = now.checked_sub(limit).map(rfc3339);
    // RFC 3339 UTC to the second, one format: text order is time order
    if c.status == "running" && cutoff.is_some_and(|cutoff| c.started_at < cutoff) {
        let (status, body) = failed(
            "catalog/interrupted",
            format!(
                "The discovery started at {} never finished: the server running it stopped.",
                c.started_at
            ),
            "Start discovery again (Discover again, on the datastore's page).",
            None,
            None,
        );
        c.status = status.to_owned();
        c.body = Some(body);
    }
    c
}

/// One discovery, as stored: its status and body.
async fn discover(
    state: &AppState,
    payload: &Value,
    kind: pgconnect_core::DatastoreKind,
) -> (&'static str, Value) {
    let options = CheckOptions {
        total_timeout: state.config.catalog_timeout,
        ..state.config.check.clone()
    };
    let input = CheckInput {
        payload: Some(payload),
        shape: Some(Shape::Qualytics),
        kind: Some(kind),
    };
    let outcome = run_catalog(input, &options, state.config.catalog_statement_timeout).await;
    match outcome {
        Ok((_, Some(Ok(catalog)))) => (
            "done",
            serde_json::to_value(&catalog).unwrap_or(Value::Null),
        ),
        Ok((report, Some(Err(message)))) => failed(
            "catalog/query",
            format!("A catalog query failed: {message}."),
            "A statement timeout or a missing privilege: see the check. For very large \
                 schemas the operator can raise `pgconnect serve --catalog-statement-timeout`.",
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
    }
}

/// A datastore's stored catalog, [`settled`].
pub(crate) async fn stored(
    state: &AppState,
    datastore: i64,
) -> Result<Option<CatalogRow>, ApiError> {
    let c = state
        .registry
        .store()
        .catalog(datastore)
        .await
        .map_err(store_error)?;
    let now = time::OffsetDateTime::now_utc();
    let limit = stale_after(queue_timeout(state), state.config.catalog_timeout);
    Ok(c.map(|c| settled(c, now, limit)))
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
    let Some(c) = stored(&state, row.id).await? else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, started: &str) -> CatalogRow {
        CatalogRow {
            status: status.to_owned(),
            started_at: started.to_owned(),
            finished_at: None,
            body: None,
        }
    }

    #[test]
    fn a_running_discovery_is_interrupted_only_once_it_cannot_be_running() {
        let timeout = stale_after(Duration::from_secs(120), Duration::from_secs(120));
        assert_eq!(timeout, Duration::from_secs(300), "120 s + 120 s + 60 s");
        let Ok(now) = time::OffsetDateTime::from_unix_timestamp(1_795_349_100) else {
            panic!("a valid time")
        };
        assert_eq!(rfc3339(now), "2026-11-22T12:05:00Z");
        let within = settled(row("running", "2026-11-22T12:00:00Z"), now, timeout);
        assert_eq!((within.status.as_str(), within.body), ("running", None));
        let past = settled(row("running", "2026-11-22T11:59:59Z"), now, timeout);
        assert_eq!(past.status, "failed");
        let body = past.body.unwrap_or_default();
        assert_eq!(body["error"]["code"], "catalog/interrupted", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("2026-11-22T11:59:59Z")),
            "{body}"
        );
        // finished ones stay as they are, however old
        for status in ["done", "failed"] {
            let old = settled(row(status, "2000-01-01T00:00:00Z"), now, timeout);
            assert_eq!((old.status.as_str(), old.body), (status, None));
        }
        // a timeout too large for the clock never marks anything
        let huge = settled(
            row("running", "2000-01-01T00:00:00Z"),
            now,
            stale_after(Duration::MAX, Duration::MAX),
        );
        assert_eq!(huge.status, "running");
    }
}

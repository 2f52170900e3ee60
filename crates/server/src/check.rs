//! The Test Connection routes.

use crate::api::views::{BadRequest, Busy, Invalid, TooLarge, Unauthorized};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pgconnect_core::{DatastoreKind, Shape};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::api::Streamed;
use crate::auth::Caller;
use crate::error::ApiError;

/// `?kind=source|enrichment`.
#[derive(Debug, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

/// `POST /api/datastores/connection`: a Qualytics `POST /api/datastores` body.
#[utoipa::path(
    post,
    operation_id = "datastore_connection",
    path = "/api/datastores/connection",
    tag = "checks",
    summary = "Test Connection for a Qualytics datastore body",
    params(("kind" = Option<pgconnect_core::DatastoreKind>, Query, description = "`source` (default) or `enrichment`: which privileges to audit")),
    request_body(content = pgconnect_core::wire::QualyticsDatastore, content_type = "application/json"),
    responses(
        (status = 200, description = "The live check (connected or not, with the explanation). With `Accept: application/x-ndjson`, one event per line as the stages run, the report last", content((pgconnect_core::check::CheckReport = "application/json"), (pgconnect_core::check::CheckEvent = "application/x-ndjson"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = Busy),
    ),
)]
pub async fn datastore_connection(
    State(state): State<AppState>,
    _caller: Caller,
    streamed: Streamed,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    test(state, Some(Shape::Qualytics), streamed, query, body).await
}

/// `POST /api/connections/test`: either shape.
#[utoipa::path(
    post,
    operation_id = "connection_test",
    path = "/api/connections/test",
    tag = "checks",
    summary = "Test Connection for either body shape",
    params(("kind" = Option<pgconnect_core::DatastoreKind>, Query, description = "`source` (default) or `enrichment`: which privileges to audit")),
    request_body(content = pgconnect_core::wire::DatastorePayload, content_type = "application/json"),
    responses(
        (status = 200, description = "The live check. With `Accept: application/x-ndjson`, one event per line as the stages run, the report last", content((pgconnect_core::check::CheckReport = "application/json"), (pgconnect_core::check::CheckEvent = "application/x-ndjson"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = Busy),
    ),
)]
pub async fn connection_test(
    State(state): State<AppState>,
    _caller: Caller,
    streamed: Streamed,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    test(state, None, streamed, query, body).await
}

async fn test(
    state: AppState,
    shape: Option<Shape>,
    streamed: Streamed,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match run(state, shape, streamed, query, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(
    state: AppState,
    shape: Option<Shape>,
    streamed: Streamed,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind(query)?;
    let payload: Value = crate::api::json_required(body)?;
    crate::api::check_payload(&state, &payload, shape, kind, streamed).await
}

fn kind(
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Option<DatastoreKind>, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::query(
            format!("The query string cannot be read: {}.", e.body_text()),
            "The only parameter is kind=source or kind=enrichment.",
        )
    })?;
    match q.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("source") => Ok(Some(DatastoreKind::Source)),
        Some("enrichment") => Ok(Some(DatastoreKind::Enrichment)),
        Some(other) => Err(ApiError::query(
            format!("kind={other:?} is not a datastore kind."),
            "Use kind=source (read-only audit) or kind=enrichment (also CREATE and writes).",
        )),
    }
}

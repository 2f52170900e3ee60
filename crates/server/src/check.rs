//! The Test Connection routes.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use pgconnect_core::{DatastoreKind, Shape};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// `?kind=source|enrichment`.
#[derive(Debug, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

/// `POST /api/datastores/connection`: a Qualytics `POST /api/datastores` body.
pub async fn datastore_connection(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    test(state, Some(Shape::Qualytics), query, body).await
}

/// `POST /api/connections/test`: either shape.
pub async fn connection_test(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    test(state, None, query, body).await
}

async fn test(
    state: AppState,
    shape: Option<Shape>,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match run(state, shape, query, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(
    state: AppState,
    shape: Option<Shape>,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind(query)?;
    let payload: Value = crate::api::json_required(body)?;
    crate::api::check_payload(&state, &payload, shape, kind).await
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

//! The Test Connection routes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::{DatastoreKind, Shape};
use pgconnect_live::check::{CheckInput, run_check};
use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::{AppState, MAX_BODY_BYTES};

/// `?kind=source|enrichment`.
#[derive(Debug, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

/// `POST /api/datastores/connection`: a Qualytics `POST /api/datastores` body.
pub async fn datastore_connection(
    State(state): State<AppState>,
    query: Result<Query<KindQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    test(state, Some(Shape::Qualytics), query, body).await
}

/// `POST /api/connections/test`: either shape.
pub async fn connection_test(
    State(state): State<AppState>,
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
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(MAX_BODY_BYTES)
        } else {
            ApiError::unreadable(&e.body_text())
        }
    })?;
    let payload: Value = serde_json::from_slice(&body).map_err(|e| ApiError::json_syntax(&e))?;
    // Validation is cheap and needs no permit: an invalid payload is answered even when busy.
    let analysis = pgconnect_core::analyze(&payload, shape);
    if analysis.request.is_none() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(analysis.report)).into_response());
    }
    let Ok(_permit) = state.checks.clone().try_acquire_owned() else {
        return Err(ApiError::busy(state.config.max_concurrent_checks));
    };
    let input = CheckInput {
        payload: Some(&payload),
        shape,
        kind,
    };
    Ok(match run_check(input, &state.config.check).await {
        Ok(report) => Json(report).into_response(),
        Err(report) => (StatusCode::UNPROCESSABLE_ENTITY, Json(report)).into_response(),
    })
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

//! The registry's routes: connections and datastores (Qualytics), assets (CRAFT), the session,
//! tokens.
//!
//! Each handler: authenticate ([`Caller`]), read the body into JSON (one error path for syntax,
//! size and reading), validate with the core (422 with its report), check role and teams, then
//! one registry call. Answers are views built without secret values.

pub mod assets;
pub mod catalog;
pub mod connections;
pub mod datastores;
pub mod links;
pub mod session;
pub mod tokens;
pub mod views;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::{DatastoreKind, Report, Shape};
use pgconnect_live::check::{CheckEvent, CheckInput, run_check, run_check_streamed};
use serde_json::Value;

use crate::error::ApiError;
use crate::registry::RegistryError;
use crate::registry::store::StoreError;
use crate::{AppState, MAX_BODY_BYTES};

/// The request body as JSON; an empty body is `None` when `optional`.
pub(crate) fn json_body(
    body: Result<Bytes, BytesRejection>,
    optional: bool,
) -> Result<Option<Value>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(MAX_BODY_BYTES)
        } else {
            ApiError::unreadable(&e.body_text())
        }
    })?;
    // a UTF-8 byte-order mark is skipped, as RFC 8259 allows (the CLI skips it in files too)
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&body);
    // no body at all is "none" where the body is optional; whitespace alone is no JSON text, and
    // a request that sends some says it meant to send something
    if optional && body.is_empty() {
        return Ok(None);
    }
    if !body.is_empty() && body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::blank_body(optional));
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::json_syntax(&e))
}

/// A required JSON body.
pub(crate) fn json_required(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    json_body(body, false).map(Option::unwrap_or_default)
}

/// A path id: digits, else the record does not exist.
pub(crate) fn id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found(what, text))
}

/// 422 with the core's report.
pub(crate) fn invalid(report: Report) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(report)).into_response()
}

/// A registry failure as an answer: conflicts are 409, the rest 503 (logged).
pub(crate) fn registry_error(e: RegistryError) -> ApiError {
    match e {
        RegistryError::Store(StoreError::Conflict) => ApiError::conflict(
            "registry/name-taken",
            "A connection with that name exists.".to_owned(),
            "Choose another name, or reuse the stored connection with `connection_id`.",
        ),
        RegistryError::Store(StoreError::InUse) => ApiError::conflict(
            "registry/in-use",
            "The record is referenced by another one (or what it refers to is gone).".to_owned(),
            "Reload and try again.",
        ),
        RegistryError::Store(e @ StoreError::KeyRotated { .. }) => ApiError::key_rotated(&e),
        other => ApiError::store(&other),
    }
}

/// A store failure as an answer.
pub(crate) fn store_error(e: StoreError) -> ApiError {
    registry_error(RegistryError::Store(e))
}

/// Whether the caller asked for the check's progress as it runs: `Accept: application/x-ndjson`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streamed(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Streamed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Streamed(
            parts
                .headers
                .get_all(axum::http::header::ACCEPT)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains(NDJSON)),
        ))
    }
}

/// The media type of a streamed check.
pub(crate) const NDJSON: &str = "application/x-ndjson";

/// Runs the live check of a payload assembled from stored records (with their secrets opened):
/// 200 with the report, 422 when the stored record no longer validates, 429 when busy. Streamed,
/// the 200 is NDJSON: each stage as it begins and ends, then the report; the check stops when the
/// caller goes away.
pub(crate) async fn check_payload(
    state: &AppState,
    payload: &Value,
    shape: Option<Shape>,
    kind: Option<DatastoreKind>,
    streamed: Streamed,
) -> Result<Response, ApiError> {
    // Validation is cheap and needs no permit: an invalid payload is answered even when busy.
    let analysis = pgconnect_core::analyze(payload, shape);
    if analysis.request.is_none() {
        return Ok(invalid(analysis.report));
    }
    let Ok(permit) = state.checks.clone().try_acquire_owned() else {
        return Err(ApiError::busy(state.config.max_concurrent_checks));
    };
    if streamed.0 {
        return Ok(stream_check(
            state.config.check.clone(),
            payload.clone(),
            shape,
            kind,
            permit,
        ));
    }
    let input = CheckInput {
        payload: Some(payload),
        shape,
        kind,
    };
    let answer = match run_check(input, &state.config.check).await {
        Ok(report) => axum::Json(report).into_response(),
        Err(report) => invalid(report),
    };
    drop(permit);
    Ok(answer)
}

/// Aborts the check's task when the answer's body is dropped (the caller went away).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn stream_check(
    options: pgconnect_live::check::CheckOptions,
    payload: Value,
    shape: Option<Shape>,
    kind: Option<DatastoreKind>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<CheckEvent>();
    let task = tokio::spawn(async move {
        let input = CheckInput {
            payload: Some(&payload),
            shape,
            kind,
        };
        run_check_streamed(input, &options, tx).await;
        drop(permit);
    });
    let guard = AbortOnDrop(task);
    let lines = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let event = rx.recv().await?;
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from(line)),
            (rx, guard),
        ))
    });
    (
        [
            (axum::http::header::CONTENT_TYPE, NDJSON),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
}

//! `/assets/data` (CRAFT): register, list, get, delete and test data connections, scoped by the
//! `X-Project-ID` header. An asset is a datastore with its own connection; its credentials are
//! sealed like any connection's and never appear in an answer.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use pgconnect_core::Shape;
use serde_json::{Value, json};

use super::datastores::{insert, verify_row, visible};
use super::{id, invalid, json_required, store_error};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::registry::store::DatastoreRow;

/// The header that scopes CRAFT routes.
pub const PROJECT_HEADER: &str = "x-project-id";

fn project(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(PROJECT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    value.map(str::to_owned).ok_or_else(|| {
        ApiError::header(
            "The X-Project-ID header is missing.".to_owned(),
            "CRAFT routes are scoped by project: send `X-Project-ID: <your-project-id>`.",
        )
    })
}

/// `POST /assets/data`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let project = project(&headers)?;
    caller.require(Role::Developer, "register a data connection")?;
    if !caller.member_of(&project) {
        return Err(ApiError::not_a_member(&project, "project"));
    }
    let payload = json_required(body)?;
    let analysis = pgconnect_core::analyze(&payload, Some(Shape::Craft));
    let Some(request) = analysis.request else {
        return Ok(invalid(analysis.report));
    };
    let id = insert(&state, &request, Some(&project)).await?;
    tracing::info!(id, "asset created");
    let row = visible(&state, &caller, id, Some(&project)).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &row).await?)).into_response())
}

/// `GET /assets/data`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = project(&headers)?;
    if !caller.member_of(&project) {
        return Ok(Json(Vec::<Value>::new()).into_response());
    }
    let rows = state
        .registry
        .store()
        .datastores(Some(&project))
        .await
        .map_err(store_error)?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(view(&state, row).await?);
    }
    Ok(Json(out).into_response())
}

/// `GET /assets/data/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let project = project(&headers)?;
    let row = visible(&state, &caller, id(&raw, "asset")?, Some(&project)).await?;
    Ok(Json(view(&state, &row).await?).into_response())
}

/// `POST /assets/data/{id}:test` (the route is `/assets/data/{id}`; the action is the suffix).
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let project = project(&headers)?;
    let Some(raw_id) = raw.strip_suffix(":test") else {
        return Err(ApiError::not_found("action on asset", &raw));
    };
    let row = visible(&state, &caller, id(raw_id, "asset")?, Some(&project)).await?;
    verify_row(&state, &row).await
}

/// `DELETE /assets/data/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let project = project(&headers)?;
    let row = visible(&state, &caller, id(&raw, "asset")?, Some(&project)).await?;
    caller.require(Role::Developer, "delete a data connection")?;
    let store = state.registry.store();
    store.delete_datastore(row.id).await.map_err(store_error)?;
    // the asset's connection is its own: it goes too
    store
        .delete_connection(row.connection_id)
        .await
        .map_err(store_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An asset as CRAFT shows it: no credentials.
async fn view(state: &AppState, row: &DatastoreRow) -> Result<Value, ApiError> {
    let c = state
        .registry
        .store()
        .connection(row.connection_id)
        .await
        .map_err(store_error)?;
    let spec = c.as_ref().map(|c| &c.spec);
    let field = |k: &str| spec.and_then(|s| s.get(k)).cloned().unwrap_or(Value::Null);
    Ok(json!({
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "type": "postgresql",
        "project_id": row.project,
        "config": {
            "host": field("host"),
            "port": field("port"),
            "database": row.database,
            "schema": row.schema,
            "ssl_mode": field("ssl_mode"),
        },
        "credentials_set": c.is_some_and(|c| c.secrets.iter().any(|s| s == crate::registry::PASSWORD)),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }))
}

//! `/api/connections`: create, list, get, update, delete, test.

use crate::api::views::{
    BadRequest, Busy, Conflict, ConnectionView, Forbidden, Invalid, NotFound, StoreFailed,
    TooLarge, Unauthorized,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::patch::{change_fields, merge_connection as merge};
use pgconnect_core::{DatastoreKind, Diagnostic, Report, Shape, analyze_connection};
use serde_json::{Map, Value, json};

use super::views;
use super::{
    Streamed, check_payload, id, invalid, json_body, json_required, registry_error, store_error,
};
use crate::AppState;
use crate::auth::{Caller, PUBLIC, Role};
use crate::error::ApiError;

/// `POST /api/connections`: a Qualytics `connection` object.
#[utoipa::path(
    post,
    operation_id = "connections_create",
    path = "/api/connections",
    tag = "connections",
    summary = "Store a connection",
    request_body(content = pgconnect_core::wire::QualyticsConnection, content_type = "application/json",
        example = json!({"name": "warehouse", "type": "postgresql", "host": "db.example.com",
            "port": 5432, "username": "qualytics_ro", "password": "…", "ssl_mode": "require"})),
    responses(
        (status = 201, description = "Stored", body = ConnectionView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Developer, "create a connection")?;
    let value = json_required(body)?;
    let (mut report, connection) = analyze_connection(&value);
    let name = value.get("name").and_then(Value::as_str).map(str::trim);
    if name.is_none_or(str::is_empty) && report.is_valid() {
        report.push(Diagnostic::error(
            "connection/name-required",
            &pgconnect_core::Path::ROOT.key("name"),
            "a stored connection needs a `name`",
            "add \"name\": \"…\" — datastores refer to the connection by it (--connection-name)",
        ));
    }
    let (Some(c), Some(name)) = (connection.filter(|_| report.is_valid()), name) else {
        return Ok(invalid(report));
    };
    let id = state
        .registry
        .create_connection(&c, name, &caller.0.sub)
        .await
        .map_err(registry_error)?;
    tracing::info!(id, "connection created");
    let row = state
        .registry
        .store()
        .connection(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("connection", &id.to_string()))?;
    Ok((StatusCode::CREATED, Json(views::connection(&row)?)).into_response())
}

/// `GET /api/connections`.
#[utoipa::path(
    get,
    operation_id = "connections_list",
    path = "/api/connections",
    tag = "connections",
    summary = "List connections",
    responses(
        (status = 200, description = "The connections", body = Vec<ConnectionView>),
        (status = 401, response = Unauthorized),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> Result<Response, ApiError> {
    let rows = state
        .registry
        .store()
        .connections()
        .await
        .map_err(store_error)?;
    Ok(Json(
        rows.iter()
            .map(views::connection)
            .collect::<Result<Vec<_>, _>>()?,
    )
    .into_response())
}

/// `GET /api/connections/{id}`.
#[utoipa::path(
    get,
    operation_id = "connections_get",
    path = "/api/connections/{id}",
    tag = "connections",
    summary = "One connection",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionView),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = id(&raw, "connection")?;
    let row = state
        .registry
        .store()
        .connection(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("connection", &raw))?;
    Ok(Json(views::connection(&row)?).into_response())
}

/// `PATCH /api/connections/{id}`: the fields to change; `null` removes an optional one.
#[utoipa::path(
    patch,
    operation_id = "connections_update",
    path = "/api/connections/{id}",
    tag = "connections",
    summary = "Change a connection (null removes an optional field)",
    params(("id" = i64, Path, description = "The record's id")),
    request_body(content = Object, description = "The fields to change. The stored password must come again when the host or port changes or TLS weakens (422 `connection/password-required`); the stored vault `credentials_payload` when the login URL or vault CA changes, the secret URL moves to another origin, or — while the vault is used — the database moves or TLS weakens (422 `secrets/credentials-required`)", content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = ConnectionView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Developer, "change a connection")?;
    let id = id(&raw, "connection")?;
    let patch = json_required(body)?;
    let patch = match change_fields(&patch) {
        Ok(p) => p,
        Err(report) => return Ok(invalid(report)),
    };
    let (_, stored) = open(&state, id, &raw).await?;
    let merged = match merge(&stored, patch) {
        Ok(m) => m,
        Err(report) => return Ok(invalid(report)),
    };
    let (report, connection) = analyze_connection(&merged.value);
    let Some(c) = connection.filter(|_| report.is_valid()) else {
        return Ok(invalid(report));
    };
    let name = merged
        .value
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let updated = state
        .registry
        .replace_connection(id, &c, &name, &merged.kept, &caller.0.sub)
        .await
        .map_err(registry_error)?;
    if !updated {
        return Err(ApiError::not_found("connection", &raw));
    }
    let row = state
        .registry
        .store()
        .connection(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("connection", &raw))?;
    Ok(Json(views::connection(&row)?).into_response())
}

/// `DELETE /api/connections/{id}`: 409 while datastores use it.
#[utoipa::path(
    delete,
    operation_id = "connections_delete",
    path = "/api/connections/{id}",
    tag = "connections",
    summary = "Delete an unused connection",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Developer, "delete a connection")?;
    let id = id(&raw, "connection")?;
    match state
        .registry
        .store()
        .delete_connection(id)
        .await
        .map_err(store_error)?
    {
        None => Err(ApiError::not_found("connection", &raw)),
        Some(0) => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(n) => Err(ApiError::conflict(
            "registry/connection-in-use",
            format!(
                "Connection {id} is used by {n} datastore{}.",
                if n == 1 { "" } else { "s" }
            ),
            "Delete those datastores first (GET /api/datastores shows which use it).",
        )),
    }
}

/// `POST /api/connections/{id}/test`: tests the stored connection; the optional body overrides
/// fields for this test only (nothing is saved), plus `database`, `schema` and `kind`.
#[utoipa::path(
    post,
    operation_id = "connections_test",
    path = "/api/connections/{id}/test",
    tag = "connections",
    summary = "Test a stored connection, with optional overrides (saves nothing)",
    params(("id" = i64, Path, description = "The record's id")),
    request_body(content = Option<Object>, description = "Overrides of the stored fields, plus `database`, `schema` and `kind`; no body or `null` for none", content_type = "application/json"),
    responses(
        (status = 200, description = "The live check. With `Accept: application/x-ndjson`, one event per line as the stages run, the report last", content((pgconnect_core::check::CheckReport = "application/json"), (pgconnect_core::check::CheckEvent = "application/x-ndjson"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = Busy),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn test(
    State(state): State<AppState>,
    _caller: Caller,
    streamed: Streamed,
    Path(raw): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = id(&raw, "connection")?;
    // no body, or `null`: no overrides
    let overrides = json_body(body, true)?
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| json!({}));
    let Some(overrides) = overrides.as_object() else {
        return Ok(not_an_object(
            "the body must be an object (fields to override for this test)",
            "send {} or e.g. {\"database\": \"analytics\", \"port\": 6432}",
        ));
    };
    let (row, stored) = open(&state, id, &raw).await?;
    let mut patch = overrides.clone();
    let database = take_text(&mut patch, "database");
    let schema = take_text(&mut patch, "schema");
    let kind = match take_text(&mut patch, "kind").as_deref() {
        None | Some("source") => DatastoreKind::Source,
        Some("enrichment") => DatastoreKind::Enrichment,
        Some(other) => {
            return Err(ApiError::query(
                format!("kind {other:?} is not a datastore kind."),
                "Use \"source\" or \"enrichment\".",
            )
            .at("/kind"));
        }
    };
    let merged = match merge(&stored, &patch) {
        Ok(m) => m,
        Err(report) => return Ok(invalid(report)),
    };
    let username = merged
        .value
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or("postgres")
        .to_owned();
    // libpq's default database is the user name
    let payload = json!({
        "name": row.name,
        "teams": [PUBLIC],
        "database": database.unwrap_or(username),
        "schema": schema.unwrap_or_else(|| "public".to_owned()),
        "enrich_only": kind == DatastoreKind::Enrichment,
        "connection": merged.value,
    });
    check_payload(
        &state,
        &payload,
        Some(Shape::Qualytics),
        Some(kind),
        streamed,
    )
    .await
}

/// 422: the body is not a JSON object.
fn not_an_object(message: &str, help: &str) -> Response {
    let mut r = Report::new();
    r.push(Diagnostic::error(
        "field/wrong-type",
        &pgconnect_core::Path::ROOT,
        message,
        help,
    ));
    invalid(r)
}

/// A stored connection with its secrets opened, or 404.
async fn open(
    state: &AppState,
    id: i64,
    raw: &str,
) -> Result<(crate::registry::store::ConnectionRow, Value), ApiError> {
    state
        .registry
        .open_connection(id)
        .await
        .map_err(registry_error)?
        .ok_or_else(|| ApiError::not_found("connection", raw))
}

fn take_text(obj: &mut Map<String, Value>, key: &str) -> Option<String> {
    obj.remove(key).and_then(|v| v.as_str().map(str::to_owned))
}

//! `/assets/data` (CRAFT): register, list, get, delete and test data connections, scoped by the
//! `X-Project-ID` header. An asset is a datastore with its own connection; its credentials are
//! sealed like any connection's and never appear in an answer.

use crate::api::views::{
    AssetView, BadRequest, Busy, Conflict, Forbidden, Invalid, NotFound, StoreFailed, TooLarge,
    Unauthorized,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pgconnect_core::Shape;
use serde_json::Value;

use super::datastores::{insert, verify_row, visible};
use super::{id, invalid, json_required, store_error, views};
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

/// `/assets/data/{id}` takes GET and DELETE, `/assets/data/{id}:test` takes POST; axum routes both
/// as one path, so the 405 and its `Allow` are worked out here from the path.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allow = if uri.path().ends_with(":test") {
        "POST"
    } else {
        "GET,HEAD,DELETE"
    };
    let mut response = crate::error::method_not_allowed(method, uri)
        .await
        .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// `POST /assets/data`.
#[utoipa::path(
    post,
    operation_id = "assets_create",
    path = "/assets/data",
    tag = "assets",
    summary = "Register a CRAFT data connection",
    params(("X-Project-ID" = String, Header, description = "The CRAFT project", pattern = r"^[!-~]+$")),
    request_body(content = pgconnect_core::wire::CraftAsset, content_type = "application/json",
        example = json!({"name": "orders", "type": "postgresql",
            "config": {"host": "db.example.com", "port": 5432, "database": "shop", "schema": "public"},
            "credentials": {"username": "craft_ro", "password": "…"}})),
    responses(
        (status = 201, description = "Registered", body = AssetView),
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
    let id = insert(&state, &caller, &request, Some(&project)).await?;
    tracing::info!(id, "asset created");
    let row = visible(&state, &caller, id, Some(&project)).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &row).await?)).into_response())
}

/// `GET /assets/data`.
#[utoipa::path(
    get,
    operation_id = "assets_list",
    path = "/assets/data",
    tag = "assets",
    summary = "The project's data connections",
    params(("X-Project-ID" = String, Header, description = "The CRAFT project", pattern = r"^[!-~]+$")),
    responses(
        (status = 200, description = "The assets", body = Vec<AssetView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = StoreFailed),
    ),
)]
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
#[utoipa::path(
    get,
    operation_id = "assets_get",
    path = "/assets/data/{id}",
    tag = "assets",
    summary = "One data connection",
    params(("id" = i64, Path, description = "The record's id"), ("X-Project-ID" = String, Header, description = "The CRAFT project", pattern = r"^[!-~]+$")),
    responses(
        (status = 200, description = "The asset", body = AssetView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    if raw.ends_with(":test") {
        return Ok(method_not_allowed(Method::GET, uri).await);
    }
    let project = project(&headers)?;
    let row = visible(&state, &caller, id(&raw, "asset")?, Some(&project)).await?;
    Ok(Json(view(&state, &row).await?).into_response())
}

/// `POST /assets/data/{id}:test` (the route is `/assets/data/{id}`; the action is the suffix).
#[utoipa::path(
    post,
    operation_id = "assets_action",
    path = "/assets/data/{id}:test",
    tag = "assets",
    summary = "Test a data connection live",
    params(("id" = i64, Path, description = "The record's id"), ("X-Project-ID" = String, Header, description = "The CRAFT project", pattern = r"^[!-~]+$")),
    responses(
        (status = 200, description = "The live check", body = pgconnect_core::check::CheckReport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 429, response = Busy),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let Some(raw_id) = raw.strip_suffix(":test") else {
        return Ok(method_not_allowed(Method::POST, uri).await);
    };
    let project = project(&headers)?;
    let row = visible(&state, &caller, id(raw_id, "asset")?, Some(&project)).await?;
    verify_row(&state, &row, super::Streamed(false)).await
}

/// `DELETE /assets/data/{id}`.
#[utoipa::path(
    delete,
    operation_id = "assets_delete",
    path = "/assets/data/{id}",
    tag = "assets",
    summary = "Delete a data connection",
    params(("id" = i64, Path, description = "The record's id"), ("X-Project-ID" = String, Header, description = "The CRAFT project", pattern = r"^[!-~]+$")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
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
    headers: HeaderMap,
    Path(raw): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    if raw.ends_with(":test") {
        return Ok(method_not_allowed(Method::DELETE, uri).await);
    }
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
async fn view(state: &AppState, row: &DatastoreRow) -> Result<views::AssetView, ApiError> {
    let connection = match state
        .registry
        .store()
        .connection(row.connection_id)
        .await
        .map_err(store_error)?
    {
        Some(c) => Some(views::connection(&c)?),
        None => None,
    };
    Ok(views::asset(row, connection.as_ref()))
}

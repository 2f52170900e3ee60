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
use pgconnect_core::{DatastoreKind, Diagnostic, Report, Shape, analyze_connection};
use serde_json::{Map, Value, json};

use super::views;
use super::{
    Streamed, check_payload, id, invalid, json_body, json_required, registry_error, store_error,
};
use crate::AppState;
use crate::auth::{Caller, PUBLIC, Role};
use crate::error::ApiError;
use crate::registry::{PASSWORD, VAULT_CREDENTIALS};

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
        .create_connection(&c, name)
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
    request_body(content = Object, description = "The fields to change", content_type = "application/json"),
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
    let Some(patch) = patch.as_object() else {
        return Ok(not_an_object(
            "the body must be an object of the fields to change",
            "send e.g. {\"port\": 6432} or {\"password\": \"…\"}",
        ));
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
        .replace_connection(id, &c, &name, &merged.kept)
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

/// How well an `ssl_mode` protects the password: libpq's modes in order, absent = `prefer`.
fn tls_rank(connection: &Value) -> usize {
    let mode = connection
        .get("ssl_mode")
        .and_then(Value::as_str)
        .and_then(pgconnect_core::SslMode::parse)
        .unwrap_or(pgconnect_core::SslMode::Prefer);
    pgconnect_core::SslMode::ALL
        .iter()
        .position(|m| *m == mode)
        .unwrap_or(0)
}

fn take_text(obj: &mut Map<String, Value>, key: &str) -> Option<String> {
    obj.remove(key).and_then(|v| v.as_str().map(str::to_owned))
}

/// A stored connection with a patch applied.
pub(crate) struct Merged {
    /// The `connection` object, secrets included.
    pub value: Value,
    /// Secret fields kept from the store (not resent).
    pub kept: Vec<&'static str>,
}

/// Applies `patch` (fields to set; `null` removes; `secrets_management` merges field by field)
/// to the stored `connection` object (with its opened secrets). A stored secret is never sent to
/// a new address: when the host or port changes, the password must come with the patch; when
/// the vault's login URL changes, the credentials payload must.
pub(crate) fn merge(stored: &Value, patch: &Map<String, Value>) -> Result<Merged, Report> {
    let mut value = stored.clone();
    let Some(obj) = value.as_object_mut() else {
        return Err(Report::new());
    };
    for (k, v) in patch {
        if k == "secrets_management"
            && let (Some(Value::Object(current)), Value::Object(changes)) =
                (obj.get_mut("secrets_management"), v)
        {
            for (sk, sv) in changes {
                if sv.is_null() {
                    current.remove(sk);
                } else {
                    current.insert(sk.clone(), sv.clone());
                }
            }
            continue;
        }
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    let mut report = Report::new();
    let text = |v: &Value, k: &str| v.get(k).map(|x| x.to_string());
    let moved = text(stored, "host") != text(&value, "host")
        || text(stored, "port").map(|p| p.trim_matches('"').to_owned())
            != text(&value, "port").map(|p| p.trim_matches('"').to_owned());
    let weaker = tls_rank(&value) < tls_rank(stored)
        || text(stored, "ssl_root_cert") != text(&value, "ssl_root_cert");
    let stored_pw = stored.get("password").is_some();
    if (moved || weaker) && stored_pw && !patch.contains_key("password") {
        report.push(Diagnostic::error(
            "connection/password-required",
            &pgconnect_core::Path::ROOT.key("password"),
            if moved {
                "the host or port changes, and the stored password is never sent to a new address"
            } else {
                "the TLS settings get weaker (or trust another CA), and the stored password is \
                 never sent over a less protected connection"
            },
            "send the password again in the same request",
        ));
    }
    let login = |v: &Value| {
        v.get("secrets_management")
            .and_then(|s| s.get("login_url"))
            .map(Value::to_string)
    };
    let resent_credentials = patch
        .get("secrets_management")
        .and_then(|s| s.get("credentials_payload"))
        .is_some();
    let stored_credentials = stored
        .get("secrets_management")
        .and_then(|s| s.get("credentials_payload"))
        .is_some();
    if login(stored) != login(&value)
        && login(&value).is_some()
        && stored_credentials
        && !resent_credentials
    {
        report.push(Diagnostic::error(
            "secrets/credentials-required",
            &pgconnect_core::Path::ROOT
                .key("secrets_management")
                .key("credentials_payload"),
            "the vault's login URL changes, and the stored credentials are never sent to a new \
             address",
            "send credentials_payload again in the same request",
        ));
    }
    if !report.is_valid() {
        return Err(report);
    }
    let mut kept = Vec::new();
    if !patch.contains_key("password") && value.get("password").is_some() {
        kept.push(PASSWORD);
    }
    if !resent_credentials && value.get("secrets_management").is_some() {
        kept.push(VAULT_CREDENTIALS);
    }
    Ok(Merged { value, kept })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn stored() -> Value {
        json!({"name": "w", "type": "postgresql", "host": "db1", "port": 5432,
               "username": "u", "password": "stored-pw"})
    }

    #[test]
    fn a_new_address_needs_the_password_again() {
        let patch = json!({"host": "elsewhere.example.com"});
        let r = merge(&stored(), patch.as_object().unwrap()).err().unwrap();
        assert_eq!(r.diagnostics[0].code, "connection/password-required");
        assert_eq!(r.diagnostics[0].path, "/password");
        let patch = json!({"port": "6432"});
        assert!(merge(&stored(), patch.as_object().unwrap()).is_err());
        // the same port written as text is no move
        let patch = json!({"port": "5432", "username": "v"});
        let m = merge(&stored(), patch.as_object().unwrap()).unwrap();
        assert_eq!(m.kept, vec![PASSWORD]);
        assert_eq!(m.value["password"], "stored-pw");
        let patch = json!({"host": "elsewhere", "password": "new-pw"});
        let m = merge(&stored(), patch.as_object().unwrap()).unwrap();
        assert!(m.kept.is_empty());
        assert_eq!(m.value["password"], "new-pw");
        // weaker TLS is refused without the password; stronger is fine
        let mut s = stored();
        s["ssl_mode"] = json!("verify-full");
        let patch = json!({"ssl_mode": "disable"});
        assert!(merge(&s, patch.as_object().unwrap()).is_err());
        let patch = json!({"ssl_mode": null});
        assert!(merge(&s, patch.as_object().unwrap()).is_err());
        let patch = json!({"ssl_mode": "verify-full", "username": "x"});
        assert!(merge(&s, patch.as_object().unwrap()).is_ok());
        let patch = json!({"ssl_mode": "require"});
        assert!(merge(&stored(), patch.as_object().unwrap()).is_ok());
    }

    #[test]
    fn a_new_vault_login_url_needs_the_credentials_again() {
        let mut s = stored();
        s["secrets_management"] = json!({"login_url": "https://v1/login", "credentials_payload": "{\"password\":\"x\"}",
            "secret_url": "https://v1/secret"});
        let patch = json!({"secrets_management": {"login_url": "https://evil/login"}});
        let r = merge(&s, patch.as_object().unwrap()).err().unwrap();
        assert_eq!(
            r.diagnostics[0].path,
            "/secrets_management/credentials_payload"
        );
        let patch = json!({"secrets_management": {"secret_url": "https://v1/other"}});
        let m = merge(&s, patch.as_object().unwrap()).unwrap();
        assert_eq!(m.kept, vec![PASSWORD, VAULT_CREDENTIALS]);
        assert_eq!(
            m.value["secrets_management"]["login_url"],
            "https://v1/login"
        );
    }
}

//! `/api/datastores` (Qualytics): create with a new connection or a `connection_id`, list, get,
//! change, delete, verify the connection, link and unlink an enrichment datastore.

use crate::api::views::{
    BadRequest, Busy, Conflict, DatastoreView, Forbidden, Invalid, NotFound, StoreFailed, TooLarge,
    Unauthorized,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::{
    ConnectionId, ConnectionRef, DatastoreKind, DatastorePatch, DatastoreRequest, Shape,
};
use serde_json::{Value, json};

use super::views;
use super::{
    Streamed, check_payload, id, invalid, json_body, json_required, registry_error, store_error,
};
use crate::AppState;
use crate::auth::{Caller, PUBLIC, Role};
use crate::error::ApiError;
use crate::registry::NewOrExisting;
use crate::registry::store::{DatastoreRow, NewDatastore, Stamp};

/// `POST /api/datastores`.
#[utoipa::path(
    post,
    operation_id = "datastores_create",
    path = "/api/datastores",
    tag = "datastores",
    summary = "Create a datastore (new connection or connection_id)",
    request_body(content = pgconnect_core::wire::QualyticsDatastore, content_type = "application/json",
        example = json!({"name": "sales", "teams": ["Public"], "database": "sales", "schema": "public",
            "trigger_catalog": false, "connection": {"name": "sales-db", "type": "postgresql",
            "host": "db.example.com", "port": 5432, "username": "qualytics_ro", "password": "…"}})),
    responses(
        (status = 201, description = "Created", body = DatastoreView),
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
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Developer, "create a datastore")?;
    let payload = json_required(body)?;
    let analysis = pgconnect_core::analyze(&payload, Some(Shape::Qualytics));
    let Some(request) = analysis.request else {
        return Ok(invalid(analysis.report));
    };
    for (i, team) in request.teams.iter().enumerate() {
        if team != PUBLIC && !caller.member_of(team) {
            return Err(ApiError::not_a_member(team, "team").at(&format!("/teams/{i}")));
        }
    }
    let id = insert(&state, &caller, &request, None).await?;
    tracing::info!(id, "datastore created");
    let row = visible(&state, &caller, id, None).await?;
    if row.trigger_catalog {
        super::catalog::start(&state, &row).await?;
    }
    Ok((StatusCode::CREATED, Json(view(&state, &row).await?)).into_response())
}

/// When and by whom: the caller's subject.
fn stamp<'a>(at: &'a str, caller: &'a Caller) -> Stamp<'a> {
    Stamp {
        at,
        by: &caller.0.sub,
    }
}

/// Stores a validated request (Qualytics, or CRAFT with its `project`): its new connection and
/// the datastore in one transaction, or the datastore on a stored connection.
pub(crate) async fn insert(
    state: &AppState,
    caller: &Caller,
    request: &DatastoreRequest,
    project: Option<&str>,
) -> Result<i64, ApiError> {
    let new = NewDatastore {
        name: request.name.clone(),
        kind: request.kind.as_str(),
        database: request.database.clone(),
        schema: request.schema.clone(),
        teams: request.teams.clone(),
        enrichment_prefix: request.enrichment_prefix.clone(),
        trigger_catalog: request.trigger_catalog,
        description: request.description.clone(),
        project: project.map(str::to_owned),
    };
    match &request.connection {
        ConnectionRef::Existing(cid) => {
            let found = match cid {
                ConnectionId::Number(n) => i64::try_from(*n).ok(),
                ConnectionId::Text(t) => t.trim().parse::<i64>().ok(),
            };
            let exists = match found {
                Some(n) => state
                    .registry
                    .store()
                    .connection(n)
                    .await
                    .map_err(store_error)?
                    .map(|r| r.id),
                None => None,
            };
            let Some(cid) = exists else {
                return Err(
                    ApiError::not_found("connection", &cid.to_string()).at("/connection_id")
                );
            };
            state
                .registry
                .create_datastore(&new, NewOrExisting::Existing(cid), &caller.0.sub)
                .await
                .map_err(registry_error)
        }
        ConnectionRef::New(c) => {
            let explicit = c.name.clone();
            let base = explicit.clone().unwrap_or_else(|| match project {
                Some(p) => format!("{p}/{}", request.name),
                None => request.name.clone(),
            });
            // An unnamed connection takes the datastore's name, numbered if that is taken.
            let mut attempt = 1;
            loop {
                let name = if attempt == 1 {
                    base.clone()
                } else {
                    format!("{base} ({attempt})")
                };
                match state
                    .registry
                    .create_datastore(&new, NewOrExisting::New(c, &name), &caller.0.sub)
                    .await
                {
                    Err(crate::registry::RegistryError::Store(
                        crate::registry::store::StoreError::Conflict,
                    )) if explicit.is_none() && attempt < 50 => attempt += 1,
                    Err(crate::registry::RegistryError::Store(
                        crate::registry::store::StoreError::Conflict,
                    )) => {
                        return Err(ApiError::conflict(
                            "registry/name-taken",
                            format!("A connection named {name:?} exists."),
                            "Give the connection another name, or reuse the stored one with \
                             `connection_id`.",
                        )
                        .at("/connection/name"));
                    }
                    other => return other.map_err(registry_error),
                }
            }
        }
    }
}

/// `GET /api/datastores`: those the caller's teams see.
#[utoipa::path(
    get,
    operation_id = "datastores_list",
    path = "/api/datastores",
    tag = "datastores",
    summary = "List the datastores the caller's teams see",
    responses(
        (status = 200, description = "The datastores", body = Vec<DatastoreView>),
        (status = 401, response = Unauthorized),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let rows = state
        .registry
        .store()
        .datastores(None)
        .await
        .map_err(store_error)?;
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| caller.sees_teams(&r.teams)) {
        out.push(view(&state, row).await?);
    }
    Ok(Json(out).into_response())
}

/// `GET /api/datastores/{id}`.
#[utoipa::path(
    get,
    operation_id = "datastores_get",
    path = "/api/datastores/{id}",
    tag = "datastores",
    summary = "One datastore",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The datastore", body = DatastoreView),
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
    Ok(Json(view(&state, &row).await?).into_response())
}

/// `DELETE /api/datastores/{id}`.
#[utoipa::path(
    delete,
    operation_id = "datastores_delete",
    path = "/api/datastores/{id}",
    tag = "datastores",
    summary = "Delete a datastore",
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
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    caller.require(Role::Developer, "delete a datastore")?;
    if !state
        .registry
        .store()
        .delete_datastore(row.id)
        .await
        .map_err(store_error)?
    {
        return Err(ApiError::not_found("datastore", &raw));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /api/datastores/{id}`: changes the datastore's own fields.
#[utoipa::path(
    patch,
    operation_id = "datastores_update",
    path = "/api/datastores/{id}",
    tag = "datastores",
    summary = "Change a datastore's name, teams, database, schema or enrichment prefix",
    description = "Each field is checked as on a new datastore; a field left out keeps its \
        value, and `\"enrichment_prefix\": null` removes the prefix. A new database or schema \
        drops the stored catalog (its tables are not the datastore's any more); \
        `\"trigger_catalog\": true` starts discovery once the change is stored. Teams added or \
        removed must be the caller's own (or `Public`), and the caller must still see the \
        datastore afterwards. The connection is changed with `PATCH /api/connections/{id}`; a \
        field this body does not take is a 422 and nothing is changed.",
    params(("id" = i64, Path, description = "The record's id")),
    request_body(content = pgconnect_core::wire::DatastoreChange, content_type = "application/json",
        example = json!({"schema": "analytics", "teams": ["Sales"], "trigger_catalog": true})),
    responses(
        (status = 200, description = "Changed (or already as asked)", body = DatastoreView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
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
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    caller.require(Role::Developer, "change a datastore")?;
    let body = json_required(body)?;
    let (report, change) = pgconnect_core::analyze_datastore_patch(&body, row_kind(&row));
    let Some(change) = change else {
        return Ok(invalid(report));
    };
    let change = effective_change(&row, change);
    if let Some(teams) = &change.teams {
        check_team_change(&caller, &row.teams, teams)?;
    }
    if change != DatastorePatch::default() {
        let at = crate::registry::now();
        let done = state
            .registry
            .store()
            .update_datastore(row.id, &change, stamp(&at, &caller))
            .await
            .map_err(store_error)?;
        if !done {
            return Err(ApiError::not_found("datastore", &raw));
        }
        tracing::info!(
            id = row.id,
            moved = change.moves_tables(),
            "datastore changed"
        );
    }
    let row = visible(&state, &caller, row.id, None).await?;
    if change.trigger_catalog == Some(true) {
        super::catalog::start(&state, &row).await?;
    }
    Ok(Json(view(&state, &row).await?).into_response())
}

/// The change without the fields that already hold the value asked for (so re-sending a schema
/// does not drop the catalog). `trigger_catalog` stays: `true` asks for a discovery now.
fn effective_change(row: &DatastoreRow, change: DatastorePatch) -> DatastorePatch {
    fn differs<T: PartialEq>(new: Option<T>, old: &T) -> Option<T> {
        new.filter(|n| n != old)
    }
    DatastorePatch {
        name: differs(change.name, &row.name),
        teams: differs(change.teams, &row.teams),
        database: differs(change.database, &row.database),
        schema: differs(change.schema, &row.schema),
        enrichment_prefix: differs(change.enrichment_prefix, &row.enrichment_prefix),
        trigger_catalog: change.trigger_catalog,
    }
}

/// A non-admin adds and removes only teams it is a member of (or `Public`), and still sees the
/// datastore afterwards.
fn check_team_change(caller: &Caller, old: &[String], new: &[String]) -> Result<(), ApiError> {
    let foreign = |t: &String| t != PUBLIC && !caller.member_of(t);
    for (i, team) in new.iter().enumerate() {
        if !old.contains(team) && foreign(team) {
            return Err(ApiError::not_a_member(team, "team").at(&format!("/teams/{i}")));
        }
    }
    if let Some(team) = old.iter().find(|t| !new.contains(t) && foreign(t)) {
        return Err(ApiError::team_not_removable(team).at("/teams"));
    }
    if !caller.sees_teams(new) {
        return Err(ApiError::teams_lock_out().at("/teams"));
    }
    Ok(())
}

fn row_kind(row: &DatastoreRow) -> DatastoreKind {
    if row.kind == "enrichment" {
        DatastoreKind::Enrichment
    } else {
        DatastoreKind::Source
    }
}

/// `POST /api/datastores/{id}/connection`: verifies the stored datastore's connection live.
#[utoipa::path(
    post,
    operation_id = "datastores_verify",
    path = "/api/datastores/{id}/connection",
    tag = "datastores",
    summary = "Verify a stored datastore's connection live",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 200, description = "The live check. With `Accept: application/x-ndjson`, one event per line as the stages run, the report last", content((pgconnect_core::check::CheckReport = "application/json"), (pgconnect_core::check::CheckEvent = "application/x-ndjson"))),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = Invalid),
        (status = 429, response = Busy),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    streamed: Streamed,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    verify_row(&state, &row, streamed).await
}

/// The live check of a stored datastore.
pub(crate) async fn verify_row(
    state: &AppState,
    row: &DatastoreRow,
    streamed: Streamed,
) -> Result<Response, ApiError> {
    let (payload, kind) = row_payload(state, row).await?;
    check_payload(
        state,
        &payload,
        Some(Shape::Qualytics),
        Some(kind),
        streamed,
    )
    .await
}

/// A stored datastore as the Qualytics payload a check takes, its connection's secrets opened.
pub(crate) async fn row_payload(
    state: &AppState,
    row: &DatastoreRow,
) -> Result<(Value, DatastoreKind), ApiError> {
    let (_, connection) = state
        .registry
        .open_connection(row.connection_id)
        .await
        .map_err(registry_error)?
        .ok_or_else(|| ApiError::not_found("connection", &row.connection_id.to_string()))?;
    let kind = row_kind(row);
    let payload = json!({
        "name": row.name,
        "teams": if row.teams.is_empty() { vec![PUBLIC.to_owned()] } else { row.teams.clone() },
        "database": row.database,
        "schema": row.schema,
        "enrich_only": kind == DatastoreKind::Enrichment,
        "connection": connection,
    });
    Ok((payload, kind))
}

/// `PATCH /api/datastores/{id}/enrichment/{enrichment_id}`: links an enrichment datastore.
#[utoipa::path(
    patch,
    operation_id = "datastores_link",
    path = "/api/datastores/{id}/enrichment/{enrichment_id}",
    tag = "datastores",
    summary = "Link an enrichment datastore (and set the prefix of the tables written there)",
    description = "The body is optional. Without one the source's enrichment prefix stays as it \
        is; `{\"enrichment_prefix\": \"sales_\"}` sets it (checked as on a new datastore) and \
        `{\"enrichment_prefix\": null}` removes it. A field the body does not take is a 422.",
    params(("id" = i64, Path, description = "The record's id"), ("enrichment_id" = i64, Path, description = "The enrichment datastore's id")),
    request_body(content = Option<pgconnect_core::wire::LinkBody>, content_type = "application/json",
        example = json!({"enrichment_prefix": "sales_"})),
    responses(
        (status = 200, description = "Linked", body = DatastoreView),
        (status = 400, response = BadRequest),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn link(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, raw_e)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    let target = visible(&state, &caller, id(&raw_e, "datastore")?, None).await?;
    caller.require(Role::Developer, "link an enrichment datastore")?;
    let body = json_body(body, true)?.unwrap_or_default();
    let (report, request) = pgconnect_core::analyze_link(&body);
    let Some(request) = request else {
        return Ok(invalid(report));
    };
    if row.kind == "enrichment" {
        return Err(ApiError::conflict(
            "registry/not-a-source",
            format!(
                "Datastore {} is an enrichment datastore; only a source datastore links one.",
                row.id
            ),
            "Link from the source datastore: PATCH /api/datastores/{source}/enrichment/{this}.",
        ));
    }
    if target.kind != "enrichment" {
        return Err(ApiError::conflict(
            "registry/not-enrichment",
            format!(
                "Datastore {} is a source datastore; the link's target must be an enrichment \
                 datastore.",
                target.id
            ),
            "Create the target with \"enrich_only\": true, or pick one from \
             GET /api/datastores.",
        ));
    }
    state
        .registry
        .store()
        .set_enrichment(
            row.id,
            Some(target.id),
            request.enrichment_prefix.as_ref().map(Option::as_deref),
            stamp(&crate::registry::now(), &caller),
        )
        .await
        .map_err(store_error)?;
    let row = visible(&state, &caller, row.id, None).await?;
    Ok(Json(view(&state, &row).await?).into_response())
}

/// `DELETE /api/datastores/{id}/enrichment`: unlinks it.
#[utoipa::path(
    delete,
    operation_id = "datastores_unlink",
    path = "/api/datastores/{id}/enrichment",
    tag = "datastores",
    summary = "Unlink the enrichment datastore",
    params(("id" = i64, Path, description = "The record's id")),
    responses(
        (status = 200, description = "Unlinked", body = DatastoreView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn unlink(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let row = visible(&state, &caller, id(&raw, "datastore")?, None).await?;
    caller.require(Role::Developer, "unlink an enrichment datastore")?;
    state
        .registry
        .store()
        .set_enrichment(row.id, None, None, stamp(&crate::registry::now(), &caller))
        .await
        .map_err(store_error)?;
    let row = visible(&state, &caller, row.id, None).await?;
    Ok(Json(view(&state, &row).await?).into_response())
}

/// The datastore `id` of scope `project` (None: Qualytics), if the caller may see it; else 404.
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    id: i64,
    project: Option<&str>,
) -> Result<DatastoreRow, ApiError> {
    let row = state
        .registry
        .store()
        .datastore(id)
        .await
        .map_err(store_error)?;
    let ok = |r: &DatastoreRow| match (&r.project, project) {
        (None, None) => caller.sees_teams(&r.teams),
        (Some(p), Some(q)) => p == q && caller.member_of(p),
        _ => false,
    };
    row.filter(ok)
        .ok_or_else(|| ApiError::not_found("datastore", &id.to_string()))
}

/// A datastore as the API shows it.
async fn view(state: &AppState, row: &DatastoreRow) -> Result<views::DatastoreView, ApiError> {
    let store = state.registry.store();
    let connection = match store
        .connection(row.connection_id)
        .await
        .map_err(store_error)?
    {
        Some(c) => Some(views::connection(&c)?),
        None => None,
    };
    let enrichment = match row.enrichment_id {
        Some(eid) => match store.datastore(eid).await.map_err(store_error)? {
            Some(e) => {
                let host = store
                    .connection(e.connection_id)
                    .await
                    .map_err(store_error)?
                    .and_then(|c| {
                        c.spec
                            .get("host")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    });
                Some(views::EnrichmentSummary {
                    id: e.id,
                    name: e.name,
                    teams: e.teams,
                    host,
                    database: e.database,
                    schema: e.schema,
                })
            }
            None => None,
        },
        None => None,
    };
    let catalog = super::catalog::stored(state, row.id)
        .await?
        .map(|c| views::catalog_state(&c));
    Ok(views::datastore(row, connection, enrichment, catalog))
}

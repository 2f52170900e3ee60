//! The tokens the server issued, for admins: list them, revoke one. `pgconnect token list` and
//! `token revoke` do the same on the store directly; these are for an operator who has only the
//! API. A revoked token is refused from the next request on, on every server sharing the store.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::store_error;
use super::views::{Forbidden, NotFound, StoreFailed, TokenView, Unauthorized};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::registry::now;

/// `GET /api/tokens`: every recorded token, oldest first (kept a week after it expires).
#[utoipa::path(
    get,
    operation_id = "tokens_list",
    path = "/api/tokens",
    tag = "session",
    summary = "The tokens the server issued (ids, subjects, roles, teams, times; never a token)",
    responses(
        (status = 200, description = "Oldest first", body = Vec<TokenView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Admin, "list tokens")?;
    let now = now();
    let rows = state.registry.store().tokens().await.map_err(store_error)?;
    let views: Vec<TokenView> = rows.into_iter().map(|r| TokenView::of(r, &now)).collect();
    Ok(Json(views).into_response())
}

/// `DELETE /api/tokens/{id}`: revokes one token (again is harmless).
#[utoipa::path(
    delete,
    operation_id = "tokens_revoke",
    path = "/api/tokens/{id}",
    tag = "session",
    summary = "Revoke a token: every server on the store refuses it from the next request on",
    params(("id" = String, Path, description = "The token's id (`GET /api/tokens`)")),
    responses(
        (status = 204, description = "Revoked (or revoked already)"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin, "revoke a token")?;
    let store = state.registry.store();
    if store.token(&id).await.map_err(store_error)?.is_none() {
        return Err(ApiError::not_found("token", &id));
    }
    if !store
        .revoke_tokens(std::slice::from_ref(&id), &now())
        .await
        .map_err(store_error)?
        .is_empty()
    {
        tracing::info!(kind = "admin", "token revoked");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

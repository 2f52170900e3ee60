//! The browser session: a one-time login link becomes an HttpOnly cookie holding a session token
//! of the role and teams the link was made for;
//! `GET /api/session` tells the wizard who it is; `GET /api/teams` lists the teams it can use.

use crate::api::views::{Conflict, SessionView, StoreFailed, Unauthorized};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::store_error;
use crate::AppState;
use crate::auth::{COOKIE, Caller, PUBLIC, Role, TokenKind, prepare};
use crate::error::ApiError;
use crate::registry::crypto::{random_token, sha256_hex};
use crate::registry::store::LoginGrant;
use crate::registry::{Registry, now, rfc3339};

/// How long a login link stays valid.
pub const LOGIN_LINK_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long the session it opens lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// Creates a one-time login code (stored as its hash) that opens `grant`'s session; the code.
/// The server makes an admin one on first start; `pgconnect token login-link` makes one for a
/// store in use, for any role.
pub async fn new_login_code(registry: &Registry, grant: &LoginGrant) -> Result<String, String> {
    let code = random_token(32).map_err(|e| e.to_string())?;
    let expires = rfc3339(time::OffsetDateTime::now_utc() + LOGIN_LINK_TTL);
    registry
        .store()
        .insert_login_code(&sha256_hex(&code), &now(), &expires, grant)
        .await
        .map_err(|e| e.to_string())?;
    Ok(code)
}

/// The session the server's first-start link opens: an admin's.
#[must_use]
pub fn admin_grant() -> LoginGrant {
    LoginGrant {
        subject: "admin".to_owned(),
        role: Role::Admin.as_str().to_owned(),
        teams: vec![PUBLIC.to_owned()],
    }
}

/// `?code=…`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    code: Option<String>,
}

/// `GET /login?code=…`: spends the code, sets the session cookie, goes to the wizard.
#[utoipa::path(
    get,
    operation_id = "login",
    path = "/login",
    tag = "session",
    summary = "Spend a one-time login link: sets the session cookie and goes to the wizard",
    security(()),
    params(("code" = Option<String>, Query, description = "The code the server printed")),
    responses(
        (status = 303, description = "Session opened; to `/`", headers(
            ("Location" = String, description = "`/`"),
            ("Set-Cookie" = String, description = "`pgconnect_session`, HttpOnly, SameSite=Strict, Secure over HTTPS"),
        )),
        (status = 401, description = "The link was used, expired or is incomplete", content_type = "text/html", body = String),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    who: Option<axum::Extension<crate::auth::Who>>,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let code = query.ok().and_then(|Query(q)| q.code).unwrap_or_default();
    let page = |status: StatusCode, title: &str, body: &str| {
        (
            status,
            Html(format!(
                "<!doctype html><meta charset=utf-8><title>pgconnect: login link</title>\
                 <h1>{title}</h1>{body}"
            )),
        )
            .into_response()
    };
    let unusable = || {
        page(
            StatusCode::UNAUTHORIZED,
            "This login link cannot be used",
            "<p>It was used already, has expired (after 24 hours) or is incomplete.</p><p>An \
             operator can make a new one: <code>pgconnect token login-link --url URL</code>, \
             with the server's <code>--data-dir</code> or <code>--store</code>.</p>",
        )
    };
    if code.is_empty() {
        return unusable();
    }
    let store_failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "login link: the store failed");
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The registry's store did not answer",
            "<p>Nothing was used up: open the same link again in a moment. If it keeps \
             failing, the server's log says why.</p>",
        )
    };
    let hash = sha256_hex(&code);
    // what the link opens; spending it below checks again that it is unused, in one transaction
    let grant = match state.registry.store().login_code(&hash, &now()).await {
        Ok(Some(grant)) => grant,
        Ok(None) => return unusable(),
        Err(e) => return store_failed(&e),
    };
    let Some(role) = Role::parse(&grant.role) else {
        tracing::error!(role = %grant.role, "login link: a role this server does not know");
        return unusable();
    };
    let issued = match prepare(
        state.registry.keys(),
        TokenKind::Session,
        &grant.subject,
        role,
        &grant.teams,
        SESSION_TTL,
    ) {
        Ok(issued) => issued,
        Err(e) => return ApiError::store(&e).into_response(),
    };
    // the code is spent and the session's token recorded together: a store that fails between
    // the two cannot burn the link without opening a session
    let spent = state
        .registry
        .store()
        .spend_login_code(&hash, &now(), &issued.row, &issued.prune_before)
        .await;
    let token = match spent {
        Ok(true) => issued.token,
        Ok(false) => return unusable(),
        Err(e) => return store_failed(&e),
    };
    let cookie = format!(
        "{COOKIE}={token}; {}; Max-Age={}",
        cookie_attributes(&state, &headers),
        SESSION_TTL.as_secs()
    );
    if let Some(axum::Extension(who)) = who {
        who.record(&grant.subject, Some(&issued.row.jti));
    }
    tracing::info!(role = role.as_str(), "login link used: session opened");
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `GET /api/session`: the caller's role and teams.
#[utoipa::path(
    get,
    operation_id = "whoami",
    path = "/api/session",
    tag = "session",
    summary = "Who the caller is",
    responses(
        (status = 200, description = "Role, teams, expiry", body = SessionView),
        (status = 401, response = Unauthorized),
    ),
)]
pub async fn whoami(caller: Caller) -> Response {
    let c = caller.0;
    Json(super::views::SessionView {
        sub: c.sub,
        role: c.role,
        teams: c.teams,
        expires: c.exp,
        id: c.jti,
    })
    .into_response()
}

/// `DELETE /api/session`: signs out. The caller's token is revoked (it is refused from now on,
/// wherever a copy of it is) and the session cookie is cleared.
#[utoipa::path(
    delete,
    operation_id = "signOut",
    path = "/api/session",
    tag = "session",
    summary = "Sign out: revoke the caller's token and clear the session cookie",
    responses(
        (status = 204, description = "Revoked; the cookie is cleared", headers(
            ("Set-Cookie" = String, description = "`pgconnect_session` emptied, Max-Age=0"),
        )),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    caller: Caller,
) -> Response {
    let mut response = match &caller.0.jti {
        Some(jti) => match state
            .registry
            .store()
            .revoke_tokens(std::slice::from_ref(jti), &now())
            .await
        {
            Ok(_) => {
                tracing::info!(kind = "sign-out", "token revoked");
                StatusCode::NO_CONTENT.into_response()
            }
            Err(e) => return store_error(e).into_response(),
        },
        None => ApiError::token_not_revocable().into_response(),
    };
    let cleared = format!(
        "{COOKIE}=; {}; Max-Age=0",
        cookie_attributes(&state, &headers)
    );
    if let Ok(v) = HeaderValue::from_str(&cleared) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The session cookie's attributes: never readable by scripts, never sent by another site, and
/// `Secure` (sent over HTTPS only) when the page came over HTTPS — this server's TLS, or a proxy
/// in front that says so in `X-Forwarded-Proto`. Trusting that header costs nothing: all it can
/// do is make the cookie stricter.
fn cookie_attributes(state: &AppState, headers: &axum::http::HeaderMap) -> &'static str {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    if state.https() || forwarded_https {
        "HttpOnly; SameSite=Strict; Secure; Path=/"
    } else {
        "HttpOnly; SameSite=Strict; Path=/"
    }
}

/// `GET /api/teams`: the teams the caller may give a datastore (an admin: every team in use).
#[utoipa::path(
    get,
    operation_id = "teams",
    path = "/api/teams",
    tag = "session",
    summary = "Teams the caller may give a datastore",
    responses(
        (status = 200, description = "Team names", body = Vec<String>),
        (status = 401, response = Unauthorized),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn teams(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let mut teams: Vec<String> = vec![PUBLIC.to_owned()];
    teams.extend(caller.0.teams.iter().cloned());
    if caller.0.role == Role::Admin {
        for row in state
            .registry
            .store()
            .datastores(None)
            .await
            .map_err(store_error)?
        {
            teams.extend(row.teams);
        }
    }
    teams.sort();
    teams.dedup();
    Ok(Json(teams).into_response())
}

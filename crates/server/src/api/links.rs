//! `POST /api/login-links`: an admin makes a one-time login link for a colleague — their name,
//! role and teams — from the browser, as `pgconnect token login-link` does from a shell. The code
//! is in the answer once; the store keeps only its hash. `GET` lists the links not used yet (by
//! an id cut from the hash) and `DELETE /api/login-links/{id}` withdraws one.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as AxumPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pgconnect_core::{Diagnostic, Path, Report};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::views::{Forbidden, Invalid, NotFound, StoreFailed, TooLarge, Unauthorized};
use super::{invalid, json_required, store_error};
use crate::AppState;
use crate::api::session::{LOGIN_LINK_TTL, new_login_code};
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::registry::store::{LoginGrant, LoginLinkRow};
use crate::registry::{now, rfc3339};

/// The body of `POST /api/login-links`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[allow(dead_code)] // the documented shape; the body is read field by field, to name each fault
pub struct LoginLinkRequest {
    /// Who the session is for, shown in the wizard and in `GET /api/tokens`.
    subject: String,
    /// `viewer`, `developer` or `admin`.
    role: Role,
    /// The session's teams (none: it sees `Public` datastores; an admin sees every team's).
    #[serde(default)]
    teams: Vec<String>,
}

/// A login link, once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginLinkView {
    /// `/login?code=…`, to put after the server's address. Usable once.
    pub path: String,
    /// Who the session is for.
    pub subject: String,
    /// Its role.
    pub role: Role,
    /// Its teams.
    pub teams: Vec<String>,
    /// When the link stops working (RFC 3339), 24 hours from now.
    pub expires: String,
}

const FIELDS: &[&str] = &["subject", "role", "teams"];

/// Whether `subject` (trimmed) can name who a login link is for: 1 to 100 characters. The API
/// and `pgconnect token login-link` both ask this.
#[must_use]
pub fn usable_subject(subject: &str) -> bool {
    let n = subject.trim().chars().count();
    (1..=100).contains(&n)
}

/// Whether `team` (trimmed) can name a team: not empty.
#[must_use]
pub fn usable_team(team: &str) -> bool {
    !team.trim().is_empty()
}

/// Reads the request: each fault at its field, with the fix.
fn read(body: &Value) -> Result<(String, Role, Vec<String>), Report> {
    let root = Path::ROOT;
    let mut report = Report::new();
    let Some(o) = body.as_object() else {
        report.push(Diagnostic::error(
            "login-link/not-an-object",
            &root,
            "the body must be an object",
            "send {\"subject\": \"alice\", \"role\": \"developer\", \"teams\": [\"Finance\"]}",
        ));
        return Err(report);
    };
    for key in o.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        report.push(Diagnostic::error(
            "login-link/unknown-field",
            &root.key(key),
            format!("`{key}` is not a field of a login link"),
            "a login link takes `subject`, `role` and `teams`",
        ));
    }
    let subject = match o.get("subject").and_then(Value::as_str).map(str::trim) {
        Some(s) if usable_subject(s) => Some(s.to_owned()),
        _ => {
            report.push(Diagnostic::error(
                "login-link/subject",
                &root.key("subject"),
                "`subject` must be the name of who the link is for (1 to 100 characters)",
                "say who it is for, e.g. \"alice\": the wizard and the token list show it",
            ));
            None
        }
    };
    let role = o.get("role").and_then(Value::as_str).and_then(Role::parse);
    if role.is_none() {
        report.push(Diagnostic::error(
            "login-link/role",
            &root.key("role"),
            "`role` must be \"viewer\", \"developer\" or \"admin\"",
            "viewer reads and tests, developer also creates and changes, admin does everything",
        ));
    }
    let mut teams = Vec::new();
    match o.get("teams") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(str::trim) {
                    Some(t) if usable_team(t) => teams.push(t.to_owned()),
                    _ => report.push(Diagnostic::error(
                        "login-link/team",
                        &root.key("teams").index(i),
                        "a team must be a name",
                        "give the team's name, e.g. \"Finance\", or leave it out",
                    )),
                }
            }
        }
        Some(_) => report.push(Diagnostic::error(
            "login-link/teams",
            &root.key("teams"),
            "`teams` must be a list of team names",
            "send e.g. [\"Finance\"], or leave it out for Public only",
        )),
    }
    match (subject, role) {
        (Some(subject), Some(role)) if report.is_valid() => Ok((subject, role, teams)),
        _ => Err(report),
    }
}

/// `POST /api/login-links`: 201 with the link (admins only).
#[utoipa::path(
    post,
    operation_id = "login_links_create",
    path = "/api/login-links",
    tag = "session",
    summary = "Make a one-time login link for a colleague's session (admins)",
    request_body = LoginLinkRequest,
    responses(
        (status = 201, description = "The link, shown once", body = LoginLinkView),
        (status = 400, response = crate::api::views::BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
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
    caller.require(Role::Admin, "make login links")?;
    let value = json_required(body)?;
    let (subject, role, teams) = match read(&value) {
        Ok(read) => read,
        Err(report) => return Ok(invalid(report)),
    };
    let grant = LoginGrant {
        subject: subject.clone(),
        role: role.as_str().to_owned(),
        teams: teams.clone(),
    };
    let code = new_login_code(&state.registry, &grant)
        .await
        .map_err(|e| ApiError::store(&e))?;
    tracing::info!(role = role.as_str(), "login link made");
    Ok((
        StatusCode::CREATED,
        Json(LoginLinkView {
            path: format!("/login?code={code}"),
            subject,
            role,
            teams,
            expires: rfc3339(time::OffsetDateTime::now_utc() + LOGIN_LINK_TTL),
        }),
    )
        .into_response())
}

/// A login link not used yet (`GET /api/login-links`): never its code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenLoginLinkView {
    /// What `DELETE /api/login-links/{id}` takes.
    pub id: String,
    /// Who the session is for.
    pub subject: String,
    /// Its role.
    pub role: String,
    /// Its teams.
    pub teams: Vec<String>,
    /// When it was made (RFC 3339).
    pub created: String,
    /// When it stops working (RFC 3339).
    pub expires: String,
}

impl OpenLoginLinkView {
    /// The view of a stored link.
    #[must_use]
    pub fn of(r: LoginLinkRow) -> OpenLoginLinkView {
        OpenLoginLinkView {
            id: r.id,
            subject: r.grant.subject,
            role: r.grant.role,
            teams: r.grant.teams,
            created: r.created_at,
            expires: r.expires_at,
        }
    }
}

/// `GET /api/login-links`: the links not used yet, newest first (admins only).
#[utoipa::path(
    get,
    operation_id = "login_links_list",
    path = "/api/login-links",
    tag = "session",
    summary = "The login links not used yet (never their codes; admins)",
    responses(
        (status = 200, description = "Newest first", body = Vec<OpenLoginLinkView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Admin, "list login links")?;
    let rows = state
        .registry
        .store()
        .open_login_links(&now())
        .await
        .map_err(store_error)?;
    let views: Vec<OpenLoginLinkView> = rows.into_iter().map(OpenLoginLinkView::of).collect();
    Ok(Json(views).into_response())
}

/// `DELETE /api/login-links/{id}`: withdraws a link not used yet (admins only).
#[utoipa::path(
    delete,
    operation_id = "login_links_withdraw",
    path = "/api/login-links/{id}",
    tag = "session",
    summary = "Withdraw a login link not used yet (admins)",
    params(("id" = String, Path, description = "The link's id (`GET /api/login-links`)")),
    responses(
        (status = 204, description = "Withdrawn: opening it now says it cannot be used"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = StoreFailed),
    ),
)]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    AxumPath(id): AxumPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin, "withdraw login links")?;
    let done = state
        .registry
        .store()
        .withdraw_login_link(&id)
        .await
        .map_err(store_error)?;
    if !done {
        return Err(ApiError::not_found("unused login link", &id));
    }
    tracing::info!("login link withdrawn");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn faults(body: &Value) -> Vec<String> {
        match read(body) {
            Ok(_) => Vec::new(),
            Err(r) => r
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.path))
                .collect(),
        }
    }

    #[test]
    fn a_login_link_request_names_each_fault() {
        assert_eq!(
            read(&json!({"subject": " alice ", "role": "Developer", "teams": ["Finance"]})).ok(),
            Some((
                "alice".to_owned(),
                Role::Developer,
                vec!["Finance".to_owned()]
            ))
        );
        assert!(faults(&json!({"subject": "bob", "role": "viewer"})).is_empty());
        assert_eq!(
            faults(&json!({"subject": "", "role": "boss", "teams": ["", 3], "team": "x"})),
            [
                "login-link/unknown-field /team",
                "login-link/subject /subject",
                "login-link/role /role",
                "login-link/team /teams/0",
                "login-link/team /teams/1",
            ]
        );
        assert_eq!(
            faults(&json!({"subject": "a".repeat(101), "role": "admin", "teams": "Finance"})),
            ["login-link/subject /subject", "login-link/teams /teams"]
        );
        assert_eq!(faults(&json!([])), ["login-link/not-an-object "]);
    }
}

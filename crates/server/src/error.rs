//! Every answer that is not a report: one JSON shape, `{"error": {code, message, help, …}}`.

use std::any::Any;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A refused request, said in words: what is wrong and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable identifier, e.g. `request/json-syntax`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Where the JSON breaks (1-based), for `request/json-syntax`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column of the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// JSON Pointer of the request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Seconds to wait, for 429.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: String, help: &str) -> ApiError {
        ApiError {
            status,
            code,
            message,
            help: help.to_owned(),
            line: None,
            column: None,
            path: None,
            retry_after: None,
        }
    }

    /// The same error, about the request field at `path`.
    #[must_use]
    pub fn at(self, path: &str) -> ApiError {
        ApiError {
            path: Some(path.to_owned()),
            ..self
        }
    }

    /// Sign-out with a token that has no `jti` (minted before tokens carried one): 409.
    #[must_use]
    pub fn token_not_revocable() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "auth/token-not-revocable",
            "This token has no id, so it cannot be revoked on its own; it stays valid until it \
             expires."
                .to_owned(),
            "To end it sooner, rotate the server's key (`pgconnect key rotate`), which ends every \
             token; tokens minted since can be revoked one by one.",
        )
    }

    /// No token, or a token that does not verify (401).
    #[must_use]
    pub fn unauthorized(code: &'static str, why: &str) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            code,
            format!(
                "{}{}.",
                why.get(..1).unwrap_or("").to_uppercase(),
                why.get(1..).unwrap_or("")
            ),
            "Send `Authorization: Bearer <token>`; an operator mints one with `pgconnect token \
             create --role developer --team <team>` (or open the login link the server printed).",
        )
    }

    /// The caller's role is too low (403).
    #[must_use]
    pub fn forbidden(have: crate::auth::Role, need: crate::auth::Role, action: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth/role",
            format!(
                "To {action} takes the {} role or higher; this token's role is {}.",
                need.as_str(),
                have.as_str()
            ),
            "Ask an admin for a token with that role (`pgconnect token create --role …`).",
        )
    }

    /// The caller may not act for a team or project (403).
    #[must_use]
    pub fn not_a_member(team: &str, what: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth/team",
            format!("This token is not a member of {what} {team:?}."),
            "Use a team the token carries (or `Public`), or ask an admin for a token with that \
             team.",
        )
    }

    /// A change would take a datastore away from a team the caller is not in (403).
    #[must_use]
    pub fn team_not_removable(team: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "auth/team",
            format!(
                "This token is not a member of team {team:?}, so it cannot take the datastore \
                 away from that team."
            ),
            "Keep the team in the list, or ask one of its members or an admin.",
        )
    }

    /// A change would leave the caller unable to see the datastore (422).
    #[must_use]
    pub fn teams_lock_out() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "teams/lock-out",
            "After this change none of this token's teams would see the datastore.".to_owned(),
            "Keep one of your teams, or `Public`, in the list.",
        )
    }

    /// No such record, or not visible to the caller (404: existence is not disclosed).
    #[must_use]
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "registry/not-found",
            format!("There is no {what} {id}."),
            "List what exists with GET on the collection; a record of a team you are not in is \
             not shown.",
        )
    }

    /// The request conflicts with what is stored (409).
    #[must_use]
    pub fn conflict(code: &'static str, message: String, help: &str) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message, help)
    }

    /// A header the route needs is missing or wrong (400).
    #[must_use]
    pub fn header(message: String, help: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "request/header", message, help)
    }

    /// The store failed (500 for a bug or a broken store; 503 when it is unreachable).
    #[must_use]
    pub fn store(e: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "registry failure");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server/store",
            "The registry's store could not complete the request.".to_owned(),
            "Retry; if it persists, the operator should check the server's log and its store.",
        )
    }

    /// `/readyz`: the store does not answer (503, logged with why).
    #[must_use]
    pub fn store_not_ready(e: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(error = %e, "not ready: the store does not answer");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server/not-ready",
            "This server is not ready: the registry's store does not answer.".to_owned(),
            "Send requests to another server meanwhile; the operator should check the store and \
             this server's log.",
        )
    }

    /// `/readyz`: the store's key is not one this server holds (503, logged).
    #[must_use]
    pub fn key_not_ready(store_key: &str) -> ApiError {
        tracing::warn!(store_key, "not ready: the registry's key was rotated");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server/not-ready",
            "This server is not ready: the registry's key was rotated and this server holds an \
             older one, so it cannot save credentials."
                .to_owned(),
            "Restart this server with the new key (PGCONNECT_SECRET_KEY).",
        )
    }

    /// The registry's key was rotated while this server ran (503, logged): it cannot seal.
    #[must_use]
    pub fn key_rotated(e: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "registry failure");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server/key-rotated",
            "The registry's key was rotated while this server ran; nothing was saved.".to_owned(),
            "Retry after the operator restarts this server with the new key.",
        )
    }

    /// The body is not JSON.
    #[must_use]
    pub fn json_syntax(e: &serde_json::Error) -> ApiError {
        let what = e.to_string();
        let what = what
            .rsplit_once(" at line ")
            .map_or(what.as_str(), |(m, _)| m);
        let (line, column) = (e.line(), e.column());
        let message = if e.is_eof() && line <= 1 && column == 0 {
            "The request body is empty; it should be a datastore payload (JSON).".to_owned()
        } else {
            format!("The request body is not valid JSON: {what} at line {line}, column {column}.")
        };
        ApiError {
            line: u32::try_from(line).ok(),
            column: u32::try_from(column).ok(),
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                "request/json-syntax",
                message,
                "Send the payload as a JSON object (Content-Type: application/json); check the \
                 text around that position for a missing comma, quote or brace.",
            )
        }
    }

    /// The body holds only whitespace (400): no JSON text. `optional`: the route also takes no
    /// body at all.
    #[must_use]
    pub fn blank_body(optional: bool) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request/json-syntax",
            "The request body holds only whitespace, which is not JSON.".to_owned(),
            if optional {
                "Send a JSON object (Content-Type: application/json), or no body at all."
            } else {
                "Send the payload as a JSON object (Content-Type: application/json)."
            },
        )
    }

    /// The body is over the limit.
    #[must_use]
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request/too-large",
            format!("The request body is over {} KiB.", limit / 1024),
            "A datastore payload is a few KiB, a CA certificate included: check that the right \
             document is sent.",
        )
    }

    /// The body could not be read.
    #[must_use]
    pub fn unreadable(why: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request/unreadable",
            format!("The request body could not be read: {why}."),
            "Send the payload again.",
        )
    }

    /// A query parameter is wrong.
    #[must_use]
    pub fn query(message: String, help: &str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "request/query", message, help)
    }

    /// Too many checks at once.
    #[must_use]
    pub fn busy(limit: usize) -> ApiError {
        ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "server/busy",
                format!("{limit} connection tests are already running."),
                "Retry in a second (see Retry-After). Operators can raise the limit with \
                 `pgconnect serve --max-concurrent-checks`.",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after;
        let mut response = (status, Json(serde_json::json!({ "error": self }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pgconnect\""),
            );
        }
        if let Some(seconds) = retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// Unknown `/api/…` route.
pub async fn api_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "request/not-found",
        format!("There is no API route {}.", uri.path()),
        "Test a payload with POST /api/connections/test or POST /api/datastores/connection.",
    )
}

/// Known route, wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "request/method",
        format!("{} does not accept {method}.", uri.path()),
        "The connection tests take POST with a JSON body; pages and files take GET.",
    )
}

/// A panic inside a handler: a bug. Answered as JSON; the panic's message is not repeated (it
/// could hold anything).
pub fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server/bug",
        "The server failed while handling this request.".to_owned(),
        "This is a bug in pgconnect; please report it with the steps that led to it.",
    )
    .into_response()
}

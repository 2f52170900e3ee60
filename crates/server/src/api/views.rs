//! What the registry's routes answer: typed views, built from stored rows without secret
//! values. The same structs serialise the answers and describe them in `/api/openapi.json`
//! (utoipa), so the document cannot drift from what the server sends.

use pgconnect_core::catalog::Catalog;
use pgconnect_core::wire::Port;
use serde::{Deserialize, Serialize};
use utoipa::{ToResponse, ToSchema};

use crate::error::ApiError;
use crate::registry::store::{CatalogRow, ConnectionRow, DatastoreRow, TokenRow};
use crate::registry::{PASSWORD, VAULT_CREDENTIALS};

/// A stored connection's settings as saved (the password and vault credentials are never part
/// of them).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectionSpec {
    /// Always `postgresql`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Host name or address (or a `${key}`).
    pub host: String,
    /// Port: a number, or a `${key}` / numeric string as written.
    pub port: Port,
    /// The role it logs in as (or a `${key}`).
    pub username: String,
    /// TLS mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<String>,
    /// PEM CA bundle for verify-ca / verify-full (a certificate, not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
    /// Vault settings, without the credentials payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_management: Option<SecretsManagementView>,
}

/// The vault settings of a stored connection: where and how, never the credentials.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SecretsManagementView {
    /// Login URL.
    pub login_url: String,
    /// JSONPath of the token in the login answer.
    pub token_jsonpath: String,
    /// Secret URL.
    pub secret_url: String,
    /// Header that carries the token.
    pub token_header_name: String,
    /// JSONPath of the key/value object in the read answer.
    pub data_jsonpath: String,
    /// Vault namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// PEM CA bundle for the vault's TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
    /// Whether credentials are stored (they are never shown).
    #[serde(default)]
    pub credentials_payload_set: bool,
}

/// A stored connection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionView {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Its settings.
    #[serde(flatten)]
    pub spec: ConnectionSpec,
    /// Whether a password is stored (it is never shown).
    pub password_set: bool,
    /// How many datastores use it.
    pub datastore_count: i64,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339.
    pub updated: String,
    /// Who created it (the subject of their token); `null` for records from before pgconnect
    /// recorded it.
    pub created_by: Option<String>,
    /// Who changed it last; `null` as for `created_by`.
    pub updated_by: Option<String>,
}

/// A linked enrichment datastore, in brief.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrichmentSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Teams that see it.
    pub teams: Vec<String>,
    /// Its connection's host.
    pub host: Option<String>,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
}

/// Where catalog discovery stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogState {
    /// `running`, `done` or `failed`.
    pub status: String,
    /// RFC 3339.
    pub started: String,
    /// RFC 3339; `null` while running.
    pub finished: Option<String>,
}

/// A Qualytics datastore.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatastoreView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Always `postgresql`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// True for an enrichment datastore.
    pub enrich_only: bool,
    /// Teams that see it.
    pub teams: Vec<String>,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// Prefix of the enrichment tables.
    pub enrichment_prefix: Option<String>,
    /// Whether catalog discovery runs after create.
    pub trigger_catalog: bool,
    /// Its connection (`null` if it is gone).
    pub connection: Option<ConnectionView>,
    /// The linked enrichment datastore.
    pub enrichment_datastore: Option<EnrichmentSummary>,
    /// Catalog discovery, once started.
    pub catalog: Option<CatalogState>,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339.
    pub updated: String,
    /// Who created it (the subject of their token); `null` for records from before pgconnect
    /// recorded it.
    pub created_by: Option<String>,
    /// Who changed it last; `null` as for `created_by`.
    pub updated_by: Option<String>,
}

/// Where a CRAFT asset's database is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetConfig {
    /// Host.
    pub host: Option<String>,
    /// Port.
    pub port: Option<Port>,
    /// Database.
    pub database: String,
    /// Schema.
    pub schema: String,
    /// TLS mode.
    pub ssl_mode: Option<String>,
}

/// A CRAFT data connection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Always `postgresql`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The project (`X-Project-ID`) it belongs to.
    pub project_id: Option<String>,
    /// Where the database is.
    pub config: AssetConfig,
    /// Whether credentials are stored (never shown).
    pub credentials_set: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Who created it (the subject of their token); `null` for records from before pgconnect
    /// recorded it.
    pub created_by: Option<String>,
    /// Who changed it last; `null` as for `created_by`.
    pub updated_by: Option<String>,
}

/// `202` of `POST /api/datastores/{id}/catalog`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogStarted {
    /// `running`.
    pub status: &'static str,
    /// The datastore.
    pub datastore_id: i64,
}

/// The stored catalog, or why discovery failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogView {
    /// The datastore.
    pub datastore_id: i64,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// RFC 3339.
    pub started: String,
    /// RFC 3339; `null` while running.
    pub finished: Option<String>,
    /// The catalog, when done.
    pub catalog: Option<Catalog>,
    /// Why it failed, when it did.
    pub failure: Option<CatalogFailure>,
}

/// Why catalog discovery failed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogFailure {
    /// What went wrong and what to do.
    pub error: ErrorDetail,
    /// The live check that preceded discovery, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<pgconnect_core::check::CheckReport>,
    /// Why the stored datastore no longer validates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Vec<pgconnect_core::Diagnostic>>,
}

/// Every refusal: `{"error": {…}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What is wrong and how to fix it.
    pub error: ErrorDetail,
}

/// The refusal itself (the JSON of [`ApiError`]).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable identifier, e.g. `request/json-syntax`.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// Line (1-based) where the JSON breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column of the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// JSON Pointer of the request field at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `GET /api/session`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// Who.
    pub sub: String,
    /// `viewer`, `developer` or `admin`.
    pub role: crate::auth::Role,
    /// Teams.
    pub teams: Vec<String>,
    /// Expiry, Unix seconds.
    pub expires: u64,
    /// The token's id, as `GET /api/tokens` lists it (absent on tokens minted before ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// A token the server issued (`GET /api/tokens`): never the token itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id (the `jti` claim): what `DELETE /api/tokens/{id}` and `pgconnect token revoke`
    /// take.
    pub id: String,
    /// Who it is for.
    pub subject: String,
    /// `viewer`, `developer` or `admin`.
    pub role: String,
    /// Its teams.
    pub teams: Vec<String>,
    /// `cli` (`pgconnect token create`) or `session` (a wizard login).
    pub kind: String,
    /// RFC 3339.
    pub issued_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339, once revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
}

impl TokenView {
    /// The view of a recorded token, its status as of `now`.
    #[must_use]
    pub fn of(row: TokenRow, now: &str) -> TokenView {
        TokenView {
            status: row.status(now).to_owned(),
            id: row.jti,
            subject: row.subject,
            role: row.role,
            teams: row.teams,
            kind: row.kind,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// `GET /readyz`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub store: &'static str,
}

fn unreadable(what: &str, id: i64) -> ApiError {
    ApiError::store(&format!("stored {what} {id} cannot be read"))
}

/// A connection row as the API shows it.
pub fn connection(row: &ConnectionRow) -> Result<ConnectionView, ApiError> {
    let mut spec: ConnectionSpec =
        serde_json::from_value(row.spec.clone()).map_err(|_| unreadable("connection", row.id))?;
    if let Some(sm) = spec.secrets_management.as_mut() {
        sm.credentials_payload_set = row.secrets.iter().any(|s| s == VAULT_CREDENTIALS);
    }
    Ok(ConnectionView {
        id: row.id,
        name: row.name.clone(),
        spec,
        password_set: row.secrets.iter().any(|s| s == PASSWORD),
        datastore_count: row.datastores,
        created: row.created_at.clone(),
        updated: row.updated_at.clone(),
        created_by: row.created_by.clone(),
        updated_by: row.updated_by.clone(),
    })
}

/// A catalog row's state.
#[must_use]
pub fn catalog_state(c: &CatalogRow) -> CatalogState {
    CatalogState {
        status: c.status.clone(),
        started: c.started_at.clone(),
        finished: c.finished_at.clone(),
    }
}

/// A datastore row as the Qualytics routes show it.
#[must_use]
pub fn datastore(
    row: &DatastoreRow,
    connection: Option<ConnectionView>,
    enrichment: Option<EnrichmentSummary>,
    catalog: Option<CatalogState>,
) -> DatastoreView {
    DatastoreView {
        id: row.id,
        name: row.name.clone(),
        kind: "postgresql",
        enrich_only: row.kind == "enrichment",
        teams: row.teams.clone(),
        database: row.database.clone(),
        schema: row.schema.clone(),
        enrichment_prefix: row.enrichment_prefix.clone(),
        trigger_catalog: row.trigger_catalog,
        connection,
        enrichment_datastore: enrichment,
        catalog,
        created: row.created_at.clone(),
        updated: row.updated_at.clone(),
        created_by: row.created_by.clone(),
        updated_by: row.updated_by.clone(),
    }
}

/// A datastore row as the CRAFT routes show it.
#[must_use]
pub fn asset(row: &DatastoreRow, connection: Option<&ConnectionView>) -> AssetView {
    let spec = connection.map(|c| &c.spec);
    AssetView {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        kind: "postgresql",
        project_id: row.project.clone(),
        config: AssetConfig {
            host: spec.map(|s| s.host.clone()),
            port: spec.map(|s| s.port.clone()),
            database: row.database.clone(),
            schema: row.schema.clone(),
            ssl_mode: spec.and_then(|s| s.ssl_mode.clone()),
        },
        credentials_set: connection.is_some_and(|c| c.password_set),
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
        created_by: row.created_by.clone(),
        updated_by: row.updated_by.clone(),
    }
}

/// A 422: the core's validation report, or a refusal naming the field (e.g. a password that
/// must be sent again).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Unprocessable {
    /// The payload does not validate.
    Report(pgconnect_core::diagnostic::ReportJson),
    /// A refusal.
    Error(ErrorBody),
}

// The refusals the routes share, once each, for `(status = …, response = …)` in the handlers'
// `#[utoipa::path]` (never constructed: they describe `ApiError`'s and the report's answers).

/// The body, a header or the query string cannot be read.
#[derive(ToResponse)]
pub struct BadRequest(pub ErrorBody);

/// No token, or one that does not verify.
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "Bearer")))]
pub struct Unauthorized(pub ErrorBody);

/// The token's role or teams do not allow it.
#[derive(ToResponse)]
pub struct Forbidden(pub ErrorBody);

/// No such record (or not visible to the caller).
#[derive(ToResponse)]
pub struct NotFound(pub ErrorBody);

/// It conflicts with what is stored.
#[derive(ToResponse)]
pub struct Conflict(pub ErrorBody);

/// The body is larger than the limit.
#[derive(ToResponse)]
pub struct TooLarge(pub ErrorBody);

/// Invalid: the core's report, or a refusal naming the field.
#[derive(ToResponse)]
pub struct Invalid(pub Unprocessable);

/// Too many live checks at once; retry after `Retry-After`.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "Seconds to wait")))]
pub struct Busy(pub ErrorBody);

/// The registry's store failed (`server/store`), or the registry's key was rotated while this
/// server ran (`server/key-rotated`: restart it with the new key).
#[derive(ToResponse)]
pub struct StoreFailed(pub ErrorBody);

/// Not ready (`server/not-ready`): the store does not answer, or its key is one this server does
/// not hold (another server rotated it).
#[derive(ToResponse)]
pub struct NotReady(pub ErrorBody);

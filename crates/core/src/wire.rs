//! The request bodies as types: what a well-formed Qualytics or CRAFT payload looks like.
//!
//! Validation itself reads any JSON ([`crate::validate`]) so that it can report every problem with
//! its path; these types are the *contract* it checks against — the TypeScript interfaces of the
//! npm package are generated from them (feature `ts`), and a test deserialises every valid example
//! payload into them so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{ConnectionId, SslMode};

/// Either request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "DatastorePayload"))]
pub enum DatastorePayload {
    /// `POST /api/datastores`
    Qualytics(QualyticsDatastore),
    /// `POST /assets/data`
    Craft(CraftAsset),
}

/// The optional body of `PATCH /api/datastores/{id}/enrichment/{enrichment_id}` (read by
/// [`crate::analyze_link`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkBody {
    /// The source's enrichment prefix from now on; `null` removes it, and leaving the field out
    /// keeps the prefix it has.
    #[serde(default)]
    pub enrichment_prefix: Option<String>,
}

/// The body of `PATCH /api/datastores/{id}` (read by [`crate::analyze_datastore_patch`]): the
/// datastore's own fields to change; a field left out keeps its stored value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct DatastoreChange {
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every team that sees the datastore from now on (at least one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<String>>,
    /// The database; a change drops the stored catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The schema; a change drops the stored catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The enrichment prefix; `null` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub enrichment_prefix: Option<String>,
    /// `true` starts catalog discovery once the change is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_catalog: Option<bool>,
}

/// A Qualytics-style `POST /api/datastores` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct QualyticsDatastore {
    /// Datastore name.
    pub name: String,
    /// Teams that may see it, e.g. `["Public"]`.
    pub teams: Vec<String>,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
    /// An enrichment (read-write) datastore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrich_only: Option<bool>,
    /// Alias of `enrich_only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment_only: Option<bool>,
    /// Discover the catalog after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_catalog: Option<bool>,
    /// Alias of `trigger_catalog`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_sync: Option<bool>,
    /// Prefix of the tables written into the enrichment datastore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment_prefix: Option<String>,
    /// A new connection…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<QualyticsConnection>,
    /// …or a stored one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<ConnectionId>,
}

/// The `connection` of a Qualytics body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct QualyticsConnection {
    /// The connection's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `"postgresql"` (any case).
    #[serde(rename = "type")]
    pub kind: String,
    /// Host name or address.
    pub host: String,
    /// Port: a number, or a numeric string (or a `${key}`).
    pub port: Port,
    /// Role.
    pub username: String,
    /// Password (or a `${key}`).
    pub password: String,
    /// TLS mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<SslMode>,
    /// PEM CA for verify-ca / verify-full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
    /// Where `${key}`s get their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_management: Option<SecretsManagementSettings>,
}

/// A CRAFT-style `POST /assets/data` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct CraftAsset {
    /// Asset name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `"postgresql"` (any case).
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the database is.
    pub config: CraftConfig,
    /// How to log in.
    pub credentials: CraftCredentials,
    /// Where `${key}`s get their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_management: Option<SecretsManagementSettings>,
}

/// The `config` of a CRAFT body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct CraftConfig {
    /// Host name or address.
    pub host: String,
    /// Port (default 5432).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// Database name.
    pub database: String,
    /// Schema (default `public`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// TLS mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_mode: Option<SslMode>,
    /// PEM CA for verify-ca / verify-full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_root_cert: Option<String>,
}

/// The `credentials` of a CRAFT body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CraftCredentials {
    /// Role.
    pub username: String,
    /// Password (or a `${key}`).
    pub password: String,
}

/// A port as the bodies write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Port {
    /// `5432`
    Number(u32),
    /// `"5432"` or `"${db_port}"`
    Text(String),
}

/// The vault settings of the Secrets Management option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct SecretsManagementSettings {
    /// `POST` here to log in, e.g. `https://vault:8200/v1/auth/userpass/login/<user>`.
    pub login_url: String,
    /// The login body: JSON text, or an object.
    pub credentials_payload: CredentialsPayload,
    /// Where the token is in the login answer, e.g. `$.auth.client_token`.
    pub token_jsonpath: String,
    /// `GET` here for the secret, e.g. `https://vault:8200/v1/secret/data/<path>`.
    pub secret_url: String,
    /// The header carrying the token, e.g. `X-Vault-Token`.
    pub token_header_name: String,
    /// Where the secret is in the read answer: `$.data.data` (KV v2) or `$.data` (KV v1).
    pub data_jsonpath: String,
    /// `X-Vault-Namespace` header value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// PEM CA for the vault's TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

/// The credentials payload: JSON text as a form holds it, or the object itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CredentialsPayload {
    /// `"{\"password\": \"…\"}"`
    Text(String),
    /// `{"password": "…"}`
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    Object(Map<String, Value>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_payloads_fit_the_types() {
        let q: DatastorePayload = serde_json::from_value(serde_json::json!({
            "name": "n", "teams": ["Public"], "database": "d", "schema": "s",
            "enrich_only": false, "trigger_catalog": true,
            "connection": {"name": "c", "type": "postgresql", "host": "h",
                "port": "postgresql_port", "username": "u", "password": "p"}
        }))
        .unwrap();
        assert!(matches!(q, DatastorePayload::Qualytics(_)));
        let c: DatastorePayload = serde_json::from_value(serde_json::json!({
            "name": "n", "type": "postgresql",
            "config": {"host": "h", "port": 5432, "database": "d", "ssl_mode": "require"},
            "credentials": {"username": "u", "password": "p"}
        }))
        .unwrap();
        assert!(matches!(c, DatastorePayload::Craft(_)));
    }
}

//! Connection errors explained: what happened, why, how to fix it (with the SQL or pg_hba.conf line
//! where one fixes it), and which form fields to look at.
//!
//! Input is a server error (SQLSTATE, message, detail) or a client-side failure (refused, DNS,
//! timeout, TLS, closed), optionally with what the caller knows of the connection. Rules match on
//! SQLSTATE first and on the message text second, so a message pasted without its SQLSTATE (or a
//! libpq message with its `connection to server at … failed:` prefix) is still recognised.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use crate::hba::{HbaOptions, hba_line};
use crate::ident::quote_ident;
use crate::model::{DatastoreKind, SslMode};

/// A client-side failure, as a caller that made the connection classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientFailure {
    /// TCP connection refused.
    Refused,
    /// The host name did not resolve.
    Dns,
    /// No answer in time.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The server closed the connection during start-up.
    Closed,
    /// The network policy refused the address (cloud metadata, link-local, multicast…).
    Denied,
}

/// What the caller knows of the connection that failed; used to write fix SQL when the message
/// itself does not name the role, database or schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct ErrorContext {
    /// Role that connected.
    #[serde(default)]
    pub username: Option<String>,
    /// Database.
    #[serde(default)]
    pub database: Option<String>,
    /// Schema.
    #[serde(default)]
    pub schema: Option<String>,
    /// Server host.
    #[serde(default)]
    pub host: Option<String>,
    /// TLS mode used.
    #[serde(default)]
    pub ssl_mode: Option<SslMode>,
    /// Source or enrichment (an enrichment role also needs CREATE).
    #[serde(default)]
    pub kind: Option<DatastoreKind>,
}

/// A connection failure to explain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct ErrorInput {
    /// Five-character SQLSTATE, for server errors.
    #[serde(default)]
    pub sqlstate: Option<String>,
    /// The message (server's primary message, or the client library's text).
    pub message: String,
    /// The server's DETAIL, if any.
    #[serde(default)]
    pub detail: Option<String>,
    /// The caller's classification of a client-side failure.
    #[serde(default)]
    pub client: Option<ClientFailure>,
    /// What is known of the connection.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<ErrorContext>", optional))]
    pub context: ErrorContext,
}

/// A form field to highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Field {
    /// host
    Host,
    /// port
    Port,
    /// username
    Username,
    /// password
    Password,
    /// database
    Database,
    /// schema
    Schema,
    /// ssl_mode
    SslMode,
    /// secrets_management.login_url
    LoginUrl,
    /// secrets_management.credentials_payload
    CredentialsPayload,
    /// secrets_management.token_jsonpath
    TokenJsonpath,
    /// secrets_management.secret_url
    SecretUrl,
    /// secrets_management.token_header_name
    TokenHeaderName,
    /// secrets_management.data_jsonpath
    DataJsonpath,
}

/// The explanation: stable `code`, a `title`, the `cause`, the `fix`, optionally the SQL and the
/// pg_hba.conf line that fix it, and the fields to highlight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Explanation {
    /// Stable identifier, e.g. `auth/password-failed`.
    pub code: String,
    /// One line for a heading.
    pub title: String,
    /// Why it happened.
    pub cause: String,
    /// What to do.
    pub fix: String,
    /// SQL that fixes it, to run as a superuser or the object's owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub fix_sql: Option<String>,
    /// A pg_hba.conf line that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub fix_config: Option<String>,
    /// Form fields to highlight.
    pub fields: Vec<Field>,
}

struct Rule {
    /// The code its explanations carry (checked by a test).
    #[cfg_attr(not(test), allow(dead_code))]
    code: &'static str,
    /// Matches only this SQLSTATE (when the input has one).
    sqlstate: Option<&'static str>,
    /// The client classification it covers, if any.
    client: Option<ClientFailure>,
    /// Pattern over the message (unanchored).
    pattern: &'static str,
    build: fn(&Captures<'_>, &ErrorInput) -> Explanation,
}

static RULES: &[Rule] = &[
    Rule {
        code: "auth/password-failed",
        sqlstate: Some("28P01"),
        client: None,
        pattern: r#"password authentication failed for user "(?P<user>.*)""#,
        build: |c, i| {
            let user = name(c, "user", i.context.username.as_deref());
            ex(
                "auth/password-failed",
                "Password authentication failed",
                format!(
                    "The server rejected the password for {}. Either the password is wrong or the \
                     role does not exist: the server gives the same answer for both, on purpose.",
                    the("role", &user)
                ),
                format!(
                    "Check the username and password. In psql, `\\du {}` shows whether the role \
                     exists; a superuser can set a new password with `\\password {}`. If the role \
                     should exist, create it (`pgconnect grants --create-role`).",
                    user_or(&user),
                    user_or(&user)
                ),
                None,
                vec![Field::Username, Field::Password],
            )
        },
    },
    Rule {
        code: "auth/role-missing",
        sqlstate: Some("28000"),
        client: None,
        pattern: r#"role "(?P<user>.*)" does not exist"#,
        build: |c, i| {
            let user = name(c, "user", i.context.username.as_deref());
            ex(
                "auth/role-missing",
                "The role does not exist",
                format!("{} does not exist on the server.", cap(&the("role", &user))),
                "Check the username for typos (role names are case-sensitive when created with \
                 quotes), or create the role."
                    .to_owned(),
                Some(format!("CREATE ROLE {} LOGIN;", ident_or(&user, "<role>"))),
                vec![Field::Username],
            )
        },
    },
    Rule {
        code: "auth/role-cannot-login",
        sqlstate: Some("28000"),
        client: None,
        pattern: r#"role "(?P<user>.*)" is not permitted to log in"#,
        build: |c, i| {
            let user = name(c, "user", i.context.username.as_deref());
            ex(
                "auth/role-cannot-login",
                "The role may not log in",
                format!(
                    "{} exists but has NOLOGIN: it is a group role, not a user.",
                    cap(&the("role", &user))
                ),
                "Give the role LOGIN, or connect as a member role that has it.".to_owned(),
                Some(format!("ALTER ROLE {} LOGIN;", ident_or(&user, "<role>"))),
                vec![Field::Username],
            )
        },
    },
    Rule {
        code: "hba/no-entry",
        sqlstate: Some("28000"),
        client: None,
        pattern: r#"no pg_hba\.conf entry for host "(?P<client>[^"]*)", user "(?P<user>.*?)", database "(?P<db>.*)", (?P<enc>no encryption|SSL encryption|GSS encryption|SSL off|SSL on)"#,
        build: |c, i| hba_explanation(c, i, false),
    },
    Rule {
        code: "hba/rejected",
        sqlstate: Some("28000"),
        client: None,
        pattern: r#"pg_hba\.conf rejects connection for host "(?P<client>[^"]*)", user "(?P<user>.*?)", database "(?P<db>.*)", (?P<enc>no encryption|SSL encryption|GSS encryption|SSL off|SSL on)"#,
        build: |c, i| hba_explanation(c, i, true),
    },
    Rule {
        code: "database/missing",
        sqlstate: Some("3D000"),
        client: None,
        pattern: r#"database "(?P<db>.*)" does not exist"#,
        build: |c, i| {
            let db = name(c, "db", i.context.database.as_deref());
            ex(
                "database/missing",
                "The database does not exist",
                format!(
                    "{} does not exist on the server.",
                    cap(&the("database", &db))
                ),
                "Check the database name (case-sensitive if it was created with quotes); `\\l` \
                 in psql lists the databases."
                    .to_owned(),
                None,
                vec![Field::Database],
            )
        },
    },
    Rule {
        code: "schema/missing",
        sqlstate: Some("3F000"),
        client: None,
        pattern: r#"schema "(?P<schema>.*)" does not exist"#,
        build: |c, i| {
            let schema = name(c, "schema", i.context.schema.as_deref());
            ex(
                "schema/missing",
                "The schema does not exist",
                format!(
                    "{} does not exist in {}.",
                    cap(&the("schema", &schema)),
                    the("database", &i.context.database)
                ),
                "Check the schema name (case-sensitive if it was created with quotes); `\\dn` in \
                 psql lists the schemas."
                    .to_owned(),
                None,
                vec![Field::Schema],
            )
        },
    },
    Rule {
        code: "privilege/connect",
        sqlstate: Some("42501"),
        client: None,
        pattern: r#"permission denied for database "(?P<db>.*)""#,
        build: |c, i| {
            let db = name(c, "db", i.context.database.as_deref());
            let user = i.context.username.clone();
            ex(
                "privilege/connect",
                "No CONNECT privilege on the database",
                format!(
                    "{} may not connect to {}: CONNECT was revoked from PUBLIC and not granted \
                     to the role.",
                    cap(&the("role", &user)),
                    the("database", &db)
                ),
                "Grant CONNECT on the database to the role.".to_owned(),
                Some(format!(
                    "GRANT CONNECT ON DATABASE {} TO {};",
                    ident_or(&db, "<database>"),
                    ident_or(&user, "<role>")
                )),
                vec![Field::Database, Field::Username],
            )
        },
    },
    Rule {
        code: "database/not-accepting",
        sqlstate: Some("55000"),
        client: None,
        pattern: r#"database "(?P<db>.*)" is not currently accepting connections"#,
        build: |c, i| {
            let db = name(c, "db", i.context.database.as_deref());
            ex(
                "database/not-accepting",
                "The database does not accept connections",
                format!(
                    "{} has ALLOW_CONNECTIONS false (datallowconn), typically a template \
                     or a database being maintained.",
                    cap(&the("database", &db))
                ),
                "Connect to another database, or allow connections to this one.".to_owned(),
                Some(format!(
                    "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true;",
                    ident_or(&db, "<database>")
                )),
                vec![Field::Database],
            )
        },
    },
    Rule {
        code: "limits/database-connections",
        sqlstate: Some("53300"),
        client: None,
        pattern: r#"too many connections for database "(?P<db>.*)""#,
        build: |c, i| {
            let db = name(c, "db", i.context.database.as_deref());
            ex(
                "limits/database-connections",
                "The database's connection limit is reached",
                format!(
                    "{} has a CONNECTION LIMIT and every slot is in use.",
                    cap(&the("database", &db))
                ),
                "Close idle sessions or raise the limit (-1 removes it).".to_owned(),
                Some(format!(
                    "ALTER DATABASE {} CONNECTION LIMIT -1;",
                    ident_or(&db, "<database>")
                )),
                vec![Field::Database],
            )
        },
    },
    Rule {
        code: "limits/role-connections",
        sqlstate: Some("53300"),
        client: None,
        pattern: r#"too many connections for role "(?P<user>.*)""#,
        build: |c, i| {
            let user = name(c, "user", i.context.username.as_deref());
            ex(
                "limits/role-connections",
                "The role's connection limit is reached",
                format!(
                    "{} has a CONNECTION LIMIT and every slot is in use.",
                    cap(&the("role", &user))
                ),
                "Close idle sessions of the role or raise its limit (-1 removes it).".to_owned(),
                Some(format!(
                    "ALTER ROLE {} CONNECTION LIMIT -1;",
                    ident_or(&user, "<role>")
                )),
                vec![Field::Username],
            )
        },
    },
    Rule {
        code: "limits/reserved-slots",
        sqlstate: Some("53300"),
        client: None,
        pattern: r"remaining connection slots are reserved",
        build: |_, _| {
            ex(
                "limits/reserved-slots",
                "Only reserved connection slots are left",
                "The server is nearly at max_connections; the remaining slots are kept for \
                 superusers (or roles with pg_use_reserved_connections)."
                    .to_owned(),
                "Retry later, close idle sessions, put a connection pooler in front, or raise \
                 max_connections."
                    .to_owned(),
                None,
                vec![],
            )
        },
    },
    Rule {
        code: "limits/too-many-clients",
        sqlstate: Some("53300"),
        client: None,
        pattern: r"sorry, too many clients already",
        build: |_, _| {
            ex(
                "limits/too-many-clients",
                "The server has no free connection slots",
                "Every one of the server's max_connections slots is in use.".to_owned(),
                "Retry later, close idle sessions, put a connection pooler (PgBouncer) in front, \
                 or raise max_connections (needs a restart)."
                    .to_owned(),
                None,
                vec![],
            )
        },
    },
    Rule {
        code: "server/not-ready",
        sqlstate: Some("57P03"),
        client: None,
        pattern: r"the database system is (?P<state>starting up|shutting down|in recovery mode|not yet accepting connections|not accepting connections)",
        build: |c, _| {
            let state = c.name("state").map_or("not ready", |m| m.as_str());
            ex(
                "server/not-ready",
                "The server is not accepting connections yet",
                format!("The database system is {state}."),
                "Wait and retry; if it persists, check the server's log (a standby still \
                 recovering, or a server that is stopping)."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "privilege/schema",
        sqlstate: Some("42501"),
        client: None,
        pattern: r"permission denied for schema (?P<schema>[^\r\n]+)",
        build: |c, i| {
            let schema = name(c, "schema", i.context.schema.as_deref());
            let user = i.context.username.clone();
            let enrichment = i.context.kind == Some(DatastoreKind::Enrichment);
            let privs = if enrichment { "USAGE, CREATE" } else { "USAGE" };
            ex(
                "privilege/schema",
                "No access to the schema",
                format!(
                    "{} lacks {privs} on {}: without USAGE it cannot see the objects in it{}.",
                    cap(&the("role", &user)),
                    the("schema", &schema),
                    if enrichment {
                        ", and without CREATE it cannot create the enrichment tables"
                    } else {
                        ""
                    }
                ),
                format!("Grant {privs} on the schema to the role."),
                Some(format!(
                    "GRANT {privs} ON SCHEMA {} TO {};",
                    ident_or(&schema, "<schema>"),
                    ident_or(&user, "<role>")
                )),
                vec![Field::Schema, Field::Username],
            )
        },
    },
    Rule {
        code: "privilege/create",
        sqlstate: Some("42501"),
        client: None,
        pattern: r"permission denied to create",
        build: |_, i| {
            let user = i.context.username.clone();
            let schema = i.context.schema.clone();
            ex(
                "privilege/create",
                "No CREATE privilege on the schema",
                format!(
                    "{} may not create tables in {}; an enrichment datastore needs to.",
                    cap(&the("role", &user)),
                    the("schema", &schema)
                ),
                "Grant CREATE on the schema to the role.".to_owned(),
                Some(format!(
                    "GRANT CREATE ON SCHEMA {} TO {};",
                    ident_or(&schema, "<schema>"),
                    ident_or(&user, "<role>")
                )),
                vec![Field::Schema, Field::Username],
            )
        },
    },
    Rule {
        code: "privilege/table",
        sqlstate: Some("42501"),
        client: None,
        pattern: r"permission denied for (?P<what>table|view|materialized view|foreign table|sequence) (?P<name>[^\r\n]+)",
        build: |c, i| {
            let what = c.name("what").map_or("table", |m| m.as_str());
            let object = name(c, "name", None);
            let user = i.context.username.clone();
            let schema = i.context.schema.clone();
            let enrichment = i.context.kind == Some(DatastoreKind::Enrichment);
            let (privs, objects) = match (what, enrichment) {
                ("sequence", true) => ("SELECT, USAGE", "SEQUENCES"),
                ("sequence", false) => ("SELECT", "SEQUENCES"),
                (_, true) => ("SELECT, INSERT, UPDATE, DELETE", "TABLES"),
                (_, false) => ("SELECT", "TABLES"),
            };
            let role = ident_or(&user, "<role>");
            let sql = match &schema {
                Some(s) => format!(
                    "GRANT {privs} ON ALL {objects} IN SCHEMA {} TO {role};\n\
                     ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {privs} ON {objects} TO {role};",
                    quote_ident(s),
                    quote_ident(s)
                ),
                None => format!(
                    "GRANT {privs} ON {}{} TO {role};",
                    if what == "sequence" { "SEQUENCE " } else { "" },
                    ident_or(&object, "<table>")
                ),
            };
            ex(
                "privilege/table",
                &format!("No {privs} privilege on a {what}"),
                format!(
                    "{} may use the schema but lacks {privs} on {}.",
                    cap(&the("role", &user)),
                    the(what, &object)
                ),
                format!(
                    "Grant {privs} on all {} in the schema, and set default privileges so tables \
                     created later are covered too.",
                    objects.to_lowercase()
                ),
                Some(sql),
                vec![Field::Schema, Field::Username],
            )
        },
    },
    Rule {
        code: "grant/no-grant-option",
        sqlstate: Some("01007"),
        client: None,
        pattern: r#"no privileges were granted for "(?P<object>.*)""#,
        build: |c, _| {
            let object = name(c, "object", None);
            ex(
                "grant/no-grant-option",
                "The GRANT granted nothing",
                format!(
                    "The role that ran the GRANT neither owns {} nor holds the privilege WITH \
                     GRANT OPTION, so PostgreSQL granted nothing (and still reported GRANT).",
                    quoted_or(&object, "the object")
                ),
                "Run the grant script as the object's owner or as a superuser.".to_owned(),
                None,
                vec![],
            )
        },
    },
    Rule {
        code: "name/truncated",
        sqlstate: Some("42622"),
        client: None,
        pattern: r#"identifier "(?P<long>.*)" will be truncated to "(?P<short>.*)""#,
        build: |c, i| {
            let long = name(c, "long", None);
            let ctx = &i.context;
            let mut fields = Vec::new();
            for (value, field) in [
                (&ctx.database, Field::Database),
                (&ctx.schema, Field::Schema),
                (&ctx.username, Field::Username),
            ] {
                if value
                    .as_ref()
                    .is_some_and(|v| Some(v) == long.as_ref() || v.len() > 63)
                {
                    fields.push(field);
                }
            }
            if fields.is_empty() {
                fields = vec![Field::Database, Field::Schema, Field::Username];
            }
            ex(
                "name/truncated",
                "A name is longer than 63 bytes",
                format!(
                    "PostgreSQL keeps at most 63 bytes of a name, so {} was cut to {}, which \
                     probably names nothing.",
                    quoted_or(&long, "a long name"),
                    quoted_or(&name(c, "short", None), "its first 63 bytes")
                ),
                "Use the name as it exists on the server (at most 63 bytes).".to_owned(),
                None,
                fields,
            )
        },
    },
    Rule {
        code: "role/reserved-name",
        sqlstate: Some("42939"),
        client: None,
        pattern: r#"role name "(?P<user>.*)" is reserved"#,
        build: |c, _| {
            let user = name(c, "user", None);
            ex(
                "role/reserved-name",
                "The role name is reserved",
                format!(
                    "{} cannot be a role name: public and none are reserved, and names starting \
                     with pg_ belong to the system.",
                    cap(&quoted_or(&user, "the name"))
                ),
                "Choose another name for the role.".to_owned(),
                None,
                vec![Field::Username],
            )
        },
    },
    // ---- client-side failures ----
    Rule {
        code: "auth/no-password",
        sqlstate: None,
        client: None,
        pattern: r"fe_sendauth: no password supplied|no password supplied",
        build: |_, _| {
            ex(
                "auth/no-password",
                "No password was given",
                "The server asked for a password and none was supplied.".to_owned(),
                "Fill in the password (or its ${key} placeholder).".to_owned(),
                None,
                vec![Field::Password],
            )
        },
    },
    Rule {
        code: "tls/server-has-no-ssl",
        sqlstate: None,
        client: None,
        pattern: r"server does not support SSL, but SSL was required",
        build: |_, _| {
            ex(
                "tls/server-has-no-ssl",
                "The server does not offer TLS",
                "ssl_mode requires TLS, but the server has ssl = off.".to_owned(),
                "Turn on ssl in the server's postgresql.conf (with a certificate and key) and \
                 reload it. Lowering ssl_mode would send the password unencrypted."
                    .to_owned(),
                None,
                vec![Field::SslMode],
            )
        },
    },
    Rule {
        code: "tls/server-requires-ssl",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:SSL connection is required|connection requires (?:SSL|encryption)|connection is insecure \(try using)",
        build: |_, _| {
            ex(
                "tls/server-requires-ssl",
                "The server accepts only encrypted connections",
                "The server (managed services usually do) refuses connections without TLS, and \
                 this one was made without it: ssl_mode is disable, or allow."
                    .to_owned(),
                "Set ssl_mode to verify-full, with the server's CA in ssl_root_cert if it is not a \
                 public CA (managed services publish theirs), or at least to require."
                    .to_owned(),
                None,
                vec![Field::SslMode],
            )
        },
    },
    Rule {
        code: "tls/invalid-ssl-mode",
        sqlstate: None,
        client: None,
        pattern: r#"invalid sslmode value: "(?P<mode>[^"]*)"|(?i-u:invalid value for (?:option )?[`'"]?sslmode)"#,
        build: |c, _| {
            let mode = name(c, "mode", None);
            ex(
                "tls/invalid-ssl-mode",
                "ssl_mode is not one the driver knows",
                format!(
                    "{} is not an SSL mode.",
                    quoted_or(&mode, "The value given for sslmode")
                ),
                "Use one of disable, allow, prefer, require, verify-ca, verify-full; verify-full \
                 is the one that both encrypts and checks the server."
                    .to_owned(),
                None,
                vec![Field::SslMode],
            )
        },
    },
    Rule {
        code: "auth/channel-binding",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:channel binding (?:is )?required)",
        build: |_, _| {
            ex(
                "auth/channel-binding",
                "Channel binding was required but not done",
                "channel_binding=require needs SCRAM-SHA-256 over TLS; the server authenticated \
                 with another method (md5, password or trust), or the connection is not \
                 encrypted."
                    .to_owned(),
                "On the server, authenticate the role with scram-sha-256 in pg_hba.conf (its \
                 password set again after password_encryption = 'scram-sha-256'), and set \
                 ssl_mode to require or stronger; or drop channel_binding=require."
                    .to_owned(),
                None,
                vec![Field::SslMode, Field::Password],
            )
        },
    },
    Rule {
        code: "auth/ident-or-peer",
        sqlstate: Some("28000"),
        client: None,
        pattern: r#"(?P<method>Ident|Peer) authentication failed for user "(?P<user>.*)""#,
        build: |c, i| {
            let user = name(c, "user", i.context.username.as_deref());
            let peer = c.name("method").is_some_and(|m| m.as_str() == "Peer");
            ex(
                "auth/ident-or-peer",
                "pg_hba.conf does not ask for a password here",
                format!(
                    "The pg_hba.conf line that matches {} uses {}, which cannot admit a platform \
                     that logs in with a password.",
                    the("role", &user),
                    if peer {
                        "peer: it trusts the operating-system user of a Unix-domain socket \
                         connection on the server itself"
                    } else {
                        "ident: it asks an identd on the client's machine who is connecting"
                    }
                ),
                format!(
                    "On the server, put a line for the platform's address with scram-sha-256 \
                     above the matching one (`pgconnect hba --role {} --database <database> \
                     --cidr <platform address>` writes it), then reload the configuration.",
                    user_or(&user)
                ),
                None,
                vec![Field::Host, Field::Username],
            )
        },
    },
    Rule {
        code: "auth/client-too-old",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:SCRAM authentication requires libpq|authentication (?:type|method) 10 (?:is )?not supported)",
        build: |_, _| {
            ex(
                "auth/client-too-old",
                "The client library is too old for SCRAM",
                "The server asks for SCRAM-SHA-256 (PostgreSQL's default since version 14), which \
                 the connecting side's PostgreSQL driver predates."
                    .to_owned(),
                "Upgrade that driver (libpq 10 or later, or a current JDBC driver). Switching the \
                 role back to md5 would also work, but it is the weaker method."
                    .to_owned(),
                None,
                vec![],
            )
        },
    },
    Rule {
        code: "server/terminated",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:terminating connection due to administrator command|terminating connection because of crash|terminating connection due to idle)",
        build: |_, _| {
            ex(
                "server/terminated",
                "The server ended the connection",
                "The server is shutting down or restarting, or something on it ended this session \
                 (an administrator's pg_terminate_backend, an idle-session timeout, a crash of \
                 another server process)."
                    .to_owned(),
                "Test again in a moment. If it repeats, ask the database's administrators \
                 whether a job ends new sessions, or what the server's log says at that time."
                    .to_owned(),
                None,
                vec![],
            )
        },
    },
    Rule {
        code: "network/not-postgres",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:received invalid response to (?:SSL|GSSAPI) negotiation: ?(?P<byte>[!-~])?|expected authentication request from server, but received (?P<got>[!-~])|bytes remaining on stream)",
        build: |c, i| {
            let first = c.name("byte").or_else(|| c.name("got")).map(|m| m.as_str());
            ex(
                "network/not-postgres",
                "Something other than PostgreSQL answers on that port",
                format!(
                    "{} answered the start of PostgreSQL's protocol with something else{}: the \
                     port belongs to another service, or to a proxy that does not pass \
                     PostgreSQL through.",
                    cap(&quoted_or(&i.context.host, "the server")),
                    match first {
                        Some("H") => " (\"H\", the way an HTTP server's answer begins)",
                        _ => "",
                    }
                ),
                "Check the port (PostgreSQL's default is 5432) and that host names the database \
                 server itself."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "pooler/tenant-not-found",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:tenant or user not found)",
        build: |_, _| {
            ex(
                "pooler/tenant-not-found",
                "The connection pooler does not know this user",
                "A Supavisor connection pooler (Supabase's *.pooler.supabase.com) answered: \
                 it finds the database by the user name, which carries the project's reference \
                 after a dot (postgres.abcdefghijklmnop), and the role must exist in that project."
                    .to_owned(),
                "Copy the user name from the project's connection settings (with the .reference \
                 part), or connect to the database's own host instead of the pooler."
                    .to_owned(),
                None,
                vec![Field::Username, Field::Host],
            )
        },
    },
    Rule {
        code: "pooler/transaction-mode",
        sqlstate: None,
        client: None,
        pattern: r#"prepared statement "[^"]*" (?:already exists|does not exist)"#,
        build: |_, _| {
            ex(
                "pooler/transaction-mode",
                "A transaction-mode pooler is in the way",
                "A connection pooler in transaction mode (PgBouncer with pool_mode = transaction, \
                 Supabase's port 6543) gives each transaction another server connection, so the \
                 prepared statements a driver keeps per connection collide or vanish."
                    .to_owned(),
                "Connect to the database directly or to the pooler's session-mode port \
                 (Supabase: 5432); on PgBouncer 1.21 or later, max_prepared_statements lets it \
                 track them."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "network/refused",
        sqlstate: None,
        client: Some(ClientFailure::Refused),
        pattern: r"(?i-u:connection refused)",
        build: |_, i| {
            ex(
                "network/refused",
                "Connection refused",
                format!(
                    "Nothing accepts TCP connections at {} on that port: the server is down, \
                     listens on another port, or listens only on localhost.",
                    quoted_or(&i.context.host, "the host")
                ),
                "Check host and port; on the server check that PostgreSQL runs, its `port`, and \
                 that listen_addresses includes an address the platform can reach (then \
                 restart)."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "network/closed",
        sqlstate: None,
        client: Some(ClientFailure::Closed),
        pattern: r"(?i-u:server closed the connection unexpectedly|connection reset by peer|SSL SYSCALL error: EOF detected|unexpected eof while reading)",
        build: |_, _| {
            ex(
                "network/closed",
                "The server closed the connection",
                "The connection was cut during start-up: the server crashed or was restarted, a \
                 proxy or firewall dropped it, or something other than PostgreSQL listens on \
                 that port."
                    .to_owned(),
                "Check that host and port point at PostgreSQL itself, and look at the server's \
                 log for the moment of the attempt."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "network/timeout",
        sqlstate: None,
        client: Some(ClientFailure::Timeout),
        pattern: r"(?i-u:timeout expired|timed out)",
        build: |_, i| {
            // the live check names the stage it was in: past `connect`, TCP was accepted
            let accepted = ["(stage authenticate)", "(stage tls)"]
                .iter()
                .any(|s| i.message.contains(s));
            if accepted {
                return ex(
                    "network/timeout",
                    "The connection timed out",
                    format!(
                        "{} accepted the TCP connection but did not answer PostgreSQL's start-up \
                         in time: something other than PostgreSQL listens on that port (a web \
                         server waits for a request of its own), the server hangs in \
                         authentication (an LDAP or RADIUS server its pg_hba.conf names does not \
                         answer), or it is overloaded.",
                        cap(&quoted_or(&i.context.host, "the server"))
                    ),
                    "Check that the port is PostgreSQL's (`psql -h <host> -p <port>` answers \
                     within a second); if it is, look in the server's log at the time of the \
                     attempt."
                        .to_owned(),
                    None,
                    vec![Field::Host, Field::Port],
                );
            }
            ex(
                "network/timeout",
                "The connection timed out",
                "No answer came in time: a firewall or security group drops the packets, the \
                 host is wrong, or the server is overloaded."
                    .to_owned(),
                "Check host and port, and that the database's firewall or security group admits \
                 the platform's address."
                    .to_owned(),
                None,
                vec![Field::Host, Field::Port],
            )
        },
    },
    Rule {
        code: "network/dns",
        sqlstate: None,
        client: Some(ClientFailure::Dns),
        pattern: r#"could not translate host name "(?P<host>.*)" to address"#,
        build: |c, i| {
            let host = name(c, "host", i.context.host.as_deref());
            ex(
                "network/dns",
                "The host name does not resolve",
                format!(
                    "DNS has no address for {} as seen from the platform.{}",
                    quoted_or(&host, "the host"),
                    if host.as_deref().is_some_and(|h| h.starts_with('[')) {
                        " The brackets are taken as part of the name: write an IPv6 address \
                         without them."
                    } else if host
                        .as_deref()
                        .is_some_and(|h| h.contains(':') && h.contains("%25"))
                    {
                        " `%25` is how a URI writes `%`; the host setting takes the zone as \
                         written: write it with `%` alone (fe80::1%eth0)."
                    } else {
                        ""
                    }
                ),
                "Check the host name for typos; a name that resolves only inside your network \
                 needs the platform to use your DNS, or use the server's IP address."
                    .to_owned(),
                None,
                vec![Field::Host],
            )
        },
    },
    Rule {
        code: "network/invalid-address",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:failed: invalid argument|^invalid argument)",
        build: |_, i| {
            let link_local = i
                .context
                .host
                .as_deref()
                .and_then(|h| crate::host::check_host(h).ok())
                .is_some_and(|(_, notes)| notes.zone_missing);
            ex(
                "network/invalid-address",
                "The system cannot connect to that address",
                if link_local {
                    format!(
                        "{} is an IPv6 link-local address without a zone: the system cannot \
                         tell which network interface's link it is on, so it refuses to connect \
                         (\"Invalid argument\").",
                        quoted_or(&i.context.host, "the host")
                    )
                } else {
                    format!(
                        "The system refused to connect to {} (\"Invalid argument\"): it is not \
                         an address one can connect to, such as an IPv6 link-local address \
                         without its zone, or a broadcast or multicast address.",
                        quoted_or(&i.context.host, "the host")
                    )
                },
                "Use the database server's DNS name or a routable address. A link-local address \
                 (fe80::…) needs the platform's own network interface as its zone, e.g. \
                 fe80::1%eth0, and reaches only machines on that interface's link."
                    .to_owned(),
                None,
                vec![Field::Host],
            )
        },
    },
    Rule {
        code: "network/unreachable",
        sqlstate: None,
        client: None,
        pattern: r"(?i-u:no route to host|network is unreachable)",
        build: |_, _| {
            ex(
                "network/unreachable",
                "The host is unreachable",
                "The network has no route to the server's address.".to_owned(),
                "Check the host, and that the platform's network can reach the database's \
                 network (VPC peering, VPN, firewall)."
                    .to_owned(),
                None,
                vec![Field::Host],
            )
        },
    },
    Rule {
        code: "network/denied",
        sqlstate: None,
        client: Some(ClientFailure::Denied),
        pattern: r"denied by the network policy",
        build: |_, i| {
            ex(
                "network/denied",
                "The address is not allowed",
                format!(
                    "{} resolves to an address the server's network policy refuses (cloud \
                     metadata and link-local ranges, multicast, \"this network\", broadcast, or a \
                     range the operator denied), so no connection was attempted.",
                    cap(&quoted_or(&i.context.host, "the host"))
                ),
                "Use the database server's own address. If that address is legitimate, the \
                 operator can allow its range (`pgconnect serve --allow-cidr`)."
                    .to_owned(),
                None,
                vec![Field::Host],
            )
        },
    },
    Rule {
        code: "tls/no-root-certificate",
        sqlstate: None,
        client: None,
        pattern: r#"root certificate file "(?P<file>.*)" does not exist|change sslmode to disable server certificate verification"#,
        build: |_, _| {
            ex(
                "tls/no-root-certificate",
                "No CA certificate to verify the server with",
                "ssl_mode verify-ca or verify-full needs the CA certificate that signed the \
                 server's certificate, and none was given."
                    .to_owned(),
                "Paste the CA certificate (PEM) into ssl_root_cert.".to_owned(),
                None,
                vec![Field::SslMode],
            )
        },
    },
    Rule {
        code: "tls/host-mismatch",
        sqlstate: None,
        client: None,
        pattern: r#"server certificate for "(?P<cert>.*?)"(?: \(and [0-9]+ other names?\))? does not match host name "(?P<host>.*)""#,
        build: |c, i| {
            let cert = name(c, "cert", None);
            let host = name(c, "host", i.context.host.as_deref());
            ex(
                "tls/host-mismatch",
                "The certificate names another host",
                format!(
                    "verify-full checks that the server's certificate names the host connected \
                     to; it names {} but the host is {}.",
                    quoted_or(&cert, "another name"),
                    quoted_or(&host, "a different one")
                ),
                "Connect with the host name the certificate was issued for, or reissue the \
                 certificate with this name in its subjectAltName."
                    .to_owned(),
                None,
                vec![Field::Host, Field::SslMode],
            )
        },
    },
    Rule {
        code: "tls/untrusted-certificate",
        sqlstate: None,
        client: Some(ClientFailure::Tls),
        pattern: r"(?i-u:certificate verify failed|unknown ?issuer|invalid peer certificate|certificate has expired|self[- ]signed)",
        build: |_, _| {
            ex(
                "tls/untrusted-certificate",
                "The server's certificate is not trusted",
                "The server's certificate does not chain to the CA given in ssl_root_cert (or to \
                 a system CA), or it has expired."
                    .to_owned(),
                "Paste the CA that signed the server's certificate into ssl_root_cert; check the \
                 certificate's dates."
                    .to_owned(),
                None,
                vec![Field::SslMode],
            )
        },
    },
];

static COMPILED: LazyLock<Vec<Option<Regex>>> =
    LazyLock::new(|| RULES.iter().map(|r| Regex::new(r.pattern).ok()).collect());

/// Explains a connection failure. Never fails: an error no rule knows gets an explanation from its
/// SQLSTATE class, or a generic one.
#[must_use]
pub fn explain(input: &ErrorInput) -> Explanation {
    // libpq names the server it tried (`connection to server at "db" (10.0.0.5), port 5432
    // failed: …`): the explanation uses that name when the caller gave none.
    static SERVER_AT: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r#"connection to server at "([^"]+)""#).ok());
    if input.context.host.is_none()
        && let Some(host) = SERVER_AT
            .as_ref()
            .and_then(|r| r.captures(&input.message))
            .and_then(|c| c.get(1))
    {
        let mut named = input.clone();
        named.context.host = Some(host.as_str().to_owned());
        return explain_named(&named);
    }
    explain_named(input)
}

fn explain_named(input: &ErrorInput) -> Explanation {
    let sqlstate = input
        .sqlstate
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let message = input.message.as_str();
    let matches =
        |i: usize| -> Option<Captures<'_>> { COMPILED.get(i)?.as_ref()?.captures(message) };
    // 1. rules for this SQLSTATE, by message
    if let Some(state) = sqlstate {
        for (i, rule) in RULES.iter().enumerate() {
            if rule.sqlstate == Some(state)
                && let Some(c) = matches(i)
            {
                return (rule.build)(&c, input);
            }
        }
    }
    // 2. the caller's client classification, then any rule by message alone
    if let Some(kind) = input.client {
        for (i, rule) in RULES.iter().enumerate() {
            if rule.client == Some(kind)
                && let Some(c) = matches(i)
            {
                return (rule.build)(&c, input);
            }
        }
    }
    for (i, rule) in RULES.iter().enumerate() {
        if (sqlstate.is_none() || rule.sqlstate.is_none() || rule.sqlstate == sqlstate)
            && let Some(c) = matches(i)
        {
            return (rule.build)(&c, input);
        }
    }
    // 3. the caller's classification with a message no pattern knows
    if let Some(kind) = input.client {
        return by_client_kind(kind, input);
    }
    by_class(sqlstate, input)
}

/// The rule for a client classification, built without message captures (names then come from
/// the context).
fn by_client_kind(kind: ClientFailure, input: &ErrorInput) -> Explanation {
    static NOTHING: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new("").ok());
    let caps = NOTHING.as_ref().and_then(|r| r.captures(""));
    match (RULES.iter().find(|r| r.client == Some(kind)), caps) {
        (Some(rule), Some(c)) => (rule.build)(&c, input),
        _ => by_class(None, input),
    }
}

fn by_class(sqlstate: Option<&str>, input: &ErrorInput) -> Explanation {
    let class = sqlstate.and_then(|s| s.get(..2)).unwrap_or("");
    let (code, title, fix, fields) = match class {
        "08" => (
            "network/other",
            "The connection failed",
            "Check host, port and ssl_mode, and the network path to the server.",
            vec![Field::Host, Field::Port, Field::SslMode],
        ),
        "28" => (
            "auth/other",
            "Authentication failed",
            "Check the username and password, and the server's pg_hba.conf.",
            vec![Field::Username, Field::Password],
        ),
        "3D" => (
            "database/other",
            "The database cannot be used",
            "Check the database name.",
            vec![Field::Database],
        ),
        "42" => (
            "privilege/other",
            "Access to an object was denied",
            "Run the grant script for the datastore's role (`pgconnect grants`).",
            vec![Field::Username, Field::Schema],
        ),
        "53" => (
            "limits/other",
            "The server is out of resources",
            "Retry later, or ask the server's administrator to check its limits.",
            vec![],
        ),
        "57" => (
            "server/other",
            "The server is not available",
            "Retry later; check the server's log.",
            vec![Field::Host, Field::Port],
        ),
        _ => (
            "unknown",
            "The connection failed",
            "Check the connection details; the message above is the server's or driver's own.",
            vec![],
        ),
    };
    let message = input.message.trim();
    let detail = input
        .detail
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let mut cause = match (message, detail) {
        ("", None) => "The failure came without a message.".to_owned(),
        ("", Some(d)) => d.to_owned(),
        (m, None) => m.to_owned(),
        (m, Some(d)) => format!("{m} ({d})"),
    };
    if let Some(s) = sqlstate {
        cause = format!("SQLSTATE {s}: {cause}");
    }
    ex(code, title, cause, fix.to_owned(), None, fields)
}

fn hba_explanation(c: &Captures<'_>, i: &ErrorInput, rejected: bool) -> Explanation {
    let client = c.name("client").map(|m| m.as_str().to_owned());
    let user = name(c, "user", i.context.username.as_deref());
    let db = name(c, "db", i.context.database.as_deref());
    let enc = c.name("enc").map_or("", |m| m.as_str());
    let unencrypted = matches!(enc, "no encryption" | "SSL off");
    let line = match (&client, &user, &db) {
        (Some(addr), Some(u), Some(d)) => hba_line(&HbaOptions {
            role: u.clone(),
            database: d.clone(),
            cidr: addr.clone(),
            method: None,
            ssl: true,
        })
        .ok()
        .map(|g| g.text),
        _ => None,
    };
    let mut fields = vec![Field::Host, Field::Username, Field::Database];
    if unencrypted {
        fields.push(Field::SslMode);
    }
    let (code, title, cause) = if rejected {
        (
            "hba/rejected",
            "pg_hba.conf rejects the connection",
            format!(
                "A `reject` line in the server's pg_hba.conf matches {}, {} and {}{}.",
                the("client", &client),
                the("role", &user),
                the("database", &db),
                if unencrypted {
                    " without encryption"
                } else {
                    ""
                }
            ),
        )
    } else {
        (
            "hba/no-entry",
            "pg_hba.conf has no line for this connection",
            format!(
                "No line in the server's pg_hba.conf admits {} as {} to {}{}.",
                the("client", &client),
                the("role", &user),
                the("database", &db),
                if unencrypted {
                    " without encryption; the server may accept only TLS (hostssl) connections"
                } else {
                    ""
                }
            ),
        )
    };
    let mut fix = String::new();
    if unencrypted {
        fix.push_str(
            "Set ssl_mode to verify-full (or at least require): the server may admit this role \
             only over TLS. ",
        );
    }
    if rejected {
        fix.push_str(
            "On the server, change the matching reject line or put an accepting line above it \
             (pg_hba.conf is read top to bottom), then reload the configuration.",
        );
    } else {
        fix.push_str(
            "On the server, add a line for the platform's address to pg_hba.conf (above any \
             broader reject line), then reload the configuration.",
        );
    }
    ex(
        code,
        title,
        cause,
        fix,
        Some("SELECT pg_reload_conf();".to_owned()),
        fields,
    )
    .with_config(line)
}

impl Explanation {
    fn with_config(mut self, line: Option<String>) -> Self {
        self.fix_config = line;
        self
    }
}

fn ex(
    code: &str,
    title: &str,
    cause: String,
    fix: String,
    fix_sql: Option<String>,
    fields: Vec<Field>,
) -> Explanation {
    Explanation {
        code: code.to_owned(),
        title: title.to_owned(),
        cause,
        fix,
        fix_sql,
        fix_config: None,
        fields,
    }
}

/// A name captured from the message, else the one from the context.
fn name(c: &Captures<'_>, group: &str, fallback: Option<&str>) -> Option<String> {
    c.name(group)
        .map(|m| m.as_str().trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| fallback.map(str::to_owned))
}

/// `kind "name"` when the name is known (`role "bob"`), else `the kind` (`the role`): the
/// sentence reads either way.
fn the(kind: &str, v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| format!("the {kind}"), |s| format!("{kind} \"{s}\""))
}

/// `"name"` when the name is known, else `otherwise` (`the host`).
fn quoted_or(v: &Option<String>, otherwise: &str) -> String {
    v.as_deref()
        .map_or_else(|| otherwise.to_owned(), |s| format!("\"{s}\""))
}

/// The text with its first letter upper-case, to start a sentence.
fn cap(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn ident_or(v: &Option<String>, placeholder: &str) -> String {
    v.as_deref()
        .map_or_else(|| placeholder.to_owned(), |s| quote_ident(s).into_owned())
}

fn user_or(v: &Option<String>) -> String {
    ident_or(v, "<role>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(state: &str, message: &str) -> Explanation {
        explain(&ErrorInput {
            sqlstate: Some(state.into()),
            message: message.into(),
            ..ErrorInput::default()
        })
    }

    #[test]
    fn hba_line_for_the_client_named_in_the_message() {
        let e = server(
            "28000",
            "no pg_hba.conf entry for host \"203.0.113.7\", user \"Data Reader\", database \"analytics\", no encryption",
        );
        assert_eq!(e.code, "hba/no-entry");
        assert_eq!(
            e.fix_config.as_deref(),
            Some("hostssl analytics       \"Data Reader\"   203.0.113.7/32          scram-sha-256")
        );
        assert!(e.fields.contains(&Field::SslMode));
        assert!(e.fix.contains("ssl_mode"));
    }

    #[test]
    fn fix_sql_quotes_names() {
        let mut input = ErrorInput {
            sqlstate: Some("42501".into()),
            message: "permission denied for schema Sales Data".into(),
            ..ErrorInput::default()
        };
        input.context.username = Some("user".into());
        let e = explain(&input);
        assert_eq!(e.code, "privilege/schema");
        assert_eq!(
            e.fix_sql.as_deref(),
            Some("GRANT USAGE ON SCHEMA \"Sales Data\" TO \"user\";")
        );
    }

    #[test]
    fn qualytics_troubleshooting_table() {
        // the five rows of the reference page's table, as a user would paste them
        let mut input = ErrorInput {
            message: "ERROR: permission denied to create table".into(),
            ..ErrorInput::default()
        };
        input.context.username = Some("qualytics_rw".into());
        input.context.schema = Some("results".into());
        let e = explain(&input);
        assert_eq!(e.code, "privilege/create");
        assert_eq!(
            e.fix_sql.as_deref(),
            Some("GRANT CREATE ON SCHEMA results TO qualytics_rw;")
        );
        for (message, code) in [
            (
                "FATAL: password authentication failed for user \"x\"",
                "auth/password-failed",
            ),
            (
                "FATAL: no pg_hba.conf entry for host \"10.0.0.1\", user \"x\", database \"d\", SSL encryption",
                "hba/no-entry",
            ),
            ("permission denied for schema s", "privilege/schema"),
            ("permission denied for table t", "privilege/table"),
        ] {
            let e = explain(&ErrorInput {
                message: message.into(),
                ..ErrorInput::default()
            });
            assert_eq!(e.code, code, "{message}");
        }
        // an enrichment role that cannot create gets USAGE and CREATE
        input.message = "permission denied for schema results".into();
        input.sqlstate = Some("42501".into());
        input.context.kind = Some(DatastoreKind::Enrichment);
        assert_eq!(
            explain(&input).fix_sql.as_deref(),
            Some("GRANT USAGE, CREATE ON SCHEMA results TO qualytics_rw;")
        );
    }

    #[test]
    fn libpq_prefixed_message_without_sqlstate() {
        let e = explain(&ErrorInput {
            message: "connection to server at \"db\" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user \"bob\"".into(),
            ..ErrorInput::default()
        });
        assert_eq!(e.code, "auth/password-failed");
        assert_eq!(e.fields, vec![Field::Username, Field::Password]);
    }

    #[test]
    fn link_local_and_encoded_zone_failures() {
        // psql 15's own words for a link-local address without a zone, and for a `%25` zone
        let e = explain(&ErrorInput {
            message: "connection to server at \"fe80::1\", port 5432 failed: Invalid argument\n\t\
                      Is the server running on that host and accepting TCP/IP connections?"
                .into(),
            ..ErrorInput::default()
        });
        assert_eq!(e.code, "network/invalid-address");
        assert!(
            e.cause
                .contains("\"fe80::1\" is an IPv6 link-local address without a zone")
        );
        assert!(e.fix.contains("fe80::1%eth0"), "{}", e.fix);
        assert_eq!(e.fields, vec![Field::Host]);
        // the server's live check says it as Rust's io::Error does, with the host in the context
        let mut input = ErrorInput {
            message: "Invalid argument (os error 22)".into(),
            ..ErrorInput::default()
        };
        input.context.host = Some("224.0.0.1".into());
        let e = explain(&input);
        assert_eq!(e.code, "network/invalid-address");
        assert!(
            e.cause.contains("\"224.0.0.1\" (\"Invalid argument\")"),
            "{}",
            e.cause
        );
        let e = explain(&ErrorInput {
            message: "could not translate host name \"fe80::1%25eth0\" to address: Name or \
                      service not known"
                .into(),
            ..ErrorInput::default()
        });
        assert_eq!(e.code, "network/dns");
        assert!(
            e.cause.contains("`%25` is how a URI writes `%`"),
            "{}",
            e.cause
        );
        // a name holding %25 is not an IPv6 zone
        let e = explain(&ErrorInput {
            message: "could not translate host name \"db%25x\" to address: unknown".into(),
            ..ErrorInput::default()
        });
        assert!(!e.cause.contains("how a URI writes"), "{}", e.cause);
    }

    #[test]
    fn failures_seen_in_the_field() {
        // (message as a driver or psql prints it, sqlstate if the server sent one, code, a word
        // the cause or fix must carry, fields)
        type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, &'a [Field]);
        let cases: &[Case<'_>] = &[
            (
                "FATAL:  SSL connection is required. Please specify SSL options and retry.",
                Some("28000"),
                "tls/server-requires-ssl",
                "verify-full",
                &[Field::SslMode],
            ),
            (
                "ERROR: connection is insecure (try using `sslmode=require`)",
                None,
                "tls/server-requires-ssl",
                "without TLS",
                &[Field::SslMode],
            ),
            (
                "invalid sslmode value: \"requre\"",
                None,
                "tls/invalid-ssl-mode",
                "\"requre\" is not an SSL mode",
                &[Field::SslMode],
            ),
            (
                "error parsing connection string: invalid value for option `sslmode`",
                None,
                "tls/invalid-ssl-mode",
                "verify-full",
                &[Field::SslMode],
            ),
            (
                "channel binding required, but server authenticated client without channel binding",
                None,
                "auth/channel-binding",
                "scram-sha-256",
                &[Field::SslMode, Field::Password],
            ),
            (
                "channel binding is required, but server did not offer an authentication method that supports channel binding",
                None,
                "auth/channel-binding",
                "scram-sha-256",
                &[Field::SslMode, Field::Password],
            ),
            (
                "FATAL:  Peer authentication failed for user \"bob\"",
                Some("28000"),
                "auth/ident-or-peer",
                "pgconnect hba --role bob",
                &[Field::Host, Field::Username],
            ),
            (
                "FATAL:  Ident authentication failed for user \"bob\"",
                None,
                "auth/ident-or-peer",
                "identd",
                &[Field::Host, Field::Username],
            ),
            (
                "SCRAM authentication requires libpq version 10 or above",
                None,
                "auth/client-too-old",
                "Upgrade",
                &[],
            ),
            (
                "FATAL:  terminating connection due to administrator command",
                Some("57P01"),
                "server/terminated",
                "pg_terminate_backend",
                &[],
            ),
            (
                "received invalid response to SSL negotiation: H",
                None,
                "network/not-postgres",
                "HTTP server",
                &[Field::Host, Field::Port],
            ),
            (
                "connection to server at \"db\" (10.0.0.5), port 6543 failed: FATAL:  Tenant or user not found",
                None,
                "pooler/tenant-not-found",
                "postgres.abcdefghijklmnop",
                &[Field::Username, Field::Host],
            ),
            (
                "ERROR:  prepared statement \"s0\" already exists",
                Some("42P05"),
                "pooler/transaction-mode",
                "session-mode",
                &[Field::Host, Field::Port],
            ),
            (
                "could not receive data from server: Connection reset by peer",
                None,
                "network/closed",
                "proxy or firewall",
                &[Field::Host, Field::Port],
            ),
            (
                "SSL SYSCALL error: EOF detected",
                None,
                "network/closed",
                "proxy or firewall",
                &[Field::Host, Field::Port],
            ),
        ];
        for (message, sqlstate, code, says, fields) in cases {
            let e = explain(&ErrorInput {
                sqlstate: sqlstate.map(str::to_owned),
                message: (*message).to_owned(),
                ..ErrorInput::default()
            });
            assert_eq!(e.code, *code, "{message}");
            assert!(
                e.cause.contains(says) || e.fix.contains(says),
                "{message}: {} / {}",
                e.cause,
                e.fix
            );
            assert_eq!(e.fields, *fields, "{message}");
        }
        // the server that answered is named when libpq named it
        let e = explain(&ErrorInput {
            message: "connection to server at \"web.example.com\" (10.0.0.5), port 443 failed: \
                      received invalid response to SSL negotiation: H"
                .into(),
            ..ErrorInput::default()
        });
        assert!(
            e.cause.starts_with("\"web.example.com\" answered"),
            "{}",
            e.cause
        );
    }

    #[test]
    fn client_kind_without_known_text() {
        let e = explain(&ErrorInput {
            message: "os error 111".into(),
            client: Some(ClientFailure::Refused),
            ..ErrorInput::default()
        });
        assert_eq!(e.code, "network/refused");
        let e = explain(&ErrorInput {
            message: "weird".into(),
            client: Some(ClientFailure::Tls),
            ..ErrorInput::default()
        });
        assert_eq!(e.code, "tls/untrusted-certificate");
    }

    #[test]
    fn the_server_named_in_libpq_s_message_is_used() {
        let refused = |host: Option<&str>| {
            explain(&ErrorInput {
                message: "connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: \
                          Connection refused\n\tIs the server running on that host?"
                    .into(),
                context: ErrorContext {
                    host: host.map(str::to_owned),
                    ..ErrorContext::default()
                },
                ..ErrorInput::default()
            })
        };
        let e = refused(None);
        assert_eq!(e.code, "network/refused");
        assert!(e.cause.contains("at \"db.internal\""), "{}", e.cause);
        // what the caller says wins
        assert!(refused(Some("db2")).cause.contains("at \"db2\""));
        let e = explain(&ErrorInput {
            message:
                "could not translate host name \"[::1]\" to address: Name or service not known"
                    .into(),
            ..ErrorInput::default()
        });
        assert!(e.cause.contains("without them"), "{}", e.cause);
    }

    #[test]
    fn a_name_nobody_gave_reads_as_the_role_the_database() {
        // "Role (unknown) lacks USAGE on schema "sales"" when the caller gave no role
        let e = server("42501", "permission denied for schema sales");
        assert!(
            e.cause
                .starts_with("The role lacks USAGE on schema \"sales\":"),
            "{}",
            e.cause
        );
        let e = server("3D000", "database \"analytcs\" does not exist");
        assert_eq!(
            e.cause,
            "Database \"analytcs\" does not exist on the server."
        );
        let e = server(
            "28000",
            "no pg_hba.conf entry for host \"10.1.2.3\", user \"bob\", database \"d\", no \
             encryption",
        );
        assert!(
            e.cause
                .contains("admits client \"10.1.2.3\" as role \"bob\" to database \"d\""),
            "{}",
            e.cause
        );
        // every rule, with nothing captured and nothing in the context
        let empty = Regex::new("").unwrap();
        let caps = empty.captures("").unwrap();
        for rule in RULES {
            let e = (rule.build)(&caps, &ErrorInput::default());
            assert!(!e.cause.contains("(unknown)"), "{}: {}", rule.code, e.cause);
            assert!(!e.cause.contains("\"\""), "{}: {}", rule.code, e.cause);
        }
    }

    #[test]
    fn unknown_falls_back_to_class() {
        assert_eq!(server("28XXX", "odd").code, "auth/other");
        assert_eq!(server("99999", "odd").code, "unknown");
        assert_eq!(explain(&ErrorInput::default()).code, "unknown");
        // the cause is never empty: it said "Cause: " and nothing more
        assert_eq!(
            explain(&ErrorInput::default()).cause,
            "The failure came without a message."
        );
        let detail_only = ErrorInput {
            detail: Some(" the detail ".into()),
            sqlstate: Some("08006".into()),
            ..ErrorInput::default()
        };
        assert_eq!(explain(&detail_only).cause, "SQLSTATE 08006: the detail");
    }

    #[test]
    fn each_rule_builds_its_own_code() {
        let empty = Regex::new("").unwrap();
        let caps = empty.captures("").unwrap();
        for rule in RULES {
            assert_eq!((rule.build)(&caps, &ErrorInput::default()).code, rule.code);
        }
    }

    #[test]
    fn every_pattern_compiles() {
        for (rule, re) in RULES.iter().zip(COMPILED.iter()) {
            assert!(re.is_some(), "{}", rule.code);
        }
    }
}

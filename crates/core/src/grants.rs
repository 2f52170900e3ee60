//! Least-privilege GRANT scripts for source (read-only) and enrichment (read-write) roles, and the
//! REVOKE scripts that undo them.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Path, Report};
use crate::ident::{
    is_well_known_superuser, name_diagnostic, quote_ident, quote_literal, reserved_role_name,
};
use crate::model::DatastoreKind;
use crate::scram::ScramVerifier;

/// What to write a script for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GrantOptions {
    /// Source (read-only) or enrichment (read-write).
    pub kind: DatastoreKind,
    /// The role the platform logs in as.
    pub role: String,
    /// The database it connects to.
    pub database: String,
    /// The schemas it reads (source) or writes (enrichment); at least one.
    pub schemas: Vec<String>,
    /// The role that creates tables in those schemas: default privileges are set `FOR ROLE` it.
    /// Without it they cover only tables created later by whoever runs the script.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub owner: Option<String>,
    /// Create the role (LOGIN) if it does not exist. A rerun does not fail.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub create_role: bool,
    /// The password, as a SCRAM verifier (see [`ScramVerifier::compute`]); `None` writes no
    /// password and says how to set one.
    #[serde(skip)]
    pub password: Option<ScramVerifier>,
}

/// A generated text, with the warnings found while writing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Generated {
    /// The SQL (or configuration line).
    pub text: String,
    /// Warnings and notes; never errors (those make the call fail).
    #[cfg_attr(feature = "ts", ts(as = "crate::diagnostic::ReportJson"))]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::diagnostic::ReportJson))]
    pub report: Report,
}

/// Writes the GRANT script, or says what is wrong with the options.
pub fn grant_sql(options: &GrantOptions) -> Result<Generated, Report> {
    let report = check(options)?;
    Ok(Generated {
        text: Script::new(options).grant(),
        report,
    })
}

/// Writes the script that revokes exactly what [`grant_sql`] granted for the same options.
pub fn revoke_sql(options: &GrantOptions) -> Result<Generated, Report> {
    let report = check(options)?;
    Ok(Generated {
        text: Script::new(options).revoke(),
        report,
    })
}

fn check(o: &GrantOptions) -> Result<Report, Report> {
    let root = Path::ROOT;
    let mut r = Report::new();
    name(&mut r, &root.key("role"), "role", &o.role);
    if let Some(why) = reserved_role_name(&o.role) {
        r.push(Diagnostic::error(
            "grants/role-reserved",
            &root.key("role"),
            format!("role name {} cannot be used: {why}", quote_ident(&o.role)),
            "choose a dedicated name such as qualytics_read or pgconnect_reader",
        ));
    } else if is_well_known_superuser(&o.role) {
        r.push(Diagnostic::warning(
            "grants/role-superuser",
            &root.key("role"),
            format!(
                "{} is a well-known superuser or administrator account: grants do not limit \
                 it, so the platform would still connect with every right",
                quote_ident(&o.role)
            ),
            "grant to a dedicated role such as qualytics_read instead, and let the script \
             create it",
        ));
    }
    name(&mut r, &root.key("database"), "database", &o.database);
    let schemas = root.key("schemas");
    if o.schemas.is_empty() {
        r.push(Diagnostic::error(
            "grants/no-schema",
            &schemas,
            "no schema given",
            "name at least one schema, e.g. public",
        ));
    }
    for (i, s) in o.schemas.iter().enumerate() {
        let p = schemas.index(i);
        name(&mut r, &p, "schema", s);
        if s.starts_with("pg_") || s == "information_schema" {
            r.push(Diagnostic::error(
                "grants/system-schema",
                &p,
                format!("{} is a system schema", quote_ident(s)),
                "grant on the schemas that hold your data; system catalogs are readable already",
            ));
        }
        if o.schemas.get(..i).is_some_and(|before| before.contains(s)) {
            r.push(Diagnostic::warning(
                "grants/duplicate-schema",
                &p,
                format!("schema {} is listed twice", quote_ident(s)),
                "list each schema once",
            ));
        }
    }
    if let Some(owner) = &o.owner {
        let p = root.key("owner");
        name(&mut r, &p, "owner", owner);
        if let Some(why) = reserved_role_name(owner) {
            r.push(Diagnostic::error(
                "grants/owner-reserved",
                &p,
                format!("owner {} cannot be used: {why}", quote_ident(owner)),
                "name the role that creates the tables in these schemas",
            ));
        }
        if owner == &o.role {
            r.push(Diagnostic::warning(
                "grants/owner-is-role",
                &p,
                "the owner is the role being granted to: default privileges for its own tables \
                 change nothing",
                "name the role that creates the tables (often the application's role)",
            ));
        }
    }
    if r.is_valid() { Ok(r) } else { Err(r) }
}

fn name(r: &mut Report, path: &Path<'_>, what: &str, value: &str) {
    if let Some(d) = name_diagnostic(path, what, value) {
        r.push(d);
    }
}

/// What a GRANT applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantObject<'a> {
    /// `DATABASE d`
    Database(&'a str),
    /// `SCHEMA s`
    Schema(&'a str),
    /// `ALL TABLES IN SCHEMA s`
    AllTables(&'a str),
    /// `ALL SEQUENCES IN SCHEMA s`
    AllSequences(&'a str),
    /// Tables created later in `schema` (by `owner`, or by whoever runs the statement).
    FutureTables {
        /// The schema.
        schema: &'a str,
        /// The role whose future tables are meant.
        owner: Option<&'a str>,
    },
    /// Sequences created later in `schema`.
    FutureSequences {
        /// The schema.
        schema: &'a str,
        /// The role whose future sequences are meant.
        owner: Option<&'a str>,
    },
}

/// One statement granting `privileges` (e.g. `"SELECT"`, `"USAGE, CREATE"`) on `object` to `role`,
/// every name quoted as PostgreSQL quotes it — the statements of [`grant_sql`], one at a time (the
/// live privilege audit writes its fixes with it).
#[must_use]
pub fn statement(privileges: &str, object: &GrantObject<'_>, role: &str) -> String {
    let role = quote_ident(role);
    let default = |schema: &str, owner: Option<&str>, what: &str| {
        let for_role = owner
            .map(|o| format!("FOR ROLE {} ", quote_ident(o)))
            .unwrap_or_default();
        format!(
            "ALTER DEFAULT PRIVILEGES {for_role}IN SCHEMA {} GRANT {privileges} ON {what} TO {role};",
            quote_ident(schema)
        )
    };
    match *object {
        GrantObject::Database(d) => format!(
            "GRANT {privileges} ON DATABASE {} TO {role};",
            quote_ident(d)
        ),
        GrantObject::Schema(s) => {
            format!("GRANT {privileges} ON SCHEMA {} TO {role};", quote_ident(s))
        }
        GrantObject::AllTables(s) => {
            format!(
                "GRANT {privileges} ON ALL TABLES IN SCHEMA {} TO {role};",
                quote_ident(s)
            )
        }
        GrantObject::AllSequences(s) => {
            format!(
                "GRANT {privileges} ON ALL SEQUENCES IN SCHEMA {} TO {role};",
                quote_ident(s)
            )
        }
        GrantObject::FutureTables { schema, owner } => default(schema, owner, "TABLES"),
        GrantObject::FutureSequences { schema, owner } => default(schema, owner, "SEQUENCES"),
    }
}

/// The privileges a datastore role needs: (on the schema, on its tables, on its sequences).
#[must_use]
pub fn required_privileges(kind: DatastoreKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        DatastoreKind::Source => ("USAGE", "SELECT", "SELECT"),
        DatastoreKind::Enrichment => (
            "USAGE, CREATE",
            "SELECT, INSERT, UPDATE, DELETE",
            "SELECT, USAGE",
        ),
    }
}

struct Script<'a> {
    o: &'a GrantOptions,
    role: String,
    database: String,
}

impl<'a> Script<'a> {
    fn new(o: &'a GrantOptions) -> Self {
        Script {
            o,
            role: quote_ident(&o.role).into_owned(),
            database: quote_ident(&o.database).into_owned(),
        }
    }

    /// (table privileges, sequence privileges, schema privileges)
    fn privileges(&self) -> (&'static str, &'static str, &'static str) {
        let (schema, tables, sequences) = required_privileges(self.o.kind);
        (tables, sequences, schema)
    }

    fn for_role(&self) -> String {
        self.o
            .owner
            .as_deref()
            .map(|o| format!("FOR ROLE {} ", quote_ident(o)))
            .unwrap_or_default()
    }

    fn header(&self, out: &mut String, action: &str) {
        let what = match self.o.kind {
            DatastoreKind::Source => "a source datastore (read-only)",
            DatastoreKind::Enrichment => "an enrichment datastore (read-write)",
        };
        let schemas: Vec<String> = self
            .o
            .schemas
            .iter()
            .map(|s| comment_safe(&quote_ident(s)))
            .collect();
        let _ = writeln!(out, "-- pgconnect: {action} for {what}");
        let _ = writeln!(
            out,
            "-- Role: {}  Database: {}  Schemas: {}",
            comment_safe(&self.role),
            comment_safe(&self.database),
            schemas.join(", ")
        );
        let _ = writeln!(
            out,
            "-- Run it connected to database {}, as a superuser or as the owner of the schemas \
             and tables.",
            comment_safe(&self.database)
        );
        if let Some(o) = &self.o.owner {
            let o = comment_safe(&quote_ident(o));
            let _ = writeln!(
                out,
                "-- ALTER DEFAULT PRIVILEGES FOR ROLE {o} needs membership in {o} (a superuser has \
                 it)."
            );
        }
        let _ = writeln!(
            out,
            "-- It runs in one transaction and is safe to run again."
        );
        out.push('\n');
    }

    fn grant(&self) -> String {
        let (tables, sequences, schema_privs) = self.privileges();
        let role = &self.role;
        let mut out = String::new();
        self.header(&mut out, "grant least privilege");
        out.push_str("BEGIN;\n\n");
        if self.o.create_role {
            let body = format!(
                "BEGIN\n  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {}) THEN\n    \
                 CREATE ROLE {role} LOGIN;\n  END IF;\nEND\n",
                quote_literal(&self.o.role)
            );
            let tag = dollar_tag(&body);
            let _ = writeln!(
                out,
                "-- Create the login role unless it exists (a rerun leaves it as it is)."
            );
            let _ = writeln!(out, "DO {tag}\n{body}{tag};\n");
        }
        match &self.o.password {
            Some(verifier) => {
                let _ = writeln!(
                    out,
                    "-- The password as a SCRAM-SHA-256 verifier: the plain text never reaches the \
                     server or its logs."
                );
                let _ = writeln!(
                    out,
                    "ALTER ROLE {role} WITH LOGIN PASSWORD {};\n",
                    quote_literal(verifier.as_str())
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "-- No password is set here. Set one in psql, which sends only a SCRAM \
                     verifier:\n--   \\password {}\n",
                    comment_safe(role)
                );
            }
        }
        let owner = self.o.owner.as_deref();
        let _ = writeln!(
            out,
            "{}",
            statement(
                "CONNECT",
                &GrantObject::Database(&self.o.database),
                &self.o.role
            )
        );
        for schema in &self.o.schemas {
            let _ = writeln!(out, "\n-- Schema {}", comment_safe(&quote_ident(schema)));
            for (privileges, object) in [
                (schema_privs, GrantObject::Schema(schema)),
                (tables, GrantObject::AllTables(schema)),
                (sequences, GrantObject::AllSequences(schema)),
                (tables, GrantObject::FutureTables { schema, owner }),
                (sequences, GrantObject::FutureSequences { schema, owner }),
            ] {
                let _ = writeln!(out, "{}", statement(privileges, &object, &self.o.role));
            }
        }
        out.push_str("\nCOMMIT;\n");
        if self.o.owner.is_none() {
            out.push_str(
                "\n-- The default privileges above cover tables and sequences created later by the \
                 role that\n-- runs this script. If another role creates them (say, the \
                 application's), rerun with\n-- that role as the owner (`--owner`), which writes \
                 ALTER DEFAULT PRIVILEGES FOR ROLE <owner>.\n",
            );
        }
        match self.o.kind {
            DatastoreKind::Enrichment => out.push_str(
                "\n-- Tables this role creates are its own: it can ALTER and DROP them without \
                 further grants.\n",
            ),
            DatastoreKind::Source => {
                if self.o.schemas.iter().any(|s| s == "public") {
                    out.push_str(
                        "\n-- On PostgreSQL 14 and older every role may create tables in schema \
                         public. To keep this\n-- role read-only there, also run (it affects \
                         every role): REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n",
                    );
                }
            }
        }
        out
    }

    fn revoke(&self) -> String {
        let (tables, sequences, schema_privs) = self.privileges();
        let role = &self.role;
        let for_role = self.for_role();
        let mut out = String::new();
        self.header(&mut out, "revoke what the grant script granted");
        if self.o.owner.is_none() {
            out.push_str(
                "-- Run it as the same role that ran the grant script: default privileges belong \
                 to that role.\n\n",
            );
        }
        out.push_str("BEGIN;\n");
        for schema in self.o.schemas.iter().rev() {
            let s = quote_ident(schema);
            let _ = writeln!(out, "\n-- Schema {}", comment_safe(&s));
            let _ = writeln!(
                out,
                "ALTER DEFAULT PRIVILEGES {for_role}IN SCHEMA {s} REVOKE {sequences} ON SEQUENCES FROM {role};"
            );
            let _ = writeln!(
                out,
                "ALTER DEFAULT PRIVILEGES {for_role}IN SCHEMA {s} REVOKE {tables} ON TABLES FROM {role};"
            );
            let _ = writeln!(
                out,
                "REVOKE {sequences} ON ALL SEQUENCES IN SCHEMA {s} FROM {role};"
            );
            let _ = writeln!(
                out,
                "REVOKE {tables} ON ALL TABLES IN SCHEMA {s} FROM {role};"
            );
            let _ = writeln!(out, "REVOKE {schema_privs} ON SCHEMA {s} FROM {role};");
        }
        let _ = writeln!(
            out,
            "\nREVOKE CONNECT ON DATABASE {} FROM {role};\n\nCOMMIT;",
            self.database
        );
        out.push_str(
            "\n-- PUBLIC keeps its default CONNECT on the database; to shut every role out that \
             is not\n-- granted it explicitly: REVOKE CONNECT ON DATABASE <db> FROM PUBLIC;\n",
        );
        if self.o.create_role {
            let _ = writeln!(
                out,
                "\n-- The grant script created the role. To remove it as well, first move or \
                 drop what it owns\n-- (in every database), then drop it:\n--   REASSIGN OWNED \
                 BY {0} TO <new_owner>;   -- or: DROP OWNED BY {0};\n--   DROP ROLE {0};",
                comment_safe(role)
            );
        }
        out
    }
}

/// A dollar-quote tag that does not occur in `body`.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$pgconnect$".to_owned();
    let mut n = 0u32;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$pgconnect{n}$");
    }
    tag
}

/// Text safe inside a `--` comment: control characters (a newline would end the comment and turn
/// the rest of a hostile name into SQL) are written as escapes.
pub(crate) fn comment_safe(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn opts(kind: DatastoreKind) -> GrantOptions {
        GrantOptions {
            kind,
            role: "qualytics_read".into(),
            database: "analytics".into(),
            schemas: vec!["public".into(), "Sales".into()],
            owner: None,
            create_role: false,
            password: None,
        }
    }

    #[test]
    fn source_script_reads_only() {
        let sql = grant_sql(&opts(DatastoreKind::Source)).unwrap().text;
        assert!(sql.contains("GRANT CONNECT ON DATABASE analytics TO qualytics_read;"));
        assert!(sql.contains("GRANT USAGE ON SCHEMA \"Sales\" TO qualytics_read;"));
        assert!(sql.contains("GRANT SELECT ON ALL TABLES IN SCHEMA public TO qualytics_read;"));
        assert!(sql.contains("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO qualytics_read;"));
        assert!(sql.contains(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO qualytics_read;"
        ));
        assert!(sql.contains("\\password qualytics_read"));
        assert!(sql.contains("--owner"));
        assert!(!sql.contains("INSERT"));
        assert!(!sql.contains("CREATE ROLE"));
    }

    #[test]
    fn enrichment_script_writes() {
        let mut o = opts(DatastoreKind::Enrichment);
        o.owner = Some("app".into());
        o.create_role = true;
        o.password = Some(ScramVerifier::compute(&Secret::new("pw"), &[7; 16], 4096));
        let sql = grant_sql(&o).unwrap().text;
        assert!(sql.contains("GRANT USAGE, CREATE ON SCHEMA public TO qualytics_read;"));
        assert!(sql.contains(
            "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA \"Sales\" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO qualytics_read;"
        ));
        assert!(sql.contains("CREATE ROLE qualytics_read LOGIN;"));
        assert!(sql.contains("WHERE rolname = 'qualytics_read'"));
        assert!(sql.contains("ALTER ROLE qualytics_read WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:"));
        assert!(!sql.contains("'pw'"));
    }

    #[test]
    fn revoke_mirrors_grant() {
        let o = opts(DatastoreKind::Enrichment);
        let grant = grant_sql(&o).unwrap().text;
        let revoke = revoke_sql(&o).unwrap().text;
        for line in grant.lines().filter(|l| l.starts_with("GRANT ")) {
            let undo = line
                .replacen("GRANT ", "REVOKE ", 1)
                .replace(" TO ", " FROM ");
            assert!(revoke.contains(&undo), "{undo} missing from\n{revoke}");
        }
        for line in grant.lines().filter(|l| l.starts_with("ALTER DEFAULT")) {
            let undo = line
                .replace(" GRANT ", " REVOKE ")
                .replace(" TO ", " FROM ");
            assert!(revoke.contains(&undo), "{undo} missing");
        }
    }

    #[test]
    fn hostile_names_stay_inside_quotes_and_comments() {
        let mut o = opts(DatastoreKind::Source);
        o.role = "x\nDROP TABLE t; --".into();
        o.create_role = true;
        let sql = grant_sql(&o).unwrap().text;
        // In statements the newline sits inside a quoted identifier (harmless); in comments it
        // must be escaped, or the rest of the name would become a statement of its own.
        let role_line = sql.lines().find(|l| l.starts_with("-- Role:")).unwrap();
        assert!(
            role_line.contains("\"x\\nDROP TABLE t; --\""),
            "{role_line}"
        );
        assert!(sql.contains("\\password \"x\\nDROP TABLE t; --\""), "{sql}");
        assert!(sql.contains("CREATE ROLE \"x\nDROP TABLE t; --\" LOGIN;"));
        o.role = "$pgconnect$".into();
        let sql = grant_sql(&o).unwrap().text;
        assert!(sql.contains("DO $pgconnect1$"), "{sql}");
    }

    #[test]
    fn a_superuser_role_is_warned_about() {
        let mut o = opts(DatastoreKind::Source);
        for role in ["postgres", "RDSADMIN", "azure_superuser"] {
            o.role = role.into();
            let g = grant_sql(&o).unwrap();
            let codes: Vec<&str> = g
                .report
                .diagnostics
                .iter()
                .map(|d| d.code.as_ref())
                .collect();
            assert_eq!(codes, ["grants/role-superuser"], "{role}");
        }
        o.role = "qualytics_read".into();
        assert!(grant_sql(&o).unwrap().report.diagnostics.is_empty());
    }

    #[test]
    fn rejects_bad_options_with_paths() {
        let mut o = opts(DatastoreKind::Source);
        o.role = "pg_reader".into();
        o.database = String::new();
        o.schemas = vec!["x".repeat(64), "pg_catalog".into()];
        o.owner = Some("public".into());
        let err = grant_sql(&o).unwrap_err();
        let got: Vec<(&str, &str)> = err
            .diagnostics
            .iter()
            .map(|d| (d.code.as_ref(), d.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("grants/role-reserved", "/role"),
                ("field/empty", "/database"),
                ("name/too-long", "/schemas/0"),
                ("grants/system-schema", "/schemas/1"),
                ("grants/owner-reserved", "/owner"),
            ]
        );
    }
}

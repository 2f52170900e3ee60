//! `pgconnect grants`: least-privilege GRANT (or REVOKE) SQL for the datastore's role.

use std::io::BufRead as _;

use clap::ValueEnum;
use pgconnect_core::grants::{GrantOptions, grant_sql, revoke_sql};
use pgconnect_core::scram::{DEFAULT_ITERATIONS, SALT_LEN, ScramVerifier};
use pgconnect_core::{DatastoreKind, Secret};

use crate::output::{Outcome, Unreadable, render_for_flags};

/// Write the SQL that gives a role exactly what a source (read-only) or enrichment (read-write)
/// datastore needs, or with --revoke the SQL that takes it back.
///
/// The SQL goes to stdout; run it with psql as a superuser or the schemas' owner. With
/// --password-stdin the password is written as a SCRAM-SHA-256 verifier, so the plain text never
/// reaches the server or its logs.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pgconnect grants --kind source --role qualytics_read --database analytics --schema public --create-role\n  printf '%s\\n' \"$PW\" | pgconnect grants --kind enrichment --role qualytics_rw --database analytics --schema results --create-role --password-stdin | psql -d analytics"
)]
pub struct Args {
    /// What the datastore is for.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// The role the platform logs in as.
    #[arg(long)]
    role: String,
    /// The database it connects to.
    #[arg(long)]
    database: String,
    /// A schema to grant on (repeat for several).
    #[arg(long = "schema", required = true)]
    schemas: Vec<String>,
    /// The role that creates tables in those schemas: default privileges are set FOR ROLE it.
    #[arg(long)]
    owner: Option<String>,
    /// Create the role (LOGIN) unless it exists; a rerun does not fail.
    #[arg(long)]
    create_role: bool,
    /// Read the role's password from one line of standard input and write it as a SCRAM verifier.
    #[arg(long)]
    password_stdin: bool,
    /// Write the REVOKE script that undoes the GRANT script for the same options.
    #[arg(long)]
    revoke: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// Read-only.
    Source,
    /// Read-write.
    Enrichment,
}

const FLAGS: &[(&str, &str)] = &[
    ("role", "--role"),
    ("database", "--database"),
    ("schemas", "--schema"),
    ("owner", "--owner"),
];

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Unreadable(format!("cannot read the password from standard input: {e}"))
        })?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return Err(Unreadable(
                "--password-stdin read an empty line: pipe the password in, e.g. printf '%s\\n' \"$PW\" | pgconnect grants …".to_owned(),
            ));
        }
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt)
            .map_err(|e| Unreadable(format!("cannot draw a random salt: {e}")))?;
        Some(ScramVerifier::compute(
            &Secret::new(line),
            &salt,
            DEFAULT_ITERATIONS,
        ))
    } else {
        None
    };
    let options = GrantOptions {
        kind: match args.kind {
            KindArg::Source => DatastoreKind::Source,
            KindArg::Enrichment => DatastoreKind::Enrichment,
        },
        role: args.role.clone(),
        database: args.database.clone(),
        schemas: args.schemas.clone(),
        owner: args.owner.clone(),
        create_role: args.create_role,
        password,
    };
    let result = if args.revoke {
        revoke_sql(&options)
    } else {
        grant_sql(&options)
    };
    Ok(match result {
        Ok(generated) => Outcome {
            stdout: generated.text,
            stderr: if generated.report.diagnostics.is_empty() {
                String::new()
            } else {
                render_for_flags(&generated.report, FLAGS)
            },
            failed: false,
        },
        Err(report) => Outcome {
            stdout: String::new(),
            stderr: render_for_flags(&report, FLAGS),
            failed: true,
        },
    })
}

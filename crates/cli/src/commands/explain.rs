//! `pgconnect explain`: what a connection error means and how to fix it.

use std::fmt::Write as _;

use clap::ValueEnum;
use pgconnect_core::DatastoreKind;
use pgconnect_core::explain::{ClientFailure, ErrorContext, ErrorInput, explain};

use crate::output::{Format, Outcome, Unreadable, json};

/// Explain a PostgreSQL connection error: cause, fix, the SQL or pg_hba.conf line that fixes it,
/// and the form fields involved.
///
/// Give the server's SQLSTATE and message (from the server log, psql, or a driver's error), or
/// only the message for client-side failures (refused, timeout, DNS, TLS). --user, --database and
/// --schema fill in the fix SQL when the message does not name them; --host names the server.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("error-message").required(true).args(["message", "text"])))]
#[command(
    after_help = "Examples:\n  pgconnect explain --sqlstate 28P01 --message 'password authentication failed for user \"reader\"'\n  pgconnect explain --sqlstate 42501 --message 'permission denied for schema sales' --user reader --format json\n  pgconnect explain 'Connection refused' --host db.example.com"
)]
pub struct Args {
    /// The five-character SQLSTATE (server errors).
    #[arg(long)]
    sqlstate: Option<String>,
    /// The error message (also accepted without --message, as the only argument).
    #[arg(long)]
    message: Option<String>,
    /// The error message, as the only argument.
    #[arg(value_name = "MESSAGE")]
    text: Option<String>,
    /// The server's DETAIL line.
    #[arg(long)]
    detail: Option<String>,
    /// What kind of client-side failure it was, if known.
    #[arg(long, value_enum)]
    client: Option<ClientArg>,
    /// The role that connected.
    #[arg(long)]
    user: Option<String>,
    /// The database.
    #[arg(long)]
    database: Option<String>,
    /// The schema.
    #[arg(long)]
    schema: Option<String>,
    /// The host the platform connected to (libpq's messages usually name it).
    #[arg(long)]
    host: Option<String>,
    /// The datastore kind (an enrichment role also needs CREATE).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ClientArg {
    Refused,
    Dns,
    Timeout,
    Tls,
    Closed,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Source,
    Enrichment,
}

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    let input = ErrorInput {
        sqlstate: args.sqlstate.clone(),
        message: args
            .message
            .clone()
            .or_else(|| args.text.clone())
            .unwrap_or_default(),
        detail: args.detail.clone(),
        client: args.client.map(|c| match c {
            ClientArg::Refused => ClientFailure::Refused,
            ClientArg::Dns => ClientFailure::Dns,
            ClientArg::Timeout => ClientFailure::Timeout,
            ClientArg::Tls => ClientFailure::Tls,
            ClientArg::Closed => ClientFailure::Closed,
        }),
        context: ErrorContext {
            username: args.user.clone(),
            database: args.database.clone(),
            schema: args.schema.clone(),
            host: args.host.clone(),
            kind: args.kind.map(|k| match k {
                KindArg::Source => DatastoreKind::Source,
                KindArg::Enrichment => DatastoreKind::Enrichment,
            }),
            ..ErrorContext::default()
        },
    };
    let e = explain(&input);
    let stdout = match args.format {
        Format::Json => json(&e),
        Format::Text => {
            let mut out = String::new();
            let _ = writeln!(out, "{} [{}]\n", e.title, e.code);
            let _ = writeln!(out, "Cause: {}\n", e.cause);
            let _ = writeln!(out, "Fix:   {}", e.fix);
            if let Some(line) = &e.fix_config {
                let _ = writeln!(out, "\npg_hba.conf:\n  {line}");
            }
            if let Some(sql) = &e.fix_sql {
                let _ = writeln!(out, "\nSQL:");
                for l in sql.lines() {
                    let _ = writeln!(out, "  {l}");
                }
            }
            if !e.fields.is_empty() {
                let names: Vec<String> = e
                    .fields
                    .iter()
                    .filter_map(|f| serde_json::to_value(f).ok())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let _ = writeln!(out, "\nCheck: {}", names.join(", "));
            }
            out
        }
    };
    Ok(Outcome::ok(stdout))
}

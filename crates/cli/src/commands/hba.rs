//! `pgconnect hba`: a pg_hba.conf line for the datastore's role.

use pgconnect_core::hba::{HbaOptions, hba_line};

use crate::output::{Outcome, Unreadable, render_for_flags};

/// Write the pg_hba.conf line that lets the role reach the database from the platform's network.
///
/// Add it above any broader `reject` line, then reload (`SELECT pg_reload_conf();`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pgconnect hba --role qualytics_read --database analytics --cidr 192.0.2.0/24 --ssl"
)]
pub struct Args {
    /// The role that connects.
    #[arg(long)]
    role: String,
    /// The database it connects to.
    #[arg(long)]
    database: String,
    /// The platform's network (CIDR), or one address.
    #[arg(long)]
    cidr: String,
    /// Authentication method.
    #[arg(long, default_value = "scram-sha-256")]
    method: String,
    /// Require TLS (hostssl): use it when the connection's ssl_mode is require or stronger.
    #[arg(long)]
    ssl: bool,
}

const FLAGS: &[(&str, &str)] = &[
    ("role", "--role"),
    ("database", "--database"),
    ("cidr", "--cidr"),
    ("method", "--method"),
];

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    let options = HbaOptions {
        role: args.role.clone(),
        database: args.database.clone(),
        cidr: args.cidr.clone(),
        method: Some(args.method.clone()),
        ssl: args.ssl,
    };
    Ok(match hba_line(&options) {
        Ok(g) => Outcome {
            stdout: g.text,
            stderr: if g.report.diagnostics.is_empty() {
                String::new()
            } else {
                render_for_flags(&g.report, FLAGS)
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

//! `pgconnect uri parse|build`: connection strings to payload fields and back.

use std::fmt::Write as _;

use clap::Subcommand;
use pgconnect_core::connstr::{build_uri, parse_connection_string};

use crate::output::{Format, Outcome, Unreadable, json, load_valid_payload};

/// Connection strings: read a libpq URI, keyword/value string or JDBC URL into payload fields,
/// or build a libpq URI from a payload.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a libpq URI, a libpq keyword/value string or a JDBC URL into the payload's fields.
    ///
    /// Exit 1 when the string is rejected (as libpq rejects it) or names what a datastore cannot
    /// hold (several hosts, a Unix socket). Text output hides the password; JSON includes it.
    #[command(
        after_help = "Examples:\n  pgconnect uri parse 'postgresql://reader@db.example.com:5432/analytics?sslmode=verify-full'\n  pgconnect uri parse 'host=db dbname=analytics user=reader' --format json\n  pgconnect uri parse 'jdbc:postgresql://db:5432/analytics?user=reader&ssl=true'"
    )]
    Parse {
        /// The connection string.
        string: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Build a libpq URI from a payload file (password left out unless --show-password).
    Build {
        /// The payload file, or `-` for standard input.
        file: String,
        /// Include the password in the URI.
        #[arg(long)]
        show_password: bool,
    },
}

pub fn run(command: &Command) -> Result<Outcome, Unreadable> {
    match command {
        Command::Parse { string, format } => Ok(parse(string, *format)),
        Command::Build {
            file,
            show_password,
        } => build(file, *show_password),
    }
}

fn parse(string: &str, format: Format) -> Outcome {
    let parsed = parse_connection_string(string);
    let failed = !parsed.is_ok();
    let stdout = match format {
        Format::Json => json(&parsed),
        Format::Text => {
            let mut out = String::new();
            let mut line = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    let _ = writeln!(out, "{k:<10}{v}");
                }
            };
            line(
                "format",
                parsed.format.map(|f| match f {
                    pgconnect_core::connstr::Format::Uri => "libpq URI".to_owned(),
                    pgconnect_core::connstr::Format::KeywordValue => {
                        "libpq keyword/value".to_owned()
                    }
                    pgconnect_core::connstr::Format::Jdbc => "JDBC URL".to_owned(),
                }),
            );
            line("host", parsed.host.clone());
            line("port", parsed.port.map(|p| p.to_string()));
            line("username", parsed.username.clone());
            line(
                "password",
                parsed
                    .password
                    .as_ref()
                    .map(|p| format!("{p} (given; --format json shows it)")),
            );
            line("database", parsed.database.clone());
            line("schema", parsed.schema.clone());
            line("ssl_mode", parsed.ssl_mode.map(|m| m.to_string()));
            if !parsed.report.diagnostics.is_empty() {
                out.push('\n');
                out.push_str(&parsed.report.render_text());
            }
            out
        }
    };
    Outcome {
        stdout,
        stderr: String::new(),
        failed,
    }
}

fn build(file: &str, show_password: bool) -> Result<Outcome, Unreadable> {
    let loaded = match load_valid_payload(file)? {
        Ok(l) => l,
        Err(outcome) => return Ok(outcome),
    };
    Ok(match build_uri(&loaded.request, show_password) {
        Ok(uri) => Outcome::ok(uri),
        Err(report) => Outcome::rejected(&report),
    })
}

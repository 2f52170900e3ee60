//! `pgconnect secrets check`: run a payload's vault flow and say which `${key}`s resolve.

use std::fmt::Write as _;

use clap::Subcommand;
use pgconnect_core::ConnectionRef;
use pgconnect_live::http::HttpOptions;
use pgconnect_live::vault::{SecretsCheck, check};

use crate::commands::check::{NetworkArgs, seconds};
use crate::output::{Format, Outcome, Unreadable, json, load_valid_payload};

/// Secrets management: check a payload's vault settings against the real vault.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to the payload's vault, read its secret and resolve the payload's `${key}`s.
    ///
    /// Prints whether the login succeeded, whether token_jsonpath and data_jsonpath matched, and
    /// which keys resolved or are missing — never a value. Exit 0 only when every referenced key
    /// resolved; 1 when a step failed or a key is missing; 2 when the file cannot be read.
    #[command(after_help = "Example:\n  pgconnect secrets check datastore.json --format json")]
    Check {
        /// The payload file, or `-` for standard input.
        file: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Seconds to wait for a TCP/TLS connection to the vault.
        #[arg(long, default_value_t = 5.0)]
        connect_timeout: f64,
        /// Seconds the whole flow (login and read) may take.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        #[command(flatten)]
        network: NetworkArgs,
    },
}

pub fn run(command: &Command) -> Result<Outcome, Unreadable> {
    let Command::Check {
        file,
        format,
        connect_timeout,
        timeout,
        network,
    } = command;
    let loaded = match load_valid_payload(file)? {
        Ok(l) => l,
        Err(outcome) => return Ok(outcome),
    };
    let settings = match &loaded.request.connection {
        ConnectionRef::New(c) => c.secrets_management.as_deref().cloned(),
        ConnectionRef::Existing(_) => None,
    };
    let Some(settings) = settings else {
        return Ok(Outcome {
            stdout: String::new(),
            stderr: "the payload has no secrets_management settings: there is no vault to check\n"
                .to_owned(),
            failed: true,
        });
    };
    let options = HttpOptions {
        connect_timeout: seconds(*connect_timeout, "--connect-timeout")?,
        total_timeout: seconds(*timeout, "--timeout")?,
        policy: network.policy()?,
        ..HttpOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(check(&loaded.json, &settings, loaded.shape, &options));
    let stdout = match format {
        Format::Json => json(&result),
        Format::Text => render(&result),
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        failed: !result.ok(),
    })
}

fn render(c: &SecretsCheck) -> String {
    let mark = |ok: bool| if ok { "ok" } else { "no" };
    let mut out = String::new();
    let _ = writeln!(out, "vault login          {}", mark(c.login_ok));
    let _ = writeln!(out, "token_jsonpath       {}", mark(c.token_path_matched));
    let _ = writeln!(out, "data_jsonpath        {}", mark(c.data_path_matched));
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.iter()
                .map(|k| format!("${{{k}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(out, "keys resolved        {}", list(&c.keys_resolved));
    if c.data_path_matched || c.keys_missing.is_empty() {
        let _ = writeln!(out, "keys missing         {}", list(&c.keys_missing));
    } else {
        // the secret was never read: the keys are not known to be missing from it
        let _ = writeln!(
            out,
            "keys unresolved      {} (the secret was not read)",
            list(&c.keys_missing)
        );
    }
    if let Some(e) = &c.error {
        let status = e.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{}{status} [{}]\n",
            e.explanation.title, e.explanation.code
        );
        let _ = writeln!(out, "Cause: {}", e.explanation.cause);
        if !e.vault_errors.is_empty() {
            let _ = writeln!(out, "Vault: {}", e.vault_errors.join("; "));
        }
        if !e.keys_found.is_empty() {
            let _ = writeln!(out, "Found: {}", e.keys_found.join(", "));
        }
        let _ = writeln!(out, "Fix:   {}", e.explanation.fix);
    }
    if !c.diagnostics.is_empty() {
        out.push('\n');
        out.push_str(
            &pgconnect_core::Report::from_diagnostics(c.diagnostics.clone()).render_text(),
        );
    }
    out
}

//! `pgconnect`: the core's capabilities from a terminal.
//!
//! Exit codes: 0 success (warnings allowed), 1 the input was read but has errors, 2 the input could
//! not be read (missing file, not JSON, bad flags). Results go to stdout, human text by default and
//! stable JSON with `--format json`; errors and warnings about the invocation go to stderr.

mod commands;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::commands::{
    check, explain, grants, hba, key, remote, secrets, serve, store, token, uri, validate,
};

/// Validate PostgreSQL datastore payloads, write least-privilege GRANT SQL and pg_hba.conf lines,
/// parse connection strings, explain connection errors and test connections live.
#[derive(Debug, Parser)]
#[command(name = "pgconnect", version, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 ok (warnings allowed), 1 input has errors, 2 unreadable input or bad usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(validate::Args),
    Grants(grants::Args),
    Hba(hba::Args),
    #[command(subcommand)]
    Uri(uri::Command),
    #[command(subcommand)]
    Secrets(secrets::Command),
    Explain(explain::Args),
    Test(check::Args),
    Serve(serve::Args),
    #[command(subcommand)]
    Token(token::Command),
    #[command(subcommand)]
    Key(key::Command),
    #[command(subcommand)]
    Store(store::Command),
    #[command(subcommand)]
    Connections(remote::Connections),
    #[command(subcommand)]
    Datastores(remote::Datastores),
    Completions(Completions),
}

/// Print the shell's completion script for pgconnect's commands and flags.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pgconnect completions bash > ~/.local/share/bash-completion/completions/pgconnect\n  pgconnect completions zsh > ~/.zfunc/_pgconnect\n  pgconnect completions fish > ~/.config/fish/completions/pgconnect.fish"
)]
struct Completions {
    /// The shell.
    shell: clap_complete::Shell,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(a) => validate::run(&a),
        Command::Grants(a) => grants::run(&a),
        Command::Hba(a) => hba::run(&a),
        Command::Uri(c) => uri::run(&c),
        Command::Secrets(c) => secrets::run(&c),
        Command::Key(c) => key::run(&c),
        Command::Store(c) => store::run(&c),
        Command::Explain(a) => explain::run(&a),
        Command::Test(a) => check::run(&a),
        Command::Serve(a) => serve::run(&a),
        Command::Token(c) => token::run(&c),
        Command::Connections(c) => remote::connections(&c),
        Command::Datastores(c) => remote::datastores(&c),
        Command::Completions(c) => {
            let mut script = Vec::new();
            clap_complete::generate(c.shell, &mut Cli::command(), "pgconnect", &mut script);
            Ok(output::Outcome::ok(
                String::from_utf8_lossy(&script).into_owned(),
            ))
        }
    };
    output::finish(result)
}

//! `pgconnect token create`: mint a bearer token for the server's API.

use std::time::Duration;

use pgconnect_server::auth::{Role, mint};

use crate::commands::store::StoreArgs;
use crate::output::{Outcome, Unreadable};

/// Bearer tokens for the server's API.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Mint a token (JWT, HS256) signed with the server's key; printed alone on the last line.
    ///
    /// The key is PGCONNECT_SECRET_KEY, or the key file in the data directory (the same one
    /// `pgconnect serve --data-dir` uses; created when absent).
    #[command(
        after_help = "Examples:\n  pgconnect token create --role developer --team Finance --team Public\n  export PGCONNECT_TOKEN=$(pgconnect token create --role viewer | tail -n 1)"
    )]
    Create(CreateArgs),
}

/// `token create`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// admin (everything, every team), developer (create and change) or viewer (read).
    #[arg(long)]
    role: String,
    /// A team (CRAFT: a project) the token belongs to; repeat for several.
    #[arg(long = "team")]
    teams: Vec<String>,
    /// Who the token is for (recorded in the token).
    #[arg(long, default_value = "cli")]
    subject: String,
    /// Days until it expires.
    #[arg(long, default_value_t = 30)]
    days: u64,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(command: &Command) -> Result<Outcome, Unreadable> {
    let Command::Create(args) = command;
    let role = Role::parse(&args.role).ok_or_else(|| {
        Unreadable(format!(
            "--role {:?}: use admin, developer or viewer",
            args.role
        ))
    })?;
    if args.days == 0 || args.days > 3650 {
        return Err(Unreadable("--days must be between 1 and 3650".to_owned()));
    }
    let keys = args.store.keys()?;
    let token = mint(
        &keys,
        &args.subject,
        role,
        &args.teams,
        Duration::from_secs(args.days * 86_400),
    )
    .map_err(Unreadable)?;
    let teams = if args.teams.is_empty() {
        "no team (sees Public datastores)".to_owned()
    } else {
        format!("teams {}", args.teams.join(", "))
    };
    Ok(Outcome::ok(format!(
        "A {} token for {:?}, {teams}, valid {} days (key {}):\n{token}\n",
        role.as_str(),
        args.subject,
        args.days,
        keys.id()
    )))
}

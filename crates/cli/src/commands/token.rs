//! `pgconnect token create`: mint a bearer token for the server's API.

use std::time::Duration;

use pgconnect_server::api::session::new_login_code;
use pgconnect_server::auth::{Role, mint};
use pgconnect_server::registry::Registry;

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
    /// Make a one-time login link for the wizard: it opens an admin session in the browser
    /// (valid 24 hours, usable once). The server prints one on its first start; this makes
    /// another for a store in use (a new browser, an expired session, after a key rotation).
    #[command(after_help = "Examples:
  pgconnect token login-link --data-dir /var/lib/pgconnect --url https://pgconnect.example.com")]
    LoginLink(LoginLinkArgs),
}

/// `token login-link`.
#[derive(Debug, clap::Args)]
pub struct LoginLinkArgs {
    /// The server's address as the browser reaches it.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[command(flatten)]
    store: StoreArgs,
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
    match command {
        Command::Create(args) => create(args),
        Command::LoginLink(args) => login_link(args),
    }
}

fn login_link(args: &LoginLinkArgs) -> Result<Outcome, Unreadable> {
    let base = args.url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) || base.contains(['?', '#']) {
        return Err(Unreadable(format!(
            "--url {:?}: give the server's address as the browser reaches it, e.g. \
             http://127.0.0.1:8080",
            args.url
        )));
    }
    let location = args.store.location()?;
    let keys = args.store.keys()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    let code = runtime.block_on(async {
        let registry = Registry::open(&location, keys).await.map_err(Unreadable)?;
        let code = new_login_code(&registry).await.map_err(Unreadable);
        registry.store().close().await;
        code
    })?;
    Ok(Outcome::ok(format!(
        "A one-time login link for the wizard (admin session; valid 24 hours, usable once):\n\
         {base}/login?code={code}\n"
    )))
}

fn create(args: &CreateArgs) -> Result<Outcome, Unreadable> {
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

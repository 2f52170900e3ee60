//! `pgconnect token`: mint, list and revoke bearer tokens for the server's API, and make wizard
//! login links. Works on the store directly (like `key rotate`), with the server's key.

use std::future::Future;
use std::time::Duration;

use pgconnect_server::api::links::{OpenLoginLinkView, usable_subject, usable_team};
use pgconnect_server::api::session::{admin_grant, new_login_code};
use pgconnect_server::api::views::TokenView;
use pgconnect_server::auth::{Role, TokenKind, issue, verify};
use pgconnect_server::registry::store::LoginGrant;
use pgconnect_server::registry::{Registry, now};

use crate::commands::store::StoreArgs;
use crate::output::{Format, Outcome, Unreadable, read_input};

/// Bearer tokens for the server's API.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Mint a token (JWT, HS256) signed with the server's key and recorded in its store, so it
    /// can be listed and revoked; printed alone on the last line.
    ///
    /// The key is PGCONNECT_SECRET_KEY, or the key file in the data directory (the same one
    /// `pgconnect serve --data-dir` uses; created when absent).
    #[command(
        after_help = "Examples:\n  pgconnect token create --role developer --team Finance --team Public\n  export PGCONNECT_TOKEN=$(pgconnect token create --role viewer | tail -n 1)"
    )]
    Create(CreateArgs),
    /// Make a one-time login link for the wizard: it opens a session in the browser (valid 24
    /// hours, usable once), an admin's unless --role says otherwise. The server prints an
    /// admin's on its first start; this makes one for a store in use (a colleague with their
    /// role and teams, a new browser, an expired session, after a key rotation).
    #[command(after_help = "Examples:
  pgconnect token login-link --data-dir /var/lib/pgconnect --url https://pgconnect.example.com
  pgconnect token login-link --role developer --team Finance --subject alice")]
    LoginLink(LoginLinkArgs),
    /// List the tokens this store's server issued (ids, subjects, roles, teams, expiry, whether
    /// revoked; never the tokens), wizard sessions included.
    #[command(
        after_help = "Examples:\n  pgconnect token list --data-dir /var/lib/pgconnect\n  pgconnect token list --format json"
    )]
    List(ListArgs),
    /// Revoke tokens: the server refuses them from the next request on (HTTP 401
    /// `auth/token-revoked`). Give ids from `token list`, `--subject`, or `-` to read a token
    /// itself from stdin.
    #[command(after_help = "Examples:
  pgconnect token revoke 5f0c3a9e81d24b7c6a1e09f3
  pgconnect token revoke --subject ci-pipeline
  printf '%s' \"$LEAKED_TOKEN\" | pgconnect token revoke -")]
    Revoke(RevokeArgs),
    /// List the login links not used yet (who for, role, teams, when made and until when;
    /// never their codes), as the wizard's Access view does.
    #[command(
        after_help = "Examples:\n  pgconnect token links --data-dir /var/lib/pgconnect\n  pgconnect token links --format json"
    )]
    Links(LinksArgs),
    /// Withdraw login links not used yet (ids from `token links`): opening one then says it
    /// cannot be used.
    #[command(after_help = "Example:\n  pgconnect token withdraw 3f9a0c1d2e4b5a69")]
    Withdraw(WithdrawArgs),
}

/// `token links`.
#[derive(Debug, clap::Args)]
pub struct LinksArgs {
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// `token withdraw`.
#[derive(Debug, clap::Args)]
pub struct WithdrawArgs {
    /// Link ids (the ID column of `token links`).
    #[arg(required = true)]
    ids: Vec<String>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `token list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Also the expired and revoked ones (kept a week after they expire).
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
}

/// `token revoke`.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// Token ids (the ID column of `token list`), or `-` for a token read from stdin.
    ids: Vec<String>,
    /// Every active token with this subject (`token create --subject`).
    #[arg(long)]
    subject: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `token login-link`.
#[derive(Debug, clap::Args)]
pub struct LoginLinkArgs {
    /// The server's address as the browser reaches it.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The session's role: admin (everything, every team), developer (create and change) or
    /// viewer (read).
    #[arg(long, default_value = "admin")]
    role: String,
    /// A team the session belongs to; repeat for several (default: none, so it sees Public
    /// datastores; an admin sees every team's).
    #[arg(long = "team")]
    teams: Vec<String>,
    /// Who the session is for, shown in the wizard and in `token list` (default: the role).
    #[arg(long)]
    subject: Option<String>,
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
        Command::List(args) => list(args),
        Command::Revoke(args) => revoke(args),
        Command::Links(args) => links(args),
        Command::Withdraw(args) => withdraw(args),
    }
}

/// Opens the registry at `store`, runs `work` on it, closes it.
fn with_registry<T, F>(store: &StoreArgs, work: impl FnOnce(Registry) -> F) -> Result<T, Unreadable>
where
    F: Future<Output = (Registry, Result<T, Unreadable>)>,
{
    let location = store.location()?;
    let keys = store.keys()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let registry = Registry::open(&location, keys).await.map_err(Unreadable)?;
        let (registry, result) = work(registry).await;
        registry.store().close().await;
        result
    })
}

fn list(args: &ListArgs) -> Result<Outcome, Unreadable> {
    let rows = with_registry(&args.store, |registry| async move {
        let rows = registry
            .store()
            .tokens()
            .await
            .map_err(|e| Unreadable(e.to_string()));
        (registry, rows)
    })?;
    let now = now();
    let views: Vec<TokenView> = rows
        .into_iter()
        .map(|r| TokenView::of(r, &now))
        .filter(|v| args.all || v.status == "active")
        .collect();
    if args.format == Format::Json {
        // the same JSON as GET /api/tokens
        return Ok(Outcome::ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&views).unwrap_or_default()
        )));
    }
    if views.is_empty() {
        return Ok(Outcome::ok(format!(
            "No {}tokens.\n",
            if args.all { "" } else { "active " }
        )));
    }
    let table: Vec<[String; 7]> = views
        .into_iter()
        .map(|v| {
            [
                v.id,
                v.kind,
                v.subject,
                v.role,
                teams_cell(&v.teams),
                v.expires_at,
                v.revoked_at.map_or(v.status, |at| format!("revoked {at}")),
            ]
        })
        .collect();
    let header = [
        "ID", "KIND", "SUBJECT", "ROLE", "TEAMS", "EXPIRES", "STATUS",
    ];
    Ok(Outcome::ok(columns(header, table)))
}

/// A TEAMS cell: the names, or `-` for none.
fn teams_cell(teams: &[String]) -> String {
    if teams.is_empty() {
        "-".to_owned()
    } else {
        teams.join(",")
    }
}

/// Rows under a header, each column as wide as its widest cell.
fn columns<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> String {
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn links(args: &LinksArgs) -> Result<Outcome, Unreadable> {
    let rows = with_registry(&args.store, |registry| async move {
        let rows = registry
            .store()
            .open_login_links(&now())
            .await
            .map_err(|e| Unreadable(e.to_string()));
        (registry, rows)
    })?;
    let views: Vec<OpenLoginLinkView> = rows.into_iter().map(OpenLoginLinkView::of).collect();
    if args.format == Format::Json {
        // the same JSON as GET /api/login-links
        return Ok(Outcome::ok(format!(
            "{}\n",
            serde_json::to_string_pretty(&views).unwrap_or_default()
        )));
    }
    if views.is_empty() {
        return Ok(Outcome::ok(
            "No login link is waiting to be used.\n".to_owned(),
        ));
    }
    let table: Vec<[String; 6]> = views
        .into_iter()
        .map(|v| {
            [
                v.id,
                v.subject,
                v.role,
                teams_cell(&v.teams),
                v.created,
                v.expires,
            ]
        })
        .collect();
    Ok(Outcome::ok(columns(
        ["ID", "FOR", "ROLE", "TEAMS", "MADE", "EXPIRES"],
        table,
    )))
}

fn withdraw(args: &WithdrawArgs) -> Result<Outcome, Unreadable> {
    let ids = args.ids.clone();
    let unknown = with_registry(&args.store, |registry| async move {
        let result = async {
            let mut unknown = Vec::new();
            for id in &ids {
                if !registry.store().withdraw_login_link(id).await? {
                    unknown.push(id.clone());
                }
            }
            Ok::<_, pgconnect_server::registry::store::StoreError>(unknown)
        }
        .await
        .map_err(|e| Unreadable(e.to_string()));
        (registry, result)
    })?;
    let done = args.ids.len() - unknown.len();
    let mut out = Outcome::ok(format!(
        "Withdrew {done} login link(s): opening one now says it cannot be used.\n"
    ));
    if !unknown.is_empty() {
        out.stderr = format!(
            "error: no unused login link has the id {}\n  help: `pgconnect token links` lists them; \
             a link already used is a session: `pgconnect token list` and `token revoke`\n",
            unknown.join(", ")
        );
        out.failed = true;
    }
    Ok(out)
}

fn revoke(args: &RevokeArgs) -> Result<Outcome, Unreadable> {
    if args.ids.is_empty() && args.subject.is_none() {
        return Err(Unreadable(
            "say which tokens: ids from `pgconnect token list`, --subject NAME, or - to read a \
             token from stdin"
                .to_owned(),
        ));
    }
    let keys = args.store.keys()?;
    let mut ids = Vec::new();
    for id in &args.ids {
        if id == "-" {
            let text = read_input("-")?;
            let claims = verify(&keys, text.trim())
                .map_err(|e| Unreadable(format!("the token on stdin: {}", e.message)))?;
            ids.push(claims.jti.ok_or_else(|| {
                Unreadable(
                    "the token on stdin has no id (it was minted before tokens carried one), so \
                     it cannot be revoked on its own: `pgconnect key rotate` ends every token"
                        .to_owned(),
                )
            })?);
        } else {
            ids.push(id.clone());
        }
    }
    let subject = args.subject.clone();
    let (revoked, known) = with_registry(&args.store, |registry| async move {
        let result = async {
            let rows = registry.store().tokens().await?;
            let now = now();
            if let Some(subject) = &subject {
                ids.extend(
                    rows.iter()
                        .filter(|r| &r.subject == subject && r.status(&now) == "active")
                        .map(|r| r.jti.clone()),
                );
            }
            let unknown: Vec<&String> = ids
                .iter()
                .filter(|id| !rows.iter().any(|r| &r.jti == *id))
                .collect();
            if let Some(id) = unknown.first() {
                return Ok(Err(Unreadable(format!(
                    "no token has the id {id:?} in this store (`pgconnect token list --all` \
                     shows them; is this the server's --data-dir or --store?)"
                ))));
            }
            let revoked = registry.store().revoke_tokens(&ids, &now).await?;
            Ok(Ok((revoked, ids)))
        }
        .await
        .unwrap_or_else(|e: pgconnect_server::registry::store::StoreError| {
            Err(Unreadable(e.to_string()))
        });
        (registry, result)
    })?;
    let mut out = String::new();
    let mut stderr = String::new();
    if known.is_empty() {
        stderr.push_str("No active token matches; nothing was revoked.\n");
    }
    for id in &known {
        if revoked.contains(id) {
            out.push_str(&format!("revoked {id}\n"));
        } else {
            stderr.push_str(&format!("{id} was revoked already\n"));
        }
    }
    Ok(Outcome {
        stdout: out,
        stderr,
        failed: false,
    })
}

fn parse_role(role: &str) -> Result<Role, Unreadable> {
    Role::parse(role)
        .ok_or_else(|| Unreadable(format!("--role {role:?}: use admin, developer or viewer")))
}

fn check_teams(teams: &[String]) -> Result<(), Unreadable> {
    if !teams.iter().all(|t| usable_team(t)) {
        return Err(Unreadable(
            "--team is empty: give a team's name, e.g. --team Finance".to_owned(),
        ));
    }
    Ok(())
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
    let role = parse_role(&args.role)?;
    check_teams(&args.teams)?;
    let mut grant = if role == Role::Admin && args.teams.is_empty() {
        admin_grant()
    } else {
        LoginGrant {
            subject: String::new(),
            role: role.as_str().to_owned(),
            teams: args.teams.clone(),
        }
    };
    grant.subject = args
        .subject
        .clone()
        .unwrap_or_else(|| role.as_str().to_owned());
    if !usable_subject(&grant.subject) {
        return Err(Unreadable(
            "--subject must name who the session is for in 1 to 100 characters, e.g. --subject alice".to_owned(),
        ));
    }
    let teams = if args.teams.is_empty() {
        String::new()
    } else {
        format!(", teams {}", args.teams.join(", "))
    };
    let what = format!("{} session for {:?}{teams}", role.as_str(), grant.subject);
    let code = with_registry(&args.store, |registry| async move {
        let code = new_login_code(&registry, &grant).await.map_err(Unreadable);
        (registry, code)
    })?;
    Ok(Outcome::ok(format!(
        "A one-time login link for the wizard ({what}; valid 24 hours, usable once):\n\
         {base}/login?code={code}\n"
    )))
}

fn create(args: &CreateArgs) -> Result<Outcome, Unreadable> {
    let role = parse_role(&args.role)?;
    check_teams(&args.teams)?;
    if args.days == 0 || args.days > 3650 {
        return Err(Unreadable("--days must be between 1 and 3650".to_owned()));
    }
    let subject = args.subject.clone();
    let teams = args.teams.clone();
    let ttl = Duration::from_secs(args.days * 86_400);
    let (token, id, key) = with_registry(&args.store, |registry| async move {
        let issued = issue(&registry, TokenKind::Cli, &subject, role, &teams, ttl)
            .await
            .map(|(token, claims)| {
                (
                    token,
                    claims.jti.unwrap_or_default(),
                    registry.keys().id().to_owned(),
                )
            })
            .map_err(Unreadable);
        (registry, issued)
    })?;
    let teams = if args.teams.is_empty() {
        "no team (sees Public datastores)".to_owned()
    } else {
        format!("teams {}", args.teams.join(", "))
    };
    Ok(Outcome::ok(format!(
        "A {} token for {:?}, {teams}, valid {} days (key {key}, id {id}; \
         `pgconnect token revoke {id}` ends it):\n{token}\n",
        role.as_str(),
        args.subject,
        args.days,
    )))
}

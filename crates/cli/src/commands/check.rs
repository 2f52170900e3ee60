//! `pgconnect test`: the live Test Connection from a terminal — the same check the server runs.

use std::time::Duration;

use pgconnect_core::DatastoreKind;
use pgconnect_live::check::{CheckInput, CheckOptions, run_check};
use pgconnect_live::policy::NetworkPolicy;

use crate::output::{Format, Outcome, Unreadable, json, parse_json, read_input};

/// Test a datastore payload against the real server: resolve, connect, TLS, log in, inspect and
/// audit the role's privileges.
///
/// Prints each stage with its outcome and time, the server version, schemas and table count, the
/// GRANT statements for any missing privilege, and on failure the cause and the fix. Vault-backed
/// payloads (secrets_management) are resolved first; values from the vault are shown as their
/// `${key}`. Exit 0 when the datastore can be used as configured, 1 when the payload is invalid,
/// the check failed or privileges are missing, 2 when the file cannot be read.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pgconnect test datastore.json\n  pgconnect test enrichment.json --enrichment --format json"
)]
pub struct Args {
    /// The payload file, or `-` for standard input.
    file: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Audit the role as an enrichment datastore's (CREATE and writes), whatever the payload says.
    #[arg(long)]
    enrichment: bool,
    /// Seconds the whole check may take.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Seconds to wait for each TCP connection.
    #[arg(long, default_value_t = 5.0)]
    connect_timeout: f64,
    #[command(flatten)]
    network: NetworkArgs,
}

/// The network policy's flags, shared by `test` and `serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NetworkArgs {
    /// Allow addresses in this range (CIDR or a single address), even one denied by default
    /// (link-local, multicast, …). Repeatable.
    #[arg(long = "allow-cidr", value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Never connect to addresses in this range; wins over --allow-cidr. Repeatable.
    #[arg(long = "deny-cidr", value_name = "CIDR")]
    pub deny: Vec<String>,
}

impl NetworkArgs {
    /// The policy the flags describe.
    pub fn policy(&self) -> Result<NetworkPolicy, Unreadable> {
        let allow = NetworkPolicy::parse_nets(&self.allow)
            .map_err(|e| Unreadable(format!("--allow-cidr: {e}")))?;
        let deny = NetworkPolicy::parse_nets(&self.deny)
            .map_err(|e| Unreadable(format!("--deny-cidr: {e}")))?;
        Ok(NetworkPolicy::new(allow, deny))
    }
}

/// Check options from the flags `test` and `serve` share; the vault exchanges get the same
/// timeouts and policy.
pub fn check_options(
    total: f64,
    total_flag: &str,
    connect: f64,
    network: &NetworkArgs,
) -> Result<CheckOptions, Unreadable> {
    let policy = network.policy()?;
    let mut options = CheckOptions {
        connect_timeout: seconds(connect, "--connect-timeout")?,
        total_timeout: seconds(total, total_flag)?,
        policy: policy.clone(),
        ..CheckOptions::default()
    };
    options.vault.policy = policy;
    options.vault.connect_timeout = options.connect_timeout;
    options.vault.total_timeout = options.total_timeout;
    Ok(options)
}

/// A positive number of seconds.
pub fn seconds(value: f64, flag: &str) -> Result<Duration, Unreadable> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Unreadable(format!("{flag} takes a positive number of seconds")))
}

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    let text = read_input(&args.file)?;
    let payload = parse_json(&args.file, &text)?;
    let options = check_options(
        args.timeout,
        "--timeout",
        args.connect_timeout,
        &args.network,
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    let input = CheckInput {
        payload: Some(&payload),
        shape: None,
        kind: args.enrichment.then_some(DatastoreKind::Enrichment),
    };
    let report = match runtime.block_on(run_check(input, &options)) {
        Ok(r) => r,
        Err(invalid) => {
            return Ok(match args.format {
                Format::Json => Outcome {
                    stdout: json(&invalid),
                    stderr: String::new(),
                    failed: true,
                },
                Format::Text => Outcome::rejected(&invalid),
            });
        }
    };
    let stdout = match args.format {
        Format::Json => json(&report),
        Format::Text => report.render_text(),
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        failed: !report.passed(),
    })
}

//! `pgconnect serve`: the HTTP server — live connection tests and the wizard.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pgconnect_server::Config;
use pgconnect_server::registry::restore;
use pgconnect_server::registry::store::StoreLocation;

use crate::commands::check::{NetworkArgs, check_options, seconds};
use crate::commands::store::StoreArgs;
use crate::output::{Outcome, Unreadable};

/// Run the server: Test Connection over HTTP and the wizard at `/`.
///
/// Prints the URL to open once it listens. Logs go to stderr (RUST_LOG sets the level, default
/// info) and never contain a password, token or secret value. Stops on Ctrl-C or SIGTERM after
/// the requests in flight finish.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  pgconnect serve\n  pgconnect serve --addr 0.0.0.0:8080 --deny-cidr 10.0.0.0/8\n  pgconnect serve --addr 0.0.0.0:8443 --tls-cert /etc/pgconnect/cert.pem --tls-key /etc/pgconnect/key.pem \\\n    --public-url https://pgconnect.example.com:8443"
)]
pub struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Live checks allowed at once; more are answered 429 with Retry-After.
    #[arg(long, default_value_t = 32)]
    max_concurrent_checks: usize,
    /// Seconds a whole check may take (vault included).
    #[arg(long, default_value_t = 10.0)]
    check_timeout: f64,
    /// Seconds to wait for each TCP connection.
    #[arg(long, default_value_t = 5.0)]
    connect_timeout: f64,
    /// Catalog discoveries at once; more wait their turn (up to --catalog-queue-timeout).
    #[arg(long, default_value_t = 4)]
    max_concurrent_catalogs: usize,
    /// Seconds a discovery may wait for its turn before it fails as busy (default: the
    /// --catalog-timeout).
    #[arg(long)]
    catalog_queue_timeout: Option<f64>,
    /// Seconds a whole catalog discovery may take, connection included.
    #[arg(long, default_value_t = 120.0)]
    catalog_timeout: f64,
    /// Seconds each catalog query may run (the session's statement_timeout); raise it for
    /// schemas of many thousands of tables.
    #[arg(long, default_value_t = 30.0)]
    catalog_statement_timeout: f64,
    /// The wizard's built files (default: ./dist when it holds an index.html).
    #[arg(long)]
    web_dir: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); read again
    /// on SIGHUP (a renewed certificate, no restart). Without it, passwords typed into the wizard
    /// cross the network unencrypted, unless a TLS proxy is in front.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM, unencrypted; keep it readable by the server only).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// With --tls-cert: tell browsers, in every answer, to use only HTTPS for this host name for
    /// this many seconds (Strict-Transport-Security; a year is 31536000). Start small: a browser
    /// that saw it refuses plain HTTP on this name until it ends. 0 makes browsers forget it.
    #[arg(long, requires = "tls_cert", value_name = "SECONDS")]
    hsts_max_age: Option<u64>,
    /// The address people open, for the links the server prints (e.g.
    /// https://pgconnect.example.com:8443, the name in the certificate). Default: the scheme and
    /// --addr.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(args: &Args) -> Result<Outcome, Unreadable> {
    if args.max_concurrent_checks == 0 {
        return Err(Unreadable(
            "--max-concurrent-checks must be at least 1".to_owned(),
        ));
    }
    if args.max_concurrent_catalogs == 0 {
        return Err(Unreadable(
            "--max-concurrent-catalogs must be at least 1".to_owned(),
        ));
    }
    let catalog_timeout = seconds(args.catalog_timeout, "--catalog-timeout")?;
    let catalog_queue_timeout = args
        .catalog_queue_timeout
        .map(|s| seconds(s, "--catalog-queue-timeout"))
        .transpose()?;
    let catalog_statement_timeout = seconds(
        args.catalog_statement_timeout,
        "--catalog-statement-timeout",
    )?;
    let check = check_options(
        args.check_timeout,
        "--check-timeout",
        args.connect_timeout,
        &args.network,
    )?;
    let web_dir = args
        .web_dir
        .clone()
        .or_else(|| Some(PathBuf::from("dist")).filter(|d| d.join("index.html").is_file()));
    if let Some(dir) = &args.web_dir
        && !dir.join("index.html").is_file()
    {
        return Err(Unreadable(format!(
            "--web-dir {}: there is no index.html in it",
            dir.display()
        )));
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(pgconnect_server::tls::TlsFiles::load(cert, key).map_err(Unreadable)?)
        }
        _ => None,
    };
    let public_url = match &args.public_url {
        Some(url) => Some(public_url(url)?),
        None => None,
    };
    let certificate = tls.as_ref().map(pgconnect_server::tls::TlsFiles::info);
    if let Some(info) = &certificate {
        certificate_warnings(info, public_url.as_deref());
    }
    if tls.is_none() && !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving plain HTTP on {}: the passwords typed into the wizard and the \
             session cookie cross the network unencrypted. Give --tls-cert and --tls-key, or put \
             a TLS-terminating proxy in front (it should send X-Forwarded-Proto: https).",
            args.addr
        );
    }
    let location = args.store.location()?;
    // held until the server stops: no restore swaps the registry under it
    let _lock = match &location {
        StoreLocation::Sqlite(dir) => Some(restore::lock_shared(dir).map_err(Unreadable)?),
        StoreLocation::Postgres(_) => None,
    };
    let keys = args.store.keys()?;
    let config = Config {
        addr: args.addr,
        max_concurrent_checks: args.max_concurrent_checks,
        check,
        web_dir,
        max_concurrent_catalogs: args.max_concurrent_catalogs,
        catalog_timeout,
        catalog_queue_timeout,
        catalog_statement_timeout,
        tls,
        hsts_max_age: args.hsts_max_age.map(Duration::from_secs),
        ..Config::new(location.clone(), keys)
    };
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    let has_web = config.web_dir.is_some();
    runtime
        .block_on(pgconnect_server::serve(config, |started| {
            let base = public_url
                .clone()
                .unwrap_or_else(|| format!("{}://{}", started.scheme, started.addr));
            let mut text = format!(
                "pgconnect {} is serving on {base}/\nRegistry: {location}\n",
                env!("CARGO_PKG_VERSION")
            );
            if let Some(info) = &certificate {
                text.push_str(&format!(
                    "TLS certificate for {}, valid until {} (reloaded on SIGHUP)\n",
                    if info.names.is_empty() {
                        "no name".to_owned()
                    } else {
                        info.names.join(", ")
                    },
                    info.expires()
                ));
            }
            if let Some(path) = &started.login_path {
                text.push_str(&format!(
                    "First start: sign in as admin with this one-time link (valid 24 hours):\n  \
                     {base}{path}\n"
                ));
            } else {
                text.push_str(&format!(
                    "Sign in to the wizard with a one-time link from `pgconnect token login-link \
                     --url {base}` (with this server's --data-dir or --store).\n"
                ));
            }
            if !has_web {
                text.push_str(
                    "(the wizard is not built: the page at / says how; the API is ready)\n",
                );
            }
            text.push_str("Press Ctrl-C to stop.\n");
            // the server keeps serving if nobody reads its standard output any more
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }))
        .map_err(|e| Unreadable(format!("serve: {e}")))?;
    Ok(Outcome::ok(String::new()))
}

/// What an operator should hear about the certificate before anyone is refused: it expires
/// soon, it names no host, or it does not name the host of `--public-url`.
fn certificate_warnings(info: &pgconnect_server::tls::CertInfo, public_url: Option<&str>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if let Some(days) = info.expires_soon(now) {
        eprintln!(
            "warning: the TLS certificate expires in {days} day(s), at {}: renew it, then \
             `kill -HUP` the server to use the new files",
            info.expires()
        );
    }
    if info.names.is_empty() {
        eprintln!(
            "warning: the TLS certificate names no host (no subjectAltName): browsers will \
             refuse it"
        );
    } else if let Some(host) = public_url.map(url_host)
        && !info.covers(host)
    {
        eprintln!(
            "warning: --public-url's host {host} is not a name of the TLS certificate ({}): \
             browsers will refuse the connection",
            info.names.join(", ")
        );
    }
}

/// The host of an `http(s)://host[:port]` URL (an IPv6 address keeps its brackets).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    if authority.starts_with('[') {
        authority
            .split_once(']')
            .map_or(authority, |(h, _)| h.trim_start_matches('['))
    } else {
        authority.split(':').next().unwrap_or(authority)
    }
}

/// `--public-url` without a trailing slash, checked to be an http(s) URL with a host.
fn public_url(url: &str) -> Result<String, Unreadable> {
    let trimmed = url.trim().trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.contains(['/', '?', '#', ' ']) => {
            Ok(trimmed.to_owned())
        }
        _ => Err(Unreadable(format!(
            "--public-url {url:?}: give the scheme and host people open, and a port if not the \
             default, e.g. https://pgconnect.example.com:8443 (no path)"
        ))),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

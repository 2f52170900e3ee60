//! Test Connection: a staged, bounded check of a datastore payload against the real server.
//!
//! Stages, each reported with its outcome, time and a detail line: `validate` (the core),
//! `secrets` (the vault flow, when secrets management is on), `resolve` (every A/AAAA address,
//! checked against the network policy), `connect` (TCP to a checked address), `tls` (libpq's
//! sslmode on rustls), `authenticate`, `inspect` (version, role, schemas, table count),
//! `privileges` (the audit for the datastore's kind, with the GRANTs that fix what is missing) and
//! `recommendations`. The whole check runs under one deadline, even against a server that accepts
//! TCP and then says nothing.
//!
//! Logs name stages, outcomes and times — never hosts, users, passwords or secret values (a host
//! may itself come from the vault).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use pgconnect_core::explain::{ClientFailure, ErrorContext, ErrorInput, Explanation, explain};
use pgconnect_core::grants::{GrantObject, required_privileges, statement};
use pgconnect_core::resolve::{Redactor, resolve};
use pgconnect_core::{
    ConnectionRef, DatastoreKind, DatastoreRequest, Diagnostic, PortSpec, Report, Shape, SslMode,
    analyze,
};
use serde_json::Value;
use tokio::net::TcpStream;

use crate::http::HttpOptions;
use crate::policy::NetworkPolicy;
use crate::tls::{PgTls, client_config};
use crate::vault::fetch_secret;

/// How a check runs.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Per-address TCP connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Bound on the whole check. Default 10 s.
    pub total_timeout: Duration,
    /// Which addresses may be dialled.
    pub policy: NetworkPolicy,
    /// Limits of the vault exchanges.
    pub vault: HttpOptions,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            policy: NetworkPolicy::default(),
            vault: HttpOptions::default(),
        }
    }
}

/// What to check: the payload, its shape if known, and the datastore kind if the payload does not
/// say (a CRAFT body never does).
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckInput<'a> {
    /// The payload as received.
    pub payload: Option<&'a Value>,
    /// The shape, when the route knows it.
    pub shape: Option<Shape>,
    /// Overrides the payload's kind (`?kind=enrichment`).
    pub kind: Option<DatastoreKind>,
}

pub use pgconnect_core::check::{
    CheckError, CheckEvent, CheckReport, MissingPrivilege, Outcome, PrivilegeAudit, Recommendation,
    SecretsSummary, StageName, StageReport, Status, TlsInfo,
};

/// Collects stages as the check runs; what it holds survives a timeout of the check.
struct Run {
    report: CheckReport,
    current: Option<(StageName, Instant)>,
    connect_started: Option<Instant>,
    context: ErrorContext,
    /// Values that came from the vault, to be shown as their `${key}`.
    redactor: Redactor,
    /// Where stages are told as they begin and end, for a streamed check.
    progress: Option<Progress>,
}

/// Receives a streamed check's events; a closed receiver does not stop the check.
pub type Progress = tokio::sync::mpsc::UnboundedSender<CheckEvent>;

impl Run {
    fn begin(&mut self, name: StageName) {
        self.current = Some((name, Instant::now()));
        self.tell(CheckEvent::Started { stage: name });
    }

    fn tell(&self, event: CheckEvent) {
        if let Some(p) = &self.progress {
            let _ = p.send(event);
        }
    }

    fn end(&mut self, outcome: Outcome, detail: impl Into<String>) {
        if let Some((name, started)) = self.current.take() {
            self.push(name, outcome, started.elapsed(), detail);
        }
    }

    fn push(
        &mut self,
        name: StageName,
        outcome: Outcome,
        elapsed: Duration,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        tracing::debug!(stage = name.as_str(), outcome = ?outcome, ms = elapsed.as_millis() as u64, "check stage");
        let stage = StageReport {
            name,
            outcome,
            elapsed_ms: (elapsed.as_secs_f64() * 1e6).round() / 1e3,
            detail,
        };
        if self.progress.is_some() {
            let mut told = stage.clone();
            self.redactor.redact_in_place(&mut told.detail);
            self.tell(CheckEvent::Stage { stage: told });
        }
        self.report.stages.push(stage);
    }

    fn skip(&mut self, name: StageName, detail: impl Into<String>) {
        self.push(name, Outcome::Skipped, Duration::ZERO, detail);
    }

    /// Ends the current stage as failed with `error` (an explanation).
    fn fail(&mut self, error: CheckError) -> Failed {
        let detail = match &error {
            CheckError::Vault(v) => v.explanation.title.clone(),
            CheckError::Connection(e) => e.title.clone(),
        };
        self.end(Outcome::Failed, detail);
        self.report.error = Some(error);
        Failed
    }

    fn explain(&self, input: ErrorInput) -> CheckError {
        CheckError::Connection(explain(&ErrorInput {
            context: self.context.clone(),
            ..input
        }))
    }
}

/// Marks a failure that has been recorded in the run.
struct Failed;

/// Runs the check. `Err` when the payload is not valid (the report says why: an HTTP 422).
pub async fn run_check(
    input: CheckInput<'_>,
    options: &CheckOptions,
) -> Result<CheckReport, Report> {
    run_check_then(input, options, |_, _| Box::pin(async {}))
        .await
        .map(|(report, _)| report)
}

/// Runs the check and tells `progress` each stage as it begins and ends, then the report (or the
/// diagnostics of an invalid payload) as the last event. Stage details are redacted as the
/// report's are.
pub async fn run_check_streamed(input: CheckInput<'_>, options: &CheckOptions, progress: Progress) {
    let last = match check(input, options, Some(progress.clone()), |_, _| {
        Box::pin(async {})
    })
    .await
    {
        Ok((report, _)) => CheckEvent::Report {
            report: Box::new(report),
        },
        Err(report) => CheckEvent::Invalid {
            diagnostics: report.diagnostics,
        },
    };
    let _ = progress.send(last);
}

/// What runs on the checked connection once the check's own stages are done.
pub type Then<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

/// Runs the check and then, when it logged in, `then` on the same connection with the resolved
/// request (vault values in place), under the same deadline (catalog discovery reads through the connection the check vetted: same network
/// policy, TLS mode and vault resolution). `None` when `then` did not run or did not finish in
/// time.
pub async fn run_check_then<T, F>(
    input: CheckInput<'_>,
    options: &CheckOptions,
    then: F,
) -> Result<(CheckReport, Option<T>), Report>
where
    F: for<'c> FnOnce(&'c tokio_postgres::Client, &'c DatastoreRequest) -> Then<'c, T>,
{
    check(input, options, None, then).await
}

async fn check<T, F>(
    input: CheckInput<'_>,
    options: &CheckOptions,
    progress: Option<Progress>,
    then: F,
) -> Result<(CheckReport, Option<T>), Report>
where
    F: for<'c> FnOnce(&'c tokio_postgres::Client, &'c DatastoreRequest) -> Then<'c, T>,
{
    let started = Instant::now();
    let payload = input.payload.unwrap_or(&Value::Null);
    let analysis = analyze(payload, input.shape);
    let Some(request) = analysis.request else {
        return Err(analysis.report);
    };
    let ConnectionRef::New(connection) = &request.connection else {
        let mut r = Report::new();
        r.push(Diagnostic::error(
            "connection/stored",
            &pgconnect_core::Path::ROOT.key("connection_id"),
            "a stored connection (connection_id) is tested through the registry",
            "send the connection details, or test the stored connection with POST /api/connections/{id}/test",
        ));
        return Err(r);
    };
    let kind = input.kind.unwrap_or(request.kind);
    let mut run = Run {
        report: CheckReport::new(analysis.report.diagnostics.clone()),
        current: None,
        connect_started: None,
        redactor: Redactor::default(),
        progress,
        context: ErrorContext {
            username: Some(connection.username.clone()),
            database: Some(request.database.clone()),
            schema: Some(request.schema.clone()),
            host: Some(connection.host.clone()),
            ssl_mode: connection.ssl_mode,
            kind: Some(kind),
        },
    };
    run.push(
        StageName::Validate,
        Outcome::Ok,
        started.elapsed(),
        validation_detail(&analysis.report),
    );

    let deadline = started + options.total_timeout;
    let checked = tokio::time::timeout_at(
        deadline.into(),
        stages(&mut run, payload, input.shape, request, kind, options, then),
    )
    .await;
    if checked.is_err() {
        let stage = run.current.map_or("check", |(n, _)| n.as_str());
        let error = run.explain(ErrorInput {
            message: format!(
                "timeout expired: no complete answer within {} s (stage {stage})",
                options.total_timeout.as_secs_f64()
            ),
            client: Some(ClientFailure::Timeout),
            ..ErrorInput::default()
        });
        let _ = run.fail(error);
    }
    finish(&mut run);
    run.report.redact(&run.redactor);
    tracing::info!(
        connected = run.report.connected,
        ms = started.elapsed().as_millis() as u64,
        "check finished"
    );
    Ok((run.report, checked.ok().flatten()))
}

fn validation_detail(r: &Report) -> String {
    let warnings = r.count(pgconnect_core::Severity::Warning);
    if warnings == 0 {
        "the payload is valid".to_owned()
    } else {
        format!("the payload is valid, with {warnings} warning(s)")
    }
}

/// Marks the stages that never ran as skipped, and writes the message.
fn finish(run: &mut Run) {
    for name in StageName::ALL {
        if run.report.stage(name).is_none() {
            run.skip(name, "not reached");
        }
    }
    run.report
        .stages
        .sort_by_key(|s| StageName::ALL.iter().position(|n| *n == s.name));
    run.report.status = if run.report.connected {
        Status::Connected
    } else {
        Status::Failed
    };
    run.report.message = match (&run.report.error, &run.report.privileges) {
        (Some(CheckError::Vault(v)), _) => format!("Vault: {}", v.explanation.title),
        (Some(CheckError::Connection(e)), _) if !run.report.connected => e.title.clone(),
        (Some(CheckError::Connection(e)), _) => format!("Connected, but: {}", e.title),
        (None, Some(audit)) if !audit.ok => format!(
            "Connected to PostgreSQL {}; {} privilege{} missing",
            run.report.server_version.as_deref().unwrap_or("?"),
            audit.missing.len(),
            if audit.missing.len() == 1 {
                " is"
            } else {
                "s are"
            }
        ),
        (None, _) => format!(
            "Connected to PostgreSQL {}",
            run.report.server_version.as_deref().unwrap_or("?")
        ),
    };
}

async fn stages<T, F>(
    run: &mut Run,
    payload: &Value,
    shape: Option<Shape>,
    request: DatastoreRequest,
    kind: DatastoreKind,
    options: &CheckOptions,
    then: F,
) -> Option<T>
where
    F: for<'c> FnOnce(&'c tokio_postgres::Client, &'c DatastoreRequest) -> Then<'c, T>,
{
    let Ok(request) = secrets_stage(run, payload, shape, request, options).await else {
        return None;
    };
    let ConnectionRef::New(c) = &request.connection else {
        return None;
    };
    let port = match c.port {
        PortSpec::Number(p) => p,
        PortSpec::Template(_) => 0, // resolved above; a template left here means no vault
    };
    let Ok(addrs) = resolve_stage(run, &c.host, port, &options.policy).await else {
        return None;
    };
    let mode = c.ssl_mode.unwrap_or(SslMode::Prefer);
    let Ok((client, task)) = connect_stages(run, &addrs, &request, mode, options).await else {
        return None;
    };
    run.report.connected = true;
    let _ = inspect_and_audit(run, &client, &request, kind).await;
    let output = then(&client, &request).await;
    drop(client);
    task.abort();
    Some(output)
}

async fn secrets_stage(
    run: &mut Run,
    payload: &Value,
    shape: Option<Shape>,
    request: DatastoreRequest,
    options: &CheckOptions,
) -> Result<DatastoreRequest, Failed> {
    let settings = match &request.connection {
        ConnectionRef::New(c) => c.secrets_management.as_deref().cloned(),
        ConnectionRef::Existing(_) => None,
    };
    let Some(sm) = settings else {
        run.skip(StageName::Secrets, "secrets management is off");
        return Ok(request);
    };
    run.begin(StageName::Secrets);
    let vault = HttpOptions {
        policy: options.policy.clone(),
        ..options.vault.clone()
    };
    let (_, secret) = fetch_secret(&sm, &vault).await;
    let secret = match secret {
        Ok(s) => s,
        Err(e) => return Err(run.fail(CheckError::Vault(e))),
    };
    let resolution = resolve(payload, &secret, shape);
    run.redactor = Redactor::new(&secret, &resolution.keys_resolved);
    run.report.secrets = Some(SecretsSummary {
        keys_resolved: resolution.keys_resolved.clone(),
        keys_missing: resolution.keys_missing.clone(),
    });
    match resolution.request {
        Some(resolved) => {
            run.end(
                Outcome::Ok,
                format!(
                    "{} key(s) resolved from the vault",
                    resolution.keys_resolved.len()
                ),
            );
            if let ConnectionRef::New(c) = &resolved.connection {
                run.context.username = Some(c.username.clone());
                run.context.host = Some(c.host.clone());
            }
            run.context.database = Some(resolved.database.clone());
            run.context.schema = Some(resolved.schema.clone());
            Ok(resolved)
        }
        None => {
            let first = resolution
                .report
                .errors()
                .next()
                .map(|d| format!("{} ({})", d.message, d.path))
                .unwrap_or_default();
            run.report
                .diagnostics
                .extend(resolution.report.diagnostics.iter().cloned());
            run.end(
                Outcome::Failed,
                format!("the secret does not complete the payload: {first}"),
            );
            run.report.error = Some(CheckError::Connection(Explanation {
                code: "secrets/unresolved".to_owned(),
                title: "The vault's secret does not complete the connection".to_owned(),
                cause: if resolution.keys_missing.is_empty() {
                    "The values from the vault make the payload invalid (see diagnostics)."
                        .to_owned()
                } else {
                    format!(
                        "The secret has no key {}.",
                        resolution.keys_missing.join(", ")
                    )
                },
                fix: "Add the missing keys to the secret, or correct the placeholders.".to_owned(),
                fix_sql: None,
                fix_config: None,
                fields: vec![],
            }));
            Err(Failed)
        }
    }
}

async fn resolve_stage(
    run: &mut Run,
    host: &str,
    port: u16,
    policy: &NetworkPolicy,
) -> Result<Vec<SocketAddr>, Failed> {
    run.begin(StageName::Resolve);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let bare = bare.split('%').next().unwrap_or(bare);
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => match tokio::net::lookup_host((host, port)).await {
            Ok(found) => found.collect(),
            Err(e) => {
                let error = run.explain(ErrorInput {
                    message: format!("could not translate host name \"{host}\" to address: {e}"),
                    client: Some(ClientFailure::Dns),
                    ..ErrorInput::default()
                });
                return Err(run.fail(error));
            }
        },
    };
    if addrs.is_empty() {
        let error = run.explain(ErrorInput {
            message: format!("could not translate host name \"{host}\" to address: no addresses"),
            client: Some(ClientFailure::Dns),
            ..ErrorInput::default()
        });
        return Err(run.fail(error));
    }
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    if let Err(denied) = policy.check_all(&ips) {
        let error = run.explain(ErrorInput {
            message: denied.to_string(),
            client: Some(ClientFailure::Denied),
            ..ErrorInput::default()
        });
        let CheckError::Connection(mut e) = error else {
            return Err(run.fail(error));
        };
        let literal = bare.parse::<IpAddr>().is_ok();
        e.cause = format!(
            "{}{} is in {} ({}), which the server's network policy refuses: no connection was \
             attempted.",
            if literal {
                String::new()
            } else {
                format!("\"{host}\" resolves to ")
            },
            denied.addr,
            denied.range,
            denied.reason
        );
        let detail = format!("{} is denied ({})", denied.addr, denied.range);
        run.report.error = Some(CheckError::Connection(e));
        run.end(Outcome::Failed, detail);
        return Err(Failed);
    }
    let shown: Vec<String> = ips.iter().map(ToString::to_string).collect();
    run.end(
        Outcome::Ok,
        format!("{} address(es): {}", ips.len(), shown.join(", ")),
    );
    Ok(addrs)
}

type Connected = (tokio_postgres::Client, tokio::task::JoinHandle<()>);

async fn connect_stages(
    run: &mut Run,
    addrs: &[SocketAddr],
    request: &DatastoreRequest,
    mode: SslMode,
    options: &CheckOptions,
) -> Result<Connected, Failed> {
    let ConnectionRef::New(c) = &request.connection else {
        return Err(Failed);
    };
    let mut config = tokio_postgres::Config::new();
    config
        .user(&c.username)
        .dbname(&request.database)
        .application_name("pgconnect");
    if let Some(pw) = &c.password {
        config.password(pw.expose());
    }
    let tls_config = if mode == SslMode::Disable {
        None
    } else {
        match client_config(mode, c.ssl_root_cert.as_deref()) {
            Ok(cfg) => Some(cfg),
            Err(message) => {
                run.skip(StageName::Connect, "TLS could not be set up");
                run.begin(StageName::Tls);
                let error = run.explain(ErrorInput {
                    message,
                    client: Some(ClientFailure::Tls),
                    ..ErrorInput::default()
                });
                return Err(run.fail(error));
            }
        }
    };
    // libpq's `allow`: plain first; TLS only when the server refuses the plain connection
    let attempts: &[SslMode] = if mode == SslMode::Allow {
        &[SslMode::Disable, SslMode::Require]
    } else {
        std::slice::from_ref(&mode)
    };
    let mut last_error = None;
    let mut accepted: Option<SocketAddr> = None;
    for (i, attempt) in attempts.iter().enumerate() {
        let last = i + 1 == attempts.len();
        run.begin(StageName::Connect);
        run.connect_started = Some(Instant::now());
        let stream = match tcp(addrs, options.connect_timeout).await {
            Ok(s) => s,
            Err(error) => {
                let error = run.explain(error);
                return Err(run.fail(error));
            }
        };
        accepted = stream.peer_addr().ok();
        let peer = accepted.map(|a| a.to_string()).unwrap_or_default();
        run.end(Outcome::Ok, format!("connected to {peer}"));
        let auth_started = Instant::now();
        run.begin(StageName::Authenticate);
        let result = match (attempt, &tls_config) {
            (SslMode::Disable, _) | (_, None) => {
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                config
                    .connect_raw(stream, tokio_postgres::NoTls)
                    .await
                    .map(|(client, conn)| (client, spawn(conn), None))
            }
            (m, Some(tls_cfg)) => {
                let pg_mode = if *m == SslMode::Prefer {
                    tokio_postgres::config::SslMode::Prefer
                } else {
                    tokio_postgres::config::SslMode::Require
                };
                config.ssl_mode(pg_mode);
                let tls = match PgTls::new(tls_cfg.clone(), &c.host, m.verifies_server()) {
                    Ok(t) => t,
                    Err(message) => {
                        let error = run.explain(ErrorInput {
                            message,
                            client: Some(ClientFailure::Tls),
                            ..ErrorInput::default()
                        });
                        return Err(run.fail(error));
                    }
                };
                config
                    .connect_raw(stream, tls.clone())
                    .await
                    .map(|(client, conn)| (client, spawn(conn), tls.info()))
            }
        };
        match result {
            Ok((client, task, tls)) => {
                let total = auth_started.elapsed();
                let handshake = tls.as_ref().map_or(Duration::ZERO, |(_, took)| *took);
                let tls = tls.map(|(info, _)| info);
                let (outcome, tls_detail) = match &tls {
                    Some(t) => (
                        Outcome::Ok,
                        format!(
                            "{} · certificate {} · expires {} · {}",
                            t.protocol,
                            t.subject,
                            t.not_after,
                            if t.verified {
                                "verified"
                            } else {
                                "not verified"
                            }
                        ),
                    ),
                    None if mode == SslMode::Disable => (
                        Outcome::Skipped,
                        "unencrypted (ssl_mode disable)".to_owned(),
                    ),
                    None if mode == SslMode::Allow => (
                        Outcome::Ok,
                        "unencrypted: ssl_mode allow uses TLS only when the server insists"
                            .to_owned(),
                    ),
                    None => (
                        Outcome::Ok,
                        "unencrypted: the server offers no TLS (ssl_mode prefer fell back)"
                            .to_owned(),
                    ),
                };
                // The handshake and the log-in happen inside one call; the handshake's own time
                // is measured by the connector.
                run.current = None;
                run.push(StageName::Tls, outcome, handshake, tls_detail);
                run.push(
                    StageName::Authenticate,
                    Outcome::Ok,
                    total.saturating_sub(handshake),
                    format!(
                        "logged in as {} to database {}",
                        c.username, request.database
                    ),
                );
                run.report.tls = tls;
                return Ok((client, task));
            }
            Err(e) => {
                let server_refused = e.as_db_error().is_some();
                last_error = Some(e);
                if last || !server_refused {
                    break;
                }
                // `allow`: discard this attempt's stages and retry with TLS
                run.current = None;
                run.report.stages.retain(|s| s.name != StageName::Connect);
            }
        }
    }
    let Some(e) = last_error else {
        return Err(Failed);
    };
    let (stage, mut input) = classify(&e, &c.host);
    // "no TLS", a closed connection or a garbled answer may come from something that is not
    // PostgreSQL at all: ask the address the one question every PostgreSQL answers with S or N
    let suspect = input.message == NO_TLS
        || input.client == Some(ClientFailure::Closed)
        || input.message.contains("bytes remaining on stream");
    if suspect
        && let Some(addr) = accepted
        && let Some(byte) = ssl_answer(addr, options.connect_timeout).await
        && !matches!(byte, b'S' | b'N')
    {
        input = ErrorInput {
            message: format!(
                "received invalid response to SSL negotiation: {}",
                char::from(byte).escape_default()
            ),
            ..ErrorInput::default()
        };
    }
    if stage == StageName::Tls {
        run.current = None;
        run.begin(StageName::Tls);
    }
    let error = run.explain(input);
    Err(run.fail(error))
}

fn spawn<S, T>(conn: tokio_postgres::Connection<S, T>) -> tokio::task::JoinHandle<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let _ = conn.await;
    })
}

/// libpq's words for a server that answers the SSL request with "no".
const NO_TLS: &str = "server does not support SSL, but SSL was required";

/// The first byte `addr` answers PostgreSQL's SSLRequest with (`S` or `N` from PostgreSQL), on a
/// connection of its own; `None` if it does not answer within `timeout`. Used only after a
/// failure, to tell "the server has TLS off" or "it closed the connection" from "this is not
/// PostgreSQL".
async fn ssl_answer(addr: SocketAddr, timeout: Duration) -> Option<u8> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    // length 8, then the SSLRequest code 80877103
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    tokio::time::timeout(timeout, async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(&SSL_REQUEST).await.ok()?;
        s.read_u8().await.ok()
    })
    .await
    .ok()
    .flatten()
}

/// TCP to the first address that accepts, each within `timeout`.
async fn tcp(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, ErrorInput> {
    let mut last: Option<(SocketAddr, std::io::Error)> = None;
    for addr in addrs {
        let error = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => e,
            Err(_) => std::io::Error::new(std::io::ErrorKind::TimedOut, "timeout expired"),
        };
        last = Some((*addr, error));
    }
    let Some((addr, error)) = last else {
        return Err(ErrorInput {
            message: "could not translate host name to address: no addresses".to_owned(),
            client: Some(ClientFailure::Dns),
            ..ErrorInput::default()
        });
    };
    let (client, message) = match error.kind() {
        std::io::ErrorKind::ConnectionRefused => (
            ClientFailure::Refused,
            format!("connection to server at {addr} failed: Connection refused"),
        ),
        std::io::ErrorKind::TimedOut => (
            ClientFailure::Timeout,
            format!("connection to server at {addr} failed: timeout expired"),
        ),
        _ => (
            ClientFailure::Closed,
            format!("connection to server at {addr} failed: {error}"),
        ),
    };
    Err(ErrorInput {
        message,
        client: Some(client),
        ..ErrorInput::default()
    })
}

/// A tokio-postgres failure as the core's explanation input, and the stage it belongs to.
fn classify(e: &tokio_postgres::Error, host: &str) -> (StageName, ErrorInput) {
    if let Some(db) = e.as_db_error() {
        return (StageName::Authenticate, server_error(db));
    }
    let chain = crate::error_chain(e);
    let lower = chain.to_ascii_lowercase();
    if lower.contains("server does not support tls") {
        return (
            StageName::Tls,
            ErrorInput {
                message: NO_TLS.to_owned(),
                ..ErrorInput::default()
            },
        );
    }
    if let Some(input) = rustls_failure(e, host) {
        return (StageName::Tls, input);
    }
    if lower.contains("certificate") {
        return (
            StageName::Tls,
            ErrorInput {
                message: format!("certificate verify failed: {chain}"),
                client: Some(ClientFailure::Tls),
                ..ErrorInput::default()
            },
        );
    }
    if lower.contains("tls") || lower.contains("handshake") || lower.contains("peer sent") {
        return (
            StageName::Tls,
            ErrorInput {
                message: format!("SSL error: {chain}"),
                client: Some(ClientFailure::Tls),
                ..ErrorInput::default()
            },
        );
    }
    if e.is_closed()
        || ["closed", "unexpected eof", "reset by peer", "broken pipe"]
            .iter()
            .any(|w| lower.contains(w))
    {
        return (
            StageName::Authenticate,
            ErrorInput {
                message: format!("server closed the connection unexpectedly ({chain})"),
                client: Some(ClientFailure::Closed),
                ..ErrorInput::default()
            },
        );
    }
    (
        StageName::Authenticate,
        ErrorInput {
            message: chain,
            ..ErrorInput::default()
        },
    )
}

/// A certificate refusal by rustls, in libpq's words (which the core's rules know).
fn rustls_failure(e: &tokio_postgres::Error, host: &str) -> Option<ErrorInput> {
    use std::error::Error as _;
    let io = e.source()?.downcast_ref::<std::io::Error>()?;
    let rustls_error = io.get_ref()?.downcast_ref::<rustls::Error>()?;
    let rustls::Error::InvalidCertificate(cert) = rustls_error else {
        return None;
    };
    let message = match cert {
        rustls::CertificateError::NotValidForNameContext { presented, .. } => {
            let names: Vec<String> = presented.iter().map(|n| presented_name(n)).collect();
            match names.split_first() {
                Some((first, rest)) if !rest.is_empty() => format!(
                    "server certificate for \"{first}\" (and {} other name{}) does not match host name \"{host}\"",
                    rest.len(),
                    if rest.len() == 1 { "" } else { "s" }
                ),
                Some((first, _)) => {
                    format!(
                        "server certificate for \"{first}\" does not match host name \"{host}\""
                    )
                }
                None => format!("server certificate does not match host name \"{host}\""),
            }
        }
        rustls::CertificateError::NotValidForName => {
            format!("server certificate does not match host name \"{host}\"")
        }
        rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
            "certificate verify failed: certificate has expired".to_owned()
        }
        rustls::CertificateError::UnknownIssuer => {
            "certificate verify failed: unable to get local issuer certificate (unknown issuer)"
                .to_owned()
        }
        other => format!("certificate verify failed: {other:?}"),
    };
    Some(ErrorInput {
        message,
        client: Some(ClientFailure::Tls),
        ..ErrorInput::default()
    })
}

/// `DnsName("db.example.com")` / `IpAddress(10.0.0.1)` (webpki's rendering) as the bare name.
fn presented_name(n: &str) -> String {
    n.strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .or_else(|| {
            n.strip_prefix("IpAddress(")
                .and_then(|r| r.strip_suffix(')'))
        })
        .unwrap_or(n)
        .to_owned()
}

const INSPECT: &str = "
SELECT current_setting('server_version'),
       current_user::text,
       coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false),
       current_setting('track_commit_timestamp'),
       ARRAY(SELECT nspname::text FROM pg_catalog.pg_namespace
             WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pg_internal')
               AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
             ORDER BY 1),
       (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')),
       EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)";

/// One round trip: what the role may do in the schema, and what it may not.
const AUDIT: &str = "
WITH s AS (SELECT oid, nspowner FROM pg_catalog.pg_namespace WHERE nspname = $1),
     me AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user),
     rel AS (SELECT c.oid, c.relname, c.relkind FROM pg_catalog.pg_class c, s
             WHERE c.relnamespace = s.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))
SELECT has_database_privilege(current_database(), 'CONNECT'),
       has_schema_privilege((SELECT oid FROM s), 'USAGE'),
       has_schema_privilege((SELECT oid FROM s), 'CREATE'),
       pg_catalog.pg_get_userbyid((SELECT nspowner FROM s))::text,
       (SELECT count(*) FROM rel WHERE relkind <> 'S'),
       ARRAY(SELECT relname::text FROM rel WHERE relkind <> 'S' AND NOT has_table_privilege(oid, 'SELECT') ORDER BY 1),
       ARRAY(SELECT relname::text FROM rel WHERE relkind IN ('r', 'p')
             AND NOT (has_table_privilege(oid, 'INSERT') AND has_table_privilege(oid, 'UPDATE')
                      AND has_table_privilege(oid, 'DELETE')) ORDER BY 1),
       (SELECT count(*) FROM rel WHERE relkind = 'S'),
       ARRAY(SELECT relname::text FROM rel
             WHERE CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'SELECT') ELSE false END
             ORDER BY 1),
       coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false)
       OR coalesce(pg_has_role((SELECT nspowner FROM s), 'USAGE'), false)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_default_acl d, LATERAL aclexplode(d.defaclacl) a
               WHERE d.defaclobjtype = 'r' AND d.defaclrole = (SELECT nspowner FROM s)
                 AND d.defaclnamespace IN (0, (SELECT oid FROM s))
                 AND a.privilege_type = 'SELECT' AND a.grantee IN (0, (SELECT oid FROM me)))";

async fn inspect_and_audit(
    run: &mut Run,
    client: &tokio_postgres::Client,
    request: &DatastoreRequest,
    kind: DatastoreKind,
) -> Result<(), Failed> {
    run.begin(StageName::Inspect);
    let answer = one_row(client, INSPECT, &request.schema).await;
    if let Some(started) = run.connect_started {
        run.report.latency_ms = Some(started.elapsed().as_millis() as u64);
    }
    let row = answer.and_then(|row| {
        Ok((
            row.try_get::<_, String>(0)?,
            row.try_get::<_, String>(1)?,
            row.try_get::<_, bool>(2)?,
            row.try_get::<_, String>(3)?,
            row.try_get::<_, Vec<String>>(4)?,
            row.try_get::<_, i64>(5)?,
            row.try_get::<_, bool>(6)?,
        ))
    });
    let (version, user, superuser, track_commit_timestamp, schemas, table_count, schema_exists) =
        match row {
            Ok(r) => r,
            Err(e) => return Err(query_failed(run, &e)),
        };
    // `15.18 (Debian 15.18-0+deb12u1)`: the number in the answer (as CRAFT's `17.2`), all of it
    // in the stage's detail
    run.report.server_version = Some(
        version
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    );
    run.report.current_user = Some(user.clone());
    run.report.superuser = Some(superuser);
    run.report.schemas = schemas;
    if !schema_exists {
        let error = run.explain(ErrorInput {
            sqlstate: Some("3F000".to_owned()),
            message: format!("schema \"{}\" does not exist", request.schema),
            ..ErrorInput::default()
        });
        return Err(run.fail(error));
    }
    run.report.table_count = Some(u64::try_from(table_count).unwrap_or(0));
    run.end(
        Outcome::Ok,
        format!(
            "PostgreSQL {version} · role {user}{} · {table_count} table(s) in schema {}",
            if superuser { " (superuser)" } else { "" },
            request.schema
        ),
    );

    let audit = audit(run, client, request, kind, &user).await?;
    run.report.privileges = Some(audit);

    run.begin(StageName::Recommendations);
    if superuser {
        run.report.recommendations.push(Recommendation {
            code: "privileges/superuser".to_owned(),
            message: format!(
                "{user} is a superuser: the platform only needs the privileges of a {} datastore. \
                 Connect with a dedicated least-privilege role.",
                kind.as_str()
            ),
            fix_sql: None,
        });
    }
    if track_commit_timestamp != "on" {
        run.report.recommendations.push(Recommendation {
            code: "server/track-commit-timestamp".to_owned(),
            message:
                "track_commit_timestamp is off. Turning it on lets incremental profiling find \
                      recently changed rows with pg_xact_commit_timestamp(), so less data is \
                      scanned; it takes effect after a server restart."
                    .to_owned(),
            fix_sql: Some(
                "ALTER SYSTEM SET track_commit_timestamp = on;  -- then restart PostgreSQL"
                    .to_owned(),
            ),
        });
    }
    if let Some(tls) = &run.report.tls {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let days = (tls.not_after_unix - now) / 86_400;
        if tls.not_after_unix != 0 && days < 30 {
            run.report.recommendations.push(Recommendation {
                code: "tls/certificate-expiring".to_owned(),
                message: format!(
                    "The server's certificate expires in {days} day(s) ({}).",
                    tls.not_after
                ),
                fix_sql: None,
            });
        }
    }
    let n = run.report.recommendations.len();
    run.end(Outcome::Ok, format!("{n} recommendation(s)"));
    Ok(())
}

/// Runs a one-row catalogue query in a single round trip: the parameter's type is given, so no
/// prepare step. A server that answers with no row (only a look-alike would) fails the row's first
/// column read.
async fn one_row(
    client: &tokio_postgres::Client,
    sql: &str,
    schema: &str,
) -> Result<tokio_postgres::Row, tokio_postgres::Error> {
    let rows = client
        .query_typed(sql, &[(&schema, tokio_postgres::types::Type::TEXT)])
        .await?;
    match rows.into_iter().next() {
        Some(row) => Ok(row),
        // query_one's own error for this case
        None => client.query_one("SELECT 1 WHERE false", &[]).await,
    }
}

/// The audit query's answer.
struct Audited {
    connect: bool,
    usage: bool,
    create: bool,
    owner: String,
    tables: i64,
    no_select: Vec<String>,
    no_write: Vec<String>,
    sequences: i64,
    seq_no_select: Vec<String>,
    future_select: bool,
}

/// A failed inspection query (a server error, a lost connection, or an answer of unexpected types
/// from a server that only resembles PostgreSQL) ends the current stage.
fn query_failed(run: &mut Run, e: &tokio_postgres::Error) -> Failed {
    let (_, input) = classify(e, "");
    let error = run.explain(input);
    run.fail(error)
}

async fn audit(
    run: &mut Run,
    client: &tokio_postgres::Client,
    request: &DatastoreRequest,
    kind: DatastoreKind,
    role: &str,
) -> Result<PrivilegeAudit, Failed> {
    run.begin(StageName::Privileges);
    let row = one_row(client, AUDIT, &request.schema)
        .await
        .and_then(|row| {
            Ok(Audited {
                connect: row.try_get(0)?,
                usage: row.try_get(1)?,
                create: row.try_get(2)?,
                owner: row.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                tables: row.try_get(4)?,
                no_select: row.try_get(5)?,
                no_write: row.try_get(6)?,
                sequences: row.try_get(7)?,
                seq_no_select: row.try_get(8)?,
                future_select: row.try_get(9)?,
            })
        });
    let Audited {
        connect,
        usage,
        create,
        owner,
        tables,
        no_select,
        no_write,
        sequences,
        seq_no_select,
        future_select,
    } = match row {
        Ok(r) => r,
        Err(e) => return Err(query_failed(run, &e)),
    };

    let schema = request.schema.as_str();
    let (schema_privs, table_privs, seq_privs) = required_privileges(kind);
    let mut missing = Vec::new();
    let mut add = |privilege: &str, object: String, fix: String| {
        missing.push(MissingPrivilege {
            privilege: privilege.to_owned(),
            object,
            fix_sql: fix,
        });
    };
    if !connect {
        add(
            "CONNECT",
            format!("database {}", request.database),
            statement("CONNECT", &GrantObject::Database(&request.database), role),
        );
    }
    if !usage {
        add(
            "USAGE",
            format!("schema {schema}"),
            statement("USAGE", &GrantObject::Schema(schema), role),
        );
    }
    let some = |names: &[String]| {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = if names.len() > 5 { ", …" } else { "" };
        format!("{}{more}", shown.join(", "))
    };
    if !no_select.is_empty() {
        add(
            "SELECT",
            format!(
                "{} of {tables} table(s) in schema {schema} ({})",
                no_select.len(),
                some(&no_select)
            ),
            statement(table_privs, &GrantObject::AllTables(schema), role),
        );
    }
    if !seq_no_select.is_empty() {
        add(
            "SELECT",
            format!(
                "{} of {sequences} sequence(s) in schema {schema} ({})",
                seq_no_select.len(),
                some(&seq_no_select)
            ),
            statement(seq_privs, &GrantObject::AllSequences(schema), role),
        );
    }
    if !future_select {
        add(
            "SELECT",
            format!("tables created later in schema {schema} (default privileges)"),
            statement(
                table_privs,
                &GrantObject::FutureTables {
                    schema,
                    owner: Some(&owner),
                },
                role,
            ),
        );
    }
    let mut refusal: Option<ErrorInput> = None;
    let mut detail = format!(
        "{} datastore: CONNECT {}, USAGE {}, SELECT on {}/{tables} table(s)",
        kind.as_str(),
        yes(connect),
        yes(usage),
        tables - no_select.len() as i64,
    );
    if kind == DatastoreKind::Enrichment {
        if !create {
            add(
                "CREATE",
                format!("schema {schema}"),
                statement(schema_privs, &GrantObject::Schema(schema), role),
            );
        }
        if !no_write.is_empty() {
            add(
                "INSERT, UPDATE, DELETE",
                format!(
                    "{} table(s) in schema {schema} ({})",
                    no_write.len(),
                    some(&no_write)
                ),
                statement(table_privs, &GrantObject::AllTables(schema), role),
            );
        }
        match probe(client, schema).await {
            Ok(()) => detail
                .push_str(" · probe table created, written, altered and dropped (rolled back)"),
            Err(refused) => {
                detail.push_str(&format!(" · probe refused: {}", refused.message));
                refusal = refusal.or(Some(refused));
            }
        }
    }
    let missing = dedupe(missing);
    let ok = missing.is_empty() && refusal.is_none();
    let fix_sql = missing
        .iter()
        .map(|m| m.fix_sql.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if !missing.is_empty() {
        detail.push_str(&format!(" · {} missing", missing.len()));
    }
    // The server's own refusal, explained by the core, for the first thing the platform would
    // trip over: the schema, then a table, then a sequence.
    if refusal.is_none() {
        let first = (!usage)
            .then(|| {
                no_select
                    .first()
                    .or(seq_no_select.first())
                    .map_or("pgconnect_probe", String::as_str)
            })
            .or(no_select.first().map(String::as_str))
            .or(seq_no_select.first().map(String::as_str));
        if let Some(object) = first {
            refusal = server_refusal(client, schema, object).await;
        }
    }
    if let Some(input) = refusal {
        let error = run.explain(input);
        run.end(Outcome::Failed, detail);
        run.report.error = Some(error);
    } else if ok {
        run.end(Outcome::Ok, detail);
    } else {
        run.end(Outcome::Failed, detail);
    }
    Ok(PrivilegeAudit {
        kind,
        role: role.to_owned(),
        ok,
        missing,
        fix_sql,
    })
}

/// Reads nothing from `schema.object` to hear the server's own refusal (a missing USAGE on the
/// schema or SELECT on the table/sequence), for the core to explain.
async fn server_refusal(
    client: &tokio_postgres::Client,
    schema: &str,
    object: &str,
) -> Option<ErrorInput> {
    let sql = format!(
        "SELECT FROM {}.{} LIMIT 0",
        pgconnect_core::quote_ident(schema),
        pgconnect_core::quote_ident(object)
    );
    let e = client.simple_query(&sql).await.err()?;
    e.as_db_error().map(server_error)
}

/// The server's own error (SQLSTATE, message, DETAIL) as the core's explanation input.
fn server_error(db: &tokio_postgres::error::DbError) -> ErrorInput {
    ErrorInput {
        sqlstate: Some(db.code().code().to_owned()),
        message: db.message().to_owned(),
        detail: db.detail().map(str::to_owned),
        ..ErrorInput::default()
    }
}

fn dedupe(missing: Vec<MissingPrivilege>) -> Vec<MissingPrivilege> {
    let mut out: Vec<MissingPrivilege> = Vec::new();
    for m in missing {
        if !out.iter().any(|o| o.fix_sql == m.fix_sql) {
            out.push(m);
        }
    }
    out
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Proves the enrichment role can create, write, alter and drop a table in the schema, inside a
/// transaction that is rolled back. `Err` carries the server's refusal.
async fn probe(client: &tokio_postgres::Client, schema: &str) -> Result<(), ErrorInput> {
    let table = format!(
        "{}.{}",
        pgconnect_core::quote_ident(schema),
        pgconnect_core::quote_ident(&format!("_pgconnect_probe_{}", std::process::id()))
    );
    let sql = format!(
        "BEGIN;
         CREATE TABLE {table} (id integer);
         INSERT INTO {table} VALUES (1);
         UPDATE {table} SET id = 2;
         DELETE FROM {table};
         ALTER TABLE {table} ADD COLUMN probe text;
         DROP TABLE {table};
         ROLLBACK;"
    );
    let result = client.batch_execute(&sql).await;
    let Err(e) = result else {
        return Ok(());
    };
    let _ = client.batch_execute("ROLLBACK").await;
    Err(classify(&e, "").1)
}

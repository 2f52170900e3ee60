//! How commands end: what goes to stdout, what to stderr, and the exit code.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read as _;
use std::process::ExitCode;

use clap::ValueEnum;
use pgconnect_core::Report;
use serde::Serialize;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// Stable JSON, one document on stdout.
    Json,
}

/// What a command produced.
pub struct Outcome {
    /// Printed to stdout.
    pub stdout: String,
    /// Printed to stderr (warnings, notes).
    pub stderr: String,
    /// Whether the input had errors (exit 1).
    pub failed: bool,
}

impl Outcome {
    pub fn ok(stdout: String) -> Self {
        Outcome {
            stdout,
            stderr: String::new(),
            failed: false,
        }
    }

    /// The input was read but has errors: the report goes to stderr, exit 1.
    pub fn rejected(report: &Report) -> Self {
        Outcome {
            stdout: String::new(),
            stderr: report.render_text(),
            failed: true,
        }
    }
}

/// A payload file read, parsed and analysed: the JSON, its shape and the request when valid, or
/// the outcome that reports why not.
pub struct LoadedPayload {
    pub json: serde_json::Value,
    pub shape: Option<pgconnect_core::Shape>,
    pub request: pgconnect_core::DatastoreRequest,
}

/// Reads `file` (or stdin for `-`) as a datastore payload; `Err(Ok(outcome))` when it is invalid.
pub fn load_valid_payload(file: &str) -> Result<Result<LoadedPayload, Outcome>, Unreadable> {
    let text = read_input(file)?;
    let json = parse_json(file, &text)?;
    let analysis = pgconnect_core::analyze(&json, None);
    Ok(match analysis.request {
        Some(request) => Ok(LoadedPayload {
            json,
            shape: analysis.shape,
            request,
        }),
        None => Err(Outcome::rejected(&analysis.report)),
    })
}

/// A command that could not run at all (exit 2).
#[derive(Debug)]
pub struct Unreadable(pub String);

pub fn finish(result: Result<Outcome, Unreadable>) -> ExitCode {
    match result {
        Ok(o) => {
            // A closed pipe (`| head -1`) is not an error of ours: write what the reader takes.
            use std::io::Write as _;
            if !o.stdout.is_empty() {
                let _ = std::io::stdout().write_all(ensure_newline(&o.stdout).as_bytes());
            }
            if !o.stderr.is_empty() {
                let _ = std::io::stderr().write_all(ensure_newline(&o.stderr).as_bytes());
            }
            if o.failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(Unreadable(message)) => {
            eprintln!("pgconnect: {message}");
            ExitCode::from(2)
        }
    }
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_owned()
    } else {
        format!("{s}\n")
    }
}

/// Pretty JSON with a trailing newline.
pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .map_or_else(|e| format!("{{\"error\": \"{e}\"}}"), |s| s + "\n")
}

/// Reads a file, or stdin for `-`.
pub fn read_input(file: &str) -> Result<String, Unreadable> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Unreadable(format!("cannot read standard input: {e}")))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| Unreadable(format!("cannot read {file}: {e}")))
    }
}

/// Parses JSON, saying where it breaks. A leading UTF-8 byte-order mark (Windows editors write
/// one) is skipped, as RFC 8259 allows.
pub fn parse_json(file: &str, text: &str) -> Result<serde_json::Value, Unreadable> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| {
        let name = if file == "-" { "<stdin>" } else { file };
        Unreadable(format!(
            "{name}:{}:{}: not valid JSON: {}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })
}

/// serde_json appends " at line L column C"; the prefix already says it.
fn strip_position(message: &str) -> &str {
    message.rsplit_once(" at line ").map_or(message, |(m, _)| m)
}

/// A report rendered for flags rather than JSON fields: `/role` reads `--role`,
/// `/schemas/1` reads `--schema (2nd)`.
pub fn render_for_flags(report: &Report, flags: &[(&str, &str)]) -> String {
    let mut r = report.clone();
    for d in &mut r.diagnostics {
        let mut segments = d.path.trim_start_matches('/').split('/');
        let field = segments.next().unwrap_or_default();
        let index = segments.next().and_then(|i| i.parse::<usize>().ok());
        if let Some((_, flag)) = flags.iter().find(|(f, _)| *f == field) {
            d.path = match index {
                Some(i) => format!("{flag} (occurrence {})", i + 1),
                None => (*flag).to_owned(),
            };
        }
    }
    r.render_text()
}

//! Diagnostics are data: `code`, `severity`, `path`, `message`, `help` — the same JSON in Rust, WASM
//! and HTTP. Every check in the core reports through [`Diagnostic`]; nothing in the core prints.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// How bad a finding is. Only [`Severity::Error`] makes a payload invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    /// The payload cannot be used as it is.
    Error,
    /// The payload works, but probably not as the user means it, or not safely.
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The lowercase word used in JSON and in text output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about one place in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnostic {
    /// Stable identifier, `area/what`, e.g. `connection/port-out-of-range`. Tools match on it.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: Cow<'static, str>,
    /// How bad it is.
    pub severity: Severity,
    /// JSON Pointer (RFC 6901) into the input as submitted; `""` is the whole document.
    pub path: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Diagnostic {
    /// A diagnostic at `path`.
    pub fn new(
        code: &'static str,
        severity: Severity,
        path: &Path<'_>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code: Cow::Borrowed(code),
            severity,
            path: path.to_pointer(),
            message: message.into(),
            help: help.into(),
        }
    }

    /// An error at `path`.
    pub fn error(
        code: &'static str,
        path: &Path<'_>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Error, path, message, help)
    }

    /// A warning at `path`.
    pub fn warning(
        code: &'static str,
        path: &Path<'_>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Warning, path, message, help)
    }

    /// An informational note at `path`.
    pub fn info(
        code: &'static str,
        path: &Path<'_>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self::new(code, Severity::Info, path, message, help)
    }

    /// True for [`Severity::Error`].
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The outcome of a check: every finding, in the order of the input. Never "stops at the first".
///
/// Serialised as `{"valid": bool, "errors": n, "warnings": n, "diagnostics": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// All findings, in input order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// An empty report.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A report holding `diagnostics`.
    #[must_use]
    pub fn from_diagnostics(diagnostics: Vec<Diagnostic>) -> Self {
        Report { diagnostics }
    }

    /// Adds a finding.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// True when no finding is an error (warnings and notes allowed).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Number of findings with `severity`.
    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The findings that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Human-readable rendering, one block per finding, then a summary line.
    ///
    /// ```text
    /// error[connection/port-out-of-range]: port 70000 is outside 1–65535
    ///   --> /connection/port
    ///   help: PostgreSQL listens on 5432 unless its configuration says otherwise.
    /// ```
    #[must_use]
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = writeln!(out, "{}[{}]: {}", d.severity, d.code, d.message);
            let path = if d.path.is_empty() {
                "(whole document)"
            } else {
                d.path.as_str()
            };
            let _ = writeln!(out, "  --> {path}");
            if !d.help.is_empty() {
                let _ = writeln!(out, "  help: {}", d.help);
            }
            out.push('\n');
        }
        let errors = self.count(Severity::Error);
        let warnings = self.count(Severity::Warning);
        let notes = self.count(Severity::Info);
        if errors == 0 {
            let _ = write!(out, "valid");
        } else {
            let _ = write!(
                out,
                "invalid: {errors} {}",
                plural(errors, "error", "errors")
            );
        }
        if warnings > 0 || notes > 0 {
            let _ = write!(
                out,
                " ({warnings} {}, {notes} {})",
                plural(warnings, "warning", "warnings"),
                plural(notes, "note", "notes")
            );
        }
        out.push('\n');
        out
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The JSON form of a [`Report`] (what `Report` serialises as): validity and counts up front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "Report"))]
pub struct ReportJson {
    /// True when no diagnostic is an error.
    pub valid: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// Every finding, in input order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The JSON form.
    #[must_use]
    pub fn to_json(&self) -> ReportJson {
        ReportJson {
            valid: self.is_valid(),
            errors: self.count(Severity::Error),
            warnings: self.count(Severity::Warning),
            diagnostics: self.diagnostics.clone(),
        }
    }
}

impl From<Report> for ReportJson {
    fn from(r: Report) -> Self {
        r.to_json()
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Report", 4)?;
        s.serialize_field("valid", &self.is_valid())?;
        s.serialize_field("errors", &self.count(Severity::Error))?;
        s.serialize_field("warnings", &self.count(Severity::Warning))?;
        s.serialize_field("diagnostics", &self.diagnostics)?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            diagnostics: Vec<Diagnostic>,
        }
        Wire::deserialize(deserializer).map(|w| Report {
            diagnostics: w.diagnostics,
        })
    }
}

/// A location in a JSON document, built on the stack while walking it and rendered as a JSON
/// Pointer only when a diagnostic needs it (so clean input allocates no paths).
#[derive(Debug, Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    /// The whole document (`""`).
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    /// The member `key` of the object at `self`.
    #[must_use]
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    /// The element `index` of the array at `self`.
    #[must_use]
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    /// RFC 6901 rendering: `/connection/port`, `/teams/0`, `/a~1b` for key `a/b`.
    #[must_use]
    pub fn to_pointer(&self) -> String {
        let mut segments = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segments.push(p.segment);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segments.iter().rev() {
            match seg {
                Segment::Root => {}
                Segment::Key(k) => {
                    out.push('/');
                    for c in k.chars() {
                        match c {
                            '~' => out.push_str("~0"),
                            '/' => out.push_str("~1"),
                            c => out.push(c),
                        }
                    }
                }
                Segment::Index(i) => {
                    let _ = write!(out, "/{i}");
                }
            }
        }
        out
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_pointer())
    }
}

/// `s` as a JSON string literal (quoted, escaped), for messages.
pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_tilde_and_slash() {
        let root = Path::ROOT;
        let a = root.key("a/b");
        let b = a.key("m~n");
        let c = b.index(3);
        assert_eq!(c.to_pointer(), "/a~1b/m~0n/3");
        assert_eq!(Path::ROOT.to_pointer(), "");
    }

    #[test]
    fn report_json_has_counts_and_validity() {
        let root = Path::ROOT;
        let mut r = Report::new();
        r.push(Diagnostic::warning("x/y", &root.key("a"), "m", "h"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["valid"], true);
        assert_eq!(v["warnings"], 1);
        r.push(Diagnostic::error("x/z", &root, "m", "h"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["valid"], false);
        assert_eq!(v["errors"], 1);
        let back: Report = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
}

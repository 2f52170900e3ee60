//! Every log line of every crate, captured for leak tests.

use std::sync::{Arc, Mutex};

/// The captured log text.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything logged so far.
    #[must_use]
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }
}

/// Installs a global subscriber that records every event of every crate at TRACE level, without
/// timestamps (their digits would look like leaked short values). Call once per test binary:
/// tracing's callsite cache is process-wide, so only the global subscriber sees everything.
pub fn capture_everything() -> Result<Captured, crate::pg::HarnessError> {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish(),
    )
    .map_err(|e| crate::pg::HarnessError(format!("a global subscriber is already set: {e}")))?;
    Ok(logs)
}

/// Whether `needle` occurs in `text`: a value of 8 or more characters anywhere; a shorter one (a
/// port such as `6432`) only as a whole token, not inside a longer number or word.
#[must_use]
pub fn contains_token(text: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    text.match_indices(needle).any(|(i, _)| {
        let before = text.get(..i).and_then(|t| t.chars().next_back());
        let after = text.get(i + needle.len()..).and_then(|t| t.chars().next());
        needle.len() >= 8 || (!before.is_some_and(is_word) && !after.is_some_and(is_word))
    })
}

//! `${key}` placeholders in string properties.
//!
//! Grammar, applied left to right:
//! - `$${` is a literal `${` (so `$${x}` stays `${x}`);
//! - `${KEY}` is a placeholder; KEY is one or more of `A-Z a-z 0-9 _ - . /`;
//! - any other `$`, `{` or `}` is literal.
//!
//! `${` without a closing `}`, an empty `${}` and a character outside the key alphabet are errors.

use std::fmt;

/// One piece of a scanned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text taken as it is (with `$${` already turned into `${`).
    Literal(&'a str),
    /// A `${key}` reference; holds the key.
    Key(&'a str),
}

/// Why a string's placeholders cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderError {
    /// `${` at byte `at` is never closed by `}`.
    Unterminated {
        /// Byte offset of the `$`.
        at: usize,
    },
    /// `${}` at byte `at`.
    Empty {
        /// Byte offset of the `$`.
        at: usize,
    },
    /// The key that starts at byte `at` holds `found`, which keys may not contain.
    InvalidChar {
        /// Byte offset of the `$`.
        at: usize,
        /// The offending character.
        found: char,
    },
}

impl PlaceholderError {
    /// Byte offset of the `$` that opens the broken placeholder.
    #[must_use]
    pub fn offset(&self) -> usize {
        match self {
            PlaceholderError::Unterminated { at }
            | PlaceholderError::Empty { at }
            | PlaceholderError::InvalidChar { at, .. } => *at,
        }
    }
}

impl fmt::Display for PlaceholderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaceholderError::Unterminated { at } => {
                write!(f, "`${{` at character {} is never closed with `}}`", at + 1)
            }
            PlaceholderError::Empty { at } => {
                write!(f, "empty placeholder `${{}}` at character {}", at + 1)
            }
            PlaceholderError::InvalidChar { at, found } => write!(
                f,
                "placeholder at character {} holds {found:?}, which a key may not contain",
                at + 1
            ),
        }
    }
}

/// True for the characters a key may hold.
#[must_use]
pub fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// Splits `text` into literal and placeholder pieces, or says where the first broken placeholder is.
/// A string without `$` is one literal piece (and costs no allocation beyond the vector).
pub fn scan(text: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let mut pieces = Vec::new();
    let mut literal_start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(i) {
        if b != b'$' {
            i += 1;
            continue;
        }
        let rest = bytes.get(i..).unwrap_or_default();
        if rest.starts_with(b"$${") {
            // literal `${`: keep text up to and including the first `$`, drop the second.
            push_literal(&mut pieces, text, literal_start, i + 1);
            literal_start = i + 2;
            i += 3;
        } else if rest.starts_with(b"${") {
            push_literal(&mut pieces, text, literal_start, i);
            let key_start = i + 2;
            let mut j = key_start;
            loop {
                match text.get(j..).and_then(|s| s.chars().next()) {
                    None => return Err(PlaceholderError::Unterminated { at: i }),
                    Some('}') => break,
                    Some(c) if is_key_char(c) => j += c.len_utf8(),
                    Some(c) => {
                        // A missing `}` reads better than "bad character" when the string simply
                        // runs on: `${host and more` has no `}` at all.
                        if !text.get(j..).is_some_and(|s| s.contains('}')) {
                            return Err(PlaceholderError::Unterminated { at: i });
                        }
                        return Err(PlaceholderError::InvalidChar { at: i, found: c });
                    }
                }
            }
            if j == key_start {
                return Err(PlaceholderError::Empty { at: i });
            }
            pieces.push(Piece::Key(text.get(key_start..j).unwrap_or_default()));
            i = j + 1;
            literal_start = i;
        } else {
            i += 1;
        }
    }
    push_literal(&mut pieces, text, literal_start, text.len());
    Ok(pieces)
}

fn push_literal<'a>(pieces: &mut Vec<Piece<'a>>, text: &'a str, from: usize, to: usize) {
    if let Some(s) = text.get(from..to)
        && !s.is_empty()
    {
        pieces.push(Piece::Literal(s));
    }
}

/// True when `text` holds at least one well-formed `${key}` (cheap pre-check: no `$`, no scan).
#[must_use]
pub fn has_placeholder(text: &str) -> bool {
    text.contains("${")
        && scan(text).is_ok_and(|pieces| pieces.iter().any(|p| matches!(p, Piece::Key(_))))
}

/// True when `text` holds `${` in any form, well-formed or not; checks on the value itself (host
/// syntax, port range) are skipped for such strings since they only apply after resolution.
#[must_use]
pub fn mentions_placeholder(text: &str) -> bool {
    // A byte scan: cheaper than the general substring searcher for this two-byte needle, and it
    // runs on every string of every payload.
    text.as_bytes().windows(2).any(|w| w == b"${")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::{Key, Literal};

    #[test]
    fn plain_text_is_one_literal() {
        assert_eq!(
            scan("db.example.com").unwrap(),
            vec![Literal("db.example.com")]
        );
        assert_eq!(scan("").unwrap(), vec![]);
        assert_eq!(scan("$5 {x} $").unwrap(), vec![Literal("$5 {x} $")]);
    }

    #[test]
    fn keys_and_literals() {
        assert_eq!(
            scan("${db/host}.example:${port-1}").unwrap(),
            vec![Key("db/host"), Literal(".example:"), Key("port-1")]
        );
    }

    #[test]
    fn double_dollar_escapes() {
        assert_eq!(scan("a$${b}").unwrap(), vec![Literal("a$"), Literal("{b}")]);
        assert_eq!(
            scan("$${x}${y}").unwrap(),
            vec![Literal("$"), Literal("{x}"), Key("y")]
        );
    }

    #[test]
    fn errors_give_offsets() {
        assert_eq!(
            scan("ab${host"),
            Err(PlaceholderError::Unterminated { at: 2 })
        );
        assert_eq!(scan("${}"), Err(PlaceholderError::Empty { at: 0 }));
        assert_eq!(
            scan("x${a b}"),
            Err(PlaceholderError::InvalidChar { at: 1, found: ' ' })
        );
        assert_eq!(
            scan("x${a b"),
            Err(PlaceholderError::Unterminated { at: 1 })
        );
        assert_eq!(
            scan("${é}"),
            Err(PlaceholderError::InvalidChar { at: 0, found: 'é' })
        );
    }
}

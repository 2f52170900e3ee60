//! Identifiers and literals exactly as PostgreSQL writes them, and the limits on names.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Path};

#[rustfmt::skip]
mod keywords;

/// The longest name PostgreSQL keeps, in bytes (NAMEDATALEN 64, minus the terminator).
pub const MAX_NAME_BYTES: usize = 63;

/// A keyword's category in PostgreSQL's grammar (`src/include/parser/kwlist.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeywordCategory {
    /// Usable as a bare name anywhere.
    UnreservedKeyword,
    /// Usable as a column name but not as a function or type name.
    ColNameKeyword,
    /// Usable as a function or type name but not as a column name.
    TypeFuncNameKeyword,
    /// Never usable as a bare name.
    ReservedKeyword,
}

impl KeywordCategory {
    /// The category's name as `kwlist.h` and `pg_get_keywords()` spell it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            KeywordCategory::UnreservedKeyword => "UNRESERVED_KEYWORD",
            KeywordCategory::ColNameKeyword => "COL_NAME_KEYWORD",
            KeywordCategory::TypeFuncNameKeyword => "TYPE_FUNC_NAME_KEYWORD",
            KeywordCategory::ReservedKeyword => "RESERVED_KEYWORD",
        }
    }
}

/// Every SQL keyword of PostgreSQL 18 with its category, sorted by keyword.
#[must_use]
pub fn keywords() -> &'static [(&'static str, KeywordCategory)] {
    keywords::KEYWORDS
}

/// The category of `word` if it is a keyword (exact, lowercase match, as the server's lookup is
/// after case folding).
#[must_use]
pub fn keyword_category(word: &str) -> Option<KeywordCategory> {
    keywords::KEYWORDS
        .binary_search_by(|(k, _)| (*k).cmp(word))
        .ok()
        .and_then(|i| keywords::KEYWORDS.get(i))
        .map(|(_, c)| *c)
}

/// Quotes `ident` as PostgreSQL's `quote_ident()` does: left bare only when it starts with
/// `[a-z_]`, holds only `[a-z0-9_]` and is not a keyword other than an unreserved one; otherwise
/// wrapped in double quotes with each `"` doubled. No case folding, no truncation.
#[must_use]
pub fn quote_ident(ident: &str) -> Cow<'_, str> {
    if is_bare_ident(ident) {
        return Cow::Borrowed(ident);
    }
    let mut out = String::with_capacity(ident.len() + 2);
    out.push('"');
    for c in ident.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    Cow::Owned(out)
}

/// True when `ident` can be written without quotes and reads back as itself.
#[must_use]
pub fn is_bare_ident(ident: &str) -> bool {
    let mut bytes = ident.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    first_ok
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && keyword_category(ident).is_none_or(|c| c == KeywordCategory::UnreservedKeyword)
}

/// Quotes `value` as PostgreSQL's `quote_literal()` does: `'…'` with `'` doubled, and when the
/// value holds a backslash, `E'…'` with backslashes doubled too — safe whatever
/// `standard_conforming_strings` is.
#[must_use]
pub fn quote_literal(value: &str) -> String {
    let has_backslash = value.contains('\\');
    let mut out = String::with_capacity(value.len() + 3);
    if has_backslash {
        out.push('E');
    }
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Why a name cannot be used for a database, schema or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// The empty string.
    Empty,
    /// Longer than [`MAX_NAME_BYTES`]; the server would keep only `truncated`.
    TooLong {
        /// Length in bytes.
        bytes: usize,
        /// What the server would silently cut it to.
        truncated: String,
    },
    /// Holds a NUL character, which no PostgreSQL name can.
    Nul,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooLong { bytes, truncated } => write!(
                f,
                "is {bytes} bytes long; PostgreSQL keeps at most {MAX_NAME_BYTES} bytes and would \
                 silently truncate it to {truncated:?}"
            ),
            NameProblem::Nul => f.write_str("holds a NUL character, which no PostgreSQL name can"),
        }
    }
}

/// Checks a database, schema or role name against the server's limits: 1–63 bytes, no NUL.
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        Err(NameProblem::Empty)
    } else if name.contains('\0') {
        Err(NameProblem::Nul)
    } else if name.len() > MAX_NAME_BYTES {
        Err(NameProblem::TooLong {
            bytes: name.len(),
            truncated: truncate_name(name).to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The diagnostic for a `what` name (role, database, schema…) at `path` that breaks the server's
/// limits: empty, NUL, or longer than 63 bytes (saying what it would be truncated to).
#[must_use]
pub fn name_diagnostic(path: &Path<'_>, what: &str, value: &str) -> Option<Diagnostic> {
    let problem = check_name(value).err()?;
    Some(match problem {
        NameProblem::Empty => Diagnostic::error(
            "field/empty",
            path,
            format!("{what} is empty"),
            format!("give the {what} name"),
        ),
        NameProblem::Nul => Diagnostic::error(
            "name/has-nul",
            path,
            format!("{what} name {problem}"),
            "remove the NUL character",
        ),
        NameProblem::TooLong { .. } => Diagnostic::error(
            "name/too-long",
            path,
            format!("{what} name {problem}"),
            "use the name exactly as it exists (or will exist) on the server",
        ),
    })
}

/// `name` cut to at most 63 bytes at a character boundary, as the server's `truncate_identifier`.
#[must_use]
pub fn truncate_name(name: &str) -> &str {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let mut end = MAX_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.get(..end).unwrap_or(name)
}

/// If `role` is a name `CREATE ROLE` refuses (or that means something else in a GRANT), why.
#[must_use]
pub fn reserved_role_name(role: &str) -> Option<&'static str> {
    match role {
        "public" => Some("\"public\" is reserved: in GRANT it means every role"),
        "none" => Some("\"none\" is reserved by PostgreSQL"),
        "current_user" | "current_role" | "session_user" => {
            Some("it names whichever role is running the statement, not a role of its own")
        }
        _ if role.starts_with("pg_") => {
            Some("names starting with \"pg_\" are reserved for system roles")
        }
        _ => None,
    }
}

const WELL_KNOWN_SUPERUSERS: &[&str] = &[
    "postgres",
    "root",
    "admin",
    "rdsadmin",
    "rds_superuser",
    "azure_superuser",
    "azure_pg_admin",
    "cloudsqladmin",
    "cloudsqlsuperuser",
    "alloydbadmin",
    "alloydbsuperuser",
    "supabase_admin",
];

/// Whether `user` is a superuser or administrator account that PostgreSQL distributions and
/// cloud services create (`postgres`, `rdsadmin`, `azure_superuser`, …), compared without case.
#[must_use]
pub fn is_well_known_superuser(user: &str) -> bool {
    WELL_KNOWN_SUPERUSERS.contains(&user.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_ident_follows_the_server() {
        assert_eq!(quote_ident("orders"), "orders");
        assert_eq!(quote_ident("_x1"), "_x1");
        assert_eq!(quote_ident("Orders"), "\"Orders\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote_ident(""), "\"\"");
        // reserved, column-name and type/function-name keywords are quoted; unreserved are not
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("left"), "\"left\"");
        assert_eq!(quote_ident("int"), "\"int\"");
        assert_eq!(quote_ident("abort"), "abort");
        assert_eq!(quote_ident("straße"), "\"straße\"");
    }

    #[test]
    fn quote_literal_follows_the_server() {
        assert_eq!(quote_literal("abc"), "'abc'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
        assert_eq!(quote_literal(r"'\"), r"E'''\\'");
    }

    #[test]
    fn names_are_limited_to_63_bytes() {
        assert_eq!(check_name(&"a".repeat(63)), Ok(()));
        assert!(matches!(
            check_name(&"a".repeat(64)),
            Err(NameProblem::TooLong { bytes: 64, .. })
        ));
        // 31 two-byte characters plus 'é' straddling byte 63: cut before it
        let name = format!("{}xé", "é".repeat(31));
        assert_eq!(truncate_name(&name), format!("{}x", "é".repeat(31)));
        assert_eq!(check_name(""), Err(NameProblem::Empty));
        assert_eq!(check_name("a\0b"), Err(NameProblem::Nul));
    }

    #[test]
    fn reserved_roles() {
        for r in [
            "public",
            "none",
            "pg_monitor",
            "current_user",
            "session_user",
        ] {
            assert!(reserved_role_name(r).is_some(), "{r}");
        }
        for r in ["Public", "app", "pgx", "users"] {
            assert!(reserved_role_name(r).is_none(), "{r}");
        }
    }
}

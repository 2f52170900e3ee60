//! JSONPath (RFC 9535) through jsonpath-rust, compiled once and reported the way the rest of the
//! core reports: a compile error says at which character the path breaks.
//!
//! Conformance with the RFC 9535 Compliance Test Suite is measured by `tests/jsonpath_cts.rs`;
//! the known deviations of jsonpath-rust are listed there with their causes.

use std::fmt;

use jsonpath_rust::parser::errors::JsonPathError as LibError;
use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde::Serialize;
use serde_json::Value;

/// A compiled JSONPath query.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    query: JpQuery,
}

/// Why a JSONPath does not compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JsonPathError {
    /// 1-based character position where the path stops making sense, when known.
    #[cfg_attr(feature = "ts", ts(optional))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for JsonPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Largest path accepted (a JSONPath for a vault response is a few dozen characters).
pub const MAX_PATH_LEN: usize = 1024;

/// True for paths made only of `.name` steps with ASCII names (`$`, `$.data`,
/// `$.auth.client_token`): always valid RFC 9535, checked without the parser. (What vault settings
/// use; validation checks them on every keystroke.)
#[must_use]
pub fn is_simple_member_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('$') else {
        return false;
    };
    rest.is_empty()
        || rest.strip_prefix('.').is_some_and(|names| {
            names.split('.').all(|name| {
                let mut bytes = name.bytes();
                bytes
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        })
}

/// Whether `path` is valid JSONPath, without keeping the compiled query.
pub fn check(path: &str) -> Result<(), JsonPathError> {
    if is_simple_member_path(path) {
        return Ok(());
    }
    JsonPath::compile(path).map(|_| ())
}

impl JsonPath {
    /// Compiles `path`.
    pub fn compile(path: &str) -> Result<JsonPath, JsonPathError> {
        if path.len() > MAX_PATH_LEN {
            return Err(JsonPathError {
                position: Some(MAX_PATH_LEN),
                message: format!(
                    "the path is {} bytes; at most {MAX_PATH_LEN} are accepted",
                    path.len()
                ),
            });
        }
        if !path.starts_with('$') {
            return Err(JsonPathError {
                position: Some(1),
                message: "a JSONPath starts with `$` (the root of the document)".to_owned(),
            });
        }
        parse_json_path(path)
            .map(|query| JsonPath {
                text: path.to_owned(),
                query,
            })
            .map_err(|e| describe(path, &e))
    }

    /// The path as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The nodes the path selects in `document`, in document order.
    #[must_use]
    pub fn select<'a>(&self, document: &'a Value) -> Vec<&'a Value> {
        self.select_with_paths(document)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    /// The selected nodes with their normalized paths (`$['a'][0]`).
    #[must_use]
    pub fn select_with_paths<'a>(&self, document: &'a Value) -> Vec<(String, &'a Value)> {
        js_path_process(&self.query, document)
            .map(|refs| refs.into_iter().map(|r| (r.path.clone(), r.val)).collect())
            .unwrap_or_default()
    }
}

fn describe(path: &str, e: &LibError) -> JsonPathError {
    match e {
        LibError::PestError(pest_error) => {
            let column = match pest_error.line_col {
                pest::error::LineColLocation::Pos((_, c)) => c,
                pest::error::LineColLocation::Span((_, c), _) => c,
            };
            let rest: String = path
                .chars()
                .skip(column.saturating_sub(1))
                .take(12)
                .collect();
            let message = if rest.is_empty() {
                format!(
                    "the path ends too early (after {} characters)",
                    path.chars().count()
                )
            } else {
                format!("the path breaks at character {column}, at {rest:?}")
            };
            JsonPathError {
                position: Some(column),
                message,
            }
        }
        LibError::MaxNestingDepthExceeded(n) => JsonPathError {
            position: None,
            message: format!("brackets nest deeper than {n} levels"),
        },
        other => JsonPathError {
            position: None,
            message: format!("the path is not valid JSONPath ({other})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_vault_paths() {
        let doc = json!({"auth": {"client_token": "t"}, "data": {"data": {"k": "v"}}});
        let p = JsonPath::compile("$.auth.client_token").unwrap();
        assert_eq!(p.select(&doc), vec![&json!("t")]);
        let p = JsonPath::compile("$.data.data").unwrap();
        assert_eq!(p.select_with_paths(&doc)[0].0, "$['data']['data']");
        assert!(
            JsonPath::compile("$.nothing")
                .unwrap()
                .select(&doc)
                .is_empty()
        );
    }

    #[test]
    fn simple_paths_need_no_parser_and_agree_with_it() {
        for p in ["$", "$.data", "$.auth.client_token", "$._x.a1"] {
            assert!(is_simple_member_path(p), "{p}");
            assert!(JsonPath::compile(p).is_ok(), "{p}");
        }
        for p in [
            "$.", "$..a", "$.a.", "$.1a", "$['a']", "$.a[0]", "$.é", " $.a", "$.a b",
        ] {
            assert!(!is_simple_member_path(p), "{p}");
        }
        assert!(check("$.auth..").is_err());
    }

    #[test]
    fn errors_say_where() {
        let e = JsonPath::compile("$.auth..").unwrap_err();
        assert!(e.position.is_some(), "{e:?}");
        let e = JsonPath::compile("auth.client_token").unwrap_err();
        assert_eq!(e.position, Some(1));
        let e = JsonPath::compile("$.a[").unwrap_err();
        assert!(
            e.message.contains("ends too early") || e.message.contains("breaks at"),
            "{e:?}"
        );
    }
}

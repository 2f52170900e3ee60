//! The keyword table in `src/ident/keywords.rs` is generated from PostgreSQL 18's keyword list
//! (`../shared/testdata/postgres/keywords/keywords.pg18.csv`). This test fails when the two
//! disagree; `PGCONNECT_BLESS=1 cargo test -p pgconnect-core --test keywords` regenerates the table.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;

use pgconnect_core::ident::{KeywordCategory, keyword_category, keywords};

fn category(name: &str) -> KeywordCategory {
    match name {
        "UNRESERVED_KEYWORD" => KeywordCategory::UnreservedKeyword,
        "COL_NAME_KEYWORD" => KeywordCategory::ColNameKeyword,
        "TYPE_FUNC_NAME_KEYWORD" => KeywordCategory::TypeFuncNameKeyword,
        "RESERVED_KEYWORD" => KeywordCategory::ReservedKeyword,
        other => panic!("unknown keyword category {other:?} in the CSV"),
    }
}

fn variant(c: KeywordCategory) -> &'static str {
    match c {
        KeywordCategory::UnreservedKeyword => "UnreservedKeyword",
        KeywordCategory::ColNameKeyword => "ColNameKeyword",
        KeywordCategory::TypeFuncNameKeyword => "TypeFuncNameKeyword",
        KeywordCategory::ReservedKeyword => "ReservedKeyword",
    }
}

/// (keyword, category) rows of the CSV, in file order.
fn csv_rows(text: &str) -> Vec<(String, KeywordCategory)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("keyword,token,category,label"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            assert_eq!(cols.len(), 4, "bad CSV line {l:?}");
            (cols[0].to_owned(), category(cols[2]))
        })
        .collect()
}

fn render(rows: &[(String, KeywordCategory)]) -> String {
    let mut out = String::from(
        "// @generated from ../shared/testdata/postgres/keywords/keywords.pg18.csv (PostgreSQL 18's\n\
         // src/include/parser/kwlist.h) by `PGCONNECT_BLESS=1 cargo test -p pgconnect-core --test\n\
         // keywords`. Do not edit by hand: the test fails when this table and the CSV disagree.\n\n\
         use super::KeywordCategory::{self, *};\n\n\
         /// Every keyword and its category, sorted by keyword (binary-searched).\n\
         pub(crate) static KEYWORDS: &[(&str, KeywordCategory)] = &[\n",
    );
    for (k, c) in rows {
        let _ = writeln!(out, "    ({k:?}, {}),", variant(*c));
    }
    out.push_str("];\n");
    out
}

#[test]
fn keyword_table_matches_postgresql_18() {
    let Some(csv) = pgconnect_testkit::testdata_file("postgres/keywords/keywords.pg18.csv") else {
        return;
    };
    let mut rows = csv_rows(&std::fs::read_to_string(csv).unwrap());
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let generated = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ident/keywords.rs");
    if std::env::var("PGCONNECT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(generated, render(&rows)).unwrap();
        return;
    }
    assert_eq!(
        std::fs::read_to_string(generated).unwrap(),
        render(&rows),
        "src/ident/keywords.rs is out of date: run PGCONNECT_BLESS=1 cargo test -p pgconnect-core --test keywords"
    );
    let table: Vec<(String, KeywordCategory)> = keywords()
        .iter()
        .map(|(k, c)| ((*k).to_owned(), *c))
        .collect();
    assert_eq!(table, rows);
    assert_eq!(table.len(), 494);
    for (k, c) in &rows {
        assert_eq!(keyword_category(k), Some(*c), "{k}");
    }
    assert_eq!(keyword_category("orders"), None);
}

#[test]
fn older_versions_are_subsets_of_18() {
    // Quoting with the newest list is safe for older servers only if no keyword got *less*
    // reserved; check that every older keyword is at least as reserved in 18 (or unreserved in both).
    for v in [15, 16, 17] {
        let Some(csv) =
            pgconnect_testkit::testdata_file(&format!("postgres/keywords/keywords.pg{v}.csv"))
        else {
            return;
        };
        for (k, c) in csv_rows(&std::fs::read_to_string(csv).unwrap()) {
            let now = keyword_category(&k);
            let old_bare = c == KeywordCategory::UnreservedKeyword;
            let new_bare = now.is_none_or(|n| n == KeywordCategory::UnreservedKeyword);
            assert!(
                old_bare || !new_bare,
                "{k} was {c:?} in {v} but is bare-safe in 18: quoting for 18 would break {v}"
            );
        }
    }
}

//! SASLprep's bidirectional check (RFC 4013 § 2.4, RFC 3454 § 6) reads two tables: RandALCat
//! (D.1) and LCat (D.2). `src/scram/bidi.rs` holds them as code-point ranges, generated here from
//! the `stringprep` crate's own tables, so the package does not carry unicode-bidi's full table
//! (18 KB) for them. A code point unassigned in Unicode 3.2 (table A.1) may fall inside a range:
//! SASLprep rejects such a string in step 2.5 whatever its bidi class, so bridging those gaps
//! changes no result and keeps the table short.
//!
//! This test fails when the file and the crate disagree on any assigned code point;
//! `PGCONNECT_BLESS=1 cargo test -p pgconnect-core --test saslprep_bidi` regenerates the file.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;

use pgconnect_core::scram::{bidi_tables, in_bidi_table};
use stringprep::tables;

fn chars() -> impl Iterator<Item = char> {
    (0..=0x10_FFFF_u32).filter_map(char::from_u32)
}

/// Ranges of the assigned code points `member` holds, bridged across unassigned ones.
fn ranges(member: fn(char) -> bool) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut open = false;
    for c in chars() {
        if tables::unassigned_code_point(c) {
            continue;
        }
        let n = u32::from(c);
        if member(c) {
            match out.last_mut() {
                Some(last) if open => last.1 = n,
                _ => out.push((n, n)),
            }
            open = true;
        } else {
            open = false;
        }
    }
    out
}

fn render(name: &str, what: &str, ranges: &[(u32, u32)]) -> String {
    let mut out = format!("/// {what}\npub(crate) static {name}: &[(u32, u32)] = &[\n");
    for (lo, hi) in ranges {
        let _ = writeln!(out, "    (0x{lo:04X}, 0x{hi:04X}),");
    }
    out.push_str("];\n");
    out
}

#[test]
fn the_bidi_tables_match_the_stringprep_crate() {
    let rand_al = ranges(tables::bidi_r_or_al);
    let l = ranges(tables::bidi_l);
    let text = format!(
        "// @generated from the `stringprep` crate's tables by `PGCONNECT_BLESS=1 cargo test -p\n\
         // pgconnect-core --test saslprep_bidi`. Do not edit by hand: that test fails when this file\n\
         // and the crate disagree on a code point assigned in Unicode 3.2.\n\n{}\n{}",
        render(
            "RAND_AL_CAT",
            "RFC 3454 table D.1: characters with bidirectional property R or AL.",
            &rand_al
        ),
        render(
            "L_CAT",
            "RFC 3454 table D.2: characters with bidirectional property L.",
            &l
        ),
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/scram/bidi.rs");
    if std::env::var_os("PGCONNECT_BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        text,
        "src/scram/bidi.rs is stale: PGCONNECT_BLESS=1 cargo test -p pgconnect-core --test \
         saslprep_bidi"
    );
    // and the compiled tables answer as the crate does for every assigned code point
    let (compiled_rand_al, compiled_l) = bidi_tables();
    let mut checked = 0;
    for c in chars().filter(|&c| !tables::unassigned_code_point(c)) {
        assert_eq!(
            in_bidi_table(c, compiled_rand_al),
            tables::bidi_r_or_al(c),
            "{c:?}"
        );
        assert_eq!(in_bidi_table(c, compiled_l), tables::bidi_l(c), "{c:?}");
        checked += 1;
    }
    assert!(checked > 90_000, "{checked} assigned code points");
    eprintln!(
        "{checked} assigned code points; {} RandALCat and {} LCat ranges",
        rand_al.len(),
        l.len()
    );
}

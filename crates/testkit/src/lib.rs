//! Test support shared by pgconnect's test suites: where the outside test data lives, and real
//! throwaway PostgreSQL servers ([`pg::PgServer`]) and OpenBao servers ([`bao::BaoServer`]),
//! a realistic database to check ([`shop`]) and certificates made in the test ([`tls`]). Nothing here is a mock: every server is a real
//! `postgres` process started from Debian's packages and stopped when the handle drops.

#![allow(clippy::print_stderr)]

pub mod bao;
pub mod logs;
pub mod pg;
pub mod shop;
pub mod tls;

use std::path::PathBuf;

/// The workspace root (two levels above this crate).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|p| p.parent())
        .map_or(here.clone(), PathBuf::from)
}

/// True when running under CI (`CI=true`), where missing prerequisites are failures, not skips.
#[must_use]
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The outside test data (`PGCONNECT_TESTDATA`, default `<workspace>/../shared/testdata`).
///
/// Where it is absent, says so on stderr and returns `None` so the caller can skip — except under
/// CI, where its absence fails the test.
#[must_use]
pub fn testdata_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PGCONNECT_TESTDATA").map_or_else(
        || workspace_root().join("..").join("shared").join("testdata"),
        PathBuf::from,
    );
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "test data not found at {} (set PGCONNECT_TESTDATA); under CI this is a failure",
        dir.display()
    );
    eprintln!(
        "SKIPPED: test data not found at {} (set PGCONNECT_TESTDATA to run this test)",
        dir.display()
    );
    None
}

/// A file inside the test data, or `None` (with the same skip rules as [`testdata_dir`]).
#[must_use]
pub fn testdata_file(relative: &str) -> Option<PathBuf> {
    let path = testdata_dir()?.join(relative);
    assert!(path.is_file(), "test data file missing: {}", path.display());
    Some(path)
}

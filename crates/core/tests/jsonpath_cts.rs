//! The RFC 9535 JSONPath Compliance Test Suite (`../shared/testdata/jsonpath-cts/cts.json`, 703
//! cases) through the core's JSONPath wrapper.
//!
//! The pass count is recorded in `PASSING`; the test fails if it drops below it (and asks to raise
//! it when it rises). Known deviations of jsonpath-rust 1.0.12, by cause, are listed in
//! `docs/jsonpath.md`.

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pgconnect_core::jsonpath::JsonPath;
use serde_json::Value;

/// Cases passed by jsonpath-rust 1.0.12 through the wrapper.
const PASSING: usize = 694;

#[test]
fn rfc9535_compliance_suite() {
    let Some(path) = pgconnect_testkit::testdata_file("jsonpath-cts/cts.json") else {
        return;
    };
    let cts: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tests = cts["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 703);
    let mut passed = 0;
    let mut failures: Vec<String> = Vec::new();
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let selector = t["selector"].as_str().unwrap();
        let compiled = std::panic::catch_unwind(|| JsonPath::compile(selector));
        let Ok(compiled) = compiled else {
            failures.push(format!("PANIC compile  {name}: {selector}"));
            continue;
        };
        if t["invalid_selector"].as_bool() == Some(true) {
            if compiled.is_err() {
                passed += 1;
            } else {
                failures.push(format!("accepted invalid  {name}: {selector}"));
            }
            continue;
        }
        let Ok(query) = compiled else {
            failures.push(format!(
                "rejected valid  {name}: {selector}: {:?}",
                compiled.err()
            ));
            continue;
        };
        let document = &t["document"];
        let got = std::panic::catch_unwind(|| {
            query
                .select(document)
                .into_iter()
                .cloned()
                .collect::<Vec<Value>>()
        });
        let Ok(got) = got else {
            failures.push(format!("PANIC select  {name}: {selector}"));
            continue;
        };
        let ok = if let Some(want) = t["result"].as_array() {
            &got == want
        } else {
            t["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|alt| alt.as_array().unwrap() == &got)
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("wrong result  {name}: {selector}"));
        }
    }
    if std::env::var("PGCONNECT_CTS_VERBOSE").is_ok() {
        for f in &failures {
            eprintln!("{f}");
        }
    }
    eprintln!("RFC 9535 CTS: {passed} of {} pass", tests.len());
    assert!(
        passed >= PASSING,
        "CTS pass count dropped: {passed} < {PASSING}"
    );
    assert!(
        passed == PASSING,
        "CTS pass count rose to {passed}: raise PASSING (was {PASSING})"
    );
}

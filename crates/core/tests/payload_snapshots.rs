//! Snapshot tests of the validation report for every payload in `tests/data/`: files under
//! `valid/` must validate (warnings allowed), files under `invalid/` must not, and every report is
//! compared with its reviewed snapshot in `tests/snapshots/` (update with `cargo insta review`).

// Test code: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use pgconnect_core::validate;

#[test]
fn payload_reports() {
    insta::glob!("data/**/*.json", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
        let report = validate(&payload);
        let dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        match dir {
            "valid" => assert!(report.is_valid(), "{}: {report:#?}", path.display()),
            "invalid" => assert!(!report.is_valid(), "{} validated", path.display()),
            other => panic!("payloads go under valid/ or invalid/, not {other}/"),
        }
        for d in &report.diagnostics {
            assert!(!d.message.is_empty() && !d.help.is_empty(), "{d:?}");
            assert!(d.path.is_empty() || d.path.starts_with('/'), "{d:?}");
        }
        insta::assert_json_snapshot!(report);
    });
}

#[test]
fn accepted_payloads_fit_the_wire_types() {
    // The TypeScript interfaces come from `pgconnect_core::wire`; every payload the validator
    // accepts without unknown fields must fit them, or the interfaces would lie.
    for entry in glob_files() {
        let text = std::fs::read_to_string(&entry).unwrap();
        let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
        let report = validate(&payload);
        let clean =
            report.is_valid() && !report.diagnostics.iter().any(|d| d.code == "field/unknown");
        let typed =
            serde_json::from_value::<pgconnect_core::wire::DatastorePayload>(payload.clone());
        if clean {
            assert!(typed.is_ok(), "{}: {:?}", entry.display(), typed.err());
        }
    }
}

#[test]
fn reports_never_contain_the_passwords() {
    for entry in glob_files() {
        let text = std::fs::read_to_string(&entry).unwrap();
        let payload: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rendered =
            serde_json::to_string(&validate(&payload)).unwrap() + &validate(&payload).render_text();
        for password in passwords(&payload) {
            assert!(
                !rendered.contains(&password),
                "{}: password {password:?} appears in the report",
                entry.display()
            );
        }
    }
}

fn passwords(v: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in ["/connection/password", "/credentials/password"] {
        match v.pointer(p) {
            // a `${key}` reference names where the password comes from; it is not the password
            Some(serde_json::Value::String(s))
                if s.trim().len() > 3 && !(s.starts_with("${") && s.ends_with('}')) =>
            {
                out.push(s.trim().to_owned())
            }
            Some(serde_json::Value::Number(n)) => out.push(n.to_string()),
            _ => {}
        }
    }
    out
}

fn glob_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = Vec::new();
    for dir in ["valid", "invalid"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert!(files.len() > 30);
    files
}

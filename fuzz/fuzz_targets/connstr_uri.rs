//! libpq URIs: any text after `postgresql://` parses to fields or a diagnostic, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::connstr::parse_connection_string;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = parse_connection_string(&format!("postgresql://{text}"));
    assert_eq!(p.is_ok(), p.report.is_valid());
    let _ = serde_json::to_string(&p);
});

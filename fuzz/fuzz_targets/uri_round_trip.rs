//! Building a libpq URI from a valid payload and parsing it back gives the payload's fields:
//! any host (an IPv6 one without its brackets), port, user, password, database, schema and
//! ssl_mode — and a payload the builder refuses is one with placeholders.
//!
//! Input: 2 bytes of port, 1 byte choosing ssl_mode, then `host \n user \n password \n database
//! \n schema`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::Secret;
use pgconnect_core::connstr::{build_uri, parse_connection_string};
use pgconnect_core::validate::analyze;
use serde_json::json;

const MODES: [&str; 7] = ["", "disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let mut f = rest.splitn(5, '\n');
    let mut next = || f.next().unwrap_or("x").to_owned();
    let (host, user, password, database, schema) = (next(), next(), next(), next(), next());
    let port = u16::from_be_bytes([head[0], head[1]]);
    let mode = MODES[usize::from(head[2]) % MODES.len()];
    let mut connection = json!({"type": "postgresql", "host": host, "port": port,
        "username": user, "password": password});
    if !mode.is_empty() {
        connection["ssl_mode"] = json!(mode);
    }
    let payload = json!({"name": "n", "teams": ["Public"], "database": database,
        "schema": schema, "connection": connection});
    let Some(request) = analyze(&payload, None).request else {
        return;
    };
    let uri = match build_uri(&request, true) {
        Ok(uri) => uri,
        Err(report) => {
            assert!(
                report.diagnostics.iter().all(|d| d.code == "connstr/unresolved-placeholder"),
                "{report:?}"
            );
            return;
        }
    };
    let back = parse_connection_string(&uri);
    assert!(back.is_ok(), "{uri}: {:?}", back.report);
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(&host);
    assert_eq!(back.host.as_deref(), Some(bare), "{uri}");
    assert_eq!(back.port, Some(port), "{uri}");
    assert_eq!(back.username.as_deref(), Some(user.as_str()), "{uri}");
    assert_eq!(back.password.as_ref().map(Secret::expose), Some(password.as_str()), "{uri}");
    assert_eq!(back.database.as_deref(), Some(database.as_str()), "{uri}");
    let schema_back = back.schema.as_deref().unwrap_or("public");
    assert_eq!(schema_back, schema, "{uri}");
    assert_eq!(back.ssl_mode.map(|m| m.to_string()).unwrap_or_default(), mode, "{uri}");
});

//! The generators the npm package and the CLI expose, on arbitrary options as JSON: GRANT and
//! REVOKE scripts, pg_hba.conf lines and error explanations give a text or a report, never a
//! panic; a written script names the role as PostgreSQL quotes it, and a pg_hba.conf line is one
//! line.
//!
//! Input: one byte choosing the generator, then the options' JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgconnect_core::explain::{ErrorInput, explain};
use pgconnect_core::grants::{GrantOptions, grant_sql, revoke_sql};
use pgconnect_core::hba::{HbaOptions, hba_line};
use pgconnect_core::quote_ident;

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let Ok(o) = serde_json::from_slice::<GrantOptions>(json) else {
                return;
            };
            for result in [grant_sql(&o), revoke_sql(&o)] {
                match result {
                    Ok(g) => {
                        assert!(g.report.is_valid(), "{:?}", g.report);
                        assert!(g.text.contains(quote_ident(&o.role).as_ref()), "{}", g.text);
                        assert!(!g.text.contains('\0'));
                    }
                    Err(r) => assert!(!r.is_valid()),
                }
            }
        }
        1 => {
            let Ok(o) = serde_json::from_slice::<HbaOptions>(json) else {
                return;
            };
            match hba_line(&o) {
                Ok(g) => assert!(!g.text.contains(['\n', '\r', '\0']), "{:?}", g.text),
                Err(r) => assert!(!r.is_valid()),
            }
        }
        _ => {
            let Ok(i) = serde_json::from_slice::<ErrorInput>(json) else {
                return;
            };
            let e = explain(&i);
            assert!(!e.code.is_empty() && !e.title.is_empty() && !e.cause.is_empty());
        }
    }
});

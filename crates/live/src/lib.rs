//! # pgconnect-live
//!
//! The native I/O edge shared by the `pgconnect` CLI and the server: it performs what the pure
//! core describes. The vault flow over HTTP ([`vault`], [`http`]), the staged Test Connection
//! against a real PostgreSQL server ([`check`]) with libpq's TLS modes on rustls ([`tls`]), and the
//! network policy that keeps checks away from internal addresses ([`policy`]).
//!
//! Logs go through `tracing` and never carry a password, token, credentials payload or secret
//! value (tests capture them and check).

pub mod catalog;
pub mod check;
pub mod http;
pub mod policy;
pub mod tls;
pub mod vault;

/// An error and its sources, `: `-joined (reqwest, tokio-postgres and rustls nest the useful part).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

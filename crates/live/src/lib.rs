//! # pgconnect-live
//!
//! The native I/O edge shared by the `pgconnect` CLI and (later) the server: it performs what the
//! pure core describes. Today: the vault flow over HTTP ([`vault`]). The live PostgreSQL check
//! comes with the live-test issue.
//!
//! Logs go through `tracing` and never carry a password, token, credentials payload or secret
//! value (tests capture them and check).

pub mod http;
pub mod vault;

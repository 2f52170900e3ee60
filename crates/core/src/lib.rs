//! # pgconnect-core
//!
//! The pure core of pgconnect, compiled natively and to WebAssembly. It validates PostgreSQL
//! datastore-connection payloads (Qualytics-style and CRAFT-style), quotes identifiers exactly as
//! PostgreSQL does, writes least-privilege GRANT SQL and pg_hba.conf lines, parses and builds
//! connection strings, and explains connection errors.
//!
//! **No I/O**: no files, sockets, clocks, environment or randomness. Callers (CLI, server, WASM)
//! do the I/O and feed the core data; anything random (a SCRAM salt) is an argument.

#![deny(clippy::print_stdout, clippy::print_stderr)]
#![warn(missing_docs)]

pub mod catalog;
pub mod check;
pub mod connstr;
pub mod diagnostic;
pub mod explain;
pub mod grants;
pub mod hba;
pub mod host;
pub mod ident;
pub mod jsonpath;
pub mod model;
pub mod patch;
pub mod placeholder;
pub mod preview;
pub mod resolve;
pub mod scram;
pub mod secret;
pub mod url;
pub mod validate;
pub mod vault;
pub mod wire;

pub use diagnostic::{Diagnostic, Path, Report, Severity};
pub use ident::{quote_ident, quote_literal};
pub use model::{
    Connection, ConnectionId, ConnectionRef, Connector, DatastoreKind, DatastoreRequest, PortSpec,
    Secrets, SecretsManagement, Shape, SslMode,
};
pub use secret::Secret;
pub use validate::{
    Analysis, DatastorePatch, LinkRequest, analyze, analyze_connection, analyze_datastore_patch,
    analyze_link, validate,
};

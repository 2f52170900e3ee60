//! One module per subcommand: its clap arguments and its `run`.

pub mod check;
pub mod explain;
pub mod grants;
pub mod hba;
pub mod key;
pub mod remote;
pub mod secrets;
pub mod serve;
pub mod store;
pub mod token;
pub mod uri;
pub mod validate;

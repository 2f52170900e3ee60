//! One module per subcommand: its clap arguments and its `run`.

pub mod explain;
pub mod grants;
pub mod hba;
pub mod uri;
pub mod validate;

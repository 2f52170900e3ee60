//! Where the registry and the server's key are: shared by `serve` and `token`.

use std::path::PathBuf;

use pgconnect_server::registry::crypto::{KEY_ENV, Keys, PREVIOUS_KEYS_ENV};
use pgconnect_server::registry::default_data_dir;
use pgconnect_server::registry::store::StoreLocation;

use crate::output::Unreadable;

/// `--data-dir` and `--store`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The server's directory: the SQLite registry (registry.db) and the key file (secret.key,
    /// mode 0600) unless PGCONNECT_SECRET_KEY is set. Default: the user's data directory.
    #[arg(long, env = "PGCONNECT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the registry in PostgreSQL instead (postgres://…), so that several servers share it;
    /// give them all the same PGCONNECT_SECRET_KEY.
    #[arg(long, env = "PGCONNECT_STORE", hide_env_values = true)]
    store: Option<String>,
}

impl StoreArgs {
    /// The data directory.
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(default_data_dir)
    }

    /// The registry's location.
    pub fn location(&self) -> Result<StoreLocation, Unreadable> {
        match &self.store {
            None => Ok(StoreLocation::Sqlite(self.data_dir())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(StoreLocation::Postgres(url.clone()))
            }
            Some(_) => Err(Unreadable(
                "--store takes a PostgreSQL URL (postgres://user@host/db); leave it out for the \
                 embedded SQLite store"
                    .to_owned(),
            )),
        }
    }

    /// The server's key: PGCONNECT_SECRET_KEY (with PGCONNECT_PREVIOUS_SECRET_KEYS), else the
    /// data directory's key file.
    pub fn keys(&self) -> Result<Keys, Unreadable> {
        let dir = self.data_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Unreadable(format!("cannot create {}: {e}", dir.display())))?;
        let env = std::env::var(KEY_ENV).ok();
        if self.store.is_some() && env.is_none() {
            eprintln!(
                "note: with --store, every server must use the same key: set {KEY_ENV} (this one \
                 uses {}/secret.key)",
                dir.display()
            );
        }
        let previous = std::env::var(PREVIOUS_KEYS_ENV).ok();
        Keys::load(env.as_deref(), previous.as_deref(), &dir).map_err(|e| Unreadable(e.to_string()))
    }
}

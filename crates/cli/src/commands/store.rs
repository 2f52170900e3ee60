//! Where the registry and the server's key are (shared by `serve`, `token` and `key`), and
//! `pgconnect store backup`.

use std::path::PathBuf;

use pgconnect_server::registry::crypto::{KEY_ENV, KEY_FILE, Keys, PREVIOUS_KEYS_ENV};
use pgconnect_server::registry::default_data_dir;
use pgconnect_server::registry::store::{Store, StoreLocation};

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

/// The registry itself.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Copy the SQLite registry to a file: one consistent snapshot, safe while the server runs.
    ///
    /// The copy holds the stored credentials sealed, never the key: keep the key (the data
    /// directory's secret.key, or PGCONNECT_SECRET_KEY) as well, and apart from the copy. To
    /// restore: stop the server, put the copy in the data directory as registry.db (removing
    /// registry.db-wal and registry.db-shm), start it with the same key. A PostgreSQL store
    /// (--store) is backed up with pg_dump.
    #[command(
        after_help = "Example:\n  pgconnect store backup --data-dir /var/lib/pgconnect --to /backups/registry-$(date +%F).db"
    )]
    Backup(BackupArgs),
}

/// `store backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist; it is created readable by its owner only).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(command: &Command) -> Result<crate::output::Outcome, Unreadable> {
    let Command::Backup(args) = command;
    let location = args.store.location()?;
    if let StoreLocation::Postgres(_) = location {
        return Err(Unreadable(
            "the registry is in PostgreSQL (--store): back it up with pg_dump; it holds the \
             credentials sealed, never the key"
                .to_owned(),
        ));
    }
    let dir = args.store.data_dir();
    if !dir.join("registry.db").is_file() {
        return Err(Unreadable(format!(
            "there is no registry in {} (no registry.db): give the server's --data-dir",
            dir.display()
        )));
    }
    let to = &args.to;
    // created empty first, owner-only, and never over an existing file; VACUUM INTO fills it
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(to).map_err(|e| {
        Unreadable(if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists: give a new file", to.display())
        } else {
            format!("cannot create {}: {e}", to.display())
        })
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    let written = runtime.block_on(async {
        let store = Store::open(&location).await?;
        let done = store.backup_to(to).await;
        store.close().await;
        done
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(to);
        return Err(Unreadable(format!("the backup failed: {e}")));
    }
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    let key = if std::env::var(KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        KEY_ENV.to_owned()
    } else {
        dir.join(KEY_FILE).display().to_string()
    };
    Ok(crate::output::Outcome::ok(format!(
        "Backed up the registry to {} ({bytes} bytes).\nThe key is not in it: keep {key} too, \
         apart from the copy; without it the stored credentials cannot be opened.\n",
        to.display()
    )))
}

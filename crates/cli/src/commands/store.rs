//! Where the registry and the server's key are (shared by `serve`, `token` and `key`), and
//! `pgconnect store backup` and `restore`.

use std::path::PathBuf;

use pgconnect_server::registry::crypto::{KEY_ENV, KEY_FILE, Keys, PREVIOUS_KEYS_ENV};
use pgconnect_server::registry::default_data_dir;
use pgconnect_server::registry::restore::{self, Access, create_private};
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
    /// Put a copy written by `store backup` in the SQLite registry's place, checked first.
    ///
    /// Refuses while a server runs on the data directory, and leaves the registry as it was when
    /// the copy is not a registry, is from a newer pgconnect, or is sealed with a key not given
    /// here (its secrets are all opened to check). The registry it replaces is kept beside it as
    /// registry-before-restore-<time>.db, and its tokens (with their revocations) and login links
    /// carry over: a copy made before a revocation does not bring the token back. A PostgreSQL
    /// store (--store) is restored with pg_restore or psql.
    #[command(
        after_help = "Example:\n  pgconnect store restore --data-dir /var/lib/pgconnect --from /backups/registry-2026-11-20.db"
    )]
    Restore(RestoreArgs),
}

/// `store restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The copy to restore, written by `pgconnect store backup`.
    #[arg(long)]
    from: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
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
    match command {
        Command::Backup(args) => backup(args),
        Command::Restore(args) => restore(args),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Unreadable> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))
}

/// Where the key is: the variable, or the data directory's file.
fn key_place(dir: &std::path::Path) -> String {
    if std::env::var(KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        KEY_ENV.to_owned()
    } else {
        dir.join(KEY_FILE).display().to_string()
    }
}

fn backup(args: &BackupArgs) -> Result<crate::output::Outcome, Unreadable> {
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
    create_private(to).map_err(Unreadable)?;
    let written = runtime()?.block_on(async {
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
    let key = key_place(&dir);
    Ok(crate::output::Outcome::ok(format!(
        "Backed up the registry to {} ({bytes} bytes).\nThe key is not in it: keep {key} too, \
         apart from the copy; without it the stored credentials cannot be opened.\n",
        to.display()
    )))
}

fn restore(args: &RestoreArgs) -> Result<crate::output::Outcome, Unreadable> {
    if let StoreLocation::Postgres(_) = args.store.location()? {
        return Err(Unreadable(
            "the registry is in PostgreSQL (--store): restore its pg_dump with pg_restore or \
             psql, and start the servers with the key it was made with"
                .to_owned(),
        ));
    }
    let dir = args.store.data_dir();
    // a missing key file would be made anew, and no copy opens with a new key
    if !(std::env::var(KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) || dir.join(KEY_FILE).is_file())
    {
        return Err(Unreadable(format!(
            "there is no key in {} (no {KEY_FILE}) and {KEY_ENV} is not set: give the key the \
             copy was made with, as {KEY_ENV} or as {}",
            dir.display(),
            dir.join(KEY_FILE).display()
        )));
    }
    let keys = args.store.keys()?;
    let restored = runtime()?
        .block_on(restore::restore(&dir, &args.from, &keys))
        .map_err(Unreadable)?;
    let mut out = format!(
        "Restored the registry in {} from {}: {} connection(s), {} datastore(s); all {} stored \
         secret(s) open with key {}.\n",
        dir.display(),
        args.from.display(),
        restored.connections,
        restored.datastores,
        restored.secrets,
        keys.id()
    );
    if let Some(kept) = &restored.kept {
        out.push_str(&format!(
            "The registry it replaced is kept as {}.\n",
            kept.display()
        ));
    }
    match &restored.access {
        Access::Carried {
            tokens,
            login_links,
        } => out.push_str(&format!(
            "Tokens and login links are the replaced registry's ({tokens} token(s), \
             {login_links} login link(s)): what was revoked or spent stays so.\n"
        )),
        Access::FromCopy(why) => {
            if let Some(why) = why {
                out.push_str(&format!(
                    "The replaced registry could not be opened ({why}), so tokens and login links \
                     are the copy's.\n"
                ));
            }
            out.push_str(&format!(
                "Tokens revoked after the copy was made work again until they expire: to end \
                 every token, run `pgconnect key rotate` (with {}) before starting the server.\n",
                key_place(&dir)
            ));
        }
    }
    out.push_str("Start the server.\n");
    Ok(crate::output::Outcome::ok(out))
}

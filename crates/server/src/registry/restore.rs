//! Restoring a SQLite registry from a copy written by `pgconnect store backup`
//! (`pgconnect store restore`), and the data directory's lock that keeps a restore and a running
//! server apart.
//!
//! The copy is checked in a staging directory before anything the server uses changes: it must be
//! a registry of this version or an older one (older ones are migrated), sealed with a key the
//! caller holds, and every stored secret must open with it. The registry it replaces is kept
//! beside it as a snapshot, and that registry's access state — issued tokens with their
//! revocations, and login links — carries over into the restored one: a copy made before a
//! revocation must not bring the revoked token back, nor a spent login link.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::crypto::Keys;
use super::store::{Store, StoreLocation};
use super::{Registry, now};

/// The registry file in a data directory.
pub const REGISTRY_FILE: &str = "registry.db";
/// The lock file in a data directory: a running server holds it shared, a restore exclusively.
pub const LOCK_FILE: &str = "registry.lock";
/// The staging directory a restore checks the copy in (removed when it ends).
const STAGING: &str = ".restore";
/// The restored registry, complete, just before it takes the registry's place.
const RESTORING: &str = "registry.db.restoring";

/// A hold on a data directory's lock; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Holds `dir`'s lock shared, as a server does for as long as it runs: any number of servers
/// may, but not while a restore runs.
pub fn lock_shared(dir: &Path) -> Result<DirLock, String> {
    let file = lock_file(dir)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "a restore of the registry is running in {} (`pgconnect store restore`): start the \
             server when it is done",
            dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(lock_error(dir, &e)),
    }
}

/// Holds `dir`'s lock exclusively: no server runs on it meanwhile.
fn lock_exclusive(dir: &Path) -> Result<DirLock, String> {
    let file = lock_file(dir)?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "a server is running on {} (it holds {LOCK_FILE}): stop it, restore, then start it \
             again",
            dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(lock_error(dir, &e)),
    }
}

fn lock_file(dir: &Path) -> Result<File, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| lock_error(dir, &e))
}

fn lock_error(dir: &Path, e: &std::io::Error) -> String {
    format!("cannot lock {}: {e}", dir.join(LOCK_FILE).display())
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// Connections in the restored registry.
    pub connections: i64,
    /// Datastores (CRAFT assets included) in it.
    pub datastores: i64,
    /// Stored secrets, every one opened with the keys.
    pub secrets: usize,
    /// Where the registry it replaced is kept, if there was one.
    pub kept: Option<PathBuf>,
    /// Whose access state the restored registry has.
    pub access: Access,
}

/// The tokens and login links of the restored registry.
#[derive(Debug)]
pub enum Access {
    /// Taken over from the registry it replaced.
    Carried {
        /// Tokens, revoked ones included.
        tokens: u64,
        /// Login links, spent ones included.
        login_links: u64,
    },
    /// The copy's own: there was no registry to take them from, or it could not be opened (the
    /// reason).
    FromCopy(Option<String>),
}

/// Restores `dir`'s SQLite registry from the copy `from`, opened with `keys`. Refuses while a
/// server runs on `dir`. On any refusal or failure the registry is as it was.
pub async fn restore(dir: &Path, from: &Path, keys: &Keys) -> Result<Restored, String> {
    check_header(from)?;
    let current = dir.join(REGISTRY_FILE);
    if same_file(from, &current) {
        return Err(format!(
            "{} is the registry itself: give a copy written by `pgconnect store backup`",
            from.display()
        ));
    }
    let _lock = lock_exclusive(dir)?;
    let staging = dir.join(STAGING);
    let restoring = dir.join(RESTORING);
    remove_dir(&staging)?;
    remove(&restoring)?;
    let mut kept = None;
    let done = stage_and_swap(dir, from, keys, &staging, &restoring, &mut kept).await;
    let _ = std::fs::remove_dir_all(&staging);
    let _ = std::fs::remove_file(&restoring);
    if done.is_err()
        && let Some(kept) = &kept
        && current.exists()
    {
        // nothing replaced: the snapshot of the registry that stays is not needed
        let _ = std::fs::remove_file(kept);
    }
    done
}

async fn stage_and_swap(
    dir: &Path,
    from: &Path,
    keys: &Keys,
    staging: &Path,
    restoring: &Path,
    kept: &mut Option<PathBuf>,
) -> Result<Restored, String> {
    std::fs::create_dir(staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let staged = staging.join(REGISTRY_FILE);
    std::fs::copy(from, &staged).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            staged.display()
        )
    })?;
    private(&staged)?;
    let not_restorable = |e: String| format!("cannot restore {}: {e}", from.display());
    Store::check_sqlite_registry(&staged)
        .await
        .map_err(|e| not_restorable(e.to_string()))?;
    let registry = open_copy(staging, keys).await.map_err(not_restorable)?;
    let restored = check_and_fill(dir, &registry, kept).await;
    let written = match restored {
        Ok(restored) => {
            create_private(restoring)?;
            registry
                .store()
                .backup_to(restoring)
                .await
                .map(|()| restored)
                .map_err(|e| format!("cannot write {}: {e}", restoring.display()))
        }
        Err(e) => Err(e),
    };
    registry.store().close().await;
    let restored = written?;
    swap(dir, restoring, &restored)?;
    Ok(restored)
}

/// Opens the staged copy (migrating it to this version's schema) after checking it is sealed with
/// a key `keys` holds; the refusal says which key it needs.
async fn open_copy(staging: &Path, keys: &Keys) -> Result<Registry, String> {
    let location = StoreLocation::Sqlite(staging.to_path_buf());
    let store = Store::open(&location).await.map_err(|e| e.to_string())?;
    let key_id = store.setting("key_id").await.map_err(|e| e.to_string());
    let sealed_with = store.secret_key_ids().await.map_err(|e| e.to_string());
    store.close().await;
    let unknown = key_id?
        .into_iter()
        .chain(sealed_with?)
        .find(|id| !keys.knows(id));
    if let Some(unknown) = unknown {
        return Err(format!(
            "its credentials are sealed with key {unknown}, and the key here is {}: give the key \
             the copy was made with (PGCONNECT_SECRET_KEY, or its secret.key in the data \
             directory); if the key was rotated since, give the new one in PGCONNECT_SECRET_KEY \
             and the old one in PGCONNECT_PREVIOUS_SECRET_KEYS, then run `pgconnect key rotate`",
            keys.id()
        ));
    }
    Registry::open(&location, keys.clone()).await
}

/// Opens every secret of the copy, snapshots the registry it replaces and takes over its access
/// state.
async fn check_and_fill(
    dir: &Path,
    registry: &Registry,
    kept: &mut Option<PathBuf>,
) -> Result<Restored, String> {
    let store = registry.store();
    let mut secrets = 0;
    for row in store.connections().await.map_err(|e| e.to_string())? {
        registry.open_connection(row.id).await.map_err(|e| {
            format!(
                "a stored credential of connection {} ({}) in the copy does not open: {e}",
                row.id, row.name
            )
        })?;
        secrets += row.secrets.len();
    }
    let (connections, datastores) = store.counts().await.map_err(|e| e.to_string())?;
    let access = if dir.join(REGISTRY_FILE).exists() {
        let snapshot = dir.join(format!(
            "registry-before-restore-{}.db",
            now().replace(':', "-")
        ));
        match snapshot_current(dir, &snapshot).await {
            Ok(()) => {
                *kept = Some(snapshot.clone());
                let (tokens, login_links) = store
                    .adopt_access_from(&snapshot)
                    .await
                    .map_err(|e| format!("cannot take over the tokens and login links: {e}"))?;
                Access::Carried {
                    tokens,
                    login_links,
                }
            }
            // a broken registry is moved aside as it is, in the swap
            Err(e) => {
                *kept = Some(snapshot);
                Access::FromCopy(Some(e))
            }
        }
    } else {
        Access::FromCopy(None)
    };
    Ok(Restored {
        connections,
        datastores,
        secrets,
        kept: kept.clone(),
        access,
    })
}

/// A consistent copy of the registry in `dir` (its write-ahead log included), at `to`.
async fn snapshot_current(dir: &Path, to: &Path) -> Result<(), String> {
    let store = Store::open(&StoreLocation::Sqlite(dir.to_path_buf()))
        .await
        .map_err(|e| e.to_string())?;
    create_private(to)?;
    let written = store.backup_to(to).await;
    store.close().await;
    written.map_err(|e| {
        let _ = std::fs::remove_file(to);
        e.to_string()
    })
}

/// Puts `restoring` in the registry's place. A registry that could not be opened is moved aside
/// first, with its write-ahead log; otherwise it is in the snapshot already, and its log is
/// removed so that SQLite does not replay it into the restored file.
fn swap(dir: &Path, restoring: &Path, restored: &Restored) -> Result<(), String> {
    let current = dir.join(REGISTRY_FILE);
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", current.display()));
        match (&restored.access, &restored.kept) {
            (Access::FromCopy(Some(_)), Some(kept)) if file.exists() => {
                let aside = PathBuf::from(format!("{}{suffix}", kept.display()));
                std::fs::rename(&file, &aside).map_err(|e| {
                    format!(
                        "cannot move {} aside to {}: {e}",
                        file.display(),
                        aside.display()
                    )
                })?;
            }
            _ if suffix.is_empty() => {}
            _ => remove(&file)?,
        }
    }
    std::fs::rename(restoring, &current).map_err(|e| {
        format!(
            "cannot move {} to {}: {e}",
            restoring.display(),
            current.display()
        )
    })
}

/// A SQLite database file starts with these 16 bytes.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

fn check_header(from: &Path) -> Result<(), String> {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    let read = File::open(from).and_then(|mut f| f.read_exact(&mut head));
    match read {
        Ok(()) if &head == SQLITE_HEADER => Ok(()),
        Ok(()) => Err(format!(
            "{} is not a SQLite database: give a file written by `pgconnect store backup`",
            from.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(format!(
            "{} is too short to be a SQLite database: give a file written by `pgconnect store \
             backup`",
            from.display()
        )),
        Err(e) => Err(format!("cannot read {}: {e}", from.display())),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Creates `path` empty and readable by its owner only; never over an existing file.
pub fn create_private(path: &Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists: give a new file", path.display())
        } else {
            format!("cannot create {}: {e}", path.display())
        }
    })
}

fn private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot make {} private: {e}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn remove(file: &Path) -> Result<(), String> {
    match std::fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", file.display()))
        }
        _ => Ok(()),
    }
}

fn remove_dir(dir: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", dir.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn servers_share_the_lock_and_a_restore_waits_for_none() {
        let dir = tempfile::tempdir().unwrap();
        let one = lock_shared(dir.path()).unwrap();
        let two = lock_shared(dir.path()).unwrap();
        let refused = lock_exclusive(dir.path()).unwrap_err();
        assert!(refused.contains("a server is running on"), "{refused}");
        drop((one, two));
        let restoring = lock_exclusive(dir.path()).unwrap();
        let refused = lock_shared(dir.path()).unwrap_err();
        assert!(
            refused.contains("a restore of the registry is running"),
            "{refused}"
        );
        drop(restoring);
        lock_shared(dir.path()).unwrap();
    }
}

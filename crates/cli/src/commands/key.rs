//! `pgconnect key rotate`: a new key for the registry's stored credentials and the tokens.

use pgconnect_server::registry::Registry;
use pgconnect_server::registry::crypto::{
    KEY_ENV, KEY_FILE, Keys, PREVIOUS_KEYS_ENV, drop_previous_keys, prepend_new_key,
};
use pgconnect_server::registry::store::StoreLocation;

use crate::commands::store::StoreArgs;
use crate::output::{Outcome, Unreadable};

/// The server's key: it seals stored credentials and signs tokens.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Rotate the key: re-seal every stored credential with a new key, in one transaction.
    ///
    /// With the data directory's key file (no PGCONNECT_SECRET_KEY): a new random key goes first
    /// in the file and the old one stays after it; every stored secret is re-sealed with the new
    /// key; then the old key is removed from the file. A crash at any point leaves a store that
    /// opens: run the command again. Stop the server before and start it after: a server still
    /// running with the old key refuses to save credentials (503 server/key-rotated).
    ///
    /// With PGCONNECT_SECRET_KEY (several servers on one --store): set it to the new key and
    /// PGCONNECT_PREVIOUS_SECRET_KEYS to the old one, restart every server, run this command with
    /// the same two variables, then remove PGCONNECT_PREVIOUS_SECRET_KEYS and restart again.
    ///
    /// Either way, tokens signed with the old key stop working once it is gone: mint new ones.
    #[command(
        after_help = "Examples:\n  pgconnect key rotate --data-dir /var/lib/pgconnect\n  PGCONNECT_SECRET_KEY=$(openssl rand -base64 32) PGCONNECT_PREVIOUS_SECRET_KEYS=$OLD_KEY \\\n    pgconnect key rotate --store postgres://pgconnect@registry-db/pgconnect"
    )]
    Rotate(RotateArgs),
}

/// `key rotate`.
#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(command: &Command) -> Result<Outcome, Unreadable> {
    let Command::Rotate(args) = command;
    let location = args.store.location()?;
    let from_env = std::env::var(KEY_ENV).is_ok_and(|v| !v.trim().is_empty());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unreadable(format!("cannot start the async runtime: {e}")))?;
    if from_env {
        let keys = args.store.keys()?;
        runtime.block_on(rotate_env(&location, keys))
    } else {
        let dir = args.store.data_dir();
        if !dir.join(KEY_FILE).exists() {
            return Err(Unreadable(format!(
                "there is no key file in {} (and {KEY_ENV} is not set): nothing was ever sealed \
                 there; give the server's --data-dir",
                dir.display()
            )));
        }
        // the store must open with the key file as it is before anything changes
        let keys = args.store.keys()?;
        runtime.block_on(rotate_file(&location, &dir, keys))
    }
}

async fn open(location: &StoreLocation, keys: Keys) -> Result<Registry, Unreadable> {
    Registry::open(location, keys).await.map_err(Unreadable)
}

/// Re-seals with the key file's new key, then drops the old one from the file.
async fn rotate_file(
    location: &StoreLocation,
    dir: &std::path::Path,
    keys: Keys,
) -> Result<Outcome, Unreadable> {
    open(location, keys.clone()).await?.store().close().await;
    let rotated = prepend_new_key(dir).map_err(|e| Unreadable(e.to_string()))?;
    let registry = open(location, rotated.clone()).await?;
    let resealed = registry
        .reseal_all()
        .await
        .map_err(|e| Unreadable(e.to_string()))?;
    let left = leftover(&registry, rotated.id()).await?;
    registry.store().close().await;
    let file = dir.join(KEY_FILE);
    let mut out = format!(
        "Key rotated: {} → {}. {resealed} stored secret(s) re-sealed with the new key.\n",
        keys.id(),
        rotated.id()
    );
    if left.is_empty() {
        drop_previous_keys(dir).map_err(|e| Unreadable(e.to_string()))?;
        out.push_str(&format!(
            "The old key is removed from {}.\n",
            file.display()
        ));
    } else {
        out.push_str(&format!(
            "Secrets sealed with {} appeared meanwhile (a server still running?), so the old \
             keys stay in {} as previous keys: stop every server and run `pgconnect key rotate` \
             again.\n",
            left.join(", "),
            file.display()
        ));
    }
    out.push_str(
        "Restart the server: until then it holds the old key. Tokens signed with the old key no \
         longer work: mint new ones with `pgconnect token create`.\n",
    );
    if matches!(location, StoreLocation::Postgres(_)) {
        out.push_str(&format!(
            "Every other server on this store needs the new key: copy {} to them, or set \
             {KEY_ENV} on all of them.\n",
            file.display()
        ));
    }
    Ok(Outcome::ok(out))
}

/// Re-seals with PGCONNECT_SECRET_KEY's key; the previous keys are the operator's to remove.
async fn rotate_env(location: &StoreLocation, keys: Keys) -> Result<Outcome, Unreadable> {
    let registry = open(location, keys.clone()).await?;
    let resealed = registry
        .reseal_all()
        .await
        .map_err(|e| Unreadable(e.to_string()))?;
    let left = leftover(&registry, keys.id()).await?;
    registry.store().close().await;
    if !left.is_empty() {
        return Err(Unreadable(format!(
            "secrets sealed with {} appeared while re-sealing (a server without the new key?): \
             give every server {KEY_ENV} and {PREVIOUS_KEYS_ENV}, then run this again",
            left.join(", ")
        )));
    }
    if keys.previous_ids().is_empty() {
        return Ok(Outcome::ok(format!(
            "Every stored secret is sealed with key {}; there was nothing to re-seal. To rotate, \
             set {KEY_ENV} to a new key (e.g. `openssl rand -base64 32`) and {PREVIOUS_KEYS_ENV} \
             to the old one, restart the servers, and run this again.\n",
            keys.id()
        )));
    }
    Ok(Outcome::ok(format!(
        "{resealed} stored secret(s) re-sealed with key {}; no secret uses the previous key(s) \
         {} any more. Remove {PREVIOUS_KEYS_ENV} and restart the servers: tokens signed with the \
         old key then stop working, so mint new ones with `pgconnect token create`.\n",
        keys.id(),
        keys.previous_ids().join(", ")
    )))
}

/// Key ids other than `current` still in use by stored secrets.
async fn leftover(registry: &Registry, current: &str) -> Result<Vec<String>, Unreadable> {
    Ok(registry
        .store()
        .secret_key_ids()
        .await
        .map_err(|e| Unreadable(e.to_string()))?
        .into_iter()
        .filter(|id| id != current)
        .collect())
}

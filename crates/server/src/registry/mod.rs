//! The registry: connections and datastores, kept in a [`store::Store`], credentials sealed with
//! the server's [`crypto::Keys`].
//!
//! Invariants:
//! - a connection's settings are stored as the canonical Qualytics `connection` object without
//!   its secrets ([`pgconnect_core::Secrets::Omit`]); the password and the vault credentials
//!   payload are sealed, each bound to its connection and field, and opened only to run a check;
//! - nothing read from the registry for an API answer carries a secret: views are built from the
//!   spec and the names of the stored secrets, never from their values.

pub mod crypto;
pub mod restore;
pub mod store;

use pgconnect_core::patch::StoredSecret;
use pgconnect_core::{Connection, Secrets};
use serde_json::Value;

use crypto::{KeyError, Keys, Sealed};
use store::{ConnectionRow, ConnectionWrite, Stamp, Store, StoreError, StoreLocation};

/// The secret fields a connection may have.
pub const PASSWORD: &str = "password";
/// The vault credentials payload.
pub const VAULT_CREDENTIALS: &str = "vault_credentials";

/// The stored field of a connection's secret.
#[must_use]
pub fn secret_field(secret: StoredSecret) -> &'static str {
    match secret {
        StoredSecret::Password => PASSWORD,
        StoredSecret::VaultCredentials => VAULT_CREDENTIALS,
    }
}

/// Store and keys.
#[derive(Debug, Clone)]
pub struct Registry {
    store: Store,
    keys: Keys,
}

/// Why the registry could not do something.
#[derive(Debug)]
pub enum RegistryError {
    /// From the store.
    Store(StoreError),
    /// A sealed value could not be opened.
    Key(KeyError),
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Store(e) => e.fmt(f),
            RegistryError::Key(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RegistryError {}

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        RegistryError::Store(e)
    }
}

impl From<KeyError> for RegistryError {
    fn from(e: KeyError) -> Self {
        RegistryError::Key(e)
    }
}

/// The current time, RFC 3339 UTC with seconds (sorts as text in both stores).
#[must_use]
pub fn now() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// `t` as RFC 3339 UTC, second precision.
#[must_use]
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Registry {
    /// Opens the store and checks that `keys` is the key its credentials were sealed with.
    pub async fn open(location: &StoreLocation, keys: Keys) -> Result<Registry, String> {
        let store = Store::open(location).await.map_err(|e| e.to_string())?;
        let in_force = store
            .setting_or_insert("key_id", keys.id())
            .await
            .map_err(|e| e.to_string())?;
        let sealed_with = store.secret_key_ids().await.map_err(|e| e.to_string())?;
        if let Some(unknown) = std::iter::once(&in_force)
            .chain(&sealed_with)
            .find(|id| !keys.knows(id))
        {
            return Err(KeyError::WrongKey {
                stored: unknown.clone(),
                ours: keys.id().to_owned(),
            }
            .to_string());
        }
        Ok(Registry { store, keys })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The keys.
    #[must_use]
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// What seals secrets: the keys.
    fn sealer(&self) -> &Keys {
        &self.keys
    }

    /// Re-seals every stored secret under the current key and records it as the store's key (see
    /// [`crypto`] on rotation). Returns how many secrets were re-sealed.
    pub async fn reseal_all(&self) -> Result<usize, RegistryError> {
        let keys = &self.keys;
        let reseal = |id: i64, field: &str, old: &Sealed| -> Result<Sealed, String> {
            let plain = keys
                .open(old, &context(id, field))
                .map_err(|e| e.to_string())?;
            keys.seal(&plain, &context(id, field))
                .map_err(|e| e.to_string())
        };
        Ok(self.store.reseal_all(keys.id(), &reseal).await?)
    }

    /// Stores a new connection, created `by` the caller; its id.
    pub async fn create_connection(
        &self,
        c: &Connection,
        name: &str,
        by: &str,
    ) -> Result<i64, RegistryError> {
        let spec = c.to_payload(Secrets::Omit);
        let write = connection_write(c, name, &spec);
        let at = now();
        Ok(self
            .store
            .insert_connection(&write, Stamp { at: &at, by }, self.sealer())
            .await?)
    }

    /// Replaces a stored connection with `c` (already merged and validated by the caller).
    /// `keep` lists the secret fields whose stored values stay (the request did not resend them);
    /// `by` is the caller.
    pub async fn replace_connection(
        &self,
        id: i64,
        c: &Connection,
        name: &str,
        keep: &[StoredSecret],
        by: &str,
    ) -> Result<bool, RegistryError> {
        let spec = c.to_payload(Secrets::Omit);
        let mut write = connection_write(c, name, &spec);
        let keep: Vec<&str> = keep.iter().map(|s| secret_field(*s)).collect();
        write.secrets.retain(|(field, _)| !keep.contains(field));
        for field in [PASSWORD, VAULT_CREDENTIALS] {
            let present = match field {
                PASSWORD => c.password.is_some(),
                _ => c.secrets_management.is_some(),
            };
            if !present {
                write.drop_secrets.push(field);
            }
        }
        let at = now();
        Ok(self
            .store
            .update_connection(id, &write, Stamp { at: &at, by }, self.sealer())
            .await?)
    }

    /// A stored connection with its secrets opened, ready for a check: the row, and the
    /// connection as a `connection` object (secrets included).
    pub async fn open_connection(
        &self,
        id: i64,
    ) -> Result<Option<(ConnectionRow, Value)>, RegistryError> {
        let Some(row) = self.store.connection(id).await? else {
            return Ok(None);
        };
        let mut spec = row.spec.clone();
        for (field, sealed) in self.store.secrets(id).await? {
            let plain = self.keys.open(&sealed, &context(id, &field))?;
            let text = String::from_utf8(plain).map_err(|_| KeyError::Tampered)?;
            insert_secret(&mut spec, &field, text);
        }
        Ok(Some((row, spec)))
    }

    /// Creates a datastore (and its new connection, if it brings one) in one transaction, `by`
    /// the caller.
    pub async fn create_datastore(
        &self,
        d: &store::NewDatastore,
        connection: NewOrExisting<'_>,
        by: &str,
    ) -> Result<i64, RegistryError> {
        let spec;
        let write;
        let target = match connection {
            NewOrExisting::Existing(id) => store::DatastoreConnection::Existing(id),
            NewOrExisting::New(c, name) => {
                spec = c.to_payload(Secrets::Omit);
                write = connection_write(c, name, &spec);
                store::DatastoreConnection::New(&write)
            }
        };
        let at = now();
        Ok(self
            .store
            .insert_datastore(d, target, Stamp { at: &at, by }, self.sealer())
            .await?)
    }
}

/// A datastore's connection, for [`Registry::create_datastore`].
#[derive(Debug)]
pub enum NewOrExisting<'a> {
    /// Stored.
    Existing(i64),
    /// New: the connection and its name.
    New(&'a Connection, &'a str),
}

impl store::Seal for Keys {
    fn seal(&self, id: i64, field: &str, plain: &str) -> Result<Sealed, String> {
        Keys::seal(self, plain.as_bytes(), &context(id, field)).map_err(|e| e.to_string())
    }

    fn knows(&self, key_id: &str) -> bool {
        Keys::knows(self, key_id)
    }
}

fn context(id: i64, field: &str) -> String {
    format!("connection:{id}:{field}")
}

fn connection_write<'a>(c: &'a Connection, name: &'a str, spec: &'a Value) -> ConnectionWrite<'a> {
    let mut secrets = Vec::new();
    if let Some(pw) = &c.password {
        secrets.push((PASSWORD, pw.expose()));
    }
    if let Some(sm) = &c.secrets_management {
        secrets.push((VAULT_CREDENTIALS, sm.credentials_payload.expose()));
    }
    ConnectionWrite {
        name,
        spec,
        secrets,
        drop_secrets: Vec::new(),
    }
}

/// Puts an opened secret back where the `connection` object carries it.
fn insert_secret(spec: &mut Value, field: &str, text: String) {
    let Some(obj) = spec.as_object_mut() else {
        return;
    };
    match field {
        PASSWORD => {
            obj.insert("password".to_owned(), Value::String(text));
        }
        VAULT_CREDENTIALS => {
            if let Some(Value::Object(sm)) = obj.get_mut("secrets_management") {
                sm.insert("credentials_payload".to_owned(), Value::String(text));
            }
        }
        _ => {}
    }
}

/// Where the server keeps its files by default: the user's data directory.
#[must_use]
pub fn default_data_dir() -> std::path::PathBuf {
    dirs::data_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("pgconnect")
}

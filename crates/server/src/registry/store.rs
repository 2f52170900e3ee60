//! Where the registry's rows live: SQLite in a data directory (the default) or PostgreSQL (several
//! servers behind a load balancer). One set of SQL statements serves both, through sqlx's Any
//! driver (`$1`-style parameters, which SQLite accepts too); the schema differs only in id and blob
//! types (`migrations/sqlite`, `migrations/postgres`). Every write that must be durable is one
//! transaction, committed before the handler answers.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row, SqlStr};

use super::crypto::Sealed;

/// Which store, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// `registry.db` in this directory (created if absent).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://…`): a database of the registry's own.
    Postgres(String),
}

impl fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(dir) => write!(f, "Sqlite({})", dir.display()),
            // the URL may carry a password
            StoreLocation::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Sqlite(dir) => write!(f, "SQLite in {}", dir.display()),
            StoreLocation::Postgres(url) => write!(f, "PostgreSQL at {}", redact_url(url)),
        }
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:********@host/db`.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:{}", pgconnect_core::secret::MASK)
            } else {
                user.to_owned()
            };
            let tail = redact_query_password(tail);
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => format!("{scheme}://{authority}{}", redact_query_password(tail)),
    }
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                format!("{k}={}", pgconnect_core::secret::MASK)
            }
            _ => kv.to_owned(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// A store failure, said in words (never with a password).
#[derive(Debug)]
pub enum StoreError {
    /// A unique constraint: the name is taken.
    Conflict,
    /// A foreign key: the row is still referenced, or refers to a row that is gone.
    InUse,
    /// Opening or migrating the store failed.
    Open(String),
    /// The store's secrets are sealed with a key this server does not have: the key was rotated
    /// while it ran. Nothing was written.
    KeyRotated {
        /// The store's key id.
        store: String,
    },
    /// Anything else from the database.
    Database(sqlx::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict => f.write_str("a record with that name exists"),
            StoreError::InUse => f.write_str("the record is referenced by another record"),
            StoreError::Open(why) => f.write_str(why),
            StoreError::KeyRotated { store } => write!(
                f,
                "the registry's secrets are now sealed with key {store}, which this server does \
                 not have: the key was rotated while it ran; restart it with the new key"
            ),
            StoreError::Database(e) => write!(f, "the registry's database failed: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Conflict;
            }
            if db.is_foreign_key_violation() {
                return StoreError::InUse;
            }
        }
        StoreError::Database(e)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// Which database the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A stored connection without its secrets.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// The canonical `connection` object, without password or vault credentials.
    pub spec: Value,
    /// Which secrets are stored (`password`, `vault_credentials`).
    pub secrets: Vec<String>,
    /// Datastores that use it.
    pub datastores: i64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Who created it (`None`: before pgconnect recorded it).
    pub created_by: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// A stored datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatastoreRow {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// `source` or `enrichment`.
    pub kind: String,
    /// Its connection.
    pub connection_id: i64,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
    /// Teams that see it.
    pub teams: Vec<String>,
    /// Enrichment table prefix.
    pub enrichment_prefix: Option<String>,
    /// Discover the catalog after create.
    pub trigger_catalog: bool,
    /// CRAFT description.
    pub description: Option<String>,
    /// CRAFT project; `None` for Qualytics datastores.
    pub project: Option<String>,
    /// The linked enrichment datastore.
    pub enrichment_id: Option<i64>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Who created it (`None`: before pgconnect recorded it).
    pub created_by: Option<String>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// What a new datastore row holds (ids and times are the store's).
#[derive(Debug, Clone)]
pub struct NewDatastore {
    /// Display name.
    pub name: String,
    /// `source` or `enrichment`.
    pub kind: &'static str,
    /// Database name.
    pub database: String,
    /// Schema name.
    pub schema: String,
    /// Teams.
    pub teams: Vec<String>,
    /// Prefix.
    pub enrichment_prefix: Option<String>,
    /// Discover the catalog after create.
    pub trigger_catalog: bool,
    /// CRAFT description.
    pub description: Option<String>,
    /// CRAFT project.
    pub project: Option<String>,
}

/// A new or replaced connection: its row and its secrets, sealed by `seal(id, field, value)` once
/// the id is known (the id is part of what a sealed value is bound to).
#[derive(Debug)]
pub struct ConnectionWrite<'a> {
    /// Unique name.
    pub name: &'a str,
    /// Canonical spec without secrets.
    pub spec: &'a Value,
    /// `(field, plaintext)`; a field not listed keeps its stored value on update.
    pub secrets: Vec<(&'static str, &'a str)>,
    /// Fields to delete on update (e.g. `vault_credentials` when vault settings are removed).
    pub drop_secrets: Vec<&'static str>,
}

/// When a write happens and whose it is: the subject of the caller's token.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// RFC 3339.
    pub at: &'a str,
    /// Who.
    pub by: &'a str,
}

/// The pool and its backend.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registry",
        include_str!("../../migrations/sqlite/0001_registry.sql"),
    ),
    (
        2,
        "tokens",
        include_str!("../../migrations/sqlite/0002_tokens.sql"),
    ),
    (
        3,
        "catalog_run",
        include_str!("../../migrations/sqlite/0003_catalog_run.sql"),
    ),
    (
        4,
        "login_link_roles",
        include_str!("../../migrations/sqlite/0004_login_link_roles.sql"),
    ),
    (
        5,
        "authors",
        include_str!("../../migrations/sqlite/0005_authors.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "registry",
        include_str!("../../migrations/postgres/0001_registry.sql"),
    ),
    (
        2,
        "tokens",
        include_str!("../../migrations/postgres/0002_tokens.sql"),
    ),
    (
        3,
        "catalog_run",
        include_str!("../../migrations/postgres/0003_catalog_run.sql"),
    ),
    (
        4,
        "login_link_roles",
        include_str!("../../migrations/postgres/0004_login_link_roles.sql"),
    ),
    (
        5,
        "authors",
        include_str!("../../migrations/postgres/0005_authors.sql"),
    ),
];

impl Store {
    /// A write transaction. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`): a
    /// deferred transaction that reads and then writes fails at once with "database is locked"
    /// when another writer committed in between (the busy timeout does not apply to that case).
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Opens (creating and migrating as needed) the store.
    pub async fn open(location: &StoreLocation) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend, max) = match location {
            StoreLocation::Sqlite(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Open(format!("cannot create {}: {e}", dir.display()))
                })?;
                (sqlite_url(&dir.join("registry.db")), Backend::Sqlite, 4)
            }
            StoreLocation::Postgres(url) => (url.clone(), Backend::Postgres, 10),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(|e| {
                StoreError::Open(format!(
                    "cannot open the registry ({location}): {}",
                    scrub(&e.to_string(), &url)
                ))
            })?;
        if backend == Backend::Sqlite {
            // WAL: readers do not wait for the writer; synchronous stays FULL (sqlx's default), so
            // a committed transaction survives a crash of the process or the machine.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        let migrations = match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrator = Migrator {
            migrations: Cow::Owned(
                migrations
                    .iter()
                    .map(|(v, d, sql)| {
                        Migration::new(
                            *v,
                            Cow::Borrowed(*d),
                            MigrationType::Simple,
                            SqlStr::from_static(sql),
                            false,
                        )
                    })
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::Open(format!("cannot migrate the registry: {e}")))?;
        Ok(Store { pool, backend })
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Writes a consistent copy of a SQLite store into `to`, which must be absent or an empty
    /// file (`VACUUM INTO`: one snapshot, taken while servers go on using the store, compacted).
    /// The copy holds secrets sealed, never the key. A PostgreSQL store is backed up with its own
    /// tools (`pg_dump`).
    pub async fn backup_to(&self, to: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Open(
                "the registry is in PostgreSQL: back it up with pg_dump (it holds secrets sealed, \
                 never the key)"
                    .to_owned(),
            ));
        }
        let Some(to) = to.to_str() else {
            return Err(StoreError::Open(format!(
                "{} is not a UTF-8 path SQLite can be given",
                to.display()
            )));
        };
        sqlx::query("VACUUM INTO $1")
            .bind(to.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checks, without changing it, that the SQLite file `file` is a pgconnect registry this
    /// version can open: it has the registry's tables, and no migration newer than this version
    /// knows (older registries are migrated when opened).
    pub async fn check_sqlite_registry(file: &Path) -> Result<()> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=ro", file.display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .map_err(|e| StoreError::Open(format!("cannot open {}: {e}", file.display())))?;
        let checked = check_registry_tables(&pool).await;
        pool.close().await;
        checked
    }

    /// How many connections and datastores (CRAFT assets included) the store holds.
    pub async fn counts(&self) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM connections) AS connections, \
                    (SELECT COUNT(*) FROM datastores) AS datastores",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("connections")?, row.try_get("datastores")?))
    }

    /// Replaces this SQLite store's access state — issued tokens (revocations included) and
    /// login links (spent ones included) — with the one in the SQLite registry file `from`, which
    /// must have this version's schema. Used by a restore: a copy made before a revocation must
    /// not bring the revoked token back, nor a spent login link. Returns how many tokens and
    /// login links were taken over.
    pub async fn adopt_access_from(&self, from: &Path) -> Result<(u64, u64)> {
        let Some(from) = from.to_str() else {
            return Err(StoreError::Open(format!(
                "{} is not a UTF-8 path SQLite can be given",
                from.display()
            )));
        };
        // ATTACH holds for one connection, and cannot run inside a transaction
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ATTACH DATABASE $1 AS previous")
            .bind(from.to_owned())
            .execute(&mut *conn)
            .await?;
        let adopted = adopt_access(&mut conn).await;
        let detached = sqlx::query("DETACH DATABASE previous")
            .execute(&mut *conn)
            .await;
        let adopted = adopted?;
        detached?;
        Ok(adopted)
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ----- settings -----

    /// A setting's value.
    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
    }

    /// Sets a setting if it is not set; returns the value in force.
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(value.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(self
            .setting(name)
            .await?
            .unwrap_or_else(|| value.to_owned()))
    }

    /// True when the store holds no connection and no datastore.
    pub async fn is_empty(&self) -> Result<bool> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM connections) + (SELECT COUNT(*) FROM datastores) AS n",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? == 0)
    }

    // ----- connections -----

    /// Inserts a connection and its sealed secrets in one transaction.
    pub async fn insert_connection(
        &self,
        write: &ConnectionWrite<'_>,
        stamp: Stamp<'_>,
        seal: Sealer<'_>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let id = insert_connection(&mut tx, write, stamp, seal).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces a connection's name and spec; writes the listed secrets, drops the dropped ones.
    /// `false` when there is no such connection.
    pub async fn update_connection(
        &self,
        id: i64,
        write: &ConnectionWrite<'_>,
        stamp: Stamp<'_>,
        seal: Sealer<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        // first, before this transaction locks any secret a rotation would wait for
        if !write.secrets.is_empty() {
            fence(&mut tx, seal).await?;
        }
        let done = sqlx::query(
            "UPDATE connections SET name = $1, spec = $2, updated_at = $3, updated_by = $4 \
             WHERE id = $5",
        )
        .bind(write.name.to_owned())
        .bind(write.spec.to_string())
        .bind(stamp.at.to_owned())
        .bind(stamp.by.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for field in &write.drop_secrets {
            sqlx::query("DELETE FROM connection_secrets WHERE connection_id = $1 AND field = $2")
                .bind(id)
                .bind((*field).to_owned())
                .execute(&mut *tx)
                .await?;
        }
        for (field, plain) in &write.secrets {
            let sealed = seal.seal(id, field, plain).map_err(StoreError::Open)?;
            sqlx::query("DELETE FROM connection_secrets WHERE connection_id = $1 AND field = $2")
                .bind(id)
                .bind((*field).to_owned())
                .execute(&mut *tx)
                .await?;
            put_secret(&mut tx, id, field, &sealed).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Every connection, by id.
    pub async fn connections(&self) -> Result<Vec<ConnectionRow>> {
        let rows = sqlx::query(CONNECTION_SELECT_ALL)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(connection_row).collect()
    }

    /// One connection.
    pub async fn connection(&self, id: i64) -> Result<Option<ConnectionRow>> {
        let row = sqlx::query(CONNECTION_SELECT_ONE)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_row).transpose()
    }

    /// One connection by its name.
    pub async fn connection_id_by_name(&self, name: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM connections WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>("id")).transpose()?)
    }

    /// A connection's sealed secrets.
    pub async fn secrets(&self, id: i64) -> Result<Vec<(String, Sealed)>> {
        let rows = sqlx::query(
            "SELECT field, key_id, nonce, ciphertext FROM connection_secrets \
             WHERE connection_id = $1 ORDER BY field",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("field")?,
                    Sealed {
                        key_id: r.try_get("key_id")?,
                        nonce: r.try_get("nonce")?,
                        ciphertext: r.try_get("ciphertext")?,
                    },
                ))
            })
            .collect()
    }

    /// The distinct key ids the stored secrets are sealed with.
    pub async fn secret_key_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT key_id FROM connection_secrets ORDER BY key_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("key_id")?))
            .collect()
    }

    /// Re-seals, in one transaction, every secret not sealed with key `current` (`reseal` opens
    /// it with the key that sealed it and seals it again with `current`), and records `current`
    /// as the store's key. Returns how many secrets were re-sealed. The key setting is written
    /// first: its row lock makes writers that seal meanwhile wait, so none is missed.
    pub async fn reseal_all(
        &self,
        current: &str,
        reseal: &(dyn Fn(i64, &str, &Sealed) -> std::result::Result<Sealed, String> + Sync),
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ('key_id', $1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(current.to_owned())
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT connection_id, field, key_id, nonce, ciphertext FROM connection_secrets \
             WHERE key_id <> $1 ORDER BY connection_id, field",
        )
        .bind(current.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            let id: i64 = r.try_get("connection_id")?;
            let field: String = r.try_get("field")?;
            let old = Sealed {
                key_id: r.try_get("key_id")?,
                nonce: r.try_get("nonce")?,
                ciphertext: r.try_get("ciphertext")?,
            };
            let new = reseal(id, &field, &old).map_err(StoreError::Open)?;
            sqlx::query(
                "UPDATE connection_secrets SET key_id = $1, nonce = $2, ciphertext = $3 \
                 WHERE connection_id = $4 AND field = $5",
            )
            .bind(new.key_id)
            .bind(new.nonce)
            .bind(new.ciphertext)
            .bind(id)
            .bind(field)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Deletes a connection unused by any datastore. `Ok(None)`: no such connection;
    /// `Ok(Some(n))` with n > 0: refused, n datastores use it.
    pub async fn delete_connection(&self, id: i64) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let used = sqlx::query("SELECT COUNT(*) AS n FROM datastores WHERE connection_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("n")?;
        if used > 0 {
            return Ok(Some(used));
        }
        sqlx::query("DELETE FROM connection_secrets WHERE connection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM connections WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((done.rows_affected() > 0).then_some(0))
    }

    // ----- datastores -----

    /// Inserts a datastore on an existing connection, or on a new one written in the same
    /// transaction (`Err(StoreError::InUse)` if the connection is gone).
    pub async fn insert_datastore(
        &self,
        d: &NewDatastore,
        connection: DatastoreConnection<'_>,
        stamp: Stamp<'_>,
        seal: Sealer<'_>,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let connection_id = match connection {
            DatastoreConnection::Existing(id) => id,
            DatastoreConnection::New(write) => {
                insert_connection(&mut tx, write, stamp, seal).await?
            }
        };
        let teams = serde_json::to_string(&d.teams).unwrap_or_else(|_| "[]".to_owned());
        let row = sqlx::query(
            "INSERT INTO datastores (name, kind, connection_id, database_name, schema_name, teams, \
             enrichment_prefix, trigger_catalog, description, project, created_at, updated_at, \
             created_by, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $12) RETURNING id",
        )
        .bind(d.name.clone())
        .bind(d.kind.to_owned())
        .bind(connection_id)
        .bind(d.database.clone())
        .bind(d.schema.clone())
        .bind(teams)
        .bind(d.enrichment_prefix.clone())
        .bind(i64::from(d.trigger_catalog))
        .bind(d.description.clone())
        .bind(d.project.clone())
        .bind(stamp.at.to_owned())
        .bind(stamp.by.to_owned())
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Datastores of a scope: Qualytics (`project` None) or one CRAFT project.
    pub async fn datastores(&self, project: Option<&str>) -> Result<Vec<DatastoreRow>> {
        let rows = match project {
            None => {
                sqlx::query("SELECT * FROM datastores WHERE project IS NULL ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(p) => {
                sqlx::query("SELECT * FROM datastores WHERE project = $1 ORDER BY id")
                    .bind(p.to_owned())
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(datastore_row).collect()
    }

    /// One datastore, whatever its scope.
    pub async fn datastore(&self, id: i64) -> Result<Option<DatastoreRow>> {
        let row = sqlx::query("SELECT * FROM datastores WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(datastore_row).transpose()
    }

    /// Deletes a datastore (its catalog goes with it; sources linked to it are unlinked).
    pub async fn delete_datastore(&self, id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE datastores SET enrichment_id = NULL WHERE enrichment_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM catalogs WHERE datastore_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM datastores WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Applies a change to a datastore's own fields (each `None` keeps the stored value) and, when
    /// the change moves it to another database or schema, drops its catalog in the same
    /// transaction: the tables it lists are no longer the datastore's.
    pub async fn update_datastore(
        &self,
        id: i64,
        change: &pgconnect_core::DatastorePatch,
        stamp: Stamp<'_>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let teams = change
            .teams
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".to_owned()));
        let done = sqlx::query(
            "UPDATE datastores SET name = COALESCE($1, name), teams = COALESCE($2, teams), \
             database_name = COALESCE($3, database_name), \
             schema_name = COALESCE($4, schema_name), \
             enrichment_prefix = CASE WHEN $5 THEN $6 ELSE enrichment_prefix END, \
             trigger_catalog = COALESCE($7, trigger_catalog), updated_at = $8, updated_by = $9 \
             WHERE id = $10",
        )
        .bind(change.name.clone())
        .bind(teams)
        .bind(change.database.clone())
        .bind(change.schema.clone())
        .bind(change.enrichment_prefix.is_some())
        .bind(change.enrichment_prefix.clone().flatten())
        .bind(change.trigger_catalog.map(i64::from))
        .bind(stamp.at.to_owned())
        .bind(stamp.by.to_owned())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.moves_tables() {
            sqlx::query("DELETE FROM catalogs WHERE datastore_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets or clears a datastore's enrichment link and, when `prefix` is `Some`, its enrichment
    /// prefix (`Some(None)` removes it; `None` leaves it as it is).
    pub async fn set_enrichment(
        &self,
        id: i64,
        enrichment: Option<i64>,
        prefix: Option<Option<&str>>,
        stamp: Stamp<'_>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE datastores SET enrichment_id = $1, updated_at = $2, updated_by = $6, \
             enrichment_prefix = CASE WHEN $3 THEN $4 ELSE enrichment_prefix END WHERE id = $5",
        )
        .bind(enrichment)
        .bind(stamp.at.to_owned())
        .bind(prefix.is_some())
        .bind(prefix.flatten().map(str::to_owned))
        .bind(id)
        .bind(stamp.by.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    // ----- catalogs -----

    /// Marks a datastore's catalog running, as discovery `run` (a random id) started at
    /// `started_at`: whatever the row held before is replaced.
    pub async fn start_catalog(&self, datastore: i64, run: &str, started_at: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO catalogs (datastore_id, status, started_at, finished_at, body, run) \
             VALUES ($1, 'running', $2, NULL, NULL, $3) ON CONFLICT (datastore_id) DO UPDATE SET \
             status = excluded.status, started_at = excluded.started_at, \
             finished_at = excluded.finished_at, body = excluded.body, run = excluded.run",
        )
        .bind(datastore)
        .bind(started_at.to_owned())
        .bind(run.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the end of discovery `run`, if the row is still that run's and running: `false`
    /// when the datastore was deleted, moved to other tables (its catalog dropped) or a later
    /// discovery took over, and the result no longer belongs to it.
    pub async fn finish_catalog(
        &self,
        datastore: i64,
        run: &str,
        status: &str,
        finished_at: &str,
        body: &Value,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE catalogs SET status = $1, finished_at = $2, body = $3 \
             WHERE datastore_id = $4 AND run = $5 AND status = 'running'",
        )
        .bind(status.to_owned())
        .bind(finished_at.to_owned())
        .bind(body.to_string())
        .bind(datastore)
        .bind(run.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A datastore's catalog: (status, started, finished, body).
    pub async fn catalog(&self, datastore: i64) -> Result<Option<CatalogRow>> {
        let row = sqlx::query(
            "SELECT status, started_at, finished_at, body FROM catalogs WHERE datastore_id = $1",
        )
        .bind(datastore)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let body: Option<String> = r.try_get("body")?;
            Ok(CatalogRow {
                status: r.try_get("status")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                body: body.and_then(|b| serde_json::from_str(&b).ok()),
            })
        })
        .transpose()
    }

    // ----- login codes -----

    /// Stores a login code's hash and the session it opens, first forgetting the codes that
    /// expired by `now` (used or not: an expired code opens nothing and is listed nowhere), so
    /// the table holds no more than the codes made within one link's lifetime.
    pub async fn insert_login_code(
        &self,
        hash: &str,
        now: &str,
        expires: &str,
        grant: &LoginGrant,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_codes WHERE expires_at <= $1")
            .bind(now.to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO login_codes (code_hash, created_at, expires_at, subject, role, teams) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash.to_owned())
        .bind(now.to_owned())
        .bind(expires.to_owned())
        .bind(grant.subject.clone())
        .bind(grant.role.clone())
        .bind(serde_json::to_string(&grant.teams).unwrap_or_else(|_| "[]".to_owned()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session an unused, unexpired login code opens; `None` for any other code.
    pub async fn login_code(&self, hash: &str, now: &str) -> Result<Option<LoginGrant>> {
        let row = sqlx::query(
            "SELECT subject, role, teams FROM login_codes \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(hash.to_owned())
        .bind(now.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(LoginGrant {
                subject: r.try_get("subject")?,
                role: r.try_get("role")?,
                teams: json_column(&r, "teams")?,
            })
        })
        .transpose()
    }

    /// The login links still usable at `now` (neither used nor expired), newest first: each by
    /// the first 16 hex digits of its code's hash (the code itself is never kept).
    pub async fn open_login_links(&self, now: &str) -> Result<Vec<LoginLinkRow>> {
        sqlx::query(
            "SELECT substr(code_hash, 1, 16) AS id, subject, role, teams, created_at, expires_at \
             FROM login_codes WHERE used_at IS NULL AND expires_at > $1 \
             ORDER BY created_at DESC, code_hash",
        )
        .bind(now.to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(LoginLinkRow {
                id: r.try_get("id")?,
                grant: LoginGrant {
                    subject: r.try_get("subject")?,
                    role: r.try_get("role")?,
                    teams: json_column(r, "teams")?,
                },
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
    }

    /// Withdraws an unused login link (by its id from [`Store::open_login_links`]): true when
    /// one was withdrawn.
    pub async fn withdraw_login_link(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM login_codes WHERE substr(code_hash, 1, 16) = $1 AND used_at IS NULL",
        )
        .bind(id.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Spends a one-time login code and records the session token it opens, in one transaction:
    /// true when this call spent it. A code that is unknown, used or expired records nothing
    /// (false); a failure spends nothing, so the link still works once the store answers.
    pub async fn spend_login_code(
        &self,
        hash: &str,
        now: &str,
        token: &TokenRow,
        prune_before: &str,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE login_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now.to_owned())
        .bind(hash.to_owned())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        record_token(&mut tx, token, prune_before).await?;
        tx.commit().await?;
        Ok(true)
    }

    // ----- issued tokens -----

    /// Records an issued token, and forgets tokens that expired more than a week ago (`now` and
    /// `prune_before` are RFC 3339, which sorts as text).
    pub async fn insert_token(&self, token: &TokenRow, prune_before: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        record_token(&mut tx, token, prune_before).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every recorded token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        sqlx::query(
            "SELECT jti, subject, role, teams, kind, issued_at, expires_at, revoked_at \
             FROM tokens ORDER BY issued_at, jti",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(token_row)
        .collect()
    }

    /// Revokes the tokens with these ids; the ids this call revoked (not those unknown or
    /// revoked before).
    pub async fn revoke_tokens(&self, jtis: &[String], now: &str) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let mut revoked = Vec::new();
        for jti in jtis {
            let done = sqlx::query(
                "UPDATE tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL",
            )
            .bind(now.to_owned())
            .bind(jti.clone())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                revoked.push(jti.clone());
            }
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// The recorded token with this id.
    pub async fn token(&self, jti: &str) -> Result<Option<TokenRow>> {
        sqlx::query(
            "SELECT jti, subject, role, teams, kind, issued_at, expires_at, revoked_at \
             FROM tokens WHERE jti = $1",
        )
        .bind(jti.to_owned())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    /// True when the token with this id was revoked.
    pub async fn token_revoked(&self, jti: &str) -> Result<bool> {
        let row =
            sqlx::query("SELECT 1 AS one FROM tokens WHERE jti = $1 AND revoked_at IS NOT NULL")
                .bind(jti.to_owned())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }
}

/// The registry's own tables, and the `_sqlx_migrations` table that says which schema it has.
const REGISTRY_TABLES: [&str; 4] = ["_sqlx_migrations", "connections", "datastores", "settings"];

/// [`Store::check_sqlite_registry`] on an open pool.
async fn check_registry_tables(pool: &AnyPool) -> Result<()> {
    let tables = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(pool)
        .await
        .map_err(|e| StoreError::Open(format!("it is not a readable SQLite database: {e}")))?
        .iter()
        .map(|row| row.try_get::<String, _>("name"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if let Some(missing) = REGISTRY_TABLES
        .iter()
        .find(|t| !tables.iter().any(|name| name == *t))
    {
        return Err(StoreError::Open(format!(
            "it is not a pgconnect registry (it has no {missing} table): give a file written by \
             `pgconnect store backup`"
        )));
    }
    let newest: Option<i64> = sqlx::query("SELECT MAX(version) AS newest FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?
        .try_get("newest")?;
    let known = SQLITE_MIGRATIONS
        .iter()
        .map(|(v, _, _)| *v)
        .max()
        .unwrap_or(0);
    match newest {
        Some(newest) if newest > known => Err(StoreError::Open(format!(
            "it was written by a newer pgconnect (its schema is at migration {newest}, this \
             version knows up to {known}): restore it with that version or a newer one"
        ))),
        _ => Ok(()),
    }
}

/// The copy in [`Store::adopt_access_from`], on the connection that attached `previous`.
async fn adopt_access(conn: &mut sqlx::AnyConnection) -> Result<(u64, u64)> {
    use sqlx::Connection as _;
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM tokens").execute(&mut *tx).await?;
    let tokens = sqlx::query(
        "INSERT INTO tokens (jti, subject, role, teams, kind, issued_at, expires_at, revoked_at) \
         SELECT jti, subject, role, teams, kind, issued_at, expires_at, revoked_at \
         FROM previous.tokens",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM login_codes")
        .execute(&mut *tx)
        .await?;
    let links = sqlx::query(
        "INSERT INTO login_codes \
         (code_hash, created_at, expires_at, used_at, subject, role, teams) \
         SELECT code_hash, created_at, expires_at, used_at, subject, role, teams \
         FROM previous.login_codes",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((tokens, links))
}

/// Records `token` inside `tx`, first forgetting tokens that expired before `prune_before`.
async fn record_token(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &TokenRow,
    prune_before: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
        .bind(prune_before.to_owned())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO tokens (jti, subject, role, teams, kind, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.jti.clone())
    .bind(token.subject.clone())
    .bind(token.role.clone())
    .bind(serde_json::to_string(&token.teams).unwrap_or_else(|_| "[]".to_owned()))
    .bind(token.kind.clone())
    .bind(token.issued_at.clone())
    .bind(token.expires_at.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An issued token as recorded (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenRow {
    /// Its `jti` claim.
    pub jti: String,
    /// Its `sub` claim.
    pub subject: String,
    /// `admin`, `developer` or `viewer`.
    pub role: String,
    /// Its teams.
    pub teams: Vec<String>,
    /// `cli` (`pgconnect token create`) or `session` (a wizard login).
    pub kind: String,
    /// RFC 3339.
    pub issued_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// RFC 3339, when revoked.
    pub revoked_at: Option<String>,
}

impl TokenRow {
    /// Its state at `now` (RFC 3339): `active`, `expired` or `revoked`.
    #[must_use]
    pub fn status(&self, now: &str) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.as_str() <= now {
            "expired"
        } else {
            "active"
        }
    }
}

/// A column holding JSON text (a row's teams, a connection's spec), read as `T`. Text that does
/// not parse is a decoding error, never a default: an empty team list would show a datastore to
/// everyone.
fn json_column<T: serde::de::DeserializeOwned>(r: &AnyRow, column: &str) -> Result<T> {
    let text: String = r.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Database(sqlx::Error::ColumnDecode {
            index: format!("{column:?}"),
            source: Box::new(e),
        })
    })
}

fn token_row(r: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        jti: r.try_get("jti")?,
        subject: r.try_get("subject")?,
        role: r.try_get("role")?,
        teams: json_column(r, "teams")?,
        kind: r.try_get("kind")?,
        issued_at: r.try_get("issued_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// A datastore's connection: stored, or written with it.
#[derive(Debug)]
pub enum DatastoreConnection<'a> {
    /// By id.
    Existing(i64),
    /// New, in the same transaction.
    New(&'a ConnectionWrite<'a>),
}

/// A login link not used yet.
#[derive(Debug, Clone)]
pub struct LoginLinkRow {
    /// The first 16 hex digits of its code's hash.
    pub id: String,
    /// The session it opens.
    pub grant: LoginGrant,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// The session a login link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginGrant {
    /// Who it is for.
    pub subject: String,
    /// `admin`, `developer` or `viewer`.
    pub role: String,
    /// Its teams.
    pub teams: Vec<String>,
}

/// A stored catalog.
#[derive(Debug, Clone)]
pub struct CatalogRow {
    /// `running`, `done` or `failed`.
    pub status: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: Option<String>,
    /// The catalog, or the failed check.
    pub body: Option<Value>,
}

/// A connection row with its datastore count and which secrets it has.
macro_rules! connection_select {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.name, c.spec, c.created_at, c.updated_at, c.created_by, c.updated_by, \
             (SELECT COUNT(*) FROM datastores d WHERE d.connection_id = c.id) AS datastores, \
             (SELECT COUNT(*) FROM connection_secrets s WHERE s.connection_id = c.id \
               AND s.field = 'password') AS pw, \
             (SELECT COUNT(*) FROM connection_secrets s WHERE s.connection_id = c.id \
               AND s.field = 'vault_credentials') AS vc \
             FROM connections c ",
            $tail
        )
    };
}
const CONNECTION_SELECT_ALL: &str = connection_select!("ORDER BY c.id");
const CONNECTION_SELECT_ONE: &str = connection_select!("WHERE c.id = $1");

fn connection_row(r: &AnyRow) -> Result<ConnectionRow> {
    let mut secrets = Vec::new();
    if r.try_get::<i64, _>("pw")? > 0 {
        secrets.push("password".to_owned());
    }
    if r.try_get::<i64, _>("vc")? > 0 {
        secrets.push("vault_credentials".to_owned());
    }
    Ok(ConnectionRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        spec: json_column(r, "spec")?,
        secrets,
        datastores: r.try_get("datastores")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        created_by: r.try_get("created_by")?,
        updated_by: r.try_get("updated_by")?,
    })
}

fn datastore_row(r: &AnyRow) -> Result<DatastoreRow> {
    Ok(DatastoreRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        connection_id: r.try_get("connection_id")?,
        database: r.try_get("database_name")?,
        schema: r.try_get("schema_name")?,
        teams: json_column(r, "teams")?,
        enrichment_prefix: r.try_get("enrichment_prefix")?,
        trigger_catalog: r.try_get::<i64, _>("trigger_catalog")? != 0,
        description: r.try_get("description")?,
        project: r.try_get("project")?,
        enrichment_id: r.try_get("enrichment_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        created_by: r.try_get("created_by")?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// What seals a connection's secrets once the row's id is known.
pub trait Seal: Sync {
    /// Seals `plain` for connection `id`'s `field`.
    fn seal(&self, id: i64, field: &str, plain: &str) -> std::result::Result<Sealed, String>;
    /// Whether `key_id` is a key the sealer has (current or previous).
    fn knows(&self, key_id: &str) -> bool;
}

type Sealer<'a> = &'a dyn Seal;

/// Before a transaction seals anything: the store's key must still be one the sealer has, or a
/// rotation finished while this server ran with the old key, and what it seals now could never be
/// opened again. The `UPDATE` takes the settings row's lock, so on PostgreSQL a rotation in
/// progress makes this wait for its end (it updates that row first).
async fn fence(tx: &mut sqlx::Transaction<'_, sqlx::Any>, seal: Sealer<'_>) -> Result<()> {
    let row =
        sqlx::query("UPDATE settings SET value = value WHERE name = 'key_id' RETURNING value")
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(row) = row {
        let store: String = row.try_get("value")?;
        if !seal.knows(&store) {
            return Err(StoreError::KeyRotated { store });
        }
    }
    Ok(())
}

/// Inserts a connection row and its sealed secrets inside `tx`; its id.
async fn insert_connection(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    write: &ConnectionWrite<'_>,
    stamp: Stamp<'_>,
    seal: Sealer<'_>,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO connections (name, spec, created_at, updated_at, created_by, updated_by) \
         VALUES ($1, $2, $3, $3, $4, $4) RETURNING id",
    )
    .bind(write.name.to_owned())
    .bind(write.spec.to_string())
    .bind(stamp.at.to_owned())
    .bind(stamp.by.to_owned())
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    if !write.secrets.is_empty() {
        fence(tx, seal).await?;
    }
    for (field, plain) in &write.secrets {
        let sealed = seal.seal(id, field, plain).map_err(StoreError::Open)?;
        put_secret(tx, id, field, &sealed).await?;
    }
    Ok(id)
}

async fn put_secret(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    field: &str,
    sealed: &Sealed,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connection_secrets (connection_id, field, key_id, nonce, ciphertext) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(field.to_owned())
    .bind(sealed.key_id.clone())
    .bind(sealed.nonce.clone())
    .bind(sealed.ciphertext.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn sqlite_url(file: &Path) -> String {
    format!("sqlite://{}?mode=rwc", file.display())
}

/// Removes the URL (and so any password in it) from a driver's message.
fn scrub(message: &str, url: &str) -> String {
    if url.is_empty() {
        message.to_owned()
    } else {
        message.replace(url, &redact_url(url))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// A team list or spec the store cannot read is an error, not an empty list: a datastore
    /// with no teams is shown to everyone as Public.
    #[tokio::test]
    async fn unreadable_json_columns_fail_instead_of_defaulting() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreLocation::Sqlite(dir.path().to_owned()))
            .await
            .unwrap();
        let t = "2026-01-01T00:00:00Z";
        sqlx::query(
            "INSERT INTO connections (name, spec, created_at, updated_at) VALUES ('c', '{}', $1, $1)",
        )
        .bind(t)
        .execute(&store.pool)
        .await
        .unwrap();
        let id = store.connections().await.unwrap()[0].id;
        sqlx::query(
            "INSERT INTO datastores (name, kind, connection_id, database_name, schema_name, teams, \
             trigger_catalog, created_at, updated_at) \
             VALUES ('d', 'source', $1, 'db', 'public', '[\"Finance\"]', 0, $2, $2)",
        )
        .bind(id)
        .bind(t)
        .execute(&store.pool)
        .await
        .unwrap();
        assert_eq!(store.datastores(None).await.unwrap()[0].teams, ["Finance"]);

        sqlx::query("UPDATE datastores SET teams = 'Finance'")
            .execute(&store.pool)
            .await
            .unwrap();
        let err = store.datastores(None).await.unwrap_err().to_string();
        assert!(err.contains("\"teams\""), "{err}");
        assert!(store.datastore(1).await.is_err());

        sqlx::query("UPDATE connections SET spec = '{'")
            .execute(&store.pool)
            .await
            .unwrap();
        let err = store.connections().await.unwrap_err().to_string();
        assert!(err.contains("\"spec\""), "{err}");
    }

    /// Making a login link forgets the expired ones, used or not; usable ones stay.
    #[tokio::test]
    async fn expired_login_codes_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreLocation::Sqlite(dir.path().to_owned()))
            .await
            .unwrap();
        let grant = LoginGrant {
            subject: "alice".to_owned(),
            role: "developer".to_owned(),
            teams: vec![],
        };
        let (t0, t1, t2, t3) = (
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:15:00Z",
            "2026-01-01T00:20:00Z",
            "2026-01-01T00:35:00Z",
        );
        store.insert_login_code("a", t0, t1, &grant).await.unwrap();
        store.insert_login_code("b", t0, t1, &grant).await.unwrap();
        store.insert_login_code("c", t0, t3, &grant).await.unwrap();
        sqlx::query("UPDATE login_codes SET used_at = $1 WHERE code_hash = 'b'")
            .bind(t0)
            .execute(&store.pool)
            .await
            .unwrap();
        let hashes = || async {
            let rows = sqlx::query("SELECT code_hash FROM login_codes ORDER BY code_hash")
                .fetch_all(&store.pool)
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.try_get::<String, _>("code_hash").unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(hashes().await, ["a", "b", "c"]);
        store.insert_login_code("d", t2, t3, &grant).await.unwrap();
        assert_eq!(hashes().await, ["c", "d"]);
        assert!(store.login_code("c", t2).await.unwrap().is_some());
    }

    #[test]
    fn urls_are_shown_without_passwords() {
        assert_eq!(
            redact_url("postgres://reg:s3cret@db:5432/registry?sslmode=require"),
            "postgres://reg:********@db:5432/registry?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/registry?user=u&password=pw"),
            "postgres://db/registry?user=u&password=********"
        );
        assert_eq!(redact_url("postgres://reg@db/r"), "postgres://reg@db/r");
        let shown = format!(
            "{:?}",
            StoreLocation::Postgres("postgres://a:topsecret@h/d".into())
        );
        assert!(!shown.contains("topsecret"), "{shown}");
    }

    /// The two schemas say the same thing: they differ only in the id and blob types.
    #[test]
    fn the_sqlite_and_postgres_schemas_match() {
        let normalise = |sql: &str| {
            sql.lines()
                .skip(1)
                .collect::<Vec<_>>()
                .join("\n")
                .replace("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "ID")
                .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "ID")
                .replace("BIGINT", "INTEGER")
                .replace("BYTEA", "BLOB")
        };
        assert_eq!(SQLITE_MIGRATIONS.len(), POSTGRES_MIGRATIONS.len());
        for (lite, pg) in SQLITE_MIGRATIONS.iter().zip(POSTGRES_MIGRATIONS) {
            assert_eq!((lite.0, lite.1), (pg.0, pg.1));
            assert_eq!(normalise(lite.2), normalise(pg.2), "migration {}", lite.0);
        }
    }
}

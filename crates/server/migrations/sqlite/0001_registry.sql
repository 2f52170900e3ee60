-- The registry (SQLite). Keep in step with ../postgres/0001_registry.sql: same tables, columns
-- and constraints; only the id and blob types differ.

-- A connection's settings as canonical JSON (the Qualytics `connection` object) without its
-- secrets; the secrets are in connection_secrets, sealed with the server's key.
CREATE TABLE connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- field: 'password' or 'vault_credentials'. AES-256-GCM, bound to "connection:<id>:<field>".
CREATE TABLE connection_secrets (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    key_id TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    PRIMARY KEY (connection_id, field)
);

-- project: the CRAFT X-Project-ID of an asset; NULL for a Qualytics datastore.
CREATE TABLE datastores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('source', 'enrichment')),
    connection_id INTEGER NOT NULL REFERENCES connections (id),
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    teams TEXT NOT NULL,
    enrichment_prefix TEXT,
    trigger_catalog INTEGER NOT NULL,
    description TEXT,
    project TEXT,
    enrichment_id INTEGER REFERENCES datastores (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX datastores_connection ON datastores (connection_id);
CREATE INDEX datastores_enrichment ON datastores (enrichment_id);

-- status: 'running', 'done' or 'failed'; body: the catalog or the failed check's report (JSON).
CREATE TABLE catalogs (
    datastore_id INTEGER PRIMARY KEY REFERENCES datastores (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    body TEXT
);

-- One-time login links: only the SHA-256 of the code is kept.
CREATE TABLE login_codes (
    code_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- key_id: the id of the key the store's credentials are sealed with.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Issued tokens (SQLite). Keep in step with ../postgres/0002_tokens.sql.

-- Every token the server signs (`pgconnect token create`, a wizard session opened by a login
-- link), by its `jti` claim: `pgconnect token list` shows them, and a request whose token has a
-- revoked_at here is refused. Never the token itself. Rows are pruned once long expired.
CREATE TABLE tokens (
    jti TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    teams TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cli', 'session')),
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

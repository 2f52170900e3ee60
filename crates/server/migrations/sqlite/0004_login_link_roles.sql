-- Login links for every role. Keep in step with ../postgres/0004_login_link_roles.sql.

-- The session a login link opens: who it is for, its role and its teams (a JSON array, as in
-- tokens), chosen by `pgconnect token login-link --role --team --subject`. Links made before
-- this migration open an admin session, as they did.
ALTER TABLE login_codes ADD COLUMN subject TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE login_codes ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE login_codes ADD COLUMN teams TEXT NOT NULL DEFAULT '["Public"]';

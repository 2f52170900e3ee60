-- Record authors. Keep in step with ../sqlite/0005_authors.sql.

-- Who created and who last changed each connection and datastore: the subject of the caller's
-- token (a person's name from their login link, a pipeline's from `pgconnect token create
-- --subject`); NULL for records written before this migration.
ALTER TABLE connections ADD COLUMN created_by TEXT;
ALTER TABLE connections ADD COLUMN updated_by TEXT;
ALTER TABLE datastores ADD COLUMN created_by TEXT;
ALTER TABLE datastores ADD COLUMN updated_by TEXT;

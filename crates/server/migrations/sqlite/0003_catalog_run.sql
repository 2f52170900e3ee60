-- Catalog runs. Keep in step with ../postgres/0003_catalog_run.sql.

-- run: a random id for each discovery, set when it starts. A discovery stores its result only when
-- the row still carries its run, so a discovery that has been superseded drops its result. Ids
-- are random, not a counter: a move deletes the row, and a counter would start again at 1. The
-- start time was used for this before, but two discoveries started in the same second share it.
-- It stays NULL on rows written before this migration.
ALTER TABLE catalogs ADD COLUMN run TEXT;

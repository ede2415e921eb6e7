-- Full-text indexing moves to the writer connection (see src/fts.rs): new
-- messages and contacts are noted by TEMP triggers and indexed once per
-- group of jobs, just before COMMIT, instead of inside every job's SAVEPOINT
-- (where FTS5 writes each job's few terms out as a segment of their own).
DROP TRIGGER IF EXISTS messages_fts_insert;
DROP TRIGGER IF EXISTS contacts_fts_insert;
DROP TRIGGER IF EXISTS contacts_fts_update;

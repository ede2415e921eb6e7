-- Full-text indexing by high-water mark (see src/fts.rs): the writer indexes
-- the messages and contacts whose rowid is past the last one indexed, once
-- per group of jobs, instead of TEMP triggers noting each new row. A trigger
-- made every message and contact insert a multi-row write, which SQLite runs
-- under a statement journal (a copy of each page it touches). Messages and
-- contacts are never deleted, so their rowids only grow. Everything committed
-- before this step was indexed in its own transaction.
CREATE TABLE fts_progress (
    kind      INTEGER PRIMARY KEY,   -- 0 messages, 1 contacts
    last_row  INTEGER NOT NULL
);
INSERT INTO fts_progress (kind, last_row) VALUES
    (0, (SELECT coalesce(max(rowid), 0) FROM messages)),
    (1, (SELECT coalesce(max(rowid), 0) FROM contacts));

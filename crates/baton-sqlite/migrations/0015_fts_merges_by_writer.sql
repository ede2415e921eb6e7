-- FTS5's automatic merges off (see src/fts.rs): every 64 leaves written,
-- `automerge` merged 64 leaves per level of the index at once, inside the
-- COMMIT of the group that crossed the line (4-14 ms under routed load).
-- The writer now merges in small steps after each 64 rows it indexes.
-- The setting is kept in each index's own `_config` table.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('automerge', 0);

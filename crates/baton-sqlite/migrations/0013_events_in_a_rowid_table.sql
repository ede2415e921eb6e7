-- Events move from a WITHOUT ROWID table to an ordinary (rowid) table, with
-- (workspace_id, seq) kept unique by an index.
--
-- A WITHOUT ROWID table is an index b-tree: its interior pages hold copies of
-- whole rows, and an append at its end is balanced like any index insert,
-- rewriting the neighbouring leaves and their parent. Event rows are a few
-- hundred bytes and six are appended per routed message, so the log had an
-- interior page for every eight leaves and wrote about 2.5 pages for each
-- page of rows. A rowid table keeps only rowids inside, starts a fresh page
-- when its last one fills, and the index entries are small.
CREATE TABLE events_rows (
    workspace_id     TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    conversation_id  TEXT,
    actor            TEXT NOT NULL,
    at               INTEGER NOT NULL,
    before           TEXT NOT NULL,
    after            TEXT NOT NULL,
    reason           TEXT,
    data             TEXT NOT NULL
);

INSERT INTO events_rows (workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data)
SELECT workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data
FROM events ORDER BY workspace_id, seq;

DROP TABLE events;
ALTER TABLE events_rows RENAME TO events;
CREATE UNIQUE INDEX events_seq ON events (workspace_id, seq);
CREATE INDEX events_conversation ON events (conversation_id, seq) WHERE conversation_id IS NOT NULL;

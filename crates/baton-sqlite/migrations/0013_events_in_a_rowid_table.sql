-- Events move from a WITHOUT ROWID table to an ordinary (rowid) table whose
-- rowid is the workspace's event key and the event's seq together:
-- (event_key << 40) | seq. A workspace's events are one rowid range, in seq
-- order, so appends go at the end of the table and reads by seq are rowid
-- range reads, with no second b-tree to keep.
--
-- A WITHOUT ROWID table is an index b-tree: its interior pages hold copies of
-- whole rows, and an append at its end is balanced like any index insert,
-- rewriting the neighbouring leaves and their parent. Event rows are a few
-- hundred bytes and six are appended per routed message, so the log had an
-- interior page for every eight leaves and wrote about 2.5 pages for each
-- page of rows. A rowid table keeps only rowids inside and starts a fresh
-- page when its last one fills. A (workspace_id, seq) index instead of the
-- composed rowid cost each event a second insert, which took back in CPU
-- what the smaller log saved.
--
-- Event keys are small integers, one per workspace, given by the trigger
-- below to every new workspace (existing ones take their rowid). Seqs stay
-- below 2^40 (a trillion events per workspace).
ALTER TABLE workspaces ADD COLUMN event_key INTEGER;
UPDATE workspaces SET event_key = rowid;
CREATE UNIQUE INDEX workspaces_event_key ON workspaces (event_key);
CREATE TRIGGER workspaces_event_key AFTER INSERT ON workspaces WHEN new.event_key IS NULL BEGIN
    UPDATE workspaces SET event_key = (SELECT coalesce(max(event_key), 0) + 1 FROM workspaces)
    WHERE rowid = new.rowid;
END;

CREATE TABLE events_rows (
    id               INTEGER PRIMARY KEY,
    workspace_id     TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    conversation_id  TEXT,
    actor            TEXT NOT NULL,
    at               INTEGER NOT NULL,
    before           TEXT NOT NULL,
    after            TEXT NOT NULL,
    reason           TEXT,
    data             TEXT NOT NULL,
    -- A missing event key would leave SQLite to pick the rowid: refuse it.
    CHECK (id >> 40 > 0 AND (id & 1099511627775) = seq)
);

INSERT INTO events_rows (id, workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data)
SELECT (w.event_key << 40) | e.seq, e.workspace_id, e.seq, e.kind, e.conversation_id, e.actor, e.at, e.before,
       e.after, e.reason, e.data
FROM events e LEFT JOIN workspaces w ON w.id = e.workspace_id -- an orphan fails the CHECK: nothing is dropped
ORDER BY 1;

DROP TABLE events;
ALTER TABLE events_rows RENAME TO events;
CREATE INDEX events_conversation ON events (conversation_id, seq) WHERE conversation_id IS NOT NULL;

-- Notifications move from a WITHOUT ROWID table in (user, time, id) order
-- (migration 0011) to an ordinary table with a small per-user index.
--
-- Rows of a WITHOUT ROWID table live in an index b-tree whose interior pages
-- hold whole rows. Each user's newest notification goes in the middle of
-- that tree, and with rows of about 240 bytes a leaf held some fifteen, so
-- nearly every insert split or rebalanced leaves: notifications were a
-- quarter of the pages each routed-message commit wrote. Now rows are
-- appended at the end of the table and only the (user, time, id) index
-- entries, about a third the size, go in the middle.
CREATE TABLE notifications_rows (
    id               TEXT NOT NULL UNIQUE,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    user_id          TEXT NOT NULL REFERENCES users(id),
    kind             TEXT NOT NULL,
    conversation_id  TEXT,
    event_seq        INTEGER,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    in_app           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    read_at          INTEGER
);

INSERT INTO notifications_rows (id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, in_app,
                                created_at, read_at)
SELECT id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, in_app, created_at, read_at
FROM notifications ORDER BY created_at, id;

DROP TABLE notifications;
ALTER TABLE notifications_rows RENAME TO notifications;
-- The in-app list, newest first from a (created_at, id) bound.
CREATE INDEX notifications_user ON notifications (user_id, created_at, id) WHERE in_app = 1;

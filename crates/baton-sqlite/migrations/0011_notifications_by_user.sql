-- Notifications kept in one b-tree per user order, and unread counts in a
-- table of their own.
--
-- Every routed message notifies its assignee, and each notification was
-- written to four b-trees: the table and its id index (at their ends) and
-- two indexes led by the user (a list index and an unread index), each at
-- that user's place. With fifty agents, the two user-led indexes alone were
-- over a quarter of the pages each commit wrote. Now the rows themselves
-- are in (user, time, id) order, the id index stays for marking one read,
-- and each user's unread count is one small row.
CREATE TABLE notifications_by_user (
    user_id          TEXT NOT NULL REFERENCES users(id),
    created_at       INTEGER NOT NULL,
    id               TEXT NOT NULL UNIQUE,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    kind             TEXT NOT NULL,
    conversation_id  TEXT,
    event_seq        INTEGER,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    in_app           INTEGER NOT NULL,
    read_at          INTEGER,
    PRIMARY KEY (user_id, created_at, id)
) WITHOUT ROWID;

INSERT INTO notifications_by_user (user_id, created_at, id, workspace_id, kind, conversation_id, event_seq,
                                   title, body, in_app, read_at)
SELECT user_id, created_at, id, workspace_id, kind, conversation_id, event_seq, title, body, in_app, read_at
FROM notifications;

DROP TABLE notifications;
ALTER TABLE notifications_by_user RENAME TO notifications;

-- In-app notifications not yet read, per user; kept by the writer with each
-- insert and each first read.
CREATE TABLE notification_unread (
    user_id  TEXT PRIMARY KEY,
    n        INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO notification_unread (user_id, n)
SELECT user_id, count(*) FROM notifications WHERE in_app = 1 AND read_at IS NULL GROUP BY user_id;

-- Notifications, their deliveries (email, Slack, webhook) and outbound
-- webhook subscriptions. No foreign keys to conversations or events: those
-- may be written later in the same transaction.

CREATE TABLE notification_prefs (
    user_id  TEXT PRIMARY KEY REFERENCES users(id),
    prefs    TEXT NOT NULL
);

CREATE TABLE notifications (
    id               TEXT PRIMARY KEY,
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
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC) WHERE in_app = 1;
CREATE INDEX notifications_unread ON notifications (user_id) WHERE in_app = 1 AND read_at IS NULL;

-- One row per notification x medium, or per event x webhook. `doc` holds the
-- rest of the record (payload, attempts, log) as JSON.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    target           TEXT NOT NULL,
    status           TEXT NOT NULL,
    webhook_id       TEXT,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    lease_token      TEXT,
    created_at       INTEGER NOT NULL,
    doc              TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_workspace ON deliveries (workspace_id, created_at DESC);

CREATE TABLE webhooks (
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
    url                   TEXT NOT NULL,
    events                TEXT NOT NULL,
    secret                TEXT NOT NULL,
    created_by            TEXT NOT NULL REFERENCES users(id),
    enabled               INTEGER NOT NULL,
    consecutive_failures  INTEGER NOT NULL,
    cursor_seq            INTEGER NOT NULL,
    created_at            INTEGER NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);

-- Routing: rules, per-user load, round-robin pointers, the waiting queue,
-- business hours.

ALTER TABLE users ADD COLUMN open_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_assigned_at INTEGER;
ALTER TABLE teams ADD COLUMN rr_last_user_id TEXT;
ALTER TABLE teams ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workspaces ADD COLUMN business_hours TEXT;

CREATE TABLE routing_rules (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    enabled       INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    conditions    TEXT NOT NULL,
    actions       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX routing_rules_workspace ON routing_rules (workspace_id, position);

CREATE TABLE routing_queue (
    conversation_id  TEXT PRIMARY KEY REFERENCES conversations(id),
    workspace_id     TEXT NOT NULL,
    team_id          TEXT NOT NULL REFERENCES teams(id),
    mode             TEXT NOT NULL,
    enqueued_at      INTEGER NOT NULL
);
CREATE INDEX routing_queue_team ON routing_queue (team_id, enqueued_at, conversation_id);

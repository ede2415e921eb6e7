-- Routing (PostgreSQL): rules, per-user load, round-robin pointers, the
-- waiting queue, business hours. The same tables and columns as SQLite's
-- 0002, in native types.

ALTER TABLE users ADD COLUMN open_count integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_assigned_at timestamptz;
ALTER TABLE teams ADD COLUMN rr_last_user_id uuid;
ALTER TABLE teams ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE workspaces ADD COLUMN business_hours jsonb;

CREATE TABLE routing_rules (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id),
    name          text NOT NULL,
    enabled       boolean NOT NULL,
    position      integer NOT NULL,
    conditions    jsonb NOT NULL,
    actions       jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX routing_rules_workspace ON routing_rules (workspace_id, position);

CREATE TABLE routing_queue (
    conversation_id  uuid PRIMARY KEY REFERENCES conversations(id),
    workspace_id     uuid NOT NULL,
    team_id          uuid NOT NULL REFERENCES teams(id),
    mode             text NOT NULL,
    enqueued_at      timestamptz NOT NULL
);
CREATE INDEX routing_queue_team ON routing_queue (team_id, enqueued_at, conversation_id);

-- PostgreSQL only: bumped by every change to a workspace's rules, and read
-- with the workspace's counter lock, so a node can keep the rules it read
-- last and reuse them while the version stands.
ALTER TABLE workspaces ADD COLUMN routing_version bigint NOT NULL DEFAULT 0;

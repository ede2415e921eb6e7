-- AI agents: the knowledge base, committed AI replies (idempotency keys),
-- drafts, and the agent worker's position in each workspace's log. No foreign
-- keys to conversations or messages: a job writes those at commit.

CREATE TABLE articles (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id),
    title         text NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX articles_workspace ON articles (workspace_id, id);

-- One row per AI reply or handoff; the key makes a second commit a no-op.
CREATE TABLE ai_replies (
    idempotency_key  text NOT NULL,
    workspace_id     uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    message_id       uuid,
    session_id       uuid NOT NULL,
    receipt          jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    CONSTRAINT ai_replies_key UNIQUE (idempotency_key)
);

CREATE TABLE drafts (
    conversation_id  uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL,
    agent_id         uuid NOT NULL,
    body             text NOT NULL,
    receipt          jsonb NOT NULL,
    requested_by     jsonb NOT NULL,
    created_at       timestamptz NOT NULL
);

-- Existing workspaces start at their newest event: the worker must not
-- answer history it never saw.
CREATE TABLE agent_cursors (
    workspace_id  uuid PRIMARY KEY,
    seq           bigint NOT NULL
);
INSERT INTO agent_cursors (workspace_id, seq) SELECT id, event_seq FROM workspaces;

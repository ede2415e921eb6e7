-- AI agents: the knowledge base, committed AI replies (idempotency keys),
-- drafts, and the agent worker's position in each workspace's log.

CREATE TABLE articles (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX articles_workspace ON articles (workspace_id, id);

-- One row per AI reply or handoff; the key makes a second commit a no-op.
CREATE TABLE ai_replies (
    idempotency_key  TEXT NOT NULL,
    workspace_id     TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    message_id       TEXT,
    session_id       TEXT NOT NULL,
    receipt          TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    CONSTRAINT ai_replies_key UNIQUE (idempotency_key)
);

CREATE TABLE drafts (
    conversation_id  TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL,
    agent_id         TEXT NOT NULL,
    body             TEXT NOT NULL,
    receipt          TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);

-- Existing workspaces start at their newest event: the worker must not
-- answer history it never saw.
CREATE TABLE agent_cursors (
    workspace_id  TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL
);
INSERT INTO agent_cursors (workspace_id, seq) SELECT id, event_seq FROM workspaces;

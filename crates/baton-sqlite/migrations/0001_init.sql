-- Baton schema v1 (SQLite). Times are INTEGER microseconds since the Unix epoch;
-- ids are UUID text; JSON is TEXT.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    event_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    handle        TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        INTEGER NOT NULL,
    availability  TEXT NOT NULL,
    max_open      INTEGER,
    password_hash TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, handle)
);
CREATE INDEX users_workspace ON users (workspace_id, id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE web_sessions (
    session_hash TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE teams (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, name_key)
);

CREATE TABLE team_members (
    team_id     TEXT NOT NULL REFERENCES teams(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE agents (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id),
    name             TEXT NOT NULL,
    runtime          TEXT NOT NULL,
    settings         TEXT NOT NULL,
    handoff_team_id  TEXT REFERENCES teams(id),
    handoff_mode     TEXT NOT NULL,
    active           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id);

CREATE TABLE channels (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id),
    kind                TEXT NOT NULL,
    name                TEXT NOT NULL,
    autopilot_agent_id  TEXT REFERENCES agents(id),
    created_at          INTEGER NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id);

CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    name          TEXT,
    email         TEXT,
    phone         TEXT,
    external_id   TEXT,
    tags          TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_external ON contacts (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contacts_recent ON contacts (workspace_id, created_at, id);

CREATE TABLE conversations (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces(id),
    channel_id          TEXT NOT NULL REFERENCES channels(id),
    contact_id          TEXT NOT NULL REFERENCES contacts(id),
    status              TEXT NOT NULL,
    snoozed_until       INTEGER,
    priority            TEXT NOT NULL,
    tags                TEXT NOT NULL,
    assignee_id         TEXT REFERENCES users(id),
    agent_id            TEXT REFERENCES agents(id),
    session_id          TEXT,
    session_agent_id    TEXT,
    session_started_at  INTEGER,
    team_id             TEXT REFERENCES teams(id),
    ai_handoff_at       INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    last_activity_at    INTEGER NOT NULL,
    last_incoming_at    INTEGER,
    preview             TEXT,
    version             INTEGER NOT NULL
);
-- One index per view so every list is an index range read in sort order.
CREATE INDEX conv_all ON conversations (workspace_id, status, last_activity_at, id);
CREATE INDEX conv_any_status ON conversations (workspace_id, last_activity_at, id);
CREATE INDEX conv_assignee ON conversations (workspace_id, status, assignee_id, last_activity_at, id);
CREATE INDEX conv_assigned ON conversations (workspace_id, status, last_activity_at, id)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX conv_unassigned ON conversations (workspace_id, status, last_activity_at, id)
    WHERE assignee_id IS NULL AND session_id IS NULL;
CREATE INDEX conv_ai_queue ON conversations (workspace_id, status, last_activity_at, id)
    WHERE session_id IS NOT NULL;
CREATE INDEX conv_team ON conversations (workspace_id, status, team_id, last_activity_at, id);
CREATE INDEX conv_contact ON conversations (contact_id, channel_id);

CREATE TABLE agent_sessions (
    id               TEXT PRIMARY KEY,
    conversation_id  TEXT NOT NULL REFERENCES conversations(id),
    agent_id         TEXT NOT NULL REFERENCES agents(id),
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    end_reason       TEXT
);
CREATE INDEX agent_sessions_conversation ON agent_sessions (conversation_id, started_at);

CREATE TABLE messages (
    id                TEXT NOT NULL UNIQUE,
    workspace_id      TEXT NOT NULL,
    conversation_id   TEXT NOT NULL REFERENCES conversations(id),
    kind              TEXT NOT NULL,
    body              TEXT NOT NULL,
    author            TEXT NOT NULL,
    agent_session_id  TEXT,
    channel_id        TEXT NOT NULL,
    mentions          TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

CREATE VIRTUAL TABLE messages_fts USING fts5 (body, content = 'messages', content_rowid = 'rowid');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.rowid, new.body);
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5 (name, email, content = 'contacts', content_rowid = 'rowid');
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.rowid, new.name, new.email);
END;

CREATE TABLE read_states (
    user_id          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    read_at          INTEGER,
    marked_unread    INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;

CREATE TABLE mentions (
    user_id          TEXT NOT NULL,
    conversation_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
) WITHOUT ROWID;
CREATE INDEX mentions_user_conversation ON mentions (user_id, conversation_id);

CREATE TABLE events (
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
    PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_conversation ON events (conversation_id, seq) WHERE conversation_id IS NOT NULL;
CREATE INDEX events_kind ON events (workspace_id, kind, seq);

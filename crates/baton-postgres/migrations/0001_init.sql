-- Baton schema v1 (PostgreSQL). The same tables, columns and indexes as the
-- SQLite schema, in native types: ids are uuid, times timestamptz (microseconds,
-- like baton_core's timestamps), JSON jsonb, flags boolean. Full-text search
-- uses generated tsvector columns with GIN indexes instead of FTS5 tables.
--
-- Search text is tokenised like SQLite's FTS5 unicode61 tokenizer: ASCII
-- punctuation becomes a separator before PostgreSQL's parser sees it, so
-- `zelda@customer.test` indexes as `zelda`, `customer`, `test` rather than one
-- e-mail token. The 32 characters below are all of ASCII's punctuation.

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    event_seq   bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id),
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    handle        text NOT NULL,
    role          text NOT NULL,
    active        boolean NOT NULL,
    availability  text NOT NULL,
    max_open      bigint,
    password_hash text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (workspace_id, handle)
);
CREATE INDEX users_workspace ON users (workspace_id, id);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users(id),
    token_hash   text NOT NULL UNIQUE,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE web_sessions (
    session_hash text PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users(id),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE teams (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id),
    name          text NOT NULL,
    name_key      text NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (workspace_id, name_key)
);

CREATE TABLE team_members (
    team_id     uuid NOT NULL REFERENCES teams(id),
    user_id     uuid NOT NULL REFERENCES users(id),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE agents (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces(id),
    name             text NOT NULL,
    runtime          text NOT NULL,
    settings         jsonb NOT NULL,
    handoff_team_id  uuid REFERENCES teams(id),
    handoff_mode     text NOT NULL,
    active           boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id);

CREATE TABLE channels (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces(id),
    kind                text NOT NULL,
    name                text NOT NULL,
    autopilot_agent_id  uuid REFERENCES agents(id),
    created_at          timestamptz NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id);

CREATE TABLE contacts (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces(id),
    name          text,
    email         text,
    phone         text,
    external_id   text,
    tags          jsonb NOT NULL,
    attributes    jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    search        tsvector NOT NULL GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, translate(
            coalesce(name, '') || ' ' || coalesce(email, ''),
            '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~',
            '                                '))
    ) STORED
);
CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_external ON contacts (workspace_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contacts_recent ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_search ON contacts USING gin (search);

CREATE TABLE conversations (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces(id),
    channel_id          uuid NOT NULL REFERENCES channels(id),
    contact_id          uuid NOT NULL REFERENCES contacts(id),
    status              text NOT NULL,
    snoozed_until       timestamptz,
    priority            text NOT NULL,
    tags                jsonb NOT NULL,
    assignee_id         uuid REFERENCES users(id),
    agent_id            uuid REFERENCES agents(id),
    session_id          uuid,
    session_agent_id    uuid,
    session_started_at  timestamptz,
    team_id             uuid REFERENCES teams(id),
    ai_handoff_at       timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_activity_at    timestamptz NOT NULL,
    last_incoming_at    timestamptz,
    preview             text,
    version             bigint NOT NULL
);
-- One index per view so every list is an index range read in sort order
-- (scanned backwards for `last_activity_at DESC, id DESC`).
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
    id               uuid PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES conversations(id),
    agent_id         uuid NOT NULL REFERENCES agents(id),
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text
);
CREATE INDEX agent_sessions_conversation ON agent_sessions (conversation_id, started_at);

CREATE TABLE messages (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL,
    conversation_id   uuid NOT NULL REFERENCES conversations(id),
    kind              text NOT NULL,
    body              text NOT NULL,
    author            jsonb NOT NULL,
    agent_session_id  uuid,
    channel_id        uuid NOT NULL,
    mentions          jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    search            tsvector NOT NULL GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, translate(
            body,
            '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~',
            '                                '))
    ) STORED
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX messages_search ON messages USING gin (search);

CREATE TABLE read_states (
    user_id          uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    read_at          timestamptz,
    marked_unread    boolean NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE mentions (
    user_id          uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    message_id       uuid NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX mentions_user_conversation ON mentions (user_id, conversation_id);

CREATE TABLE events (
    workspace_id     uuid NOT NULL,
    seq              bigint NOT NULL,
    kind             text NOT NULL,
    conversation_id  uuid,
    actor            jsonb NOT NULL,
    at               timestamptz NOT NULL,
    before           jsonb NOT NULL,
    after            jsonb NOT NULL,
    reason           text,
    data             jsonb NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX events_conversation ON events (conversation_id, seq) WHERE conversation_id IS NOT NULL;
CREATE INDEX events_kind ON events (workspace_id, kind, seq);

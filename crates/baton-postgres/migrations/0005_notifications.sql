-- Notifications, their deliveries (email, Slack, webhook) and outbound
-- webhook subscriptions. No foreign keys to conversations or events: the
-- store writes those at commit (see tx.rs), after these rows.

CREATE TABLE notification_prefs (
    user_id  uuid PRIMARY KEY REFERENCES users(id),
    prefs    jsonb NOT NULL
);

CREATE TABLE notifications (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces(id),
    user_id          uuid NOT NULL REFERENCES users(id),
    kind             text NOT NULL,
    conversation_id  uuid,
    event_seq        bigint,
    title            text NOT NULL,
    body             text NOT NULL,
    in_app           boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    read_at          timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC) WHERE in_app;
CREATE INDEX notifications_unread ON notifications (user_id) WHERE in_app AND read_at IS NULL;

-- One row per notification x medium, or per event x webhook. `doc` holds the
-- rest of the record (payload, attempts, log).
CREATE TABLE deliveries (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces(id),
    target           text NOT NULL,
    status           text NOT NULL,
    webhook_id       uuid,
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,
    lease_token      uuid,
    created_at       timestamptz NOT NULL,
    doc              jsonb NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_workspace ON deliveries (workspace_id, created_at DESC);

CREATE TABLE webhooks (
    id                    uuid PRIMARY KEY,
    workspace_id          uuid NOT NULL REFERENCES workspaces(id),
    url                   text NOT NULL,
    events                jsonb NOT NULL,
    secret                text NOT NULL,
    created_by            uuid NOT NULL REFERENCES users(id),
    enabled               boolean NOT NULL,
    consecutive_failures  integer NOT NULL,
    cursor_seq            bigint NOT NULL,
    created_at            timestamptz NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);

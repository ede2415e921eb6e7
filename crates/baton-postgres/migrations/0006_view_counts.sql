-- Open conversations counted per (assignee, team, AI session) bucket, kept
-- by a trigger in the same transaction as every change, so the inbox's view
-- counts are a sum over a few hundred rows instead of a scan of every open
-- conversation. Conversation writes happen under the workspace's event
-- counter lock (see tx.rs), so the bucket rows are never contended across
-- workspaces and never taken in two orders.
CREATE TABLE conversation_counts (
    workspace_id uuid NOT NULL,
    assignee_id  uuid,
    team_id      uuid,
    ai           boolean NOT NULL,
    n            bigint NOT NULL
);
CREATE UNIQUE INDEX conversation_counts_bucket
    ON conversation_counts (workspace_id, assignee_id, team_id, ai) NULLS NOT DISTINCT;

INSERT INTO conversation_counts (workspace_id, assignee_id, team_id, ai, n)
SELECT workspace_id, assignee_id, team_id, session_id IS NOT NULL, count(*)
FROM conversations WHERE status = 'open' GROUP BY 1, 2, 3, 4;

CREATE FUNCTION conversation_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        UPDATE conversation_counts SET n = n - 1
        WHERE workspace_id = OLD.workspace_id AND assignee_id IS NOT DISTINCT FROM OLD.assignee_id
          AND team_id IS NOT DISTINCT FROM OLD.team_id AND ai = (OLD.session_id IS NOT NULL);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'open' THEN
        INSERT INTO conversation_counts (workspace_id, assignee_id, team_id, ai, n)
        VALUES (NEW.workspace_id, NEW.assignee_id, NEW.team_id, NEW.session_id IS NOT NULL, 1)
        ON CONFLICT (workspace_id, assignee_id, team_id, ai) DO UPDATE SET n = conversation_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER conversation_counts_insert AFTER INSERT ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_counts_apply();
CREATE TRIGGER conversation_counts_update AFTER UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
        OR OLD.team_id IS DISTINCT FROM NEW.team_id OR (OLD.session_id IS NULL) <> (NEW.session_id IS NULL))
    EXECUTE FUNCTION conversation_counts_apply();
CREATE TRIGGER conversation_counts_delete AFTER DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_counts_apply();

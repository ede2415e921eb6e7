-- The (workspace, kind, seq) index cost every appended event a third b-tree
-- insert (five per routed inbound message). Its one reader, the agent
-- worker's `events_after_of`, reads forward from a cursor near the head of
-- the log, which the primary key (workspace_id, seq) serves: the worker moves
-- its cursor to the head whenever a batch comes back short, so each read
-- scans only the events committed since the last one.
DROP INDEX IF EXISTS events_kind;

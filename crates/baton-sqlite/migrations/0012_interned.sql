-- Repeated parts of routing explanations (a team's candidate ids in roster
-- order, the rules skipped and why), stored once and referred to by id from
-- the events that repeat them (see src/intern.rs). Rows are never deleted.
CREATE TABLE interned (
    id    INTEGER PRIMARY KEY,
    body  TEXT NOT NULL UNIQUE
);

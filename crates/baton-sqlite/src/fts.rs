//! Full-text indexing of messages and contacts, once per group of jobs.
//!
//! FTS5 writes out its pending terms at every SAVEPOINT, and the writer runs
//! each job in one: indexing inside jobs made a tiny segment per job, about
//! a tenth of the writer's time under inbound load. Instead, TEMP triggers
//! on the writer connection note each new row in `fts_pending`, and
//! [`flush`] indexes them all just before COMMIT. The notes live in the same
//! transaction, so a job rolled back to its SAVEPOINT takes its notes with
//! it. Only the writer connection writes these tables (readers are
//! read-only), so nothing can insert without the triggers.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::Connection;

/// Create the TEMP table and triggers on the writer connection.
pub fn install(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS fts_pending (
             kind INTEGER NOT NULL,   -- 0 message, 1 contact
             row  INTEGER NOT NULL,
             PRIMARY KEY (kind, row)
         ) WITHOUT ROWID;
         CREATE TEMP TRIGGER IF NOT EXISTS messages_fts_note AFTER INSERT ON main.messages BEGIN
             INSERT OR IGNORE INTO fts_pending (kind, row) VALUES (0, new.rowid);
         END;
         CREATE TEMP TRIGGER IF NOT EXISTS contacts_fts_note AFTER INSERT ON main.contacts BEGIN
             INSERT OR IGNORE INTO fts_pending (kind, row) VALUES (1, new.rowid);
         END;
         -- A contact already indexed is re-indexed when its name or email
         -- changes; one still waiting is indexed as it is at flush time.
         CREATE TEMP TRIGGER IF NOT EXISTS contacts_fts_change AFTER UPDATE OF name, email ON main.contacts
         WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE kind = 1 AND row = old.rowid) BEGIN
             INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
             INSERT INTO contacts_fts (rowid, name, email) VALUES (new.rowid, new.name, new.email);
         END;",
    )
    .map_err(db_err)
}

/// Index every noted row, inside the open transaction (call before COMMIT).
pub fn flush(conn: &Connection) -> StoreResult<()> {
    let pending: i64 = conn
        .prepare_cached("SELECT count(*) FROM fts_pending")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(db_err)?;
    if pending == 0 {
        return Ok(());
    }
    for sql in [
        "INSERT INTO contacts_fts (rowid, name, email) \
         SELECT c.rowid, c.name, c.email FROM fts_pending p JOIN contacts c ON c.rowid = p.row WHERE p.kind = 1",
        "INSERT INTO messages_fts (rowid, body) \
         SELECT m.rowid, m.body FROM fts_pending p JOIN messages m ON m.rowid = p.row WHERE p.kind = 0",
        "DELETE FROM fts_pending",
    ] {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(db_err)?;
    }
    Ok(())
}

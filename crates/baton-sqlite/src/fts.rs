//! Full-text indexing of messages and contacts, once per group of jobs.
//!
//! FTS5 writes out its pending terms at every SAVEPOINT: indexing inside jobs
//! made a tiny segment per job. And any trigger on an insert, even one that
//! only notes the new row, makes the insert a multi-row write, which SQLite
//! runs under a statement journal (a copy of every page it touches). So
//! nothing fires on insert: [`flush`] indexes, just before COMMIT, every
//! message and contact whose rowid is past the high-water mark kept in
//! `fts_progress` (migration 0010), and moves the mark. Messages and contacts
//! are never deleted, so rowids only grow; a job rolled back frees its rowids
//! before any flush saw them. Only the writer connection writes (readers are
//! read-only), and every transaction it commits flushes first.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::{Connection, params};

/// Create the TEMP trigger that re-indexes renamed contacts on the writer
/// connection.
pub fn install(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "-- A contact already indexed is re-indexed when its name or email
         -- changes; one past the mark is indexed as it is at flush time.
         CREATE TEMP TRIGGER IF NOT EXISTS contacts_fts_change AFTER UPDATE OF name, email ON main.contacts
         WHEN old.rowid <= (SELECT last_row FROM main.fts_progress WHERE kind = 1) BEGIN
             INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
             INSERT INTO contacts_fts (rowid, name, email) VALUES (new.rowid, new.name, new.email);
         END;",
    )
    .map_err(db_err)
}

/// What one kind of row indexes: its mark, its table's newest rowid, and
/// the statement that indexes a range of rowids.
const KINDS: [(i64, &str, &str); 2] = [
    (
        1,
        "SELECT last_row, (SELECT coalesce(max(rowid), 0) FROM contacts) FROM fts_progress WHERE kind = 1",
        "INSERT INTO contacts_fts (rowid, name, email) \
         SELECT rowid, name, email FROM contacts WHERE rowid > ?1 AND rowid <= ?2",
    ),
    (
        0,
        "SELECT last_row, (SELECT coalesce(max(rowid), 0) FROM messages) FROM fts_progress WHERE kind = 0",
        "INSERT INTO messages_fts (rowid, body) \
         SELECT rowid, body FROM messages WHERE rowid > ?1 AND rowid <= ?2",
    ),
];

/// Index every row past the marks, inside the open transaction (call before COMMIT).
pub fn flush(conn: &Connection) -> StoreResult<()> {
    for (kind, marks, index) in KINDS {
        let (last, newest): (i64, i64) = conn
            .prepare_cached(marks)
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(db_err)?;
        if newest <= last {
            continue;
        }
        conn.prepare_cached(index)
            .and_then(|mut s| s.execute(params![last, newest]))
            .map_err(db_err)?;
        conn.prepare_cached("UPDATE fts_progress SET last_row = ?2 WHERE kind = ?1")
            .and_then(|mut s| s.execute(params![kind, newest]))
            .map_err(db_err)?;
    }
    Ok(())
}

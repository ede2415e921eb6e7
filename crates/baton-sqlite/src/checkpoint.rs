//! WAL checkpoints on their own thread. By default SQLite checkpoints inside
//! the COMMIT that pushes the log past 1,000 pages, which puts copying pages
//! back into the database on the writer's critical path (≈ 7 % of its time
//! under routed inbound load). The writer turns that off and this thread runs
//! a PASSIVE checkpoint, which never waits for or blocks the writer, a few
//! times a second.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::Connection;
use std::sync::mpsc;
use std::time::Duration;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(200);

/// Start the checkpointer on `conn`. It stops when `stop`'s sender is dropped
/// (the writer thread holds it, so the two end together).
pub fn spawn(conn: Connection, stop: mpsc::Receiver<()>) -> StoreResult<()> {
    std::thread::Builder::new()
        .name("baton-sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(EVERY) {
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::warn!(error = %e, "sqlite checkpoint failed");
                }
            }
            // A last full pass so a cleanly stopped store leaves a short log.
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
        })
        .map(drop)
        .map_err(|e| baton_store::StoreError::Database(format!("cannot start checkpoint thread: {e}")))
}

/// Make `conn` (the writer) leave checkpoints to the checkpointer.
pub fn disable_auto(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0")
        .map_err(db_err)
}

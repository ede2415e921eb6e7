//! Checkpoints off the writer thread.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses the
//! threshold, on the connection that committed: the writer thread copied
//! WAL frames into the database file and fsynced it while every caller
//! waited (a sixth of its time under routed inbound load). Here the writer
//! connection has `wal_autocheckpoint = 0`, and a thread with its own
//! connection runs PASSIVE checkpoints after commits: they copy frames while
//! the writer goes on appending, and never block it.
//!
//! A PASSIVE checkpoint copies only the frames committed when it starts, and
//! SQLite starts the WAL file over only when every frame has been copied.
//! Under steady writes the background pass rarely ends at a quiet moment, so
//! when the WAL has grown past a threshold (4,000 frames) the writer itself runs one
//! PASSIVE checkpoint right after a COMMIT: it copies only what the
//! background pass has not (a few commits' frames), after which the next
//! transaction starts the WAL over (and cuts the file back to 32 MiB). When
//! writes stop with a grown log fully copied, the thread truncates it.

use rusqlite::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The least time between two background checkpoints: each one fsyncs the
/// database file, so under load they are spaced and copy many commits'
/// frames at once (a page written by many commits is copied once).
const PAUSE: Duration = Duration::from_millis(50);

/// The default WAL size (frames, about 4 KiB each) past which the writer
/// catches up ([`crate::SqliteOptions::wal_catch_up_frames`]).
pub const CATCH_UP_FRAMES: i64 = 4_000;

/// The writer's side: nudges after commits, and the catch-up flag.
pub struct Checkpoints {
    nudge: mpsc::SyncSender<()>,
    catch_up: Arc<AtomicBool>,
}

impl Checkpoints {
    /// Start the checkpoint thread on `conn` (its own connection to the
    /// database). The thread ends when the returned handle is dropped.
    pub fn start(conn: Connection, catch_up_frames: i64) -> std::io::Result<Checkpoints> {
        // One pending nudge is enough: a checkpoint copies every commit before it.
        let (nudge, rx) = mpsc::sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = catch_up.clone();
        std::thread::Builder::new()
            .name("baton-sqlite-checkpoint".into())
            .spawn(move || run(conn, rx, flag, catch_up_frames))?;
        Ok(Checkpoints { nudge, catch_up })
    }

    /// Call after each COMMIT on the writer connection.
    pub fn committed(&self, writer: &Connection) {
        // Full means a nudge is already waiting: nothing is lost.
        let _ = self.nudge.try_send(());
        if self.catch_up.load(Ordering::Relaxed)
            && let Ok((busy, log, done)) = passive(writer)
            && busy == 0
            && done == log
        {
            self.catch_up.store(false, Ordering::Relaxed);
        }
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<()>, catch_up: Arc<AtomicBool>, frames: i64) {
    // Never wait for the writer: a checkpoint that finds it busy is retried
    // after the next commit.
    if let Err(e) = conn.busy_timeout(Duration::ZERO) {
        tracing::warn!(error = %e, "cannot set the checkpoint connection's busy timeout");
    }
    while rx.recv().is_ok() {
        match passive(&conn) {
            Ok((_, log, done)) if log >= frames => {
                // Frames committed during this pass keep the log from
                // starting over: the writer copies them at its next commit.
                catch_up.store(true, Ordering::Relaxed);
                if log == done {
                    // If the writer is idle, cut the grown log to nothing now
                    // (without waiting: a busy writer catches up instead).
                    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "background checkpoint failed"),
        }
        std::thread::sleep(PAUSE);
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: (busy, frames in the WAL, frames copied).
fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

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
//! when the WAL has grown past a threshold the writer itself runs one PASSIVE
//! checkpoint right after a COMMIT: it copies only what the background pass
//! has not, after which the next transaction starts the WAL over. When
//! writes stop with a grown log fully copied, the thread truncates it.
//!
//! That catch-up stalls every caller waiting on the writer: SQLite fsyncs
//! the log written since the last pass, then the database file. Three
//! things keep it short and rare, which is what keeps the tail of writes
//! down:
//! - Past the threshold, background passes run back to back until one
//!   copies little ([`Chase`]), so the catch-up finds only the last commit
//!   or two to copy.
//! - The threshold is large (64,000 frames, about 256 MiB of log), so under
//!   steady load a catch-up comes about once a second rather than ten times,
//!   and the log file keeps its size between restarts, up to 1.5 times the
//!   threshold (`journal_size_limit`): cutting it back made every restart
//!   allocate its blocks again, and an fsync then waited for those
//!   allocations.
//! - Before it asks the writer to catch up, the thread fsyncs the database
//!   file and the log itself ([`presync`]). A pass that does not copy the
//!   whole log does not fsync the database file, so the pages the chase
//!   copied were all still to be written out, and the writer's fsync waited
//!   for them: the longest catch-up of a ten-second routed run took 12–33
//!   ms, and now 9–13 ms.

use rusqlite::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The least time between two background checkpoints: each one fsyncs the
/// database file, so under load they are spaced and copy many commits'
/// frames at once (a page written by many commits is copied once). With a
/// team's fifty agents each leading their own pages in the assignee and
/// notification indexes, 250 ms copies each such page about once where 50 ms
/// copied it five times; the thread's share of the CPU fell, and routed
/// throughput rose 10-20 % in alternating runs.
const PAUSE: Duration = Duration::from_millis(250);

/// The default WAL size (frames, about 4 KiB each) past which the writer
/// catches up ([`crate::SqliteOptions::wal_catch_up_frames`]).
pub const CATCH_UP_FRAMES: i64 = 64_000;

/// The `journal_size_limit` for a catch-up threshold: a log that starts
/// over keeps the file it has up to half again the threshold (what a pause
/// and a chase add past it under load), so its blocks are written again
/// rather than allocated again.
pub fn journal_size_limit(catch_up_frames: i64, page_size: i64) -> i64 {
    catch_up_frames
        .saturating_add(catch_up_frames / 2)
        .saturating_mul(page_size + 24)
}

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
    let mut chase = Chase::default();
    let files = conn.path().map(SyncFiles::of).unwrap_or_default();
    loop {
        // While chasing, passes follow each other; otherwise wait for a commit.
        let next = if chase.passes > 0 {
            match rx.try_recv() {
                Err(mpsc::TryRecvError::Disconnected) => Err(()),
                _ => Ok(()),
            }
        } else {
            rx.recv().map_err(|_| ())
        };
        if next.is_err() {
            return;
        }
        match passive(&conn) {
            Ok((_, log, done)) if log >= frames => {
                if chase.close_enough(done, frames) {
                    presync(&files);
                    // Frames committed during this pass keep the log from
                    // starting over: the writer copies them at its next commit.
                    catch_up.store(true, Ordering::Relaxed);
                    if log == done {
                        // If the writer is idle, cut the grown log to nothing now
                        // (without waiting: a busy writer catches up instead).
                        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                    }
                } else {
                    continue;
                }
            }
            Ok((_, _, done)) => chase = Chase { passes: 0, done },
            Err(e) => tracing::warn!(error = %e, "background checkpoint failed"),
        }
        std::thread::sleep(PAUSE);
    }
}

/// Passes run back to back once the log is past the threshold, until one
/// copies little: what is left for the writer's catch-up is then only what
/// was committed during that short pass, and the writer's stall (copying it
/// and fsyncing the database file) is a few milliseconds, not the tens it
/// takes to copy everything committed during a long pass and a pause.
#[derive(Default)]
struct Chase {
    /// Passes run back to back so far (0 when not chasing).
    passes: u32,
    /// Frames copied, as the last pass reported.
    done: i64,
}

/// A pass that copied at most this many frames (or an eighth of the
/// threshold, if less) is close enough.
const CLOSE_ENOUGH: i64 = 512;

/// The most passes in one chase: a writer faster than the passes must still
/// get its catch-up, or the log would grow without end.
const MAX_CHASE: u32 = 6;

impl Chase {
    /// Record a pass over a log past the threshold; true when the writer
    /// should catch up (and the chase ends).
    fn close_enough(&mut self, done: i64, frames: i64) -> bool {
        // A log that started over since the last pass copied from its start.
        let copied = if done >= self.done { done - self.done } else { done };
        self.done = done;
        self.passes += 1;
        let close = copied <= CLOSE_ENOUGH.min(frames / 8) || self.passes >= MAX_CHASE;
        if close {
            self.passes = 0;
        }
        close
    }
}

/// The database file and its log, by path (none for an in-memory database).
#[derive(Default)]
struct SyncFiles(Vec<std::path::PathBuf>);

impl SyncFiles {
    fn of(db: &str) -> Self {
        if db.is_empty() {
            return SyncFiles::default();
        }
        SyncFiles(vec![db.into(), format!("{db}-wal").into()])
    }
}

/// Write out what the chase copied into the database file, and the log
/// behind it, on this thread: the writer's catch-up fsyncs both again, and
/// finds next to nothing left to wait for. An error here is not one: the
/// catch-up's own fsyncs are the ones SQLite counts on.
fn presync(files: &SyncFiles) {
    for path in &files.0 {
        if let Err(e) = std::fs::File::open(path).and_then(|f| f.sync_data()) {
            tracing::debug!(error = %e, path = %path.display(), "pre-sync before the catch-up failed");
        }
    }
}

fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chase_ends_when_a_pass_copies_little() {
        let mut chase = Chase::default();
        // The first pass past the threshold copied 60,000 frames.
        assert!(!chase.close_enough(60_000, 64_000));
        assert!(!chase.close_enough(63_000, 64_000), "3,000 more is not little");
        assert!(chase.close_enough(63_400, 64_000), "400 more is");
        assert_eq!(chase.passes, 0, "the chase is over");
    }

    #[test]
    fn a_log_that_started_over_counts_from_its_start() {
        let mut chase = Chase {
            passes: 1,
            done: 70_000,
        };
        assert!(!chase.close_enough(5_000, 4_000), "5,000 copied in the new log");
        assert!(chase.close_enough(5_100, 4_000));
    }

    #[test]
    fn a_chase_that_never_closes_in_still_ends() {
        let mut chase = Chase::default();
        let ends = (1..=20).position(|i| chase.close_enough(i * 10_000, 64_000));
        assert_eq!(ends, Some(MAX_CHASE as usize - 1));
    }

    #[test]
    fn the_files_written_out_before_a_catch_up_are_the_database_and_its_log() {
        let files = SyncFiles::of("/data/baton.db");
        let paths: Vec<_> = files.0.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        assert_eq!(paths, ["/data/baton.db", "/data/baton.db-wal"]);
        assert!(
            SyncFiles::of("").0.is_empty(),
            "an in-memory database has no files"
        );
    }

    #[test]
    fn the_log_file_keeps_half_again_the_threshold() {
        assert_eq!(journal_size_limit(64_000, 4096), 96_000 * 4120);
        assert_eq!(journal_size_limit(i64::MAX, 4096), i64::MAX);
    }
}

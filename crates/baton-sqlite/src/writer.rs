//! The single writer thread. SQLite allows one writer at a time, so instead of
//! letting connections queue on a lock, all writes go to one thread that owns
//! the write connection and commits them in groups: a refused command rolls
//! back alone (see [`Group`]), and one COMMIT makes the whole group durable
//! before any caller is answered.

use crate::checkpoint::Checkpoints;
use crate::rows::db_err;
use crate::tx::{SqliteTx, WriterCache};
use baton_core::{Clock, WorkspaceId};
use baton_store::notifications::{Sendable, SendableSetting};
use baton_store::{StoreError, StoreResult, TxJob, Wakeup};
use rusqlite::Connection;
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::{broadcast, oneshot};

type Reply = oneshot::Sender<StoreResult<Box<dyn Any + Send>>>;

/// Work that runs directly on the writer connection with its own transaction.
pub type RawJob = Box<dyn FnOnce(&mut Connection) -> StoreResult<Box<dyn Any + Send>> + Send>;

/// Work for the writer thread.
pub enum WriterMsg {
    /// A use case to run in the shared group transaction.
    Job(TxJob, Reply),
    /// Raw work on the connection that manages its own transaction.
    Raw(RawJob, Reply),
}

/// The most jobs committed together.
const MAX_GROUP: usize = 128;

/// Run the writer loop until every sender is dropped.
pub fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<WriterMsg>,
    clock: Arc<dyn Clock>,
    wake: broadcast::Sender<Wakeup>,
    sendable: Arc<SendableSetting>,
    checkpoints: Checkpoints,
) {
    let mut pending: Vec<WriterMsg> = Vec::with_capacity(MAX_GROUP);
    let mut cache = WriterCache::default();
    while let Ok(first) = rx.recv() {
        pending.push(first);
        while pending.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(m) => pending.push(m),
                Err(_) => break,
            }
        }
        let mut group: Vec<(TxJob, Reply)> = Vec::new();
        for msg in pending.drain(..) {
            match msg {
                WriterMsg::Job(job, reply) => group.push((job, reply)),
                WriterMsg::Raw(f, reply) => {
                    // Keep order: flush the jobs queued before this raw work.
                    run_group(
                        &mut conn,
                        std::mem::take(&mut group),
                        clock.as_ref(),
                        &wake,
                        &mut cache,
                        sendable.get(),
                        &checkpoints,
                    );
                    let _ = reply.send(f(&mut conn));
                    checkpoints.committed(&conn);
                    // Raw work may write anything.
                    cache = WriterCache::default();
                }
            }
        }
        run_group(
            &mut conn,
            group,
            clock.as_ref(),
            &wake,
            &mut cache,
            sendable.get(),
            &checkpoints,
        );
    }
}

fn run_group(
    conn: &mut Connection,
    group: Vec<(TxJob, Reply)>,
    clock: &dyn Clock,
    wake: &broadcast::Sender<Wakeup>,
    cache: &mut WriterCache,
    sendable: Sendable,
    checkpoints: &Checkpoints,
) {
    if group.is_empty() {
        return;
    }
    cache.check_outside_writes(conn);
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let msg = e.to_string();
        for (_, reply) in group {
            let _ = reply.send(Err(StoreError::Database(msg.clone())));
        }
        return;
    }
    let (mut jobs, replies): (Vec<TxJob>, Vec<Reply>) = group.into_iter().unzip();
    let mut g = Group {
        conn,
        clock,
        cache,
        sendable,
        latest: HashMap::new(),
        seqs: HashMap::new(),
        results: jobs.iter().map(|_| None).collect(),
    };
    let ran = g.run_all(&mut jobs);
    let Group {
        conn,
        cache,
        latest,
        results,
        ..
    } = g;
    let results: Vec<(Reply, StoreResult<Box<dyn Any + Send>>)> = replies
        .into_iter()
        .zip(results)
        .map(|(r, o)| {
            (
                r,
                o.unwrap_or_else(|| Err(StoreError::Database("the job did not run".into()))),
            )
        })
        .collect();
    let finished = ran
        .and_then(|()| store_seqs(conn, &latest))
        .and_then(|()| crate::fts::flush(conn))
        .and_then(|()| conn.execute_batch("COMMIT").map_err(db_err));
    match finished {
        Ok(()) => {
            for (reply, outcome) in results {
                let _ = reply.send(outcome);
            }
            for (workspace_id, Head { seq, agents }) in latest {
                let _ = wake.send(Wakeup {
                    workspace_id,
                    seq,
                    agents,
                });
            }
            // After the answers: a catch-up checkpoint must not delay them.
            checkpoints.committed(conn);
        }
        Err(e) => {
            cache.forget_all();
            let _ = conn.execute_batch("ROLLBACK");
            let msg = e.to_string();
            for (reply, _) in results {
                let _ = reply.send(Err(StoreError::Database(msg.clone())));
            }
        }
    }
}

/// Write each workspace's event counter once for the whole group.
fn store_seqs(conn: &Connection, latest: &HashMap<WorkspaceId, Head>) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached("UPDATE workspaces SET event_seq = ?2 WHERE id = ?1")
        .map_err(db_err)?;
    for (ws, head) in latest {
        stmt.execute(rusqlite::params![ws.to_string(), head.seq])
            .map_err(db_err)?;
    }
    Ok(())
}

/// One group's transaction: the event counters its jobs have moved and each
/// job's result.
///
/// Repeatable jobs (see [`TxJob`]) run first, straight in the transaction
/// with no savepoint: a SAVEPOINT makes SQLite copy every page the
/// transaction touches into an in-memory sub-journal, and truncating that
/// journal after each statement walks it from the start, so a savepoint
/// spanning a group cost a fifth of the writer's time under routed inbound
/// load. Jobs almost never fail, and most that do fail before they write
/// (not found, conflict, validation), which needs no undoing. One that fails
/// after writing rolls the whole transaction back; the group's other
/// repeatable jobs then run again, each in its own savepoint. Jobs that run
/// once come after them, each in its own savepoint. The jobs of a group were
/// submitted concurrently, so running the repeatable ones first is one of
/// the orders they could have run in.
struct Group<'g> {
    conn: &'g mut Connection,
    clock: &'g dyn Clock,
    cache: &'g mut WriterCache,
    sendable: Sendable,
    latest: HashMap<WorkspaceId, Head>,
    seqs: HashMap<WorkspaceId, i64>,
    results: Vec<Option<StoreResult<Box<dyn Any + Send>>>>,
}

/// A workspace's newest event after a group, and whether any event of the
/// group wakes the agents' worker (sent with the wake-up).
#[derive(Clone, Copy)]
struct Head {
    seq: i64,
    agents: bool,
}

impl Group<'_> {
    /// Run every job. `Err` means the transaction is unusable.
    fn run_all(&mut self, jobs: &mut [TxJob]) -> StoreResult<()> {
        let (repeatable, once): (Vec<usize>, Vec<usize>) =
            (0..jobs.len()).partition(|&i| jobs[i].is_repeatable());
        self.run_repeatable(jobs, &repeatable)?;
        for i in once {
            self.results[i] = Some(self.job(&mut jobs[i], true));
        }
        Ok(())
    }

    /// Run the repeatable jobs without savepoints until one fails after it
    /// wrote; then roll back and run the others again, one savepoint each.
    fn run_repeatable(&mut self, jobs: &mut [TxJob], order: &[usize]) -> StoreResult<()> {
        let start = (self.latest.clone(), self.seqs.clone());
        for &i in order {
            let before = self.conn.total_changes();
            let outcome = self.job(&mut jobs[i], false);
            let wrote = self.conn.total_changes() != before;
            let failed_after_writing = outcome.is_err() && wrote;
            self.results[i] = Some(outcome);
            if !failed_after_writing {
                continue;
            }
            self.conn
                .execute_batch("ROLLBACK; BEGIN IMMEDIATE")
                .map_err(db_err)?;
            (self.latest, self.seqs) = start;
            // Caches may hold what the rolled-back jobs wrote.
            self.cache.forget_all();
            for &k in order.iter().filter(|&&k| k != i) {
                self.results[k] = Some(self.job(&mut jobs[k], true));
            }
            return Ok(());
        }
        Ok(())
    }

    /// Run one job, in its own savepoint if `savepoint`; on success its
    /// events move the counters on.
    fn job(&mut self, job: &mut TxJob, savepoint: bool) -> StoreResult<Box<dyn Any + Send>> {
        if savepoint {
            self.conn.execute_batch("SAVEPOINT job").map_err(db_err)?;
        }
        let mut tx = SqliteTx {
            conn: self.conn,
            now: self.clock.now(),
            appended: Vec::new(),
            loaded: Vec::new(),
            stash: None,
            sendable: self.sendable,
            seqs: self.seqs.clone(),
            cache: self.cache,
        };
        let mut result = futures::executor::block_on(job.run(&mut tx));
        // The job's held-back conversation row is part of what it did.
        if result.is_ok()
            && let Err(e) = tx.settle()
        {
            result = Err(e);
        }
        let appended = std::mem::take(&mut tx.appended);
        let job_seqs = std::mem::take(&mut tx.seqs);
        tx.cache.job_ended();
        drop(tx);
        if result.is_ok()
            && savepoint
            && let Err(e) = self.conn.execute_batch("RELEASE job")
        {
            result = Err(db_err(e));
        }
        match result {
            Ok(v) => {
                // Only a job that kept its events moves the counters on.
                self.seqs = job_seqs;
                for (ws, seq, agents) in appended {
                    let e = self.latest.entry(ws).or_insert(Head { seq, agents });
                    e.seq = e.seq.max(seq);
                    e.agents |= agents;
                }
                Ok(v)
            }
            Err(e) => {
                self.cache.job_failed();
                if savepoint {
                    self.conn
                        .execute_batch("ROLLBACK TO job; RELEASE job")
                        .map_err(db_err)?;
                }
                Err(e)
            }
        }
    }
}

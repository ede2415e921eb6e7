//! The single writer thread. SQLite allows one writer at a time, so instead of
//! letting connections queue on a lock, all writes go to one thread that owns
//! the write connection and commits them in groups: a refused command rolls
//! back alone (each job, or each run of repeatable jobs, has a SAVEPOINT; see
//! [`Group`]), and one COMMIT makes the whole group durable before any
//! caller is answered.

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
        run: None,
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
            for (workspace_id, seq) in latest {
                let _ = wake.send(Wakeup { workspace_id, seq });
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
fn store_seqs(conn: &Connection, latest: &HashMap<WorkspaceId, i64>) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached("UPDATE workspaces SET event_seq = ?2 WHERE id = ?1")
        .map_err(db_err)?;
    for (ws, seq) in latest {
        stmt.execute(rusqlite::params![ws.to_string(), seq])
            .map_err(db_err)?;
    }
    Ok(())
}

/// One group's transaction: the event counters its jobs have moved, each
/// job's result, and the open run of repeatable jobs.
///
/// Each job that runs once gets a SAVEPOINT, so that a failing one rolls
/// back alone. Repeatable jobs (see [`TxJob`]) in a row share one: each
/// SAVEPOINT copied every page the job touched into a sub-journal (a tenth
/// of the writer's time under routed inbound load), and jobs almost never
/// fail. When one does, the run is rolled back and its jobs that had
/// succeeded run again, each in its own SAVEPOINT.
struct Group<'g> {
    conn: &'g mut Connection,
    clock: &'g dyn Clock,
    cache: &'g mut WriterCache,
    sendable: Sendable,
    latest: HashMap<WorkspaceId, i64>,
    seqs: HashMap<WorkspaceId, i64>,
    run: Option<Run>,
    results: Vec<Option<StoreResult<Box<dyn Any + Send>>>>,
}

/// An open run of repeatable jobs: those that succeeded so far, and the
/// counters as they were when it opened.
struct Run {
    ok: Vec<usize>,
    latest: HashMap<WorkspaceId, i64>,
    seqs: HashMap<WorkspaceId, i64>,
}

impl Group<'_> {
    /// Run every job in order. `Err` means the transaction is unusable.
    fn run_all(&mut self, jobs: &mut [TxJob]) -> StoreResult<()> {
        for i in 0..jobs.len() {
            if !jobs[i].is_repeatable() {
                self.close_run()?;
                self.results[i] = Some(self.job(&mut jobs[i], true));
                continue;
            }
            if self.run.is_none() {
                self.conn.execute_batch("SAVEPOINT run").map_err(db_err)?;
                self.run = Some(Run {
                    ok: Vec::new(),
                    latest: self.latest.clone(),
                    seqs: self.seqs.clone(),
                });
            }
            let outcome = self.job(&mut jobs[i], false);
            let failed = outcome.is_err();
            self.results[i] = Some(outcome);
            if failed {
                self.undo_run(jobs)?;
            } else if let Some(run) = self.run.as_mut() {
                run.ok.push(i);
            }
        }
        self.close_run()
    }

    /// Keep the open run's work.
    fn close_run(&mut self) -> StoreResult<()> {
        if self.run.take().is_some() {
            self.conn.execute_batch("RELEASE run").map_err(db_err)?;
        }
        Ok(())
    }

    /// A job of the open run failed: roll the run back and run its jobs that
    /// had succeeded again, each in its own savepoint.
    fn undo_run(&mut self, jobs: &mut [TxJob]) -> StoreResult<()> {
        let Some(run) = self.run.take() else {
            return Ok(());
        };
        self.conn
            .execute_batch("ROLLBACK TO run; RELEASE run")
            .map_err(db_err)?;
        self.latest = run.latest;
        self.seqs = run.seqs;
        // Rosters may hold loads the rolled-back jobs wrote.
        self.cache.job_failed();
        for i in run.ok {
            self.results[i] = Some(self.job(&mut jobs[i], true));
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
                for (ws, seq) in appended {
                    let e = self.latest.entry(ws).or_insert(seq);
                    *e = (*e).max(seq);
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

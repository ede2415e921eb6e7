//! The single writer thread. SQLite allows one writer at a time, so instead of
//! letting connections queue on a lock, all writes go to one thread that owns
//! the write connection and commits them in groups: each job runs inside its
//! own SAVEPOINT (so a refused command rolls back alone), and one COMMIT makes
//! the whole group durable before any caller is answered.

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
                    );
                    let _ = reply.send(f(&mut conn));
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
    let mut results = Vec::with_capacity(group.len());
    let mut latest: HashMap<WorkspaceId, i64> = HashMap::new();
    let mut seqs: HashMap<WorkspaceId, i64> = HashMap::new();
    for (job, reply) in group {
        let outcome = run_job(conn, job, clock, &mut latest, &mut seqs, cache, sendable);
        results.push((reply, outcome));
    }
    let finished = store_seqs(conn, &latest)
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

fn run_job(
    conn: &mut Connection,
    job: TxJob,
    clock: &dyn Clock,
    latest: &mut HashMap<WorkspaceId, i64>,
    seqs: &mut HashMap<WorkspaceId, i64>,
    cache: &mut WriterCache,
    sendable: Sendable,
) -> StoreResult<Box<dyn Any + Send>> {
    conn.execute_batch("SAVEPOINT job").map_err(db_err)?;
    let mut tx = SqliteTx {
        conn,
        now: clock.now(),
        appended: Vec::new(),
        loaded: Vec::new(),
        stash: None,
        sendable,
        seqs: seqs.clone(),
        cache,
    };
    let mut result = futures::executor::block_on(job(&mut tx));
    // The job's held-back conversation row is part of what it did.
    if result.is_ok()
        && let Err(e) = tx.settle()
    {
        result = Err(e);
    }
    let appended = std::mem::take(&mut tx.appended);
    let job_seqs = std::mem::take(&mut tx.seqs);
    tx.cache.job_ended();
    if result.is_err() {
        tx.cache.job_failed();
    }
    drop(tx);
    match result {
        Ok(v) => {
            if let Err(e) = conn.execute_batch("RELEASE job") {
                cache.job_failed();
                return Err(db_err(e));
            }
            // Only a job that kept its events moves the counters on.
            *seqs = job_seqs;
            for (ws, seq) in appended {
                let e = latest.entry(ws).or_insert(seq);
                *e = (*e).max(seq);
            }
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
                .map_err(db_err)?;
            Err(e)
        }
    }
}

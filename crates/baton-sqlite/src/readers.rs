//! A small pool of read connections. WAL lets readers run beside the writer;
//! each read runs on tokio's blocking pool so the async runtime never blocks.

use baton_store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Read connections, checked out one per query.
pub struct Readers {
    conns: Arc<Mutex<Vec<Connection>>>,
    permits: Semaphore,
}

impl Readers {
    /// Wrap opened connections.
    pub fn new(conns: Vec<Connection>) -> Self {
        let n = conns.len();
        Readers {
            conns: Arc::new(Mutex::new(conns)),
            permits: Semaphore::new(n),
        }
    }

    /// Run `f` on a free read connection.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Database("store closed".into()))?;
        let conns = self.conns.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conns
                .lock()
                .map_err(|_| StoreError::Database("read pool poisoned".into()))?
                .pop()
                .ok_or_else(|| StoreError::Database("no free read connection".into()))?;
            let out = f(&conn);
            if let Ok(mut pool) = conns.lock() {
                pool.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }
}

//! The store conformance suite on SQLite: a fresh database file per test.

use baton_core::SystemClock;
use baton_sqlite::SqliteStore;
use baton_store::Store;
use std::sync::Arc;

async fn fresh_store() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join("baton-sqlite-tests");
    let path = dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", path.display());
    SqliteStore::open(&url, Arc::new(SystemClock))
        .await
        .expect("open a fresh SQLite store")
}

baton_store::conformance_tests!(fresh_store);

//! The store conformance suite on SQLite: a fresh database file per test.

mod common;

use baton_core::SystemClock;
use baton_sqlite::SqliteStore;
use baton_store::Store;
use std::sync::Arc;

async fn fresh_store() -> Arc<dyn Store> {
    SqliteStore::open(&common::db_url(), Arc::new(SystemClock))
        .await
        .expect("open a fresh SQLite store")
}

baton_store::conformance_tests!(fresh_store);

//! Shared by the PostgreSQL test crates: a fresh schema per store, and a
//! sweep of schemas left behind by earlier runs.

#![allow(dead_code, clippy::unwrap_used)]

use baton_core::SystemClock;
use baton_postgres::PgStore;
use sqlx::{Connection, PgConnection, Row};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// The database the tests use unless `BATON_TEST_POSTGRES_URL` says otherwise.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The test database URL.
pub fn url() -> String {
    std::env::var("BATON_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A schema name no other test uses; its UUID v7 records when it was made.
pub fn fresh_schema() -> String {
    format!("baton_test_{}", Uuid::now_v7().simple())
}

/// Connect to `schema`, failing the test loudly if PostgreSQL is not there.
pub async fn store_in(schema: &str) -> Arc<PgStore> {
    let url = url();
    sweep_stale_schemas(&url).await;
    match PgStore::connect_with_schema(&url, schema, Arc::new(SystemClock)).await {
        Ok(s) => s,
        Err(e) => panic!(
            "\n\nPostgreSQL tests need a database: could not use {url}: {e}\n\
             Start PostgreSQL there or set BATON_TEST_POSTGRES_URL.\n\n"
        ),
    }
}

/// A new, empty store in its own schema.
pub async fn fresh_store() -> Arc<dyn baton_store::Store> {
    store_in(&fresh_schema()).await
}

static SWEPT: AtomicBool = AtomicBool::new(false);

/// Once per test process, drop test schemas more than an hour old (the suite
/// has no tear-down hook, so each run cleans up after the ones before it).
async fn sweep_stale_schemas(url: &str) {
    if SWEPT.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut conn) = PgConnection::connect(url).await else {
        return; // connect_with_schema reports it properly
    };
    let rows = sqlx::query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'baton\\_test\\_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    for r in rows {
        let name: String = r.get(0);
        let made = Uuid::parse_str(name.trim_start_matches("baton_test_"))
            .ok()
            .and_then(|u| u.get_timestamp())
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        if made.is_some_and(|m| m < cutoff) {
            let _ = baton_postgres::drop_schema(url, &name).await;
        }
    }
    let _ = conn.close().await;
}

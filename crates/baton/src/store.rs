//! Pick the backend from the database URL, once, at start-up.

use baton_core::{Clock, SystemClock};
use baton_store::Store;
use std::sync::Arc;

/// Open the store named by `url`, running migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if url.starts_with("sqlite:") {
        let s = baton_sqlite::SqliteStore::open(url, clock)
            .await
            .map_err(|e| format!("cannot open {url}: {e}"))?;
        Ok(s)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let s = baton_postgres::PgStore::connect(url, clock)
            .await
            .map_err(|e| format!("cannot open {}: {e}", crate::config::redact_url(url)))?;
        Ok(s)
    } else {
        Err(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
            crate::config::redact_url(url)
        ))
    }
}

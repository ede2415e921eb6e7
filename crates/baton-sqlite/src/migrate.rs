//! Embedded migrations, tracked with `PRAGMA user_version`.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_routing.sql"),
    include_str!("../migrations/0003_timers.sql"),
    include_str!("../migrations/0004_agents.sql"),
    include_str!("../migrations/0006_view_counts.sql"),
];

/// Bring the schema up to date, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(db_err)? as usize;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql).map_err(db_err)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(version = i + 1, "sqlite migration applied");
    }
    Ok(())
}

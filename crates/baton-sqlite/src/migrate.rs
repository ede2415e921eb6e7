//! Embedded migrations, tracked per version in `baton_migrations`.
//!
//! Versions are the numbers in the file names, not positions: a branch may
//! land a lower number after a higher one was applied (0004 after 0005), and
//! it is applied then. Databases from before the table existed recorded their
//! progress in `PRAGMA user_version` (1 to 3); those steps count as applied
//! when the table is first created, and `user_version` is not used after.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::Connection;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_routing.sql")),
    (3, include_str!("../migrations/0003_timers.sql")),
    (4, include_str!("../migrations/0004_agents.sql")),
    (5, include_str!("../migrations/0005_notifications.sql")),
    (6, include_str!("../migrations/0006_view_counts.sql")),
    (7, include_str!("../migrations/0007_channel_reply_mode.sql")),
    (8, include_str!("../migrations/0008_fts_by_writer.sql")),
    (9, include_str!("../migrations/0009_no_events_kind_index.sql")),
    (10, include_str!("../migrations/0010_fts_progress.sql")),
];

/// Bring the schema up to date, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let legacy: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(db_err)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS baton_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL DEFAULT 0)",
    )
    .map_err(db_err)?;
    let tracked: i64 = conn
        .query_row("SELECT count(*) FROM baton_migrations", [], |r| r.get(0))
        .map_err(db_err)?;
    if tracked == 0 {
        for v in 1..=legacy {
            conn.execute("INSERT INTO baton_migrations (version) VALUES (?1)", [v])
                .map_err(db_err)?;
        }
    }
    for (version, sql) in MIGRATIONS {
        let done: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM baton_migrations WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(db_err)?;
        if done {
            continue;
        }
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(sql).map_err(db_err)?;
        tx.execute("INSERT INTO baton_migrations (version) VALUES (?1)", [version])
            .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        tracing::info!(version, "sqlite migration applied");
    }
    Ok(())
}

//! Embedded migrations, tracked in `baton_migrations`.
//!
//! Each step runs in its own transaction under a transaction-scoped advisory
//! lock, so nodes starting at the same moment apply every step exactly once:
//! the second waits for the lock, then sees the step recorded and skips it.

use crate::rows::db_err;
use baton_store::StoreResult;
use sqlx::{Connection, PgConnection};

/// (version, SQL): versions are the file numbers, not positions, so a lower
/// number landing later (0004 after 0005) is still applied.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_routing.sql")),
    (3, include_str!("../migrations/0003_timers.sql")),
    (4, include_str!("../migrations/0004_agents.sql")),
    (5, include_str!("../migrations/0005_notifications.sql")),
    (6, include_str!("../migrations/0006_view_counts.sql")),
    (7, include_str!("../migrations/0007_channel_reply_mode.sql")),
];

/// First key of the advisory lock (the second is the schema's hash, so
/// stores in different schemas of one database migrate independently).
const LOCK_KEY: i32 = 0x0BA7_0001;

/// Bring the schema up to date.
pub async fn migrate(conn: &mut PgConnection) -> StoreResult<()> {
    for &(version, sql) in MIGRATIONS {
        let mut tx = conn.begin().await.map_err(db_err)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(LOCK_KEY)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS baton_migrations (\
               version integer PRIMARY KEY, \
               applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let done = sqlx::query("SELECT 1 FROM baton_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        if done {
            tx.commit().await.map_err(db_err)?;
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("INSERT INTO baton_migrations (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::info!(version, "postgres migration applied");
    }
    Ok(())
}

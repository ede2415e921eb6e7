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
    (11, include_str!("../migrations/0011_notifications_by_user.sql")),
    (12, include_str!("../migrations/0012_interned.sql")),
    (13, include_str!("../migrations/0013_events_in_a_rowid_table.sql")),
    (
        14,
        include_str!("../migrations/0014_notifications_in_a_rowid_table.sql"),
    ),
    (15, include_str!("../migrations/0015_fts_merges_by_writer.sql")),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Apply the migrations up to and including `last`.
    fn migrate_to(conn: &Connection, last: i64) {
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= last) {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("migration {version}: {e}"));
        }
    }

    #[test]
    fn notifications_move_to_user_order_with_their_unread_counts() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 10);
        conn.execute_batch(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Acme', 0);
             INSERT INTO users (id, workspace_id, email, name, handle, role, active, availability, created_at, updated_at)
             VALUES ('ann', 'w', 'ann@x', 'Ann', 'ann', 'agent', 1, 'online', 0, 0),
                    ('bob', 'w', 'bob@x', 'Bob', 'bob', 'agent', 1, 'online', 0, 0);
             INSERT INTO notifications (id, workspace_id, user_id, kind, title, body, in_app, created_at, read_at) VALUES
               ('n1', 'w', 'ann', 'assigned', 't', 'b', 1, 1, NULL),
               ('n2', 'w', 'ann', 'assigned', 't', 'b', 1, 2, 5),
               ('n3', 'w', 'ann', 'assigned', 't', 'b', 1, 3, NULL),
               ('n4', 'w', 'ann', 'assigned', 't', 'b', 0, 4, NULL),
               ('n5', 'w', 'bob', 'mentioned', 't', 'b', 1, 5, 6);",
        )
        .unwrap();
        apply_one(&conn, 11);
        let ids: Vec<String> = conn
            .prepare("SELECT id FROM notifications ORDER BY user_id, created_at")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, ["n1", "n2", "n3", "n4", "n5"], "every notification kept");
        let read_at: Option<i64> = conn
            .query_row("SELECT read_at FROM notifications WHERE id = 'n2'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(read_at, Some(5));
        let counts: Vec<(String, i64)> = conn
            .prepare("SELECT user_id, n FROM notification_unread ORDER BY user_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(counts, [("ann".to_string(), 2)], "in-app, not yet read");
    }

    #[test]
    fn events_and_notifications_move_to_rowid_tables_with_every_row_kept() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 12);
        conn.execute_batch(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Acme', 0), ('v', 'Beta', 0);
             INSERT INTO users (id, workspace_id, email, name, handle, role, active, availability, created_at, updated_at)
             VALUES ('ann', 'w', 'ann@x', 'Ann', 'ann', 'agent', 1, 'online', 0, 0);
             INSERT INTO events (workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data) VALUES
               ('w', 1, 'conversation.created', 'c1', 'system', 1, 'null', '{}', NULL, 'null'),
               ('w', 2, 'conversation.routed', 'c1', 'system', 2, 'null', '{}', 'rule', '{\"rule\":1}'),
               ('v', 1, 'workspace.created', NULL, 'system', 3, 'null', '{}', NULL, 'null');
             INSERT INTO notifications (id, workspace_id, user_id, kind, title, body, in_app, created_at, read_at) VALUES
               ('n1', 'w', 'ann', 'assigned', 't1', 'b1', 1, 1, NULL),
               ('n2', 'w', 'ann', 'assigned', 't2', 'b2', 0, 2, 7);",
        )
        .unwrap();
        apply_one(&conn, 13);
        apply_one(&conn, 14);
        /// (workspace_id, seq, conversation_id, reason, data)
        type EventRow = (String, i64, Option<String>, Option<String>, String);
        let events: Vec<EventRow> = conn
            .prepare("SELECT workspace_id, seq, conversation_id, reason, data FROM events ORDER BY rowid")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            events,
            [
                ("w".into(), 1, Some("c1".into()), None, "null".into()),
                (
                    "w".into(),
                    2,
                    Some("c1".into()),
                    Some("rule".into()),
                    "{\"rule\":1}".into()
                ),
                ("v".into(), 1, None, None, "null".into()),
            ],
            "every event kept, each workspace's in seq order"
        );
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            ids,
            [(1 << 40) | 1, (1 << 40) | 2, (2 << 40) | 1],
            "event key, then seq"
        );
        let insert = |id: &str, seq: i64| {
            conn.execute(
                &format!(
                    "INSERT INTO events (id, workspace_id, seq, kind, actor, at, before, after, data) \
                     VALUES ({id}, 'w', {seq}, 'x', 'system', 9, 'null', 'null', 'null')"
                ),
                [],
            )
        };
        assert!(
            insert("(1 << 40) | 2", 2).is_err(),
            "a (workspace, seq) pair is still unique"
        );
        assert!(insert("NULL", 3).is_err(), "an event without its key is refused");
        assert!(insert("(1 << 40) | 4", 3).is_err(), "the rowid and the seq agree");
        conn.execute(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('u', 'Gamma', 0)",
            [],
        )
        .unwrap();
        let key: i64 = conn
            .query_row("SELECT event_key FROM workspaces WHERE id = 'u'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(key, 3, "a new workspace takes the next event key");
        let notes: Vec<(String, String, i64, Option<i64>)> = conn
            .prepare("SELECT id, title, in_app, read_at FROM notifications ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            notes,
            [
                ("n1".into(), "t1".into(), 1, None),
                ("n2".into(), "t2".into(), 0, Some(7))
            ]
        );
        let rowid_tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'notifications') \
                 AND sql NOT LIKE '%WITHOUT ROWID%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rowid_tables, 2);
    }

    #[test]
    fn an_event_of_no_workspace_stops_the_move_rather_than_being_dropped() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_to(&conn, 12);
        conn.execute_batch(
            "INSERT INTO events (workspace_id, seq, kind, actor, at, before, after, data)
             VALUES ('gone', 1, 'x', 'system', 1, 'null', 'null', 'null');",
        )
        .unwrap();
        let (_, sql) = MIGRATIONS.iter().find(|(v, _)| *v == 13).unwrap();
        let err = conn.execute_batch(sql).unwrap_err().to_string();
        assert!(err.contains("CHECK constraint failed"), "{err}");
    }

    /// Apply only migration `version`.
    fn apply_one(conn: &Connection, version: i64) {
        let (_, sql) = MIGRATIONS.iter().find(|(v, _)| *v == version).unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

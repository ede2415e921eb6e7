//! Query plans, for tests that hold a read to the index it was built for.
#![allow(clippy::unwrap_used)]

use rusqlite::Connection;

/// The steps of SQLite's `EXPLAIN QUERY PLAN` for `sql` with `params`.
pub fn query_plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

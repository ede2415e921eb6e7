//! Full-text indexing happens once per group of jobs, just before COMMIT
//! (see `src/fts.rs`): the index must match the rows exactly, whatever the
//! jobs of a group did — new contacts renamed in the same group, jobs that
//! failed after inserting, contacts renamed long after.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_store::*;
use common::{acme_with_api_channel, db_url};
use rusqlite::Connection;

fn contact(id: &str, name: &str) -> ContactInput {
    ContactInput {
        external_id: Some(id.into()),
        name: Some(name.into()),
        ..Default::default()
    }
}

/// One number from `sql`.
fn number(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> i64 {
    conn.query_row(sql, params, |r| r.get(0)).unwrap()
}

fn matches(conn: &Connection, table: &str, q: &str) -> i64 {
    number(
        conn,
        &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
        [q],
    )
}

/// FTS5's own check that an index holds exactly its rows.
fn assert_index_matches_rows(conn: &Connection, table: &str) {
    conn.execute(
        &format!("INSERT INTO {table} ({table}) VALUES ('integrity-check')"),
        [],
    )
    .unwrap_or_else(|e| panic!("{table} does not match its rows: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_search_index_matches_the_rows_after_bursts_renames_and_failures() {
    let url = db_url();
    let (store, ws, ch) = acme_with_api_channel(&url).await;
    // Bursts of 32 at once, so that jobs share groups: each contact writes
    // twice in its burst, the second time under a new name.
    for burst in 0..4 {
        let mut tasks = Vec::new();
        for k in 0..32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("b{burst}-{k}");
                store
                    .inbound(ws, ch, contact(&id, "Oldname Person"), "first parcel question")
                    .await
                    .unwrap();
                store
                    .inbound(ws, ch, contact(&id, "Newname Person"), "second blender question")
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    // One job creates a contact, renames it and posts, all in one
    // transaction; another does the same and then fails.
    for fail in [false, true] {
        let r = in_tx(store.as_ref(), move |tx| {
            Box::pin(async move {
                let id = if fail { "ghost" } else { "solo" };
                ops::inbound(tx, ws, ch, contact(id, "Firstname Solo"), "kettle", None).await?;
                ops::inbound(tx, ws, ch, contact(id, "Secondname Solo"), "toaster", None).await?;
                if fail {
                    return Err(StoreError::invalid("doomed", "this job fails after writing"));
                }
                Ok(())
            })
        })
        .await;
        assert_eq!(r.is_err(), fail);
    }
    drop(store);
    let conn = Connection::open(url.trim_start_matches("sqlite://")).unwrap();
    for table in ["messages_fts", "contacts_fts"] {
        assert_index_matches_rows(&conn, table);
    }
    assert_eq!(matches(&conn, "messages_fts", "parcel"), 128);
    assert_eq!(matches(&conn, "messages_fts", "blender"), 128);
    assert_eq!(matches(&conn, "contacts_fts", "newname"), 128);
    assert_eq!(
        matches(&conn, "contacts_fts", "oldname"),
        0,
        "renamed contacts lose their old name"
    );
    assert_eq!(matches(&conn, "contacts_fts", "secondname"), 1);
    assert_eq!(matches(&conn, "contacts_fts", "firstname"), 0);
    assert_eq!(
        matches(&conn, "messages_fts", "toaster"),
        1,
        "the failed job indexed nothing"
    );
    assert_eq!(matches(&conn, "messages_fts", "kettle"), 1);
}

/// FTS5's own merges are off (migration 0015: they came all at once, inside
/// a COMMIT); the writer's merge steps after every 64 rows indexed keep each
/// index in a few segments, however many groups wrote to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_writers_merge_steps_keep_each_index_in_a_few_segments() {
    let url = db_url();
    let (store, ws, ch) = acme_with_api_channel(&url).await;
    // 120 bursts of 16 at once: each group writes a segment to each index.
    for burst in 0..120 {
        let mut tasks = Vec::new();
        for k in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("s{burst}-{k}");
                let body = format!("kettle number {burst} {k} arrived broken");
                store
                    .inbound(ws, ch, contact(&id, "Segment Person"), &body)
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    drop(store);
    let conn = Connection::open(url.trim_start_matches("sqlite://")).unwrap();
    for table in ["messages_fts", "contacts_fts"] {
        let automerge = number(
            &conn,
            &format!("SELECT v FROM {table}_config WHERE k = 'automerge'"),
            [],
        );
        assert_eq!(automerge, 0, "{table}: FTS5 merges by itself");
        // Each segment has at least one row in the index's `_idx` table.
        let n = number(
            &conn,
            &format!("SELECT count(DISTINCT segid) FROM {table}_idx"),
            [],
        );
        assert!(n <= 8, "{table} is in {n} segments");
        assert_index_matches_rows(&conn, table);
    }
    assert_eq!(matches(&conn, "messages_fts", "kettle"), 120 * 16);
    assert_eq!(matches(&conn, "contacts_fts", "segment"), 120 * 16);
}

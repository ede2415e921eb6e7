//! Full-text indexing of messages and contacts, once per group of jobs.
//!
//! FTS5 writes out its pending terms at every SAVEPOINT: indexing inside jobs
//! made a tiny segment per job. And any trigger on an insert, even one that
//! only notes the new row, makes the insert a multi-row write, which SQLite
//! runs under a statement journal (a copy of every page it touches). So
//! nothing fires on insert: [`flush`] indexes, just before COMMIT, every
//! message and contact whose rowid is past the high-water mark kept in
//! `fts_progress` (migration 0010), and moves the mark. Messages and contacts
//! are never deleted, so rowids only grow; a job rolled back frees its rowids
//! before any flush saw them. Only the writer connection writes (readers are
//! read-only), and every transaction it commits flushes first.
//!
//! FTS5 merges its index segments itself (`automerge`): every 64 leaves
//! written, it merges 64 leaves per level of the index at once, inside the
//! COMMIT that crossed the line. Under routed load that was a 4–14 ms COMMIT
//! several times in ten seconds, holding up every caller in the group and
//! the next. Migration 0015 turns it off, and [`flush`] merges in small
//! steps instead: each time 64 more rows of a kind have been indexed, it
//! asks for as many pages of merging as the text of those rows will need
//! ([`merge_pages`]). FTS5's crisis merge (16 segments on a level) stays as
//! the backstop.

use crate::rows::db_err;
use baton_store::StoreResult;
use rusqlite::{Connection, params};

/// Create the TEMP trigger that re-indexes renamed contacts on the writer
/// connection.
pub fn install(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "-- A contact already indexed is re-indexed when its name or email
         -- changes; one past the mark is indexed as it is at flush time.
         CREATE TEMP TRIGGER IF NOT EXISTS contacts_fts_change AFTER UPDATE OF name, email ON main.contacts
         WHEN old.rowid <= (SELECT last_row FROM main.fts_progress WHERE kind = 1) BEGIN
             INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.rowid, old.name, old.email);
             INSERT INTO contacts_fts (rowid, name, email) VALUES (new.rowid, new.name, new.email);
         END;",
    )
    .map_err(db_err)
}

/// One kind of indexed row.
struct Kind {
    /// Its key in `fts_progress`.
    kind: i64,
    /// Its mark and its table's newest rowid.
    marks: &'static str,
    /// Indexes a range of rowids.
    index: &'static str,
    /// The length of the text of a range of rowids.
    text_len: &'static str,
    /// Merges up to ?1 pages of its index.
    merge: &'static str,
}

const KINDS: [Kind; 2] = [
    Kind {
        kind: 1,
        marks: "SELECT last_row, (SELECT coalesce(max(rowid), 0) FROM contacts) FROM fts_progress WHERE kind = 1",
        index: "INSERT INTO contacts_fts (rowid, name, email) \
                SELECT rowid, name, email FROM contacts WHERE rowid > ?1 AND rowid <= ?2",
        text_len: "SELECT coalesce(sum(coalesce(length(name), 0) + coalesce(length(email), 0)), 0) \
                   FROM contacts WHERE rowid > ?1 AND rowid <= ?2",
        merge: "INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('merge', ?1)",
    },
    Kind {
        kind: 0,
        marks: "SELECT last_row, (SELECT coalesce(max(rowid), 0) FROM messages) FROM fts_progress WHERE kind = 0",
        index: "INSERT INTO messages_fts (rowid, body) \
                SELECT rowid, body FROM messages WHERE rowid > ?1 AND rowid <= ?2",
        text_len: "SELECT coalesce(sum(length(body)), 0) FROM messages WHERE rowid > ?1 AND rowid <= ?2",
        merge: "INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?1)",
    },
];

/// Rows of a kind indexed between two merge steps.
pub const MERGE_EVERY_ROWS: i64 = 64;

/// The least pages one merge step asks for per 64 rows. A flush writes at
/// least one leaf per kind, and each leaf is merged again about once per
/// level of the index (4 segments make one on the next level): short chat
/// messages need about a dozen pages per 64 rows, and this leaves room.
const MIN_PAGES: i64 = 32;

/// Characters of text per page of merging asked for. About a page of index
/// per 4,000 characters of text, merged again on each of up to eight
/// levels, is a page per 500; twice that keeps up with long emails.
const TEXT_PER_PAGE: i64 = 250;

/// Pages of merging to ask for after indexing up to `newest` from `last`:
/// none until a multiple of [`MERGE_EVERY_ROWS`] is passed, then enough for
/// `text_len` characters in the blocks passed.
pub fn merge_pages(last: i64, newest: i64, text_len: i64) -> i64 {
    let blocks = newest / MERGE_EVERY_ROWS - last / MERGE_EVERY_ROWS;
    if blocks <= 0 {
        return 0;
    }
    (blocks * MIN_PAGES).max(text_len / TEXT_PER_PAGE)
}

/// Index every row past the marks, inside the open transaction (call before
/// COMMIT), and take a merge step for each kind that passed a multiple of
/// [`MERGE_EVERY_ROWS`].
pub fn flush(conn: &Connection) -> StoreResult<()> {
    for k in KINDS {
        let (last, newest): (i64, i64) = conn
            .prepare_cached(k.marks)
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(db_err)?;
        if newest <= last {
            continue;
        }
        conn.prepare_cached(k.index)
            .and_then(|mut s| s.execute(params![last, newest]))
            .map_err(db_err)?;
        conn.prepare_cached("UPDATE fts_progress SET last_row = ?2 WHERE kind = ?1")
            .and_then(|mut s| s.execute(params![k.kind, newest]))
            .map_err(db_err)?;
        // The whole blocks of rows passed, rows of earlier flushes included.
        let (from, to) = (
            last / MERGE_EVERY_ROWS * MERGE_EVERY_ROWS,
            newest / MERGE_EVERY_ROWS * MERGE_EVERY_ROWS,
        );
        if to == from {
            continue;
        }
        let text_len: i64 = conn
            .prepare_cached(k.text_len)
            .and_then(|mut s| s.query_row(params![from, to], |r| r.get(0)))
            .map_err(db_err)?;
        conn.prepare_cached(k.merge)
            .and_then(|mut s| s.execute([merge_pages(last, newest, text_len)]))
            .map_err(db_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_step_comes_each_time_64_more_rows_are_indexed() {
        assert_eq!(merge_pages(0, 63, 10_000), 0, "no multiple of 64 passed");
        assert_eq!(merge_pages(60, 70, 0), MIN_PAGES, "64 passed");
        assert_eq!(merge_pages(64, 127, 0), 0, "from 64 itself, 128 is next");
        assert_eq!(merge_pages(100, 300, 0), 3 * MIN_PAGES, "128, 192 and 256 passed");
    }

    #[test]
    fn long_texts_ask_for_more_merging() {
        let chat = 64 * 40;
        assert_eq!(merge_pages(0, 64, chat), MIN_PAGES, "short messages: the floor");
        let emails = 64 * 10_000;
        assert_eq!(merge_pages(0, 64, emails), emails / TEXT_PER_PAGE);
    }
}

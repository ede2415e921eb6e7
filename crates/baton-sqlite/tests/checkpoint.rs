//! The write-ahead log stays bounded under a writer that never pauses (an
//! earlier checkpoint thread let it grow to gigabytes: kept as a guard).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_store::*;
use common::{acme_with_api_channel, db_url};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_log_stays_bounded_under_a_long_burst_of_writes() {
    let url = db_url();
    let (store, ws, ch) = acme_with_api_channel(&url).await;
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    let wal = path.with_extension("db-wal");
    let wal_bytes = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    // 8,192 frames: page size 4096 plus each frame's 24-byte header. SQLite
    // checkpoints at 1,000 and starts the log over once all is copied back.
    let limit = 8192 * (4096 + 24);
    // Write, 32 at a time, four times the limit in all: the log is emptied
    // along the way, so it never grows far past the limit.
    let mut written = 0u64;
    let mut largest = 0u64;
    let mut n = 0;
    while written < 4 * limit {
        let before = wal_bytes();
        let mut tasks = Vec::new();
        for _ in 0..32 {
            n += 1;
            let (store, who) = (store.clone(), format!("c{n}"));
            tasks.push(tokio::spawn(async move {
                let contact = ContactInput {
                    external_id: Some(who),
                    ..Default::default()
                };
                store
                    .inbound(
                        ws,
                        ch,
                        contact,
                        &"A long message about a late parcel. ".repeat(20),
                    )
                    .await
                    .unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        written += wal_bytes().saturating_sub(before).max(32 * 4096);
        largest = largest.max(wal_bytes());
    }
    assert!(
        largest < 2 * limit,
        "the log reached {largest} bytes while writing (limit {limit})"
    );
    // Once writes stop, the checkpointer empties an oversized log.
    let start = Instant::now();
    while wal_bytes() > limit {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the log stayed at {} bytes after {n} inbound messages",
            wal_bytes()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! The SQLite tests' databases outlive them; each test process removes
//! those of earlier runs (`common::db_url`).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

#[test]
fn files_an_hour_old_are_swept_and_newer_ones_kept() {
    let dir = std::env::temp_dir().join(format!("baton-sweep-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("a-directory")).unwrap();
    let old = dir.join("old.db-wal");
    let new = dir.join("new.db");
    for path in [&old, &new] {
        std::fs::write(path, b"test data").unwrap();
    }
    let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let hour = Duration::from_secs(3600);
    assert_eq!(common::sweep_older_than(&dir, hour), 1);
    assert!(!old.exists(), "the old file is gone");
    assert!(new.exists(), "the new one is kept");
    assert!(dir.join("a-directory").exists(), "directories are left alone");
    assert_eq!(common::sweep_older_than(&dir.join("missing"), hour), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `sqlite://` URLs and connection settings.

use baton_store::{StoreError, StoreResult};
use std::path::PathBuf;

/// How to open the database.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// The database file.
    pub path: PathBuf,
    /// `synchronous=FULL` (survives power loss) instead of `NORMAL` (survives
    /// a process crash).
    pub synchronous_full: bool,
    /// Read connections.
    pub readers: usize,
    /// WAL size in frames (about 4 KiB each) past which the writer copies
    /// the rest back itself so the log can start over (see `checkpoint`).
    pub wal_catch_up_frames: i64,
}

impl SqliteOptions {
    /// Parse `sqlite://PATH[?synchronous=full|normal]` (also `sqlite:PATH`).
    pub fn from_url(url: &str) -> StoreResult<Self> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::Database(format!("not a sqlite URL: {url}")))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(StoreError::Database("the sqlite URL has no file path".into()));
        }
        let mut opts = SqliteOptions {
            path: PathBuf::from(path),
            synchronous_full: false,
            readers: 4,
            wal_catch_up_frames: crate::checkpoint::CATCH_UP_FRAMES,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("full") => opts.synchronous_full = true,
                Some(("synchronous", v)) if v.eq_ignore_ascii_case("normal") => opts.synchronous_full = false,
                Some(("readers", v)) => {
                    opts.readers = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=64).contains(n))
                        .ok_or_else(|| StoreError::Database(format!("bad readers={v} in sqlite URL")))?
                }
                _ => {
                    return Err(StoreError::Database(format!(
                        "unknown sqlite URL option {pair:?}"
                    )));
                }
            }
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_paths_parse() {
        assert_eq!(
            SqliteOptions::from_url("sqlite://./baton-data/baton.db")
                .unwrap()
                .path,
            PathBuf::from("./baton-data/baton.db")
        );
        assert_eq!(
            SqliteOptions::from_url("sqlite:///tmp/x.db").unwrap().path,
            PathBuf::from("/tmp/x.db")
        );
        assert!(
            SqliteOptions::from_url("sqlite:///tmp/x.db?synchronous=full")
                .unwrap()
                .synchronous_full
        );
    }

    #[test]
    fn bad_urls_are_refused() {
        assert!(SqliteOptions::from_url("postgres://x").is_err());
        assert!(SqliteOptions::from_url("sqlite://").is_err());
        assert!(SqliteOptions::from_url("sqlite:///x.db?wal=off").is_err());
    }
}

//! Opaque cursors for keyset paging: `<micros>.<uuid>` or `<seq>`, never offsets,
//! so pages stay stable while rows are inserted.

use crate::error::{StoreError, StoreResult};
use baton_core::Timestamp;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The default page size.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page size.
pub const MAX_LIMIT: u32 = 200;

/// A page request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items at most (clamped to 1..=200, default 50).
    pub limit: Option<u32>,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// First page of the given size.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: Some(limit),
            cursor: None,
        }
    }

    /// The effective limit.
    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// Decode a time-and-id cursor.
    pub fn time_cursor(&self) -> StoreResult<Option<(Timestamp, Uuid)>> {
        self.cursor.as_deref().map(decode_time_cursor).transpose()
    }

    /// Decode an integer cursor (event sequence numbers).
    pub fn seq_cursor(&self) -> StoreResult<Option<i64>> {
        self.cursor
            .as_deref()
            .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
            .transpose()
    }

    /// Decode an id cursor.
    pub fn id_cursor(&self) -> StoreResult<Option<Uuid>> {
        self.cursor
            .as_deref()
            .map(|c| Uuid::parse_str(c).map_err(|_| bad_cursor()))
            .transpose()
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from `limit + 1` fetched rows: the extra row only signals
    /// that there is more.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(cursor_of) } else { None };
        Page {
            items: rows,
            next_cursor,
        }
    }

    /// Transform the items.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Encode a time-and-id cursor.
pub fn encode_time_cursor(t: Timestamp, id: Uuid) -> String {
    format!("{}.{}", t.timestamp_micros(), id.simple())
}

fn decode_time_cursor(c: &str) -> StoreResult<(Timestamp, Uuid)> {
    let (micros, id) = c.split_once('.').ok_or_else(bad_cursor)?;
    let micros: i64 = micros.parse().map_err(|_| bad_cursor())?;
    let t: DateTime<Utc> = DateTime::from_timestamp_micros(micros).ok_or_else(bad_cursor)?;
    let id = Uuid::parse_str(id).map_err(|_| bad_cursor())?;
    Ok((t, id))
}

fn bad_cursor() -> StoreError {
    StoreError::invalid("invalid_cursor", "the cursor is not one this server gave out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_cursor_round_trips() {
        let t = baton_core::time::normalize(Utc::now());
        let id = Uuid::now_v7();
        let req = PageRequest {
            limit: None,
            cursor: Some(encode_time_cursor(t, id)),
        };
        assert_eq!(req.time_cursor().unwrap(), Some((t, id)));
    }

    #[test]
    fn garbage_cursor_is_invalid_not_a_panic() {
        for c in ["", "x", "1.zz", "abc.0190", "99999999999999999999.x"] {
            let req = PageRequest {
                limit: None,
                cursor: Some(c.into()),
            };
            assert!(req.time_cursor().is_err(), "{c}");
        }
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(
            PageRequest {
                limit: Some(0),
                cursor: None
            }
            .limit(),
            1
        );
        assert_eq!(
            PageRequest {
                limit: Some(1000),
                cursor: None
            }
            .limit(),
            200
        );
        assert_eq!(PageRequest::default().limit(), 50);
    }
}

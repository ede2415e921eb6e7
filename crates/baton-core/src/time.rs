//! Time: one timestamp type and an injectable clock.

use chrono::{DateTime, SubsecRound, Utc};

/// A point in time, always UTC, with microsecond precision so that it
/// round-trips through both databases unchanged.
pub type Timestamp = DateTime<Utc>;

/// Truncate to the precision every backend stores (microseconds).
pub fn normalize(t: Timestamp) -> Timestamp {
    t.trunc_subsecs(6)
}

/// A clock, injected so tests decide what "now" is.
pub trait Clock: Send + Sync {
    /// The current time, truncated to microseconds.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        normalize(Utc::now())
    }
}

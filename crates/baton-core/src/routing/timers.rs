//! Per-team timers: what happens when an assignee does not reply in time, or
//! goes away.

use crate::error::DomainError;
use crate::routing::PickMode;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What to do with a conversation whose assignee did not reply in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutAction {
    /// Unassign it and return it to the team's queue; another eligible member
    /// takes it at once, otherwise it waits.
    #[default]
    Requeue,
    /// Give it straight to another eligible member; keep the assignee if there is none.
    Reassign,
}

/// A team's routing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TeamSettings {
    /// Minutes an assignee has to reply before the timeout action (none: off).
    pub reply_timeout_minutes: Option<u32>,
    /// What the timeout does.
    pub on_reply_timeout: TimeoutAction,
    /// Return a member's open conversations of this team to the queue when
    /// they go away or offline.
    pub requeue_when_away: bool,
    /// How the team's queue picks (round robin by default).
    pub queue_mode: Option<PickMode>,
}

impl TeamSettings {
    /// Refuse nonsense (422).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.reply_timeout_minutes.is_some_and(|m| m == 0 || m > 10_080) {
            return Err(DomainError::invalid(
                "invalid_reply_timeout",
                "reply_timeout_minutes must be between 1 and 10080 (a week)",
            ));
        }
        Ok(())
    }

    /// The queue's pick mode.
    pub fn mode(&self) -> PickMode {
        self.queue_mode.unwrap_or(PickMode::RoundRobin)
    }

    /// The latest moment a reply may still be owed without the timer firing:
    /// a conversation waiting since before this is overdue at `now`.
    pub fn reply_cutoff(&self, now: Timestamp) -> Option<Timestamp> {
        self.reply_timeout_minutes
            .map(|m| now - chrono::Duration::minutes(i64::from(m)))
    }
}

/// Since when the assignee owes a reply: the later of the assignment and the
/// contact's last message, unless a person replied after both.
pub fn awaiting_reply_since(
    assigned_at: Option<Timestamp>,
    last_incoming_at: Option<Timestamp>,
    last_reply_at: Option<Timestamp>,
) -> Option<Timestamp> {
    let since = match (assigned_at, last_incoming_at) {
        (Some(a), Some(i)) => a.max(i),
        (Some(a), None) => a,
        (None, Some(i)) => i,
        (None, None) => return None,
    };
    match last_reply_at {
        Some(r) if r >= since => None,
        _ => Some(since),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(m: i64) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(m)
    }

    #[test]
    fn a_reply_after_the_assignment_settles_the_debt() {
        assert_eq!(awaiting_reply_since(Some(t(0)), None, None), Some(t(0)));
        assert_eq!(awaiting_reply_since(Some(t(0)), Some(t(5)), None), Some(t(5)));
        assert_eq!(awaiting_reply_since(Some(t(0)), Some(t(5)), Some(t(6))), None);
        assert_eq!(
            awaiting_reply_since(Some(t(0)), Some(t(5)), Some(t(3))),
            Some(t(5))
        );
    }

    #[test]
    fn timeout_bounds_are_checked() {
        let mut s = TeamSettings {
            reply_timeout_minutes: Some(0),
            ..Default::default()
        };
        assert!(s.validate().is_err());
        s.reply_timeout_minutes = Some(15);
        assert!(s.validate().is_ok());
        assert_eq!(s.reply_cutoff(t(20)), Some(t(5)));
        assert_eq!(TeamSettings::default().reply_cutoff(t(0)), None);
    }
}

//! Picking a human: eligibility, round robin and balanced load, each pick
//! explained candidate by candidate. Pure functions over loaded facts.

use crate::ids::*;
use crate::role::Availability;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What routing knows about a possible assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The user.
    pub user_id: UserId,
    /// Active (not deactivated).
    pub active: bool,
    /// Allowed to reply (not a viewer).
    pub can_reply: bool,
    /// Member of the team being picked from (always true for assign_user).
    pub member: bool,
    /// Presence.
    pub availability: Availability,
    /// Open conversations assigned now.
    pub open_count: u32,
    /// Capacity (`None`: no limit).
    pub max_open: Option<u32>,
    /// When routing last gave them a conversation.
    pub last_assigned_at: Option<Timestamp>,
}

/// Why a candidate was or was not picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateNote {
    /// The user.
    pub user_id: UserId,
    /// Could have been picked.
    pub eligible: bool,
    /// `chosen`, `deactivated`, `not_a_member`, `away`, `offline`, `at_capacity (5/5)`,
    /// `viewer`, or for eligible ones not chosen, why another won.
    pub reason: String,
}

impl Candidate {
    /// `Ok` if routing may pick this user, else the reason not.
    pub fn eligibility(&self) -> Result<(), String> {
        if !self.active {
            return Err("deactivated".into());
        }
        if !self.can_reply {
            return Err("viewer".into());
        }
        if !self.member {
            return Err("not_a_member".into());
        }
        match self.availability {
            Availability::Online => {}
            other => return Err(other.as_str().into()),
        }
        if let Some(max) = self.max_open
            && self.open_count >= max
        {
            return Err(format!("at_capacity ({}/{max})", self.open_count));
        }
        Ok(())
    }
}

/// A pick and its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The chosen user, if anyone was eligible.
    pub chosen: Option<UserId>,
    /// Every candidate, in the order considered.
    pub candidates: Vec<CandidateNote>,
}

fn notes(
    cands: &[Candidate],
    chosen: Option<UserId>,
    why_not: impl Fn(&Candidate) -> String,
) -> Vec<CandidateNote> {
    cands
        .iter()
        .map(|c| match c.eligibility() {
            Err(reason) => CandidateNote {
                user_id: c.user_id,
                eligible: false,
                reason,
            },
            Ok(()) if Some(c.user_id) == chosen => CandidateNote {
                user_id: c.user_id,
                eligible: true,
                reason: "chosen".into(),
            },
            Ok(()) => CandidateNote {
                user_id: c.user_id,
                eligible: true,
                reason: why_not(c),
            },
        })
        .collect()
}

/// One specific user.
pub fn pick_user(c: &Candidate) -> Pick {
    let chosen = c.eligibility().ok().map(|_| c.user_id);
    Pick {
        chosen,
        candidates: notes(std::slice::from_ref(c), chosen, |_| String::new()),
    }
}

/// Round robin: the first eligible member after `last` in user-id order,
/// wrapping around. With a stable eligible set this cycles through it, so
/// counts never differ by more than one.
pub fn round_robin(members: &[Candidate], last: Option<UserId>) -> Pick {
    let mut order: Vec<&Candidate> = members.iter().collect();
    order.sort_by_key(|c| c.user_id);
    let start = match last {
        Some(l) => order.iter().position(|c| c.user_id > l).unwrap_or(0),
        None => 0,
    };
    let chosen = (0..order.len())
        .map(|k| order[(start + k) % order.len()])
        .find(|c| c.eligibility().is_ok())
        .map(|c| c.user_id);
    let sorted: Vec<Candidate> = order.into_iter().cloned().collect();
    Pick {
        chosen,
        candidates: notes(&sorted, chosen, |_| "not next in rotation".into()),
    }
}

/// Balanced: the eligible member with the fewest open conversations; ties go
/// to whoever waited longest since their last assignment (never first), then
/// to the lower user id.
pub fn balanced(members: &[Candidate]) -> Pick {
    let best = members
        .iter()
        .filter(|c| c.eligibility().is_ok())
        .min_by_key(|c| {
            (
                c.open_count,
                c.last_assigned_at.is_some(),
                c.last_assigned_at,
                c.user_id,
            )
        });
    let chosen = best.map(|c| c.user_id);
    let min = best.map(|c| c.open_count).unwrap_or(0);
    let cands = notes(members, chosen, |c| {
        if c.open_count > min {
            format!("more open conversations ({} > {min})", c.open_count)
        } else {
            "tie lost: assigned more recently".into()
        }
    });
    Pick {
        chosen,
        candidates: cands,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn cand(n: u128) -> Candidate {
        Candidate {
            user_id: UserId(Uuid::from_u128(n)),
            active: true,
            can_reply: true,
            member: true,
            availability: Availability::Online,
            open_count: 0,
            max_open: None,
            last_assigned_at: None,
        }
    }

    #[test]
    fn round_robin_alternates_and_never_picks_an_away_member() {
        let mut away = cand(2);
        away.availability = Availability::Away;
        let members = vec![cand(1), away, cand(3)];
        let p1 = round_robin(&members, None);
        assert_eq!(p1.chosen, Some(cand(1).user_id));
        let p2 = round_robin(&members, p1.chosen);
        assert_eq!(p2.chosen, Some(cand(3).user_id));
        assert_eq!(p2.candidates[1].reason, "away");
        let p3 = round_robin(&members, p2.chosen);
        assert_eq!(p3.chosen, Some(cand(1).user_id));
    }

    #[test]
    fn full_member_is_skipped_and_the_unlimited_one_gets_it() {
        let mut full = cand(1);
        full.max_open = Some(2);
        full.open_count = 2;
        let p = round_robin(&[full, cand(2)], None);
        assert_eq!(p.chosen, Some(cand(2).user_id));
        assert_eq!(p.candidates[0].reason, "at_capacity (2/2)");
    }

    #[test]
    fn balanced_prefers_fewest_open_then_longest_wait() {
        let mut a = cand(1);
        a.open_count = 3;
        let mut b = cand(2);
        b.open_count = 1;
        b.last_assigned_at = Some(chrono::Utc::now());
        let mut c = cand(3);
        c.open_count = 1;
        c.last_assigned_at = Some(chrono::Utc::now() - chrono::Duration::hours(1));
        let p = balanced(&[a, b, c]);
        assert_eq!(p.chosen, Some(cand(3).user_id));
        assert!(p.candidates[0].reason.starts_with("more open conversations"));
    }

    #[test]
    fn nobody_eligible_means_no_pick() {
        let mut off = cand(1);
        off.availability = Availability::Offline;
        let mut gone = cand(2);
        gone.active = false;
        assert_eq!(round_robin(&[off.clone(), gone.clone()], None).chosen, None);
        assert_eq!(balanced(&[off, gone]).chosen, None);
        assert_eq!(round_robin(&[], None).chosen, None);
    }
}

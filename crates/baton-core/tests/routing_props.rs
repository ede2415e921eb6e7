//! Property tests of the routing picks: round robin is exact and fair over any
//! run with a stable eligible set; balanced never picks someone with more open
//! conversations than another eligible member.
#![allow(missing_docs, clippy::unwrap_used)]

use baton_core::routing::pick::{Candidate, balanced, round_robin};
use baton_core::*;
use proptest::prelude::*;
use std::collections::HashMap;
use uuid::Uuid;

fn candidates(spec: &[(u8, u8, u8)]) -> Vec<Candidate> {
    spec.iter()
        .enumerate()
        .map(|(i, (avail, cap, open))| Candidate {
            user_id: UserId(Uuid::from_u128(i as u128 + 1)),
            active: avail % 7 != 0,
            can_reply: true,
            member: avail % 5 != 0,
            availability: if avail % 3 == 0 {
                Availability::Away
            } else {
                Availability::Online
            },
            open_count: u32::from(*open % 4),
            max_open: if cap % 2 == 0 {
                None
            } else {
                Some(u32::from(*cap % 5) + 50)
            },
            last_assigned_at: None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn round_robin_counts_differ_by_at_most_one(
        spec in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..12),
        start in proptest::option::of(0u128..14),
        picks in 1usize..200,
    ) {
        let members = candidates(&spec);
        let eligible: Vec<UserId> = members.iter().filter(|c| c.eligibility().is_ok()).map(|c| c.user_id).collect();
        let mut last = start.map(|n| UserId(Uuid::from_u128(n)));
        let mut counts: HashMap<UserId, usize> = HashMap::new();
        for _ in 0..picks {
            let p = round_robin(&members, last);
            match p.chosen {
                Some(u) => {
                    prop_assert!(eligible.contains(&u), "picked an ineligible member");
                    *counts.entry(u).or_default() += 1;
                    last = Some(u);
                }
                None => prop_assert!(eligible.is_empty()),
            }
            prop_assert_eq!(p.candidates.len(), members.len(), "every candidate is explained");
        }
        if !eligible.is_empty() {
            let max = eligible.iter().map(|u| counts.get(u).copied().unwrap_or(0)).max().unwrap();
            let min = eligible.iter().map(|u| counts.get(u).copied().unwrap_or(0)).min().unwrap();
            prop_assert!(max - min <= 1, "counts {counts:?}");
        }
    }

    #[test]
    fn balanced_never_picks_someone_busier_than_an_eligible_member(
        spec in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..12),
        picks in 1usize..100,
    ) {
        let mut members = candidates(&spec);
        for step in 0..picks {
            let p = balanced(&members);
            let eligible: Vec<&Candidate> = members.iter().filter(|c| c.eligibility().is_ok()).collect();
            match p.chosen {
                Some(u) => {
                    let chosen = members.iter().find(|c| c.user_id == u).unwrap();
                    prop_assert!(eligible.iter().all(|e| chosen.open_count <= e.open_count));
                    let c = members.iter_mut().find(|c| c.user_id == u).unwrap();
                    c.open_count += 1;
                    c.last_assigned_at = Some(chrono::Utc::now() + chrono::Duration::seconds(step as i64));
                }
                None => prop_assert!(eligible.is_empty()),
            }
        }
    }
}

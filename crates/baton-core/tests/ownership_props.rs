//! Property tests of the ownership invariants over random command sequences:
//! never two assignees (the slot holds one), at most one active session that
//! always belongs to the conversation's agent, every session ends exactly once,
//! and every change is an event.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use baton_core::*;
use common::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn command(k: u8, n: u8) -> Command {
    let who = uid(u128::from(n % 6));
    match k % 14 {
        0 => Command::AssignUser { user_id: who },
        1 => Command::UnassignUser,
        2 => Command::AssignAgent {
            agent_id: if n.is_multiple_of(2) { AGENT } else { AGENT2 },
            send_initial_message: n.is_multiple_of(3),
        },
        3 => Command::UnassignAgent,
        4 => Command::EndAgentSession,
        5 => Command::ResumeAgentSession,
        6 => Command::AssignTeam { team_id: TEAM },
        7 => Command::UnassignTeam,
        8 => Command::TakeOver,
        9 => Command::SetStatus {
            status: [Status::Open, Status::Pending, Status::Closed][usize::from(n % 3)],
            snoozed_until: None,
        },
        10 => Command::SetPriority {
            priority: [Priority::Low, Priority::Normal, Priority::High][usize::from(n % 3)],
        },
        11 => Command::Transfer { channel_id: CHANNEL2 },
        12 => Command::HandOff {
            reason: "test".into(),
        },
        _ => Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: "hi".into(),
            agent_session_id: None,
        },
    }
}

fn actor(n: u8) -> Actor {
    match n % 5 {
        0 => user(1, Role::Agent),
        1 => user(2, Role::Admin),
        2 => user(5, Role::Viewer),
        3 => Actor::Agent { id: AGENT },
        _ => Actor::system("routing"),
    }
}

/// The conversation minus bookkeeping, to tell whether anything changed.
fn essence(c: &Conversation) -> Conversation {
    Conversation {
        version: 0,
        updated_at: c.created_at,
        ..c.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ownership_invariants_hold(steps in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..60)) {
        let mut c = conv();
        let mut started: HashSet<SessionId> = HashSet::new();
        let mut ended: HashSet<SessionId> = HashSet::new();
        let mut total_events = 0i64;
        for (i, (k, n, a)) in steps.into_iter().enumerate() {
            let before = c.clone();
            let Ok(d) = run(&c, &actor(a), command(k, n), i as i64 + 1) else {
                continue;
            };
            // Every change is an event, and no event without a change.
            prop_assert_eq!(essence(&d.conversation) != essence(&before), !d.events.is_empty());
            prop_assert_eq!(d.conversation.version, before.version + d.events.len() as i64);
            total_events += d.events.len() as i64;
            for e in &d.effects {
                match e {
                    Effect::StartSession { session, .. } => {
                        prop_assert!(started.insert(session.id), "a session starts once");
                    }
                    Effect::EndSession { id, .. } => {
                        prop_assert!(started.contains(id), "only a started session ends");
                        prop_assert!(ended.insert(*id), "a session ends exactly once");
                    }
                    _ => {}
                }
            }
            c = d.conversation;
            // At most one active session, and it belongs to the conversation's agent.
            prop_assert!(started.len() - ended.len() <= 1);
            prop_assert_eq!(started.len() - ended.len() == 1, c.agent_session.is_some());
            if let Some(s) = &c.agent_session {
                prop_assert_eq!(Some(s.agent_id), c.agent_id);
                prop_assert!(!ended.contains(&s.id));
            }
            // A viewer or a deactivated user never ends up owning it.
            prop_assert!(c.assignee_id != Some(uid(4)) && c.assignee_id != Some(uid(5)));
        }
        prop_assert_eq!(c.version, total_events);
    }

    #[test]
    fn viewer_changes_nothing_but_notes(k in any::<u8>(), n in any::<u8>()) {
        let cmd = command(k, n);
        let r = run(&conv(), &user(5, Role::Viewer), cmd, 1);
        prop_assert!(r.is_err());
    }
}

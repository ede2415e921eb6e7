//! Unit tests of the ownership state machine.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;
use baton_core::*;
use common::*;

#[test]
fn assign_user_records_who_from_what_to_what_and_why() {
    let d = run(
        &conv(),
        &user(1, Role::Agent),
        Command::AssignUser { user_id: uid(2) },
        10,
    )
    .unwrap();
    assert_eq!(d.conversation.assignee_id, Some(uid(2)));
    assert_eq!(d.events.len(), 1);
    let e = &d.events[0];
    assert_eq!(e.kind, EventKind::AssigneeChanged);
    assert_eq!(e.at, t(10));
    assert_eq!(e.reason.as_deref(), Some("manual"));
    assert_eq!(d.conversation.version, 1);
    assert_eq!(d.conversation.updated_at, t(10));
}

#[test]
fn viewer_cannot_assign() {
    let err = run(
        &conv(),
        &user(5, Role::Viewer),
        Command::AssignUser { user_id: uid(2) },
        1,
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[test]
fn deactivated_user_cannot_be_assigned() {
    let err = run(
        &conv(),
        &user(1, Role::Admin),
        Command::AssignUser { user_id: uid(4) },
        1,
    )
    .unwrap_err();
    assert_eq!(err.code(), "user_deactivated");
}

#[test]
fn unknown_user_is_not_found() {
    let err = run(
        &conv(),
        &user(1, Role::Admin),
        Command::AssignTeam {
            team_id: TeamId::new_v7(),
        },
        1,
    )
    .unwrap_err();
    assert_eq!(err, DomainError::not_found("team"));
}

#[test]
fn take_over_ends_the_session_stamps_handoff_and_assigns_the_caller() {
    let c = run(
        &conv(),
        &user(1, Role::Agent),
        Command::AssignAgent {
            agent_id: AGENT,
            send_initial_message: true,
        },
        1,
    )
    .unwrap()
    .conversation;
    let session = c.agent_session.clone().unwrap();
    assert!(c.agent_may_reply(AGENT, session.id));
    let d = run(&c, &user(2, Role::Agent), Command::TakeOver, 5).unwrap();
    let after = &d.conversation;
    assert_eq!(after.assignee_id, Some(uid(2)));
    assert_eq!(after.ai_handoff_at, Some(t(5)));
    assert!(after.agent_session.is_none());
    assert!(!after.agent_may_reply(AGENT, session.id));
    assert!(matches!(
        d.effects[0],
        Effect::EndSession {
            reason: SessionEndReason::TakenOver,
            ..
        }
    ));
}

#[test]
fn agent_may_not_reply_in_a_session_started_before_a_handoff() {
    let mut c = conv();
    c.agent_id = Some(AGENT);
    let s = AgentSession {
        id: SessionId(uuid::Uuid::from_u128(9)),
        agent_id: AGENT,
        started_at: t(10),
    };
    c.agent_session = Some(s.clone());
    c.ai_handoff_at = Some(t(20));
    assert!(!c.agent_may_reply(AGENT, s.id));
    c.ai_handoff_at = Some(t(5));
    assert!(
        c.agent_may_reply(AGENT, s.id),
        "a handoff before the session started does not silence it"
    );
    assert!(
        !c.agent_may_reply(AGENT2, s.id),
        "another agent may not use the session"
    );
}

#[test]
fn only_the_session_agent_hands_off() {
    let c = run(
        &conv(),
        &user(1, Role::Agent),
        Command::AssignAgent {
            agent_id: AGENT,
            send_initial_message: false,
        },
        1,
    )
    .unwrap()
    .conversation;
    let err = run(
        &c,
        &Actor::Agent { id: AGENT2 },
        Command::HandOff { reason: "x".into() },
        2,
    )
    .unwrap_err();
    assert_eq!(err.code(), "no_active_agent_session");
    let d = run(
        &c,
        &Actor::Agent { id: AGENT },
        Command::HandOff {
            reason: "asked for a human".into(),
        },
        2,
    )
    .unwrap();
    assert!(d.conversation.agent_session.is_none());
    assert_eq!(d.events[0].reason.as_deref(), Some("handed_off"));
    assert_eq!(d.events[0].data["handoff_reason"], "asked for a human");
}

#[test]
fn incoming_message_reopens_and_marks_activity() {
    let mut c = conv();
    c.status = Status::Closed;
    let contact = Actor::Contact { id: c.contact_id };
    let cmd = Command::PostMessage {
        kind: MessageKind::Incoming,
        body: "hello?".into(),
        agent_session_id: None,
    };
    let d = run(&c, &contact, cmd, 30).unwrap();
    assert_eq!(d.conversation.status, Status::Open);
    assert_eq!(d.conversation.last_incoming_at, Some(t(30)));
    assert_eq!(d.conversation.last_activity_at, t(30));
    assert_eq!(d.events[0].reason.as_deref(), Some("contact_replied"));
    assert_eq!(d.events[1].kind, EventKind::MessageCreated);
}

#[test]
fn an_incoming_message_names_the_ai_session_it_was_written_into() {
    let incoming = || Command::PostMessage {
        kind: MessageKind::Incoming,
        body: "hello?".into(),
        agent_session_id: None,
    };
    let mut c = conv();
    let contact = Actor::Contact { id: c.contact_id };
    let d = run(&c, &contact, incoming(), 30).unwrap();
    assert_eq!(d.events[0].kind, EventKind::MessageCreated);
    assert_eq!(d.events[0].data["active_session_id"], serde_json::Value::Null);
    assert!(d.events[0].data.get("active_session_id").is_some());
    let s = AgentSession {
        id: SessionId(uuid::Uuid::from_u128(9)),
        agent_id: AGENT,
        started_at: t(10),
    };
    c.agent_id = Some(AGENT);
    c.agent_session = Some(s.clone());
    let d = run(&c, &contact, incoming(), 30).unwrap();
    assert_eq!(d.events[0].data["active_session_id"], serde_json::json!(s.id));
}

#[test]
fn another_contact_cannot_write_into_the_conversation() {
    let stranger = Actor::Contact {
        id: ContactId::new_v7(),
    };
    let cmd = Command::PostMessage {
        kind: MessageKind::Incoming,
        body: "hi".into(),
        agent_session_id: None,
    };
    assert_eq!(
        run(&conv(), &stranger, cmd, 1).unwrap_err().code(),
        "invalid_kind"
    );
}

#[test]
fn read_state_tracks_incoming_messages() {
    let rs = ReadState {
        read_at: Some(t(10)),
        marked_unread: false,
    };
    assert!(!rs.is_unread(Some(t(5))));
    assert!(rs.is_unread(Some(t(11))));
    assert!(!ReadState::default().is_unread(None));
    assert!(
        ReadState {
            read_at: Some(t(10)),
            marked_unread: true
        }
        .is_unread(None)
    );
}

#[test]
fn mentions_in_outgoing_replies_are_ignored() {
    let cmd = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "thanks @alice".into(),
        agent_session_id: None,
    };
    assert!(cmd.wants().mention_handles.is_empty());
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "thanks @alice".into(),
        agent_session_id: None,
    };
    assert_eq!(note.wants().mention_handles, vec!["alice"]);
}

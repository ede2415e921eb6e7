//! Ownership commands: assignee, agent and sessions, team, status, tags, read state.

use super::fixture::*;
use crate::*;
use baton_core::*;
use std::sync::Arc;

pub async fn inbound_creates_contact_conversation_and_message(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let out = f.inbound("carol", "My parcel is late").await;
    assert!(out.created && !out.reopened);
    let c = &out.view.conversation;
    assert_eq!(c.status, Status::Open);
    assert_eq!(c.assignee_id, None);
    assert_eq!(c.channel_id, f.chat.id);
    assert_eq!(out.view.contact.email.as_deref(), Some("carol@customer.test"));
    assert_eq!(out.message.kind, MessageKind::Incoming);
    assert_eq!(c.last_message_preview.as_deref(), Some("My parcel is late"));
    let msgs = f
        .store
        .list_messages(f.ws, c.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(msgs.items.len(), 1);
    assert_eq!(msgs.items[0].body, "My parcel is late");
    assert_eq!(
        f.kinds(c.id).await,
        vec!["conversation.created", "message.created"]
    );
}

pub async fn inbound_joins_the_open_conversation(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let first = f.inbound("carol", "one").await;
    let second = f.inbound("carol", "two").await;
    assert!(!second.created);
    assert_eq!(first.view.conversation.id, second.view.conversation.id);
    // Another channel is another conversation.
    let contact = ContactInput {
        email: Some(Email::parse("carol@customer.test").unwrap()),
        ..Default::default()
    };
    let on_email = f.store.inbound(f.ws, f.email.id, contact, "three").await.unwrap();
    assert!(on_email.created);
    assert_eq!(
        on_email.view.contact.id, first.view.contact.id,
        "same contact, found by handle"
    );
    let msgs = f
        .store
        .list_messages(f.ws, first.view.conversation.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        msgs.items.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec!["one", "two"]
    );
}

pub async fn inbound_reopens_a_closed_conversation(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(
        &f.alice,
        id,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    let out = f.inbound("carol", "it broke again").await;
    assert!(out.reopened && !out.created);
    assert_eq!(out.view.conversation.id, id);
    assert_eq!(out.view.conversation.status, Status::Open);
    assert_eq!(
        out.view.conversation.assignee_id,
        Some(f.alice.id),
        "reopening keeps ownership"
    );
    let ev = f.events(id).await;
    let reopen = ev
        .iter()
        .rev()
        .find(|e| e.event.kind == EventKind::StatusChanged)
        .unwrap();
    assert_eq!(reopen.event.reason.as_deref(), Some("contact_replied"));
}

pub async fn inbound_merges_contact_details(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let mut attrs = serde_json::Map::new();
    attrs.insert("vip".into(), serde_json::json!(true));
    let input = ContactInput {
        email: Some(Email::parse("dora@customer.test").unwrap()),
        name: Some("Dora".into()),
        tags: vec!["Beta".into()],
        attributes: attrs,
        ..Default::default()
    };
    let out = f.store.inbound(f.ws, f.chat.id, input, "hi").await.unwrap();
    let input = ContactInput {
        email: Some(Email::parse("DORA@customer.test").unwrap()),
        phone: Some("+1 555 0100".into()),
        tags: vec!["paying".into()],
        ..Default::default()
    };
    f.store.inbound(f.ws, f.chat.id, input, "again").await.unwrap();
    let c = f.store.get_contact(f.ws, out.view.contact.id).await.unwrap();
    assert_eq!(c.name.as_deref(), Some("Dora"));
    assert_eq!(c.phone.as_deref(), Some("+15550100"));
    assert_eq!(c.tags, vec!["beta", "paying"]);
    assert_eq!(c.attributes.get("vip"), Some(&serde_json::json!(true)));
    // A message without any handle is refused and stores nothing.
    let err = f
        .store
        .inbound(f.ws, f.chat.id, ContactInput::default(), "who am i")
        .await;
    assert_eq!(code(err), "contact_handle_required");
}

pub async fn assign_user_sets_assignee_and_records_event(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(&f.bob, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    assert_eq!(out.view.conversation.assignee_id, Some(f.alice.id));
    assert_eq!(out.view.assignee.as_ref().unwrap().name, "Alice Agent");
    assert_eq!(out.events.len(), 1);
    let e = &out.events[0].event;
    assert_eq!(e.kind, EventKind::AssigneeChanged);
    assert_eq!(e.actor, f.actor(&f.bob));
    assert_eq!(e.before["assignee_id"], serde_json::Value::Null);
    assert_eq!(e.after["assignee_id"], serde_json::json!(f.alice.id));
    assert_eq!(e.reason.as_deref(), Some("manual"));
}

pub async fn reassigning_replaces_the_assignee(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(
        &f.alice,
        id,
        Command::SetTags {
            tags: vec!["billing".into()],
        },
    )
    .await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    let out = f
        .ok(&f.alice, id, Command::AssignUser { user_id: f.bob.id })
        .await;
    let c = out.view.conversation;
    assert_eq!(c.assignee_id, Some(f.bob.id));
    assert_eq!(c.tags, vec!["billing"], "reassigning keeps tags");
    assert_eq!(c.status, Status::Open);
    assert_eq!(
        out.events[0].event.before["assignee_id"],
        serde_json::json!(f.alice.id)
    );
    let out = f.ok(&f.alice, id, Command::UnassignUser).await;
    assert_eq!(out.view.conversation.assignee_id, None);
}

pub async fn assigning_a_deactivated_user_is_refused(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.admin, id, Command::AssignUser { user_id: f.bob.id })
        .await;
    let patch = directory::UserPatch {
        active: Some(false),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &f.actor(&f.admin), f.bob.id, patch)
        .await
        .unwrap();
    assert_eq!(
        f.get(id).await.assignee_id,
        Some(f.bob.id),
        "a deactivated user keeps what they owned"
    );
    let other = f.conversation("dan").await;
    let r = f
        .run(&f.admin, other, Command::AssignUser { user_id: f.bob.id })
        .await;
    assert_eq!(code(r), "user_deactivated");
    assert_eq!(f.get(other).await.assignee_id, None);
}

pub async fn assigning_a_viewer_is_refused(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let r = f
        .run(&f.admin, id, Command::AssignUser { user_id: f.viewer.id })
        .await;
    assert_eq!(code(r), "user_cannot_reply");
}

pub async fn foreign_ids_are_not_found(store: Arc<dyn Store>) {
    let f = Fixture::new(store.clone()).await;
    let g = Fixture::named(store, "Globex").await;
    let ours = f.conversation("carol").await;
    let theirs = g.conversation("carol").await;
    // Their conversation through our workspace.
    let r = f
        .run(&f.alice, theirs, Command::AssignUser { user_id: f.alice.id })
        .await;
    assert_eq!(code(r), "not_found");
    assert_eq!(
        code(f.store.get_conversation(f.ws, None, theirs).await),
        "not_found"
    );
    assert_eq!(
        code(f.store.timeline(f.ws, theirs, &PageRequest::default()).await),
        "not_found"
    );
    assert_eq!(
        code(f.store.list_messages(f.ws, theirs, &PageRequest::default()).await),
        "not_found"
    );
    // Their user, team, agent and channel on our conversation.
    for cmd in [
        Command::AssignUser { user_id: g.alice.id },
        Command::AssignTeam { team_id: g.team.id },
        Command::AssignAgent {
            agent_id: g.bot.id,
            send_initial_message: false,
        },
        Command::Transfer {
            channel_id: g.email.id,
        },
    ] {
        assert_eq!(code(f.run(&f.alice, ours, cmd).await), "not_found");
    }
    assert_eq!(code(f.store.get_user(f.ws, g.alice.id).await), "not_found");
    assert_eq!(code(f.store.get_team(f.ws, g.team.id).await), "not_found");
    assert_eq!(code(f.store.get_agent(f.ws, g.bot.id).await), "not_found");
    assert_eq!(code(f.store.get_channel(f.ws, g.chat.id).await), "not_found");
    assert_eq!(
        f.kinds(ours).await,
        vec!["conversation.created", "message.created"]
    );
}

pub async fn viewer_cannot_assign_but_can_write_notes(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    for cmd in [
        Command::AssignUser { user_id: f.alice.id },
        Command::AssignTeam { team_id: f.team.id },
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
        Command::SetTags {
            tags: vec!["x".into()],
        },
        Command::MarkUnread,
        Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: "hi".into(),
            agent_session_id: None,
        },
    ] {
        assert_eq!(code(f.run(&f.viewer, id, cmd).await), "forbidden");
    }
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "looks like fraud".into(),
        agent_session_id: None,
    };
    let out = f.ok(&f.viewer, id, note).await;
    assert_eq!(out.message.unwrap().kind, MessageKind::Note);
}

pub async fn assign_agent_starts_a_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::AssignAgent {
                agent_id: f.bot.id,
                send_initial_message: true,
            },
        )
        .await;
    let c = &out.view.conversation;
    assert_eq!(c.agent_id, Some(f.bot.id));
    let s = c.agent_session.clone().unwrap();
    assert_eq!(s.agent_id, f.bot.id);
    assert_eq!(out.view.agent.as_ref().unwrap().name, "Botty");
    let kinds: Vec<_> = out.events.iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, vec![EventKind::AgentChanged, EventKind::SessionStarted]);
    assert_eq!(
        out.events[1].event.data["send_initial_message"],
        serde_json::json!(true)
    );
    let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].id, s.id);
    assert_eq!(sessions[0].ended_at, None);
    // The agent may reply in its session.
    let reply = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "Hi! I am Botty.".into(),
        agent_session_id: Some(s.id),
    };
    let out = f
        .store
        .apply(f.ws, &Actor::Agent { id: f.bot.id }, id, reply, None)
        .await
        .unwrap();
    assert_eq!(out.message.unwrap().agent_session_id, Some(s.id));
}

pub async fn end_session_keeps_the_agent_and_silences_it(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::AssignAgent {
                agent_id: f.bot.id,
                send_initial_message: false,
            },
        )
        .await;
    let s = out.view.conversation.agent_session.unwrap();
    let out = f.ok(&f.alice, id, Command::EndAgentSession).await;
    assert_eq!(out.view.conversation.agent_id, Some(f.bot.id));
    assert!(out.view.conversation.agent_session.is_none());
    assert_eq!(out.events[0].event.kind, EventKind::SessionEnded);
    assert_eq!(out.events[0].event.reason.as_deref(), Some("ended_by_user"));
    let reply = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "still here".into(),
        agent_session_id: Some(s.id),
    };
    let r = f
        .store
        .apply(f.ws, &Actor::Agent { id: f.bot.id }, id, reply, None)
        .await;
    assert_eq!(code(r), "agent_session_not_active");
    let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
    assert_eq!(sessions[0].end_reason, Some(SessionEndReason::EndedByUser));
}

pub async fn ending_an_inactive_session_is_a_conflict(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    assert_eq!(
        code(f.run(&f.alice, id, Command::EndAgentSession).await),
        "no_active_agent_session"
    );
    assert_eq!(
        code(f.run(&f.alice, id, Command::TakeOver).await),
        "no_active_agent_session"
    );
    assert_eq!(
        code(f.run(&f.alice, id, Command::UnassignAgent).await),
        "no_agent"
    );
    assert_eq!(
        code(f.run(&f.alice, id, Command::ResumeAgentSession).await),
        "no_agent"
    );
    f.ok(
        &f.alice,
        id,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    f.ok(&f.alice, id, Command::EndAgentSession).await;
    let before = f.get(id).await;
    assert_eq!(
        code(f.run(&f.alice, id, Command::EndAgentSession).await),
        "no_active_agent_session"
    );
    assert_eq!(f.get(id).await, before);
}

pub async fn unassign_agent_ends_the_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(
        &f.alice,
        id,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    let out = f.ok(&f.alice, id, Command::UnassignAgent).await;
    let c = out.view.conversation;
    assert_eq!(c.agent_id, None);
    assert!(c.agent_session.is_none());
    let kinds: Vec<_> = out.events.iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, vec![EventKind::SessionEnded, EventKind::AgentChanged]);
    assert_eq!(out.events[0].event.reason.as_deref(), Some("unassigned"));
}

pub async fn take_over_stamps_handoff_and_assigns_the_caller(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let s = f
        .ok(
            &f.admin,
            id,
            Command::AssignAgent {
                agent_id: f.bot.id,
                send_initial_message: true,
            },
        )
        .await
        .view
        .conversation
        .agent_session
        .unwrap();
    let out = f.ok(&f.bob, id, Command::TakeOver).await;
    let c = out.view.conversation;
    assert_eq!(c.assignee_id, Some(f.bob.id));
    assert!(c.ai_handoff_at.is_some());
    assert!(c.agent_session.is_none());
    assert_eq!(c.agent_id, Some(f.bot.id), "the agent stays, silent");
    let kinds: Vec<_> = out.events.iter().map(|e| e.event.kind).collect();
    assert_eq!(kinds, vec![EventKind::SessionEnded, EventKind::TakenOver]);
    assert_eq!(out.events[0].event.reason.as_deref(), Some("taken_over"));
    let reply = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "me again".into(),
        agent_session_id: Some(s.id),
    };
    let r = f
        .store
        .apply(f.ws, &Actor::Agent { id: f.bot.id }, id, reply, None)
        .await;
    assert_eq!(code(r), "agent_session_not_active");
}

pub async fn hand_back_starts_a_new_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(
        &f.alice,
        id,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    f.ok(&f.alice, id, Command::TakeOver).await;
    let out = f.ok(&f.alice, id, Command::ResumeAgentSession).await;
    let c = out.view.conversation;
    let s = c.agent_session.clone().unwrap();
    assert!(
        c.agent_may_reply(f.bot.id, s.id),
        "a new session after the handoff may reply"
    );
    let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].end_reason, Some(SessionEndReason::TakenOver));
    assert_eq!(sessions[1].ended_at, None);
    assert_eq!(
        code(f.run(&f.alice, id, Command::ResumeAgentSession).await),
        "agent_session_active"
    );
}

pub async fn replacing_the_agent_ends_the_old_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let other = f
        .store
        .create_agent(
            f.ws,
            &f.actor(&f.admin),
            NewAgent {
                name: "Other".into(),
                runtime: directory::AgentRuntime::Openai,
                settings: serde_json::json!({"model": "m"}),
                handoff_team_id: None,
                handoff_mode: directory::HandoffMode::Balanced,
            },
        )
        .await
        .unwrap();
    let id = f.conversation("carol").await;
    f.ok(
        &f.alice,
        id,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::AssignAgent {
                agent_id: other.id,
                send_initial_message: false,
            },
        )
        .await;
    assert_eq!(out.view.conversation.agent_session.unwrap().agent_id, other.id);
    let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
    assert_eq!(
        sessions.iter().filter(|s| s.ended_at.is_none()).count(),
        1,
        "at most one active session"
    );
    assert_eq!(sessions[0].end_reason, Some(SessionEndReason::Unassigned));
}

pub async fn team_assign_and_unassign(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(&f.alice, id, Command::AssignTeam { team_id: f.team.id })
        .await;
    assert_eq!(out.view.team.as_ref().unwrap().name, "Support");
    assert_eq!(out.events[0].event.kind, EventKind::TeamChanged);
    let out = f.ok(&f.alice, id, Command::UnassignTeam).await;
    assert_eq!(out.view.conversation.team_id, None);
}

pub async fn snooze_needs_a_future_time(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let r = f
        .run(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Snoozed,
                snoozed_until: None,
            },
        )
        .await;
    assert_eq!(code(r), "snoozed_until_required");
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    let r = f
        .run(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Snoozed,
                snoozed_until: Some(past),
            },
        )
        .await;
    assert_eq!(code(r), "snoozed_until_in_past");
    let until = baton_core::time::normalize(chrono::Utc::now() + chrono::Duration::hours(2));
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Snoozed,
                snoozed_until: Some(until),
            },
        )
        .await;
    assert_eq!(out.view.conversation.status, Status::Snoozed);
    assert_eq!(out.view.conversation.snoozed_until, Some(until));
    let r = f
        .run(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Open,
                snoozed_until: Some(until),
            },
        )
        .await;
    assert_eq!(code(r), "snoozed_until_not_allowed");
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Pending,
                snoozed_until: None,
            },
        )
        .await;
    assert_eq!(out.view.conversation.snoozed_until, None);
}

pub async fn closing_keeps_ownership(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(&f.alice, id, Command::AssignTeam { team_id: f.team.id })
        .await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Closed,
                snoozed_until: None,
            },
        )
        .await;
    let c = out.view.conversation;
    assert_eq!(
        (c.status, c.assignee_id, c.team_id),
        (Status::Closed, Some(f.alice.id), Some(f.team.id))
    );
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetStatus {
                status: Status::Open,
                snoozed_until: None,
            },
        )
        .await;
    assert_eq!(out.view.conversation.assignee_id, Some(f.alice.id));
}

pub async fn tags_and_priority_change_with_events(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetTags {
                tags: vec!["Refund".into(), " vip ".into(), "refund".into()],
            },
        )
        .await;
    assert_eq!(out.view.conversation.tags, vec!["refund", "vip"]);
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetPriority {
                priority: Priority::Urgent,
            },
        )
        .await;
    assert_eq!(out.view.conversation.priority, Priority::Urgent);
    assert_eq!(out.events[0].event.before["priority"], "normal");
    assert_eq!(out.events[0].event.after["priority"], "urgent");
}

pub async fn read_and_unread_are_per_user(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let v = |u: UserId| {
        let s = f.store.clone();
        let ws = f.ws;
        async move { s.get_conversation(ws, Some(u), id).await.unwrap().unread }
    };
    assert!(
        v(f.alice.id).await && v(f.bob.id).await,
        "a new message is unread for everyone"
    );
    let out = f.ok(&f.alice, id, Command::MarkRead).await;
    assert!(!out.view.unread);
    assert_eq!(out.events[0].event.kind, EventKind::Read);
    assert!(!v(f.alice.id).await);
    assert!(v(f.bob.id).await, "read state is per user");
    let out = f.ok(&f.alice, id, Command::MarkUnread).await;
    assert!(out.view.unread);
    assert_eq!(out.events[0].event.kind, EventKind::MarkedUnread);
    let unread = f
        .list(
            &f.alice,
            ViewFilter {
                unread: Some(true),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(unread, vec![id]);
    f.ok(&f.alice, id, Command::MarkRead).await;
    assert!(
        f.list(
            &f.alice,
            ViewFilter {
                unread: Some(true),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
    f.inbound("carol", "hello again?").await;
    assert!(
        v(f.alice.id).await,
        "a new incoming message makes it unread again"
    );
}

pub async fn transfer_moves_to_another_channel(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let out = f
        .ok(
            &f.alice,
            id,
            Command::Transfer {
                channel_id: f.email.id,
            },
        )
        .await;
    assert_eq!(out.view.conversation.channel_id, f.email.id);
    assert_eq!(out.view.channel.name, "Email");
    assert_eq!(
        code(
            f.run(
                &f.alice,
                id,
                Command::Transfer {
                    channel_id: f.email.id
                }
            )
            .await
        ),
        "same_channel"
    );
    let msgs = f
        .store
        .list_messages(f.ws, id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(msgs.items.len(), 1, "history is kept");
}

pub async fn note_mentions_are_recorded(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "@Alice and @bob please look; @nobody is not here, mail x@y.com".into(),
        agent_session_id: None,
    };
    let out = f.ok(&f.viewer, id, note).await;
    let m = out.message.unwrap();
    let mut mentioned = m.mentions.clone();
    mentioned.sort();
    let mut expected = vec![f.alice.id, f.bob.id];
    expected.sort();
    assert_eq!(mentioned, expected);
    let mention_events = out
        .events
        .iter()
        .filter(|e| e.event.kind == EventKind::Mentioned)
        .count();
    assert_eq!(mention_events, 2);
    assert_eq!(
        f.list(
            &f.alice,
            ViewFilter {
                view: Some(View::Mentions),
                ..Default::default()
            }
        )
        .await,
        vec![id]
    );
    assert!(
        f.list(
            &f.admin,
            ViewFilter {
                view: Some(View::Mentions),
                ..Default::default()
            }
        )
        .await
        .is_empty()
    );
    // Notes do not move the conversation in the inbox.
    assert_eq!(
        out.view.conversation.last_message_preview.as_deref(),
        Some("Hello, I need help")
    );
}

pub async fn refused_command_changes_nothing(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    let before = f.get(id).await;
    let before_events = f.events(id).await.len();
    let seq = f.store.latest_seq(f.ws).await.unwrap();
    let bad = [
        Command::AssignUser {
            user_id: UserId::new_v7(),
        },
        Command::EndAgentSession,
        Command::SetTags {
            tags: vec!["x".repeat(65)],
        },
        Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: "   ".into(),
            agent_session_id: None,
        },
        Command::PostMessage {
            kind: MessageKind::Incoming,
            body: "fake".into(),
            agent_session_id: None,
        },
    ];
    for cmd in bad {
        assert!(f.run(&f.alice, id, cmd).await.is_err());
    }
    assert_eq!(f.get(id).await, before);
    assert_eq!(f.events(id).await.len(), before_events);
    assert_eq!(f.store.latest_seq(f.ws).await.unwrap(), seq);
}

pub async fn noop_command_writes_no_event(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    let before = f.get(id).await;
    let out = f
        .ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    assert!(out.events.is_empty());
    assert_eq!(out.view.conversation, before);
    let out = f.ok(&f.alice, id, Command::UnassignTeam).await;
    assert!(out.events.is_empty());
}

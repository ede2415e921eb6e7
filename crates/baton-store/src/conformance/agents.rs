//! AI agents: the knowledge base, replies committed only in an active
//! session and once per key, handoffs, autopilot, drafts, the worker cursor.

use super::fixture::*;
use crate::*;
use baton_core::directory::*;
use baton_core::*;
use serde_json::json;
use std::sync::Arc;

fn turn(session: SessionId, key: &str) -> AgentTurn {
    AgentTurn {
        session_id: session,
        idempotency_key: key.to_string(),
        receipt: json!({"runtime": "builtin", "confidence": 0.9, "action": "reply",
                        "sources": [{"id": "a1", "title": "Refunds"}]}),
    }
}

async fn with_session(f: &Fixture, who: &str) -> (ConversationId, SessionId) {
    let id = f.conversation(who).await;
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
    (id, out.view.conversation.agent_session.unwrap().id)
}

async fn messages(f: &Fixture, id: ConversationId) -> Vec<Message> {
    f.store
        .list_messages(f.ws, id, &PageRequest::first(200))
        .await
        .unwrap()
        .items
}

fn is_done(c: &AgentCommit) -> bool {
    matches!(c, AgentCommit::Done(_))
}

pub async fn articles_are_managed_by_admins_and_read_by_members(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    let a = f
        .store
        .create_article(f.ws, &admin, "  Refunds ", "Refunds take 5 days.")
        .await
        .unwrap();
    assert_eq!(a.title, "Refunds");
    let r = f.store.create_article(f.ws, &f.actor(&f.alice), "X", "Y").await;
    assert_eq!(code(r), "forbidden");
    let r = f.store.create_article(f.ws, &admin, " ", "Y").await;
    assert_eq!(code(r), "empty_title");
    let r = f.store.create_article(f.ws, &admin, "X", "").await;
    assert_eq!(code(r), "empty_body");
    let b = f
        .store
        .create_article(f.ws, &admin, "Shipping", "We ship worldwide.")
        .await
        .unwrap();
    let page = f.store.list_articles(f.ws, &PageRequest::first(1)).await.unwrap();
    assert_eq!(page.items, vec![a.clone()]);
    let next = PageRequest {
        limit: Some(1),
        cursor: page.next_cursor.clone(),
    };
    let page2 = f.store.list_articles(f.ws, &next).await.unwrap();
    assert_eq!(page2.items, vec![b.clone()]);
    assert_eq!(page2.next_cursor, None);
    let patch = ArticlePatch {
        title: None,
        body: Some("Refunds take 3 days.".into()),
    };
    let a2 = f.store.update_article(f.ws, &admin, a.id, patch).await.unwrap();
    assert_eq!(a2.body, "Refunds take 3 days.");
    assert_eq!(f.store.get_article(f.ws, a.id).await.unwrap(), a2);
    f.store.delete_article(f.ws, &admin, b.id).await.unwrap();
    assert_eq!(code(f.store.get_article(f.ws, b.id).await), "not_found");
    assert_eq!(f.store.all_articles(f.ws).await.unwrap(), vec![a2]);
    // Another workspace sees none of it.
    let other = Fixture::named(f.store.clone(), "Other").await;
    assert_eq!(code(other.store.get_article(other.ws, a.id).await), "not_found");
    assert!(other.store.all_articles(other.ws).await.unwrap().is_empty());
    let audit = f
        .store
        .audit(f.ws, None, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    let kinds: Vec<_> = audit.iter().map(|e| e.event.kind.as_str()).collect();
    assert!(kinds.starts_with(&[
        "article.deleted",
        "article.updated",
        "article.created",
        "article.created"
    ]));
}

pub async fn agent_reply_carries_agent_session_and_receipt(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let (id, session) = with_session(&f, "carol").await;
    let out = f
        .store
        .agent_reply(f.ws, id, turn(session, "reply:1"), "Refunds take 5 days.")
        .await
        .unwrap();
    let AgentCommit::Done(out) = out else {
        panic!("expected a committed reply, got {out:?}")
    };
    let m = out.message.unwrap();
    assert_eq!(m.author, Actor::Agent { id: f.bot.id });
    assert_eq!(m.agent_session_id, Some(session));
    assert_eq!(m.kind, MessageKind::Outgoing);
    let ev = f.events(id).await.pop().unwrap();
    assert_eq!(ev.event.kind, EventKind::MessageCreated);
    assert_eq!(ev.event.data["receipt"]["confidence"], json!(0.9));
    assert_eq!(ev.event.data["agent_session_id"], json!(session));
}

pub async fn agent_reply_is_committed_once_per_idempotency_key(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let (id, session) = with_session(&f, "carol").await;
    let first = f
        .store
        .agent_reply(f.ws, id, turn(session, "reply:m1"), "one")
        .await
        .unwrap();
    assert!(is_done(&first));
    let again = f
        .store
        .agent_reply(f.ws, id, turn(session, "reply:m1"), "one, again")
        .await
        .unwrap();
    assert!(matches!(again, AgentCommit::Duplicate), "{again:?}");
    let other = f
        .store
        .agent_reply(f.ws, id, turn(session, "reply:m2"), "two")
        .await
        .unwrap();
    assert!(is_done(&other));
    let bodies: Vec<_> = messages(&f, id).await.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, vec!["Hello, I need help", "one", "two"]);
}

pub async fn reply_generated_while_the_session_ended_is_not_committed(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    // Ended by a user, keeping the agent.
    let (id, session) = with_session(&f, "carol").await;
    f.ok(&f.alice, id, Command::EndAgentSession).await;
    let r = f
        .store
        .agent_reply(f.ws, id, turn(session, "k1"), "late")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive), "{r:?}");
    assert_eq!(f.get(id).await.agent_id, Some(f.bot.id), "the agent stays");
    // Taken over.
    let (id2, s2) = with_session(&f, "dave").await;
    f.ok(&f.bob, id2, Command::TakeOver).await;
    let r = f
        .store
        .agent_reply(f.ws, id2, turn(s2, "k2"), "late")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
    // Unassigned.
    let (id3, s3) = with_session(&f, "erin").await;
    f.ok(&f.alice, id3, Command::UnassignAgent).await;
    let r = f
        .store
        .agent_reply(f.ws, id3, turn(s3, "k3"), "late")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
    // Handed back: a new session, the old one's reply is still refused.
    f.ok(&f.alice, id, Command::ResumeAgentSession).await;
    let r = f
        .store
        .agent_reply(f.ws, id, turn(session, "k4"), "stale")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
    for c in [id, id2, id3] {
        assert!(
            messages(&f, c)
                .await
                .iter()
                .all(|m| m.kind != MessageKind::Outgoing),
            "nothing was sent"
        );
    }
    // A refused handoff changes nothing either.
    let r = f
        .store
        .agent_handoff(f.ws, id2, turn(s2, "k5"), "asked for a person", Some("bye"))
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
}

pub async fn human_reply_does_not_end_the_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let (id, session) = with_session(&f, "carol").await;
    f.ok(
        &f.alice,
        id,
        Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: "Alice here".into(),
            agent_session_id: None,
        },
    )
    .await;
    let c = f.get(id).await;
    assert_eq!(c.agent_session.as_ref().map(|s| s.id), Some(session));
    let r = f
        .store
        .agent_reply(f.ws, id, turn(session, "k"), "still here")
        .await
        .unwrap();
    assert!(is_done(&r));
}

pub async fn handoff_ends_the_session_and_the_team_gets_it_by_round_robin(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    f.store
        .add_team_member(f.ws, &admin, f.team.id, f.bob.id)
        .await
        .unwrap();
    let mut picked = Vec::new();
    for who in ["carol", "dave", "erin", "fred"] {
        let (id, session) = with_session(&f, who).await;
        let r = f
            .store
            .agent_handoff(
                f.ws,
                id,
                turn(session, &format!("handoff:{who}")),
                "contact asked for a human",
                Some("Connecting you with a person."),
            )
            .await
            .unwrap();
        assert!(is_done(&r), "{r:?}");
        let c = f.get(id).await;
        assert_eq!(c.agent_session, None);
        assert_eq!(c.agent_id, Some(f.bot.id));
        assert_eq!(c.team_id, Some(f.team.id));
        picked.push(c.assignee_id.unwrap());
        let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
        assert_eq!(sessions[0].end_reason, Some(SessionEndReason::HandedOff));
        let events = f.events(id).await;
        let ended = events
            .iter()
            .find(|e| e.event.kind == EventKind::SessionEnded)
            .unwrap();
        assert_eq!(
            ended.event.data["handoff_reason"],
            json!("contact asked for a human")
        );
        let assigned = events
            .iter()
            .rfind(|e| e.event.kind == EventKind::AssigneeChanged)
            .unwrap();
        assert_eq!(
            assigned.event.data["routing"]["handoff_reason"],
            json!("contact asked for a human")
        );
        let msgs = messages(&f, id).await;
        let last = msgs.last().unwrap();
        assert_eq!(last.body, "Connecting you with a person.");
        assert_eq!(last.agent_session_id, Some(session));
    }
    let alices = picked.iter().filter(|u| **u == f.alice.id).count();
    assert_eq!(alices, 2, "round robin alternates: {picked:?}");
}

pub async fn autopilot_starts_every_new_conversation_with_a_session(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    let ch = f
        .store
        .create_channel(
            f.ws,
            &admin,
            NewChannel {
                kind: ChannelKind::Api,
                name: "Autopilot".into(),
                autopilot_agent_id: Some(f.bot.id),
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    let contact = ContactInput {
        email: Some(Email::parse("zoe@customer.test").unwrap()),
        ..Default::default()
    };
    let out = f
        .store
        .inbound(f.ws, ch.id, contact.clone(), "Where is my parcel?")
        .await
        .unwrap();
    let c = &out.view.conversation;
    assert_eq!(c.assignee_id, None);
    assert_eq!(c.agent_id, Some(f.bot.id));
    let s = c.agent_session.clone().unwrap();
    assert!(s.started_at <= out.message.created_at);
    let kinds = f.kinds(c.id).await;
    assert_eq!(
        kinds,
        vec![
            "conversation.created",
            "conversation.agent_changed",
            "agent_session.started",
            "message.created"
        ]
    );
    let queue = f
        .list(
            &f.alice,
            ViewFilter {
                view: Some(View::AiQueue),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(queue, vec![c.id]);
    let unassigned = f
        .list(
            &f.alice,
            ViewFilter {
                view: Some(View::Unassigned),
                ..Default::default()
            },
        )
        .await;
    assert!(!unassigned.contains(&c.id));
    // A second message joins the conversation: no second session.
    let again = f.store.inbound(f.ws, ch.id, contact, "Hello?").await.unwrap();
    assert_eq!(again.view.conversation.agent_session.unwrap().id, s.id);
    // Take over from the queue, then hand back.
    let t = f.ok(&f.bob, c.id, Command::TakeOver).await;
    assert_eq!(t.view.conversation.assignee_id, Some(f.bob.id));
    assert!(t.view.conversation.ai_handoff_at.is_some());
    let r = f
        .store
        .agent_reply(f.ws, c.id, turn(s.id, "k"), "late")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
    let back = f.ok(&f.bob, c.id, Command::ResumeAgentSession).await;
    let s2 = back.view.conversation.agent_session.unwrap();
    assert_ne!(s2.id, s.id);
    let r = f
        .store
        .agent_reply(f.ws, c.id, turn(s2.id, "k2"), "back")
        .await
        .unwrap();
    assert!(is_done(&r), "a handed-back session speaks again: {r:?}");
}

pub async fn drafts_are_replaced_survive_reassignment_and_clear_on_reply(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    assert_eq!(f.store.get_draft(f.ws, id).await.unwrap(), None);
    let alice = f.actor(&f.alice);
    f.store
        .save_draft(f.ws, &alice, id, f.bot.id, "first", json!({"action": "draft"}))
        .await
        .unwrap();
    f.store
        .save_draft(f.ws, &alice, id, f.bot.id, "second", json!({"action": "draft"}))
        .await
        .unwrap();
    let d = f.store.get_draft(f.ws, id).await.unwrap().unwrap();
    assert_eq!(d.body, "second");
    assert_eq!(d.agent_id, f.bot.id);
    assert_eq!(d.requested_by, alice);
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.bob.id })
        .await;
    assert_eq!(f.store.get_draft(f.ws, id).await.unwrap().unwrap().body, "second");
    assert!(f.kinds(id).await.contains(&"conversation.draft_saved"));
    let r = f
        .store
        .save_draft(f.ws, &f.actor(&f.viewer), id, f.bot.id, "x", json!({}))
        .await;
    assert_eq!(code(r), "forbidden");
    // A note does not spend the draft; an outgoing reply does.
    f.ok(
        &f.bob,
        id,
        Command::PostMessage {
            kind: MessageKind::Note,
            body: "hmm".into(),
            agent_session_id: None,
        },
    )
    .await;
    assert!(f.store.get_draft(f.ws, id).await.unwrap().is_some());
    f.ok(
        &f.bob,
        id,
        Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: "second, edited".into(),
            agent_session_id: None,
        },
    )
    .await;
    assert_eq!(f.store.get_draft(f.ws, id).await.unwrap(), None);
    let other = Fixture::named(f.store.clone(), "Other").await;
    assert_eq!(code(other.store.get_draft(other.ws, id).await), "not_found");
}

pub async fn agent_cursor_is_kept_per_workspace(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let other = Fixture::named(f.store.clone(), "Other").await;
    assert_eq!(f.store.agent_cursor(f.ws).await.unwrap(), 0);
    f.store.set_agent_cursor(f.ws, 42).await.unwrap();
    f.store.set_agent_cursor(f.ws, 43).await.unwrap();
    assert_eq!(f.store.agent_cursor(f.ws).await.unwrap(), 43);
    assert_eq!(f.store.agent_cursor(other.ws).await.unwrap(), 0);
    let ids = f.store.workspace_ids().await.unwrap();
    assert!(ids.contains(&f.ws) && ids.contains(&other.ws));
}

pub async fn idle_session_times_out_after_the_agents_maximum_duration(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let (id, session) = with_session(&f, "carol").await;
    let now = baton_core::time::normalize(chrono::Utc::now());
    assert_eq!(f.store.run_session_timeouts(now).await.unwrap(), 0);
    let later = now + chrono::Duration::hours(23);
    assert_eq!(
        f.store.run_session_timeouts(later).await.unwrap(),
        0,
        "a day by default"
    );
    let day_after = now + chrono::Duration::hours(25);
    assert_eq!(f.store.run_session_timeouts(day_after).await.unwrap(), 1);
    let c = f.get(id).await;
    assert_eq!(c.agent_session, None);
    assert_eq!(c.agent_id, Some(f.bot.id), "the agent stays, silent");
    let sessions = f.store.list_sessions(f.ws, id).await.unwrap();
    assert_eq!(sessions[0].end_reason, Some(SessionEndReason::TimedOut));
    let r = f
        .store
        .agent_reply(f.ws, id, turn(session, "late"), "late")
        .await
        .unwrap();
    assert!(matches!(r, AgentCommit::SessionInactive));
    assert_eq!(
        f.store.run_session_timeouts(day_after).await.unwrap(),
        0,
        "ends once"
    );
    // An agent's own, shorter maximum.
    let patch = AgentPatch {
        settings: Some(json!({"max_session_minutes": 10})),
        ..Default::default()
    };
    f.store
        .update_agent(f.ws, &f.actor(&f.admin), f.bot.id, patch)
        .await
        .unwrap();
    let (id2, _) = with_session(&f, "dave").await;
    let soon = baton_core::time::normalize(chrono::Utc::now()) + chrono::Duration::minutes(11);
    assert_eq!(f.store.run_session_timeouts(soon).await.unwrap(), 1);
    assert_eq!(f.get(id2).await.agent_session, None);
    // Users cannot time a session out themselves.
    let (id3, _) = with_session(&f, "erin").await;
    assert_eq!(
        code(f.run(&f.alice, id3, Command::TimeOutSession).await),
        "not_system"
    );
}

//! Reply timers and going away, tested with an explicit clock reading instead
//! of sleeping: `run_timers(now)` is called with a time in the future.

use super::fixture::*;
use crate::*;
use baton_core::directory::*;
use baton_core::routing::*;
use baton_core::*;
use std::sync::Arc;

struct Desk {
    f: Fixture,
    team: Team,
    a: User,
    b: User,
}

async fn desk(store: Arc<dyn Store>, settings: TeamSettings) -> Desk {
    let f = Fixture::new(store).await;
    let team = f.store.create_team(f.ws, &system(), "Timers").await.unwrap();
    let a = f
        .store
        .create_user(
            f.ws,
            &system(),
            new_user("ta@acme.example.com", "TA", Role::Agent),
        )
        .await
        .unwrap();
    let b = f
        .store
        .create_user(
            f.ws,
            &system(),
            new_user("tb@acme.example.com", "TB", Role::Agent),
        )
        .await
        .unwrap();
    let (a, b) = if a.id < b.id { (a, b) } else { (b, a) };
    for u in [&a, &b] {
        f.store
            .add_team_member(f.ws, &system(), team.id, u.id)
            .await
            .unwrap();
    }
    f.store
        .set_team_settings(f.ws, &f.actor(&f.admin), team.id, settings)
        .await
        .unwrap();
    let rule = RuleInput {
        name: "rr".into(),
        enabled: true,
        position: None,
        conditions: vec![],
        actions: vec![RuleAction::RoundRobin { team_id: team.id }],
    };
    f.store.create_rule(f.ws, &system(), rule).await.unwrap();
    Desk { f, team, a, b }
}

fn later(minutes: i64) -> Timestamp {
    chrono::Utc::now() + chrono::Duration::minutes(minutes)
}

pub async fn reply_timeout_returns_the_conversation_to_the_queue_for_someone_else(store: Arc<dyn Store>) {
    let settings = TeamSettings {
        reply_timeout_minutes: Some(15),
        ..Default::default()
    };
    let d = desk(store, settings).await;
    let f = &d.f;
    let c = f.inbound("c1", "hello?").await.view.conversation;
    assert_eq!(c.assignee_id, Some(d.a.id));
    assert_eq!(f.store.run_timers(later(10)).await.unwrap(), 0, "not due yet");
    assert_eq!(f.store.run_timers(later(16)).await.unwrap(), 1);
    let now = f.get(c.id).await;
    assert_eq!(
        now.assignee_id,
        Some(d.b.id),
        "the other eligible member takes it"
    );
    let ev = f.events(c.id).await;
    let unassigned = ev
        .iter()
        .find(|e| e.event.kind == EventKind::AssigneeChanged && e.event.after["assignee_id"].is_null())
        .unwrap();
    assert_eq!(
        unassigned.event.reason.as_deref(),
        Some("no reply within 15 min: returned to the queue")
    );
    assert_eq!(unassigned.event.actor, Actor::system("timer"));
}

pub async fn reply_timeout_waits_in_the_queue_when_nobody_else_is_eligible(store: Arc<dyn Store>) {
    let settings = TeamSettings {
        reply_timeout_minutes: Some(5),
        ..Default::default()
    };
    let d = desk(store, settings).await;
    let f = &d.f;
    let away = UserPatch {
        availability: Some(Availability::Offline),
        ..Default::default()
    };
    f.store.update_user(f.ws, &system(), d.b.id, away).await.unwrap();
    let c = f.inbound("c1", "hello?").await.view.conversation;
    assert_eq!(c.assignee_id, Some(d.a.id));
    f.store.run_timers(later(6)).await.unwrap();
    assert_eq!(f.get(c.id).await.assignee_id, None, "waits in the queue");
    let back = UserPatch {
        availability: Some(Availability::Online),
        ..Default::default()
    };
    f.store.update_user(f.ws, &system(), d.b.id, back).await.unwrap();
    assert_eq!(
        f.get(c.id).await.assignee_id,
        Some(d.b.id),
        "and is assigned when someone becomes eligible"
    );
}

pub async fn reply_timeout_reassigns_directly_and_a_reply_stops_it(store: Arc<dyn Store>) {
    let settings = TeamSettings {
        reply_timeout_minutes: Some(10),
        on_reply_timeout: TimeoutAction::Reassign,
        ..Default::default()
    };
    let d = desk(store, settings).await;
    let f = &d.f;
    let answered = f.inbound("c1", "hello?").await.view.conversation;
    let silent = f.inbound("c2", "anyone?").await.view.conversation;
    assert_eq!(answered.assignee_id, Some(d.a.id));
    assert_eq!(silent.assignee_id, Some(d.b.id));
    let reply = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "On it!".into(),
        agent_session_id: None,
    };
    f.ok(&d.a, answered.id, reply).await;
    assert_eq!(f.store.run_timers(later(11)).await.unwrap(), 1);
    assert_eq!(
        f.get(answered.id).await.assignee_id,
        Some(d.a.id),
        "a reply stops the timer"
    );
    assert_eq!(
        f.get(silent.id).await.assignee_id,
        Some(d.a.id),
        "reassigned to the other member"
    );
    let ev = f.events(silent.id).await;
    let last = ev
        .iter()
        .rev()
        .find(|e| e.event.kind == EventKind::AssigneeChanged)
        .unwrap();
    assert_eq!(
        last.event.reason.as_deref(),
        Some("no reply within 10 min: reassigned")
    );
    // The contact writes again: the new assignee owes a reply from now on.
    f.inbound("c1", "thanks, and one more thing").await;
    assert_eq!(f.store.run_timers(later(5)).await.unwrap(), 0);
}

pub async fn going_away_returns_open_conversations_to_the_queue_when_the_team_asks(store: Arc<dyn Store>) {
    let settings = TeamSettings {
        requeue_when_away: true,
        ..Default::default()
    };
    let d = desk(store, settings).await;
    let f = &d.f;
    let c1 = f.inbound("c1", "hi").await.view.conversation;
    let c2 = f.inbound("c2", "hi").await.view.conversation;
    assert_eq!((c1.assignee_id, c2.assignee_id), (Some(d.a.id), Some(d.b.id)));
    let away = UserPatch {
        availability: Some(Availability::Away),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &f.actor(&d.a), d.a.id, away)
        .await
        .unwrap();
    assert_eq!(
        f.get(c1.id).await.assignee_id,
        Some(d.b.id),
        "the other member takes a's conversation"
    );
    let ev = f.events(c1.id).await;
    assert!(
        ev.iter()
            .any(|e| e.event.reason.as_deref() == Some("assignee went away"))
    );
    // Without the setting, going away changes nothing.
    let off = TeamSettings::default();
    f.store
        .set_team_settings(f.ws, &f.actor(&f.admin), d.team.id, off)
        .await
        .unwrap();
    f.store
        .update_user(
            f.ws,
            &f.actor(&d.b),
            d.b.id,
            UserPatch {
                availability: Some(Availability::Away),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(f.get(c2.id).await.assignee_id, Some(d.b.id));
}

pub async fn team_settings_are_validated_permitted_and_audited(store: Arc<dyn Store>) {
    let d = desk(store, TeamSettings::default()).await;
    let f = &d.f;
    let bad = TeamSettings {
        reply_timeout_minutes: Some(0),
        ..Default::default()
    };
    assert_eq!(
        code(
            f.store
                .set_team_settings(f.ws, &f.actor(&f.admin), d.team.id, bad)
                .await
        ),
        "invalid_reply_timeout"
    );
    let ok = TeamSettings {
        reply_timeout_minutes: Some(30),
        queue_mode: Some(PickMode::Balanced),
        ..Default::default()
    };
    assert_eq!(
        code(
            f.store
                .set_team_settings(f.ws, &f.actor(&f.alice), d.team.id, ok)
                .await
        ),
        "forbidden"
    );
    f.store
        .set_team_settings(f.ws, &f.actor(&f.admin), d.team.id, ok)
        .await
        .unwrap();
    assert_eq!(f.store.team_settings(f.ws, d.team.id).await.unwrap(), ok);
    let audit = f
        .store
        .audit(f.ws, Some(EventKind::TeamUpdated), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 1);
    assert_eq!(
        code(f.store.team_settings(f.ws, TeamId::new_v7()).await),
        "not_found"
    );
}

//! Notifications: triggers written with the change, preferences, deliveries
//! claimed once and retried with backoff, outbound webhooks.

use super::fixture::*;
use crate::notifications::{AttemptResult, NewWebhook, status, target};
use crate::*;
use baton_core::notify::{Media, NotificationKind, Preferences};
use baton_core::routing::RuleAction;
use baton_core::*;
use std::sync::Arc;

async fn inbox(f: &Fixture, u: &User) -> (Vec<notifications::Notification>, i64) {
    let (page, unread) = f
        .store
        .list_notifications(f.ws, u.id, &PageRequest::first(200))
        .await
        .unwrap();
    (page.items, unread)
}

async fn kinds(f: &Fixture, u: &User) -> Vec<NotificationKind> {
    inbox(f, u).await.0.iter().map(|n| n.kind).collect()
}

fn far_future() -> Timestamp {
    SystemClock.now() + chrono::Duration::days(3650)
}

/// Every pending delivery of `targets`, claimed and left leased.
async fn claim_all(f: &Fixture, targets: &'static [&'static str]) -> Vec<notifications::Delivery> {
    f.store
        .claim_deliveries(targets, far_future(), 60, 200)
        .await
        .unwrap()
}

pub async fn assignment_by_someone_else_notifies_the_assignee_in_app_and_by_email(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    let (items, unread) = inbox(&f, &f.alice).await;
    assert_eq!(items.len(), 1);
    assert_eq!(unread, 1);
    assert_eq!(items[0].kind, NotificationKind::Assigned);
    assert_eq!(items[0].conversation_id, Some(c));
    assert!(items[0].event_seq.is_some());
    let mail = claim_all(&f, &[target::EMAIL]).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].payload["to"], "alice@acme.example.com");
    assert_eq!(mail[0].notification_id, Some(items[0].id));
    assert!(
        claim_all(&f, &[target::SLACK]).await.is_empty(),
        "no member id, no Slack"
    );
    assert!(inbox(&f, &f.bob).await.0.is_empty());
}

pub async fn self_assignment_and_unassignment_notify_no_one(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.ok(&f.alice, c, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(&f.bob, c, Command::UnassignUser).await;
    let ai = Command::AssignAgent {
        agent_id: f.bot.id,
        send_initial_message: false,
    };
    f.ok(&f.bob, c, ai).await;
    let taken = f.ok(&f.bob, c, Command::TakeOver).await;
    assert_eq!(taken.view.conversation.assignee_id, Some(f.bob.id));
    assert!(inbox(&f, &f.alice).await.0.is_empty());
    assert!(inbox(&f, &f.bob).await.0.is_empty());
    assert!(claim_all(&f, &[target::EMAIL, target::SLACK]).await.is_empty());
}

pub async fn routing_assignment_notifies_the_assignee(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    f.store
        .create_rule(
            f.ws,
            &system(),
            RuleInput {
                name: "all to bob".into(),
                enabled: true,
                position: None,
                conditions: vec![],
                actions: vec![RuleAction::AssignUser { user_id: f.bob.id }],
            },
        )
        .await
        .unwrap();
    let out = f.inbound("carol", "hello").await;
    assert_eq!(out.view.conversation.assignee_id, Some(f.bob.id));
    assert_eq!(kinds(&f, &f.bob).await, vec![NotificationKind::Assigned]);
    // The contact writing again tells the owner.
    f.inbound("carol", "anyone there?").await;
    let items = inbox(&f, &f.bob).await.0;
    assert_eq!(items[0].kind, NotificationKind::ContactReplied);
    assert_eq!(items[0].body, "anyone there?");
}

pub async fn ai_handoff_to_a_person_notifies_them(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    let ai = Command::AssignAgent {
        agent_id: f.bot.id,
        send_initial_message: false,
    };
    f.ok(&f.bob, c, ai).await;
    let bot = Actor::Agent { id: f.bot.id };
    let handoff = Command::HandOff {
        reason: "the contact asked for a human".into(),
    };
    f.store.apply(f.ws, &bot, c, handoff, None).await.unwrap();
    // Routing then picks someone for it, as the hand-off's own step.
    let routing = Actor::system("routing");
    let assign = Command::AssignUser { user_id: f.alice.id };
    f.store
        .apply(f.ws, &routing, c, assign, Some("AI hand-off".into()))
        .await
        .unwrap();
    assert_eq!(kinds(&f, &f.alice).await, vec![NotificationKind::HandedOff]);
}

pub async fn contact_message_notifies_only_the_owner(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.inbound("carol", "still waiting").await;
    assert!(inbox(&f, &f.alice).await.0.is_empty(), "nobody owns it yet");
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    f.inbound("carol", "hello?").await;
    assert_eq!(
        kinds(&f, &f.alice).await,
        vec![NotificationKind::ContactReplied, NotificationKind::Assigned]
    );
    // Replies by people notify nobody.
    let reply = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: "on it".into(),
        agent_session_id: None,
    };
    f.ok(&f.bob, c, reply).await;
    assert_eq!(inbox(&f, &f.alice).await.0.len(), 2);
}

pub async fn mention_in_a_note_notifies_the_mentioned_user(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "@alice can you look? @bob FYI".into(),
        agent_session_id: None,
    };
    f.ok(&f.bob, c, note).await;
    let items = inbox(&f, &f.alice).await.0;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, NotificationKind::Mentioned);
    assert!(items[0].body.contains("can you look"));
    assert!(
        inbox(&f, &f.bob).await.0.is_empty(),
        "mentioning yourself tells no one"
    );
}

pub async fn team_assignment_notifies_members_only_when_opted_in(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignTeam { team_id: f.team.id }).await;
    assert!(inbox(&f, &f.alice).await.0.is_empty(), "off by default");
    let mut prefs = Preferences::default();
    prefs.kinds.insert(
        NotificationKind::TeamAssigned,
        Media {
            in_app: true,
            email: false,
            slack: false,
        },
    );
    f.store
        .set_notification_preferences(f.alice.id, prefs)
        .await
        .unwrap();
    let c2 = f.conversation("dave").await;
    f.ok(&f.bob, c2, Command::AssignTeam { team_id: f.team.id }).await;
    assert_eq!(kinds(&f, &f.alice).await, vec![NotificationKind::TeamAssigned]);
    f.ok(&f.bob, c2, Command::UnassignTeam).await;
    assert_eq!(inbox(&f, &f.alice).await.0.len(), 1, "unassigning tells no one");
}

pub async fn deactivated_users_get_no_notifications(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    let off = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &f.actor(&f.admin), f.alice.id, off)
        .await
        .unwrap();
    let before = inbox(&f, &f.alice).await.0.len();
    f.inbound("carol", "hello again").await;
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "@alice are you there?".into(),
        agent_session_id: None,
    };
    f.ok(&f.bob, c, note).await;
    assert_eq!(inbox(&f, &f.alice).await.0.len(), before);
}

pub async fn preferences_choose_media_per_kind_and_slack_needs_a_member_id(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let defaults = f.store.notification_preferences(f.alice.id).await.unwrap();
    assert_eq!(defaults, Preferences::default());
    let mut prefs = Preferences {
        slack_member_id: Some("U0ALICE".into()),
        ..Preferences::default()
    };
    prefs.kinds.insert(
        NotificationKind::Assigned,
        Media {
            in_app: false,
            email: false,
            slack: true,
        },
    );
    let saved = f
        .store
        .set_notification_preferences(f.alice.id, prefs.clone())
        .await
        .unwrap();
    assert_eq!(saved, prefs);
    assert_eq!(f.store.notification_preferences(f.alice.id).await.unwrap(), prefs);
    let bad = Preferences {
        slack_member_id: Some("alice".into()),
        ..Preferences::default()
    };
    assert_eq!(
        code(f.store.set_notification_preferences(f.alice.id, bad).await),
        "invalid_slack_member_id"
    );
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    assert!(inbox(&f, &f.alice).await.0.is_empty(), "in-app turned off");
    assert!(
        claim_all(&f, &[target::EMAIL]).await.is_empty(),
        "email turned off"
    );
    let slack = claim_all(&f, &[target::SLACK]).await;
    assert_eq!(slack.len(), 1);
    assert_eq!(slack[0].payload["channel"], "U0ALICE");
}

pub async fn deliveries_are_queued_only_for_media_the_deployment_can_send(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let prefs = Preferences {
        slack_member_id: Some("U0ALICE".into()),
        ..Preferences::default()
    };
    f.store
        .set_notification_preferences(f.alice.id, prefs)
        .await
        .unwrap();
    // No SMTP server configured: Alice still hears of it in-app and on Slack.
    f.store.set_sendable(notifications::Sendable {
        email: false,
        slack: true,
    });
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    assert_eq!(kinds(&f, &f.alice).await, vec![NotificationKind::Assigned]);
    assert!(
        claim_all(&f, &[target::EMAIL]).await.is_empty(),
        "no email is queued that nobody can send"
    );
    assert_eq!(claim_all(&f, &[target::SLACK]).await.len(), 1);
    // Neither configured: in-app only. Once email can be sent, it is queued again.
    f.store.set_sendable(notifications::Sendable {
        email: false,
        slack: false,
    });
    let d = f.conversation("dave").await;
    f.ok(&f.bob, d, Command::AssignUser { user_id: f.alice.id }).await;
    assert_eq!(inbox(&f, &f.alice).await.0.len(), 2);
    assert!(claim_all(&f, &[target::EMAIL, target::SLACK]).await.is_empty());
    f.store.set_sendable(notifications::Sendable::default());
    let e = f.conversation("erin").await;
    f.ok(&f.bob, e, Command::AssignUser { user_id: f.alice.id }).await;
    assert_eq!(claim_all(&f, &[target::EMAIL]).await.len(), 1);
}

pub async fn notifications_page_newest_first_and_are_marked_read(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    for who in ["c1", "c2", "c3"] {
        let c = f.conversation(who).await;
        f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    }
    let (first, more) = f
        .store
        .list_notifications(f.ws, f.alice.id, &PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(more, 3);
    assert_eq!(first.items.len(), 2);
    let req = PageRequest {
        limit: Some(2),
        cursor: first.next_cursor.clone(),
    };
    let (second, _) = f.store.list_notifications(f.ws, f.alice.id, &req).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    let all: Vec<_> = first.items.iter().chain(&second.items).collect();
    assert!(
        all.windows(2)
            .all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id))
    );
    let n = f
        .store
        .mark_notification_read(f.ws, f.alice.id, all[0].id)
        .await
        .unwrap();
    assert!(n.read_at.is_some());
    let again = f
        .store
        .mark_notification_read(f.ws, f.alice.id, all[0].id)
        .await
        .unwrap();
    assert_eq!(again.read_at, n.read_at, "reading twice keeps the first time");
    assert_eq!(inbox(&f, &f.alice).await.1, 2);
    assert_eq!(
        code(f.store.mark_notification_read(f.ws, f.bob.id, all[1].id).await),
        "not_found",
        "someone else's notification"
    );
    assert_eq!(inbox(&f, &f.alice).await.1, 2, "and it left the count alone");
    for n in &all[1..] {
        f.store
            .mark_notification_read(f.ws, f.alice.id, n.id)
            .await
            .unwrap();
    }
    assert_eq!(inbox(&f, &f.alice).await.1, 0);
    assert_eq!(inbox(&f, &f.alice).await.0.len(), 3, "read ones stay listed");
}

pub async fn deliveries_are_retried_with_backoff_and_given_up(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    let t0 = far_future();
    let d = f
        .store
        .claim_deliveries(&[target::EMAIL], t0, 60, 10)
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert!(
        f.store
            .claim_deliveries(&[target::EMAIL], t0, 60, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let fail = || AttemptResult::Failed {
        error: "450 try later".into(),
        permanent: false,
    };
    assert!(f.store.finish_delivery(d[0].clone(), t0, fail()).await.unwrap());
    let s = |n: i64| chrono::Duration::seconds(n);
    assert!(
        f.store
            .claim_deliveries(&[target::EMAIL], t0 + s(29), 60, 10)
            .await
            .unwrap()
            .is_empty(),
        "not before the first backoff"
    );
    let d2 = f
        .store
        .claim_deliveries(&[target::EMAIL], t0 + s(30), 60, 10)
        .await
        .unwrap();
    assert_eq!(d2.len(), 1);
    assert_eq!(d2[0].attempts, 1);
    assert_eq!(d2[0].last_error.as_deref(), Some("450 try later"));
    f.store
        .finish_delivery(d2[0].clone(), t0 + s(30), fail())
        .await
        .unwrap();
    assert!(
        f.store
            .claim_deliveries(&[target::EMAIL], t0 + s(89), 60, 10)
            .await
            .unwrap()
            .is_empty(),
        "the second wait doubles"
    );
    let d3 = f
        .store
        .claim_deliveries(&[target::EMAIL], t0 + s(90), 60, 10)
        .await
        .unwrap();
    assert_eq!(d3.len(), 1);
    // A stale worker's result changes nothing.
    assert!(
        !f.store
            .finish_delivery(d[0].clone(), t0 + s(90), AttemptResult::Delivered)
            .await
            .unwrap()
    );
    let permanent = AttemptResult::Failed {
        error: "no such user".into(),
        permanent: true,
    };
    f.store
        .finish_delivery(d3[0].clone(), t0 + s(90), permanent)
        .await
        .unwrap();
    let failed = f
        .store
        .list_deliveries(f.ws, &f.actor(&f.admin), Some(status::FAILED.into()), None, 50)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 3);
    assert_eq!(failed[0].log.len(), 3);
    assert_eq!(
        code(
            f.store
                .list_deliveries(f.ws, &f.actor(&f.alice), None, None, 50)
                .await
        ),
        "forbidden"
    );
}

pub async fn two_workers_never_claim_one_delivery_twice(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    for i in 0..20 {
        let c = f.conversation(&format!("c{i}")).await;
        f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    }
    let now = far_future();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let store = f.store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_deliveries(&[target::EMAIL], now, 60, 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                for d in got {
                    assert!(
                        store
                            .finish_delivery(d.clone(), now, AttemptResult::Delivered)
                            .await
                            .unwrap()
                    );
                    mine.push(d.id);
                }
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(n, 20, "every delivery once");
    assert_eq!(all.len(), 20, "no delivery twice");
    let delivered = f
        .store
        .list_deliveries(
            f.ws,
            &f.actor(&f.admin),
            Some(status::DELIVERED.into()),
            None,
            200,
        )
        .await
        .unwrap();
    assert_eq!(delivered.len(), 20);
    assert!(delivered.iter().all(|d| d.attempts == 1));
}

fn hook(url: &str, events: &[&str]) -> NewWebhook {
    NewWebhook {
        url: url.into(),
        events: events.iter().map(|s| s.to_string()).collect(),
        secret: "0123456789abcdef-secret".into(),
    }
}

pub async fn webhooks_are_validated_and_admin_only(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    assert_eq!(
        code(
            f.store
                .create_webhook(f.ws, &admin, hook("ftp://example.com/x", &["*"]))
                .await
        ),
        "invalid_url"
    );
    assert_eq!(
        code(
            f.store
                .create_webhook(f.ws, &admin, hook("https://example.com/x", &["nope"]))
                .await
        ),
        "invalid_events"
    );
    let mut short = hook("https://example.com/x", &["*"]);
    short.secret = "short".into();
    assert_eq!(
        code(f.store.create_webhook(f.ws, &admin, short).await),
        "invalid_secret"
    );
    assert_eq!(
        code(
            f.store
                .create_webhook(f.ws, &f.actor(&f.alice), hook("https://example.com/x", &["*"]))
                .await
        ),
        "forbidden"
    );
    let w = f
        .store
        .create_webhook(f.ws, &admin, hook("https://example.com/x", &["*"]))
        .await
        .unwrap();
    assert_eq!(f.store.list_webhooks(f.ws, &admin).await.unwrap().len(), 1);
    let other = Fixture::named(f.store.clone(), "Other").await;
    assert_eq!(
        code(
            other
                .store
                .delete_webhook(other.ws, &other.actor(&other.admin), w.id)
                .await
        ),
        "not_found"
    );
    f.store.delete_webhook(f.ws, &admin, w.id).await.unwrap();
    assert!(f.store.list_webhooks(f.ws, &admin).await.unwrap().is_empty());
}

pub async fn webhooks_get_each_matching_event_once_and_are_disabled_after_failing(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    let before = f.conversation("early").await;
    let all = f
        .store
        .create_webhook(f.ws, &admin, hook("https://example.com/all", &["*"]))
        .await
        .unwrap();
    let some = f
        .store
        .create_webhook(
            f.ws,
            &admin,
            hook("https://example.com/assign", &["conversation.assignee_changed"]),
        )
        .await
        .unwrap();
    let c = f.conversation("carol").await;
    f.ok(&f.bob, c, Command::AssignUser { user_id: f.alice.id }).await;
    let fed = f.store.feed_webhooks().await.unwrap();
    assert_eq!(f.store.feed_webhooks().await.unwrap(), 0, "each event once");
    let ds = claim_all(&f, &[target::WEBHOOK]).await;
    assert_eq!(ds.len() as u32, fed);
    let for_all: Vec<_> = ds.iter().filter(|d| d.webhook_id == Some(all.id)).collect();
    let for_some: Vec<_> = ds.iter().filter(|d| d.webhook_id == Some(some.id)).collect();
    let kinds: Vec<_> = for_all
        .iter()
        .map(|d| d.payload["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"conversation.created") && kinds.contains(&"conversation.assignee_changed"));
    assert!(
        for_all
            .iter()
            .all(|d| d.payload["conversation_id"] != serde_json::json!(before)),
        "history is not replayed"
    );
    assert_eq!(for_some.len(), 1);
    assert_eq!(for_some[0].payload["kind"], "conversation.assignee_changed");
    assert_eq!(for_some[0].payload["workspace_id"], serde_json::json!(f.ws));
    // The "assign" endpoint fails every time: after five failures in a row it is disabled.
    let mut now = far_future();
    let mut d = for_some[0].clone();
    for i in 0..notify::WEBHOOK_DISABLE_AFTER {
        let fail = AttemptResult::Failed {
            error: "HTTP 500".into(),
            permanent: false,
        };
        f.store.finish_delivery(d.clone(), now, fail).await.unwrap();
        if i + 1 < notify::WEBHOOK_DISABLE_AFTER {
            now += chrono::Duration::hours(7);
            d = f
                .store
                .claim_deliveries(&[target::WEBHOOK], now, 60, 200)
                .await
                .unwrap()
                .into_iter()
                .find(|x| x.webhook_id == Some(some.id))
                .unwrap();
        }
    }
    let hooks = f.store.list_webhooks(f.ws, &admin).await.unwrap();
    let disabled = hooks.iter().find(|h| h.id == some.id).unwrap();
    assert!(!disabled.enabled);
    assert!(hooks.iter().find(|h| h.id == all.id).unwrap().enabled);
    assert_eq!(
        kinds_of(&f, &f.admin).await,
        vec![NotificationKind::WebhookDisabled]
    );
    let log = f
        .store
        .list_deliveries(f.ws, &admin, None, Some(some.id), 50)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "one delivery, attempted five times");
    assert_eq!(log[0].attempts, notify::WEBHOOK_DISABLE_AFTER);
    assert_eq!(log[0].log.len() as u32, notify::WEBHOOK_DISABLE_AFTER);
    assert!(
        log[0]
            .log
            .iter()
            .all(|a| !a.ok && a.error.as_deref() == Some("HTTP 500"))
    );
    // A disabled subscription gets no new deliveries.
    let c2 = f.conversation("dave").await;
    f.ok(&f.bob, c2, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.store.feed_webhooks().await.unwrap();
    let fresh = f
        .store
        .claim_deliveries(&[target::WEBHOOK], far_future(), 60, 200)
        .await
        .unwrap();
    assert!(fresh.iter().all(|d| d.webhook_id == Some(all.id)));
}

async fn kinds_of(f: &Fixture, u: &User) -> Vec<NotificationKind> {
    kinds(f, u).await
}

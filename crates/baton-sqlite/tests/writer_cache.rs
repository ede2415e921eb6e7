//! The writer keeps each workspace's routing rules parsed, each team's
//! roster, users, channels and notification preferences between jobs; these tests
//! check it never routes or notifies by any of them once changed.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_core::directory::{AgentRuntime, HandoffMode, UserPatch};
use baton_core::*;
use baton_sqlite::SqliteStore;
use baton_store::*;
use common::{acme_with_api_channel, db_url, team_routed_by};
use std::sync::Arc;

fn tag_rule(tag: &str) -> RuleInput {
    RuleInput {
        name: format!("tag {tag}"),
        enabled: true,
        position: None,
        conditions: vec![],
        actions: serde_json::from_value(serde_json::json!([{"type": "add_tag", "tag": tag}])).unwrap(),
    }
}

async fn inbound_tags(store: &dyn Store, ws: WorkspaceId, ch: ChannelId, who: &str) -> Vec<String> {
    let contact = ContactInput {
        external_id: Some(who.into()),
        ..Default::default()
    };
    store
        .inbound(ws, ch, contact, "hello")
        .await
        .unwrap()
        .view
        .conversation
        .tags
}

#[tokio::test]
async fn routing_follows_rule_changes_made_through_the_store() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let sys = Actor::system("test");
    let rule = store.create_rule(ws, &sys, tag_rule("first")).await.unwrap();
    assert_eq!(inbound_tags(store.as_ref(), ws, ch, "a").await, vec!["first"]);
    store
        .replace_rule(ws, &sys, rule.id, tag_rule("second"))
        .await
        .unwrap();
    assert_eq!(inbound_tags(store.as_ref(), ws, ch, "b").await, vec!["second"]);
    store.delete_rule(ws, &sys, rule.id).await.unwrap();
    assert!(inbound_tags(store.as_ref(), ws, ch, "c").await.is_empty());
}

#[tokio::test]
async fn routing_follows_rule_changes_made_by_another_connection() {
    let url = db_url();
    let (server, ws, ch) = acme_with_api_channel(&url).await;
    let sys = Actor::system("test");
    let rule = server.create_rule(ws, &sys, tag_rule("first")).await.unwrap();
    assert_eq!(inbound_tags(server.as_ref(), ws, ch, "a").await, vec!["first"]);
    // Another process (say, an admin tool) edits the rule in the same file.
    let other = SqliteStore::open(&url, Arc::new(SystemClock)).await.unwrap();
    other
        .replace_rule(ws, &sys, rule.id, tag_rule("edited"))
        .await
        .unwrap();
    assert_eq!(inbound_tags(server.as_ref(), ws, ch, "b").await, vec!["edited"]);
}

#[tokio::test]
async fn a_rule_written_by_a_job_that_fails_is_never_routed_by() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    // The job writes a rule, reads the rules back (so the writer could cache
    // its uncommitted list), then fails: everything rolls back.
    let failed = in_tx(store.as_ref(), move |tx| {
        Box::pin(async move {
            let now = tx.now();
            let input = tag_rule("ghost");
            let rule = baton_core::routing::RoutingRule {
                id: RuleId::new_v7(),
                workspace_id: ws,
                name: input.name,
                enabled: true,
                position: 0,
                conditions: input.conditions,
                actions: input.actions,
                created_at: now,
                updated_at: now,
            };
            tx.insert_rule(&rule).await?;
            assert_eq!(tx.routing_rules(ws).await?.len(), 1, "the job sees its own rule");
            Err::<(), _>(StoreError::invalid(
                "doomed",
                "this job fails after writing a rule",
            ))
        })
    })
    .await;
    assert!(failed.is_err());
    assert!(
        inbound_tags(store.as_ref(), ws, ch, "a").await.is_empty(),
        "no ghost rule"
    );
    assert!(store.list_rules(ws).await.unwrap().is_empty());
}

/// A team of two online agents and a rule sending everyone to it by `mode`
/// (`round_robin` or `balanced`).
async fn team_of_two(store: &dyn Store, ws: WorkspaceId, mode: &str) -> (TeamId, [UserId; 2]) {
    let (team, users) = team_routed_by(store, ws, mode, &["ann", "bob"]).await;
    (team, [users[0], users[1]])
}

async fn inbound_assignee(store: &dyn Store, ws: WorkspaceId, ch: ChannelId, who: &str) -> Option<UserId> {
    let contact = ContactInput {
        external_id: Some(who.into()),
        ..Default::default()
    };
    store
        .inbound(ws, ch, contact, "hello")
        .await
        .unwrap()
        .view
        .conversation
        .assignee_id
}

#[tokio::test]
async fn routing_follows_availability_and_membership_changes_between_messages() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let (team, [ann, bob]) = team_of_two(store.as_ref(), ws, "round_robin").await;
    let sys = Actor::system("test");
    // Warm the roster, then send Ann away: only Bob is picked.
    inbound_assignee(store.as_ref(), ws, ch, "a").await.unwrap();
    let away = UserPatch {
        availability: Some(Availability::Away),
        ..Default::default()
    };
    store.update_user(ws, &sys, ann, away).await.unwrap();
    for who in ["b", "c", "d"] {
        assert_eq!(inbound_assignee(store.as_ref(), ws, ch, who).await, Some(bob));
    }
    // Bob leaves the team: nobody is eligible, the conversation waits.
    store.remove_team_member(ws, &sys, team, bob).await.unwrap();
    assert_eq!(inbound_assignee(store.as_ref(), ws, ch, "e").await, None);
}

#[tokio::test]
async fn routing_follows_availability_changed_by_another_connection() {
    let url = db_url();
    let (server, ws, ch) = acme_with_api_channel(&url).await;
    let (_, [ann, bob]) = team_of_two(server.as_ref(), ws, "round_robin").await;
    inbound_assignee(server.as_ref(), ws, ch, "a").await.unwrap();
    let other = SqliteStore::open(&url, Arc::new(SystemClock)).await.unwrap();
    let away = UserPatch {
        availability: Some(Availability::Away),
        ..Default::default()
    };
    other
        .update_user(ws, &Actor::system("test"), bob, away)
        .await
        .unwrap();
    for who in ["b", "c"] {
        assert_eq!(inbound_assignee(server.as_ref(), ws, ch, who).await, Some(ann));
    }
}

#[tokio::test]
async fn a_load_change_by_a_job_that_fails_never_reaches_balanced_routing() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let (team, [ann, bob]) = team_of_two(store.as_ref(), ws, "balanced").await;
    // The job reads the roster (the writer caches it), gives Ann a hundred
    // conversations' worth of load, then fails: all of it rolls back.
    let failed = in_tx(store.as_ref(), move |tx| {
        Box::pin(async move {
            tx.team_candidates(ws, team).await?;
            tx.adjust_user_load(ann, 100, None).await?;
            Err::<(), _>(StoreError::invalid(
                "doomed",
                "this job fails after a load change",
            ))
        })
    })
    .await;
    assert!(failed.is_err());
    // Balanced routing sees both at zero: they share the next two.
    let mut got = vec![
        inbound_assignee(store.as_ref(), ws, ch, "a").await.unwrap(),
        inbound_assignee(store.as_ref(), ws, ch, "b").await.unwrap(),
    ];
    got.sort();
    let mut want = vec![ann, bob];
    want.sort();
    assert_eq!(got, want);
}

async fn kinds_notified(store: &dyn Store, ws: WorkspaceId, users: [UserId; 2]) -> Vec<String> {
    let mut kinds = Vec::new();
    for u in users {
        let (page, _) = store
            .list_notifications(ws, u, &PageRequest::default())
            .await
            .unwrap();
        kinds.extend(page.items.iter().map(|n| n.kind.as_str().to_string()));
    }
    kinds.sort();
    kinds
}

#[tokio::test]
async fn notifications_follow_preferences_changed_between_messages() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let (_, members) = team_of_two(store.as_ref(), ws, "round_robin").await;
    // Warm the assignee's and the team's preferences: the defaults.
    inbound_assignee(store.as_ref(), ws, ch, "a").await.unwrap();
    assert_eq!(kinds_notified(store.as_ref(), ws, members).await, ["assigned"]);
    // Both now want team assignments in the app, and their own no longer.
    let mut prefs = baton_core::notify::Preferences::default();
    let on = baton_core::notify::Media {
        in_app: true,
        email: false,
        slack: false,
    };
    let off = baton_core::notify::Media {
        in_app: false,
        email: false,
        slack: false,
    };
    prefs
        .kinds
        .insert(baton_core::notify::NotificationKind::TeamAssigned, on);
    prefs
        .kinds
        .insert(baton_core::notify::NotificationKind::Assigned, off);
    for u in members {
        store
            .set_notification_preferences(u, prefs.clone())
            .await
            .unwrap();
    }
    inbound_assignee(store.as_ref(), ws, ch, "b").await.unwrap();
    let kinds = kinds_notified(store.as_ref(), ws, members).await;
    assert_eq!(kinds.iter().filter(|k| *k == "assigned").count(), 1, "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "team_assigned"), "{kinds:?}");
}

#[tokio::test]
async fn a_user_deactivated_between_messages_is_not_notified() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let (_, members) = team_of_two(store.as_ref(), ws, "round_robin").await;
    let first = inbound_assignee(store.as_ref(), ws, ch, "a").await.unwrap();
    let before = kinds_notified(store.as_ref(), ws, members).await;
    let off = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    store
        .update_user(ws, &Actor::system("test"), first, off)
        .await
        .unwrap();
    // The same contact writes again into the conversation still assigned
    // to them: an active assignee would hear of it, a deactivated one not.
    let again = inbound_assignee(store.as_ref(), ws, ch, "a").await;
    assert_eq!(again, Some(first));
    let after = kinds_notified(store.as_ref(), ws, members).await;
    assert_eq!(after, before, "a deactivated user was notified");
}

#[tokio::test]
async fn wake_ups_say_whether_the_agents_worker_has_anything_to_do() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let mut wakeups = store.subscribe();
    // The wake-up of the commit that wrote the log up to its head (the
    // channel's own wake-up may still be on its way: the writer answers
    // before it wakes).
    let mut wakeup_at_head = async || {
        let head = store.latest_seq(ws).await.unwrap();
        loop {
            let w = wakeups.recv().await.unwrap();
            assert_eq!(w.workspace_id, ws);
            if w.seq >= head {
                assert_eq!(w.seq, head, "{w:?}");
                return w;
            }
        }
    };
    // A message into no AI session: nothing for the agents.
    inbound_assignee(store.as_ref(), ws, ch, "a").await;
    let w = wakeup_at_head().await;
    assert!(!w.agents, "{w:?}");
    // An article changes the agents' knowledge base.
    store
        .create_article(ws, &Actor::system("test"), "Refunds", "Within 30 days.")
        .await
        .unwrap();
    let w = wakeup_at_head().await;
    assert!(w.agents, "{w:?}");
}

#[tokio::test]
async fn a_channel_given_an_autopilot_between_messages_starts_the_next_conversation_with_it() {
    let (store, ws, ch) = acme_with_api_channel(&db_url()).await;
    let sys = Actor::system("test");
    let agent_of = async |who: &str| {
        let contact = ContactInput {
            external_id: Some(who.into()),
            ..Default::default()
        };
        let out = store.inbound(ws, ch, contact, "hello").await.unwrap();
        out.view.conversation.agent_id
    };
    // The first message caches the channel, with no autopilot.
    assert_eq!(agent_of("a").await, None);
    let bot = store
        .create_agent(
            ws,
            &sys,
            NewAgent {
                name: "Bot".into(),
                runtime: AgentRuntime::Builtin,
                settings: serde_json::json!({}),
                handoff_team_id: None,
                handoff_mode: HandoffMode::RoundRobin,
            },
        )
        .await
        .unwrap();
    let patch = ChannelPatch {
        autopilot_agent_id: Some(Some(bot.id)),
        ..Default::default()
    };
    store.update_channel(ws, &sys, ch, patch).await.unwrap();
    assert_eq!(
        agent_of("b").await,
        Some(bot.id),
        "the writer used the channel as first read"
    );
}

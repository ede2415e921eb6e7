//! The writer keeps each workspace's routing rules parsed between jobs; these
//! tests check it never routes by rules that have changed.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use baton_core::*;
use baton_sqlite::SqliteStore;
use baton_store::*;
use common::{acme_with_api_channel, db_url};
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

//! The event log: timeline, audit, gapless sequence, wake-ups, export.

use super::fixture::*;
use crate::*;
use baton_core::*;
use std::sync::Arc;
use std::time::Duration;

pub async fn timeline_holds_every_change_in_order(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(
        &f.alice,
        id,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    f.ok(&f.bob, id, Command::TakeOver).await;
    f.ok(
        &f.bob,
        id,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    assert_eq!(
        f.kinds(id).await,
        vec![
            "conversation.created",
            "message.created",
            "conversation.assignee_changed",
            "conversation.agent_changed",
            "agent_session.started",
            "agent_session.ended",
            "conversation.taken_over",
            "conversation.status_changed",
        ]
    );
    let events = f.events(id).await;
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    let c = f.get(id).await;
    assert_eq!(c.version as usize, events.len(), "every change is an event");
    let taken = events
        .iter()
        .find(|e| e.event.kind == EventKind::TakenOver)
        .unwrap();
    assert_eq!(taken.event.after["assignee_id"], serde_json::json!(f.bob.id));
    let p = f.store.timeline(f.ws, id, &PageRequest::first(3)).await.unwrap();
    let rest = f
        .store
        .timeline(
            f.ws,
            id,
            &PageRequest {
                limit: Some(100),
                cursor: p.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(p.items.len() + rest.items.len(), events.len());
}

pub async fn audit_lists_workspace_events_newest_first(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.bob.id })
        .await;
    let page = f.store.audit(f.ws, None, &PageRequest::first(5)).await.unwrap();
    assert_eq!(page.items[0].event.kind, EventKind::AssigneeChanged);
    assert!(page.items.windows(2).all(|w| w[0].seq > w[1].seq));
    assert!(page.next_cursor.is_some());
    let users = f
        .store
        .audit(f.ws, Some(EventKind::UserCreated), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(users.items.len(), 5);
    assert!(users.items.iter().all(|e| e.event.kind == EventKind::UserCreated));
}

pub async fn events_after_is_gapless_and_ordered(store: Arc<dyn Store>) {
    let f = Fixture::new(store.clone()).await;
    let g = Fixture::named(store, "Globex").await;
    let id = f.conversation("carol").await;
    g.conversation("gina").await;
    f.ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    let all = f.store.events_after(f.ws, 0, 10_000).await.unwrap();
    assert_eq!(all.first().unwrap().seq, 1);
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
    assert!(all.iter().all(|e| e.workspace_id == f.ws), "only our workspace");
    assert_eq!(all.last().unwrap().seq, f.store.latest_seq(f.ws).await.unwrap());
    let tail = f
        .store
        .events_after(f.ws, all.len() as i64 - 2, 10)
        .await
        .unwrap();
    assert_eq!(tail.len(), 2);
}

pub async fn wakeup_follows_each_commit(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let mut rx = f.store.subscribe();
    let out = f
        .ok(&f.alice, id, Command::AssignUser { user_id: f.alice.id })
        .await;
    let seq = out.events.last().unwrap().seq;
    let woke = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await {
                Ok(w) if w.workspace_id == f.ws && w.seq >= seq => return w,
                Ok(_) => continue,
                Err(e) => panic!("wake-up channel failed: {e}"),
            }
        }
    })
    .await
    .expect("a wake-up within 5 s");
    assert_eq!(woke.seq, seq);
}

pub async fn export_collects_everything(store: Arc<dyn Store>) {
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
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "internal".into(),
        agent_session_id: None,
    };
    f.ok(&f.alice, id, note).await;
    f.inbound("carol", "more").await;
    let x = export_conversation(f.store.as_ref(), f.ws, Some(f.alice.id), id)
        .await
        .unwrap();
    assert_eq!(x.messages.len(), 3);
    assert_eq!(x.sessions.len(), 1);
    assert_eq!(x.events.len() as i64, x.view.conversation.version);
}

/// Writes that fail after appending events (rolled back alone, in the middle
/// of others committed with them) leave no hole in the sequence.
pub async fn a_failed_write_leaves_no_gap_in_the_log(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let id = f.conversation("carol").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (store, ws, admin, alice, bob) = (f.store.clone(), f.ws, f.actor(&f.alice), f.alice.id, f.bob.id);
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let to = if i % 4 == 0 { alice } else { bob };
                store
                    .apply(ws, &admin, id, Command::AssignUser { user_id: to }, None)
                    .await
                    .map(drop)
            } else {
                crate::in_tx(store.as_ref(), move |tx| {
                    Box::pin(async move {
                        let ev = baton_core::directory::workspace_event(
                            EventKind::WorkspaceUpdated,
                            &Actor::system("test"),
                            tx.now(),
                            serde_json::Value::Null,
                            serde_json::Value::Null,
                            serde_json::json!({"doomed": true}),
                        );
                        tx.append_events(ws, vec![ev]).await?;
                        Err::<(), _>(StoreError::invalid("doomed", "this job fails after appending"))
                    })
                })
                .await
            }
        }));
    }
    let mut failed = 0;
    for t in tasks {
        failed += usize::from(t.await.unwrap().is_err());
    }
    assert_eq!(failed, 12, "every doomed job failed, every other one committed");
    let all = f.store.events_after(f.ws, 0, 10_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
    assert!(
        all.iter().all(|e| e.event.data.get("doomed").is_none()),
        "nothing doomed was kept"
    );
    assert_eq!(all.last().unwrap().seq, f.store.latest_seq(f.ws).await.unwrap());
    // And the next write continues the sequence.
    let out = f
        .ok(
            &f.alice,
            id,
            Command::SetPriority {
                priority: Priority::Urgent,
            },
        )
        .await;
    assert_eq!(out.events.last().unwrap().seq, all.last().unwrap().seq + 1);
}

/// A follower that reads only some kinds gets exactly those, in order, and
/// pages through them by sequence number.
pub async fn events_after_of_reads_only_the_kinds_asked_for(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let a = f.conversation("carol").await;
    f.ok(&f.alice, a, Command::AssignUser { user_id: f.alice.id })
        .await;
    let b = f.conversation("dave").await;
    f.ok(&f.alice, b, Command::AssignUser { user_id: f.bob.id }).await;
    let all = f.store.events_after(f.ws, 0, 10_000).await.unwrap();
    let kinds = [EventKind::AssigneeChanged, EventKind::ConversationCreated];
    let want: Vec<i64> = all
        .iter()
        .filter(|e| kinds.contains(&e.event.kind))
        .map(|e| e.seq)
        .collect();
    assert_eq!(want.len(), 4, "two conversations, two assignments");
    let got: Vec<i64> = f
        .store
        .events_after_of(f.ws, 0, &kinds, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(got, want);
    let page = f.store.events_after_of(f.ws, want[1], &kinds, 1).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![want[2]]);
    assert!(
        f.store
            .events_after_of(f.ws, 0, &[], 100)
            .await
            .unwrap()
            .is_empty()
    );
}

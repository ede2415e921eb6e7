//! The AI agent worker: follows each workspace's event log from a persisted
//! cursor and lets agents speak. A session started with
//! `send_initial_message` gets a greeting; an incoming message in a
//! conversation whose session was active when it arrived gets exactly one
//! answer (reply, draft or handoff). Exactly once comes from the store: each
//! commit carries an idempotency key (`greet:<session>`, `reply:<message>`),
//! so re-reading the log after a restart, or a second node reading it too,
//! never sends twice; and the store refuses a commit whose session is no
//! longer active. Article changes invalidate the workspace's knowledge index.
//!
//! Each workspace is followed by its own task, one batch of events at a time:
//! the conversations of a batch are answered concurrently, the cursor is saved
//! after the whole batch.

use crate::agents::{AgentHub, Trigger};
use baton_core::*;
use baton_store::{AgentCommit, Store, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

/// How often every workspace is looked at even without a wake-up (a lost
/// wake-up costs at most this much latency).
pub const PERIOD: Duration = Duration::from_secs(5);
/// Events read per batch.
const BATCH: u32 = 200;
/// The kinds [`handle`] reacts to; the worker reads no others, so a busy
/// workspace's assignments and notes cost it nothing.
const FOLLOWED: &[EventKind] = &[
    EventKind::ArticleCreated,
    EventKind::ArticleUpdated,
    EventKind::ArticleDeleted,
    EventKind::SessionStarted,
    EventKind::MessageCreated,
];

/// Run until `stopping` turns true.
pub async fn run(hub: Arc<AgentHub>, store: Arc<dyn Store>, mut stopping: watch::Receiver<bool>) {
    let mut wakeups = store.subscribe();
    let mut workers: HashMap<WorkspaceId, Arc<Notify>> = HashMap::new();
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = stopping.clone();
    loop {
        let poke = |ws: WorkspaceId, workers: &mut HashMap<WorkspaceId, Arc<Notify>>| {
            let notify = workers.entry(ws).or_insert_with(|| {
                let n = Arc::new(Notify::new());
                tokio::spawn(follow(hub.clone(), store.clone(), ws, n.clone(), stop.clone()));
                n
            });
            notify.notify_one();
        };
        tokio::select! {
            _ = tick.tick() => match store.workspace_ids().await {
                Ok(ids) => ids.into_iter().for_each(|ws| poke(ws, &mut workers)),
                Err(e) => tracing::warn!(error = %e, "agent worker cannot list workspaces"),
            },
            w = wakeups.recv() => match w {
                Ok(w) => poke(w.workspace_id, &mut workers),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    workers.values().for_each(|n| n.notify_one());
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = stopping.changed() => {}
        }
        if *stopping.borrow() {
            return;
        }
    }
}

/// Follow one workspace's log until the server stops.
async fn follow(
    hub: Arc<AgentHub>,
    store: Arc<dyn Store>,
    ws: WorkspaceId,
    notify: Arc<Notify>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut cursor = loop {
        match store.agent_cursor(ws).await {
            Ok(c) => break c,
            Err(e) => {
                tracing::warn!(error = %e, %ws, "agent worker cannot read its cursor; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        if *stopping.borrow() {
            return;
        }
        // Everything up to `head` is committed; if the batch comes back short,
        // no followed event up to it is left, and the cursor jumps there (the
        // next read then starts past all the events nobody here follows).
        let head = match store.latest_seq(ws).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, %ws, "agent worker cannot read the log's head; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let events = match store.events_after_of(ws, cursor, FOLLOWED, BATCH).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, %ws, "agent worker cannot read events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if events.is_empty() {
            // Kept in memory only: after a restart the worker reads from the
            // saved cursor again, which costs time, not correctness.
            cursor = cursor.max(head);
            tokio::select! {
                _ = notify.notified() => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        // Turns in one conversation run in log order; different conversations
        // of the batch run side by side (the next batch waits for the slowest).
        let mut lanes: Vec<(Option<ConversationId>, Vec<&Event>)> = Vec::new();
        for e in &events {
            let key = e.event.conversation_id;
            match lanes.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
                Some((_, lane)) => lane.push(e),
                None => lanes.push((key, vec![e])),
            }
        }
        futures::future::join_all(lanes.into_iter().map(|(_, lane)| {
            let (hub, store) = (&hub, &store);
            async move {
                for e in lane {
                    handle(hub, store, e).await;
                }
            }
        }))
        .await;
        if let Some(last) = events.last() {
            cursor = if events.len() < BATCH as usize {
                last.seq.max(head)
            } else {
                last.seq
            };
        }
        if let Err(e) = store.set_agent_cursor(ws, cursor).await {
            // Not fatal: a restart re-reads from the old cursor and the
            // idempotency keys turn repeats into no-ops.
            tracing::warn!(error = %e, %ws, "agent worker cannot save its cursor");
        }
    }
}

/// React to one event.
async fn handle(hub: &AgentHub, store: &Arc<dyn Store>, e: &Event) {
    let ws = e.workspace_id;
    let ev = &e.event;
    match ev.kind {
        EventKind::ArticleCreated | EventKind::ArticleUpdated | EventKind::ArticleDeleted => {
            hub.invalidate(ws)
        }
        EventKind::SessionStarted if ev.data["send_initial_message"] == serde_json::json!(true) => {
            let (Some(conv), Some(session), Some(agent)) = (
                ev.conversation_id,
                parse::<SessionId>(&ev.data["session_id"]),
                parse::<AgentId>(&ev.data["agent_id"]),
            ) else {
                return;
            };
            let key = format!("greet:{session}");
            retry(|| hub.take_turn(ws, conv, session, agent, Trigger::Greeting, key.clone())).await;
        }
        EventKind::MessageCreated if ev.data["kind"] == "incoming" => {
            // Written into no AI session: nothing to answer, nothing to read.
            // (Events written before they named the session do not say.)
            if ev
                .data
                .get("active_session_id")
                .is_some_and(serde_json::Value::is_null)
            {
                return;
            }
            let (Some(conv), Some(message)) =
                (ev.conversation_id, parse::<MessageId>(&ev.data["message_id"]))
            else {
                return;
            };
            let c = match store.get_conversation(ws, None, conv).await {
                Ok(v) => v.conversation,
                Err(err) => {
                    tracing::warn!(error = %err, %conv, "agent worker cannot load a conversation");
                    return;
                }
            };
            // Only a message that arrived during the session that is active now.
            let Some(s) = c.agent_session.clone().filter(|s| s.started_at <= ev.at) else {
                return;
            };
            if !c.agent_may_reply(s.agent_id, s.id) {
                return;
            }
            let key = format!("reply:{message}");
            retry(|| {
                hub.take_turn(
                    ws,
                    conv,
                    s.id,
                    s.agent_id,
                    Trigger::Message { id: message },
                    key.clone(),
                )
            })
            .await;
        }
        _ => {}
    }
}

fn parse<T: std::str::FromStr>(v: &serde_json::Value) -> Option<T> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// Run a turn, retrying database failures a few times; refusals are final.
async fn retry<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<AgentCommit>>,
{
    for attempt in 0..3u32 {
        match f().await {
            Ok(AgentCommit::Done(out)) => {
                tracing::debug!(conversation = %out.view.conversation.id, "agent turn committed");
                return;
            }
            Ok(AgentCommit::Duplicate | AgentCommit::SessionInactive) => return,
            Err(StoreError::Domain(d)) => {
                tracing::info!(code = d.code(), "agent turn refused");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "agent turn failed");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt + 1))).await;
            }
        }
    }
}

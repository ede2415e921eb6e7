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
//!
//! A follower reads the log only when a wake-up since its last read may
//! hold an event for it (`Wakeup::agents`), when wake-ups were lost, and on
//! the periodic look. Under routed load most commits hold only messages
//! written into no AI session: reading them after every commit cost about
//! a twentieth of the server's CPU, for nothing.

use crate::agents::{AgentHub, Trigger};
use baton_core::*;
use baton_store::{AgentCommit, Store, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast, watch};

/// How often every workspace is looked at even without a wake-up (a lost
/// wake-up costs at most this much latency).
pub const PERIOD: Duration = Duration::from_secs(5);
/// Events read per batch.
const BATCH: u32 = 200;
/// The kinds [`handle`] reacts to; the worker reads no others, so a busy
/// workspace's assignments and notes cost it nothing.
const FOLLOWED: &[EventKind] = baton_store::AGENT_EVENT_KINDS;

/// What the dispatcher tells one workspace's follower.
struct Follower {
    notify: Notify,
    /// Set (before `seen` moves) by each wake-up that may hold an event the
    /// follower acts on, by lost wake-ups and by the periodic look; the
    /// follower clears it (after reading `seen`) when it decides to read.
    read: AtomicBool,
    /// The newest seq announced by a wake-up.
    seen: AtomicI64,
}

impl Follower {
    fn new() -> Follower {
        Follower {
            notify: Notify::new(),
            // A new follower reads from its saved cursor first.
            read: AtomicBool::new(true),
            seen: AtomicI64::new(0),
        }
    }

    /// A commit up to `seq` (which may hold something to act on if `agents`).
    fn woken(&self, seq: i64, agents: bool) {
        if agents {
            self.read.store(true, Ordering::SeqCst);
        }
        self.seen.fetch_max(seq, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Read the log on the next turn whatever the wake-ups said.
    fn look(&self) {
        self.read.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// `None` if the follower must read; otherwise the seq up to which
    /// every commit was announced as holding nothing for it.
    fn nothing_up_to(&self) -> Option<i64> {
        // `seen` first: a wake-up counted in it set `read` before it, so
        // the swap below sees that (or an earlier read covered it).
        let seen = self.seen.load(Ordering::SeqCst);
        (!self.read.swap(false, Ordering::SeqCst)).then_some(seen)
    }
}

/// Run until `stopping` turns true.
pub async fn run(hub: Arc<AgentHub>, store: Arc<dyn Store>, mut stopping: watch::Receiver<bool>) {
    let mut wakeups = store.subscribe();
    let mut workers: HashMap<WorkspaceId, Arc<Follower>> = HashMap::new();
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = stopping.clone();
    loop {
        let follower = |ws: WorkspaceId, workers: &mut HashMap<WorkspaceId, Arc<Follower>>| {
            workers
                .entry(ws)
                .or_insert_with(|| {
                    let f = Arc::new(Follower::new());
                    tokio::spawn(follow(hub.clone(), store.clone(), ws, f.clone(), stop.clone()));
                    f
                })
                .clone()
        };
        tokio::select! {
            _ = tick.tick() => match store.workspace_ids().await {
                Ok(ids) => ids.into_iter().for_each(|ws| follower(ws, &mut workers).look()),
                Err(e) => tracing::warn!(error = %e, "agent worker cannot list workspaces"),
            },
            w = wakeups.recv() => match w {
                Ok(w) => follower(w.workspace_id, &mut workers).woken(w.seq, w.agents),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    workers.values().for_each(|f| f.look());
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
    me: Arc<Follower>,
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
    let mut saved = Saved {
        seq: cursor,
        at: Instant::now(),
    };
    // A full batch leaves more to read, whatever the wake-ups say.
    let mut more = false;
    loop {
        if *stopping.borrow() {
            saved.save(&store, ws, cursor, true).await;
            return;
        }
        if !more && let Some(upto) = me.nothing_up_to() {
            cursor = cursor.max(upto);
            saved.save(&store, ws, cursor, false).await;
            tokio::select! {
                _ = me.notify.notified() => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        more = false;
        // Everything up to `head` is committed; if the batch comes back short,
        // no followed event up to it is left, and the cursor jumps there (the
        // next read then starts past all the events nobody here follows).
        let head = match store.latest_seq(ws).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, %ws, "agent worker cannot read the log's head; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                more = true;
                continue;
            }
        };
        let events = match store.events_after_of(ws, cursor, FOLLOWED, BATCH).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, %ws, "agent worker cannot read events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                more = true;
                continue;
            }
        };
        if events.is_empty() {
            cursor = cursor.max(head);
            saved.save(&store, ws, cursor, false).await;
            tokio::select! {
                _ = me.notify.notified() => {}
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
            more = events.len() >= BATCH as usize;
            cursor = if more { last.seq } else { last.seq.max(head) };
        }
        saved.save(&store, ws, cursor, true).await;
    }
}

/// How often a cursor that moved without handling anything is saved. After
/// a restart the worker reads from its saved cursor; saving every skipped
/// commit would cost a write each, never saving would leave a busy log to be
/// read again at the next start (the whole of it, competing with the
/// server's first requests).
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The cursor as last saved.
struct Saved {
    seq: i64,
    at: Instant,
}

impl Saved {
    /// Save `cursor` if it moved, and if `now` or the last save is older
    /// than [`SAVE_EVERY`].
    async fn save(&mut self, store: &Arc<dyn Store>, ws: WorkspaceId, cursor: i64, now: bool) {
        if cursor <= self.seq || !(now || self.at.elapsed() >= SAVE_EVERY) {
            return;
        }
        match store.set_agent_cursor(ws, cursor).await {
            Ok(()) => {
                self.seq = cursor;
                self.at = Instant::now();
            }
            // Not fatal: a restart re-reads from the old cursor and the
            // idempotency keys turn repeats into no-ops.
            Err(e) => tracing::warn!(error = %e, %ws, "agent worker cannot save its cursor"),
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
            if !baton_store::wakes_agents(ev) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follower_reads_first_and_then_only_when_a_wake_up_may_concern_it() {
        let f = Follower::new();
        assert_eq!(
            f.nothing_up_to(),
            None,
            "a new follower reads from its saved cursor"
        );
        f.woken(10, false);
        f.woken(12, false);
        assert_eq!(f.nothing_up_to(), Some(12), "nothing up to 12: skip to it");
        f.woken(20, true);
        f.woken(25, false);
        assert_eq!(f.nothing_up_to(), None, "20 may hold something: read");
        assert_eq!(f.nothing_up_to(), Some(25));
        f.look();
        assert_eq!(
            f.nothing_up_to(),
            None,
            "the periodic look and lost wake-ups read"
        );
    }

    #[tokio::test]
    async fn a_moved_cursor_is_saved_when_asked_or_a_second_after_the_last_save() {
        let path = std::env::temp_dir().join(format!(
            "baton-agents-cursor-{}.db",
            uuid::Uuid::now_v7().simple()
        ));
        let url = format!("sqlite://{}", path.display());
        let store: Arc<dyn Store> = baton_sqlite::SqliteStore::open(&url, Arc::new(SystemClock))
            .await
            .unwrap();
        let ws = store.ensure_workspace("Acme").await.unwrap().id;
        let saved_seq = async || store.agent_cursor(ws).await.unwrap();
        let mut saved = Saved {
            seq: 0,
            at: Instant::now(),
        };
        saved.save(&store, ws, 5, false).await;
        assert_eq!(
            saved_seq().await,
            0,
            "saved again within a second of the last save"
        );
        saved.save(&store, ws, 6, true).await;
        assert_eq!(saved_seq().await, 6, "asked to save now");
        saved.at -= SAVE_EVERY;
        saved.save(&store, ws, 9, false).await;
        assert_eq!(saved_seq().await, 9, "a second after the last save");
        saved.at -= SAVE_EVERY;
        saved.save(&store, ws, 7, true).await;
        assert_eq!(saved_seq().await, 9, "a cursor never moves back");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

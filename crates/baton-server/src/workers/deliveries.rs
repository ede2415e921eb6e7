//! Sends queued deliveries: notification emails, Slack DMs and webhook
//! POSTs. Every node may run it. Rows are leased by the store (PostgreSQL
//! skips rows another worker holds), so each is sent by one worker at a time;
//! the result is recorded only while the lease is still this worker's, and a
//! delivered row is never claimed again. Requests never wait for any of it:
//! they only write rows, and a commit wakes this loop.

use crate::notify::Senders;
use baton_core::Clock;
use baton_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// How long a claimed delivery stays with this worker.
pub const LEASE_SECS: i64 = 120;
/// How long a wake-up waits for more commits before the round runs.
pub const COALESCE: Duration = Duration::from_millis(200);
/// Deliveries claimed per round.
pub const BATCH: u32 = 32;

/// One round: turn new events into webhook deliveries, then send what is
/// due. Returns how many deliveries were attempted.
pub async fn run_once(store: &dyn Store, senders: &Senders, clock: &dyn Clock) -> usize {
    if let Err(e) = store.feed_webhooks().await {
        tracing::warn!(error = %e, "feeding webhooks failed; retrying next round");
    }
    let claimed = match store
        .claim_deliveries(senders.targets(), clock.now(), LEASE_SECS, BATCH)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "claiming deliveries failed; retrying next round");
            return 0;
        }
    };
    let n = claimed.len();
    let sends = claimed.into_iter().map(|d| async move {
        let result = senders.send(store, &d, clock.now()).await;
        if let baton_store::notifications::AttemptResult::Failed { error, .. } = &result {
            tracing::info!(delivery = %d.id, target = %d.target, %error, "delivery attempt failed");
        }
        if let Err(e) = store.finish_delivery(d, clock.now(), result).await {
            tracing::warn!(error = %e, "recording a delivery failed; it is retried when its lease ends");
        }
    });
    futures::future::join_all(sends).await;
    n
}

/// Run until `stopping` turns true: a round after each commit wake-up and
/// every `poll` (retries come due without a wake-up).
pub async fn run(
    store: Arc<dyn Store>,
    senders: Arc<Senders>,
    clock: Arc<dyn Clock>,
    poll: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let mut wakeups = store.subscribe();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Keep going while full batches come back.
        while run_once(store.as_ref(), &senders, clock.as_ref()).await == BATCH as usize {}
        tokio::select! {
            _ = tick.tick() => {}
            w = wakeups.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = w {
                    wakeups = store.subscribe();
                }
                // Coalesce a burst of commits into one round: each round is
                // two short write jobs, which SQLite's one writer must not
                // run once per commit under load.
                tokio::time::sleep(COALESCE).await;
                while !matches!(
                    wakeups.try_recv(),
                    Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
                ) {}
            }
            _ = stopping.changed() => return,
        }
        if *stopping.borrow() {
            return;
        }
    }
}

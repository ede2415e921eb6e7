//! Fires the routing reply timers. Every node may run it: each firing is one
//! transaction that re-reads what is overdue, so two nodes never move a
//! conversation twice.

use baton_core::Clock;
use baton_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the timers are checked.
pub const PERIOD: Duration = Duration::from_secs(15);

/// Run until `stopping` turns true.
pub async fn run(store: Arc<dyn Store>, clock: Arc<dyn Clock>, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match store.run_timers(clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(moved = n, "reply timers fired"),
                    Err(e) => tracing::warn!(error = %e, "reply timers failed; retrying next period"),
                }
                match store.run_session_timeouts(clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(ended = n, "idle agent sessions timed out"),
                    Err(e) => tracing::warn!(error = %e, "session time-outs failed; retrying next period"),
                }
            }
            _ = stopping.changed() => return,
        }
        if *stopping.borrow() {
            return;
        }
    }
}

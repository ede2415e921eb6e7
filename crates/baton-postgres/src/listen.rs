//! Wake-ups across nodes: each commit that appended events sends
//! `NOTIFY baton_events` (delivered only if the transaction commits), and a
//! background task on every node listens and forwards other nodes'
//! notifications into the node's in-process broadcast channel.
//!
//! A wake-up is only a hint: readers catch up from the events table by seq,
//! so a notification lost while the listener reconnects costs latency, never
//! data.

use crate::rows::db_err;
use baton_core::WorkspaceId;
use baton_store::{StoreResult, Wakeup};
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The notification channel.
pub const CHANNEL: &str = "baton_events";

/// `<workspace_id>:<seq>:<node>`; the node lets a listener skip its own
/// node's commits, which it has already published in-process.
pub fn payload(w: &Wakeup, node: Uuid) -> String {
    format!("{}:{}:{}", w.workspace_id, w.seq, node.simple())
}

/// Read a payload; `None` for our own node's or a malformed one. A payload
/// without a node (`<workspace_id>:<seq>`) is accepted as another node's.
pub fn parse(payload: &str, node: Uuid) -> Option<Wakeup> {
    let mut parts = payload.split(':');
    let workspace_id: WorkspaceId = parts.next()?.parse().ok()?;
    let seq: i64 = parts.next()?.parse().ok()?;
    if let Some(from) = parts.next()
        && Uuid::parse_str(from).ok()? == node
    {
        return None;
    }
    // The payload does not say; the agents' worker reads to find out.
    Some(Wakeup {
        workspace_id,
        seq,
        agents: true,
    })
}

/// Queue one notification per wake-up in the open transaction.
pub async fn notify(conn: &mut PgConnection, wakes: &[Wakeup], node: Uuid) -> StoreResult<()> {
    if wakes.is_empty() {
        return Ok(());
    }
    let payloads: Vec<String> = wakes.iter().map(|w| payload(w, node)).collect();
    sqlx::query("SELECT pg_notify($1, p) FROM UNNEST($2::text[]) AS p")
        .bind(CHANNEL)
        .bind(&payloads)
        .execute(conn)
        .await
        .map(drop)
        .map_err(db_err)
}

/// Start the listener task. The receiver fires once the first `LISTEN` is in
/// place (or never, if the database cannot be reached; the task keeps trying).
pub fn spawn(
    opts: PgConnectOptions,
    wake: broadcast::Sender<Wakeup>,
    node: Uuid,
) -> (JoinHandle<()>, oneshot::Receiver<()>) {
    let (ready_tx, ready_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        let mut backoff = Duration::from_millis(100);
        loop {
            match listen(&opts, &wake, node, &mut ready, &mut backoff).await {
                Ok(never) => match never {},
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "postgres listener lost; reconnecting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    });
    (task, ready_rx)
}

async fn listen(
    opts: &PgConnectOptions,
    wake: &broadcast::Sender<Wakeup>,
    node: Uuid,
    ready: &mut Option<oneshot::Sender<()>>,
    backoff: &mut Duration,
) -> Result<Infallible, sqlx::Error> {
    // Its own one-connection pool, so the listener never takes a slot from
    // the store's pool and sqlx can re-establish it.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(opts.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    if let Some(r) = ready.take() {
        let _ = r.send(());
    }
    *backoff = Duration::from_millis(100);
    loop {
        match listener.try_recv().await? {
            Some(n) => {
                if let Some(w) = parse(n.payload(), node) {
                    // No subscribers is fine: nobody is waiting.
                    let _ = wake.send(w);
                }
            }
            None => tracing::info!("postgres listener reconnected; wake-ups in the gap were lost"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_skips_our_node() {
        let w = Wakeup {
            workspace_id: WorkspaceId::new_v7(),
            seq: 42,
            agents: true,
        };
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        assert_eq!(parse(&payload(&w, other), me), Some(w));
        assert_eq!(parse(&payload(&w, me), me), None);
        assert_eq!(parse(&format!("{}:42", w.workspace_id), me), Some(w));
        assert_eq!(parse("garbage", me), None);
        assert_eq!(parse("x:1:y", me), None);
    }
}

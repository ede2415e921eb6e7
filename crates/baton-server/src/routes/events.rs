//! `GET /api/v1/events`: the workspace's event log as server-sent events.
//!
//! The stream reads the event log itself, from the last seq the client saw;
//! commit wake-ups only say "read again now". So a lost or lagged wake-up
//! costs latency, never an event, and events arrive in order, without gaps or
//! duplicates, across reconnects (`Last-Event-ID`).

use crate::auth::{Caller, Credential, authenticate};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Params;
use crate::json::EventJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use baton_core::WorkspaceId;
use baton_store::Wakeup;
use futures::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Events read per query while catching up.
const BATCH: u32 = 500;
/// Read the log at least this often even without a wake-up (a safety net for
/// wake-ups lost between nodes), and re-check the caller's credential.
const POLL: Duration = Duration::from_secs(2);
/// Comment lines keep idle connections (and proxies) from timing out.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Where to start.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Replay events with a greater seq (the `Last-Event-ID` header wins).
    /// Without either, the stream starts with the next event.
    pub after: Option<String>,
}

fn parse_seq(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        ApiError::invalid(
            "invalid_after",
            format!("{what} must be an event seq, not {raw:?}"),
        )
    })
}

/// Live events of the caller's workspace: each has `id: <seq>`,
/// `event: <kind>` and `data: <event JSON>`. Reconnect with `Last-Event-ID`
/// (or `?after=`) to resume without gaps or duplicates.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The last seq received")),
    responses((status = 200, description = "A text/event-stream of events (`data` is an Event)",
            content_type = "text/event-stream", body = EventJson),
        (status = 422, description = "Bad Last-Event-ID or after", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Params(query): Params<EventsQuery>,
) -> ApiResult<Response> {
    let ws = caller.ws();
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let after = match (last_event_id, query.after.as_deref()) {
        (Some(h), _) => parse_seq(h, "Last-Event-ID")?,
        (None, Some(q)) => parse_seq(q, "after")?,
        (None, None) => state.store.latest_seq(ws).await?,
    };
    // Subscribe before the first read, so no commit can fall between the two.
    let wake = state.store.subscribe();
    let (tx, rx) = mpsc::channel::<SseEvent>(64);
    tokio::spawn(pump(
        state.clone(),
        caller.credential.clone(),
        ws,
        after,
        wake,
        tx,
    ));
    let stream = ReceiverStream::new(rx).map(Ok::<_, Infallible>);
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Ask buffering proxies (nginx) to pass events through at once.
    res.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(res)
}

/// Counts open streams for /metrics.
struct Gauge<'a>(&'a AppState);

impl<'a> Gauge<'a> {
    fn new(state: &'a AppState) -> Self {
        state.metrics.sse_connections.fetch_add(1, Ordering::Relaxed);
        Gauge(state)
    }
}

impl Drop for Gauge<'_> {
    fn drop(&mut self) {
        self.0.metrics.sse_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

fn to_sse(e: baton_core::Event) -> SseEvent {
    let seq = e.seq;
    let kind = e.event.kind.as_str();
    let json = EventJson::from(e);
    let data = serde_json::to_string(&json).unwrap_or_else(|_| "{}".to_string());
    SseEvent::default().id(seq.to_string()).event(kind).data(data)
}

/// Feed one client: catch up from `after`, then wait for wake-ups (or the
/// poll tick) and read again. Ends when the client goes, the server shuts
/// down, or the caller's credential stops being valid.
async fn pump(
    state: AppState,
    cred: Credential,
    ws: WorkspaceId,
    mut after: i64,
    mut wake: broadcast::Receiver<Wakeup>,
    tx: mpsc::Sender<SseEvent>,
) {
    let _gauge = Gauge::new(&state);
    let mut shutdown = state.shutdown.clone();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + POLL, POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        loop {
            let batch = match state.store.events_after(ws, after, BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    // Keep the stream; the next tick retries from the same seq.
                    tracing::warn!(error = %e, "event stream read failed");
                    break;
                }
            };
            let full = batch.len() as u32 >= BATCH;
            for e in batch {
                after = e.seq;
                if tx.send(to_sse(e)).await.is_err() {
                    return;
                }
            }
            if !full {
                break;
            }
        }
        tokio::select! {
            _ = tx.closed() => return,
            _ = shutdown.changed() => return,
            _ = woken(&mut wake, ws, after) => {}
            _ = tick.tick() => {
                if !matches!(authenticate(&state, &cred).await, Ok(Some(_))) {
                    return;
                }
            }
        }
    }
}

/// Wait for a wake-up about this workspace beyond `after`. A lagged receiver
/// just reads again; a closed channel leaves the poll tick in charge.
async fn woken(rx: &mut broadcast::Receiver<Wakeup>, ws: WorkspaceId, after: i64) {
    loop {
        match rx.recv().await {
            Ok(w) if w.workspace_id == ws && w.seq > after => return,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

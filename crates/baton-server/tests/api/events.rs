//! Server-sent events: live, ordered, resumable.

use crate::common::*;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// One parsed SSE event.
#[derive(Debug)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

/// Read events until `n` arrived (or fail after a timeout).
async fn read_events(res: reqwest::Response, n: usize) -> Vec<Sse> {
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {out:?}", out.len()))
            .expect("stream ended")
            .expect("chunk");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (None, String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if let Some(id) = id {
                out.push(Sse {
                    id,
                    event,
                    data: serde_json::from_str(&data).expect("event json"),
                });
            }
        }
    }
    out
}

async fn open(app: &TestApp, last_event_id: Option<i64>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(&app.ws.viewer.token)
        .timeout(Duration::from_secs(30));
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = req.send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/event-stream"),
        "{:?}",
        res.headers()
    );
    res
}

#[tokio::test]
async fn sse_streams_new_events_live() {
    let app = TestApp::spawn().await;
    let res = open(&app, None).await;
    let conv = app.conversation().await;
    let events = read_events(res, 3).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        ["contact.created", "conversation.created", "message.created"]
    );
    assert_eq!(events[1].data["conversation_id"], conv.as_str());
    assert_eq!(events[2].id, events[1].id + 1);
    assert_eq!(events[2].data["seq"], events[2].id);
    assert_eq!(events[2].data["kind"], "message.created");
}

#[tokio::test]
async fn sse_resumes_from_last_event_id_without_gaps() {
    let app = TestApp::spawn().await;
    let start = app.store.latest_seq(app.ws.id).await.expect("seq");
    let res = open(&app, Some(start)).await;
    let conv = app.conversation().await;
    let first = read_events(res, 3).await;
    let last_seen = first[2].id;
    drop(first);
    // Changes while disconnected.
    let path = format!("/api/v1/conversations/{conv}/assignee");
    for user in [&app.ws.alice, &app.ws.bob, &app.ws.alice] {
        app.put(&app.ws.admin.token, &path, json!({"user_id": user.id()}))
            .await;
    }
    let res = open(&app, Some(last_seen)).await;
    // And while connected again.
    app.delete(&app.ws.admin.token, &path).await;
    let events = read_events(res, 4).await;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (last_seen + 1..=last_seen + 4).collect::<Vec<_>>());
    assert!(events.iter().all(|e| e.event == "conversation.assignee_changed"));
    assert!(events[3].data["after"]["assignee_id"].is_null());
}

#[tokio::test]
async fn sse_replays_long_backlogs_in_order() {
    let app = TestApp::spawn().await;
    // Well over one read batch of history, written straight through the store.
    let conv: baton_core::ConversationId = app.conversation().await.parse().expect("id");
    let actor = baton_core::Actor::User {
        id: app.ws.alice.user.id,
        role: baton_core::Role::Agent,
    };
    for i in 0..600 {
        let user = if i % 2 == 0 {
            app.ws.alice.user.id
        } else {
            app.ws.bob.user.id
        };
        app.store
            .apply(
                app.ws.id,
                &actor,
                conv,
                baton_core::Command::AssignUser { user_id: user },
                None,
            )
            .await
            .expect("assign");
    }
    let latest = app.store.latest_seq(app.ws.id).await.expect("seq");
    let from = latest - 520;
    let events = read_events(open(&app, Some(from)).await, 520).await;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (from + 1..=latest).collect::<Vec<_>>());
}

#[tokio::test]
async fn sse_bad_last_event_id_is_422_and_needs_auth() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(&app.ws.viewer.token)
        .header("last-event-id", "banana")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

//! Replies and notes.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn replies_and_notes_with_mentions_are_posted() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (status, reply) = app
        .post(
            &app.ws.alice.token,
            &path,
            json!({"body": "On its way!", "kind": "outgoing"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["kind"], "outgoing");
    assert_eq!(
        reply["author"],
        json!({"type": "user", "id": app.ws.alice.id(), "role": "agent"})
    );
    let (status, note) = app
        .post(
            &app.ws.alice.token,
            &path,
            json!({"body": "@Bob can you check?", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    assert_eq!(note["mentions"], json!([app.ws.bob.id()]));
    let (_, list) = app.get(&app.ws.viewer.token, &path).await;
    let bodies: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        bodies,
        ["Hello, where is my order?", "On its way!", "@Bob can you check?"]
    );
    let (_, mentions) = app
        .get(&app.ws.bob.token, "/api/v1/conversations?view=mentions")
        .await;
    assert_eq!(mentions["items"][0]["id"], conv.as_str());
}

#[tokio::test]
async fn viewer_may_write_notes_but_not_replies() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/messages");
    let before = app.timeline_kinds(&conv).await;
    assert_error(
        &app.post(
            &app.ws.viewer.token,
            &path,
            json!({"body": "Hi", "kind": "outgoing"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(&app.ws.viewer.token, &path, json!({"body": "Hi"})).await,
        403,
        "forbidden",
    );
    assert_eq!(app.timeline_kinds(&conv).await, before);
    let (status, _) = app
        .post(
            &app.ws.viewer.token,
            &path,
            json!({"body": "FYI", "kind": "note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_messages_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/messages");
    let before = app.timeline_kinds(&conv).await;
    assert_error(
        &app.post(&app.ws.alice.token, &path, json!({"body": "  ", "kind": "note"}))
            .await,
        422,
        "empty_body",
    );
    assert_error(
        &app.post(
            &app.ws.alice.token,
            &path,
            json!({"body": "x", "kind": "incoming"}),
        )
        .await,
        422,
        "invalid_kind",
    );
    assert_error(
        &app.post(&app.ws.alice.token, &path, json!({"body": "x", "kind": "shout"}))
            .await,
        422,
        "invalid_body",
    );
    assert_error(
        &app.post(&app.ws.alice.token, &path, json!({"text": "x"})).await,
        422,
        "invalid_body",
    );
    let long = "y".repeat(65_537);
    assert_error(
        &app.post(&app.ws.alice.token, &path, json!({"body": long})).await,
        422,
        "body_too_long",
    );
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

//! Export in JSON, CSV and HTML.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

async fn busy_conversation(app: &TestApp) -> String {
    let conv = app.conversation().await;
    let msgs = format!("/api/v1/conversations/{conv}/messages");
    app.post(
        &app.ws.alice.token,
        &msgs,
        json!({"body": "Replying, \"quoted\", with a comma"}),
    )
    .await;
    app.post(
        &app.ws.alice.token,
        &msgs,
        json!({"body": "<script>alert(1)</script> @bob", "kind": "note"}),
    )
    .await;
    app.put(
        &app.ws.alice.token,
        &format!("/api/v1/conversations/{conv}/agent"),
        json!({"agent_id": app.ws.bot.id}),
    )
    .await;
    conv
}

async fn download(app: &TestApp, conv: &str, format: &str) -> (StatusCode, String, String, String) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/conversations/{conv}/export?format={format}")))
        .bearer_auth(&app.ws.viewer.token)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    (status, ct, cd, res.text().await.expect("body"))
}

#[tokio::test]
async fn export_csv_has_every_message() {
    let app = TestApp::spawn().await;
    let conv = busy_conversation(&app).await;
    let (status, ct, cd, text) = download(&app, &conv, "csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_eq!(cd, format!("attachment; filename=\"conversation-{conv}.csv\""));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().expect("header").iter().collect::<Vec<_>>(),
        ["time", "type", "kind", "author", "body"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    let messages: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[1] == "message").collect();
    assert_eq!(messages.len(), 3);
    assert_eq!(&messages[0][4], "Hello, where is my order?");
    assert_eq!(&messages[0][3], "Carla Customer");
    assert_eq!(&messages[1][4], "Replying, \"quoted\", with a comma");
    assert_eq!(&messages[1][3], "Alice Agent");
    assert_eq!(&messages[2][2], "note");
    let events = rows.iter().filter(|r| &r[1] == "event").count();
    let (_, tl) = app
        .get(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{conv}/timeline?limit=200"),
        )
        .await;
    assert_eq!(events, tl["items"].as_array().map(Vec::len).unwrap_or_default());
}

#[tokio::test]
async fn export_json_has_conversation_messages_events_and_sessions() {
    let app = TestApp::spawn().await;
    let conv = busy_conversation(&app).await;
    let (status, ct, cd, text) = download(&app, &conv, "json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/json");
    assert!(cd.ends_with(".json\""), "{cd}");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["conversation"]["id"], conv.as_str());
    assert_eq!(doc["messages"].as_array().map(Vec::len), Some(3));
    assert!(doc["events"].as_array().map(Vec::len).unwrap_or_default() >= 5);
    assert_eq!(doc["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["sessions"][0]["agent_id"], app.ws.bot.id.to_string());
}

#[tokio::test]
async fn export_html_is_a_readable_escaped_transcript() {
    let app = TestApp::spawn().await;
    let conv = busy_conversation(&app).await;
    let (status, ct, cd, html) = download(&app, &conv, "html").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(cd.ends_with(".html\""), "{cd}");
    assert!(html.contains("Conversation with Carla Customer"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("Alice Agent"));
    assert!(html.contains("conversation.agent_changed"));
}

#[tokio::test]
async fn export_unknown_format_is_422() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let got = app
        .get(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/export?format=pdf"),
        )
        .await;
    assert_error(&got, 422, "invalid_format");
}

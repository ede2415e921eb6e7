//! Lists, counts, one conversation, priority and tags, the timeline.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn conversation_json_has_every_field() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let (status, c) = app
        .get(&app.ws.alice.token, &format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "id",
        "status",
        "snoozed_until",
        "priority",
        "tags",
        "channel",
        "channel_id",
        "contact",
        "contact_id",
        "assignee",
        "assignee_id",
        "agent",
        "agent_id",
        "agent_session",
        "team",
        "team_id",
        "ai_handoff_at",
        "unread",
        "last_message_preview",
        "last_activity_at",
        "created_at",
        "updated_at",
        "version",
    ] {
        assert!(c.get(field).is_some(), "missing {field}: {c}");
    }
    assert_eq!(c["priority"], "normal");
    assert_eq!(c["unread"], true);
    assert_eq!(c["channel"]["id"], c["channel_id"]);
    assert!(c["assignee"].is_null());
}

#[tokio::test]
async fn list_views_filter_and_unknown_values_are_422() {
    let app = TestApp::spawn().await;
    let a = app.conversation().await;
    let b = app.conversation().await;
    let (status, _) = app
        .put(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{a}/assignee"),
            json!({"user_id": app.ws.alice.id()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_string())
            .collect()
    };
    let (_, mine) = app
        .get(&app.ws.alice.token, "/api/v1/conversations?view=mine")
        .await;
    assert_eq!(ids(&mine), vec![a.clone()]);
    let (_, unassigned) = app
        .get(&app.ws.alice.token, "/api/v1/conversations?view=unassigned")
        .await;
    assert_eq!(ids(&unassigned), vec![b.clone()]);
    let (_, all) = app.get(&app.ws.alice.token, "/api/v1/conversations").await;
    assert_eq!(ids(&all).len(), 2);
    let (_, closed) = app
        .get(&app.ws.alice.token, "/api/v1/conversations?status=closed")
        .await;
    assert!(ids(&closed).is_empty());
    let (_, urgent) = app
        .get(&app.ws.alice.token, "/api/v1/conversations?priority=urgent")
        .await;
    assert!(ids(&urgent).is_empty());
    let (_, any) = app
        .get(
            &app.ws.alice.token,
            &format!(
                "/api/v1/conversations?status=all&channel_id={}&unread=true",
                app.ws.api.id
            ),
        )
        .await;
    assert_eq!(ids(&any).len(), 2);
    let (_, found) = app
        .get(&app.ws.alice.token, "/api/v1/conversations?q=order")
        .await;
    assert_eq!(ids(&found).len(), 2);

    for (query, code) in [
        ("view=bogus", "invalid_view"),
        ("status=done", "invalid_status"),
        ("priority=meh", "invalid_priority"),
        ("team_id=xyz", "invalid_query"),
        ("unread=maybe", "invalid_query"),
        ("limit=-1", "invalid_query"),
        ("cursor=garbage", "invalid_cursor"),
    ] {
        let got = app
            .get(&app.ws.alice.token, &format!("/api/v1/conversations?{query}"))
            .await;
        assert_error(&got, 422, code);
    }
}

#[tokio::test]
async fn list_pages_by_cursor_without_duplicates() {
    let app = TestApp::spawn().await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(app.conversation().await);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/conversations?limit=2".to_string();
    loop {
        let (status, page) = app.get(&app.ws.viewer.token, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for c in page["items"].as_array().expect("items") {
            seen.push(c["id"].as_str().expect("id").to_string());
        }
        // Concurrent inserts must not disturb the pages already handed out.
        if seen.len() == 2 {
            app.conversation().await;
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/conversations?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "duplicates: {seen:?}");
    for id in &made {
        assert!(seen.contains(id), "{id} missing from {seen:?}");
    }
}

#[tokio::test]
async fn counts_follow_assignment() {
    let app = TestApp::spawn().await;
    let a = app.conversation().await;
    app.conversation().await;
    app.put(
        &app.ws.alice.token,
        &format!("/api/v1/conversations/{a}/assignee"),
        json!({"user_id": app.ws.alice.id()}),
    )
    .await;
    let (status, counts) = app.get(&app.ws.alice.token, "/api/v1/conversations/counts").await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(counts["mine"], 1);
    assert_eq!(counts["unassigned"], 1);
    assert_eq!(counts["assigned"], 1);
    assert_eq!(counts["all"], 2);
    assert_eq!(counts["ai_queue"], 0);
}

#[tokio::test]
async fn patch_sets_priority_and_tags_or_nothing() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}");
    let (status, c) = app
        .patch(
            &app.ws.alice.token,
            &path,
            json!({"priority": "high", "tags": ["Billing", "billing", " vip "]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["priority"], "high");
    assert_eq!(c["tags"], json!(["billing", "vip"]));

    // A refused tag list leaves the priority unchanged too: one transaction.
    let long = "x".repeat(65);
    let got = app
        .patch(
            &app.ws.alice.token,
            &path,
            json!({"priority": "urgent", "tags": [long]}),
        )
        .await;
    assert_error(&got, 422, "tag_too_long");
    let (_, c) = app.get(&app.ws.alice.token, &path).await;
    assert_eq!(c["priority"], "high");

    assert_error(
        &app.patch(&app.ws.viewer.token, &path, json!({"priority": "low"}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.patch(&app.ws.alice.token, &path, json!({"priority": "asap"}))
            .await,
        422,
        "invalid_body",
    );
    let (status, same) = app.patch(&app.ws.alice.token, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["version"], c["version"]);
}

#[tokio::test]
async fn timeline_lists_every_event_with_actor_and_reason() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    app.put(
        &app.ws.admin.token,
        &format!("/api/v1/conversations/{conv}/assignee"),
        json!({"user_id": app.ws.bob.id()}),
    )
    .await;
    let (status, tl) = app
        .get(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/timeline"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = tl["items"].as_array().expect("items");
    let kinds: Vec<&str> = items
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "conversation.created",
            "message.created",
            "conversation.assignee_changed"
        ]
    );
    let assigned = &items[2];
    assert_eq!(assigned["actor"]["type"], "user");
    assert_eq!(assigned["actor"]["id"], app.ws.admin.id());
    assert_eq!(assigned["reason"], "manual");
    assert_eq!(assigned["before"]["assignee_id"], json!(null));
    assert_eq!(assigned["after"]["assignee_id"], app.ws.bob.id());
    assert!(assigned["seq"].as_i64().is_some());
}

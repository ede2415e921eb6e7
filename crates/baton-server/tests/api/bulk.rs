//! Bulk operations.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn bulk_assign_reports_per_id_results() {
    let app = TestApp::spawn().await;
    let a = app.conversation().await;
    let b = app.conversation().await;
    let other = app.other_workspace().await;
    let (_, theirs) = app
        .post(
            &other.admin.token,
            &format!("/api/v1/channels/{}/inbound", other.api.id),
            json!({"contact": {"email": "g@globex.example"}, "body": "Hi"}),
        )
        .await;
    let theirs = theirs["id"].as_str().expect("id").to_string();
    let body =
        json!({"ids": [a, "garbage", theirs, b], "op": {"type": "assign_user", "user_id": app.ws.bob.id()}});
    let (status, out) = app
        .post(&app.ws.alice.token, "/api/v1/conversations/bulk", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["id"], a.as_str());
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["conversation"]["assignee_id"], app.ws.bob.id());
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"]["code"], "not_found");
    assert_eq!(results[2]["ok"], false);
    assert_eq!(results[2]["error"]["code"], "not_found");
    assert_eq!(results[3]["ok"], true);
    let (_, c) = app
        .get(&other.admin.token, &format!("/api/v1/conversations/{theirs}"))
        .await;
    assert!(c["assignee"].is_null(), "foreign conversation untouched");
}

#[tokio::test]
async fn bulk_ops_mirror_the_single_endpoints() {
    let app = TestApp::spawn().await;
    let a = app.conversation().await;
    let t = &app.ws.alice.token;
    for op in [
        json!({"type": "assign_team", "team_id": app.ws.team.id}),
        json!({"type": "set_priority", "priority": "urgent"}),
        json!({"type": "set_tags", "tags": ["bulk"]}),
        json!({"type": "assign_agent", "agent_id": app.ws.bot.id, "send_initial_message": false}),
        json!({"type": "take_over"}),
        json!({"type": "set_status", "status": "pending"}),
        json!({"type": "mark_unread"}),
        json!({"type": "transfer", "channel_id": app.ws.chat.id}),
    ] {
        let (status, out) = app
            .post(t, "/api/v1/conversations/bulk", json!({"ids": [a], "op": op}))
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["results"][0]["ok"], true, "{op}: {out}");
    }
    let (_, c) = app.get(t, &format!("/api/v1/conversations/{a}")).await;
    assert_eq!(c["priority"], "urgent");
    assert_eq!(c["status"], "pending");
    assert_eq!(c["assignee_id"], app.ws.alice.id());
    assert_eq!(c["channel_id"], app.ws.chat.id.to_string());
}

#[tokio::test]
async fn bulk_refusals_are_per_id_and_bad_requests_are_422() {
    let app = TestApp::spawn().await;
    let a = app.conversation().await;
    let body = json!({"ids": [a], "op": {"type": "unassign_user"}});
    let (status, out) = app
        .post(&app.ws.viewer.token, "/api/v1/conversations/bulk", body)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out["results"][0]["error"]["code"], "forbidden");

    let ids: Vec<String> = (0..501).map(|_| a.clone()).collect();
    let got = app
        .post(
            &app.ws.alice.token,
            "/api/v1/conversations/bulk",
            json!({"ids": ids, "op": {"type": "mark_read"}}),
        )
        .await;
    assert_error(&got, 422, "too_many_ids");
    let got = app
        .post(
            &app.ws.alice.token,
            "/api/v1/conversations/bulk",
            json!({"ids": [a], "op": {"type": "explode"}}),
        )
        .await;
    assert_error(&got, 422, "invalid_body");
    let got = app
        .post(
            &app.ws.alice.token,
            "/api/v1/conversations/bulk",
            json!({"ids": [a], "op": {"type": "assign_user"}}),
        )
        .await;
    assert_error(&got, 422, "invalid_body");
    let got = app
        .post(
            &app.ws.alice.token,
            "/api/v1/conversations/bulk",
            json!({"ids": [a], "op": {"type": "mark_read", "x": 1}}),
        )
        .await;
    assert_error(&got, 422, "invalid_body");
}

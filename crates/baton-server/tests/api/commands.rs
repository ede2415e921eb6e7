//! Ownership and state commands, with their refusals.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn assign_and_unassign_a_user() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/assignee");
    let (status, c) = app
        .put(&app.ws.alice.token, &path, json!({"user_id": app.ws.bob.id()}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["assignee_id"], app.ws.bob.id());
    assert_eq!(c["assignee"]["name"], "Bob Agent");
    assert_eq!(c["assignee"]["handle"], "bob");
    let (status, c) = app.delete(&app.ws.alice.token, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(c["assignee"].is_null());
}

#[tokio::test]
async fn viewer_cannot_assign() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let before = app.timeline_kinds(&conv).await;
    let path = format!("/api/v1/conversations/{conv}/assignee");
    assert_error(
        &app.put(&app.ws.viewer.token, &path, json!({"user_id": app.ws.bob.id()}))
            .await,
        403,
        "forbidden",
    );
    assert_error(&app.delete(&app.ws.viewer.token, &path).await, 403, "forbidden");
    let team = format!("/api/v1/conversations/{conv}/team");
    assert_error(
        &app.put(&app.ws.viewer.token, &team, json!({"team_id": app.ws.team.id}))
            .await,
        403,
        "forbidden",
    );
    let status = format!("/api/v1/conversations/{conv}/status");
    assert_error(
        &app.post(&app.ws.viewer.token, &status, json!({"status": "closed"}))
            .await,
        403,
        "forbidden",
    );
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

#[tokio::test]
async fn assigning_unknown_deactivated_or_viewer_users_is_refused() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/assignee");
    let before = app.timeline_kinds(&conv).await;
    let nobody = uuid::Uuid::now_v7().to_string();
    assert_error(
        &app.put(&app.ws.alice.token, &path, json!({"user_id": nobody}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.put(&app.ws.alice.token, &path, json!({"user_id": app.ws.viewer.id()}))
            .await,
        422,
        "user_cannot_reply",
    );
    app.patch(
        &app.ws.admin.token,
        &format!("/api/v1/users/{}", app.ws.bob.id()),
        json!({"active": false}),
    )
    .await;
    assert_error(
        &app.put(&app.ws.alice.token, &path, json!({"user_id": app.ws.bob.id()}))
            .await,
        422,
        "user_deactivated",
    );
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

#[tokio::test]
async fn agent_session_lifecycle() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let t = &app.ws.alice.token;
    let agent = format!("/api/v1/conversations/{conv}/agent");
    let (status, c) = app
        .put(
            t,
            &agent,
            json!({"agent_id": app.ws.bot.id, "send_initial_message": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["agent"]["name"], "Ava");
    let session = c["agent_session"]["id"].clone();
    assert!(session.is_string());
    assert_error(
        &app.put(t, &agent, json!({"agent_id": app.ws.bot.id})).await,
        409,
        "agent_session_active",
    );
    let (_, queue) = app.get(t, "/api/v1/conversations?view=ai_queue").await;
    assert_eq!(queue["items"][0]["id"], conv.as_str());

    let (status, c) = app
        .post_empty(t, &format!("/api/v1/conversations/{conv}/agent_session/end"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert!(c["agent_session"].is_null());
    assert_eq!(c["agent_id"], app.ws.bot.id.to_string());

    let (status, c) = app
        .post_empty(t, &format!("/api/v1/conversations/{conv}/agent_session/resume"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_ne!(c["agent_session"]["id"], session);

    let (status, c) = app
        .post_empty(t, &format!("/api/v1/conversations/{conv}/take_over"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert!(c["agent_session"].is_null());
    assert!(c["ai_handoff_at"].is_string());
    assert_eq!(c["assignee_id"], app.ws.alice.id());

    let (status, c) = app.delete(t, &agent).await;
    assert_eq!(status, StatusCode::OK);
    assert!(c["agent"].is_null());
    assert_error(&app.delete(t, &agent).await, 409, "no_agent");
    assert_error(
        &app.post_empty(t, &format!("/api/v1/conversations/{conv}/agent_session/resume"))
            .await,
        409,
        "no_agent",
    );
}

#[tokio::test]
async fn ending_inactive_session_is_409() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let before = app.timeline_kinds(&conv).await;
    let got = app
        .post_empty(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/agent_session/end"),
        )
        .await;
    assert_error(&got, 409, "no_active_agent_session");
    let got = app
        .post_empty(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/take_over"),
        )
        .await;
    assert_error(&got, 409, "no_active_agent_session");
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

#[tokio::test]
async fn assigning_a_disabled_agent_is_422() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    app.patch(
        &app.ws.admin.token,
        &format!("/api/v1/agents/{}", app.ws.bot.id),
        json!({"active": false}),
    )
    .await;
    let got = app
        .put(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/agent"),
            json!({"agent_id": app.ws.bot.id}),
        )
        .await;
    assert_error(&got, 422, "agent_inactive");
}

#[tokio::test]
async fn teams_are_assigned_and_unassigned() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/team");
    let (status, c) = app
        .put(&app.ws.alice.token, &path, json!({"team_id": app.ws.team.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["team"]["name"], "Support");
    let (_, counts) = app.get(&app.ws.alice.token, "/api/v1/conversations/counts").await;
    assert_eq!(counts["teams"][0]["count"], 1);
    let (_, listed) = app
        .get(
            &app.ws.alice.token,
            &format!("/api/v1/conversations?team_id={}", app.ws.team.id),
        )
        .await;
    assert_eq!(listed["items"][0]["id"], conv.as_str());
    let (_, c) = app.delete(&app.ws.alice.token, &path).await;
    assert!(c["team"].is_null());
    let nowhere = uuid::Uuid::now_v7().to_string();
    assert_error(
        &app.put(&app.ws.alice.token, &path, json!({"team_id": nowhere}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn status_changes_and_snooze_needs_a_future_time() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/status");
    let t = &app.ws.alice.token;
    assert_error(
        &app.post(t, &path, json!({"status": "snoozed"})).await,
        422,
        "snoozed_until_required",
    );
    assert_error(
        &app.post(
            t,
            &path,
            json!({"status": "snoozed", "snoozed_until": "2000-01-01T00:00:00Z"}),
        )
        .await,
        422,
        "snoozed_until_in_past",
    );
    assert_error(
        &app.post(
            t,
            &path,
            json!({"status": "closed", "snoozed_until": "2999-01-01T00:00:00Z"}),
        )
        .await,
        422,
        "snoozed_until_not_allowed",
    );
    assert_error(
        &app.post(t, &path, json!({"status": "done"})).await,
        422,
        "invalid_body",
    );
    let (status, c) = app
        .post(
            t,
            &path,
            json!({"status": "snoozed", "snoozed_until": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "snoozed");
    assert_eq!(c["snoozed_until"], "2999-01-01T00:00:00Z");
    let (_, c) = app.post(t, &path, json!({"status": "closed"})).await;
    assert_eq!(c["status"], "closed");
    assert!(c["snoozed_until"].is_null());
    let (_, closed) = app.get(t, "/api/v1/conversations?status=closed").await;
    assert_eq!(closed["items"][0]["id"], conv.as_str());
}

#[tokio::test]
async fn read_and_unread_are_per_user() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let (status, c) = app
        .post_empty(&app.ws.alice.token, &format!("/api/v1/conversations/{conv}/read"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["unread"], false);
    let (_, other) = app
        .get(&app.ws.bob.token, &format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(other["unread"], true);
    let (_, c) = app
        .post_empty(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/unread"),
        )
        .await;
    assert_eq!(c["unread"], true);
    // Reading is allowed to viewers; marking unread is not.
    let (status, _) = app
        .post_empty(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/read"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &app.post_empty(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/unread"),
        )
        .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn transfer_moves_the_channel_once() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let path = format!("/api/v1/conversations/{conv}/transfer");
    let (status, c) = app
        .post(&app.ws.alice.token, &path, json!({"channel_id": app.ws.chat.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["channel"]["name"], "Chat");
    assert_error(
        &app.post(&app.ws.alice.token, &path, json!({"channel_id": app.ws.chat.id}))
            .await,
        409,
        "same_channel",
    );
    assert_error(
        &app.post(&app.ws.viewer.token, &path, json!({"channel_id": app.ws.api.id}))
            .await,
        403,
        "forbidden",
    );
}

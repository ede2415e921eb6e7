//! Bad input answers in the error shape with the right status, and changes nothing.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let before = app.timeline_kinds(&conv).await;
    let t = &app.ws.alice.token;
    for (method, path) in [
        (Method::PUT, format!("/api/v1/conversations/{conv}/assignee")),
        (Method::POST, format!("/api/v1/conversations/{conv}/messages")),
        (Method::PATCH, format!("/api/v1/conversations/{conv}")),
        (Method::POST, format!("/api/v1/conversations/{conv}/status")),
        (Method::POST, "/api/v1/conversations/bulk".to_string()),
        (Method::POST, "/api/v1/contacts".to_string()),
    ] {
        // Truncated after a field no endpoint here knows: still a syntax error first.
        for bad in ["{\"nonsense\": ", "{not json}", "", "{\"body\": \"x\",}"] {
            let got = app.raw(method.clone(), t, &path, "application/json", bad).await;
            assert_error(&got, 400, "malformed_json");
        }
    }
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

#[tokio::test]
async fn wrong_types_missing_and_unknown_fields_are_422() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let before = app.timeline_kinds(&conv).await;
    let t = &app.ws.alice.token;
    let path = format!("/api/v1/conversations/{conv}/assignee");
    for body in [
        json!({"user_id": 42}),
        json!({"user_id": "not-a-uuid"}),
        json!({}),
        json!({"user_id": app.ws.bob.id(), "extra": true}),
        json!([app.ws.bob.id()]),
    ] {
        assert_error(&app.put(t, &path, body).await, 422, "invalid_body");
    }
    let got = app
        .patch(
            &app.ws.admin.token,
            &format!("/api/v1/users/{}", app.ws.bob.id()),
            json!({"active": "no"}),
        )
        .await;
    assert_error(&got, 422, "invalid_body");
    assert_eq!(app.timeline_kinds(&conv).await, before);
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let got = app
        .raw(
            Method::POST,
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/messages"),
            "text/plain",
            "{\"body\":\"x\"}",
        )
        .await;
    assert_error(&got, 415, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let body = json!({"body": "z".repeat(2 * 1024 * 1024)});
    let got = app
        .post(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/messages"),
            body,
        )
        .await;
    assert_error(&got, 413, "payload_too_large");
}

#[tokio::test]
async fn foreign_workspace_id_is_404() {
    let app = TestApp::spawn().await;
    let other = app.other_workspace().await;
    // A conversation of the other workspace.
    let (status, theirs) = app
        .post(
            &other.admin.token,
            &format!("/api/v1/channels/{}/inbound", other.api.id),
            json!({"contact": {"email": "g@globex.example"}, "body": "Hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let theirs = theirs["id"].as_str().expect("id").to_string();
    let t = &app.ws.admin.token;
    for path in [
        format!("/api/v1/conversations/{theirs}"),
        format!("/api/v1/conversations/{theirs}/messages"),
        format!("/api/v1/conversations/{theirs}/timeline"),
        format!("/api/v1/conversations/{theirs}/export"),
        format!("/api/v1/users/{}", other.alice.id()),
        format!("/api/v1/teams/{}", other.team.id),
        format!("/api/v1/agents/{}", other.bot.id),
        format!("/api/v1/channels/{}", other.api.id),
    ] {
        assert_error(&app.get(t, &path).await, 404, "not_found");
    }
    let got = app
        .put(
            t,
            &format!("/api/v1/conversations/{theirs}/assignee"),
            json!({"user_id": app.ws.bob.id()}),
        )
        .await;
    assert_error(&got, 404, "not_found");
    // Our conversation, their user / team / channel / agent.
    let ours = app.conversation().await;
    let before = app.timeline_kinds(&ours).await;
    let cases = [
        ("assignee", json!({"user_id": other.alice.id()}), Method::PUT),
        ("team", json!({"team_id": other.team.id}), Method::PUT),
        ("agent", json!({"agent_id": other.bot.id}), Method::PUT),
        ("transfer", json!({"channel_id": other.chat.id}), Method::POST),
    ];
    for (tail, body, method) in cases {
        let got = app
            .call(
                method,
                Some(t),
                &format!("/api/v1/conversations/{ours}/{tail}"),
                Some(body),
            )
            .await;
        assert_error(&got, 404, "not_found");
    }
    let got = app
        .patch(
            t,
            &format!("/api/v1/users/{}", other.alice.id()),
            json!({"active": false}),
        )
        .await;
    assert_error(&got, 404, "not_found");
    assert_eq!(app.timeline_kinds(&ours).await, before);
    // Their data is untouched.
    let (_, c) = app
        .get(&other.admin.token, &format!("/api/v1/conversations/{theirs}"))
        .await;
    assert!(c["assignee"].is_null());
}

#[tokio::test]
async fn malformed_or_unknown_path_ids_are_404() {
    let app = TestApp::spawn().await;
    let t = &app.ws.admin.token;
    for path in [
        "/api/v1/conversations/not-an-id",
        "/api/v1/conversations/12345/timeline",
        "/api/v1/users/%00",
        "/api/v1/contacts/0190",
    ] {
        assert_error(&app.get(t, path).await, 404, "not_found");
    }
    let unknown = uuid::Uuid::now_v7();
    assert_error(
        &app.get(t, &format!("/api/v1/conversations/{unknown}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.post_empty(t, &format!("/api/v1/conversations/{unknown}/take_over"))
            .await,
        404,
        "not_found",
    );
    let got = app
        .put(
            t,
            "/api/v1/conversations/nope/assignee",
            json!({"user_id": app.ws.bob.id()}),
        )
        .await;
    assert_error(&got, 404, "not_found");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::spawn().await;
    assert_error(
        &app.get(&app.ws.admin.token, "/api/v1/nothing-here").await,
        404,
        "not_found",
    );
    let got = app
        .call(Method::DELETE, Some(&app.ws.admin.token), "/api/v1/me", None)
        .await;
    assert_error(&got, 405, "method_not_allowed");
}

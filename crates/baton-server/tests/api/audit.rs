//! The audit log.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn audit_is_for_admins_and_filters_by_kind() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    app.put(
        &app.ws.alice.token,
        &format!("/api/v1/conversations/{conv}/assignee"),
        json!({"user_id": app.ws.bob.id()}),
    )
    .await;
    let (status, log) = app.get(&app.ws.admin.token, "/api/v1/audit?limit=5").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 5);
    assert!(
        items[0]["seq"].as_i64() > items[1]["seq"].as_i64(),
        "newest first"
    );
    assert!(log["next_cursor"].is_string());
    let (_, only) = app
        .get(
            &app.ws.owner.token,
            "/api/v1/audit?kind=conversation.assignee_changed",
        )
        .await;
    let only = only["items"].as_array().expect("items");
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["actor"]["id"], app.ws.alice.id());
    assert_error(
        &app.get(&app.ws.alice.token, "/api/v1/audit").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get(&app.ws.viewer.token, "/api/v1/audit").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get(&app.ws.admin.token, "/api/v1/audit?kind=bogus").await,
        422,
        "invalid_kind",
    );
}

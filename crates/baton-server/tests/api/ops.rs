//! Health, readiness, metrics and the OpenAPI document.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/readyz")).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    app.get(&app.ws.alice.token, "/api/v1/me").await;
    app.get(&app.ws.alice.token, "/api/v1/conversations/not-an-id")
        .await;
    let res = app.client.get(app.url("/metrics")).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    assert!(
        text.contains(r#"baton_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"baton_http_requests_total{method="GET",route="/api/v1/conversations/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        "baton_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/me\",le=\"+Inf\"} 1"
    ));
    assert!(text.contains("# TYPE baton_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn openapi_document_matches_snapshot() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.expect("json");
    // Every path of the contract is documented.
    for path in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/teams",
        "/api/v1/teams/{id}/members/{user_id}",
        "/api/v1/agents",
        "/api/v1/agents/{id}",
        "/api/v1/channels",
        "/api/v1/channels/{id}/inbound",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/conversations",
        "/api/v1/conversations/counts",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/conversations/{id}/timeline",
        "/api/v1/conversations/{id}/assignee",
        "/api/v1/conversations/{id}/agent",
        "/api/v1/conversations/{id}/agent_session/end",
        "/api/v1/conversations/{id}/agent_session/resume",
        "/api/v1/conversations/{id}/team",
        "/api/v1/conversations/{id}/take_over",
        "/api/v1/conversations/{id}/status",
        "/api/v1/conversations/{id}/read",
        "/api/v1/conversations/{id}/unread",
        "/api/v1/conversations/{id}/transfer",
        "/api/v1/conversations/{id}/export",
        "/api/v1/conversations/bulk",
        "/api/v1/events",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("openapi", doc);
    });
    let res = app
        .client
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("html").contains("api-reference"));
}

#[tokio::test]
async fn shutdown_ends_event_streams_and_stops_the_server() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(&app.ws.viewer.token)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::OK);
    let base = app.base.clone();
    assert!(
        app.shut_down(std::time::Duration::from_secs(5)).await,
        "server did not stop"
    );
    // The open stream ended rather than holding the shutdown forever.
    let rest = tokio::time::timeout(std::time::Duration::from_secs(5), res.bytes()).await;
    assert!(rest.is_ok(), "the event stream is still open");
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "still accepting"
    );
}

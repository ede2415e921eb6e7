//! Routing rules over HTTP: create, reorder, delete, validation, dry run,
//! business hours, and an inbound message routed with its explanation.

use crate::common::*;
use serde_json::json;

fn rr(team: &str) -> serde_json::Value {
    json!({"name": "round robin", "actions": [{"type": "round_robin", "team_id": team}]})
}

#[tokio::test]
async fn rules_are_created_listed_reordered_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    let team = app.ws.team.id.to_string();
    let (s, a) = app.post(&admin, "/api/v1/routing_rules", rr(&team)).await;
    assert_eq!(s.as_u16(), 201, "{a}");
    let vip = json!({"name": "VIP to seniors", "position": 0,
        "conditions": [{"field": "contact.attribute", "key": "vip", "op": "eq", "value": true}],
        "actions": [{"type": "assign_user", "user_id": app.ws.bob.id()}, {"type": "stop"}]});
    let (s, b) = app.post(&admin, "/api/v1/routing_rules", vip).await;
    assert_eq!(s.as_u16(), 201, "{b}");
    assert_eq!(b["position"], 0);
    assert_eq!(b["enabled"], true);
    let (_, list) = app.get(&admin, "/api/v1/routing_rules").await;
    let names: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["VIP to seniors", "round robin"]);
    let mut moved = rr(&team);
    moved["position"] = json!(0);
    moved["enabled"] = json!(false);
    let (s, m) = app
        .put(
            &admin,
            &format!("/api/v1/routing_rules/{}", a["id"].as_str().unwrap()),
            moved,
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{m}");
    assert_eq!(
        (m["position"].clone(), m["enabled"].clone()),
        (json!(0), json!(false))
    );
    let (s, _) = app
        .delete(
            &admin,
            &format!("/api/v1/routing_rules/{}", b["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s.as_u16(), 204);
    let (_, list) = app.get(&admin, "/api/v1/routing_rules").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let gone = app
        .delete(
            &admin,
            &format!("/api/v1/routing_rules/{}", b["id"].as_str().unwrap()),
        )
        .await;
    assert_error(&gone, 404, "not_found");
}

#[tokio::test]
async fn invalid_rules_are_422_and_agents_are_403() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    let other = app.other_workspace().await;
    let bad = [
        json!({"name": "x", "actions": [{"type": "round_robin", "team_id": uuid::Uuid::now_v7()}]}),
        json!({"name": "x", "actions": [{"type": "assign_user", "user_id": other.alice.id()}]}),
        json!({"name": "x", "conditions": [{"field": "contact.tag", "op": "has", "value": ""}], "actions": [{"type": "stop"}]}),
        json!({"name": "x", "conditions": [{"field": "weather", "op": "eq", "value": "sunny"}], "actions": [{"type": "stop"}]}),
        json!({"name": "x", "actions": []}),
        json!({"name": "", "actions": [{"type": "stop"}]}),
    ];
    for body in bad {
        let got = app.post(&admin, "/api/v1/routing_rules", body.clone()).await;
        assert_eq!(got.0.as_u16(), 422, "{body} -> {}", got.1);
    }
    let malformed = app
        .raw(
            reqwest::Method::POST,
            &admin,
            "/api/v1/routing_rules",
            "application/json",
            "{\"name\": ",
        )
        .await;
    assert_eq!(malformed.0.as_u16(), 400);
    let (_, list) = app.get(&admin, "/api/v1/routing_rules").await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing stored");
    let denied = app
        .post(
            &app.ws.alice.token,
            "/api/v1/routing_rules",
            rr(&app.ws.team.id.to_string()),
        )
        .await;
    assert_error(&denied, 403, "forbidden");
}

#[tokio::test]
async fn inbound_is_routed_and_the_timeline_shows_why() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    app.post(&admin, "/api/v1/routing_rules", rr(&app.ws.team.id.to_string()))
        .await;
    let path = format!("/api/v1/channels/{}/inbound", app.ws.api.id);
    let (s, conv) = app
        .post(
            &admin,
            &path,
            json!({"contact": {"email": "new@customer.test"}, "body": "hello"}),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "a new conversation: {conv}");
    assert_eq!(
        conv["assignee_id"],
        json!(app.ws.alice.id()),
        "alice is the team's only member"
    );
    let (_, tl) = app
        .get(
            &admin,
            &format!("/api/v1/conversations/{}/timeline", conv["id"].as_str().unwrap()),
        )
        .await;
    let routed = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "conversation.routed")
        .expect("routed event");
    let text = routed.to_string();
    assert!(
        text.contains("round robin") && text.contains("candidates"),
        "{text}"
    );
    // The API shape, whatever the stored one: one entry per candidate.
    let x = &routed["data"]["routing"];
    assert!(x.get("candidate_runs").is_none(), "{x}");
    assert_eq!(
        x["candidates"],
        json!([{"user_id": app.ws.alice.id(), "eligible": true, "reason": "chosen"}]),
        "{x}"
    );
}

#[tokio::test]
async fn dry_run_explains_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    app.post(&admin, "/api/v1/routing_rules", rr(&app.ws.team.id.to_string()))
        .await;
    let (_, before) = app.get(&admin, "/api/v1/audit?limit=1").await;
    let probe = json!({"channel_id": app.ws.api.id, "contact": {"email": "who@customer.test"}, "body": "refund please"});
    let (s, out) = app
        .post(&admin, "/api/v1/routing_rules/dry_run", probe.clone())
        .await;
    assert_eq!(s.as_u16(), 200, "{out}");
    assert_eq!(out["explanation"]["rule_name"], "round robin");
    assert_eq!(out["explanation"]["chosen"], json!(app.ws.alice.id()));
    assert_eq!(out["would_apply"][1]["type"], "assign_user");
    let (_, after) = app.get(&admin, "/api/v1/audit?limit=1").await;
    assert_eq!(
        before["items"][0]["seq"], after["items"][0]["seq"],
        "nothing written"
    );
    let denied = app
        .post(&app.ws.alice.token, "/api/v1/routing_rules/dry_run", probe)
        .await;
    assert_error(&denied, 403, "forbidden");
}

#[tokio::test]
async fn business_hours_are_validated_and_stored() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    let hours = json!({"business_hours": {"timezone": "Europe/Berlin",
        "days": [{"day": "mon", "open": "09:00", "close": "17:00"}]}});
    let (s, got) = app
        .put(&admin, "/api/v1/workspace/business_hours", hours.clone())
        .await;
    assert_eq!(s.as_u16(), 200, "{got}");
    assert_eq!(app.get(&admin, "/api/v1/workspace/business_hours").await.1, hours);
    let bad = json!({"business_hours": {"timezone": "Mars/Base", "days": []}});
    assert_error(
        &app.put(&admin, "/api/v1/workspace/business_hours", bad).await,
        422,
        "invalid_business_hours",
    );
    assert_error(
        &app.put(&app.ws.alice.token, "/api/v1/workspace/business_hours", hours)
            .await,
        403,
        "forbidden",
    );
    let (s, cleared) = app.delete(&admin, "/api/v1/workspace/business_hours").await;
    assert_eq!(
        (s.as_u16(), cleared["business_hours"].clone()),
        (200, serde_json::Value::Null)
    );
}

#[tokio::test]
async fn team_settings_round_trip_and_are_validated() {
    let app = TestApp::spawn().await;
    let admin = app.ws.admin.token.clone();
    let path = format!("/api/v1/teams/{}/settings", app.ws.team.id);
    let (s, got) = app.get(&admin, &path).await;
    assert_eq!(s.as_u16(), 200);
    assert_eq!(got["reply_timeout_minutes"], serde_json::Value::Null);
    let want = json!({"reply_timeout_minutes": 15, "on_reply_timeout": "reassign", "requeue_when_away": true, "queue_mode": "balanced"});
    let (s, saved) = app.put(&admin, &path, want.clone()).await;
    assert_eq!(s.as_u16(), 200, "{saved}");
    assert_eq!(saved, want);
    assert_eq!(app.get(&admin, &path).await.1, want);
    assert_error(
        &app.put(&admin, &path, json!({"reply_timeout_minutes": 0})).await,
        422,
        "invalid_reply_timeout",
    );
    assert_error(
        &app.put(&admin, &path, json!({"reply_timeout_minutes": "soon"}))
            .await,
        422,
        "invalid_body",
    );
    assert_error(&app.put(&app.ws.alice.token, &path, want).await, 403, "forbidden");
    let other = format!("/api/v1/teams/{}/settings", app.other_workspace().await.team.id);
    assert_error(&app.get(&admin, &other).await, 404, "not_found");
}

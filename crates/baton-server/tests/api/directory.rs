//! Me, users, teams, agents, channels, contacts and inbound messages.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn me_shows_user_role_and_workspace() {
    let app = TestApp::spawn().await;
    let (status, me) = app.get(&app.ws.alice.token, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["id"], app.ws.alice.id());
    assert_eq!(me["user"]["handle"], "alice");
    assert_eq!(me["role"], "agent");
    assert_eq!(me["workspace"]["name"], "Acme");
}

#[tokio::test]
async fn admin_adds_users_and_agents_may_not() {
    let app = TestApp::spawn().await;
    let new = json!({"email": "Nora@Acme.example", "name": "Nora New", "role": "agent"});
    let (status, user) = app.post(&app.ws.admin.token, "/api/v1/users", new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "nora@acme.example");
    assert_eq!(user["active"], true);

    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/users", new).await,
        409,
        "email_taken",
    );
    let other = json!({"email": "x@acme.example", "name": "X", "role": "agent"});
    assert_error(
        &app.post(&app.ws.alice.token, "/api/v1/users", other.clone())
            .await,
        403,
        "forbidden",
    );
    let owner = json!({"email": "o@acme.example", "name": "O", "role": "owner"});
    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/users", owner).await,
        403,
        "forbidden",
    );
    let bad = json!({"email": "not-an-email", "name": "X", "role": "agent"});
    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/users", bad).await,
        422,
        "invalid_email",
    );
    let bad = json!({"email": "y@acme.example", "name": "Y", "role": "root"});
    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/users", bad).await,
        422,
        "invalid_body",
    );
    let short = json!({"email": "z@acme.example", "name": "Z", "role": "agent", "password": "short"});
    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/users", short).await,
        422,
        "password_too_short",
    );

    let (_, list) = app.get(&app.ws.viewer.token, "/api/v1/users?limit=2").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
    let cursor = list["next_cursor"].as_str().expect("more pages");
    let (_, next) = app
        .get(
            &app.ws.viewer.token,
            &format!("/api/v1/users?limit=200&cursor={cursor}"),
        )
        .await;
    assert_eq!(next["items"].as_array().map(Vec::len), Some(4));
    assert!(next["next_cursor"].is_null());
}

#[tokio::test]
async fn viewer_may_set_own_availability_but_not_role() {
    let app = TestApp::spawn().await;
    let me = format!("/api/v1/users/{}", app.ws.viewer.id());
    let (status, user) = app
        .patch(&app.ws.viewer.token, &me, json!({"availability": "away"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["availability"], "away");
    assert_error(
        &app.patch(&app.ws.viewer.token, &me, json!({"role": "admin"}))
            .await,
        403,
        "forbidden",
    );
    let alice = format!("/api/v1/users/{}", app.ws.alice.id());
    assert_error(
        &app.patch(&app.ws.viewer.token, &alice, json!({"availability": "away"}))
            .await,
        403,
        "forbidden",
    );
    let (_, user) = app.get(&app.ws.viewer.token, &me).await;
    assert_eq!(user["role"], "viewer");
}

#[tokio::test]
async fn max_open_is_set_and_cleared_with_null() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/users/{}", app.ws.alice.id());
    let (_, user) = app
        .patch(&app.ws.admin.token, &path, json!({"max_open": 5}))
        .await;
    assert_eq!(user["max_open"], 5);
    let (_, user) = app
        .patch(&app.ws.admin.token, &path, json!({"name": "Alice A."}))
        .await;
    assert_eq!(user["max_open"], 5, "absent field is left alone");
    let (_, user) = app
        .patch(&app.ws.admin.token, &path, json!({"max_open": null}))
        .await;
    assert!(user["max_open"].is_null());
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/users/{}", app.ws.owner.id());
    assert_error(
        &app.patch(&app.ws.owner.token, &path, json!({"role": "admin"}))
            .await,
        409,
        "last_owner",
    );
}

#[tokio::test]
async fn teams_gain_and_lose_members() {
    let app = TestApp::spawn().await;
    let (status, team) = app
        .post(&app.ws.admin.token, "/api/v1/teams", json!({"name": "Billing"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let id = team["id"].as_str().expect("id");
    let member = format!("/api/v1/teams/{id}/members/{}", app.ws.bob.id());
    let (status, team) = app.put(&app.ws.admin.token, &member, json!(null)).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team["member_ids"], json!([app.ws.bob.id()]));
    assert_error(
        &app.put(&app.ws.alice.token, &member, json!(null)).await,
        403,
        "forbidden",
    );
    let (_, team) = app.delete(&app.ws.admin.token, &member).await;
    assert_eq!(team["member_ids"], json!([]));
    assert_error(
        &app.post(&app.ws.admin.token, "/api/v1/teams", json!({"name": "Billing"}))
            .await,
        409,
        "team_name_taken",
    );
    let (_, teams) = app.get(&app.ws.viewer.token, "/api/v1/teams").await;
    assert_eq!(teams["items"].as_array().map(Vec::len), Some(2));
    let stranger = format!("/api/v1/teams/{id}/members/{}", uuid::Uuid::now_v7());
    assert_error(
        &app.put(&app.ws.admin.token, &stranger, json!(null)).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn agent_secrets_are_never_shown() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "Orion", "runtime": "openai",
        "settings": {"base_url": "https://llm.example/v1", "model": "m1", "api_key": "sk-secret"}});
    let (status, agent) = app.post(&app.ws.admin.token, "/api/v1/agents", body).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    assert_eq!(agent["settings"]["api_key"], "********");
    assert_eq!(agent["settings"]["model"], "m1");
    assert_eq!(agent["handoff_mode"], "round_robin");
    let path = format!("/api/v1/agents/{}", agent["id"].as_str().expect("id"));
    let (_, got) = app.get(&app.ws.viewer.token, &path).await;
    assert_eq!(got["settings"]["api_key"], "********");
    let (_, list) = app.get(&app.ws.viewer.token, "/api/v1/agents").await;
    assert!(!list.to_string().contains("sk-secret"));

    // Sending the settings back as shown keeps the secret.
    let edit =
        json!({"settings": {"base_url": "https://llm.example/v1", "model": "m2", "api_key": "********"}});
    let (status, got) = app.patch(&app.ws.admin.token, &path, edit).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let id = got["id"].as_str().expect("id").parse().expect("uuid");
    let stored = app.store.get_agent(app.ws.id, id).await.expect("agent");
    assert_eq!(stored.settings["api_key"], "sk-secret");
    assert_eq!(stored.settings["model"], "m2");

    let (_, got) = app
        .patch(
            &app.ws.admin.token,
            &path,
            json!({"active": false, "handoff_team_id": null}),
        )
        .await;
    assert_eq!(got["active"], false);
    assert_error(
        &app.patch(&app.ws.alice.token, &path, json!({"name": "Nope"}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(
            &app.ws.admin.token,
            "/api/v1/agents",
            json!({"name": "X", "runtime": "openai", "settings": [1]}),
        )
        .await,
        422,
        "invalid_settings",
    );
}

#[tokio::test]
async fn channels_are_created_listed_and_read() {
    let app = TestApp::spawn().await;
    let body =
        json!({"kind": "email", "name": "Support mail", "autopilot_agent_id": app.ws.bot.id.to_string()});
    let (status, ch) = app.post(&app.ws.admin.token, "/api/v1/channels", body).await;
    assert_eq!(status, StatusCode::CREATED, "{ch}");
    let (status, got) = app
        .get(
            &app.ws.viewer.token,
            &format!("/api/v1/channels/{}", ch["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["kind"], "email");
    let (_, list) = app.get(&app.ws.viewer.token, "/api/v1/channels").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    assert_error(
        &app.post(
            &app.ws.alice.token,
            "/api/v1/channels",
            json!({"kind": "sms", "name": "SMS"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(
            &app.ws.admin.token,
            "/api/v1/channels",
            json!({"kind": "fax", "name": "Fax"}),
        )
        .await,
        422,
        "invalid_body",
    );
}

#[tokio::test]
async fn contacts_are_created_found_and_changed() {
    let app = TestApp::spawn().await;
    let body =
        json!({"name": "Dora", "email": "dora@example.org", "tags": ["VIP"], "attributes": {"plan": "pro"}});
    let (status, c) = app
        .post(&app.ws.alice.token, "/api/v1/contacts", body.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(c["tags"], json!(["vip"]));
    assert_error(
        &app.post(&app.ws.alice.token, "/api/v1/contacts", body).await,
        409,
        "contact_exists",
    );
    assert_error(
        &app.post(
            &app.ws.viewer.token,
            "/api/v1/contacts",
            json!({"email": "v@example.org"}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(
            &app.ws.alice.token,
            "/api/v1/contacts",
            json!({"name": "No handle"}),
        )
        .await,
        422,
        "contact_handle_required",
    );
    let path = format!("/api/v1/contacts/{}", c["id"].as_str().expect("id"));
    let (status, c) = app
        .patch(
            &app.ws.alice.token,
            &path,
            json!({"phone": "+1 555 010 9999", "attributes": {"plan": null, "vip": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["phone"], "+15550109999");
    assert_eq!(c["attributes"], json!({"vip": true}));
    let (_, found) = app.get(&app.ws.viewer.token, "/api/v1/contacts?q=dora").await;
    assert_eq!(found["items"][0]["email"], "dora@example.org");
}

#[tokio::test]
async fn inbound_creates_then_continues_the_conversation() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/channels/{}/inbound", app.ws.api.id);
    let msg = |body: &str| json!({"contact": {"email": "erin@example.org", "name": "Erin", "attributes": {"vip": true}}, "body": body});
    let (status, first) = app.post(&app.ws.admin.token, &path, msg("Hello")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "open");
    assert_eq!(first["contact"]["email"], "erin@example.org");
    assert_eq!(first["channel"]["name"], "API");
    assert_eq!(first["last_message_preview"], "Hello");
    let (status, second) = app.post(&app.ws.alice.token, &path, msg("Anyone there?")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["last_message_preview"], "Anyone there?");

    assert_error(
        &app.post(&app.ws.viewer.token, &path, msg("x")).await,
        403,
        "forbidden",
    );
    assert_error(
        &app.post(&app.ws.admin.token, &path, msg("   ")).await,
        422,
        "empty_body",
    );
    assert_error(
        &app.post(
            &app.ws.admin.token,
            &path,
            json!({"contact": {"name": "Nobody"}, "body": "hi"}),
        )
        .await,
        422,
        "contact_handle_required",
    );
    let other = app.other_workspace().await;
    let foreign = format!("/api/v1/channels/{}/inbound", other.api.id);
    assert_error(
        &app.post(&app.ws.admin.token, &foreign, msg("x")).await,
        404,
        "not_found",
    );
}

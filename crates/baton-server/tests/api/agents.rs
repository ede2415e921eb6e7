//! AI agents end to end: the worker answers from the knowledge base while a
//! session is active and never after; autopilot and the AI queue; handoffs;
//! the OpenAI runtime against a fake; exactly one reply across a restart;
//! articles and drafts over the API.

#![allow(clippy::unwrap_used)]

use crate::common::*;
use baton_core::directory::*;
use baton_core::*;
use baton_server::{Application, ServerConfig};
use baton_store::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ARTICLES: &[(&str, &str)] = &[
    (
        "Refunds",
        "How long does a refund take? You can ask for a refund within 30 days of delivery. Refunds go back to the original payment \
         method within 5 business days.",
    ),
    (
        "Shipping times",
        "How long does shipping take? Orders ship within 2 business days. Standard delivery takes 3 to 5 days, express delivery 1 day.",
    ),
    (
        "Reset your password",
        "To reset your password, open the sign-in page, choose 'Forgot password' and follow the link we email you.",
    ),
];

async fn seed_articles(app: &TestApp) {
    for (title, body) in ARTICLES {
        let (s, b) = app
            .post(
                &app.ws.admin.token,
                "/api/v1/articles",
                json!({"title": title, "body": body}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
}

async fn messages(app: &TestApp, conv: &str) -> Vec<Value> {
    let (s, b) = app
        .get(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{conv}/messages?limit=200"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["items"].as_array().cloned().unwrap_or_default()
}

fn by_agent(ms: &[Value]) -> Vec<Value> {
    ms.iter()
        .filter(|m| m["author"]["type"] == "agent")
        .cloned()
        .collect()
}

/// Wait until the conversation has `n` messages written by an AI agent.
async fn wait_agent_messages(app: &TestApp, conv: &str, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let got = by_agent(&messages(app, conv).await);
        if got.len() >= n {
            return got;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "waited for {n} agent messages, have {}: {got:?}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Give the worker time to (wrongly) act, then return the agent's messages.
async fn settle(app: &TestApp, conv: &str) -> Vec<Value> {
    tokio::time::sleep(Duration::from_millis(700)).await;
    by_agent(&messages(app, conv).await)
}

async fn conversation(app: &TestApp, conv: &str) -> Value {
    let (s, b) = app
        .get(&app.ws.admin.token, &format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

async fn wait_until(app: &TestApp, conv: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let c = conversation(app, conv).await;
        if f(&c) {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "waited for {what}: {c}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The contact of `conv` writes again (by email on the API channel).
async fn contact_writes(app: &TestApp, channel: ChannelId, email: &str, body: &str) -> String {
    let (s, b) = app
        .post(
            &app.ws.admin.token,
            &format!("/api/v1/channels/{channel}/inbound"),
            json!({"contact": {"email": email}, "body": body}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    b["id"].as_str().unwrap().to_string()
}

async fn autopilot_channel(app: &TestApp, agent: AgentId) -> ChannelId {
    let (s, b) = app
        .post(
            &app.ws.admin.token,
            "/api/v1/channels",
            json!({"kind": "api", "name": "Help bot", "autopilot_agent_id": agent}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

async fn timeline(app: &TestApp, conv: &str) -> Vec<Value> {
    let (_, b) = app
        .get(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{conv}/timeline?limit=200"),
        )
        .await;
    b["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn articles_are_managed_by_admins_and_read_by_every_member() {
    let app = TestApp::spawn().await;
    let admin = &app.ws.admin.token;
    let (s, a) = app
        .post(
            admin,
            "/api/v1/articles",
            json!({"title": "Refunds", "body": "30 days."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    let denied = app
        .post(
            &app.ws.alice.token,
            "/api/v1/articles",
            json!({"title": "X", "body": "Y"}),
        )
        .await;
    assert_error(&denied, 403, "forbidden");
    let empty = app
        .post(admin, "/api/v1/articles", json!({"title": " ", "body": "Y"}))
        .await;
    assert_error(&empty, 422, "empty_title");
    let empty = app
        .post(admin, "/api/v1/articles", json!({"title": "T", "body": ""}))
        .await;
    assert_error(&empty, 422, "empty_body");
    let (s, list) = app.get(&app.ws.viewer.token, "/api/v1/articles").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"][0]["title"], "Refunds");
    assert_eq!(list["next_cursor"], Value::Null);
    let (s, b) = app
        .patch(
            admin,
            &format!("/api/v1/articles/{id}"),
            json!({"body": "60 days."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["body"], "60 days.");
    let (s, b) = app
        .get(&app.ws.viewer.token, &format!("/api/v1/articles/{id}"))
        .await;
    assert_eq!((s, b["body"].clone()), (StatusCode::OK, json!("60 days.")));
    let denied = app
        .delete(&app.ws.bob.token, &format!("/api/v1/articles/{id}"))
        .await;
    assert_error(&denied, 403, "forbidden");
    let (s, _) = app.delete(admin, &format!("/api/v1/articles/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let gone = app.get(admin, &format!("/api/v1/articles/{id}")).await;
    assert_error(&gone, 404, "not_found");
    let (_, audit) = app.get(&app.ws.owner.token, "/api/v1/audit?limit=3").await;
    assert_eq!(audit["items"][0]["kind"], "article.deleted");
}

#[tokio::test]
async fn agent_greets_and_replies_only_while_its_session_is_active() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let conv = app.conversation().await;
    let alice = &app.ws.alice.token;
    let (s, b) = app
        .put(
            alice,
            &format!("/api/v1/conversations/{conv}/agent"),
            json!({"agent_id": app.ws.bot.id, "send_initial_message": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let session = b["agent_session"]["id"].as_str().unwrap().to_string();
    let greeting = wait_agent_messages(&app, &conv, 1).await;
    assert!(
        greeting[0]["body"].as_str().unwrap().contains("Ava"),
        "{greeting:?}"
    );
    assert_eq!(greeting[0]["agent_session_id"], json!(session));
    assert_eq!(greeting[0]["author"]["id"], json!(app.ws.bot.id));
    // The contact asks; the agent answers from the best article and names it.
    let (_, c) = app.get(alice, &format!("/api/v1/conversations/{conv}")).await;
    let contact_email = c["contact"]["email"].as_str().unwrap().to_string();
    contact_writes(
        &app,
        app.ws.api.id,
        &contact_email,
        "How long does a refund take?",
    )
    .await;
    let replies = wait_agent_messages(&app, &conv, 2).await;
    let answer = replies[1]["body"].as_str().unwrap();
    assert!(answer.contains("Refunds"), "names the article: {answer}");
    // The receipt is in the timeline, with the article used.
    let receipts: Vec<Value> = timeline(&app, &conv)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "message.created" && !e["data"]["receipt"].is_null())
        .map(|e| e["data"]["receipt"].clone())
        .collect();
    assert_eq!(receipts.last().unwrap()["sources"][0]["title"], "Refunds");
    assert_eq!(receipts.last().unwrap()["action"], "reply");
    // A human reply does not end the session.
    let (s, _) = app
        .post(
            alice,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"body": "Alice here, too.", "kind": "outgoing"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        conversation(&app, &conv).await["agent_session"]["id"],
        json!(session)
    );
    // Ending the session silences the agent but keeps it on the conversation.
    let (s, b) = app
        .post_empty(alice, &format!("/api/v1/conversations/{conv}/agent_session/end"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["agent"]["id"], json!(app.ws.bot.id));
    contact_writes(
        &app,
        app.ws.api.id,
        &contact_email,
        "And how long does shipping take?",
    )
    .await;
    assert_eq!(
        settle(&app, &conv).await.len(),
        2,
        "silent after the session ended"
    );
}

#[tokio::test]
async fn unassigning_the_agent_ends_the_session_and_silences_it() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let conv = app.conversation().await;
    let alice = &app.ws.alice.token;
    app.put(
        alice,
        &format!("/api/v1/conversations/{conv}/agent"),
        json!({"agent_id": app.ws.bot.id, "send_initial_message": false}),
    )
    .await;
    let (s, b) = app
        .delete(alice, &format!("/api/v1/conversations/{conv}/agent"))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["agent_session"], Value::Null);
    let email = b["contact"]["email"].as_str().unwrap().to_string();
    contact_writes(&app, app.ws.api.id, &email, "How long does a refund take?").await;
    assert!(settle(&app, &conv).await.is_empty());
    let ended = timeline(&app, &conv)
        .await
        .into_iter()
        .find(|e| e["kind"] == "agent_session.ended")
        .unwrap();
    assert_eq!(ended["reason"], "unassigned");
}

#[tokio::test]
async fn autopilot_answers_from_the_ai_queue_until_taken_over_and_again_after_hand_back() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let channel = autopilot_channel(&app, app.ws.bot.id).await;
    let email = "zoe@customer.example";
    let conv = contact_writes(&app, channel, email, "How do I reset my password?").await;
    let c = conversation(&app, &conv).await;
    assert_eq!(c["assignee"], Value::Null);
    assert!(c["agent_session"]["id"].is_string());
    let replies = wait_agent_messages(&app, &conv, 1).await;
    assert!(
        replies[0]["body"]
            .as_str()
            .unwrap()
            .contains("Reset your password")
    );
    let (_, queue) = app
        .get(&app.ws.bob.token, "/api/v1/conversations?view=ai_queue")
        .await;
    assert_eq!(queue["items"][0]["id"], json!(conv));
    // Take over: the caller owns it and the agent goes quiet.
    let (s, t) = app
        .post_empty(
            &app.ws.bob.token,
            &format!("/api/v1/conversations/{conv}/take_over"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["assignee"]["id"], json!(app.ws.bob.id()));
    assert!(t["ai_handoff_at"].is_string());
    contact_writes(&app, channel, email, "How long does shipping take?").await;
    assert_eq!(settle(&app, &conv).await.len(), 1, "silent after take over");
    // Hand back: a new session answers the next message.
    let (s, r) = app
        .post_empty(
            &app.ws.bob.token,
            &format!("/api/v1/conversations/{conv}/agent_session/resume"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_ne!(r["agent_session"]["id"], c["agent_session"]["id"]);
    contact_writes(&app, channel, email, "How long does a refund take?").await;
    let replies = wait_agent_messages(&app, &conv, 2).await;
    assert_eq!(replies[1]["agent_session_id"], r["agent_session"]["id"]);
    let kinds = app.timeline_kinds(&conv).await;
    for k in [
        "agent_session.started",
        "conversation.taken_over",
        "agent_session.ended",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }
}

async fn add_bob_to_team(app: &TestApp) {
    let (s, b) = app
        .put(
            &app.ws.admin.token,
            &format!("/api/v1/teams/{}/members/{}", app.ws.team.id, app.ws.bob.id()),
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{b}");
}

#[tokio::test]
async fn handoff_on_request_goes_to_the_handoff_team_by_round_robin() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    add_bob_to_team(&app).await;
    let channel = autopilot_channel(&app, app.ws.bot.id).await;
    let mut owners = Vec::new();
    for n in 0..4 {
        let email = format!("p{n}@customer.example");
        let conv = contact_writes(&app, channel, &email, "I want to talk to a human please").await;
        let c = wait_until(&app, &conv, "a handoff", |c| !c["assignee"].is_null()).await;
        assert_eq!(c["agent_session"], Value::Null);
        assert_eq!(c["team"]["id"], json!(app.ws.team.id));
        owners.push(c["assignee"]["id"].as_str().unwrap().to_string());
        let events = timeline(&app, &conv).await;
        let ended = events
            .iter()
            .find(|e| e["kind"] == "agent_session.ended")
            .unwrap();
        assert_eq!(ended["reason"], "handed_off");
        assert!(
            ended["data"]["handoff_reason"]
                .as_str()
                .unwrap()
                .contains("human"),
            "{ended}"
        );
        assert_eq!(ended["data"]["receipt"]["action"], "handoff");
        let parting = by_agent(&messages(&app, &conv).await);
        assert_eq!(parting.len(), 1, "one parting message: {parting:?}");
    }
    let alice = owners.iter().filter(|o| **o == app.ws.alice.id()).count();
    assert_eq!(alice, 2, "round robin: {owners:?}");
}

#[tokio::test]
async fn handoff_on_low_confidence() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let channel = autopilot_channel(&app, app.ws.bot.id).await;
    let conv = contact_writes(
        &app,
        channel,
        "q@customer.example",
        "Do you sell gift cards for aquariums?",
    )
    .await;
    let c = wait_until(&app, &conv, "a handoff", |c| c["agent_session"].is_null()).await;
    assert_eq!(c["assignee"]["id"], json!(app.ws.alice.id()));
    let ended = timeline(&app, &conv)
        .await
        .into_iter()
        .find(|e| e["kind"] == "agent_session.ended")
        .unwrap();
    assert_eq!(ended["reason"], "handed_off");
    let why = ended["data"]["handoff_reason"].as_str().unwrap();
    assert!(why.contains("no article matches"), "{why}");
}

async fn openai_agent(app: &TestApp, server: &MockServer, extra: Value) -> AgentId {
    let mut settings = json!({"base_url": server.uri(), "model": "gpt-test", "api_key": "sk-test",
                              "timeout_ms": 2000, "max_retries": 1, "backoff_ms": 10});
    if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    let (s, b) = app
        .post(
            &app.ws.admin.token,
            "/api/v1/agents",
            json!({"name": "GPT", "runtime": "openai", "settings": settings,
                   "handoff_team_id": app.ws.team.id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn openai_runtime_replies_and_hands_off_by_tool_call_through_the_worker() {
    let app = TestApp::spawn().await;
    let server = MockServer::start().await;
    let tool = json!({"model": "gpt-test", "choices": [{"message": {"role": "assistant", "content": null,
        "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "handoff", "arguments": "{\"reason\": \"billing dispute needs a person\"}"}}]},
        "finish_reason": "tool_calls"}]});
    let reply = json!({"model": "gpt-test", "choices": [{"message": {"role": "assistant",
        "content": "It ships tomorrow."}, "finish_reason": "stop"}]});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool))
        .mount(&server)
        .await;
    let agent = openai_agent(&app, &server, json!({})).await;
    let channel = autopilot_channel(&app, agent).await;
    let email = "o@customer.example";
    let conv = contact_writes(&app, channel, email, "When does my order ship?").await;
    let replies = wait_agent_messages(&app, &conv, 1).await;
    assert_eq!(replies[0]["body"], "It ships tomorrow.");
    contact_writes(&app, channel, email, "You charged me twice!").await;
    let c = wait_until(&app, &conv, "a handoff", |c| c["agent_session"].is_null()).await;
    assert_eq!(c["assignee"]["id"], json!(app.ws.alice.id()));
    let ended = timeline(&app, &conv)
        .await
        .into_iter()
        .find(|e| e["kind"] == "agent_session.ended")
        .unwrap();
    assert_eq!(ended["data"]["handoff_reason"], "billing dispute needs a person");
    assert_eq!(ended["data"]["receipt"]["model"], "gpt-test");
}

#[tokio::test]
async fn openai_runtime_persistent_error_hands_off_with_the_error() {
    let app = TestApp::spawn().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&server)
        .await;
    let agent = openai_agent(&app, &server, json!({})).await;
    let channel = autopilot_channel(&app, agent).await;
    let conv = contact_writes(&app, channel, "e@customer.example", "Hello, anyone there?").await;
    let c = wait_until(&app, &conv, "a handoff", |c| c["agent_session"].is_null()).await;
    assert_eq!(c["assignee"]["id"], json!(app.ws.alice.id()));
    let ended = timeline(&app, &conv)
        .await
        .into_iter()
        .find(|e| e["kind"] == "agent_session.ended")
        .unwrap();
    let why = ended["data"]["handoff_reason"].as_str().unwrap();
    assert!(why.contains("503"), "{why}");
    assert!(ended["data"]["receipt"]["error"].is_string());
}

#[tokio::test]
async fn drafts_are_stored_shown_to_everyone_kept_on_reassignment_and_cleared_on_reply() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let alice = &app.ws.alice.token;
    let (_, c) = app
        .post(
            &app.ws.admin.token,
            &format!("/api/v1/channels/{}/inbound", app.ws.api.id),
            json!({"contact": {"email": "d@customer.example"}, "body": "How long does a refund take?"}),
        )
        .await;
    let conv = c["id"].as_str().unwrap().to_string();
    app.put(
        alice,
        &format!("/api/v1/conversations/{conv}/assignee"),
        json!({"user_id": app.ws.alice.id()}),
    )
    .await;
    let none = app
        .get(alice, &format!("/api/v1/conversations/{conv}/draft"))
        .await;
    assert_error(&none, 404, "no_draft");
    // No agent on the conversation and none named.
    let r = app
        .post_empty(alice, &format!("/api/v1/conversations/{conv}/draft"))
        .await;
    assert_error(&r, 422, "agent_required");
    let (s, d) = app
        .post(
            alice,
            &format!("/api/v1/conversations/{conv}/draft"),
            json!({"agent_id": app.ws.bot.id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert!(d["body"].as_str().unwrap().contains("Refunds"));
    assert_eq!(d["receipt"]["action"], "draft");
    assert_eq!(d["receipt"]["sources"][0]["title"], "Refunds");
    let viewer = app
        .get(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/draft"),
        )
        .await;
    assert_eq!(viewer.0, StatusCode::OK);
    let denied = app
        .post(
            &app.ws.viewer.token,
            &format!("/api/v1/conversations/{conv}/draft"),
            json!({"agent_id": app.ws.bot.id}),
        )
        .await;
    assert_error(&denied, 403, "forbidden");
    app.put(
        alice,
        &format!("/api/v1/conversations/{conv}/assignee"),
        json!({"user_id": app.ws.bob.id()}),
    )
    .await;
    let (s, kept) = app
        .get(&app.ws.bob.token, &format!("/api/v1/conversations/{conv}/draft"))
        .await;
    assert_eq!((s, kept["body"].clone()), (StatusCode::OK, d["body"].clone()));
    let (s, _) = app
        .post(
            &app.ws.bob.token,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"body": "Refunds take 5 business days.", "kind": "outgoing"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let gone = app
        .get(alice, &format!("/api/v1/conversations/{conv}/draft"))
        .await;
    assert_error(&gone, 404, "no_draft");
    assert!(
        app.timeline_kinds(&conv)
            .await
            .contains(&"conversation.draft_saved".to_string())
    );
}

/// Serve `store` until the returned sender fires.
async fn serve(
    store: Arc<dyn Store>,
    agent_worker: bool,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let config = ServerConfig {
        listen: "127.0.0.1:0".into(),
        agent_worker,
        ..Default::default()
    };
    let app = Application::build(config, store, Arc::new(SystemClock))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let h = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (base, stop, h)
}

async fn agent_replies(store: &Arc<dyn Store>, ws: WorkspaceId, conv: ConversationId) -> usize {
    store
        .list_messages(ws, conv, &PageRequest::first(200))
        .await
        .unwrap()
        .items
        .iter()
        .filter(|m| matches!(m.author, Actor::Agent { .. }))
        .count()
}

#[tokio::test]
async fn exactly_one_reply_per_incoming_message_across_a_restart() {
    let (store, db_path) = fresh_store().await;
    let url = format!("sqlite://{}", db_path.display());
    let ws = workspace(&store, "Acme").await;
    let admin = Actor::User {
        id: ws.admin.user.id,
        role: Role::Admin,
    };
    for (t, b) in ARTICLES {
        store.create_article(ws.id, &admin, t, b).await.unwrap();
    }
    let channel = store
        .create_channel(
            ws.id,
            &admin,
            NewChannel {
                kind: ChannelKind::Api,
                name: "Bot".into(),
                autopilot_agent_id: Some(ws.bot.id),
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    // First run: the worker is off, so the server "stops" after the contact's
    // message is committed and before any reply.
    let (base, stop, h) = serve(store.clone(), false).await;
    let client = reqwest::Client::new();
    let res: Value = client
        .post(format!("{base}/api/v1/channels/{}/inbound", channel.id))
        .bearer_auth(&ws.admin.token)
        .json(&json!({"contact": {"email": "r@customer.example"}, "body": "How long does a refund take?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conv: ConversationId = res["id"].as_str().unwrap().parse().unwrap();
    let _ = stop.send(());
    h.await.unwrap().unwrap();
    drop(store);
    assert_eq!(store_replies(&url, ws.id, conv).await, 0);
    // Second run on the same file: the worker resumes from the log and replies once.
    let store: Arc<dyn Store> = baton_sqlite::SqliteStore::open(&url, Arc::new(SystemClock))
        .await
        .unwrap();
    let (_, stop, h) = serve(store.clone(), true).await;
    let start = Instant::now();
    while agent_replies(&store, ws.id, conv).await == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no reply after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    h.await.unwrap().unwrap();
    // Third run, as if the cursor had not been saved after the reply: the log
    // is read again, and the idempotency key keeps it to one reply.
    store.set_agent_cursor(ws.id, 0).await.unwrap();
    let (_, stop, h) = serve(store.clone(), true).await;
    let start = Instant::now();
    while store.agent_cursor(ws.id).await.unwrap() < store.latest_seq(ws.id).await.unwrap() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the worker did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(agent_replies(&store, ws.id, conv).await, 1);
    let _ = stop.send(());
    h.await.unwrap().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
}

async fn store_replies(url: &str, ws: WorkspaceId, conv: ConversationId) -> usize {
    let store: Arc<dyn Store> = baton_sqlite::SqliteStore::open(url, Arc::new(SystemClock))
        .await
        .unwrap();
    agent_replies(&store, ws, conv).await
}

#[tokio::test]
async fn agent_settings_the_runtime_cannot_use_are_422() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            &app.ws.admin.token,
            "/api/v1/agents",
            json!({"name": "GPT", "runtime": "openai", "settings": {"model": "m"}}),
        )
        .await;
    assert_error(&r, 422, "invalid_settings");
    let r = app
        .patch(
            &app.ws.admin.token,
            &format!("/api/v1/agents/{}", app.ws.bot.id),
            json!({"settings": {"confidence_floor": 2}}),
        )
        .await;
    assert_error(&r, 422, "invalid_settings");
}

#[tokio::test]
async fn channel_reply_mode_draft_turns_answers_into_drafts_and_off_silences_the_agent() {
    let app = TestApp::spawn().await;
    seed_articles(&app).await;
    let admin = &app.ws.admin.token;
    let (s, ch) = app
        .post(
            admin,
            "/api/v1/channels",
            json!({"kind": "api", "name": "Drafts only", "autopilot_agent_id": app.ws.bot.id, "reply_mode": "draft"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    assert_eq!(ch["reply_mode"], "draft");
    let channel: ChannelId = ch["id"].as_str().unwrap().parse().unwrap();
    let email = "dana@customer.example";
    let conv = contact_writes(&app, channel, email, "How do I reset my password?").await;
    // Draft mode: the answer waits as a draft for a person, nothing is sent.
    let start = Instant::now();
    let d = loop {
        let (s, d) = app
            .get(admin, &format!("/api/v1/conversations/{conv}/draft"))
            .await;
        if s == StatusCode::OK {
            break d;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no draft came: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(d["body"].as_str().unwrap().contains("Reset your password"), "{d}");
    assert!(settle(&app, &conv).await.is_empty(), "nothing sent in draft mode");
    // Off: the agent is silent, the draft stays as it was.
    let (s, ch) = app
        .patch(
            admin,
            &format!("/api/v1/channels/{channel}"),
            json!({"reply_mode": "off"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ch}");
    assert_eq!(ch["reply_mode"], "off");
    contact_writes(&app, channel, email, "How long does shipping take?").await;
    assert!(settle(&app, &conv).await.is_empty(), "silent when off");
    let (_, same) = app
        .get(admin, &format!("/api/v1/conversations/{conv}/draft"))
        .await;
    assert_eq!(same["body"], d["body"], "no new draft when off");
    // Auto again: the next message is answered.
    let (s, _) = app
        .patch(
            admin,
            &format!("/api/v1/channels/{channel}"),
            json!({"reply_mode": "auto"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    contact_writes(&app, channel, email, "How long does a refund take?").await;
    assert_eq!(wait_agent_messages(&app, &conv, 1).await.len(), 1);
    // Bad values and roles are refused.
    let (s, b) = app
        .patch(
            admin,
            &format!("/api/v1/channels/{channel}"),
            json!({"reply_mode": "loud"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .patch(
            &app.ws.bob.token,
            &format!("/api/v1/channels/{channel}"),
            json!({"reply_mode": "off"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, audit) = app.get(admin, "/api/v1/audit?kind=channel.updated").await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let changes: Vec<&Value> = audit["items"].as_array().unwrap().iter().collect();
    assert_eq!(changes.len(), 2, "off, then auto: {audit}");
    assert_eq!(changes[0]["after"]["reply_mode"], "auto", "newest first");
}

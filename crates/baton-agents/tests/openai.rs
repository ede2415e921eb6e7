//! The OpenAI-compatible runtime against a local fake of the protocol.
#![allow(missing_docs, clippy::unwrap_used)]

use baton_agents::*;
use baton_core::directory::AgentRuntime;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-5ecr3t-k3y";
const ENDPOINT: &str = "/v1/chat/completions";

fn settings(server: &MockServer, extra: Value) -> Value {
    let mut s = json!({
        "base_url": server.uri(),
        "model": "gpt-test",
        "api_key": KEY,
        "system_prompt": "You are Ava from Acme.",
        "temperature": 0.2,
        "timeout_ms": 2000,
        "max_retries": 2,
        "backoff_ms": 10,
    });
    if let (Some(s), Some(extra)) = (s.as_object_mut(), extra.as_object()) {
        s.extend(extra.clone());
    }
    s
}

fn runtime(server: &MockServer, extra: Value) -> OpenAiRuntime {
    OpenAiRuntime::from_settings(&settings(server, extra)).unwrap()
}

fn request(message: &str) -> AgentRequest {
    let history = vec![
        Turn::new(Speaker::Agent, "Hi! I'm Ava. How can I help?"),
        Turn::new(Speaker::Contact, "My order is late."),
        Turn::new(Speaker::Human, "Sorry about that, let me check."),
    ];
    AgentRequest::reply(AgentConfig::new("Ava", json!({})), history, message)
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-test-2025",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }]
    })
}

fn reply_text(o: &AgentOutcome) -> (&str, f32) {
    match &o.response {
        AgentResponse::Reply { text, confidence, .. } => (text, *confidence),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn handoff_reason(o: &AgentOutcome) -> &str {
    match &o.response {
        AgentResponse::Handoff { reason } => reason,
        other => panic!("expected a handoff, got {other:?}"),
    }
}

#[tokio::test]
async fn plain_reply_is_returned_with_the_default_confidence() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("It ships tomorrow.")))
        .expect(1)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;
    assert_eq!(reply_text(&o), ("It ships tomorrow.", 0.7));
    assert_eq!(o.runtime, AgentRuntime::Openai);
    assert_eq!(o.model.as_deref(), Some("gpt-test-2025"));
    assert_eq!(o.error, None);
}

#[tokio::test]
async fn request_carries_model_temperature_messages_tools_and_the_bearer_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .expect(1)
        .mount(&server)
        .await;
    runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;

    let received = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["model"], "gpt-test");
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(body["tool_choice"], "auto");
    let tool = &body["tools"][0];
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["function"]["name"], "handoff");
    assert_eq!(tool["function"]["parameters"]["required"], json!(["reason"]));
    assert_eq!(
        tool["function"]["parameters"]["properties"]["reason"]["type"],
        "string"
    );

    let messages = body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "assistant", "user", "assistant", "user"]);
    assert!(
        messages[0]["content"]
            .as_str()
            .unwrap()
            .starts_with("You are Ava from Acme.")
    );
    assert_eq!(messages[3]["content"], "Sorry about that, let me check.");
    assert_eq!(messages[4]["content"], "Where is it?");
    assert!(body.get("logprobs").is_none());
}

#[tokio::test]
async fn base_url_ending_in_v1_is_not_doubled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .expect(1)
        .mount(&server)
        .await;
    let rt = runtime(&server, json!({"base_url": format!("{}/v1/", server.uri())}));
    assert_eq!(reply_text(&rt.respond(&request("hello there")).await).0, "ok");
}

#[tokio::test]
async fn handoff_tool_call_hands_off_with_the_model_s_reason() {
    let server = MockServer::start().await;
    let body = json!({
        "model": "gpt-test",
        "choices": [{
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "handoff", "arguments": "{\"reason\": \"billing dispute needs a person\"}"}
                }]
            },
            "finish_reason": "tool_calls"
        }]
    });
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({}))
        .respond(&request("You charged me twice!"))
        .await;
    assert_eq!(handoff_reason(&o), "billing dispute needs a person");
    assert_eq!(o.error, None);
    let (decision, receipt) = o.decide(Floors::default(), ReplyMode::Auto);
    assert_eq!(decision.action(), Action::Handoff);
    assert_eq!(receipt.model.as_deref(), Some("gpt-test"));
    assert_eq!(receipt.confidence, None);
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(500).set_body_string("overloaded"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("second time lucky")))
        .expect(1)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;
    assert_eq!(reply_text(&o).0, "second time lucky");
    assert_eq!(o.error, None);
}

#[tokio::test]
async fn persistent_server_error_hands_off_with_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(3)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;
    assert_eq!(
        handoff_reason(&o),
        "AI endpoint failed: HTTP 503: upstream unavailable"
    );
    assert_eq!(o.error.as_deref(), Some("HTTP 503: upstream unavailable"));
    let (_, receipt) = o.decide(Floors::default(), ReplyMode::Auto);
    assert_eq!(receipt.action, Action::Handoff);
    assert!(receipt.error.is_some());
}

#[tokio::test]
async fn client_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "bad model"}})))
        .expect(1)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;
    assert!(
        handoff_reason(&o).starts_with("AI endpoint failed: HTTP 400"),
        "{o:?}"
    );
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .expect(1)
        .mount(&server)
        .await;
    let start = Instant::now();
    let o = runtime(&server, json!({}))
        .respond(&request("Where is it?"))
        .await;
    assert_eq!(reply_text(&o).0, "ok");
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn timeout_is_retried_then_hands_off() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion("too late"))
                .set_delay(Duration::from_secs(2)),
        )
        .expect(2)
        .mount(&server)
        .await;
    let o = runtime(&server, json!({"timeout_ms": 150, "max_retries": 1}))
        .respond(&request("Where is it?"))
        .await;
    assert_eq!(handoff_reason(&o), "AI endpoint failed: timed out after 150 ms");
    assert!(o.latency_ms >= 300, "{}", o.latency_ms);
}

#[tokio::test]
async fn unreachable_endpoint_hands_off() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rt = OpenAiRuntime::from_settings(&json!({
        "base_url": format!("http://127.0.0.1:{port}"), "model": "m", "max_retries": 1, "backoff_ms": 1
    }))
    .unwrap();
    let o = rt.respond(&request("Where is it?")).await;
    assert!(
        handoff_reason(&o).starts_with("AI endpoint failed: could not connect"),
        "{o:?}"
    );
}

#[tokio::test]
async fn logprobs_set_the_confidence_when_present() {
    let server = MockServer::start().await;
    let mut body = completion("Yes.");
    body["choices"][0]["logprobs"] =
        json!({"content": [{"token": "Yes", "logprob": -0.1}, {"token": ".", "logprob": -0.3}]});
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let o = runtime(&server, json!({"logprobs": true}))
        .respond(&request("Is it shipped?"))
        .await;
    let (_, confidence) = reply_text(&o);
    assert!((confidence - (-0.2f32).exp()).abs() < 1e-4, "{confidence}");
    let received = server.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent["logprobs"], true);
}

#[tokio::test]
async fn asking_for_a_human_or_a_greeting_needs_no_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let rt = runtime(&server, json!({}));
    let o = rt.respond(&request("I want to talk to a real person")).await;
    assert!(handoff_reason(&o).starts_with("contact asked for a human"));
    let o = rt
        .respond(&AgentRequest::greeting(AgentConfig::new("Ava", json!({}))))
        .await;
    assert!(reply_text(&o).0.starts_with("Hi! I'm Ava"));
}

#[tokio::test]
async fn api_key_never_shows_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(format!("Incorrect API key provided: {KEY}")),
        )
        .mount(&server)
        .await;
    let rt = runtime(&server, json!({}));
    assert!(!format!("{rt:?}").contains(KEY));
    assert!(!format!("{:?}", rt.settings()).contains(KEY));
    assert!(format!("{:?}", rt.settings()).contains("redacted"));
    let o = rt.respond(&request("Where is it?")).await;
    assert!(!handoff_reason(&o).contains(KEY), "{o:?}");
    assert!(!o.error.unwrap().contains(KEY));
}

#[test]
fn settings_errors_name_the_field() {
    let err = |v: Value| OpenAiSettings::from_settings(&v).unwrap_err();
    assert_eq!(
        err(json!({"model": "m"})),
        SettingsError::Missing { field: "base_url" }
    );
    assert_eq!(
        err(json!({"base_url": "http://x"})),
        SettingsError::Missing { field: "model" }
    );
    assert!(
        err(json!({"base_url": "x.com", "model": "m"}))
            .to_string()
            .contains("base_url")
    );
    assert!(
        err(json!({"base_url": "http://x", "model": "m", "temperature": 3}))
            .to_string()
            .contains("temperature")
    );
    assert!(
        err(json!({"base_url": "http://x", "model": "m", "timeout_ms": "soon"}))
            .to_string()
            .contains("timeout_ms")
    );
    assert_eq!(err(json!("nope")), SettingsError::NotAnObject);
    let ok = OpenAiSettings::from_settings(&json!({"base_url": "https://api.example.com/", "model": "m"}))
        .unwrap();
    assert_eq!(ok.endpoint(), "https://api.example.com/v1/chat/completions");
    assert_eq!(
        (ok.timeout_ms, ok.max_retries, ok.default_confidence),
        (20_000, 2, 0.7)
    );
    assert!(ok.api_key.is_none());
}

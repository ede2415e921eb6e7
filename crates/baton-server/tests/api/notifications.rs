//! Notifications over the API, and their delivery by email (a real SMTP
//! server on loopback), Slack (a wiremock fake of the Web API) and signed
//! webhooks (a wiremock receiver).

use crate::common::*;
use baton_core::Clock;
use baton_server::ServerConfig;
use baton_server::notify::{NotifyConfig, SlackConfig, SmtpConfig};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fast(notify: NotifyConfig) -> ServerConfig {
    ServerConfig {
        notify: NotifyConfig {
            poll: Duration::from_millis(100),
            ..notify
        },
        ..ServerConfig::default()
    }
}

async fn assign(app: &TestApp, conv: &str, to: &Member) {
    let (s, b) = app
        .put(
            &app.ws.admin.token,
            &format!("/api/v1/conversations/{conv}/assignee"),
            json!({"user_id": to.user.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// Poll `f` until it returns `Some`, for up to ten seconds.
async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not met within ten seconds");
}

#[tokio::test]
async fn assignment_shows_in_the_assignees_notifications_and_is_marked_read() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    assign(&app, &conv, &app.ws.alice).await;
    let (s, list) = app.get(&app.ws.alice.token, "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["unread_count"], 1);
    let n = &list["items"][0];
    assert_eq!(n["kind"], "assigned");
    assert_eq!(n["conversation_id"], conv.as_str());
    assert_eq!(n["unread"], true);
    let id = n["id"].as_str().unwrap();
    let (_, bobs) = app.get(&app.ws.bob.token, "/api/v1/notifications").await;
    assert_eq!(bobs["items"], json!([]));
    let stolen = app
        .post_empty(&app.ws.bob.token, &format!("/api/v1/notifications/{id}/read"))
        .await;
    assert_error(&stolen, 404, "not_found");
    let (s, read) = app
        .post_empty(&app.ws.alice.token, &format!("/api/v1/notifications/{id}/read"))
        .await;
    assert_eq!(s, StatusCode::OK, "{read}");
    assert_eq!(read["unread"], false);
    let (_, list) = app.get(&app.ws.alice.token, "/api/v1/notifications").await;
    assert_eq!(list["unread_count"], 0);
    assert_error(
        &app.post_empty(&app.ws.alice.token, "/api/v1/notifications/nope/read")
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn self_assignment_over_the_api_notifies_no_one() {
    let app = TestApp::spawn().await;
    let conv = app.conversation().await;
    let (s, _) = app
        .put(
            &app.ws.alice.token,
            &format!("/api/v1/conversations/{conv}/assignee"),
            json!({"user_id": app.ws.alice.user.id}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get(&app.ws.alice.token, "/api/v1/notifications").await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn notification_preferences_have_defaults_and_are_replaced() {
    let app = TestApp::spawn().await;
    let t = &app.ws.alice.token;
    let (s, p) = app.get(t, "/api/v1/me/notification_preferences").await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["slack_member_id"], Value::Null);
    assert_eq!(
        p["kinds"]["assigned"],
        json!({"in_app": true, "email": true, "slack": true})
    );
    assert_eq!(
        p["kinds"]["team_assigned"],
        json!({"in_app": false, "email": false, "slack": false})
    );
    assert_eq!(p["kinds"]["contact_replied"]["email"], false);
    let body = json!({"slack_member_id": "U0ALICE",
        "kinds": {"mentioned": {"in_app": true, "email": false, "slack": true}}});
    let (s, p) = app.put(t, "/api/v1/me/notification_preferences", body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["slack_member_id"], "U0ALICE");
    assert_eq!(p["kinds"]["mentioned"]["email"], false);
    assert_eq!(p["kinds"]["assigned"]["email"], true, "left out: default");
    let (_, again) = app.get(t, "/api/v1/me/notification_preferences").await;
    assert_eq!(again, p);
    let bad = app
        .put(
            t,
            "/api/v1/me/notification_preferences",
            json!({"slack_member_id": "alice"}),
        )
        .await;
    assert_error(&bad, 422, "invalid_slack_member_id");
    let unknown = app
        .put(
            t,
            "/api/v1/me/notification_preferences",
            json!({"kinds": {"everything": {}}}),
        )
        .await;
    assert!(unknown.0.is_client_error(), "{}", unknown.1);
}

#[tokio::test]
async fn webhooks_are_validated_admin_only_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = &app.ws.admin.token;
    let mk = |url: &str| json!({"url": url, "events": ["*"], "secret": "0123456789abcdef"});
    assert_error(
        &app.post(admin, "/api/v1/webhooks", mk("ftp://example.com/x"))
            .await,
        422,
        "invalid_url",
    );
    assert_error(
        &app.post(admin, "/api/v1/webhooks", mk("not a url")).await,
        422,
        "invalid_url",
    );
    assert_error(
        &app.post(
            admin,
            "/api/v1/webhooks",
            json!({"url": "https://example.com/h", "events": ["nope"], "secret": "0123456789abcdef"}),
        )
        .await,
        422,
        "invalid_events",
    );
    assert_error(
        &app.post(
            &app.ws.alice.token,
            "/api/v1/webhooks",
            mk("https://example.com/h"),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get(&app.ws.alice.token, "/api/v1/webhooks").await,
        403,
        "forbidden",
    );
    let (s, hook) = app
        .post(admin, "/api/v1/webhooks", mk("https://example.com/h"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    assert!(hook.get("secret").is_none(), "the secret is never shown");
    let (_, list) = app.get(admin, "/api/v1/webhooks").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let id = hook["id"].as_str().unwrap();
    let (s, _) = app.delete(admin, &format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(
        &app.delete(admin, &format!("/api/v1/webhooks/{id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn webhook_deliveries_are_signed_with_hmac_over_timestamp_and_body() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let app = TestApp::spawn_with(fast(NotifyConfig::default())).await;
    let secret = "whsec_0123456789abcdef";
    let (s, hook) = app
        .post(
            &app.ws.admin.token,
            "/api/v1/webhooks",
            json!({"url": format!("{}/hook", receiver.uri()), "events": ["conversation.assignee_changed"], "secret": secret}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let conv = app.conversation().await;
    assign(&app, &conv, &app.ws.alice).await;
    let req = eventually(|| async {
        receiver
            .received_requests()
            .await
            .and_then(|r| r.into_iter().next())
    })
    .await;
    let sig = req
        .headers
        .get("x-baton-signature")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        req.headers.get("x-baton-event").unwrap(),
        "conversation.assignee_changed"
    );
    // Verify independently of the server's signing code.
    let (t, v1) = sig.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&req.body);
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));
    let now = chrono::Utc::now().timestamp();
    assert!((now - t.parse::<i64>().unwrap()).abs() < 60);
    assert!(baton_server::notify::signature::verify(
        secret, &sig, &req.body, now, 300
    ));
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["kind"], "conversation.assignee_changed");
    assert_eq!(body["conversation_id"], conv.as_str());
    assert_eq!(body["workspace_id"], json!(app.ws.id));
    assert!(body["id"].is_string() && body["at"].is_string() && body["data"].is_object());
    // Only the subscribed kind, and only once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
    // The webhook's attempt log.
    let hook_id = hook["id"].as_str().unwrap();
    let (s, ds) = app
        .get(
            &app.ws.admin.token,
            &format!("/api/v1/deliveries?webhook_id={hook_id}"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ds}");
    let items = ds["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["log"][0]["ok"], true);
    assert_eq!(items[0]["kind"], "conversation.assignee_changed");
    let bad = app
        .get(&app.ws.admin.token, "/api/v1/deliveries?webhook_id=nope")
        .await;
    assert_error(&bad, 422, "invalid_webhook_id");
}

async fn slack_app(slack: &MockServer) -> TestApp {
    let app = TestApp::spawn_with(fast(NotifyConfig {
        slack: Some(SlackConfig {
            base_url: format!("{}/api", slack.uri()),
            bot_token: "xoxb-test-token".into(),
        }),
        ..NotifyConfig::default()
    }))
    .await;
    let (s, b) = app
        .put(
            &app.ws.alice.token,
            "/api/v1/me/notification_preferences",
            json!({"slack_member_id": "U0ALICE"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app
}

#[tokio::test]
async fn slack_dm_is_sent_with_chat_post_message() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(header("authorization", "Bearer xoxb-test-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": true, "channel": "D1", "ts": "1.2"})),
        )
        .mount(&slack)
        .await;
    let app = slack_app(&slack).await;
    let conv = app.conversation().await;
    assign(&app, &conv, &app.ws.alice).await;
    let req =
        eventually(|| async { slack.received_requests().await.and_then(|r| r.into_iter().next()) }).await;
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["channel"], "U0ALICE");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("assigned to you"), "{text}");
    assert!(
        text.contains(&format!("/c/{conv}")),
        "links to the conversation: {text}"
    );
    let (_, ds) = eventually(|| async {
        let r = app
            .get(&app.ws.admin.token, "/api/v1/deliveries?status=delivered")
            .await;
        r.1["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["target"] == "slack")
            .then_some(r)
    })
    .await;
    assert!(ds.is_object());
}

#[tokio::test]
async fn slack_error_replies_are_retried_or_fail_visibly() {
    let slack = MockServer::start().await;
    // A rate limit is worth retrying; an unknown channel is not.
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "ratelimited"})))
        .up_to_n_times(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "channel_not_found"})),
        )
        .mount(&slack)
        .await;
    let app = slack_app(&slack).await;
    let conv = app.conversation().await;
    assign(&app, &conv, &app.ws.alice).await;
    let pending = eventually(|| async {
        let (_, ds) = app
            .get(&app.ws.admin.token, "/api/v1/deliveries?status=pending")
            .await;
        ds["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == "slack" && d["attempts"] == 1)
            .cloned()
    })
    .await;
    assert_eq!(pending["last_error"], "slack: ratelimited");
    let wait = chrono::DateTime::parse_from_rfc3339(pending["next_attempt_at"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(pending["log"][0]["at"].as_str().unwrap()).unwrap();
    assert_eq!(wait.num_seconds(), 30, "first backoff");
    // Bring the retry forward through the store, as the clock would.
    let later = baton_core::SystemClock.now() + chrono::Duration::seconds(31);
    let claimed = app
        .store
        .claim_deliveries(&[baton_store::notifications::target::SLACK], later, 60, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let senders = baton_server::notify::Senders::new(&NotifyConfig {
        slack: Some(SlackConfig {
            base_url: format!("{}/api", slack.uri()),
            bot_token: "xoxb-test-token".into(),
        }),
        ..NotifyConfig::default()
    })
    .unwrap();
    let result = senders.send(app.store.as_ref(), &claimed[0], later).await;
    app.store
        .finish_delivery(claimed[0].clone(), later, result)
        .await
        .unwrap();
    let (_, failed) = app
        .get(&app.ws.admin.token, "/api/v1/deliveries?status=failed")
        .await;
    let d = &failed["items"][0];
    assert_eq!(d["target"], "slack");
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_error"], "slack: channel_not_found");
    assert_error(
        &app.get(&app.ws.alice.token, "/api/v1/deliveries").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get(&app.ws.admin.token, "/api/v1/deliveries?status=lost")
            .await,
        422,
        "invalid_status",
    );
}

/// Debian's aiosmtpd (`apt-get install python3-aiosmtpd`), storing what it
/// receives in a maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn python_with_aiosmtpd() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|py| {
        std::process::Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

async fn start_smtp() -> Option<SmtpServer> {
    let py = python_with_aiosmtpd()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("baton-smtp-{}", uuid::Uuid::now_v7().simple()));
    let child = std::process::Command::new(py)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let server = SmtpServer { child, port, dir };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("aiosmtpd did not start");
}

#[tokio::test]
async fn email_goes_out_over_smtp_with_text_and_html_parts_and_a_link() {
    let Some(smtp) = start_smtp().await else {
        assert!(
            std::env::var_os("BATON_REQUIRE_AIOSMTPD").is_none(),
            "python3-aiosmtpd is required (BATON_REQUIRE_AIOSMTPD) but not importable"
        );
        eprintln!("SKIPPED: python3-aiosmtpd is not installed (scripts/test installs it)");
        return;
    };
    let app = TestApp::spawn_with(fast(NotifyConfig {
        public_url: "https://baton.example.com".into(),
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            from: "Baton <baton@example.com>".into(),
            tls: false,
            username: None,
            password: None,
        }),
        ..NotifyConfig::default()
    }))
    .await;
    let conv = app.conversation().await;
    let note = json!({"kind": "note", "body": "@alice could you check the <refund>?"});
    let (s, b) = app
        .post(
            &app.ws.bob.token,
            &format!("/api/v1/conversations/{conv}/messages"),
            note,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let new = smtp.dir.join("new");
    let raw = eventually(|| async {
        let entry = std::fs::read_dir(&new).ok()?.flatten().next()?;
        std::fs::read_to_string(entry.path()).ok()
    })
    .await;
    let flat = raw.replace("=\r\n", "").replace("=\n", "");
    assert!(raw.contains("To: \"Alice Agent\" <alice@acme.example>"), "{raw}");
    assert!(raw.contains("From: Baton <baton@example.com>"), "{raw}");
    assert!(raw.contains("Subject: You were mentioned in a note"), "{raw}");
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/plain") && raw.contains("text/html"), "{raw}");
    let link = format!("https://baton.example.com/c/{conv}");
    assert!(flat.contains(&link), "link in the message: {raw}");
    let html = flat
        .split("Content-Type: text/html")
        .nth(1)
        .expect("an HTML part");
    assert!(
        html.contains("refund") && !html.contains("<refund>"),
        "the HTML part escapes the note: {raw}"
    );
    assert!(html.contains(&link), "the HTML part links too: {raw}");
    assert!(
        flat.contains("could you check the <refund>?"),
        "the text part has the note: {raw}"
    );
    // Exactly one message, marked delivered.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(std::fs::read_dir(&new).unwrap().count(), 1);
    let (_, ds) = app
        .get(&app.ws.admin.token, "/api/v1/deliveries?status=delivered")
        .await;
    assert!(
        ds["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["target"] == "email")
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_never_blocks_the_request_and_the_email_is_retried() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("a free port")
        .port();
    let app = TestApp::spawn_with(fast(NotifyConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            from: "Baton <baton@example.com>".into(),
            tls: false,
            username: None,
            password: None,
        }),
        ..NotifyConfig::default()
    }))
    .await;
    let conv = app.conversation().await;
    let started = std::time::Instant::now();
    assign(&app, &conv, &app.ws.alice).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the request does not wait for SMTP"
    );
    let d = eventually(|| async {
        let (_, ds) = app
            .get(&app.ws.admin.token, "/api/v1/deliveries?status=pending")
            .await;
        ds["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == "email" && d["attempts"] == 1)
            .cloned()
    })
    .await;
    assert!(d["last_error"].as_str().unwrap().starts_with("smtp:"), "{d}");
    assert_eq!(d["log"][0]["ok"], false);
    // The in-app notification is there regardless.
    let (_, list) = app.get(&app.ws.alice.token, "/api/v1/notifications").await;
    assert_eq!(list["unread_count"], 1);
}

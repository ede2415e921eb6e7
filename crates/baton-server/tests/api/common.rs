//! The real server on port 0 against a fresh SQLite file, with a workspace of
//! people, a team, two channels and an AI agent created through the store.

#![allow(dead_code)]

use baton_core::directory::*;
use baton_core::*;
use baton_server::auth::token::{generate_token, hash_token};
use baton_server::{Application, ServerConfig};
use baton_sqlite::SqliteStore;
use baton_store::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A member with an API token.
#[derive(Clone)]
pub struct Member {
    pub user: User,
    pub token: String,
}

impl Member {
    pub fn id(&self) -> String {
        self.user.id.to_string()
    }
}

/// One workspace's fixtures.
pub struct Workspace {
    pub id: WorkspaceId,
    pub owner: Member,
    pub admin: Member,
    pub alice: Member,
    pub bob: Member,
    pub viewer: Member,
    pub team: Team,
    pub api: Channel,
    pub chat: Channel,
    pub bot: Agent,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub ws: Workspace,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    db_path: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Unlinking open files is fine on Unix; the database dies with the test.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db_path.display()));
        }
    }
}

pub fn system() -> Actor {
    Actor::system("test")
}

pub async fn fresh_store() -> (Arc<dyn Store>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join("baton-server-tests");
    let path = dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, Arc::new(SystemClock))
        .await
        .expect("open a fresh SQLite store");
    (store, path)
}

pub async fn member(store: &Arc<dyn Store>, ws: WorkspaceId, email: &str, name: &str, role: Role) -> Member {
    let user = store
        .create_user(
            ws,
            &system(),
            NewUser {
                email: Email::parse(email).expect("test email"),
                name: name.into(),
                handle: None,
                role,
                password_hash: None,
                availability: Availability::Online,
                max_open: None,
            },
        )
        .await
        .expect("create user");
    let token = issue_token(store, &user).await;
    Member { user, token }
}

pub async fn issue_token(store: &Arc<dyn Store>, user: &User) -> String {
    let token = generate_token();
    store
        .create_token(user.workspace_id, user.id, &hash_token(&token), "test")
        .await
        .expect("create token");
    token
}

pub async fn workspace(store: &Arc<dyn Store>, name: &str) -> Workspace {
    let ws = store.ensure_workspace(name).await.expect("workspace").id;
    let tag = name.to_lowercase();
    let owner = member(
        store,
        ws,
        &format!("olga@{tag}.example"),
        "Olga Owner",
        Role::Owner,
    )
    .await;
    let admin = member(
        store,
        ws,
        &format!("adam@{tag}.example"),
        "Adam Admin",
        Role::Admin,
    )
    .await;
    let alice = member(
        store,
        ws,
        &format!("alice@{tag}.example"),
        "Alice Agent",
        Role::Agent,
    )
    .await;
    let bob = member(store, ws, &format!("bob@{tag}.example"), "Bob Agent", Role::Agent).await;
    let viewer = member(
        store,
        ws,
        &format!("vic@{tag}.example"),
        "Vic Viewer",
        Role::Viewer,
    )
    .await;
    let team = store.create_team(ws, &system(), "Support").await.expect("team");
    let team = store
        .add_team_member(ws, &system(), team.id, alice.user.id)
        .await
        .expect("member");
    let channel = |kind, name: &str| NewChannel {
        kind,
        name: name.into(),
        autopilot_agent_id: None,
        reply_mode: Default::default(),
    };
    let api = store
        .create_channel(ws, &system(), channel(ChannelKind::Api, "API"))
        .await
        .expect("channel");
    let chat = store
        .create_channel(ws, &system(), channel(ChannelKind::WebChat, "Chat"))
        .await
        .expect("channel");
    let bot = store
        .create_agent(
            ws,
            &system(),
            NewAgent {
                name: "Ava".into(),
                runtime: AgentRuntime::Builtin,
                settings: json!({}),
                handoff_team_id: Some(team.id),
                handoff_mode: HandoffMode::RoundRobin,
            },
        )
        .await
        .expect("agent");
    Workspace {
        id: ws,
        owner,
        admin,
        alice,
        bob,
        viewer,
        team,
        api,
        chat,
        bot,
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(ServerConfig::default()).await
    }

    pub async fn spawn_with(mut config: ServerConfig) -> Self {
        config.listen = "127.0.0.1:0".into();
        let (store, db_path) = fresh_store().await;
        let ws = workspace(&store, "Acme").await;
        let app = Application::build(config, store.clone(), Arc::new(SystemClock))
            .await
            .expect("bind");
        let base = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client");
        TestApp {
            base,
            client,
            store,
            ws,
            stop: Some(stop),
            server: Some(server),
            db_path,
        }
    }

    /// Trigger a graceful shutdown; true if the server stopped within `within`.
    pub async fn shut_down(mut self, within: Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(h) => matches!(tokio::time::timeout(within, h).await, Ok(Ok(Ok(())))),
            None => false,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Any request with an optional bearer token and JSON body; the answer as
    /// status and JSON (Null when the body is not JSON).
    pub async fn call(
        &self,
        method: Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A raw body with a content type.
    pub async fn raw(
        &self,
        method: Method,
        token: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, Some(token), path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, Some(token), path, Some(body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, Some(token), path, Some(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, Some(token), path, Some(body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, Some(token), path, None).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::POST, Some(token), path, None).await
    }

    /// A new conversation from a new contact on the API channel; its id.
    pub async fn conversation(&self) -> String {
        let n = uuid::Uuid::now_v7().simple().to_string();
        let (status, body) = self
            .post(
                &self.ws.admin.token,
                &format!("/api/v1/channels/{}/inbound", self.ws.api.id),
                json!({"contact": {"email": format!("c{n}@customer.example"), "name": "Carla Customer"},
                       "body": "Hello, where is my order?"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("conversation id").to_string()
    }

    /// The conversation's events, as (kind) strings.
    pub async fn timeline_kinds(&self, conv: &str) -> Vec<String> {
        let (status, body) = self
            .get(
                &self.ws.admin.token,
                &format!("/api/v1/conversations/{conv}/timeline?limit=200"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A second workspace on the same server, for isolation tests.
    pub async fn other_workspace(&self) -> Workspace {
        workspace(&self.store, "Globex").await
    }
}

/// Assert an error answer: status and code.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "unexpected status; body: {}", got.1);
    assert_eq!(got.1["error"]["code"], code, "unexpected code; body: {}", got.1);
    assert!(got.1["error"]["message"].is_string(), "no message: {}", got.1);
}

//! Two `baton serve` processes on one PostgreSQL database: inbound traffic
//! spread over both nodes is routed exactly once per conversation, with
//! round-robin counts within one. (Issue 3: "also with two `baton serve`
//! processes sharing one database".)
#![allow(missing_docs, clippy::unwrap_used)]

use baton_core::directory::ChannelKind;
use baton_core::routing::RuleAction;
use baton_core::*;
use baton_store::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command as Process, Stdio};
use std::sync::Arc;
use std::time::Duration;

fn admin_url() -> String {
    std::env::var("BATON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

struct Node(Child, String);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_node(url: &str) -> Node {
    let mut child = Process::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--database-url", url, "--listen", "127.0.0.1:0"])
        .env("BATON_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start baton serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(i) = line.find("listening on http://") {
                let _ = tx.send(line[i + "listening on ".len()..].trim().to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("node reported its address");
    Node(child, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_serve_processes_route_every_conversation_once_and_evenly() {
    let admin = sqlx::PgPool::connect(&admin_url()).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is needed at {} ({e}); set BATON_TEST_POSTGRES_URL",
            admin_url()
        )
    });
    let db = format!("baton_nodes_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&admin)
        .await
        .unwrap();
    let base = admin_url();
    let url = format!("{}/{db}", &base[..base.rfind('/').unwrap()]);

    let store: Arc<dyn Store> = baton_postgres::PgStore::connect(&url, Arc::new(SystemClock))
        .await
        .unwrap();
    let ws = store.ensure_workspace("Nodes").await.unwrap().id;
    let sys = Actor::system("test");
    let mk = |i: usize, role| NewUser {
        email: Email::parse(&format!("n{i}@nodes.example")).unwrap(),
        name: format!("N{i}"),
        handle: None,
        role,
        password_hash: None,
        availability: Availability::Online,
        max_open: None,
    };
    let admin_user = store.create_user(ws, &sys, mk(0, Role::Admin)).await.unwrap();
    let team = store.create_team(ws, &sys, "Everyone").await.unwrap();
    let mut agents = Vec::new();
    for i in 1..=5 {
        let u = store.create_user(ws, &sys, mk(i, Role::Agent)).await.unwrap();
        store.add_team_member(ws, &sys, team.id, u.id).await.unwrap();
        agents.push(u.id);
    }
    let rule = RuleInput {
        name: "everyone".into(),
        enabled: true,
        position: None,
        conditions: vec![],
        actions: vec![RuleAction::RoundRobin { team_id: team.id }],
    };
    store.create_rule(ws, &sys, rule).await.unwrap();
    let channel = store
        .create_channel(
            ws,
            &sys,
            NewChannel {
                kind: ChannelKind::Api,
                name: "API".into(),
                autopilot_agent_id: None,
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    let token = baton_server::auth::token::generate_token();
    store
        .create_token(
            ws,
            admin_user.id,
            &baton_server::auth::token::hash_token(&token),
            "test",
        )
        .await
        .unwrap();

    let nodes = [start_node(&url), start_node(&url)];
    let client = reqwest::Client::new();
    const TOTAL: usize = 2_000;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (client, token) = (client.clone(), token.clone());
        let base = nodes[t % 2].1.clone();
        let path = format!("{base}/api/v1/channels/{}/inbound", channel.id);
        tasks.push(tokio::spawn(async move {
            for i in (t..TOTAL).step_by(8) {
                let body = serde_json::json!({"contact": {"external_id": format!("c-{i}")}, "body": "hello"});
                let res = client
                    .post(&path)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "{}", res.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    drop(nodes);

    let mut per_agent: HashMap<UserId, usize> = HashMap::new();
    let mut assignments: HashMap<ConversationId, usize> = HashMap::new();
    let mut after = 0;
    loop {
        let batch = store.events_after(ws, after, 5_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for e in batch
            .iter()
            .filter(|e| e.event.kind == EventKind::AssigneeChanged)
        {
            *assignments.entry(e.event.conversation_id.unwrap()).or_default() += 1;
            let to: UserId = serde_json::from_value(e.event.after["assignee_id"].clone()).unwrap();
            *per_agent.entry(to).or_default() += 1;
        }
    }
    assert_eq!(assignments.len(), TOTAL, "every conversation assigned");
    assert!(assignments.values().all(|n| *n == 1), "none assigned twice");
    let counts: Vec<usize> = agents
        .iter()
        .map(|a| per_agent.get(a).copied().unwrap_or(0))
        .collect();
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(max - min <= 1, "round-robin counts {counts:?}");

    drop(store);
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&admin)
        .await;
}

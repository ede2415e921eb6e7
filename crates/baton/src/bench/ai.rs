//! The AI phase: end-to-end latency from an inbound message on an autopilot
//! channel to the built-in agent's reply being committed, with a 1,000-article
//! knowledge base. One client, one message at a time, so the figure is
//! latency, not queueing.

use super::stats::Samples;
use baton_core::directory::{AgentRuntime, ChannelKind, HandoffMode};
use baton_core::*;
use baton_store::*;
use std::time::{Duration, Instant};

/// Articles in the bench knowledge base.
pub const ARTICLES: usize = 1000;

const TOPICS: &[&str] = &[
    "refund",
    "shipping",
    "password",
    "invoice",
    "warranty",
    "subscription",
    "delivery",
    "exchange",
    "discount",
    "account",
    "battery",
    "charger",
    "installation",
    "cancellation",
    "tracking",
    "payment",
];

/// The article `i`: a product and a topic, with a body in help-centre style.
fn article(i: usize) -> (String, String) {
    let topic = TOPICS[i % TOPICS.len()];
    let product = format!("model{i:04}");
    let title = format!("{topic} for the {product} kit");
    let body = format!(
        "Everything about {topic} for the {product} kit. Most questions about {topic} are answered here: \
         open your account, choose the {product} order and follow the steps. Our team answers within one \
         business day if anything is unclear. Related: {} and {}.",
        TOPICS[(i + 3) % TOPICS.len()],
        TOPICS[(i + 7) % TOPICS.len()]
    );
    (title, body)
}

/// What the AI phase needs: an autopilot channel and an admin token.
pub struct AiFixture {
    /// The autopilot channel.
    pub channel: ChannelId,
    /// An admin's API token.
    pub token: String,
}

/// A workspace with the knowledge base, a built-in agent and an autopilot channel.
pub async fn setup(store: &dyn Store) -> StoreResult<AiFixture> {
    let ws = store.ensure_workspace("Bench AI").await?.id;
    let sys = Actor::system("bench");
    let admin = store
        .create_user(
            ws,
            &sys,
            NewUser {
                email: Email::parse("ai-admin@bench.example").expect("valid bench email"),
                name: "AI Bench Admin".into(),
                handle: None,
                role: Role::Admin,
                password_hash: None,
                availability: Availability::Online,
                max_open: None,
            },
        )
        .await?;
    for i in 0..ARTICLES {
        let (t, b) = article(i);
        store.create_article(ws, &sys, &t, &b).await?;
    }
    let agent = store
        .create_agent(
            ws,
            &sys,
            NewAgent {
                name: "Bench Bot".into(),
                runtime: AgentRuntime::Builtin,
                settings: serde_json::json!({}),
                handoff_team_id: None,
                handoff_mode: HandoffMode::RoundRobin,
            },
        )
        .await?;
    let channel = store
        .create_channel(
            ws,
            &sys,
            NewChannel {
                kind: ChannelKind::Api,
                name: "Bench autopilot".into(),
                autopilot_agent_id: Some(agent.id),
                reply_mode: Default::default(),
            },
        )
        .await?
        .id;
    let t = baton_server::auth::token::generate_token();
    store
        .create_token(ws, admin.id, &baton_server::auth::token::hash_token(&t), "bench")
        .await?;
    Ok(AiFixture { channel, token: t })
}

/// Post `n` questions, each from a new contact, and time each until the
/// agent's reply is readable through the API.
pub async fn inbound_to_reply(client: &reqwest::Client, base: &str, fx: &AiFixture, n: usize) -> Samples {
    let mut samples = Samples::default();
    for i in 0..n {
        let k = (i * 7919) % ARTICLES;
        let (title, _) = article(k);
        let body = format!("Question about {title}?");
        let start = Instant::now();
        match one(client, base, fx, i, &body).await {
            Ok(()) => samples.push(start.elapsed()),
            Err(e) => {
                if samples.errors == 0 {
                    eprintln!("AI phase: {e}");
                }
                samples.errors += 1;
            }
        }
    }
    samples
}

async fn one(
    client: &reqwest::Client,
    base: &str,
    fx: &AiFixture,
    i: usize,
    body: &str,
) -> Result<(), String> {
    let res = client
        .post(format!("{base}/api/v1/channels/{}/inbound", fx.channel))
        .bearer_auth(&fx.token)
        .json(&serde_json::json!({"contact": {"external_id": format!("ai-{i}-{}", uuid::Uuid::now_v7().simple())},
                                  "body": body}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("inbound failed: {}", res.status()));
    }
    let conv: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    let id = conv["id"].as_str().ok_or("no conversation id")?.to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = client
            .get(format!("{base}/api/v1/conversations/{id}/messages"))
            .bearer_auth(&fx.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let page: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
        let answered = page["items"]
            .as_array()
            .is_some_and(|ms| ms.iter().any(|m| m["author"]["type"] == "agent"));
        if answered {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no AI reply within 10 s on {id}"));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

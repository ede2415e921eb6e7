//! Load phases: concurrent clients hitting the JSON API over loopback.

use super::stats::Samples;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the load needs to know about the server under test.
pub struct Target {
    /// `http://host:port`.
    pub base: String,
    /// Shared HTTP client (connection pool).
    pub client: reqwest::Client,
    /// Token of an admin (assigns, inbound).
    pub admin_token: String,
    /// Token of an agent who owns conversations (the `mine` view).
    pub agent_token: String,
    /// Users to assign to.
    pub assignees: Vec<String>,
    /// Conversations to work on.
    pub conversations: Vec<String>,
    /// The api channel for inbound messages.
    pub channel_id: String,
}

/// Result of a throughput phase.
pub struct Throughput {
    /// Latencies.
    pub samples: Samples,
    /// Successful operations per second.
    pub per_sec: f64,
}

async fn timed(req: reqwest::RequestBuilder, samples: &mut Samples) {
    let t0 = Instant::now();
    match req.send().await {
        Ok(r) if r.status().is_success() => {
            // Read the body: the response is part of the operation.
            let ok = r.bytes().await.is_ok();
            if ok {
                samples.push(t0.elapsed());
            } else {
                samples.errors += 1;
            }
        }
        _ => samples.errors += 1,
    }
}

/// Assign then unassign, round and round, from `clients` tasks for `dur`.
pub async fn assign_unassign(t: Arc<Target>, clients: usize, dur: Duration) -> Throughput {
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            let mut i = c;
            while Instant::now() < deadline {
                // Each client works its own slice of conversations, as people do.
                let conv = &t.conversations[i % t.conversations.len()];
                let user = &t.assignees[i % t.assignees.len()];
                let url = format!("{}/api/v1/conversations/{conv}/assignee", t.base);
                let put = t
                    .client
                    .put(&url)
                    .bearer_auth(&t.admin_token)
                    .json(&serde_json::json!({"user_id": user}));
                timed(put, &mut s).await;
                timed(t.client.delete(&url).bearer_auth(&t.admin_token), &mut s).await;
                i += clients;
            }
            s
        }));
    }
    collect(tasks, start).await
}

/// Inbound messages from new contacts (each opens a conversation).
pub async fn inbound(t: Arc<Target>, clients: usize, dur: Duration, run: &str) -> Throughput {
    let start = Instant::now();
    let deadline = start + dur;
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (t, counter, run) = (t.clone(), counter.clone(), run.to_string());
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            let url = format!("{}/api/v1/channels/{}/inbound", t.base, t.channel_id);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let body = serde_json::json!({
                    "contact": {"email": format!("bench-{run}-{n}@load.example"), "name": format!("Load {n}")},
                    "body": format!("Bench message {n}: where is my order?"),
                });
                timed(t.client.post(&url).bearer_auth(&t.admin_token).json(&body), &mut s).await;
            }
            s
        }));
    }
    collect(tasks, start).await
}

/// `requests` reads of a web page with a session cookie, over `clients` tasks.
pub async fn page(t: Arc<Target>, path: &str, cookie: &str, clients: usize, requests: usize) -> Samples {
    let url = format!("{}{path}", t.base);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (t, url, cookie) = (t.clone(), url.clone(), cookie.to_string());
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            for _ in 0..requests / clients {
                timed(t.client.get(&url).header("cookie", &cookie), &mut s).await;
            }
            s
        }));
    }
    let mut all = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            all.merge(s);
        }
    }
    all
}

/// `requests` list-view reads spread over `clients` tasks.
pub async fn list_view(
    t: Arc<Target>,
    query: &str,
    as_agent: bool,
    clients: usize,
    requests: usize,
) -> Samples {
    let url = format!("{}/api/v1/conversations?{query}", t.base);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (t, url) = (t.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = Samples::default();
            let token = if as_agent { &t.agent_token } else { &t.admin_token };
            for _ in 0..requests / clients {
                timed(t.client.get(&url).bearer_auth(token), &mut s).await;
            }
            s
        }));
    }
    let mut all = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            all.merge(s);
        }
    }
    all
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<Samples>>, start: Instant) -> Throughput {
    let mut all = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            all.merge(s);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    Throughput {
        per_sec: all.count() as f64 / secs,
        samples: all,
    }
}

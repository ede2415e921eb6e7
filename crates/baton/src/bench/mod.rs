//! `baton bench`: boots `baton serve` on a fresh SQLite database (or targets
//! a running server), drives it with concurrent clients over loopback, and
//! prints a Markdown report for BENCHMARKS.md.

mod ai;
mod load;
mod server;
mod stats;

use crate::config::Config;
use baton_core::directory::ChannelKind;
use baton_core::*;
use baton_store::*;
use load::Target;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `baton bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Concurrent clients for the write phases.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds per throughput phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Workspace sizes (conversations) at which list views are measured.
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    pub sizes: Vec<u64>,
    /// List requests per view and size.
    #[arg(long, default_value_t = 2000)]
    pub list_requests: usize,
    /// Directory for the bench database (default: a new temporary one).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Phases to run: `lists` (list views and the inbox page), `writes`
    /// (all three of `assign`, `inbound` and `routed`), `ai` (inbound to AI
    /// reply).
    #[arg(long, value_delimiter = ',', default_value = "lists,writes,ai")]
    pub phases: Vec<String>,
    /// Inbound messages timed in the `ai` phase.
    #[arg(long, default_value_t = 300)]
    pub ai_requests: usize,
}

struct Row {
    what: String,
    value: String,
}

/// Keep a measurement and show it at once, so a failing later phase loses nothing.
fn record(rows: &mut Vec<Row>, what: String, value: String) {
    eprintln!("{what}: {value}");
    rows.push(Row { what, value });
}

/// Run the benchmark and print the report.
pub async fn run(_cfg: &Config, args: BenchArgs) -> Result<(), String> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("baton-bench-{}", uuid::Uuid::now_v7().simple()))
    });
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    eprintln!("bench database: {url}");
    let store = crate::store::open(&url).await?;
    let fx = setup(store.as_ref()).await.map_err(|e| e.to_string())?;
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    let mut rows: Vec<Row> = Vec::new();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut seeded = 0u64;
    let mut peak_rss: f64 = 0.0;
    let phase = |p: &str| {
        args.phases
            .iter()
            .any(|x| x == p || (x == "writes" && ["assign", "inbound", "routed"].contains(&p)))
    };
    if !["lists", "assign", "inbound", "routed"].iter().any(|p| phase(p)) {
        sizes.clear();
    }
    for (round, size) in sizes.iter().enumerate() {
        let t0 = Instant::now();
        let spec = SeedSpec {
            conversations: size.saturating_sub(seeded),
            channel_id: fx.channel,
            assignees: fx.agents.clone(),
            teams: vec![],
        };
        eprintln!("seeding to {size} conversations…");
        seeded += store
            .seed_conversations(fx.ws, spec)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("seeded {seeded} in {:.1} s", t0.elapsed().as_secs_f64());
        let srv = server::ServerProcess::start(&url)?;
        server::wait_healthy(&client, &srv.base).await?;
        let conversations = sample_conversations(store.as_ref(), &fx)
            .await
            .map_err(|e| e.to_string())?;
        let target = Arc::new(Target {
            base: srv.base.clone(),
            client: client.clone(),
            admin_token: fx.admin_token.clone(),
            agent_token: fx.agent_token.clone(),
            assignees: fx.agents.iter().map(|u| u.to_string()).collect(),
            conversations,
            channel_id: fx.channel.to_string(),
        });
        // Warm the server's caches before measuring.
        load::list_view(target.clone(), "view=all", false, 4, 200).await;
        for (label, query, as_agent) in [
            ("mine", "view=mine", true),
            ("unassigned", "view=unassigned", false),
        ]
        .into_iter()
        .filter(|_| phase("lists"))
        {
            let s = load::list_view(target.clone(), query, as_agent, 4, args.list_requests).await;
            record(
                &mut rows,
                format!(
                    "list `{label}` at {size} conversations (4 clients, {} requests)",
                    s.count()
                ),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    s.percentile_ms(50.0),
                    s.percentile_ms(99.0),
                    s.errors
                ),
            );
        }
        let cookie = sign_in(&client, &srv.base, &fx.agent_login).await?;
        let s = load::page(target.clone(), "/", &cookie, 4, args.list_requests / 2).await;
        if phase("lists") {
            record(
                &mut rows,
                format!(
                    "web inbox page `/` (Mine) at {size} conversations (4 clients, {} requests)",
                    s.count()
                ),
                format!(
                    "p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    s.percentile_ms(50.0),
                    s.percentile_ms(99.0),
                    s.errors
                ),
            );
        }
        let dur = Duration::from_secs(args.seconds);
        if round == 0 && phase("assign") {
            let cpu = Cpu::start(&srv);
            let a = load::assign_unassign(target.clone(), args.clients, dur).await;
            cpu.record(&mut rows, &srv, "assign/unassign", a.samples.count());
            record(
                &mut rows,
                format!("assign/unassign, {} clients, {} s", args.clients, args.seconds),
                format!(
                    "{:.0} ops/s, p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    a.per_sec,
                    a.samples.percentile_ms(50.0),
                    a.samples.percentile_ms(99.0),
                    a.samples.errors
                ),
            );
        }
        if round == 0 && phase("inbound") {
            let cpu = Cpu::start(&srv);
            let i = load::inbound(target.clone(), args.clients, dur, "r0").await;
            cpu.record(&mut rows, &srv, "inbound", i.samples.count());
            record(
                &mut rows,
                format!(
                    "inbound messages (new conversations), {} clients, {} s",
                    args.clients, args.seconds
                ),
                format!(
                    "{:.0} msgs/s, p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    i.per_sec,
                    i.samples.percentile_ms(50.0),
                    i.samples.percentile_ms(99.0),
                    i.samples.errors
                ),
            );
            seeded += i.samples.count() as u64;
        }
        if round == 0 && phase("routed") {
            add_routing_rules(&client, &srv.base, &fx).await?;
            let cpu = Cpu::start(&srv);
            let r = load::inbound(target.clone(), args.clients, dur, "routed").await;
            cpu.record(&mut rows, &srv, "routed inbound", r.samples.count());
            record(
                &mut rows,
                format!(
                    "routed inbound (10 rules, 50 agents; the assignment commits before the answer), {} clients, {} s",
                    args.clients, args.seconds
                ),
                format!(
                    "{:.0} msgs/s, p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    r.per_sec,
                    r.samples.percentile_ms(50.0),
                    r.samples.percentile_ms(99.0),
                    r.samples.errors
                ),
            );
            seeded += r.samples.count() as u64;
        }
        if let Some(rss) = srv.peak_rss_mib() {
            peak_rss = peak_rss.max(rss);
            record(
                &mut rows,
                format!("server peak RSS after the {size} round"),
                format!("{rss:.1} MiB"),
            );
        }
        srv.stop();
    }
    if phase("ai") {
        eprintln!("AI phase: writing {} articles…", ai::ARTICLES);
        let afx = ai::setup(store.as_ref()).await.map_err(|e| e.to_string())?;
        let srv = server::ServerProcess::start(&url)?;
        server::wait_healthy(&client, &srv.base).await?;
        // The first answer builds the knowledge index: not part of the figure.
        ai::inbound_to_reply(&client, &srv.base, &afx, 3).await;
        let s = ai::inbound_to_reply(&client, &srv.base, &afx, args.ai_requests).await;
        record(
            &mut rows,
            format!(
                "inbound to AI reply, built-in agent, {}-article knowledge base (1 client, {} messages; reply seen by polling every 1 ms)",
                ai::ARTICLES,
                s.count()
            ),
            format!(
                "p50 {:.2} ms, p99 {:.2} ms, errors {}",
                s.percentile_ms(50.0),
                s.percentile_ms(99.0),
                s.errors
            ),
        );
        if let Some(rss) = srv.peak_rss_mib() {
            peak_rss = peak_rss.max(rss);
        }
        srv.stop();
    }
    println!("| measurement | result |\n|---|---|");
    for r in &rows {
        println!("| {} | {} |", r.what, r.value);
    }
    println!("| server peak RSS (max over rounds) | {peak_rss:.1} MiB |");
    eprintln!("bench data left in {}", dir.display());
    Ok(())
}

/// CPU used during a phase by the server (all threads, its writer thread)
/// and by this load generator, per operation: where the two cores went.
struct Cpu {
    server: (f64, f64),
    bench: f64,
}

impl Cpu {
    fn start(srv: &server::ServerProcess) -> Self {
        Cpu {
            server: srv.cpu_seconds().unwrap_or_default(),
            bench: server::stat_cpu("/proc/self/stat").unwrap_or_default(),
        }
    }

    fn record(self, rows: &mut Vec<Row>, srv: &server::ServerProcess, what: &str, ops: usize) {
        let (Some((total, writer)), Some(bench)) = (srv.cpu_seconds(), server::stat_cpu("/proc/self/stat"))
        else {
            return;
        };
        let per = |s: f64| s * 1e6 / ops.max(1) as f64;
        record(
            rows,
            format!("CPU per {what} operation"),
            format!(
                "server {:.0} µs (of which the SQLite writer thread {:.0} µs), load generator {:.0} µs",
                per(total - self.server.0),
                per(writer - self.server.1),
                per(bench - self.bench)
            ),
        );
    }
}

struct Fixture {
    ws: WorkspaceId,
    channel: ChannelId,
    agents: Vec<UserId>,
    admin_token: String,
    agent_token: String,
    /// Email and password of agents[0], for the web inbox.
    agent_login: (String, String),
    /// A team of 50 online agents for the routing phase.
    routing_team: TeamId,
}

async fn setup(store: &dyn Store) -> StoreResult<Fixture> {
    let ws = store.ensure_workspace("Bench").await?.id;
    let sys = Actor::system("bench");
    let mk = |i: usize, role: Role| NewUser {
        email: Email::parse(&format!("user{i}@bench.example")).expect("valid bench email"),
        name: format!("Bench User {i}"),
        handle: None,
        role,
        password_hash: None,
        availability: Availability::Online,
        max_open: None,
    };
    let admin = store.create_user(ws, &sys, mk(0, Role::Admin)).await?;
    let mut agents = Vec::new();
    for i in 1..=10 {
        agents.push(store.create_user(ws, &sys, mk(i, Role::Agent)).await?.id);
    }
    let channel = store
        .create_channel(
            ws,
            &sys,
            NewChannel {
                kind: ChannelKind::Api,
                name: "Bench API".into(),
                autopilot_agent_id: None,
                reply_mode: Default::default(),
            },
        )
        .await?
        .id;
    let token = |user: UserId| async move {
        let t = baton_server::auth::token::generate_token();
        store
            .create_token(ws, user, &baton_server::auth::token::hash_token(&t), "bench")
            .await
            .map(|_| t)
    };
    let admin_token = token(admin.id).await?;
    let agent_token = token(agents[0]).await?;
    let password = "bench-password-123";
    let hash = baton_server::auth::password::hash_password(password)
        .map_err(|e| StoreError::Database(format!("hashing failed: {e}")))?;
    store.set_password_hash(agents[0], &hash).await?;
    let routing_team = store.create_team(ws, &sys, "Routing").await?.id;
    for i in 100..150 {
        let u = store.create_user(ws, &sys, mk(i, Role::Agent)).await?;
        store.add_team_member(ws, &sys, routing_team, u.id).await?;
    }
    let agent_login = ("user1@bench.example".to_string(), password.to_string());
    Ok(Fixture {
        ws,
        channel,
        agents,
        admin_token,
        agent_token,
        agent_login,
        routing_team,
    })
}

/// Sign in to the web inbox; the session cookie to send.
async fn sign_in(client: &reqwest::Client, base: &str, login: &(String, String)) -> Result<String, String> {
    let res = client
        .post(format!("{base}/api/v1/auth/sign_in"))
        .json(&serde_json::json!({"email": login.0, "password": login.1}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("bench sign-in failed: {}", res.status()));
    }
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_string))
        .collect();
    Ok(cookies.join("; "))
}

/// Nine rules that never match above one that round-robins over 50 agents:
/// every inbound message is evaluated against all ten.
async fn add_routing_rules(client: &reqwest::Client, base: &str, fx: &Fixture) -> Result<(), String> {
    let mut rules: Vec<serde_json::Value> = (0..9)
        .map(|i| {
            serde_json::json!({"name": format!("never {i}"),
                "conditions": [{"field": "message", "op": "contains", "value": format!("zz-never-{i}")},
                               {"field": "contact.tag", "op": "has", "value": "vip"}],
                "actions": [{"type": "assign_user", "user_id": fx.agents[i % fx.agents.len()]}]})
        })
        .collect();
    rules.push(serde_json::json!({"name": "everyone else",
        "actions": [{"type": "round_robin", "team_id": fx.routing_team}]}));
    for rule in rules {
        let res = client
            .post(format!("{base}/api/v1/routing_rules"))
            .bearer_auth(&fx.admin_token)
            .json(&rule)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!(
                "creating a bench rule failed: {}",
                res.text().await.unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Open conversations to assign, newest first.
async fn sample_conversations(store: &dyn Store, fx: &Fixture) -> StoreResult<Vec<String>> {
    let page = store
        .list_conversations(
            fx.ws,
            fx.agents[0],
            &ViewFilter::default(),
            &PageRequest::first(200),
        )
        .await?;
    Ok(page.items.iter().map(|v| v.conversation.id.to_string()).collect())
}

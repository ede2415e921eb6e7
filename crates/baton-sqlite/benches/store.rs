//! Criterion benchmarks of the SQLite store without HTTP: the ceiling the
//! server can reach. `cargo bench -p baton-sqlite`.
#![allow(missing_docs, clippy::unwrap_used)]

use baton_core::directory::ChannelKind;
use baton_core::*;
use baton_sqlite::SqliteStore;
use baton_store::*;
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

struct Fx {
    store: Arc<dyn Store>,
    ws: WorkspaceId,
    admin: Actor,
    users: Vec<UserId>,
    convs: Vec<ConversationId>,
    channel: ChannelId,
}

/// Nine rules that never match above one that round-robins over a team of 50
/// online agents, as in `baton bench`: every inbound message meets all ten.
async fn add_routing(fx: &Fx) {
    let sys = Actor::system("bench");
    let team = fx.store.create_team(fx.ws, &sys, "Routing").await.unwrap().id;
    for i in 100..150 {
        let u = fx
            .store
            .create_user(
                fx.ws,
                &sys,
                NewUser {
                    email: Email::parse(&format!("r{i}@crit.example")).unwrap(),
                    name: format!("R{i}"),
                    handle: None,
                    role: Role::Agent,
                    password_hash: None,
                    availability: Availability::Online,
                    max_open: None,
                },
            )
            .await
            .unwrap();
        fx.store.add_team_member(fx.ws, &sys, team, u.id).await.unwrap();
    }
    for i in 0..10 {
        let (conditions, actions) = if i < 9 {
            (
                serde_json::json!([{"field": "message", "op": "contains", "value": format!("zz-never-{i}")},
                                   {"field": "contact.tag", "op": "has", "value": "vip"}]),
                serde_json::json!([{"type": "assign_user", "user_id": fx.users[i]}]),
            )
        } else {
            (
                serde_json::json!([]),
                serde_json::json!([{"type": "round_robin", "team_id": team}]),
            )
        };
        let input = RuleInput {
            name: format!("rule {i}"),
            enabled: true,
            position: None,
            conditions: serde_json::from_value(conditions).unwrap(),
            actions: serde_json::from_value(actions).unwrap(),
        };
        fx.store.create_rule(fx.ws, &fx.admin, input).await.unwrap();
    }
}

/// CPU seconds used so far by the threads whose name starts with `prefix`
/// (Linux), or by the whole process with an empty prefix.
fn cpu_seconds(prefix: &str) -> f64 {
    let tick = 100.0; // USER_HZ
    let mut total = 0.0;
    for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        total += (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / tick;
    }
    total
}

/// 32 inbound messages from new contacts at once.
async fn inbound_x32(fx: Arc<Fx>) {
    let mut tasks = Vec::with_capacity(32);
    for k in 0..32 {
        let fx = fx.clone();
        tasks.push(tokio::spawn(async move {
            fx.store
                .inbound(fx.ws, fx.channel, contact(k), "Hello, my order has not arrived")
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Time and CPU per routed/plain inbound, measured from thread CPU clocks so
/// that a busy machine inflates it less than wall time.
async fn cpu_per_op(label: &str, fx: Arc<Fx>) {
    let n = 200;
    let (w0, p0, t0) = (
        cpu_seconds("baton-sqlite-wr"),
        cpu_seconds(""),
        std::time::Instant::now(),
    );
    for _ in 0..n {
        inbound_x32(fx.clone()).await;
    }
    let ops = (n * 32) as f64;
    eprintln!(
        "{label}: writer thread {:.0} µs CPU/op, process {:.0} µs CPU/op, wall {:.0} µs/op",
        (cpu_seconds("baton-sqlite-wr") - w0) / ops * 1e6,
        (cpu_seconds("") - p0) / ops * 1e6,
        t0.elapsed().as_secs_f64() / ops * 1e6
    );
}

fn contact(n: usize) -> ContactInput {
    ContactInput {
        external_id: Some(format!("crit-{n}-{}", uuid::Uuid::now_v7().simple())),
        ..Default::default()
    }
}

async fn fixture(n: u64) -> Fx {
    let path = std::env::temp_dir().join(format!("baton-crit-{}.db", uuid::Uuid::now_v7().simple()));
    let store: Arc<dyn Store> =
        SqliteStore::open(&format!("sqlite://{}", path.display()), Arc::new(SystemClock))
            .await
            .unwrap();
    let ws = store.ensure_workspace("Crit").await.unwrap().id;
    let sys = Actor::system("bench");
    let mk = |i: usize, role| NewUser {
        email: Email::parse(&format!("u{i}@crit.example")).unwrap(),
        name: format!("U{i}"),
        handle: None,
        role,
        password_hash: None,
        availability: Availability::Online,
        max_open: None,
    };
    let admin = store.create_user(ws, &sys, mk(0, Role::Admin)).await.unwrap();
    let mut users = Vec::new();
    for i in 1..=10 {
        users.push(store.create_user(ws, &sys, mk(i, Role::Agent)).await.unwrap().id);
    }
    let ch = store
        .create_channel(
            ws,
            &sys,
            NewChannel {
                kind: ChannelKind::Api,
                name: "api".into(),
                autopilot_agent_id: None,
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    store
        .seed_conversations(
            ws,
            SeedSpec {
                conversations: n,
                channel_id: ch.id,
                assignees: users.clone(),
                teams: vec![],
            },
        )
        .await
        .unwrap();
    let page = store
        .list_conversations(ws, users[0], &ViewFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    let convs = page.items.iter().map(|v| v.conversation.id).collect();
    Fx {
        channel: ch.id,
        store,
        ws,
        admin: Actor::User {
            id: admin.id,
            role: Role::Admin,
        },
        users,
        convs,
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fx = Arc::new(rt.block_on(fixture(10_000)));
    let mut i = 0usize;
    c.bench_function("apply assign_user (one at a time)", |b| {
        b.to_async(&rt).iter(|| {
            i += 1;
            let fx = fx.clone();
            let (conv, user) = (fx.convs[i % fx.convs.len()], fx.users[i % fx.users.len()]);
            async move {
                fx.store
                    .apply(
                        fx.ws,
                        &fx.admin,
                        conv,
                        Command::AssignUser { user_id: user },
                        None,
                    )
                    .await
                    .unwrap()
            }
        })
    });
    c.bench_function("apply assign_user x32 concurrent (group commit)", |b| {
        b.to_async(&rt).iter(|| {
            let fx = fx.clone();
            async move {
                let mut tasks = Vec::with_capacity(32);
                for k in 0..32 {
                    let fx = fx.clone();
                    tasks.push(tokio::spawn(async move {
                        let cmd = Command::AssignUser {
                            user_id: fx.users[k % fx.users.len()],
                        };
                        fx.store
                            .apply(fx.ws, &fx.admin, fx.convs[k * 3 % fx.convs.len()], cmd, None)
                            .await
                            .unwrap();
                    }));
                }
                for t in tasks {
                    t.await.unwrap();
                }
            }
        })
    });
    let filter = ViewFilter {
        view: Some(View::Mine),
        ..Default::default()
    };
    c.bench_function("list mine, 10k conversations", |b| {
        b.to_async(&rt).iter(|| {
            let (fx, filter) = (fx.clone(), filter.clone());
            async move {
                fx.store
                    .list_conversations(fx.ws, fx.users[0], &filter, &PageRequest::default())
                    .await
                    .unwrap()
            }
        })
    });
    c.bench_function("inbound new conversation x32 concurrent, no rules", |b| {
        b.to_async(&rt).iter(|| inbound_x32(fx.clone()))
    });
    if std::env::var("BATON_CPU").is_ok() {
        rt.block_on(cpu_per_op("plain inbound", fx.clone()));
    }
    rt.block_on(add_routing(&fx));
    if std::env::var("BATON_CPU").is_ok() {
        rt.block_on(cpu_per_op("routed inbound", fx.clone()));
        return;
    }
    c.bench_function("routed inbound x32 concurrent (10 rules, 50 agents)", |b| {
        b.to_async(&rt).iter(|| inbound_x32(fx.clone()))
    });
    c.bench_function("decide assign_user (pure core)", |b| {
        let conv = Conversation::new(
            ConversationId::new_v7(),
            fx.ws,
            ChannelId::new_v7(),
            ContactId::new_v7(),
            chrono::Utc::now(),
        );
        let cmd = Command::AssignUser { user_id: fx.users[0] };
        let refs = Refs {
            user: Some(UserRef {
                id: fx.users[0],
                active: true,
                role: Role::Agent,
            }),
            ..Default::default()
        };
        let mut ids = baton_core::ids::UuidV7;
        b.iter(|| {
            let mut ctx = Ctx {
                now: chrono::Utc::now(),
                ids: &mut ids,
            };
            decide(&conv, &fx.admin, &cmd, &refs, None, &mut ctx).unwrap()
        })
    });
}

criterion_group! {
    name = store;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(store);

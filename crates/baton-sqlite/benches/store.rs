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

//! Behaviour particular to the PostgreSQL backend: several nodes on one
//! database, migrations racing, lock order under mixed writers.

#![allow(clippy::unwrap_used)]

mod common;

use baton_core::directory::{Channel, ChannelKind, Team, User, UserPatch};
use baton_core::routing::RuleAction;
use baton_core::*;
use baton_postgres::PgStore;
use baton_store::*;
use common::{fresh_schema, store_in, url};
use sqlx::{Connection, PgConnection, Row};
use std::sync::Arc;
use std::time::Duration;

fn user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: name.into(),
        handle: None,
        role,
        password_hash: None,
        availability: Availability::Online,
        max_open: None,
    }
}

struct Setup {
    ws: WorkspaceId,
    admin: User,
    alice: User,
    chat: Channel,
}

async fn setup(store: &dyn Store) -> Setup {
    let sys = Actor::system("test");
    let ws = store.ensure_workspace("Acme").await.unwrap().id;
    let admin = store
        .create_user(ws, &sys, user("adam@acme.test", "Adam", Role::Admin))
        .await
        .unwrap();
    let alice = store
        .create_user(ws, &sys, user("alice@acme.test", "Alice", Role::Agent))
        .await
        .unwrap();
    let chat = store
        .create_channel(
            ws,
            &sys,
            NewChannel {
                kind: ChannelKind::WebChat,
                name: "Chat".into(),
                autopilot_agent_id: None,
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    Setup {
        ws,
        admin,
        alice,
        chat,
    }
}

fn as_actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        role: u.role,
    }
}

fn from(who: &str, name: Option<&str>) -> ContactInput {
    ContactInput {
        email: Some(Email::parse(&format!("{who}@customer.test")).unwrap()),
        name: name.map(str::to_string),
        ..Default::default()
    }
}

#[tokio::test]
async fn smoke_inbound_assign_list_and_timeline() {
    let store = store_in(&fresh_schema()).await;
    assert_eq!(store.backend(), "postgres");
    let s = setup(store.as_ref()).await;
    let inb = store
        .inbound(s.ws, s.chat.id, from("carol", Some("Carol")), "My blender broke")
        .await
        .unwrap();
    assert!(inb.created);
    let id = inb.view.conversation.id;
    let out = store
        .apply(
            s.ws,
            &as_actor(&s.admin),
            id,
            Command::AssignUser { user_id: s.alice.id },
            None,
        )
        .await
        .unwrap();
    assert_eq!(out.view.conversation.assignee_id, Some(s.alice.id));
    assert_eq!(out.view.assignee.as_ref().unwrap().name, "Alice");
    let mine = ViewFilter {
        view: Some(View::Mine),
        ..Default::default()
    };
    let page = store
        .list_conversations(s.ws, s.alice.id, &mine, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.items[0].unread);
    assert_eq!(page.items[0].contact.name.as_deref(), Some("Carol"));
    let counts = store.view_counts(s.ws, s.alice.id).await.unwrap();
    assert_eq!((counts.mine, counts.unassigned, counts.all), (1, 0, 1));
    let kinds: Vec<_> = store
        .timeline(s.ws, id, &PageRequest::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|e| e.event.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "conversation.created",
            "message.created",
            "conversation.assignee_changed"
        ]
    );
    // Timestamps survive the round trip to the microsecond.
    let again = store.get_conversation(s.ws, None, id).await.unwrap();
    assert_eq!(again.conversation, out.view.conversation);
}

#[tokio::test]
async fn another_node_is_woken_by_notify() {
    let schema = fresh_schema();
    let a = store_in(&schema).await;
    let b = store_in(&schema).await;
    let s = setup(a.as_ref()).await;
    let mut rx = b.subscribe();
    let inb = a
        .inbound(s.ws, s.chat.id, from("carol", None), "hello")
        .await
        .unwrap();
    let seq = inb.events.last().unwrap().seq;
    let woke = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await {
                Ok(w) if w.workspace_id == s.ws && w.seq >= seq => return w,
                Ok(_) => continue,
                Err(e) => panic!("wake-up channel failed: {e}"),
            }
        }
    })
    .await
    .expect("node B hears node A's commit within 5 s");
    assert_eq!(woke.seq, seq);
    // And B reads what A wrote.
    assert_eq!(b.events_after(s.ws, seq - 1, 10).await.unwrap()[0].seq, seq);
}

#[tokio::test]
async fn nodes_starting_together_migrate_once() {
    let schema = fresh_schema();
    let (a, b, c) = tokio::join!(store_in(&schema), store_in(&schema), store_in(&schema));
    drop((a, b, c));
    let mut conn = PgConnection::connect(&url()).await.unwrap();
    let row = sqlx::query(&format!(
        "SELECT count(*), count(DISTINCT version), max(version) FROM {schema}.baton_migrations"
    ))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (n, distinct, max): (i64, i64, i32) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(n, distinct, "each migration recorded once");
    // Versions are the file numbers.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    assert_eq!(n, files, "every migration applied, none skipped");
    assert!(i64::from(max) >= n);
    baton_postgres::drop_schema(&url(), &schema).await.unwrap();
    let left: i64 = sqlx::query("SELECT count(*) FROM pg_namespace WHERE nspname = $1")
        .bind(&schema)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "drop_schema removes it");
}

/// Inbound messages that change the contact (so they append an event before
/// locking the conversation) race commands on the same conversation: the lock
/// order must keep this free of deadlocks, and nothing may be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn inbound_contact_changes_and_commands_do_not_deadlock() {
    let store = store_in(&fresh_schema()).await;
    let s = Arc::new(setup(store.as_ref()).await);
    let id = store
        .inbound(s.ws, s.chat.id, from("carol", Some("Carol 0")), "first")
        .await
        .unwrap()
        .view
        .conversation
        .id;
    let mut tasks = Vec::new();
    for t in 0..6u32 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..15u32 {
                if t % 2 == 0 {
                    let name = format!("Carol {t}-{i}");
                    store
                        .inbound(s.ws, s.chat.id, from("carol", Some(&name)), "again")
                        .await
                        .unwrap();
                } else {
                    let cmd = if i % 2 == 0 {
                        Command::AssignUser { user_id: s.alice.id }
                    } else {
                        Command::UnassignUser
                    };
                    store
                        .apply(s.ws, &as_actor(&s.admin), id, cmd, None)
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let msgs = store
        .list_messages(s.ws, id, &PageRequest::first(200))
        .await
        .unwrap();
    assert_eq!(msgs.items.len(), 1 + 3 * 15);
    let all = store.events_after(s.ws, 0, 10_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
}

/// PostgreSQL cannot store NUL in text or jsonb: such input is refused as
/// invalid (422), not a database failure, and nothing is written.
#[tokio::test]
async fn nul_characters_are_invalid_input() {
    let store = store_in(&fresh_schema()).await;
    let s = setup(store.as_ref()).await;
    let before = store.latest_seq(s.ws).await.unwrap();
    for (input, body) in [
        (from("carol", None), "a\0b"),
        (from("dave", Some("Da\0ve")), "hello"),
    ] {
        let err = store.inbound(s.ws, s.chat.id, input, body).await.unwrap_err();
        assert_eq!(err.domain().map(|d| d.code()), Some("invalid_text"), "{err:?}");
    }
    let mut attributes = serde_json::Map::new();
    attributes.insert("note".into(), serde_json::json!("x\u{0}y"));
    let input = ContactInput {
        attributes,
        ..from("erin", None)
    };
    let err = store.inbound(s.ws, s.chat.id, input, "hi").await.unwrap_err();
    assert_eq!(err.domain().map(|d| d.code()), Some("invalid_text"), "{err:?}");
    assert_eq!(store.latest_seq(s.ws).await.unwrap(), before);
}

/// Brand-new contacts writing in at once: the handle locks make the second
/// message wait for the first and join its contact and conversation, so no
/// caller ever sees a constraint conflict (the suite allows a retry; here
/// none is needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_new_contacts_never_conflict() {
    let store = store_in(&fresh_schema()).await;
    let s = Arc::new(setup(store.as_ref()).await);
    let mut tasks = Vec::new();
    for t in 0..8u32 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..10u32 {
                let k = i % 5;
                // Some messages name the contact by email, some by phone and
                // email together: they must still meet on one contact.
                let mut input = from(&format!("new{k}"), None);
                if t % 2 == 1 {
                    input.phone = Some(format!("+1555000{k}"));
                }
                store
                    .inbound(s.ws, s.chat.id, input, &format!("msg {t}-{i}"))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let contacts = store
        .list_contacts(s.ws, None, &PageRequest::first(200))
        .await
        .unwrap();
    assert_eq!(contacts.items.len(), 5, "one contact per person");
    let all = store
        .list_conversations(s.ws, s.admin.id, &ViewFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 5, "one conversation per contact");
}

/// Two nodes bootstrapping the same workspace at once both get it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ensure_workspace_races_find_one_workspace() {
    let store = store_in(&fresh_schema()).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ensure_workspace("Initech").await.unwrap().id })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
}

/// A team of `n` online agents with a round-robin rule in front of it.
async fn round_robin_desk(
    store: &dyn Store,
    ws: WorkspaceId,
    n: usize,
    max_open: Option<u32>,
) -> (Team, Vec<UserId>) {
    let sys = Actor::system("test");
    let team = store.create_team(ws, &sys, "Desk").await.unwrap();
    let mut agents = Vec::new();
    for i in 0..n {
        let mut input = user(&format!("desk{i}@acme.test"), &format!("Desk {i}"), Role::Agent);
        input.max_open = max_open;
        let u = store.create_user(ws, &sys, input).await.unwrap();
        store.add_team_member(ws, &sys, team.id, u.id).await.unwrap();
        agents.push(u.id);
    }
    let rule = RuleInput {
        name: "everyone to the desk".into(),
        enabled: true,
        position: None,
        conditions: vec![],
        actions: vec![RuleAction::RoundRobin { team_id: team.id }],
    };
    store.create_rule(ws, &sys, rule).await.unwrap();
    (team, agents)
}

/// Every user's stored open count against their open conversations.
async fn loads_match(store: &PgStore, ws: WorkspaceId) {
    let off: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT u.name, u.open_count, (SELECT count(*) FROM conversations c \
         WHERE c.assignee_id = u.id AND c.status = 'open') AS n \
         FROM users u WHERE u.workspace_id = $1",
    )
    .bind(ws.0)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .filter(|(_, stored, n)| i64::from(*stored) != *n)
    .collect();
    assert!(off.is_empty(), "open counts drifted: {off:?}");
}

/// Issue 3 on two nodes at the store level: two `PgStore`s (two pools, as
/// two `baton serve` processes would have) on one schema, four ingesters
/// each, 2,000 new conversations over five online agents with a round-robin
/// rule: each is assigned exactly once, and the counts differ by at most one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_route_every_conversation_once_and_evenly() {
    const TOTAL: usize = 2_000;
    const PER_NODE: usize = 4;
    let schema = fresh_schema();
    let (a, b) = (store_in(&schema).await, store_in(&schema).await);
    let s = setup(a.as_ref()).await;
    let (team, agents) = round_robin_desk(a.as_ref(), s.ws, 5, None).await;
    let mut tasks = Vec::new();
    for (n, node) in [a.clone(), b.clone()].into_iter().enumerate() {
        for t in 0..PER_NODE {
            let node = node.clone();
            let (ws, chat) = (s.ws, s.chat.id);
            let k = n * PER_NODE + t;
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for i in (k..TOTAL).step_by(2 * PER_NODE) {
                    let contact = ContactInput {
                        external_id: Some(format!("two-nodes-{i}")),
                        ..Default::default()
                    };
                    let out = node.inbound(ws, chat, contact, "hello").await.unwrap();
                    assert!(out.created);
                    assert_eq!(out.view.conversation.team_id, Some(team.id));
                    got.push((out.view.conversation.id, out.view.conversation.assignee_id));
                }
                got
            }));
        }
    }
    let mut per_agent: std::collections::HashMap<UserId, usize> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        for (id, assignee) in t.await.unwrap() {
            assert!(seen.insert(id), "conversation created twice");
            *per_agent.entry(assignee.expect("assigned")).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), TOTAL);
    let counts: Vec<usize> = agents
        .iter()
        .map(|u| per_agent.get(u).copied().unwrap_or(0))
        .collect();
    assert_eq!(
        counts.iter().sum::<usize>(),
        TOTAL,
        "only desk agents: {per_agent:?}"
    );
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(max - min <= 1, "counts {counts:?}");
    // Both nodes read the same: one assignment event each, a gapless log.
    let mut assigned: std::collections::HashMap<ConversationId, usize> = Default::default();
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let batch = b.events_after(s.ws, after, 5_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        all.extend(batch);
    }
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
    for e in all.iter().filter(|e| e.event.kind == EventKind::AssigneeChanged) {
        *assigned.entry(e.event.conversation_id.unwrap()).or_default() += 1;
    }
    assert_eq!(assigned.len(), TOTAL);
    assert!(assigned.values().all(|n| *n == 1));
    loads_match(&a, s.ws).await;
}

/// Routing's locks against everything else that touches the same rows, on
/// two nodes: contacts writing in (new, again, into closed conversations),
/// agents closing conversations (freeing capacity, draining the queue),
/// agents going away and back (draining again, and with the team set to
/// return an absent member's conversations, requeueing), capacity changes,
/// team settings changing. Nothing
/// may fail with a database error (a deadlock would), the stored loads must
/// match the conversations, and once everyone is back nothing waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn routing_beside_closes_and_presence_changes_does_not_deadlock() {
    let schema = fresh_schema();
    let (a, b) = (store_in(&schema).await, store_in(&schema).await);
    let s = Arc::new(setup(a.as_ref()).await);
    let (team, agents) = round_robin_desk(a.as_ref(), s.ws, 4, Some(3)).await;
    let agents = Arc::new(agents);
    let ok_or_refused = |r: StoreResult<()>| {
        if let Err(e) = r {
            assert!(e.domain().is_some(), "database error: {e:?}");
        }
    };
    let mut tasks = Vec::new();
    for (n, node) in [a.clone(), b.clone()].into_iter().enumerate() {
        let node: Arc<PgStore> = node;
        // Contacts: 60 people, so many write again, some into closed ones.
        for t in 0..2usize {
            let (node, s) = (node.clone(), s.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..120usize {
                    let who = (i * 7 + t * 13 + n * 29) % 60;
                    let contact = ContactInput {
                        external_id: Some(format!("mixed-{who}")),
                        ..Default::default()
                    };
                    ok_or_refused(node.inbound(s.ws, s.chat.id, contact, "help").await.map(drop));
                }
            }));
        }
        // An admin closing someone's open conversation, again and again.
        {
            let (node, s) = (node.clone(), s.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..80 {
                    let open: Option<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT id FROM conversations WHERE workspace_id = $1 AND status = 'open' \
                         AND assignee_id IS NOT NULL ORDER BY random() LIMIT 1",
                    )
                    .bind(s.ws.0)
                    .fetch_optional(node.pool())
                    .await
                    .unwrap();
                    let Some((id,)) = open else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    };
                    let close = Command::SetStatus {
                        status: Status::Closed,
                        snoozed_until: None,
                    };
                    let r = node
                        .apply(s.ws, &as_actor(&s.admin), ConversationId(id), close, None)
                        .await;
                    ok_or_refused(r.map(drop));
                }
            }));
        }
        // An admin switching "return conversations when away" on and off:
        // the team row is routing state too.
        {
            let (node, s, team) = (node.clone(), s.clone(), team.id);
            tasks.push(tokio::spawn(async move {
                for i in 0..30usize {
                    let settings = baton_core::routing::TeamSettings {
                        requeue_when_away: (i + n) % 2 == 0,
                        ..Default::default()
                    };
                    let r = node
                        .set_team_settings(s.ws, &as_actor(&s.admin), team, settings)
                        .await;
                    ok_or_refused(r.map(drop));
                }
            }));
        }
        // Agents stepping away and back, and capacity going up and down.
        {
            let (node, s, agents) = (node.clone(), s.clone(), agents.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0..60usize {
                    let who = agents[(i + n) % agents.len()];
                    let patch = match i % 4 {
                        0 => UserPatch {
                            availability: Some(Availability::Away),
                            ..Default::default()
                        },
                        1 => UserPatch {
                            availability: Some(Availability::Online),
                            ..Default::default()
                        },
                        2 => UserPatch {
                            max_open: Some(Some(5)),
                            ..Default::default()
                        },
                        _ => UserPatch {
                            max_open: Some(Some(2)),
                            ..Default::default()
                        },
                    };
                    let sys = Actor::system("test");
                    ok_or_refused(node.update_user(s.ws, &sys, who, patch).await.map(drop));
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    loads_match(&a, s.ws).await;
    // Everyone back, without limits: whatever waits is assigned at once.
    for (i, who) in agents.iter().enumerate() {
        let node = if i % 2 == 0 { &a } else { &b };
        let patch = UserPatch {
            availability: Some(Availability::Online),
            max_open: Some(None),
            ..Default::default()
        };
        node.update_user(s.ws, &Actor::system("test"), *who, patch)
            .await
            .unwrap();
    }
    let (queued, unassigned): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM routing_queue), (SELECT count(*) FROM conversations \
         WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NULL)",
    )
    .bind(s.ws.0)
    .fetch_one(a.pool())
    .await
    .unwrap();
    assert_eq!(
        (queued, unassigned),
        (0, 0),
        "nothing waits once everyone is back"
    );
    loads_match(&a, s.ws).await;
    let all = b.events_after(s.ws, 0, 100_000).await.unwrap();
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1), "gapless");
    // The run did exercise the queue: some conversations waited and were
    // assigned from it when capacity freed or someone came back.
    let from_queue = all
        .iter()
        .filter(|e| e.event.kind == EventKind::AssigneeChanged)
        .filter(|e| !e.event.data["routing"]["from_queue"].is_null())
        .count();
    assert!(from_queue > 0, "nothing was ever queued");
}

/// Two nodes, each with four workers, race over the same delivery rows and
/// over feeding the same webhook: every delivery is claimed and sent exactly
/// once, and every event becomes exactly one webhook delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_each_notification_and_webhook_event_once() {
    use baton_store::notifications::{AttemptResult, NewWebhook, target};
    let schema = fresh_schema();
    let a = store_in(&schema).await;
    let b = store_in(&schema).await;
    let s = setup(a.as_ref()).await;
    a.create_webhook(
        s.ws,
        &as_actor(&s.admin),
        NewWebhook {
            url: "https://hooks.example.com/x".into(),
            events: vec!["conversation.assignee_changed".into()],
            secret: "0123456789abcdef".into(),
        },
    )
    .await
    .unwrap();
    let n = 30;
    for i in 0..n {
        let out = a
            .inbound(s.ws, s.chat.id, from(&format!("c{i}"), None), "hi")
            .await
            .unwrap();
        a.apply(
            s.ws,
            &as_actor(&s.admin),
            out.view.conversation.id,
            Command::AssignUser { user_id: s.alice.id },
            None,
        )
        .await
        .unwrap();
    }
    let later = SystemClock.now() + chrono::Duration::days(1);
    let mut workers = Vec::new();
    for node in [a.clone(), b.clone()] {
        for _ in 0..4 {
            let store: Arc<PgStore> = node.clone();
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut idle = 0;
                while idle < 3 {
                    store.feed_webhooks().await.unwrap();
                    let got = store
                        .claim_deliveries(&[target::EMAIL, target::WEBHOOK], later, 60, 4)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        idle += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    idle = 0;
                    for d in got {
                        assert!(
                            store
                                .finish_delivery(d.clone(), later, AttemptResult::Delivered)
                                .await
                                .unwrap()
                        );
                        mine.push((d.target.clone(), d.id));
                    }
                }
                mine
            }));
        }
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, all.len(), "no delivery sent twice");
    let emails = all.iter().filter(|(t, _)| t == target::EMAIL).count();
    let hooks = all.iter().filter(|(t, _)| t == target::WEBHOOK).count();
    assert_eq!(emails, n, "one email per assignment");
    assert_eq!(hooks, n, "one webhook call per assignment event");
    baton_postgres::drop_schema(&url(), &schema).await.unwrap();
}

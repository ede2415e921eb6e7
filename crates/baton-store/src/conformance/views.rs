//! List views, filters, counts, search and paging.

use super::fixture::*;
use crate::*;
use baton_core::*;
use std::collections::HashSet;
use std::sync::Arc;

fn set(ids: Vec<ConversationId>) -> HashSet<ConversationId> {
    ids.into_iter().collect()
}

pub async fn views_select_the_right_conversations(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let mine = f.conversation("c1").await;
    let bobs = f.conversation("c2").await;
    let free = f.conversation("c3").await;
    let ai = f.conversation("c4").await;
    let closed = f.conversation("c5").await;
    f.ok(&f.alice, mine, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(&f.alice, bobs, Command::AssignUser { user_id: f.bob.id })
        .await;
    f.ok(
        &f.alice,
        ai,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    f.ok(
        &f.alice,
        closed,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    let view = |v| ViewFilter {
        view: Some(v),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, view(View::Mine)).await, vec![mine]);
    assert_eq!(f.list(&f.bob, view(View::Mine)).await, vec![bobs]);
    assert_eq!(
        f.list(&f.alice, view(View::Unassigned)).await,
        vec![free],
        "AI-held and closed are not unassigned"
    );
    assert_eq!(
        set(f.list(&f.alice, view(View::Assigned)).await),
        set(vec![mine, bobs])
    );
    assert_eq!(f.list(&f.alice, view(View::AiQueue)).await, vec![ai]);
    assert_eq!(
        set(f.list(&f.alice, view(View::All)).await),
        set(vec![mine, bobs, free, ai])
    );
    let closed_only = ViewFilter {
        status: StatusFilter::Only(Status::Closed),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, closed_only).await, vec![closed]);
    let any = ViewFilter {
        status: StatusFilter::Any,
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, any).await.len(), 5);
    // Newest activity first.
    f.inbound("c1", "bump").await;
    assert_eq!(f.list(&f.alice, view(View::All)).await[0], mine);
}

pub async fn view_filters_narrow_the_list(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let a = f.conversation("c1").await;
    let b = f.conversation("c2").await;
    f.ok(&f.alice, a, Command::AssignTeam { team_id: f.team.id })
        .await;
    f.ok(
        &f.alice,
        b,
        Command::SetPriority {
            priority: Priority::High,
        },
    )
    .await;
    f.ok(
        &f.alice,
        b,
        Command::Transfer {
            channel_id: f.email.id,
        },
    )
    .await;
    let by_team = ViewFilter {
        team_id: Some(f.team.id),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, by_team).await, vec![a]);
    let by_priority = ViewFilter {
        priority: Some(Priority::High),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, by_priority).await, vec![b]);
    let by_channel = ViewFilter {
        channel_id: Some(f.email.id),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, by_channel).await, vec![b]);
    let combined = ViewFilter {
        channel_id: Some(f.chat.id),
        priority: Some(Priority::High),
        ..Default::default()
    };
    assert!(f.list(&f.alice, combined).await.is_empty());
}

pub async fn counts_match_the_views(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let mine = f.conversation("c1").await;
    f.conversation("c2").await;
    let ai = f.conversation("c3").await;
    let closed = f.conversation("c4").await;
    f.ok(&f.alice, mine, Command::AssignUser { user_id: f.alice.id })
        .await;
    f.ok(&f.alice, mine, Command::AssignTeam { team_id: f.team.id })
        .await;
    f.ok(
        &f.alice,
        ai,
        Command::AssignAgent {
            agent_id: f.bot.id,
            send_initial_message: false,
        },
    )
    .await;
    f.ok(
        &f.alice,
        closed,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    let note = Command::PostMessage {
        kind: MessageKind::Note,
        body: "@alice see".into(),
        agent_session_id: None,
    };
    f.ok(&f.bob, ai, note).await;
    let c = f.store.view_counts(f.ws, f.alice.id).await.unwrap();
    assert_eq!(
        (c.mine, c.unassigned, c.assigned, c.all, c.ai_queue, c.mentions),
        (1, 1, 1, 3, 1, 1)
    );
    assert_eq!(
        c.teams,
        vec![TeamCount {
            team_id: f.team.id,
            count: 1
        }]
    );
    for (view, n) in [
        (View::Mine, c.mine),
        (View::Unassigned, c.unassigned),
        (View::AiQueue, c.ai_queue),
    ] {
        let listed = f
            .list(
                &f.alice,
                ViewFilter {
                    view: Some(view),
                    ..Default::default()
                },
            )
            .await
            .len();
        assert_eq!(listed as u64, n, "{view:?}");
    }
}

pub async fn search_finds_message_text_and_contact_names(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let refund = f
        .inbound("c1", "I would like a refund for my blender")
        .await
        .view
        .conversation
        .id;
    let other = f.inbound("c2", "Where is my parcel?").await.view.conversation.id;
    let contact = ContactInput {
        email: Some(Email::parse("zelda@customer.test").unwrap()),
        name: Some("Zelda Hyrule".into()),
        ..Default::default()
    };
    let zelda = f
        .store
        .inbound(f.ws, f.chat.id, contact, "hi")
        .await
        .unwrap()
        .view
        .conversation
        .id;
    let q = |s: &str| ViewFilter {
        q: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(f.list(&f.alice, q("refund")).await, vec![refund]);
    assert_eq!(
        f.list(&f.alice, q("BLEND")).await,
        vec![refund],
        "prefix and case-insensitive"
    );
    assert_eq!(f.list(&f.alice, q("parcel")).await, vec![other]);
    assert_eq!(
        f.list(&f.alice, q("zelda")).await,
        vec![zelda],
        "contact names are searched"
    );
    assert!(f.list(&f.alice, q("nonexistentword")).await.is_empty());
    // Operators and quotes in user input are text, not syntax.
    assert!(f.list(&f.alice, q("\"refund\" OR NEAR(")).await.len() <= 1);
    let contacts = f
        .store
        .list_contacts(f.ws, Some("hyrule"), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(contacts.items.len(), 1);
}

pub async fn cursor_paging_is_stable_under_inserts(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(f.conversation(&format!("p{i}")).await);
    }
    ids.reverse(); // newest first
    let filter = ViewFilter::default();
    let p1 = f
        .store
        .list_conversations(f.ws, f.alice.id, &filter, &PageRequest::first(3))
        .await
        .unwrap();
    assert_eq!(
        p1.items.iter().map(|v| v.conversation.id).collect::<Vec<_>>(),
        ids[..3].to_vec()
    );
    // New conversations arrive between pages: they must not shift the next page.
    f.conversation("late1").await;
    f.conversation("late2").await;
    let req = PageRequest {
        limit: Some(3),
        cursor: p1.next_cursor.clone(),
    };
    let p2 = f
        .store
        .list_conversations(f.ws, f.alice.id, &filter, &req)
        .await
        .unwrap();
    assert_eq!(
        p2.items.iter().map(|v| v.conversation.id).collect::<Vec<_>>(),
        ids[3..6].to_vec()
    );
    let req = PageRequest {
        limit: Some(3),
        cursor: p2.next_cursor.clone(),
    };
    let p3 = f
        .store
        .list_conversations(f.ws, f.alice.id, &filter, &req)
        .await
        .unwrap();
    assert_eq!(
        p3.items.iter().map(|v| v.conversation.id).collect::<Vec<_>>(),
        ids[6..].to_vec()
    );
    assert_eq!(p3.next_cursor, None);
    let bad = PageRequest {
        limit: None,
        cursor: Some("garbage".into()),
    };
    assert_eq!(
        code(f.store.list_conversations(f.ws, f.alice.id, &filter, &bad).await),
        "invalid_cursor"
    );
}

pub async fn seeded_conversations_are_listed(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let spec = SeedSpec {
        conversations: 120,
        channel_id: f.chat.id,
        assignees: vec![f.alice.id, f.bob.id],
        teams: vec![f.team.id],
    };
    assert_eq!(f.store.seed_conversations(f.ws, spec).await.unwrap(), 120);
    let counts = f.store.view_counts(f.ws, f.alice.id).await.unwrap();
    assert!(counts.all > 0 && counts.mine > 0 && counts.unassigned > 0);
    let all = f
        .store
        .list_conversations(f.ws, f.alice.id, &ViewFilter::default(), &PageRequest::first(200))
        .await
        .unwrap();
    assert_eq!(all.items.len() as u64, counts.all);
    let seeded = &all.items[0].conversation;
    // Seeded conversations take commands like any other.
    let out = f
        .ok(&f.alice, seeded.id, Command::AssignUser { user_id: f.bob.id })
        .await;
    assert_eq!(out.view.conversation.assignee_id, Some(f.bob.id));
    let ev = f.store.events_after(f.ws, 0, 10_000).await.unwrap();
    assert!(
        ev.windows(2).all(|w| w[1].seq == w[0].seq + 1),
        "seeding keeps the log gapless"
    );
}

/// The counts as the lists give them, for `viewer`.
async fn counted_by_listing(f: &Fixture, viewer: &User) -> ViewCounts {
    let n = |v: View| async move {
        f.list(
            viewer,
            ViewFilter {
                view: Some(v),
                ..Default::default()
            },
        )
        .await
        .len() as u64
    };
    let team = f
        .list(
            viewer,
            ViewFilter {
                team_id: Some(f.team.id),
                ..Default::default()
            },
        )
        .await
        .len() as u64;
    ViewCounts {
        mine: n(View::Mine).await,
        unassigned: n(View::Unassigned).await,
        assigned: n(View::Assigned).await,
        mentions: n(View::Mentions).await,
        all: n(View::All).await,
        ai_queue: n(View::AiQueue).await,
        teams: vec![TeamCount {
            team_id: f.team.id,
            count: team,
        }],
    }
}

/// The maintained counts equal what the lists show after every kind of
/// ownership and status change, for two viewers.
pub async fn counts_stay_true_through_every_kind_of_change(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let a = f.conversation("k1").await;
    let b = f.conversation("k2").await;
    let c = f.conversation("k3").await;
    let later = chrono::Utc::now() + chrono::Duration::hours(3);
    let steps: Vec<(ConversationId, Command)> = vec![
        (a, Command::AssignUser { user_id: f.alice.id }),
        (a, Command::AssignTeam { team_id: f.team.id }),
        (b, Command::AssignTeam { team_id: f.team.id }),
        (
            b,
            Command::AssignAgent {
                agent_id: f.bot.id,
                send_initial_message: false,
            },
        ),
        (a, Command::AssignUser { user_id: f.bob.id }),
        (c, Command::AssignUser { user_id: f.alice.id }),
        (b, Command::EndAgentSession),
        (b, Command::ResumeAgentSession),
        (b, Command::TakeOver),
        (
            c,
            Command::SetStatus {
                status: Status::Closed,
                snoozed_until: None,
            },
        ),
        (
            a,
            Command::SetStatus {
                status: Status::Snoozed,
                snoozed_until: Some(later),
            },
        ),
        (
            a,
            Command::SetStatus {
                status: Status::Open,
                snoozed_until: None,
            },
        ),
        (
            c,
            Command::SetStatus {
                status: Status::Open,
                snoozed_until: None,
            },
        ),
        (a, Command::UnassignTeam),
        (c, Command::UnassignUser),
        (b, Command::UnassignAgent),
        (
            b,
            Command::SetStatus {
                status: Status::Pending,
                snoozed_until: None,
            },
        ),
    ];
    for (i, (id, cmd)) in steps.into_iter().enumerate() {
        f.ok(&f.alice, id, cmd.clone()).await;
        for viewer in [&f.alice, &f.bob] {
            let counts = f.store.view_counts(f.ws, viewer.id).await.unwrap();
            assert_eq!(
                counts,
                counted_by_listing(&f, viewer).await,
                "after step {i} ({cmd:?}), seen by {}",
                viewer.name
            );
        }
    }
    // A contact writing in opens a new conversation, counted at once.
    f.conversation("k4").await;
    let counts = f.store.view_counts(f.ws, f.alice.id).await.unwrap();
    assert_eq!(counts, counted_by_listing(&f, &f.alice).await);
}

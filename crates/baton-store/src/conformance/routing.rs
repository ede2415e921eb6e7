//! Routing: rules, picks, the waiting queue, explanations, fairness under load.

use super::fixture::*;
use crate::*;
use baton_core::directory::*;
use baton_core::routing::*;
use baton_core::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// A team "Tier 1" with three online agents (sorted by id: a1 < a2 < a3).
struct Desk {
    f: Fixture,
    team: Team,
    agents: Vec<User>,
}

async fn desk(store: Arc<dyn Store>) -> Desk {
    let f = Fixture::new(store).await;
    let team = f.store.create_team(f.ws, &system(), "Tier 1").await.unwrap();
    let mut agents = Vec::new();
    for i in 1..=3 {
        let u = f
            .store
            .create_user(
                f.ws,
                &system(),
                new_user(&format!("a{i}@acme.example.com"), &format!("A{i}"), Role::Agent),
            )
            .await
            .unwrap();
        f.store
            .add_team_member(f.ws, &system(), team.id, u.id)
            .await
            .unwrap();
        agents.push(u);
    }
    agents.sort_by_key(|u| u.id);
    Desk { f, team, agents }
}

fn rule(name: &str, conditions: Vec<Condition>, actions: Vec<RuleAction>) -> RuleInput {
    RuleInput {
        name: name.into(),
        enabled: true,
        position: None,
        conditions,
        actions,
    }
}

async fn set_availability(f: &Fixture, u: &User, a: Availability) {
    let patch = UserPatch {
        availability: Some(a),
        ..Default::default()
    };
    f.store.update_user(f.ws, &system(), u.id, patch).await.unwrap();
}

pub async fn round_robin_alternates_between_online_members_and_never_picks_an_away_one(
    store: Arc<dyn Store>,
) {
    let d = desk(store).await;
    let f = &d.f;
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    set_availability(f, &d.agents[1], Availability::Away).await;
    let mut got = Vec::new();
    for i in 0..4 {
        let out = f.inbound(&format!("c{i}"), "help").await;
        got.push(out.view.conversation.assignee_id.unwrap());
        assert_eq!(out.view.conversation.team_id, Some(d.team.id));
    }
    assert_eq!(
        got,
        vec![d.agents[0].id, d.agents[2].id, d.agents[0].id, d.agents[2].id]
    );
}

pub async fn full_member_is_skipped_and_the_member_without_a_limit_gets_it(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let cap = UserPatch {
        max_open: Some(Some(1)),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &system(), d.agents[0].id, cap.clone())
        .await
        .unwrap();
    f.store
        .update_user(
            f.ws,
            &system(),
            d.agents[1].id,
            UserPatch {
                max_open: Some(Some(0)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let first = f.inbound("c1", "help").await.view.conversation.assignee_id;
    assert_eq!(first, Some(d.agents[0].id));
    for i in 2..5 {
        let got = f
            .inbound(&format!("c{i}"), "help")
            .await
            .view
            .conversation
            .assignee_id;
        assert_eq!(
            got,
            Some(d.agents[2].id),
            "a1 is full, a2 has no room, a3 has no limit"
        );
    }
}

pub async fn balanced_counts_only_open_conversations(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    // a1 has two conversations, but both are closed; a2 and a3 have one open each.
    for (who, u, close) in [
        ("x1", 0, true),
        ("x2", 0, true),
        ("x3", 1, false),
        ("x4", 2, false),
    ] {
        let id = f.conversation(who).await;
        f.ok(
            &f.admin,
            id,
            Command::AssignUser {
                user_id: d.agents[u].id,
            },
        )
        .await;
        if close {
            f.ok(
                &f.admin,
                id,
                Command::SetStatus {
                    status: Status::Closed,
                    snoozed_until: None,
                },
            )
            .await;
        }
    }
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("bal", vec![], vec![RuleAction::Balanced { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let out = f.inbound("new", "help").await;
    assert_eq!(out.view.conversation.assignee_id, Some(d.agents[0].id));
}

pub async fn team_rule_with_nobody_online_waits_and_assigns_when_a_member_comes_online(
    store: Arc<dyn Store>,
) {
    let d = desk(store).await;
    let f = &d.f;
    for a in &d.agents {
        set_availability(f, a, Availability::Offline).await;
    }
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let first = f.inbound("c1", "help").await.view.conversation;
    let second = f.inbound("c2", "help").await.view.conversation;
    assert_eq!(first.assignee_id, None);
    assert_eq!(first.team_id, Some(d.team.id), "it waits with its team");
    let routed = f
        .events(first.id)
        .await
        .into_iter()
        .find(|e| e.event.kind == EventKind::Routed)
        .unwrap();
    assert_eq!(routed.event.data["routing"]["queued"], json!(true));
    // a2 comes online: the oldest waiting conversation goes to them in the same step.
    set_availability(f, &d.agents[1], Availability::Online).await;
    assert_eq!(f.get(first.id).await.assignee_id, Some(d.agents[1].id));
    assert_eq!(
        f.get(second.id).await.assignee_id,
        Some(d.agents[1].id),
        "round robin has only a2 to pick"
    );
    let ev = f.events(first.id).await;
    let assigned = ev
        .iter()
        .rev()
        .find(|e| e.event.kind == EventKind::AssigneeChanged)
        .unwrap();
    assert_eq!(assigned.event.reason.as_deref(), Some("routing queue"));
    assert_eq!(assigned.event.actor, Actor::system("routing"));
}

pub async fn queue_drains_oldest_first_when_capacity_frees(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let one = UserPatch {
        max_open: Some(Some(1)),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &system(), d.agents[0].id, one)
        .await
        .unwrap();
    for a in &d.agents[1..] {
        set_availability(f, a, Availability::Offline).await;
    }
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let c1 = f.inbound("c1", "help").await.view.conversation;
    assert_eq!(c1.assignee_id, Some(d.agents[0].id));
    let c2 = f.inbound("c2", "help").await.view.conversation.id;
    let c3 = f.inbound("c3", "help").await.view.conversation.id;
    assert_eq!(f.get(c2).await.assignee_id, None);
    // Closing c1 frees a1's capacity: c2 (the oldest waiting) is theirs at once.
    f.ok(
        &d.agents[0],
        c1.id,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    assert_eq!(f.get(c2).await.assignee_id, Some(d.agents[0].id));
    assert_eq!(f.get(c3).await.assignee_id, None);
    // Reassigning c2 away frees the capacity again: c3 follows.
    f.ok(&f.admin, c2, Command::AssignUser { user_id: f.alice.id })
        .await;
    assert_eq!(f.get(c3).await.assignee_id, Some(d.agents[0].id));
}

pub async fn queue_drains_when_a_member_is_added(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    for a in &d.agents {
        set_availability(f, a, Availability::Away).await;
    }
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("bal", vec![], vec![RuleAction::Balanced { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let c = f.inbound("c1", "help").await.view.conversation.id;
    assert_eq!(f.get(c).await.assignee_id, None);
    f.store
        .add_team_member(f.ws, &system(), d.team.id, f.bob.id)
        .await
        .unwrap();
    assert_eq!(f.get(c).await.assignee_id, Some(f.bob.id));
}

pub async fn vip_rule_sends_vip_contacts_to_the_senior_and_others_round_robin(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let vip = Condition::ContactAttribute {
        key: "vip".into(),
        op: rule::EqNeqOp::Eq,
        value: json!(true),
    };
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "VIP to seniors",
                vec![vip],
                vec![RuleAction::AssignUser { user_id: f.bob.id }, RuleAction::Stop],
            ),
        )
        .await
        .unwrap();
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "everyone else",
                vec![],
                vec![RuleAction::RoundRobin { team_id: d.team.id }],
            ),
        )
        .await
        .unwrap();
    let mut attrs = serde_json::Map::new();
    attrs.insert("vip".into(), json!(true));
    let contact = ContactInput {
        email: Some(Email::parse("big@customer.test").unwrap()),
        attributes: attrs,
        ..Default::default()
    };
    let out = f.store.inbound(f.ws, f.chat.id, contact, "hello").await.unwrap();
    assert_eq!(out.view.conversation.assignee_id, Some(f.bob.id));
    let routed = f
        .events(out.view.conversation.id)
        .await
        .into_iter()
        .find(|e| e.event.kind == EventKind::Routed)
        .unwrap();
    assert_eq!(routed.event.data["routing"]["rule_name"], "VIP to seniors");
    assert_eq!(routed.event.data["routing"]["chosen"], json!(f.bob.id));
    let normal = f
        .inbound("small", "hello")
        .await
        .view
        .conversation
        .assignee_id
        .unwrap();
    assert!(d.agents.iter().any(|a| a.id == normal));
}

pub async fn specific_user_rule_falls_through_when_the_user_is_not_eligible(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    set_availability(f, &f.bob, Availability::Away).await;
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "to bob",
                vec![],
                vec![RuleAction::AssignUser { user_id: f.bob.id }],
            ),
        )
        .await
        .unwrap();
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let out = f.inbound("c1", "hi").await;
    assert_eq!(out.view.conversation.assignee_id, Some(d.agents[0].id));
    let routed = f
        .events(out.view.conversation.id)
        .await
        .into_iter()
        .find(|e| e.event.kind == EventKind::Routed)
        .unwrap();
    let x = &routed.event.data["routing"];
    assert_eq!(x["rule_name"], "rr");
    let skipped = x["skipped_rules"].as_array().unwrap();
    assert_eq!(skipped[0]["rule_name"], "to bob");
    assert!(
        skipped[0]["reason"].as_str().unwrap().contains("away"),
        "{skipped:?}"
    );
    assert_eq!(x["candidates"].as_array().unwrap().len(), 3);
}

pub async fn deactivated_user_is_never_picked(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let off = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &system(), d.agents[0].id, off)
        .await
        .unwrap();
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    for i in 0..6 {
        let got = f
            .inbound(&format!("c{i}"), "hi")
            .await
            .view
            .conversation
            .assignee_id
            .unwrap();
        assert_ne!(got, d.agents[0].id);
    }
}

pub async fn contact_writing_into_a_closed_conversation_reopens_and_reroutes_if_the_assignee_is_gone(
    store: Arc<dyn Store>,
) {
    let d = desk(store).await;
    let f = &d.f;
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let c = f.inbound("c1", "hi").await.view.conversation;
    let first = c.assignee_id.unwrap();
    f.ok(
        &f.admin,
        c.id,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    // Still eligible: reopening keeps the assignee.
    let again = f.inbound("c1", "one more thing").await;
    assert!(again.reopened);
    assert_eq!(again.view.conversation.assignee_id, Some(first));
    f.ok(
        &f.admin,
        c.id,
        Command::SetStatus {
            status: Status::Closed,
            snoozed_until: None,
        },
    )
    .await;
    let who = d.agents.iter().find(|a| a.id == first).unwrap();
    set_availability(f, who, Availability::Offline).await;
    let third = f.inbound("c1", "and another").await;
    assert!(third.reopened);
    let now = third.view.conversation.assignee_id.unwrap();
    assert_ne!(now, first, "routed again to someone eligible");
}

pub async fn rules_are_managed_in_order_and_invalid_ones_refused(store: Arc<dyn Store>) {
    let d = desk(store.clone()).await;
    let f = &d.f;
    let a = f
        .store
        .create_rule(
            f.ws,
            &f.actor(&f.admin),
            rule("a", vec![], vec![RuleAction::Stop]),
        )
        .await
        .unwrap();
    let b = f
        .store
        .create_rule(
            f.ws,
            &f.actor(&f.admin),
            rule("b", vec![], vec![RuleAction::Stop]),
        )
        .await
        .unwrap();
    let mut first = rule("c", vec![], vec![RuleAction::Stop]);
    first.position = Some(0);
    let c = f
        .store
        .create_rule(f.ws, &f.actor(&f.admin), first)
        .await
        .unwrap();
    let names = |rs: Vec<RoutingRule>| rs.into_iter().map(|r| (r.name, r.position)).collect::<Vec<_>>();
    assert_eq!(
        names(f.store.list_rules(f.ws).await.unwrap()),
        vec![("c".into(), 0), ("a".into(), 1), ("b".into(), 2)]
    );
    let mut moved = rule("a2", vec![], vec![RuleAction::Stop]);
    moved.position = Some(2);
    f.store
        .replace_rule(f.ws, &f.actor(&f.admin), a.id, moved)
        .await
        .unwrap();
    assert_eq!(
        names(f.store.list_rules(f.ws).await.unwrap()),
        vec![("c".into(), 0), ("b".into(), 1), ("a2".into(), 2)]
    );
    f.store.delete_rule(f.ws, &f.actor(&f.admin), c.id).await.unwrap();
    assert_eq!(
        names(f.store.list_rules(f.ws).await.unwrap()),
        vec![("b".into(), 0), ("a2".into(), 1)]
    );
    // Agents may not manage rules.
    assert_eq!(
        code(
            f.store
                .create_rule(
                    f.ws,
                    &f.actor(&f.alice),
                    rule("x", vec![], vec![RuleAction::Stop])
                )
                .await
        ),
        "forbidden"
    );
    // Unknown team, foreign user, empty condition: 422, nothing stored.
    let g = Fixture::named(store, "Globex").await;
    for bad in [
        rule(
            "x",
            vec![],
            vec![RuleAction::RoundRobin {
                team_id: TeamId::new_v7(),
            }],
        ),
        rule("x", vec![], vec![RuleAction::AssignUser { user_id: g.alice.id }]),
        rule(
            "x",
            vec![Condition::Message {
                op: rule::ContainsOp::Contains,
                value: "  ".into(),
            }],
            vec![RuleAction::Stop],
        ),
        rule("x", vec![], vec![]),
    ] {
        let r = f.store.create_rule(f.ws, &f.actor(&f.admin), bad).await;
        assert!(
            matches!(r, Err(StoreError::Domain(DomainError::Invalid { .. }))),
            "{r:?}"
        );
    }
    assert_eq!(f.store.list_rules(f.ws).await.unwrap().len(), 2);
    assert_eq!(
        code(
            f.store
                .delete_rule(f.ws, &f.actor(&f.admin), b.id)
                .await
                .map(|_| ())
                .and(f.store.delete_rule(f.ws, &f.actor(&f.admin), b.id).await)
        ),
        "not_found"
    );
}

pub async fn dry_run_explains_without_changing_anything(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let refund = Condition::Message {
        op: rule::ContainsOp::Contains,
        value: "refund".into(),
    };
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "refunds",
                vec![refund],
                vec![
                    RuleAction::Balanced { team_id: d.team.id },
                    RuleAction::AddTag {
                        tag: "billing".into(),
                    },
                ],
            ),
        )
        .await
        .unwrap();
    let seq = f.store.latest_seq(f.ws).await.unwrap();
    let probe = RoutingProbe {
        channel_id: f.chat.id,
        contact: ContactInput {
            email: Some(Email::parse("new@customer.test").unwrap()),
            ..Default::default()
        },
        body: "I want a REFUND please".into(),
        priority: Priority::Normal,
    };
    let routed = f
        .store
        .dry_run_routing(f.ws, &f.actor(&f.admin), probe.clone())
        .await
        .unwrap();
    assert_eq!(routed.explanation["rule_name"], "refunds");
    assert_eq!(routed.explanation["candidates"].as_array().unwrap().len(), 3);
    assert!(routed.explanation["chosen"].is_string());
    assert_eq!(
        f.store.latest_seq(f.ws).await.unwrap(),
        seq,
        "a dry run writes nothing"
    );
    assert!(
        f.store
            .list_contacts(f.ws, None, &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let miss = RoutingProbe {
        body: "hello".into(),
        ..probe
    };
    let routed = f
        .store
        .dry_run_routing(f.ws, &f.actor(&f.admin), miss)
        .await
        .unwrap();
    assert!(routed.rule.is_none());
    assert_eq!(routed.explanation["skipped_rules"][0]["rule_name"], "refunds");
}

pub async fn rule_actions_tag_prioritise_and_hand_to_an_agent(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let urgent = Condition::Message {
        op: rule::ContainsOp::Contains,
        value: "outage".into(),
    };
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "outage",
                vec![urgent],
                vec![
                    RuleAction::AddTag {
                        tag: "incident".into(),
                    },
                    RuleAction::SetPriority {
                        priority: Priority::Urgent,
                    },
                    RuleAction::AssignTeam { team_id: d.team.id },
                ],
            ),
        )
        .await
        .unwrap();
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "bot first",
                vec![],
                vec![RuleAction::AssignAgent {
                    agent_id: f.bot.id,
                    send_initial_message: true,
                }],
            ),
        )
        .await
        .unwrap();
    let c = f.inbound("c1", "Total OUTAGE here").await.view.conversation;
    assert_eq!(c.tags, vec!["incident"]);
    assert_eq!(c.priority, Priority::Urgent);
    assert_eq!(c.team_id, Some(d.team.id));
    assert_eq!(c.assignee_id, None);
    let c2 = f.inbound("c2", "hello").await.view.conversation;
    assert_eq!(c2.agent_session.unwrap().agent_id, f.bot.id);
}

pub async fn business_hours_condition_follows_the_workspace_clock(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    // Open every day of the week all day long except the last minute: "now" is inside.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| hours::DayHours {
            day: (*d).into(),
            open: "00:00".into(),
            close: "23:59".into(),
        })
        .collect();
    let hours = BusinessHours {
        timezone: "UTC".into(),
        days,
    };
    let r = f
        .store
        .set_business_hours(f.ws, &f.actor(&f.alice), Some(hours.clone()))
        .await;
    assert_eq!(code(r), "forbidden");
    f.store
        .set_business_hours(f.ws, &f.actor(&f.admin), Some(hours))
        .await
        .unwrap();
    let after_hours = Condition::BusinessHours {
        op: rule::EqOp::Eq,
        value: false,
    };
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule(
                "night",
                vec![after_hours],
                vec![RuleAction::AddTag { tag: "night".into() }],
            ),
        )
        .await
        .unwrap();
    let c = f.inbound("c1", "hi").await.view.conversation;
    let minute = chrono::Timelike::minute(&chrono::Utc::now());
    let hour = chrono::Timelike::hour(&chrono::Utc::now());
    if !(hour == 23 && minute == 59) {
        assert!(
            c.tags.is_empty(),
            "inside business hours the night rule does not match"
        );
    }
    let bad = BusinessHours {
        timezone: "Nowhere/Land".into(),
        days: vec![],
    };
    assert_eq!(
        code(
            f.store
                .set_business_hours(f.ws, &f.actor(&f.admin), Some(bad))
                .await
        ),
        "invalid_business_hours"
    );
}

/// 10,000 inbound conversations from 8 concurrent ingesters over 10 online
/// agents: every conversation assigned exactly once, counts within one.
pub async fn concurrent_routing_assigns_every_conversation_once_and_evenly(store: Arc<dyn Store>) {
    let f = Arc::new(Fixture::new(store).await);
    let team = f.store.create_team(f.ws, &system(), "Load").await.unwrap();
    let mut agents = Vec::new();
    for i in 0..10 {
        let u = f
            .store
            .create_user(
                f.ws,
                &system(),
                new_user(
                    &format!("load{i}@acme.example.com"),
                    &format!("L{i}"),
                    Role::Agent,
                ),
            )
            .await
            .unwrap();
        f.store
            .add_team_member(f.ws, &system(), team.id, u.id)
            .await
            .unwrap();
        agents.push(u.id);
    }
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: team.id }]),
        )
        .await
        .unwrap();
    const TOTAL: usize = 10_000;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (t..TOTAL).step_by(8) {
                let contact = ContactInput {
                    external_id: Some(format!("load-{i}")),
                    ..Default::default()
                };
                let out = f.store.inbound(f.ws, f.chat.id, contact, "hello").await.unwrap();
                assert!(out.created);
                ids.push((out.view.conversation.id, out.view.conversation.assignee_id));
            }
            ids
        }));
    }
    let mut per_user: HashMap<UserId, usize> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        for (id, assignee) in t.await.unwrap() {
            assert!(seen.insert(id), "conversation created twice");
            *per_user
                .entry(assignee.expect("every conversation assigned"))
                .or_default() += 1;
        }
    }
    assert_eq!(seen.len(), TOTAL);
    let counts: Vec<usize> = agents
        .iter()
        .map(|a| per_user.get(a).copied().unwrap_or(0))
        .collect();
    assert_eq!(counts.iter().sum::<usize>(), TOTAL);
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(max - min <= 1, "counts {counts:?}");
    // Exactly one assignment event per conversation.
    let mut assignments: HashMap<ConversationId, usize> = HashMap::new();
    let mut after = 0;
    loop {
        let batch = f.store.events_after(f.ws, after, 5_000).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for e in batch
            .iter()
            .filter(|e| e.event.kind == EventKind::AssigneeChanged)
        {
            *assignments.entry(e.event.conversation_id.unwrap()).or_default() += 1;
        }
    }
    assert_eq!(assignments.len(), TOTAL);
    assert!(assignments.values().all(|n| *n == 1));
}

pub async fn inbound_view_of_a_new_conversation_is_what_a_read_shows(store: Arc<dyn Store>) {
    let d = desk(store).await;
    let f = &d.f;
    let autopilot = f
        .store
        .create_channel(
            f.ws,
            &system(),
            NewChannel {
                kind: ChannelKind::Api,
                name: "Autopilot".into(),
                autopilot_agent_id: Some(f.bot.id),
                reply_mode: Default::default(),
            },
        )
        .await
        .unwrap();
    // Every handle distinct: a shared one would make them one contact.
    let contact = |who: &str, n: u32| ContactInput {
        email: Some(Email::parse(&format!("{who}@customer.test")).unwrap()),
        name: Some(format!("Customer {who}")),
        phone: Some(format!("+1555010{n:04}")),
        external_id: Some(format!("ext-{who}")),
        ..Default::default()
    };
    let same_as_read = async |channel: ChannelId, who: &str, n: u32, viewer: Option<UserId>| {
        let out = f
            .store
            .inbound_view(f.ws, channel, contact(who, n), "Where is my parcel?", viewer)
            .await
            .unwrap();
        assert!(out.created);
        let read = f
            .store
            .get_conversation(f.ws, viewer, out.view.conversation.id)
            .await
            .unwrap();
        assert_eq!(out.view, read, "{who}");
        out.view
    };
    // No rules: nobody on it.
    let v = same_as_read(f.chat.id, "plain", 1, Some(f.admin.id)).await;
    assert!(v.unread && v.assignee.is_none() && v.team.is_none());
    // A routed one: assignee and team, seen by the assignee and by nobody.
    f.store
        .create_rule(
            f.ws,
            &system(),
            rule("rr", vec![], vec![RuleAction::RoundRobin { team_id: d.team.id }]),
        )
        .await
        .unwrap();
    let v = same_as_read(f.chat.id, "routed", 2, Some(d.agents[0].id)).await;
    assert_eq!(v.assignee.as_ref().map(|u| u.id), Some(d.agents[0].id));
    assert_eq!(v.team.as_ref().map(|t| t.name.as_str()), Some("Tier 1"));
    same_as_read(f.chat.id, "routed-anonymous", 3, None).await;
    // The channel's agent: an AI session, no rules.
    let v = same_as_read(autopilot.id, "autopilot", 4, Some(f.admin.id)).await;
    assert_eq!(v.agent.as_ref().map(|a| a.id), Some(f.bot.id));
}

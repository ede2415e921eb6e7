//! Routing use cases over [`WriteTx`]: rules, routing an inbound
//! conversation, the waiting queue and its draining, dry runs. Each pick and
//! the assignment it leads to happen in the caller's one transaction.

use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use crate::types::*;
use baton_core::directory::*;
use baton_core::routing::pick::{self, Candidate};
use baton_core::routing::timers::{TeamSettings, TimeoutAction};
use baton_core::routing::*;
use baton_core::*;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The routing actor.
pub fn routing_actor() -> Actor {
    Actor::system("routing")
}

fn require_manage(actor: &Actor) -> StoreResult<()> {
    match actor {
        Actor::User { role, .. } if !role.allows(Action::Manage) => {
            Err(DomainError::forbidden(Action::Manage).into())
        }
        _ => Ok(()),
    }
}

/// Check that every id a rule names exists in the workspace (422 otherwise).
async fn check_references(tx: &mut dyn WriteTx, ws: WorkspaceId, input: &RuleInput) -> StoreResult<()> {
    let bad = |m: String| StoreError::invalid("invalid_rule_reference", m);
    for c in &input.conditions {
        if let Condition::Channel { value, .. } = c
            && tx.channel(ws, *value).await?.is_none()
        {
            return Err(bad(format!("channel {value} is not in this workspace")));
        }
    }
    for a in &input.actions {
        match a {
            RuleAction::AssignUser { user_id } if tx.user(ws, *user_id).await?.is_none() => {
                return Err(bad(format!("user {user_id} is not in this workspace")));
            }
            RuleAction::RoundRobin { team_id }
            | RuleAction::Balanced { team_id }
            | RuleAction::AssignTeam { team_id }
                if tx.team(ws, *team_id).await?.is_none() =>
            {
                return Err(bad(format!("team {team_id} is not in this workspace")));
            }
            RuleAction::AssignAgent { agent_id, .. } if tx.agent(ws, *agent_id).await?.is_none() => {
                return Err(bad(format!("AI agent {agent_id} is not in this workspace")));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rewrite positions 0..n in the given order, writing only rules that moved.
async fn renumber(
    tx: &mut dyn WriteTx,
    mut rules: Vec<RoutingRule>,
    now: Timestamp,
) -> StoreResult<Vec<RoutingRule>> {
    for (i, r) in rules.iter_mut().enumerate() {
        if r.position != i as u32 {
            r.position = i as u32;
            r.updated_at = now;
            tx.update_rule(r).await?;
        }
    }
    Ok(rules)
}

fn rule_event(actor: &Actor, now: Timestamp, before: Value, after: Value, id: RuleId, op: &str) -> NewEvent {
    workspace_event(
        EventKind::RoutingRuleChanged,
        actor,
        now,
        before,
        after,
        json!({"rule_id": id, "op": op}),
    )
}

/// The rules in order.
pub async fn list_rules(tx: &mut dyn WriteTx, ws: WorkspaceId) -> StoreResult<Vec<RoutingRule>> {
    let mut rules = tx.routing_rules(ws).await?;
    rules.sort_by_key(|r| (r.position, r.created_at, r.id));
    Ok(rules)
}

/// Create a rule at its position (default last), shifting the others down.
pub async fn create_rule(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    input: RuleInput,
) -> StoreResult<RoutingRule> {
    require_manage(actor)?;
    let name = validate_rule(&input.name, &input.conditions, &input.actions)?;
    check_references(tx, ws, &input).await?;
    let now = tx.now();
    let mut rules = list_rules(tx, ws).await?;
    let at = input
        .position
        .map(|p| p as usize)
        .unwrap_or(rules.len())
        .min(rules.len());
    let rule = RoutingRule {
        id: RuleId::new_v7(),
        workspace_id: ws,
        name,
        enabled: input.enabled,
        position: at as u32,
        conditions: input.conditions,
        actions: input.actions,
        created_at: now,
        updated_at: now,
    };
    tx.insert_rule(&rule).await?;
    rules.insert(at, rule.clone());
    renumber(tx, rules, now).await?;
    let ev = rule_event(actor, now, Value::Null, json!(rule), rule.id, "created");
    tx.append_events(ws, vec![ev]).await?;
    Ok(rule)
}

/// Replace a rule (moving it if its position changed).
pub async fn replace_rule(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: RuleId,
    input: RuleInput,
) -> StoreResult<RoutingRule> {
    require_manage(actor)?;
    let name = validate_rule(&input.name, &input.conditions, &input.actions)?;
    let mut rules = list_rules(tx, ws).await?;
    let idx = rules
        .iter()
        .position(|r| r.id == id)
        .ok_or(StoreError::not_found("routing rule"))?;
    check_references(tx, ws, &input).await?;
    let now = tx.now();
    let before = rules.remove(idx);
    let mut rule = before.clone();
    rule.name = name;
    rule.enabled = input.enabled;
    rule.conditions = input.conditions;
    rule.actions = input.actions;
    rule.updated_at = now;
    let at = input.position.map(|p| p as usize).unwrap_or(idx).min(rules.len());
    rule.position = u32::MAX; // forces the write in renumber
    rules.insert(at, rule);
    let rules = renumber(tx, rules, now).await?;
    let rule = rules[at].clone();
    let ev = rule_event(actor, now, json!(before), json!(rule), id, "replaced");
    tx.append_events(ws, vec![ev]).await?;
    Ok(rule)
}

/// Delete a rule and close the gap.
pub async fn delete_rule(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: RuleId,
) -> StoreResult<()> {
    require_manage(actor)?;
    let rules = list_rules(tx, ws).await?;
    let before = rules
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or(StoreError::not_found("routing rule"))?;
    tx.delete_rule(ws, id).await?;
    let now = tx.now();
    renumber(tx, rules.into_iter().filter(|r| r.id != id).collect(), now).await?;
    let ev = rule_event(actor, now, json!(before), Value::Null, id, "deleted");
    tx.append_events(ws, vec![ev]).await?;
    Ok(())
}

/// Set or clear the workspace's business hours.
pub async fn set_business_hours(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    hours: Option<BusinessHours>,
) -> StoreResult<Option<BusinessHours>> {
    require_manage(actor)?;
    if let Some(h) = &hours {
        h.validate()?;
    }
    let before = tx.business_hours(ws).await?;
    if before != hours {
        tx.set_business_hours(ws, hours.as_ref()).await?;
        let now = tx.now();
        let ev = workspace_event(
            EventKind::WorkspaceUpdated,
            actor,
            now,
            json!({"business_hours": before}),
            json!({"business_hours": hours}),
            json!({"workspace_id": ws}),
        );
        tx.append_events(ws, vec![ev]).await?;
    }
    Ok(hours)
}

/// Candidates loaded for one routing run.
#[derive(Default)]
struct Loaded {
    users: HashMap<UserId, Candidate>,
    teams: HashMap<TeamId, (Vec<Candidate>, Option<UserId>)>,
}

impl Roster for Loaded {
    fn user(&self, id: UserId) -> Option<Candidate> {
        self.users.get(&id).cloned()
    }
    fn team(&self, id: TeamId) -> Option<Vec<Candidate>> {
        self.teams.get(&id).map(|t| t.0.clone())
    }
    fn last_round_robin(&self, team: TeamId) -> Option<UserId> {
        self.teams.get(&team).and_then(|t| t.1)
    }
}

/// Load the candidates of the rules that can apply to `input` (enabled, every
/// condition met): only those are ever asked for.
async fn load_roster(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    rules: &[RoutingRule],
    input: &RoutingInput,
) -> StoreResult<Loaded> {
    let mut loaded = Loaded::default();
    let applicable = rules
        .iter()
        .filter(|r| r.enabled && r.conditions.iter().all(|c| holds(c, input)));
    for a in applicable.flat_map(|r| r.actions.iter()) {
        match a {
            RuleAction::AssignUser { user_id } if !loaded.users.contains_key(user_id) => {
                if let Some(c) = tx.user_candidate(ws, *user_id).await? {
                    loaded.users.insert(*user_id, c);
                }
            }
            RuleAction::RoundRobin { team_id }
            | RuleAction::Balanced { team_id }
            | RuleAction::AssignTeam { team_id }
                if !loaded.teams.contains_key(team_id) =>
            {
                if let Some(t) = tx.team_candidates(ws, *team_id).await? {
                    loaded.teams.insert(*team_id, t);
                }
            }
            _ => {}
        }
    }
    Ok(loaded)
}

/// What routing is told about the incoming message.
struct Incoming<'a> {
    channel_id: ChannelId,
    contact: &'a Contact,
    body: &'a str,
    priority: Priority,
    first_message: bool,
}

async fn routing_input(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: Option<&Conversation>,
    m: Incoming<'_>,
) -> StoreResult<RoutingInput> {
    let in_business_hours = match tx.business_hours(ws).await? {
        Some(h) => h.is_open(tx.now()),
        None => true,
    };
    let (channel_id, contact, body, priority, first_message) =
        (m.channel_id, m.contact, m.body, m.priority, m.first_message);
    Ok(RoutingInput {
        channel_id,
        contact_tags: contact.tags.clone(),
        contact_attributes: contact.attributes.clone(),
        sender_domain: contact.email.as_ref().map(|e| e.domain().to_string()),
        message: body.to_string(),
        first_message,
        priority,
        in_business_hours,
        unassigned: conv.is_none_or(|c| c.assignee_id.is_none()),
        tags: conv.map(|c| c.tags.clone()).unwrap_or_default(),
    })
}

/// What routing an inbound conversation did.
pub struct RouteOutcome {
    /// Every event written; the first, `conversation.routed`, carries why
    /// (the rule, the candidates, the pick) as `data.routing`.
    pub events: Vec<Event>,
    /// The conversation afterwards.
    pub conversation: Conversation,
}

/// Route a conversation that a contact just opened or reopened (`conv`, as
/// this transaction last wrote it): apply the first matching rule, queue it if
/// nobody is eligible, and record the explanation as a `conversation.routed`
/// event.
pub async fn route_conversation(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: Conversation,
    contact: &Contact,
    body: &str,
    first_message: bool,
) -> StoreResult<RouteOutcome> {
    let rules = list_rules(tx, ws).await?;
    // A workspace without rules routes by hand: nothing to explain or record.
    if rules.is_empty() {
        return Ok(RouteOutcome {
            events: Vec::new(),
            conversation: conv,
        });
    }
    let conv_id = conv.id;
    let incoming = Incoming {
        channel_id: conv.channel_id,
        contact,
        body,
        priority: conv.priority,
        first_message,
    };
    let input = routing_input(tx, ws, Some(&conv), incoming).await?;
    let roster = load_roster(tx, ws, &rules, &input).await?;
    let routed = route(&rules, &input, &roster);
    let reason = routed
        .rule
        .as_ref()
        .map(|(_, name)| format!("routing rule {name:?}"));
    let actor = routing_actor();
    // The `conversation.routed` event holds the whole explanation (every
    // candidate); the changes it led to carry its gist and point to it.
    let gist = explanation_gist(&routed.explanation);
    let mut events = record_routed(tx, ws, conv_id, &actor, reason.clone(), routed.explanation).await?;
    let gist = with_source(gist, events.first().map(|e| e.seq));
    let mut conv = conv;
    for cmd in &routed.commands {
        let out = crate::ops::apply_to(
            tx,
            ws,
            &actor,
            &conv,
            cmd,
            reason.clone(),
            Some(("routing", &gist)),
        )
        .await?;
        events.extend(out.events);
        conv = out.conversation;
    }
    if let Some((team, user)) = routed.round_robin_pick {
        tx.set_round_robin_pointer(team, user).await?;
    }
    if let Some((team, mode)) = routed.waiting {
        let now = tx.now();
        tx.enqueue(ws, conv_id, team, mode, now).await?;
    }
    Ok(RouteOutcome {
        events,
        conversation: conv,
    })
}

/// An explanation without its candidate list.
fn explanation_gist(explanation: &Value) -> serde_json::Map<String, Value> {
    let mut gist = serde_json::Map::new();
    if let Value::Object(full) = explanation {
        for (k, v) in full {
            if k != explain::RUNS && k != explain::CANDIDATES && k != "skipped_rules" {
                gist.insert(k.clone(), v.clone());
            }
        }
    }
    gist
}

/// The gist, naming the event that has the whole explanation.
fn with_source(mut gist: serde_json::Map<String, Value>, routed_seq: Option<i64>) -> Value {
    gist.insert("explained_by_seq".into(), json!(routed_seq));
    Value::Object(gist)
}

/// Append a `conversation.routed` event carrying the explanation. The event
/// changes nothing on the conversation itself (the commands that follow it
/// do), so the conversation's version stays.
async fn record_routed(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv_id: ConversationId,
    actor: &Actor,
    reason: Option<String>,
    explanation: Value,
) -> StoreResult<Vec<Event>> {
    let ev = NewEvent {
        kind: EventKind::Routed,
        conversation_id: Some(conv_id),
        actor: actor.clone(),
        at: tx.now(),
        before: Value::Null,
        after: Value::Null,
        reason: reason.or_else(|| Some("no rule matched".into())),
        // Moved in, not copied: `json!` would serialize it again.
        data: Value::Object(serde_json::Map::from_iter([("routing".to_string(), explanation)])),
    };
    tx.append_events(ws, vec![ev]).await
}

/// Assign a team's waiting conversations, oldest first, while someone is
/// eligible. Returns how many were assigned.
pub async fn drain_queue(tx: &mut dyn WriteTx, ws: WorkspaceId, team: TeamId) -> StoreResult<u32> {
    let actor = routing_actor();
    let mut assigned = 0;
    loop {
        let waiting = tx.queued(team, 50).await?;
        if waiting.is_empty() {
            return Ok(assigned);
        }
        for (conv_id, mode) in waiting {
            let Some(conv) = tx.conversation_for_update(ws, conv_id).await? else {
                tx.dequeue(conv_id).await?;
                continue;
            };
            // Someone assigned or closed it meanwhile, or it changed team: no longer waiting.
            if conv.assignee_id.is_some() || conv.status == Status::Closed || conv.team_id != Some(team) {
                tx.dequeue(conv_id).await?;
                continue;
            }
            let Some((members, last)) = tx.team_candidates(ws, team).await? else {
                tx.dequeue(conv_id).await?;
                continue;
            };
            let p = match mode {
                PickMode::RoundRobin => pick::round_robin(&members, last),
                PickMode::Balanced => pick::balanced(&members),
            };
            let Some(user) = p.chosen else {
                return Ok(assigned);
            };
            let explanation = json!({
                "rule_id": null,
                "rule_name": null,
                "action": match mode { PickMode::RoundRobin => "round_robin", PickMode::Balanced => "balanced" },
                "chosen": user,
                explain::RUNS: explain::runs(&p.candidates),
                "queued": false,
                "from_queue": {"team_id": team},
            });
            let cmd = Command::AssignUser { user_id: user };
            let reason = Some("routing queue".to_string());
            crate::ops::apply_annotated(tx, ws, &actor, conv_id, &cmd, reason, Some(&explanation)).await?;
            if mode == PickMode::RoundRobin {
                tx.set_round_robin_pointer(team, user).await?;
            }
            tx.dequeue(conv_id).await?;
            assigned += 1;
        }
    }
}

/// Drain every queue of the teams `user` belongs to (they may have become eligible).
pub async fn drain_for_user(tx: &mut dyn WriteTx, ws: WorkspaceId, user: UserId) -> StoreResult<u32> {
    let mut n = 0;
    for team in tx.user_team_ids(user).await? {
        n += drain_queue(tx, ws, team).await?;
    }
    Ok(n)
}

/// Who would get a hypothetical inbound message, and why; changes nothing.
pub async fn dry_run(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    probe: RoutingProbe,
) -> StoreResult<Routed> {
    require_manage(actor)?;
    tx.channel(ws, probe.channel_id)
        .await?
        .ok_or(StoreError::not_found("channel"))?;
    let found = tx.contacts_by_handles(ws, &probe.contact).await?;
    let existing = found.first().cloned();
    let now = tx.now();
    let contact = match &existing {
        Some(c) => {
            let mut c = c.clone();
            let mut tags = c.tags.clone();
            tags.extend(probe.contact.tags.iter().cloned());
            c.tags = conversation::normalize_tags(&tags);
            for (k, v) in &probe.contact.attributes {
                c.attributes.insert(k.clone(), v.clone());
            }
            c
        }
        None => Contact {
            id: ContactId::new_v7(),
            workspace_id: ws,
            name: probe.contact.name.clone(),
            email: probe.contact.email.clone(),
            phone: probe.contact.phone.clone(),
            external_id: probe.contact.external_id.clone(),
            tags: conversation::normalize_tags(&probe.contact.tags),
            attributes: probe.contact.attributes.clone(),
            created_at: now,
            updated_at: now,
        },
    };
    let first = match &existing {
        Some(c) => tx.contact_incoming_count(c.id).await? == 0,
        None => true,
    };
    let rules = list_rules(tx, ws).await?;
    let incoming = Incoming {
        channel_id: probe.channel_id,
        contact: &contact,
        body: &probe.body,
        priority: probe.priority,
        first_message: first,
    };
    let input = routing_input(tx, ws, None, incoming).await?;
    let roster = load_roster(tx, ws, &rules, &input).await?;
    let mut routed = route(&rules, &input, &roster);
    explain::expand(&mut routed.explanation);
    Ok(routed)
}

/// A team's routing settings.
pub async fn team_settings(tx: &mut dyn WriteTx, ws: WorkspaceId, team: TeamId) -> StoreResult<TeamSettings> {
    tx.team_settings(ws, team)
        .await?
        .ok_or(StoreError::not_found("team"))
}

/// Change a team's routing settings (admins).
pub async fn set_team_settings(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    team: TeamId,
    settings: TeamSettings,
) -> StoreResult<TeamSettings> {
    require_manage(actor)?;
    settings.validate()?;
    let before = team_settings(tx, ws, team).await?;
    if before != settings {
        tx.set_team_settings(team, &settings).await?;
        let now = tx.now();
        let ev = workspace_event(
            EventKind::TeamUpdated,
            actor,
            now,
            json!({"settings": before}),
            json!({"settings": settings}),
            json!({"team_id": team}),
        );
        tx.append_events(ws, vec![ev]).await?;
    }
    Ok(settings)
}

fn timer_actor() -> Actor {
    Actor::system("timer")
}

/// Pick someone eligible in the team other than `except`.
async fn pick_other(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    team: TeamId,
    mode: PickMode,
    except: Option<UserId>,
) -> StoreResult<Option<(UserId, Value)>> {
    let Some((mut members, last)) = tx.team_candidates(ws, team).await? else {
        return Ok(None);
    };
    members.retain(|m| Some(m.user_id) != except);
    let p = match mode {
        PickMode::RoundRobin => pick::round_robin(&members, last),
        PickMode::Balanced => pick::balanced(&members),
    };
    let Some(user) = p.chosen else { return Ok(None) };
    if mode == PickMode::RoundRobin {
        tx.set_round_robin_pointer(team, user).await?;
    }
    let action = match mode {
        PickMode::RoundRobin => "round_robin",
        PickMode::Balanced => "balanced",
    };
    let x = json!({"rule_id": null, "rule_name": null, "action": action, "chosen": user,
                   explain::RUNS: explain::runs(&p.candidates), "queued": false, "excluded": except});
    Ok(Some((user, x)))
}

/// Pick an eligible member of the team (round robin or balanced), moving the
/// round-robin pointer; the explanation says who was considered and why.
pub async fn pick_in_team(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    team: TeamId,
    mode: PickMode,
) -> StoreResult<Option<(UserId, Value)>> {
    pick_other(tx, ws, team, mode, None).await
}

/// Take a conversation from its assignee: straight to another eligible member,
/// or (requeue, or nobody else eligible) back to the team's queue.
async fn take_back(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: ConversationId,
    team: TeamId,
    settings: &TeamSettings,
    reason: String,
    direct: bool,
) -> StoreResult<()> {
    let actor = timer_actor();
    let Some(c) = tx.conversation_for_update(ws, conv).await? else {
        return Ok(());
    };
    let previous = c.assignee_id;
    if direct {
        if let Some((user, x)) = pick_other(tx, ws, team, settings.mode(), previous).await? {
            let cmd = Command::AssignUser { user_id: user };
            crate::ops::apply_annotated(tx, ws, &actor, conv, &cmd, Some(reason), Some(&x)).await?;
        }
        return Ok(());
    }
    crate::ops::apply_annotated(tx, ws, &actor, conv, &Command::UnassignUser, Some(reason), None).await?;
    let now = tx.now();
    tx.enqueue(ws, conv, team, settings.mode(), now).await?;
    if let Some((user, x)) = pick_other(tx, ws, team, settings.mode(), previous).await? {
        let cmd = Command::AssignUser { user_id: user };
        crate::ops::apply_annotated(tx, ws, &actor, conv, &cmd, Some("routing queue".into()), Some(&x))
            .await?;
        tx.dequeue(conv).await?;
    }
    Ok(())
}

/// Fire every reply timer due at `now`. Returns how many conversations moved.
pub async fn run_reply_timers(tx: &mut dyn WriteTx, now: Timestamp) -> StoreResult<u32> {
    let mut moved = 0;
    for (ws, team, settings) in tx.teams_with_reply_timeouts().await? {
        let (Some(cutoff), Some(minutes)) = (settings.reply_cutoff(now), settings.reply_timeout_minutes)
        else {
            continue;
        };
        for conv in tx.overdue_replies(ws, team, cutoff, 200).await? {
            let (reason, direct) = match settings.on_reply_timeout {
                TimeoutAction::Requeue => (
                    format!("no reply within {minutes} min: returned to the queue"),
                    false,
                ),
                TimeoutAction::Reassign => (format!("no reply within {minutes} min: reassigned"), true),
            };
            take_back(tx, ws, conv, team, &settings, reason, direct).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// A member went away or offline: return their open conversations of every
/// team that asks for it to that team's queue (someone else eligible gets them).
pub async fn requeue_when_away(tx: &mut dyn WriteTx, ws: WorkspaceId, user: UserId) -> StoreResult<u32> {
    let mut moved = 0;
    for team in tx.user_team_ids(user).await? {
        let settings = team_settings(tx, ws, team).await?;
        if !settings.requeue_when_away {
            continue;
        }
        for conv in tx.open_assigned_in_team(ws, user, team).await? {
            take_back(tx, ws, conv, team, &settings, "assignee went away".into(), false).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

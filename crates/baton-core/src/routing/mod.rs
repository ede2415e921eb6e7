//! Routing: which rule applies to an inbound conversation and who gets it,
//! decided purely from loaded facts and explained in full.

pub mod explain;
pub mod hours;
pub mod pick;
pub mod rule;
pub mod timers;

pub use hours::BusinessHours;
pub use pick::{Candidate, CandidateNote, Pick};
pub use rule::{Condition, RoutingRule, RuleAction, validate_rule};
pub use timers::{TeamSettings, TimeoutAction};

use crate::command::Command;
use crate::conversation::{Priority, normalize_tags};
use crate::ids::*;
use rule::EqNeqOp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// What routing looks at.
#[derive(Debug, Clone)]
pub struct RoutingInput {
    /// The conversation's channel.
    pub channel_id: ChannelId,
    /// The contact's tags (lower-case).
    pub contact_tags: Vec<String>,
    /// The contact's attributes.
    pub contact_attributes: Map<String, Value>,
    /// The contact's email domain, if any (lower-case).
    pub sender_domain: Option<String>,
    /// The message that triggered routing.
    pub message: String,
    /// The contact has never written before.
    pub first_message: bool,
    /// The conversation's priority.
    pub priority: Priority,
    /// Inside business hours now.
    pub in_business_hours: bool,
    /// The conversation has no assignee.
    pub unassigned: bool,
    /// The conversation's current tags.
    pub tags: Vec<String>,
}

/// The people and teams routing may pick from, loaded by the store.
pub trait Roster {
    /// A user as a candidate for a specific-user action (`member` true).
    fn user(&self, id: UserId) -> Option<Candidate>;
    /// A team's members as candidates, or `None` if the team is unknown.
    fn team(&self, id: TeamId) -> Option<Vec<Candidate>>;
    /// Whom the team's round robin picked last.
    fn last_round_robin(&self, team: TeamId) -> Option<UserId>;
}

/// How a waiting conversation will be picked when someone becomes eligible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickMode {
    /// Round robin.
    RoundRobin,
    /// Balanced load.
    Balanced,
}

/// The outcome of routing.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    /// The rule applied, if any matched.
    pub rule: Option<(RuleId, String)>,
    /// Commands to apply, in order, as the routing actor.
    pub commands: Vec<Command>,
    /// A user picked from a team by round robin: advance that team's pointer.
    pub round_robin_pick: Option<(TeamId, UserId)>,
    /// Nobody was eligible: the conversation waits for this team.
    pub waiting: Option<(TeamId, PickMode)>,
    /// The explanation stored with the events, candidates as runs
    /// ([`explain::expand`] gives the list the timeline shows).
    pub explanation: Value,
}

/// Does a condition hold? `Err` says why not, in words, for the explanation.
pub fn check(c: &Condition, input: &RoutingInput) -> Result<(), String> {
    if holds(c, input) { Ok(()) } else { Err(why_not(c)) }
}

/// Why a condition that does not hold failed, as the timeline shows it.
/// Built only for rules that are skipped, and cheaply: every inbound message
/// meets every rule above the one that applies.
fn why_not(c: &Condition) -> String {
    let is = |yes: bool, when: &str, otherwise: &str| (if yes { when } else { otherwise }).to_string();
    match c {
        Condition::Channel { value, .. } => format!("channel is not {value}"),
        Condition::ContactTag { value, .. } => format!("contact has no tag {:?}", value.trim()),
        Condition::ContactAttribute { key, op, value } => match op {
            EqNeqOp::Eq => format!("contact attribute {key:?} is not {value}"),
            EqNeqOp::Neq => format!("contact attribute {key:?} is {value}"),
        },
        Condition::SenderDomain { value, .. } => format!("sender domain is not {:?}", value.trim()),
        Condition::Message { value, .. } => format!("message does not contain {:?}", value.trim()),
        Condition::FirstMessage { value, .. } => is(
            *value,
            "not the contact's first message",
            "the contact's first message",
        ),
        Condition::Priority { value, .. } => format!("priority is not {}", value.as_str()),
        Condition::BusinessHours { value, .. } => {
            is(*value, "outside business hours", "inside business hours")
        }
        Condition::Unassigned { value, .. } => is(
            *value,
            "the conversation is assigned",
            "the conversation is unassigned",
        ),
    }
}

/// Whether a condition holds for an incoming message (without the reason).
pub fn holds(c: &Condition, input: &RoutingInput) -> bool {
    match c {
        Condition::Channel { value, .. } => input.channel_id == *value,
        Condition::ContactTag { value, .. } => input
            .contact_tags
            .iter()
            .any(|t| t.eq_ignore_ascii_case(value.trim())),
        Condition::ContactAttribute { key, op, value } => {
            let eq = input.contact_attributes.get(key) == Some(value);
            match op {
                EqNeqOp::Eq => eq,
                EqNeqOp::Neq => !eq,
            }
        }
        Condition::SenderDomain { value, .. } => input
            .sender_domain
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(value.trim())),
        Condition::Message { value, .. } => input
            .message
            .to_lowercase()
            .contains(&value.trim().to_lowercase()),
        Condition::FirstMessage { value, .. } => input.first_message == *value,
        Condition::Priority { value, .. } => input.priority == *value,
        Condition::BusinessHours { value, .. } => input.in_business_hours == *value,
        Condition::Unassigned { value, .. } => input.unassigned == *value,
    }
}

/// Evaluate the rules top to bottom: the first enabled rule whose conditions
/// all hold is applied. A rule whose `assign_user` names someone not eligible
/// falls through to the next rule.
pub fn route(rules: &[RoutingRule], input: &RoutingInput, roster: &dyn Roster) -> Routed {
    let mut ordered: Vec<&RoutingRule> = rules.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.created_at, r.id));
    let mut skipped: Vec<Value> = Vec::new();
    for rule in ordered {
        let skip = |skipped: &mut Vec<Value>, reason: String| {
            skipped.push(json!({"rule_id": rule.id, "rule_name": rule.name, "reason": reason}));
        };
        if !rule.enabled {
            skip(&mut skipped, "disabled".into());
            continue;
        }
        if let Some(why) = rule.conditions.iter().find_map(|c| check(c, input).err()) {
            skip(&mut skipped, why);
            continue;
        }
        match apply_rule(rule, input, roster) {
            Ok(mut routed) => {
                routed.explanation["skipped_rules"] = Value::Array(skipped);
                return routed;
            }
            Err(why) => skip(&mut skipped, why),
        }
    }
    Routed {
        rule: None,
        commands: Vec::new(),
        round_robin_pick: None,
        waiting: None,
        explanation: json!({"rule_id": null, "rule_name": null, "action": null, "chosen": null,
                            explain::RUNS: [], "skipped_rules": skipped, "queued": false}),
    }
}

fn apply_rule(rule: &RoutingRule, input: &RoutingInput, roster: &dyn Roster) -> Result<Routed, String> {
    let mut commands = Vec::new();
    let mut pick_action: Option<&'static str> = None;
    let mut pick: Option<Pick> = None;
    let mut rr = None;
    let mut waiting = None;
    let mut tags = input.tags.clone();
    for action in &rule.actions {
        match action {
            RuleAction::AssignUser { user_id } => {
                let Some(c) = roster.user(*user_id) else {
                    return Err(format!("assign_user: user {user_id} is not in the workspace"));
                };
                let p = pick::pick_user(&c);
                if p.chosen.is_none() {
                    let reason = p.candidates.first().map(|n| n.reason.clone()).unwrap_or_default();
                    return Err(format!("assign_user: {user_id} is not eligible ({reason})"));
                }
                commands.push(Command::AssignUser { user_id: *user_id });
                pick_action = Some("assign_user");
                pick = Some(p);
            }
            RuleAction::RoundRobin { team_id } | RuleAction::Balanced { team_id } => {
                let Some(members) = roster.team(*team_id) else {
                    return Err(format!("{}: team {team_id} no longer exists", action.name()));
                };
                let (p, mode) = match action {
                    RuleAction::RoundRobin { .. } => (
                        pick::round_robin(&members, roster.last_round_robin(*team_id)),
                        PickMode::RoundRobin,
                    ),
                    _ => (pick::balanced(&members), PickMode::Balanced),
                };
                // The conversation belongs to the team either way: it waits in its queue.
                commands.push(Command::AssignTeam { team_id: *team_id });
                match p.chosen {
                    Some(u) => {
                        commands.push(Command::AssignUser { user_id: u });
                        if mode == PickMode::RoundRobin {
                            rr = Some((*team_id, u));
                        }
                    }
                    None => waiting = Some((*team_id, mode)),
                }
                pick_action = Some(action.name());
                pick = Some(p);
            }
            RuleAction::AssignTeam { team_id } => {
                if roster.team(*team_id).is_none() {
                    return Err(format!("assign_team: team {team_id} no longer exists"));
                }
                commands.push(Command::AssignTeam { team_id: *team_id });
            }
            RuleAction::AssignAgent {
                agent_id,
                send_initial_message,
            } => {
                commands.push(Command::AssignAgent {
                    agent_id: *agent_id,
                    send_initial_message: *send_initial_message,
                });
                pick_action.get_or_insert("assign_agent");
            }
            RuleAction::AddTag { tag } => {
                tags.push(tag.clone());
                commands.push(Command::SetTags {
                    tags: normalize_tags(&tags),
                });
            }
            RuleAction::SetPriority { priority } => {
                commands.push(Command::SetPriority { priority: *priority })
            }
            RuleAction::Stop => {}
        }
    }
    let chosen = pick.as_ref().and_then(|p| p.chosen);
    let mut explanation = json!({
        "rule_id": rule.id,
        "rule_name": rule.name,
        "action": pick_action.or_else(|| rule.actions.first().map(|a| a.name())),
        "chosen": chosen,
        "queued": waiting.is_some(),
    });
    // Moved in: `json!` would copy the candidate list by serializing it again.
    explanation[explain::RUNS] = explain::runs(pick.as_ref().map_or(&[], |p| &p.candidates));
    Ok(Routed {
        rule: Some((rule.id, rule.name.clone())),
        commands,
        round_robin_pick: rr,
        waiting,
        explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nobody;
    impl Roster for Nobody {
        fn user(&self, _: UserId) -> Option<Candidate> {
            None
        }
        fn team(&self, _: TeamId) -> Option<Vec<Candidate>> {
            None
        }
        fn last_round_robin(&self, _: TeamId) -> Option<UserId> {
            None
        }
    }

    fn input() -> RoutingInput {
        RoutingInput {
            channel_id: ChannelId::new_v7(),
            contact_tags: vec![],
            contact_attributes: Map::new(),
            sender_domain: Some("example.com".into()),
            message: "Where is my order?".into(),
            first_message: true,
            priority: Priority::Normal,
            in_business_hours: true,
            unassigned: true,
            tags: vec![],
        }
    }

    fn rule(position: u32, conditions: Value) -> RoutingRule {
        let now = chrono::Utc::now();
        RoutingRule {
            id: RuleId::new_v7(),
            workspace_id: WorkspaceId::new_v7(),
            name: format!("rule {position}"),
            enabled: true,
            position,
            conditions: serde_json::from_value(conditions).unwrap(),
            actions: vec![RuleAction::AddTag { tag: "routed".into() }],
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn skipped_rules_say_in_words_which_condition_failed() {
        let rules = vec![
            rule(
                0,
                json!([{"field": "message", "op": "contains", "value": "refund"}]),
            ),
            rule(
                1,
                json!([{"field": "message", "op": "contains", "value": "order"},
                           {"field": "contact.tag", "op": "has", "value": " VIP "}]),
            ),
            rule(
                2,
                json!([{"field": "contact.attribute", "key": "plan", "op": "eq", "value": "gold"}]),
            ),
            rule(
                3,
                json!([{"field": "sender_domain", "op": "eq", "value": "acme.com"}]),
            ),
            rule(4, json!([{"field": "first_message", "op": "eq", "value": false}])),
            rule(5, json!([{"field": "priority", "op": "eq", "value": "urgent"}])),
            rule(
                6,
                json!([{"field": "business_hours", "op": "eq", "value": false}]),
            ),
            rule(7, json!([{"field": "unassigned", "op": "eq", "value": false}])),
            rule(8, json!([])),
        ];
        let routed = route(&rules, &input(), &Nobody);
        assert_eq!(routed.rule.map(|r| r.1), Some("rule 8".to_string()));
        let reasons: Vec<&str> = routed.explanation["skipped_rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            [
                "message does not contain \"refund\"",
                "contact has no tag \"VIP\"",
                "contact attribute \"plan\" is not \"gold\"",
                "sender domain is not \"acme.com\"",
                "the contact's first message",
                "priority is not urgent",
                "inside business hours",
                "the conversation is unassigned",
            ]
        );
    }
}

//! Routing rules: an ordered list per workspace; conditions that must all hold
//! and actions applied when they do.

use crate::conversation::Priority;
use crate::error::DomainError;
use crate::ids::*;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `eq`, the only operator of most fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqOp {
    /// Equal.
    Eq,
}

/// `eq` or `neq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EqNeqOp {
    /// Equal.
    Eq,
    /// Not equal (a missing attribute is not equal).
    Neq,
}

/// `has`, for sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HasOp {
    /// The set contains the value.
    Has,
}

/// `contains`, for text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainsOp {
    /// Case-insensitive substring.
    Contains,
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", deny_unknown_fields)]
pub enum Condition {
    /// The conversation's channel.
    #[serde(rename = "channel")]
    Channel {
        /// Operator.
        op: EqOp,
        /// The channel.
        value: ChannelId,
    },
    /// A tag of the contact.
    #[serde(rename = "contact.tag")]
    ContactTag {
        /// Operator.
        op: HasOp,
        /// The tag (case-insensitive).
        value: String,
    },
    /// An attribute of the contact.
    #[serde(rename = "contact.attribute")]
    ContactAttribute {
        /// Attribute name.
        key: String,
        /// Operator.
        op: EqNeqOp,
        /// JSON value compared exactly.
        value: Value,
    },
    /// The domain of the contact's email.
    #[serde(rename = "sender_domain")]
    SenderDomain {
        /// Operator.
        op: EqOp,
        /// Domain (case-insensitive).
        value: String,
    },
    /// Words in the message.
    #[serde(rename = "message")]
    Message {
        /// Operator.
        op: ContainsOp,
        /// Text to find (case-insensitive).
        value: String,
    },
    /// Whether this is the contact's first conversation message ever.
    #[serde(rename = "first_message")]
    FirstMessage {
        /// Operator.
        op: EqOp,
        /// Expected.
        value: bool,
    },
    /// The conversation's priority.
    #[serde(rename = "priority")]
    Priority {
        /// Operator.
        op: EqOp,
        /// Expected.
        value: Priority,
    },
    /// Inside the workspace's business hours.
    #[serde(rename = "business_hours")]
    BusinessHours {
        /// Operator.
        op: EqOp,
        /// Expected.
        value: bool,
    },
    /// The conversation has no assignee.
    #[serde(rename = "unassigned")]
    Unassigned {
        /// Operator.
        op: EqOp,
        /// Expected.
        value: bool,
    },
}

/// One action of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// Assign this user (falls through to the next rule if not eligible).
    AssignUser {
        /// The user.
        user_id: UserId,
    },
    /// Round robin within the team (`pick_default_assignee`).
    RoundRobin {
        /// The team.
        team_id: TeamId,
    },
    /// Fewest open conversations within the team.
    Balanced {
        /// The team.
        team_id: TeamId,
    },
    /// Set the team.
    AssignTeam {
        /// The team.
        team_id: TeamId,
    },
    /// Start an AI agent session.
    AssignAgent {
        /// The agent.
        agent_id: AgentId,
        /// Whether the agent speaks first.
        #[serde(default)]
        send_initial_message: bool,
    },
    /// Add a tag.
    AddTag {
        /// The tag.
        tag: String,
    },
    /// Set the priority.
    SetPriority {
        /// The priority.
        priority: Priority,
    },
    /// Stop evaluating (accepted; changes nothing, since the first match stops anyway).
    Stop,
}

impl RuleAction {
    /// The action's type word.
    pub fn name(&self) -> &'static str {
        match self {
            RuleAction::AssignUser { .. } => "assign_user",
            RuleAction::RoundRobin { .. } => "round_robin",
            RuleAction::Balanced { .. } => "balanced",
            RuleAction::AssignTeam { .. } => "assign_team",
            RuleAction::AssignAgent { .. } => "assign_agent",
            RuleAction::AddTag { .. } => "add_tag",
            RuleAction::SetPriority { .. } => "set_priority",
            RuleAction::Stop => "stop",
        }
    }

    /// Does this action pick a human assignee?
    pub fn picks_user(&self) -> bool {
        matches!(
            self,
            RuleAction::AssignUser { .. } | RuleAction::RoundRobin { .. } | RuleAction::Balanced { .. }
        )
    }
}

/// A stored routing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// The rule.
    pub id: RuleId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Display name.
    pub name: String,
    /// Disabled rules are skipped.
    pub enabled: bool,
    /// Place in the list, 0 first.
    pub position: u32,
    /// All must hold (none: always matches).
    pub conditions: Vec<Condition>,
    /// Applied in order.
    pub actions: Vec<RuleAction>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Check a rule's shape (references are checked by the store). Refusals are 422s.
pub fn validate_rule(
    name: &str,
    conditions: &[Condition],
    actions: &[RuleAction],
) -> Result<String, DomainError> {
    let name = crate::directory::parse_name(name, "rule name")?;
    let empty =
        |what: &str| DomainError::invalid("invalid_condition", format!("the {what} condition needs a value"));
    for c in conditions {
        match c {
            Condition::ContactTag { value, .. } if value.trim().is_empty() => {
                return Err(empty("contact.tag"));
            }
            Condition::ContactAttribute { key, .. } if key.trim().is_empty() => {
                return Err(DomainError::invalid(
                    "invalid_condition",
                    "the contact.attribute condition needs a key",
                ));
            }
            Condition::SenderDomain { value, .. } if !value.contains('.') || value.contains('@') => {
                return Err(DomainError::invalid(
                    "invalid_condition",
                    format!("{value:?} is not an email domain (like example.com)"),
                ));
            }
            Condition::Message { value, .. } if value.trim().is_empty() => return Err(empty("message")),
            _ => {}
        }
    }
    if actions.is_empty() {
        return Err(DomainError::invalid(
            "invalid_actions",
            "a rule needs at least one action",
        ));
    }
    if actions.iter().filter(|a| a.picks_user()).count() > 1 {
        return Err(DomainError::invalid(
            "invalid_actions",
            "a rule may pick an assignee once (assign_user, round_robin or balanced)",
        ));
    }
    for a in actions {
        if let RuleAction::AddTag { tag } = a
            && (tag.trim().is_empty() || tag.chars().count() > 64)
        {
            return Err(DomainError::invalid(
                "invalid_actions",
                "add_tag needs a tag of 1 to 64 characters",
            ));
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_shaped_rule_parses() {
        let c: Vec<Condition> = serde_json::from_value(json!([
            {"field": "contact.attribute", "key": "vip", "op": "eq", "value": true},
            {"field": "message", "op": "contains", "value": "refund"},
            {"field": "business_hours", "op": "eq", "value": false}
        ]))
        .unwrap();
        assert_eq!(c.len(), 3);
        let a: Vec<RuleAction> = serde_json::from_value(json!([
            {"type": "assign_user", "user_id": "0190a6b1-0000-7000-8000-000000000001"},
            {"type": "stop"}
        ]))
        .unwrap();
        assert_eq!(a[1], RuleAction::Stop);
    }

    #[test]
    fn unknown_fields_and_ops_are_refused() {
        assert!(
            serde_json::from_value::<Condition>(json!({"field": "weather", "op": "eq", "value": 1})).is_err()
        );
        assert!(
            serde_json::from_value::<Condition>(json!({"field": "message", "op": "eq", "value": "x"}))
                .is_err()
        );
        assert!(serde_json::from_value::<RuleAction>(json!({"type": "assign_user"})).is_err());
    }

    #[test]
    fn empty_conditions_and_double_picks_are_invalid() {
        let tag = Condition::ContactTag {
            op: HasOp::Has,
            value: " ".into(),
        };
        assert!(validate_rule("r", &[tag], &[RuleAction::Stop]).is_err());
        assert!(validate_rule("r", &[], &[]).is_err());
        let t = TeamId::new_v7();
        let two = [
            RuleAction::RoundRobin { team_id: t },
            RuleAction::Balanced { team_id: t },
        ];
        assert!(validate_rule("r", &[], &two).is_err());
        assert!(validate_rule("catch-all", &[], &[RuleAction::RoundRobin { team_id: t }]).is_ok());
    }
}

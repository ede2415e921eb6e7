//! Notifications: who is told about what (the trigger rules), the user's
//! preferences per kind and medium, and the retry schedule of deliveries.
//! Pure: the store feeds in the events of one transaction and the facts they
//! need, and writes what comes out in that same transaction.

use crate::actor::Actor;
use crate::conversation::{Conversation, SessionEndReason};
use crate::event::{EventKind, NewEvent};
use crate::ids::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a user is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A conversation was assigned to them by someone else or by routing.
    Assigned,
    /// Their team was given a conversation (opt-in).
    TeamAssigned,
    /// They were @mentioned in a note.
    Mentioned,
    /// The contact wrote into a conversation they own.
    ContactReplied,
    /// An AI agent handed a conversation to them.
    HandedOff,
    /// A webhook they created kept failing and was disabled.
    WebhookDisabled,
}

impl NotificationKind {
    /// Every kind, in display order.
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::Assigned,
        NotificationKind::TeamAssigned,
        NotificationKind::Mentioned,
        NotificationKind::ContactReplied,
        NotificationKind::HandedOff,
        NotificationKind::WebhookDisabled,
    ];

    /// The snake_case name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "assigned",
            NotificationKind::TeamAssigned => "team_assigned",
            NotificationKind::Mentioned => "mentioned",
            NotificationKind::ContactReplied => "contact_replied",
            NotificationKind::HandedOff => "handed_off",
            NotificationKind::WebhookDisabled => "webhook_disabled",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A one-line title for people.
    pub fn title(self) -> &'static str {
        match self {
            NotificationKind::Assigned => "A conversation was assigned to you",
            NotificationKind::TeamAssigned => "Your team was given a conversation",
            NotificationKind::Mentioned => "You were mentioned in a note",
            NotificationKind::ContactReplied => "The contact wrote in a conversation you own",
            NotificationKind::HandedOff => "An AI agent handed a conversation to you",
            NotificationKind::WebhookDisabled => "A webhook was disabled after repeated failures",
        }
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// The list in the app and the header counter.
    InApp,
    /// An email over SMTP.
    Email,
    /// A Slack direct message.
    Slack,
}

impl Medium {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::InApp => "in_app",
            Medium::Email => "email",
            Medium::Slack => "slack",
        }
    }
}

/// Which media one kind goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// In the app.
    pub in_app: bool,
    /// By email.
    pub email: bool,
    /// By Slack DM (only when a Slack member id is set).
    pub slack: bool,
}

impl Media {
    /// Does this set include `m`?
    pub fn has(&self, m: Medium) -> bool {
        match m {
            Medium::InApp => self.in_app,
            Medium::Email => self.email,
            Medium::Slack => self.slack,
        }
    }
}

/// A user's notification preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// The user's Slack member id (e.g. `U012AB3CD`); Slack DMs need it.
    #[serde(default)]
    pub slack_member_id: Option<String>,
    /// Media per kind; a kind left out takes its default.
    #[serde(default)]
    pub kinds: BTreeMap<NotificationKind, Media>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            slack_member_id: None,
            kinds: NotificationKind::ALL
                .into_iter()
                .map(|k| (k, Self::default_media(k)))
                .collect(),
        }
    }
}

impl Preferences {
    /// The defaults: in-app for everything but team assignments, email for
    /// what is directly yours (assignment, mention, hand-off), Slack for the
    /// same once a member id is set.
    pub fn default_media(kind: NotificationKind) -> Media {
        use NotificationKind::*;
        match kind {
            TeamAssigned => Media {
                in_app: false,
                email: false,
                slack: false,
            },
            Assigned | Mentioned | HandedOff => Media {
                in_app: true,
                email: true,
                slack: true,
            },
            ContactReplied | WebhookDisabled => Media {
                in_app: true,
                email: false,
                slack: false,
            },
        }
    }

    /// Fill in every kind left out with its default, and drop an empty member id.
    pub fn completed(mut self) -> Self {
        for k in NotificationKind::ALL {
            self.kinds.entry(k).or_insert_with(|| Self::default_media(k));
        }
        self.slack_member_id = self
            .slack_member_id
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        self
    }

    /// Does the user want `kind` over any medium?
    pub fn wants_any(&self, kind: NotificationKind) -> bool {
        [Medium::InApp, Medium::Email, Medium::Slack]
            .into_iter()
            .any(|m| self.wants(kind, m))
    }

    /// Does the user want `kind` over `medium`? Slack also needs a member id.
    pub fn wants(&self, kind: NotificationKind, medium: Medium) -> bool {
        if medium == Medium::Slack && self.slack_member_id.is_none() {
            return false;
        }
        self.kinds
            .get(&kind)
            .copied()
            .unwrap_or_else(|| Self::default_media(kind))
            .has(medium)
    }

    /// Check a member id looks like Slack's (`U…`/`W…`, letters and digits).
    pub fn validate(&self) -> Result<(), crate::error::DomainError> {
        if let Some(id) = &self.slack_member_id {
            let ok = id.len() <= 32
                && id.len() >= 2
                && (id.starts_with('U') || id.starts_with('W'))
                && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !ok {
                return Err(crate::error::DomainError::invalid(
                    "invalid_slack_member_id",
                    "slack_member_id must look like U012AB3CD",
                ));
            }
        }
        Ok(())
    }
}

/// One user to notify, for one event of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Who.
    pub user_id: UserId,
    /// Why.
    pub kind: NotificationKind,
    /// Which event of the batch caused it.
    pub event_index: usize,
}

fn user_at(v: &Value, key: &str) -> Option<UserId> {
    v.get(key)?.as_str()?.parse().ok()
}

fn team_at(v: &Value, key: &str) -> Option<TeamId> {
    v.get(key)?.as_str()?.parse().ok()
}

/// Is this assignment the second step of an AI hand-off (routing picking a
/// person after the agent let go, in a later command of the same write)? The
/// hand-off step marks it in its reason (`AI handoff: …`), its explanation
/// (`handoff_reason`) or its actor (`agent handoff`).
fn is_handoff(e: &NewEvent) -> bool {
    let marked = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("handoff") || s.contains("hand-off") || s.contains("hand off") || s.contains("handed off")
    };
    e.reason.as_deref().is_some_and(marked)
        || matches!(&e.actor, Actor::System { name } if marked(name))
        || e.data.pointer("/routing/handoff_reason").is_some()
        || e.data.get("handoff_reason").is_some()
}

/// The team a batch assigns, if any (the store then loads its members).
pub fn assigned_team(events: &[NewEvent]) -> Option<TeamId> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::TeamChanged)
        .find_map(|e| team_at(&e.after, "team_id"))
}

/// Who to notify about the events one command wrote (`conv` is the state
/// after them; `team_members` the members of the team the batch assigned, see
/// [`assigned_team`]). Nobody is told about their own doing; unassignment and
/// taking over notify no one. Whether a user is active and what they opted
/// into is the store's to check.
pub fn triggers(events: &[NewEvent], conv: &Conversation, team_members: &[UserId]) -> Vec<Trigger> {
    let handed_off = events.iter().any(|e| {
        e.kind == EventKind::SessionEnded && e.reason.as_deref() == Some(SessionEndReason::HandedOff.as_str())
    });
    let mut out: Vec<Trigger> = Vec::new();
    let mut push = |user_id: UserId, kind: NotificationKind, event_index: usize, actor: &Actor| {
        if actor.user_id() == Some(user_id) {
            return;
        }
        if !out.iter().any(|t| t.user_id == user_id && t.kind == kind) {
            out.push(Trigger {
                user_id,
                kind,
                event_index,
            });
        }
    };
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::AssigneeChanged => {
                if let Some(u) = user_at(&e.after, "assignee_id") {
                    let by_ai = matches!(e.actor, Actor::Agent { .. }) || handed_off || is_handoff(e);
                    let kind = if by_ai {
                        NotificationKind::HandedOff
                    } else {
                        NotificationKind::Assigned
                    };
                    push(u, kind, i, &e.actor);
                }
            }
            EventKind::TeamChanged if team_at(&e.after, "team_id").is_some() => {
                for u in team_members {
                    push(*u, NotificationKind::TeamAssigned, i, &e.actor);
                }
            }
            EventKind::Mentioned => {
                if let Some(u) = user_at(&e.data, "user_id") {
                    push(u, NotificationKind::Mentioned, i, &e.actor);
                }
            }
            EventKind::MessageCreated if matches!(e.actor, Actor::Contact { .. }) => {
                if let Some(u) = conv.assignee_id {
                    push(u, NotificationKind::ContactReplied, i, &e.actor);
                }
            }
            _ => {}
        }
    }
    out
}

/// How long to wait before attempt `attempts + 1`, after `attempts` failed
/// ones: 30 s doubling each time, capped at six hours.
pub fn backoff_seconds(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(20);
    (30_i64 << exp).min(6 * 3600)
}

/// Attempts after which a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// Consecutive failed deliveries after which a webhook is disabled.
pub const WEBHOOK_DISABLE_AFTER: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Status;
    use crate::role::Role;
    use crate::time::Timestamp;
    use serde_json::json;

    fn uid(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    fn conv(assignee: Option<UserId>) -> Conversation {
        let z = uuid::Uuid::from_u128(99);
        let now = Timestamp::default();
        let mut c = crate::decide::create_conversation(
            ConversationId(z),
            WorkspaceId(z),
            ChannelId(z),
            ContactId(z),
            &Actor::system("t"),
            now,
        )
        .conversation;
        c.assignee_id = assignee;
        c.status = Status::Open;
        c
    }

    fn ev(kind: EventKind, actor: Actor, after: Value, data: Value, reason: Option<&str>) -> NewEvent {
        NewEvent {
            kind,
            conversation_id: None,
            actor,
            at: Timestamp::default(),
            before: Value::Null,
            after,
            reason: reason.map(str::to_string),
            data,
        }
    }

    fn user(n: u128) -> Actor {
        Actor::User {
            id: uid(n),
            role: Role::Agent,
        }
    }

    fn assign(actor: Actor, to: Option<UserId>) -> NewEvent {
        ev(
            EventKind::AssigneeChanged,
            actor,
            json!({"assignee_id": to}),
            Value::Null,
            None,
        )
    }

    #[test]
    fn assignment_by_someone_else_notifies_the_assignee() {
        let t = triggers(&[assign(user(1), Some(uid(2)))], &conv(Some(uid(2))), &[]);
        assert_eq!(
            t,
            vec![Trigger {
                user_id: uid(2),
                kind: NotificationKind::Assigned,
                event_index: 0
            }]
        );
    }

    #[test]
    fn assignment_by_routing_notifies_the_assignee() {
        let t = triggers(
            &[assign(Actor::system("routing"), Some(uid(2)))],
            &conv(None),
            &[],
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].kind, NotificationKind::Assigned);
    }

    #[test]
    fn self_assignment_notifies_no_one() {
        assert!(triggers(&[assign(user(2), Some(uid(2)))], &conv(None), &[]).is_empty());
    }

    #[test]
    fn unassignment_notifies_no_one() {
        assert!(triggers(&[assign(user(1), None)], &conv(None), &[]).is_empty());
    }

    #[test]
    fn handoff_by_an_ai_agent_is_its_own_kind() {
        let ended = ev(
            EventKind::SessionEnded,
            Actor::Agent {
                id: AgentId(uuid::Uuid::from_u128(7)),
            },
            Value::Null,
            Value::Null,
            Some("handed_off"),
        );
        let t = triggers(
            &[ended, assign(Actor::system("routing"), Some(uid(3)))],
            &conv(None),
            &[],
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].kind, NotificationKind::HandedOff);
        assert_eq!(t[0].event_index, 1);
        let direct = assign(
            Actor::Agent {
                id: AgentId(uuid::Uuid::from_u128(7)),
            },
            Some(uid(3)),
        );
        assert_eq!(
            triggers(&[direct], &conv(None), &[])[0].kind,
            NotificationKind::HandedOff
        );
    }

    #[test]
    fn team_assignment_notifies_members_but_not_the_actor() {
        let e = ev(
            EventKind::TeamChanged,
            user(1),
            json!({"team_id": TeamId(uuid::Uuid::from_u128(5))}),
            Value::Null,
            None,
        );
        let t = triggers(&[e], &conv(None), &[uid(1), uid(2), uid(3)]);
        let who: Vec<_> = t.iter().map(|t| t.user_id).collect();
        assert_eq!(who, vec![uid(2), uid(3)]);
        assert!(t.iter().all(|t| t.kind == NotificationKind::TeamAssigned));
    }

    #[test]
    fn team_unassignment_notifies_no_one() {
        let e = ev(
            EventKind::TeamChanged,
            user(1),
            json!({"team_id": null}),
            Value::Null,
            None,
        );
        assert!(triggers(&[e], &conv(None), &[uid(2)]).is_empty());
    }

    #[test]
    fn mention_notifies_the_mentioned_user_not_the_author() {
        let m = |who| {
            ev(
                EventKind::Mentioned,
                user(1),
                Value::Null,
                json!({"user_id": uid(who)}),
                None,
            )
        };
        let t = triggers(&[m(2), m(1)], &conv(None), &[]);
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].user_id, t[0].kind), (uid(2), NotificationKind::Mentioned));
    }

    #[test]
    fn contact_message_notifies_the_owner() {
        let contact = Actor::Contact {
            id: ContactId(uuid::Uuid::from_u128(9)),
        };
        let m = ev(EventKind::MessageCreated, contact, Value::Null, Value::Null, None);
        let t = triggers(std::slice::from_ref(&m), &conv(Some(uid(4))), &[]);
        assert_eq!(
            (t[0].user_id, t[0].kind),
            (uid(4), NotificationKind::ContactReplied)
        );
        assert!(triggers(&[m], &conv(None), &[]).is_empty());
    }

    #[test]
    fn a_users_own_message_notifies_no_one() {
        let m = ev(EventKind::MessageCreated, user(4), Value::Null, Value::Null, None);
        assert!(triggers(&[m], &conv(Some(uid(4))), &[]).is_empty());
    }

    #[test]
    fn default_preferences_follow_the_product_defaults() {
        let p = Preferences::default();
        assert!(p.wants(NotificationKind::Assigned, Medium::InApp));
        assert!(p.wants(NotificationKind::Assigned, Medium::Email));
        assert!(p.wants(NotificationKind::Mentioned, Medium::Email));
        assert!(
            !p.wants(NotificationKind::Assigned, Medium::Slack),
            "no member id"
        );
        assert!(!p.wants(NotificationKind::TeamAssigned, Medium::InApp));
        let with_slack = Preferences {
            slack_member_id: Some("U123".into()),
            ..Preferences::default()
        };
        assert!(with_slack.wants(NotificationKind::Assigned, Medium::Slack));
    }

    #[test]
    fn preferences_fill_in_missing_kinds_and_validate_member_ids() {
        let p: Preferences = serde_json::from_value(json!({
            "kinds": {"assigned": {"in_app": true, "email": false, "slack": false}}
        }))
        .unwrap();
        let p = p.completed();
        assert!(!p.wants(NotificationKind::Assigned, Medium::Email));
        assert!(p.wants(NotificationKind::Mentioned, Medium::Email));
        assert_eq!(p.kinds.len(), NotificationKind::ALL.len());
        let bad = Preferences {
            slack_member_id: Some("not an id".into()),
            ..Preferences::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_seconds(1), 30);
        assert_eq!(backoff_seconds(2), 60);
        assert_eq!(backoff_seconds(3), 120);
        assert_eq!(backoff_seconds(30), 6 * 3600);
    }
}

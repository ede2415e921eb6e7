//! The conversation and its ownership state.

use crate::ids::*;
use crate::role::UnknownWord;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting on the workspace.
    Open,
    /// Waiting on the contact.
    Pending,
    /// Hidden until `snoozed_until`.
    Snoozed,
    /// Done. Ownership is kept.
    Closed,
}

/// How urgent a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever.
    Low,
    /// The default.
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

/// Kinds of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// From the contact.
    Incoming,
    /// To the contact, by a user or an AI agent.
    Outgoing,
    /// Internal, never sent to the contact.
    Note,
}

/// Why an agent session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    /// A user ended it and kept the agent on the conversation.
    EndedByUser,
    /// The agent was removed (or replaced by another agent).
    Unassigned,
    /// A human took over.
    TakenOver,
    /// The agent handed the conversation to humans.
    HandedOff,
    /// No message for the agent's maximum duration.
    TimedOut,
}

/// The active period of an AI agent on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSession {
    /// The session.
    pub id: SessionId,
    /// The agent holding it.
    pub agent_id: AgentId,
    /// When it started.
    pub started_at: Timestamp,
}

/// A conversation's full state, as stored and as decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation.
    pub id: ConversationId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The channel it runs on now.
    pub channel_id: ChannelId,
    /// The customer.
    pub contact_id: ContactId,
    /// Open, pending, snoozed or closed.
    pub status: Status,
    /// Set exactly when status is snoozed.
    pub snoozed_until: Option<Timestamp>,
    /// Urgency.
    pub priority: Priority,
    /// Free labels, sorted and unique.
    pub tags: Vec<String>,
    /// The user on the hook, if any.
    pub assignee_id: Option<UserId>,
    /// The AI agent on the conversation, if any.
    pub agent_id: Option<AgentId>,
    /// The agent's active session, if any; always for `agent_id`.
    pub agent_session: Option<AgentSession>,
    /// The team, if any.
    pub team_id: Option<TeamId>,
    /// When a human last took over from the AI.
    pub ai_handoff_at: Option<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed in any way.
    pub updated_at: Timestamp,
    /// Last message of any kind but notes; the inbox sort key.
    pub last_activity_at: Timestamp,
    /// Last message from the contact (drives unread).
    pub last_incoming_at: Option<Timestamp>,
    /// The start of the last message, for lists.
    pub last_message_preview: Option<String>,
    /// Number of events ever applied; a version for optimistic checks.
    pub version: i64,
}

impl Conversation {
    /// A new open, unowned conversation.
    pub fn new(
        id: ConversationId,
        workspace_id: WorkspaceId,
        channel_id: ChannelId,
        contact_id: ContactId,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            workspace_id,
            channel_id,
            contact_id,
            status: Status::Open,
            snoozed_until: None,
            priority: Priority::Normal,
            tags: Vec::new(),
            assignee_id: None,
            agent_id: None,
            agent_session: None,
            team_id: None,
            ai_handoff_at: None,
            created_at: now,
            updated_at: now,
            last_activity_at: now,
            last_incoming_at: None,
            last_message_preview: None,
            version: 0,
        }
    }

    /// May the conversation's agent send automatically right now?
    /// Only while its session is active and nobody took over after it started.
    pub fn agent_may_reply(&self, agent: AgentId, session: SessionId) -> bool {
        match &self.agent_session {
            Some(s) => {
                s.agent_id == agent && s.id == session && self.ai_handoff_at.is_none_or(|h| h < s.started_at)
            }
            None => false,
        }
    }
}

macro_rules! word_enum {
    ($ty:ty, $what:literal, { $($word:literal => $variant:expr),+ $(,)? }) => {
        impl $ty {
            /// The API word for this value.
            pub fn as_str(self) -> &'static str {
                #[allow(unreachable_patterns)]
                match self { $(v if v == $variant => $word,)+ _ => unreachable!() }
            }
        }
        impl FromStr for $ty {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($variant),)+
                    _ => Err(UnknownWord { what: $what, value: s.into() }),
                }
            }
        }
    };
}

word_enum!(Status, "status", {
    "open" => Status::Open, "pending" => Status::Pending,
    "snoozed" => Status::Snoozed, "closed" => Status::Closed,
});
word_enum!(Priority, "priority", {
    "low" => Priority::Low, "normal" => Priority::Normal,
    "high" => Priority::High, "urgent" => Priority::Urgent,
});
word_enum!(MessageKind, "message kind", {
    "incoming" => MessageKind::Incoming, "outgoing" => MessageKind::Outgoing,
    "note" => MessageKind::Note,
});
word_enum!(SessionEndReason, "session end reason", {
    "ended_by_user" => SessionEndReason::EndedByUser,
    "unassigned" => SessionEndReason::Unassigned,
    "taken_over" => SessionEndReason::TakenOver,
    "handed_off" => SessionEndReason::HandedOff,
    "timed_out" => SessionEndReason::TimedOut,
});

/// Normalise tags: trimmed, lower-cased, unique, sorted, none empty.
pub fn normalize_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(tags: I) -> Vec<String> {
    let mut v: Vec<String> = tags
        .into_iter()
        .map(|t| t.as_ref().trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The first characters of a message body, for inbox rows.
pub fn preview(body: &str) -> String {
    const MAX: usize = 140;
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        let mut s: String = flat.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

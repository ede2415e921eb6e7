//! Commands on a conversation, the facts they need, and their side effects.

use crate::actor::Actor;
use crate::conversation::{AgentSession, MessageKind, Priority, SessionEndReason, Status};
use crate::ids::*;
use crate::role::Role;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One operation of PRODUCT.md §2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// assignee := user.
    AssignUser {
        /// The new assignee.
        user_id: UserId,
    },
    /// assignee := none.
    UnassignUser,
    /// agent := agent, and a new session starts.
    AssignAgent {
        /// The agent.
        agent_id: AgentId,
        /// Whether the agent speaks first.
        #[serde(default)]
        send_initial_message: bool,
    },
    /// End the session (reason `unassigned`) and agent := none.
    UnassignAgent,
    /// End the session (reason `ended_by_user`), keep the agent.
    EndAgentSession,
    /// Hand back to the AI: a new session for the conversation's agent.
    ResumeAgentSession,
    /// team := team.
    AssignTeam {
        /// The team.
        team_id: TeamId,
    },
    /// team := none.
    UnassignTeam,
    /// End the session (`taken_over`), stamp `ai_handoff_at`, assignee := caller.
    TakeOver,
    /// Baton ends a session that saw no message for the agent's maximum
    /// duration (session ends `timed_out`). System only.
    TimeOutSession,
    /// The AI agent hands the conversation to humans (session ends `handed_off`).
    HandOff {
        /// Why the agent handed off.
        reason: String,
    },
    /// Change status.
    SetStatus {
        /// The new status.
        status: Status,
        /// Required for snoozed, refused otherwise.
        #[serde(default)]
        snoozed_until: Option<Timestamp>,
    },
    /// Change priority.
    SetPriority {
        /// The new priority.
        priority: Priority,
    },
    /// Replace the tags.
    SetTags {
        /// The new tags.
        tags: Vec<String>,
    },
    /// The caller has read the conversation.
    MarkRead,
    /// The caller wants it shown unread again.
    MarkUnread,
    /// Continue on another channel of the workspace.
    Transfer {
        /// The new channel.
        channel_id: ChannelId,
    },
    /// Add a message.
    PostMessage {
        /// Incoming (contacts only), outgoing or note.
        kind: MessageKind,
        /// The text.
        body: String,
        /// For an AI agent's message: the session it belongs to.
        #[serde(default)]
        agent_session_id: Option<SessionId>,
    },
}

impl Command {
    /// What the store must look up (inside the transaction) before deciding.
    pub fn wants(&self) -> Wants {
        let mut w = Wants::default();
        match self {
            Command::AssignUser { user_id } => w.user = Some(*user_id),
            Command::AssignAgent { agent_id, .. } => w.agent = Some(*agent_id),
            Command::AssignTeam { team_id } => w.team = Some(*team_id),
            Command::Transfer { channel_id } => w.channel = Some(*channel_id),
            Command::MarkRead | Command::MarkUnread => w.read_state = true,
            Command::PostMessage {
                kind: MessageKind::Note,
                body,
                ..
            } => w.mention_handles = crate::mention::parse_mentions(body),
            _ => {}
        }
        w
    }

    /// The short name used in bulk results and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::AssignUser { .. } => "assign_user",
            Command::UnassignUser => "unassign_user",
            Command::AssignAgent { .. } => "assign_agent",
            Command::UnassignAgent => "unassign_agent",
            Command::EndAgentSession => "end_agent_session",
            Command::ResumeAgentSession => "resume_agent_session",
            Command::AssignTeam { .. } => "assign_team",
            Command::UnassignTeam => "unassign_team",
            Command::TakeOver => "take_over",
            Command::HandOff { .. } => "hand_off",
            Command::TimeOutSession => "time_out_session",
            Command::SetStatus { .. } => "set_status",
            Command::SetPriority { .. } => "set_priority",
            Command::SetTags { .. } => "set_tags",
            Command::MarkRead => "mark_read",
            Command::MarkUnread => "mark_unread",
            Command::Transfer { .. } => "transfer",
            Command::PostMessage { .. } => "post_message",
        }
    }
}

/// The references a command needs resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wants {
    /// A user to load.
    pub user: Option<UserId>,
    /// An agent to load.
    pub agent: Option<AgentId>,
    /// A team to load.
    pub team: Option<TeamId>,
    /// A channel to load.
    pub channel: Option<ChannelId>,
    /// The acting user's read state.
    pub read_state: bool,
    /// Handles to resolve to users.
    pub mention_handles: Vec<String>,
}

/// A user as the core needs to see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// The user.
    pub id: UserId,
    /// Whether they may sign in and be picked.
    pub active: bool,
    /// Their role.
    pub role: Role,
}

/// A read state row of one user on one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadState {
    /// When they last read it.
    pub read_at: Option<Timestamp>,
    /// Explicitly marked unread.
    pub marked_unread: bool,
}

impl ReadState {
    /// Is the conversation unread for this user?
    pub fn is_unread(&self, last_incoming_at: Option<Timestamp>) -> bool {
        self.marked_unread || last_incoming_at.is_some_and(|t| self.read_at.is_none_or(|r| r < t))
    }
}

/// The looked-up facts a command refers to. `None` means "not in this workspace".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refs {
    /// The user of `AssignUser`.
    pub user: Option<UserRef>,
    /// The agent of `AssignAgent` (present means it exists in the workspace).
    pub agent: Option<AgentId>,
    /// The team of `AssignTeam`.
    pub team: Option<TeamId>,
    /// The channel of `Transfer`.
    pub channel: Option<ChannelId>,
    /// The actor's read state.
    pub read_state: ReadState,
    /// Active users whose handles a note mentions.
    pub mentioned: Vec<UserId>,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The message.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Incoming, outgoing or note.
    pub kind: MessageKind,
    /// The text.
    pub body: String,
    /// Who wrote it.
    pub author: Actor,
    /// For AI messages: the session.
    pub agent_session_id: Option<SessionId>,
    /// The channel it went over.
    pub channel_id: ChannelId,
    /// Users mentioned (notes).
    pub mentions: Vec<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// A write to a table other than `conversations` and `events`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Store a message.
    InsertMessage(Message),
    /// Record a new session.
    StartSession {
        /// The session.
        session: AgentSession,
        /// Whether the agent should speak first.
        send_initial_message: bool,
    },
    /// End a session; the store only ends one that has not ended.
    EndSession {
        /// The session.
        id: SessionId,
        /// When.
        at: Timestamp,
        /// Why.
        reason: SessionEndReason,
    },
    /// Set a user's read state.
    SetReadState {
        /// The user.
        user_id: UserId,
        /// The new state.
        state: ReadState,
    },
    /// Remember a mention for the `mentions` view.
    InsertMention {
        /// Who was mentioned.
        user_id: UserId,
        /// In which note.
        message_id: MessageId,
    },
}

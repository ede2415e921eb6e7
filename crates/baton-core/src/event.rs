//! Events: the single source of history, timelines, audit and live updates.

use crate::actor::Actor;
use crate::ids::*;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every kind of event Baton records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A workspace was created.
    #[serde(rename = "workspace.created")]
    WorkspaceCreated,
    /// A user joined the workspace.
    #[serde(rename = "user.created")]
    UserCreated,
    /// A user's role, name, activity, availability or capacity changed.
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// An API token was issued.
    #[serde(rename = "token.created")]
    TokenCreated,
    /// A team was created.
    #[serde(rename = "team.created")]
    TeamCreated,
    /// A user joined a team.
    #[serde(rename = "team.member_added")]
    TeamMemberAdded,
    /// A user left a team.
    #[serde(rename = "team.member_removed")]
    TeamMemberRemoved,
    /// A team's settings changed.
    #[serde(rename = "team.updated")]
    TeamUpdated,
    /// An AI agent was configured.
    #[serde(rename = "agent.created")]
    AgentCreated,
    /// An AI agent's configuration changed.
    #[serde(rename = "agent.updated")]
    AgentUpdated,
    /// A channel was created.
    #[serde(rename = "channel.created")]
    ChannelCreated,
    /// A channel's name, autopilot or reply mode changed.
    #[serde(rename = "channel.updated")]
    ChannelUpdated,
    /// A contact was created.
    #[serde(rename = "contact.created")]
    ContactCreated,
    /// A contact changed.
    #[serde(rename = "contact.updated")]
    ContactUpdated,
    /// A conversation started.
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    /// The assignee slot changed.
    #[serde(rename = "conversation.assignee_changed")]
    AssigneeChanged,
    /// The agent slot changed.
    #[serde(rename = "conversation.agent_changed")]
    AgentChanged,
    /// The team slot changed.
    #[serde(rename = "conversation.team_changed")]
    TeamChanged,
    /// A human took over from the AI agent.
    #[serde(rename = "conversation.taken_over")]
    TakenOver,
    /// Status changed.
    #[serde(rename = "conversation.status_changed")]
    StatusChanged,
    /// Priority changed.
    #[serde(rename = "conversation.priority_changed")]
    PriorityChanged,
    /// Tags changed.
    #[serde(rename = "conversation.tags_changed")]
    TagsChanged,
    /// The conversation moved to another channel.
    #[serde(rename = "conversation.transferred")]
    Transferred,
    /// A user read the conversation.
    #[serde(rename = "conversation.read")]
    Read,
    /// A user marked the conversation unread.
    #[serde(rename = "conversation.marked_unread")]
    MarkedUnread,
    /// A user was @mentioned in a note.
    #[serde(rename = "conversation.mentioned")]
    Mentioned,
    /// An AI agent session started.
    #[serde(rename = "agent_session.started")]
    SessionStarted,
    /// An AI agent session ended (exactly once per session).
    #[serde(rename = "agent_session.ended")]
    SessionEnded,
    /// A message (incoming, outgoing or note) was added.
    #[serde(rename = "message.created")]
    MessageCreated,
    /// Routing ran on a conversation; `data` holds the explanation.
    #[serde(rename = "conversation.routed")]
    Routed,
    /// A routing rule was created, changed or deleted.
    #[serde(rename = "routing_rule.changed")]
    RoutingRuleChanged,
    /// Workspace settings (business hours) changed.
    #[serde(rename = "workspace.updated")]
    WorkspaceUpdated,
    /// A knowledge-base article was written.
    #[serde(rename = "article.created")]
    ArticleCreated,
    /// A knowledge-base article changed.
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    /// A knowledge-base article was deleted.
    #[serde(rename = "article.deleted")]
    ArticleDeleted,
    /// An AI agent proposed a draft reply (`data.receipt` says why).
    #[serde(rename = "conversation.draft_saved")]
    DraftSaved,
}

impl EventKind {
    /// The dotted name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        use EventKind::*;
        match self {
            WorkspaceCreated => "workspace.created",
            UserCreated => "user.created",
            UserUpdated => "user.updated",
            TokenCreated => "token.created",
            TeamCreated => "team.created",
            TeamMemberAdded => "team.member_added",
            TeamMemberRemoved => "team.member_removed",
            TeamUpdated => "team.updated",
            AgentCreated => "agent.created",
            AgentUpdated => "agent.updated",
            ChannelCreated => "channel.created",
            ChannelUpdated => "channel.updated",
            ContactCreated => "contact.created",
            ContactUpdated => "contact.updated",
            ConversationCreated => "conversation.created",
            AssigneeChanged => "conversation.assignee_changed",
            AgentChanged => "conversation.agent_changed",
            TeamChanged => "conversation.team_changed",
            TakenOver => "conversation.taken_over",
            StatusChanged => "conversation.status_changed",
            PriorityChanged => "conversation.priority_changed",
            TagsChanged => "conversation.tags_changed",
            Transferred => "conversation.transferred",
            Read => "conversation.read",
            MarkedUnread => "conversation.marked_unread",
            Mentioned => "conversation.mentioned",
            SessionStarted => "agent_session.started",
            SessionEnded => "agent_session.ended",
            MessageCreated => "message.created",
            Routed => "conversation.routed",
            RoutingRuleChanged => "routing_rule.changed",
            WorkspaceUpdated => "workspace.updated",
            ArticleCreated => "article.created",
            ArticleUpdated => "article.updated",
            ArticleDeleted => "article.deleted",
            DraftSaved => "conversation.draft_saved",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_string())).ok()
    }

    /// Is this an ownership change (assignee, agent, team, session, take over)?
    pub fn is_ownership(self) -> bool {
        use EventKind::*;
        matches!(
            self,
            AssigneeChanged | AgentChanged | TeamChanged | TakenOver | SessionStarted | SessionEnded
        )
    }
}

/// An event decided by the core, before the store gives it a sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The conversation it concerns, if any.
    pub conversation_id: Option<ConversationId>,
    /// Who did it.
    pub actor: Actor,
    /// When.
    pub at: Timestamp,
    /// The relevant state before (an object, or null).
    pub before: Value,
    /// The relevant state after (an object, or null).
    pub after: Value,
    /// Why: `manual`, `take_over`, `contact_replied`, `routing rule …`, ….
    pub reason: Option<String>,
    /// Anything else (message ids, routing explanations, …).
    pub data: Value,
}

/// A recorded event: a [`NewEvent`] with its place in the workspace's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the workspace's log: gapless and increasing from 1.
    pub seq: i64,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The event itself.
    #[serde(flatten)]
    pub event: NewEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_names_round_trip() {
        use EventKind::*;
        for k in [
            WorkspaceCreated,
            UserCreated,
            UserUpdated,
            TokenCreated,
            TeamCreated,
            TeamMemberAdded,
            TeamMemberRemoved,
            AgentCreated,
            AgentUpdated,
            ChannelCreated,
            ChannelUpdated,
            ContactCreated,
            ContactUpdated,
            ConversationCreated,
            AssigneeChanged,
            AgentChanged,
            TeamChanged,
            TakenOver,
            StatusChanged,
            PriorityChanged,
            TagsChanged,
            Transferred,
            Read,
            MarkedUnread,
            Mentioned,
            SessionStarted,
            SessionEnded,
            MessageCreated,
            ArticleCreated,
            ArticleUpdated,
            ArticleDeleted,
            DraftSaved,
        ] {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
    }
}

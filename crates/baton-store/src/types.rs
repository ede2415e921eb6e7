//! Inputs and outputs of the Store: new records, patches, views and filters.

use baton_core::directory::*;
use baton_core::*;
use serde::Serialize;
use serde_json::{Map, Value};

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in address.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// Mention handle (defaults to the email's local part, made unique).
    pub handle: Option<String>,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string, if the user signs in with a password.
    pub password_hash: Option<String>,
    /// Initial availability (default offline... online for convenience? see store).
    pub availability: Availability,
    /// Capacity.
    pub max_open: Option<u32>,
}

/// A new AI agent.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Display name.
    pub name: String,
    /// Runtime.
    pub runtime: AgentRuntime,
    /// Runtime settings.
    pub settings: Value,
    /// Handoff team.
    pub handoff_team_id: Option<TeamId>,
    /// Handoff mode.
    pub handoff_mode: HandoffMode,
}

/// A change to an AI agent (`None` leaves a field alone).
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    /// New name.
    pub name: Option<String>,
    /// New runtime.
    pub runtime: Option<AgentRuntime>,
    /// New settings (replaces the object).
    pub settings: Option<Value>,
    /// New handoff team (`Some(None)` clears).
    pub handoff_team_id: Option<Option<TeamId>>,
    /// New handoff mode.
    pub handoff_mode: Option<HandoffMode>,
    /// Enable or disable.
    pub active: Option<bool>,
}

/// A new channel.
#[derive(Debug, Clone)]
pub struct NewChannel {
    /// Kind.
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Autopilot agent.
    pub autopilot_agent_id: Option<AgentId>,
    /// What AI agents may do on the channel (default `auto`).
    pub reply_mode: ReplyMode,
}

/// A change to a channel (`None` leaves a field alone).
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    /// New display name.
    pub name: Option<String>,
    /// New autopilot agent (`Some(None)` turns autopilot off).
    pub autopilot_agent_id: Option<Option<AgentId>>,
    /// New reply mode.
    pub reply_mode: Option<ReplyMode>,
}

/// How a contact is identified and described on the way in.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// Display name.
    pub name: Option<String>,
    /// Email handle.
    pub email: Option<Email>,
    /// Phone handle.
    pub phone: Option<String>,
    /// Chat/API handle.
    pub external_id: Option<String>,
    /// Tags to add.
    pub tags: Vec<String>,
    /// Attributes to merge.
    pub attributes: Map<String, Value>,
}

/// A change to a contact (`None` leaves a field alone).
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    /// New name.
    pub name: Option<Option<String>>,
    /// New email.
    pub email: Option<Option<Email>>,
    /// New phone.
    pub phone: Option<Option<String>>,
    /// New external id.
    pub external_id: Option<Option<String>>,
    /// Replace tags.
    pub tags: Option<Vec<String>>,
    /// Merge attributes (a null value removes the key).
    pub attributes: Option<Map<String, Value>>,
}

/// A summary of a user for embedding in other resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    /// The user.
    pub id: UserId,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Handle.
    pub handle: String,
}

impl From<&User> for UserSummary {
    fn from(u: &User) -> Self {
        UserSummary {
            id: u.id,
            name: u.name.clone(),
            email: u.email.as_str().to_string(),
            handle: u.handle.clone(),
        }
    }
}

/// A summary of an agent or team: id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedRef<I> {
    /// The id.
    pub id: I,
    /// The name.
    pub name: String,
}

/// A summary of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactSummary {
    /// The contact.
    pub id: ContactId,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// External id.
    pub external_id: Option<String>,
}

impl From<&Contact> for ContactSummary {
    fn from(c: &Contact) -> Self {
        ContactSummary {
            id: c.id,
            name: c.name.clone(),
            email: c.email.as_ref().map(|e| e.as_str().to_string()),
            phone: c.phone.clone(),
            external_id: c.external_id.clone(),
        }
    }
}

/// A conversation as a user sees it: state plus names and their read state.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationView {
    /// The state.
    pub conversation: Conversation,
    /// Is it unread for the viewing user?
    pub unread: bool,
    /// The contact.
    pub contact: ContactSummary,
    /// The assignee.
    pub assignee: Option<UserSummary>,
    /// The agent.
    pub agent: Option<NamedRef<AgentId>>,
    /// The team.
    pub team: Option<NamedRef<TeamId>>,
    /// The channel.
    pub channel: NamedRef<ChannelId>,
}

/// The inbox views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Assigned to the viewer.
    Mine,
    /// No assignee and no active AI session.
    Unassigned,
    /// Some assignee.
    Assigned,
    /// The viewer was mentioned.
    Mentions,
    /// Everything.
    All,
    /// An active AI agent session.
    AiQueue,
}

impl std::str::FromStr for View {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "mine" => View::Mine,
            "unassigned" => View::Unassigned,
            "assigned" => View::Assigned,
            "mentions" => View::Mentions,
            "all" => View::All,
            "ai_queue" => View::AiQueue,
            _ => {
                return Err(DomainError::invalid(
                    "invalid_view",
                    format!("unknown view {s:?}: use mine, unassigned, assigned, mentions, all or ai_queue"),
                ));
            }
        })
    }
}

/// Which statuses a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// The default: open conversations only.
    #[default]
    Open,
    /// Exactly this status.
    Only(Status),
    /// Every status.
    Any,
}

/// A list query.
#[derive(Debug, Clone, Default)]
pub struct ViewFilter {
    /// The view (default all).
    pub view: Option<View>,
    /// Only this team's conversations.
    pub team_id: Option<TeamId>,
    /// Statuses.
    pub status: StatusFilter,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this channel.
    pub channel_id: Option<ChannelId>,
    /// Full-text search over message text and contact names.
    pub q: Option<String>,
    /// Only unread (true) or only read (false) for the viewer.
    pub unread: Option<bool>,
}

/// Counts per view for one user, with the default (open) status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ViewCounts {
    /// Mine.
    pub mine: u64,
    /// Unassigned.
    pub unassigned: u64,
    /// Assigned.
    pub assigned: u64,
    /// Mentions.
    pub mentions: u64,
    /// All.
    pub all: u64,
    /// AI queue.
    pub ai_queue: u64,
    /// Per team: open conversations of the team.
    pub teams: Vec<TeamCount>,
}

/// Open conversations of one team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamCount {
    /// The team.
    pub team_id: TeamId,
    /// How many.
    pub count: u64,
}

/// What an inbound message did.
#[derive(Debug, Clone)]
pub struct InboundOutcome {
    /// The conversation afterwards.
    pub view: ConversationView,
    /// The stored message.
    pub message: Message,
    /// A new conversation was created.
    pub created: bool,
    /// A closed conversation was reopened.
    pub reopened: bool,
    /// The events written.
    pub events: Vec<Event>,
}

/// What [`crate::Store::inbound_view`] answers.
#[derive(Debug, Clone)]
pub struct InboundView {
    /// The conversation afterwards, as the viewer sees it.
    pub view: ConversationView,
    /// A new conversation was created.
    pub created: bool,
}

/// What an accepted command did.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    /// The conversation afterwards.
    pub view: ConversationView,
    /// The events written (empty if nothing changed).
    pub events: Vec<Event>,
    /// The message added, if any.
    pub message: Option<Message>,
}

/// An agent session, active or ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    /// The session.
    pub id: SessionId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The agent.
    pub agent_id: AgentId,
    /// Started.
    pub started_at: Timestamp,
    /// Ended, if it has.
    pub ended_at: Option<Timestamp>,
    /// Why it ended.
    pub end_reason: Option<SessionEndReason>,
}

/// Everything about one conversation, for export.
#[derive(Debug, Clone)]
pub struct ConversationExport {
    /// The conversation.
    pub view: ConversationView,
    /// Every message and note, oldest first.
    pub messages: Vec<Message>,
    /// Every event, oldest first.
    pub events: Vec<Event>,
    /// Every agent session, oldest first.
    pub sessions: Vec<SessionRecord>,
}

/// A user with what authentication needs.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// Their Argon2id PHC string, if they have a password.
    pub password_hash: Option<String>,
}

/// A wake-up sent after every commit: "workspace W has events up to seq".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wakeup {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// Its newest event.
    pub seq: i64,
    /// Whether the commit may hold an event the AI agents' worker acts on
    /// ([`wakes_agents`]). `false` only when the store checked every event
    /// of the commit; a store that does not check says `true`. Under
    /// routed load most commits hold none, and the worker then need not
    /// read the log at all.
    pub agents: bool,
}

/// The event kinds the AI agents' worker reads: articles (its knowledge
/// base), sessions started (greetings) and messages (replies).
pub const AGENT_EVENT_KINDS: &[EventKind] = &[
    EventKind::ArticleCreated,
    EventKind::ArticleUpdated,
    EventKind::ArticleDeleted,
    EventKind::SessionStarted,
    EventKind::MessageCreated,
];

/// Whether the AI agents' worker may act on this event: any of
/// [`AGENT_EVENT_KINDS`], except messages that are not incoming or that
/// were written into no AI session (`active_session_id: null`; events
/// written before they named the session do not say, and count).
pub fn wakes_agents(e: &baton_core::event::NewEvent) -> bool {
    match e.kind {
        EventKind::MessageCreated => {
            e.data["kind"] == "incoming"
                && !e
                    .data
                    .get("active_session_id")
                    .is_some_and(serde_json::Value::is_null)
        }
        k => AGENT_EVENT_KINDS.contains(&k),
    }
}

/// How to fill a workspace quickly with synthetic conversations (bench, demo).
#[derive(Debug, Clone)]
pub struct SeedSpec {
    /// How many conversations.
    pub conversations: u64,
    /// Channel to put them on.
    pub channel_id: ChannelId,
    /// Users to spread assignments over (a share stays unassigned).
    pub assignees: Vec<UserId>,
    /// Teams to spread over.
    pub teams: Vec<TeamId>,
}

/// A routing rule as created or replaced through the API.
#[derive(Debug, Clone)]
pub struct RuleInput {
    /// Display name.
    pub name: String,
    /// Whether the rule runs.
    pub enabled: bool,
    /// Place in the list (0 first); `None` puts it last.
    pub position: Option<u32>,
    /// Conditions that must all hold.
    pub conditions: Vec<baton_core::routing::Condition>,
    /// Actions applied in order.
    pub actions: Vec<baton_core::routing::RuleAction>,
}

/// A hypothetical inbound message for a routing dry run.
#[derive(Debug, Clone)]
pub struct RoutingProbe {
    /// The channel it would arrive on.
    pub channel_id: ChannelId,
    /// The contact (an existing one is found by handle; nothing is created).
    pub contact: ContactInput,
    /// The message.
    pub body: String,
    /// Priority of the conversation (default normal).
    pub priority: Priority,
}

#[cfg(test)]
mod wakes_agents_tests {
    use super::*;
    use baton_core::event::NewEvent;
    use serde_json::json;

    fn event(kind: EventKind, data: Value) -> NewEvent {
        NewEvent {
            kind,
            conversation_id: None,
            actor: Actor::system("test"),
            at: chrono::Utc::now(),
            before: Value::Null,
            after: Value::Null,
            reason: None,
            data,
        }
    }

    #[test]
    fn only_events_the_agents_act_on_wake_them() {
        let m = |data| event(EventKind::MessageCreated, data);
        assert!(!wakes_agents(&m(
            json!({"kind": "incoming", "active_session_id": null})
        )));
        assert!(wakes_agents(&m(
            json!({"kind": "incoming", "active_session_id": "s"})
        )));
        assert!(
            wakes_agents(&m(json!({"kind": "incoming"}))),
            "older events do not say"
        );
        assert!(!wakes_agents(&m(
            json!({"kind": "outgoing", "active_session_id": "s"})
        )));
        assert!(wakes_agents(&event(EventKind::SessionStarted, json!({}))));
        assert!(wakes_agents(&event(EventKind::ArticleDeleted, json!({}))));
        assert!(!wakes_agents(&event(EventKind::AssigneeChanged, json!({}))));
    }
}

//! Response bodies (and the schema-only enums that describe core words in the
//! OpenAPI document). Each DTO is built from a core or store value; the field
//! list is the API contract, so it is spelled out rather than derived.

use baton_core::directory::{
    Agent, AgentRuntime, Channel, ChannelKind, Contact, HandoffMode, ReplyMode, Team, User, Workspace,
};
use baton_core::*;
use baton_store::{ContactSummary, ConversationView, SessionRecord, UserSummary, ViewCounts};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> List<T> {
    /// A list that fits in one page.
    pub fn all(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }

    /// Convert a store page.
    pub fn from_page<U>(page: baton_store::Page<U>, f: impl FnMut(U) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

// --- schema-only descriptions of core words ------------------------------------

macro_rules! schema_enum {
    ($(#[$doc:meta])* $name:ident as $as:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Serialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[schema(as = $as)]
        #[allow(dead_code, missing_docs)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
    };
}

schema_enum!(/// What AI agents may do on a channel: send, only draft, or nothing.
    ReplyModeSchema as ReplyMode { Auto, Draft, Off });
schema_enum!(/// A user's role.
    RoleSchema as Role { Owner, Admin, Agent, Viewer });
schema_enum!(/// A user's presence.
    AvailabilitySchema as Availability { Online, Away, Offline });
schema_enum!(/// A conversation's status.
    StatusSchema as Status { Open, Pending, Snoozed, Closed });
schema_enum!(/// A conversation's urgency.
    PrioritySchema as Priority { Low, Normal, High, Urgent });
schema_enum!(/// Kinds of message.
    MessageKindSchema as MessageKind { Incoming, Outgoing, Note });
schema_enum!(/// Kinds of message a user may post.
    PostKindSchema as PostKind { Outgoing, Note });
schema_enum!(/// An AI agent's runtime.
    RuntimeSchema as AgentRuntime { Builtin, Openai });
schema_enum!(/// How an agent's handoff picks a human.
    HandoffModeSchema as HandoffMode { RoundRobin, Balanced });
schema_enum!(/// Kinds of channel.
    ChannelKindSchema as ChannelKind { WebChat, Email, Sms, Api });
schema_enum!(/// Why an agent session ended.
    SessionEndReasonSchema as SessionEndReason { EndedByUser, Unassigned, TakenOver, HandedOff, TimedOut });

/// Who did something.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Actor)]
#[allow(dead_code)]
pub enum ActorSchema {
    /// A user (or an API token acting as one).
    User {
        /// The user.
        id: Uuid,
        /// Their role when they acted.
        role: RoleSchema,
    },
    /// An AI agent.
    Agent {
        /// The agent.
        id: Uuid,
    },
    /// The customer.
    Contact {
        /// The contact.
        id: Uuid,
    },
    /// Baton itself (routing, timers, the CLI).
    System {
        /// Which part of Baton.
        name: String,
    },
}

// --- directory -------------------------------------------------------------------

/// A workspace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Workspace)]
pub struct WorkspaceJson {
    /// The workspace.
    #[schema(value_type = Uuid)]
    pub id: WorkspaceId,
    /// Its name.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Workspace> for WorkspaceJson {
    fn from(w: Workspace) -> Self {
        Self {
            id: w.id,
            name: w.name,
            created_at: w.created_at,
        }
    }
}

/// A member of the workspace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    /// The user.
    #[schema(value_type = Uuid)]
    pub id: UserId,
    /// Their workspace.
    #[schema(value_type = Uuid)]
    pub workspace_id: WorkspaceId,
    /// Sign-in address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Mention handle (`@handle` in notes).
    pub handle: String,
    /// Role.
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    /// Deactivated users cannot sign in or be assigned.
    pub active: bool,
    /// Presence.
    #[schema(value_type = AvailabilitySchema)]
    pub availability: Availability,
    /// Most open conversations routing gives them; null is no limit.
    pub max_open: Option<u32>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            workspace_id: u.workspace_id,
            email: u.email.to_string(),
            name: u.name.clone(),
            handle: u.handle.clone(),
            role: u.role,
            active: u.active,
            availability: u.availability,
            max_open: u.max_open,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl From<User> for UserJson {
    fn from(u: User) -> Self {
        (&u).into()
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeJson {
    /// The signed-in user.
    pub user: UserJson,
    /// Their role.
    #[schema(value_type = RoleSchema)]
    pub role: Role,
    /// Their workspace.
    pub workspace: WorkspaceJson,
}

/// A team of users.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Team)]
pub struct TeamJson {
    /// The team.
    #[schema(value_type = Uuid)]
    pub id: TeamId,
    /// Its name, unique in the workspace.
    pub name: String,
    /// Members.
    #[schema(value_type = Vec<Uuid>)]
    pub member_ids: Vec<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Team> for TeamJson {
    fn from(t: Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            member_ids: t.member_ids,
            created_at: t.created_at,
        }
    }
}

/// The value shown instead of a secret.
pub const REDACTED: &str = "********";

/// Is a settings key likely to hold a secret?
fn is_secret_key(key: &str) -> bool {
    // Whole words only, so `max_tokens` stays visible while `access_token` does not.
    key.to_ascii_lowercase().split(['_', '-', '.']).any(|w| {
        matches!(
            w,
            "key"
                | "apikey"
                | "secret"
                | "token"
                | "password"
                | "authorization"
                | "credential"
                | "credentials"
        )
    })
}

/// Settings with every secret-looking value replaced by [`REDACTED`], at any depth.
pub fn redact_settings(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if is_secret_key(k) && !v.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        redact_settings(v)
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_settings).collect()),
        other => other.clone(),
    }
}

/// Settings sent back as they were shown: every secret still reading
/// [`REDACTED`] keeps its stored value, so a client can edit other settings
/// without knowing (or wiping) the secrets.
pub fn restore_redacted(new: Value, old: &Value) -> Value {
    match new {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let prev = old.get(&k).unwrap_or(&Value::Null);
                    let v = if is_secret_key(&k) && v.as_str() == Some(REDACTED) {
                        prev.clone()
                    } else {
                        restore_redacted(v, prev)
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// A configured AI agent. Secret settings (keys, tokens) are never shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Agent)]
pub struct AgentJson {
    /// The agent.
    #[schema(value_type = Uuid)]
    pub id: AgentId,
    /// Display name.
    pub name: String,
    /// Runtime.
    #[schema(value_type = RuntimeSchema)]
    pub runtime: AgentRuntime,
    /// Runtime settings; secrets read `"********"`.
    #[schema(value_type = Object)]
    pub settings: Value,
    /// Team that receives handoffs.
    #[schema(value_type = Option<Uuid>)]
    pub handoff_team_id: Option<TeamId>,
    /// How a human is picked on handoff.
    #[schema(value_type = HandoffModeSchema)]
    pub handoff_mode: HandoffMode,
    /// Whether the agent can be assigned.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Agent> for AgentJson {
    fn from(a: Agent) -> Self {
        Self {
            id: a.id,
            name: a.name,
            runtime: a.runtime,
            settings: redact_settings(&a.settings),
            handoff_team_id: a.handoff_team_id,
            handoff_mode: a.handoff_mode,
            active: a.active,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// An inbound/outbound endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Channel)]
pub struct ChannelJson {
    /// The channel.
    #[schema(value_type = Uuid)]
    pub id: ChannelId,
    /// Kind.
    #[schema(value_type = ChannelKindSchema)]
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Agent that starts every new conversation, if any.
    #[schema(value_type = Option<Uuid>)]
    pub autopilot_agent_id: Option<AgentId>,
    /// What AI agents may do here: `auto` (send), `draft` (a person sends), `off`.
    #[schema(value_type = ReplyModeSchema)]
    pub reply_mode: ReplyMode,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Channel> for ChannelJson {
    fn from(c: Channel) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            name: c.name,
            autopilot_agent_id: c.autopilot_agent_id,
            reply_mode: c.reply_mode,
            created_at: c.created_at,
        }
    }
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Contact)]
pub struct ContactJson {
    /// The contact.
    #[schema(value_type = Uuid)]
    pub id: ContactId,
    /// Display name.
    pub name: Option<String>,
    /// Email handle.
    pub email: Option<String>,
    /// Phone handle.
    pub phone: Option<String>,
    /// Chat/API handle.
    pub external_id: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// Free attributes, e.g. `{"vip": true}`.
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Contact> for ContactJson {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            name: c.name,
            email: c.email.map(String::from),
            phone: c.phone,
            external_id: c.external_id,
            tags: c.tags,
            attributes: c.attributes,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

// --- conversations -----------------------------------------------------------------

/// An id and a name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NamedRef)]
pub struct NamedRefJson {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
}

/// A user as shown inside other resources.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UserSummary)]
pub struct UserSummaryJson {
    /// The user.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Mention handle.
    pub handle: String,
}

impl From<UserSummary> for UserSummaryJson {
    fn from(u: UserSummary) -> Self {
        Self {
            id: u.id.0,
            name: u.name,
            email: u.email,
            handle: u.handle,
        }
    }
}

/// A contact as shown inside a conversation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ContactSummary)]
pub struct ContactSummaryJson {
    /// The contact.
    pub id: Uuid,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// External id.
    pub external_id: Option<String>,
}

impl From<ContactSummary> for ContactSummaryJson {
    fn from(c: ContactSummary) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            email: c.email,
            phone: c.phone,
            external_id: c.external_id,
        }
    }
}

/// The active AI agent session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AgentSession)]
pub struct AgentSessionJson {
    /// The session.
    pub id: Uuid,
    /// The agent holding it.
    pub agent_id: Uuid,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// A conversation as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Conversation)]
pub struct ConversationJson {
    /// The conversation.
    pub id: Uuid,
    /// Open, pending, snoozed or closed.
    #[schema(value_type = StatusSchema)]
    pub status: Status,
    /// Set exactly when status is snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Urgency.
    #[schema(value_type = PrioritySchema)]
    pub priority: Priority,
    /// Labels.
    pub tags: Vec<String>,
    /// The channel it runs on.
    pub channel: NamedRefJson,
    /// The channel's id.
    pub channel_id: Uuid,
    /// The customer.
    pub contact: ContactSummaryJson,
    /// The customer's id.
    pub contact_id: Uuid,
    /// The user on the hook.
    pub assignee: Option<UserSummaryJson>,
    /// The assignee's id.
    pub assignee_id: Option<Uuid>,
    /// The AI agent on the conversation.
    pub agent: Option<NamedRefJson>,
    /// The agent's id.
    pub agent_id: Option<Uuid>,
    /// The agent's active session, if any.
    pub agent_session: Option<AgentSessionJson>,
    /// The team.
    pub team: Option<NamedRefJson>,
    /// The team's id.
    pub team_id: Option<Uuid>,
    /// When a human last took over from the AI.
    pub ai_handoff_at: Option<DateTime<Utc>>,
    /// Unread for the caller.
    pub unread: bool,
    /// The start of the last message.
    pub last_message_preview: Option<String>,
    /// Last message (notes excluded); the inbox sort key.
    pub last_activity_at: DateTime<Utc>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Number of events applied so far.
    pub version: i64,
}

impl From<ConversationView> for ConversationJson {
    fn from(v: ConversationView) -> Self {
        let c = v.conversation;
        Self {
            id: c.id.0,
            status: c.status,
            snoozed_until: c.snoozed_until,
            priority: c.priority,
            tags: c.tags,
            channel: NamedRefJson {
                id: v.channel.id.0,
                name: v.channel.name,
            },
            channel_id: c.channel_id.0,
            contact: v.contact.into(),
            contact_id: c.contact_id.0,
            assignee: v.assignee.map(Into::into),
            assignee_id: c.assignee_id.map(|i| i.0),
            agent: v.agent.map(|a| NamedRefJson {
                id: a.id.0,
                name: a.name,
            }),
            agent_id: c.agent_id.map(|i| i.0),
            agent_session: c.agent_session.map(|s| AgentSessionJson {
                id: s.id.0,
                agent_id: s.agent_id.0,
                started_at: s.started_at,
            }),
            team: v.team.map(|t| NamedRefJson {
                id: t.id.0,
                name: t.name,
            }),
            team_id: c.team_id.map(|i| i.0),
            ai_handoff_at: c.ai_handoff_at,
            unread: v.unread,
            last_message_preview: c.last_message_preview,
            last_activity_at: c.last_activity_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// A message or internal note.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    /// The message.
    pub id: Uuid,
    /// Its conversation.
    pub conversation_id: Uuid,
    /// Incoming, outgoing or note.
    #[schema(value_type = MessageKindSchema)]
    pub kind: MessageKind,
    /// The text.
    pub body: String,
    /// Who wrote it.
    #[schema(value_type = ActorSchema)]
    pub author: Actor,
    /// For AI messages: the session it belongs to.
    pub agent_session_id: Option<Uuid>,
    /// The channel it went over.
    pub channel_id: Uuid,
    /// Users mentioned (notes).
    pub mentions: Vec<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Message> for MessageJson {
    fn from(m: Message) -> Self {
        Self {
            id: m.id.0,
            conversation_id: m.conversation_id.0,
            kind: m.kind,
            body: m.body,
            author: m.author,
            agent_session_id: m.agent_session_id.map(|s| s.0),
            channel_id: m.channel_id.0,
            mentions: m.mentions.into_iter().map(|u| u.0).collect(),
            created_at: m.created_at,
        }
    }
}

/// One entry of the event log: timeline, audit log and live stream alike.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventJson {
    /// Position in the workspace's log: gapless, increasing from 1.
    pub seq: i64,
    /// What happened, e.g. `conversation.assignee_changed`.
    #[schema(example = "conversation.assignee_changed")]
    pub kind: String,
    /// The conversation it concerns, if any.
    pub conversation_id: Option<Uuid>,
    /// Who did it.
    #[schema(value_type = ActorSchema)]
    pub actor: Actor,
    /// When.
    pub at: DateTime<Utc>,
    /// The relevant state before.
    pub before: Value,
    /// The relevant state after.
    pub after: Value,
    /// Why: `manual`, `take_over`, `contact_replied`, a routing rule, ….
    pub reason: Option<String>,
    /// Anything else: message ids, routing explanations, ….
    pub data: Value,
}

impl From<Event> for EventJson {
    fn from(e: Event) -> Self {
        let n = e.event;
        Self {
            seq: e.seq,
            kind: n.kind.as_str().to_string(),
            conversation_id: n.conversation_id.map(|c| c.0),
            actor: n.actor,
            at: n.at,
            before: n.before,
            after: n.after,
            reason: n.reason,
            data: n.data,
        }
    }
}

/// An AI agent session, active or ended.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SessionRecord)]
pub struct SessionJson {
    /// The session.
    pub id: Uuid,
    /// Its conversation.
    pub conversation_id: Uuid,
    /// The agent.
    pub agent_id: Uuid,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended.
    #[schema(value_type = Option<SessionEndReasonSchema>)]
    pub end_reason: Option<SessionEndReason>,
}

impl From<SessionRecord> for SessionJson {
    fn from(s: SessionRecord) -> Self {
        Self {
            id: s.id.0,
            conversation_id: s.conversation_id.0,
            agent_id: s.agent_id.0,
            started_at: s.started_at,
            ended_at: s.ended_at,
            end_reason: s.end_reason,
        }
    }
}

/// Open conversations of one team.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TeamCount)]
pub struct TeamCountJson {
    /// The team.
    pub team_id: Uuid,
    /// How many open conversations.
    pub count: u64,
}

/// Open conversations per view, for the caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ViewCounts)]
pub struct ViewCountsJson {
    /// Assigned to the caller.
    pub mine: u64,
    /// No assignee and no active AI session.
    pub unassigned: u64,
    /// Some assignee.
    pub assigned: u64,
    /// The caller was mentioned.
    pub mentions: u64,
    /// Everything.
    pub all: u64,
    /// An active AI agent session.
    pub ai_queue: u64,
    /// Per team.
    pub teams: Vec<TeamCountJson>,
}

impl From<ViewCounts> for ViewCountsJson {
    fn from(c: ViewCounts) -> Self {
        Self {
            mine: c.mine,
            unassigned: c.unassigned,
            assigned: c.assigned,
            mentions: c.mentions,
            all: c.all,
            ai_queue: c.ai_queue,
            teams: c
                .teams
                .into_iter()
                .map(|t| TeamCountJson {
                    team_id: t.team_id.0,
                    count: t.count,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_in_agent_settings_are_redacted_at_any_depth() {
        let s = json!({"base_url": "https://llm.example", "api_key": "sk-123",
                       "headers": {"Authorization": "Bearer x"}, "model": "m", "secret": null, "max_tokens": 5});
        let r = redact_settings(&s);
        assert_eq!(r["api_key"], REDACTED);
        assert_eq!(r["headers"]["Authorization"], REDACTED);
        assert_eq!(r["base_url"], "https://llm.example");
        assert_eq!(r["model"], "m");
        assert!(r["secret"].is_null());
        assert_eq!(r["max_tokens"], 5);
    }

    #[test]
    fn redacted_secrets_sent_back_keep_their_stored_values() {
        let stored = json!({"api_key": "sk-123", "model": "a"});
        let sent = json!({"api_key": REDACTED, "model": "b"});
        assert_eq!(
            restore_redacted(sent, &stored),
            json!({"api_key": "sk-123", "model": "b"})
        );
        let replaced = json!({"api_key": "sk-new"});
        assert_eq!(restore_redacted(replaced, &stored), json!({"api_key": "sk-new"}));
    }
}

//! The workspace's directory: users, teams, AI agents, channels, contacts, and
//! the rules for changing them.

use crate::actor::Actor;
use crate::email::Email;
use crate::error::DomainError;
use crate::event::{EventKind, NewEvent};
use crate::ids::*;
use crate::role::{Action, Availability, Role, UnknownWord};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::str::FromStr;

/// A workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// The workspace.
    pub id: WorkspaceId,
    /// Its unique name.
    pub name: String,
    /// Created.
    pub created_at: Timestamp,
}

/// A human member of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user.
    pub id: UserId,
    /// Their workspace.
    pub workspace_id: WorkspaceId,
    /// Sign-in address, unique across Baton.
    pub email: Email,
    /// Display name.
    pub name: String,
    /// Mention handle, unique in the workspace (defaults to the email's local part).
    pub handle: String,
    /// Role.
    pub role: Role,
    /// Active users may sign in and be picked.
    pub active: bool,
    /// Presence.
    pub availability: Availability,
    /// Capacity: the most open conversations routing gives them (`None`: no limit).
    pub max_open: Option<u32>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A change to a user (PATCH semantics: `None` leaves a field alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// New availability.
    pub availability: Option<Availability>,
    /// New capacity (`Some(None)` removes the limit).
    pub max_open: Option<Option<u32>>,
}

/// Facts about the workspace a user change needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerCount(pub usize);

/// Decide a change to a user. Anyone may set their own availability; everything
/// else needs the manage permission, and only owners touch owners.
pub fn decide_user_patch(
    actor: &Actor,
    target: &User,
    patch: &UserPatch,
    active_owners: OwnerCount,
    now: Timestamp,
) -> Result<(User, Option<NewEvent>), DomainError> {
    let only_availability =
        patch.name.is_none() && patch.role.is_none() && patch.active.is_none() && patch.max_open.is_none();
    if let Actor::User { id, role } = actor {
        let is_self = *id == target.id;
        if !(is_self && only_availability) {
            if !role.allows(Action::Manage) {
                return Err(DomainError::forbidden(Action::Manage));
            }
            let touches_owner = target.role == Role::Owner || patch.role == Some(Role::Owner);
            if touches_owner && !role.allows(Action::ManageWorkspace) {
                return Err(DomainError::Forbidden {
                    code: "forbidden",
                    message: "only an owner may change an owner or make someone owner".into(),
                });
            }
            if is_self && patch.active == Some(false) {
                return Err(DomainError::conflict(
                    "cannot_deactivate_self",
                    "you cannot deactivate yourself",
                ));
            }
        }
    }
    let mut next = target.clone();
    let mut before = Map::new();
    let mut after = Map::new();
    if let Some(name) = &patch.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DomainError::invalid(
                "invalid_name",
                "name must be 1 to 200 characters",
            ));
        }
        if name != next.name {
            before.insert("name".into(), json!(next.name));
            after.insert("name".into(), json!(name));
            next.name = name.to_string();
        }
    }
    if let Some(role) = patch.role.filter(|r| *r != next.role) {
        before.insert("role".into(), json!(next.role));
        after.insert("role".into(), json!(role));
        next.role = role;
    }
    if let Some(active) = patch.active.filter(|a| *a != next.active) {
        before.insert("active".into(), json!(next.active));
        after.insert("active".into(), json!(active));
        next.active = active;
    }
    if let Some(av) = patch.availability.filter(|a| *a != next.availability) {
        before.insert("availability".into(), json!(next.availability));
        after.insert("availability".into(), json!(av));
        next.availability = av;
    }
    if let Some(max_open) = patch.max_open.filter(|m| *m != next.max_open) {
        if max_open.is_some_and(|m| m > 100_000) {
            return Err(DomainError::invalid(
                "invalid_max_open",
                "max_open must be at most 100000",
            ));
        }
        before.insert("max_open".into(), json!(next.max_open));
        after.insert("max_open".into(), json!(max_open));
        next.max_open = max_open;
    }
    let was_owner = target.role == Role::Owner && target.active;
    let is_owner = next.role == Role::Owner && next.active;
    if was_owner && !is_owner && active_owners.0 <= 1 {
        return Err(DomainError::conflict(
            "last_owner",
            "the workspace needs at least one active owner",
        ));
    }
    if after.is_empty() {
        return Ok((next, None));
    }
    next.updated_at = now;
    let event = workspace_event(
        EventKind::UserUpdated,
        actor,
        now,
        Value::Object(before),
        Value::Object(after),
        json!({"user_id": target.id}),
    );
    Ok((next, Some(event)))
}

/// An event about the workspace (not a conversation).
pub fn workspace_event(
    kind: EventKind,
    actor: &Actor,
    at: Timestamp,
    before: Value,
    after: Value,
    data: Value,
) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: None,
        actor: actor.clone(),
        at,
        before,
        after,
        reason: None,
        data,
    }
}

/// A team of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// The team.
    pub id: TeamId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Unique name in the workspace.
    pub name: String,
    /// Members' ids.
    pub member_ids: Vec<UserId>,
    /// Created.
    pub created_at: Timestamp,
}

/// Which AI runtime an agent uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRuntime {
    /// Answers from the knowledge base, no network.
    Builtin,
    /// An OpenAI-compatible chat completions endpoint.
    Openai,
}

/// How an agent's handoff picks a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffMode {
    /// Round robin within the handoff team.
    RoundRobin,
    /// Fewest open conversations within the handoff team.
    Balanced,
}

/// A configured AI agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent.
    pub id: AgentId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Display name.
    pub name: String,
    /// Runtime.
    pub runtime: AgentRuntime,
    /// Runtime settings (for `openai`: base_url, model, api_key, …). Secrets are
    /// redacted when shown.
    pub settings: Value,
    /// Team that receives handoffs.
    pub handoff_team_id: Option<TeamId>,
    /// How a human is picked on handoff.
    pub handoff_mode: HandoffMode,
    /// Whether the agent can be assigned.
    pub active: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Embeddable chat widget.
    WebChat,
    /// Email.
    Email,
    /// SMS.
    Sms,
    /// JSON API.
    Api,
}

/// What an AI agent may do on a channel (PRODUCT.md §5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// The agent sends its answers.
    #[default]
    Auto,
    /// The agent only drafts; a person sends.
    Draft,
    /// The agent stays silent.
    Off,
}

impl ReplyMode {
    /// The stricter of two modes (off over draft over auto): a channel and an
    /// agent each may hold an agent back, neither may push it further.
    pub fn strictest(self, other: ReplyMode) -> ReplyMode {
        let rank = |m: ReplyMode| match m {
            ReplyMode::Auto => 0,
            ReplyMode::Draft => 1,
            ReplyMode::Off => 2,
        };
        if rank(other) > rank(self) { other } else { self }
    }
}

/// An inbound/outbound endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// The channel.
    pub id: ChannelId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Kind.
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Agent that starts every new conversation, if any.
    pub autopilot_agent_id: Option<AgentId>,
    /// What AI agents may do on this channel.
    pub reply_mode: ReplyMode,
    /// Created.
    pub created_at: Timestamp,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact.
    pub id: ContactId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Display name.
    pub name: Option<String>,
    /// Email handle.
    pub email: Option<Email>,
    /// Phone handle (E.164-ish, digits and a leading +).
    pub phone: Option<String>,
    /// Chat/API handle.
    pub external_id: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// Free attributes, a JSON object (e.g. `{"vip": true}`).
    pub attributes: Map<String, Value>,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// Normalise a phone handle: keep digits and a leading `+`; at least 5 digits.
pub fn parse_phone(raw: &str) -> Result<String, DomainError> {
    let t = raw.trim();
    let plus = t.starts_with('+');
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = t.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || digits.len() < 5 || digits.len() > 20 {
        return Err(DomainError::invalid(
            "invalid_phone",
            format!("{raw:?} is not a phone number"),
        ));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

/// Validate a display name: trimmed, 1 to 200 characters.
pub fn parse_name(raw: &str, what: &'static str) -> Result<String, DomainError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(DomainError::invalid(
            "invalid_name",
            format!("{what} must be 1 to 200 characters"),
        ));
    }
    Ok(t.to_string())
}

/// Validate a mention handle: 1 to 64 of letters, digits, `.`, `_`, `-`.
pub fn parse_handle(raw: &str) -> Result<String, DomainError> {
    let h = raw.trim().trim_start_matches('@').to_lowercase();
    let ok = !h.is_empty()
        && h.chars().count() <= 64
        && h.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(h)
    } else {
        Err(DomainError::invalid(
            "invalid_handle",
            format!("{raw:?} is not a valid handle"),
        ))
    }
}

macro_rules! words {
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

words!(AgentRuntime, "runtime", { "builtin" => AgentRuntime::Builtin, "openai" => AgentRuntime::Openai });
words!(HandoffMode, "handoff mode", { "round_robin" => HandoffMode::RoundRobin, "balanced" => HandoffMode::Balanced });
words!(ReplyMode, "reply mode", {
    "auto" => ReplyMode::Auto, "draft" => ReplyMode::Draft, "off" => ReplyMode::Off,
});
words!(ChannelKind, "channel kind", {
    "web_chat" => ChannelKind::WebChat, "email" => ChannelKind::Email,
    "sms" => ChannelKind::Sms, "api" => ChannelKind::Api,
});

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn user(role: Role) -> User {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        User {
            id: UserId(uuid::Uuid::from_u128(7)),
            workspace_id: WorkspaceId(uuid::Uuid::from_u128(1)),
            email: Email::parse("a@example.com").unwrap(),
            name: "A".into(),
            handle: "a".into(),
            role,
            active: true,
            availability: Availability::Online,
            max_open: None,
            created_at: t,
            updated_at: t,
        }
    }

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap()
    }

    #[test]
    fn anyone_sets_their_own_availability() {
        let target = user(Role::Viewer);
        let actor = Actor::User {
            id: target.id,
            role: Role::Viewer,
        };
        let patch = UserPatch {
            availability: Some(Availability::Away),
            ..Default::default()
        };
        let (u, ev) = decide_user_patch(&actor, &target, &patch, OwnerCount(1), now()).unwrap();
        assert_eq!(u.availability, Availability::Away);
        assert_eq!(ev.unwrap().kind, EventKind::UserUpdated);
    }

    #[test]
    fn agent_cannot_change_someone_elses_role() {
        let target = user(Role::Agent);
        let actor = Actor::User {
            id: UserId(uuid::Uuid::from_u128(99)),
            role: Role::Agent,
        };
        let patch = UserPatch {
            role: Some(Role::Admin),
            ..Default::default()
        };
        let err = decide_user_patch(&actor, &target, &patch, OwnerCount(1), now()).unwrap_err();
        assert_eq!(err.code(), "forbidden");
    }

    #[test]
    fn admin_cannot_make_an_owner() {
        let target = user(Role::Agent);
        let actor = Actor::User {
            id: UserId(uuid::Uuid::from_u128(99)),
            role: Role::Admin,
        };
        let patch = UserPatch {
            role: Some(Role::Owner),
            ..Default::default()
        };
        assert!(decide_user_patch(&actor, &target, &patch, OwnerCount(1), now()).is_err());
    }

    #[test]
    fn last_owner_cannot_be_demoted_or_deactivated() {
        let target = user(Role::Owner);
        let actor = Actor::User {
            id: UserId(uuid::Uuid::from_u128(99)),
            role: Role::Owner,
        };
        for patch in [
            UserPatch {
                role: Some(Role::Admin),
                ..Default::default()
            },
            UserPatch {
                active: Some(false),
                ..Default::default()
            },
        ] {
            let err = decide_user_patch(&actor, &target, &patch, OwnerCount(1), now()).unwrap_err();
            assert_eq!(err.code(), "last_owner");
        }
        let patch = UserPatch {
            role: Some(Role::Admin),
            ..Default::default()
        };
        assert!(decide_user_patch(&actor, &target, &patch, OwnerCount(2), now()).is_ok());
    }

    #[test]
    fn unchanged_patch_yields_no_event() {
        let target = user(Role::Agent);
        let actor = Actor::User {
            id: UserId(uuid::Uuid::from_u128(99)),
            role: Role::Admin,
        };
        let patch = UserPatch {
            role: Some(Role::Agent),
            ..Default::default()
        };
        let (_, ev) = decide_user_patch(&actor, &target, &patch, OwnerCount(1), now()).unwrap();
        assert!(ev.is_none());
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(parse_phone("+1 (555) 010-9999").unwrap(), "+15550109999");
        assert!(parse_phone("call me").is_err());
    }
}

//! `decide`: the ownership state machine. Given a conversation, an actor, a
//! command and the facts it refers to, either refuse or return the new state,
//! the events that explain it and the side-table writes. Pure: no I/O, the clock
//! and the id source are passed in.

use crate::actor::Actor;
use crate::command::*;
use crate::conversation::*;
use crate::error::DomainError;
use crate::event::{EventKind, NewEvent};
use crate::ids::*;
use crate::role::Action;
use crate::time::Timestamp;
use serde_json::{Value, json};

/// The clock reading and id source of one decision.
pub struct Ctx<'a> {
    /// Now.
    pub now: Timestamp,
    /// Where new ids come from.
    pub ids: &'a mut dyn IdSource,
}

/// The outcome of an accepted command.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The state after the command.
    pub conversation: Conversation,
    /// What happened, in order. Empty when the command changed nothing.
    pub events: Vec<NewEvent>,
    /// Writes to other tables.
    pub effects: Vec<Effect>,
    /// The message the command added, if any.
    pub message: Option<Message>,
}

struct Builder<'c, 'a> {
    conv: Conversation,
    actor: &'c Actor,
    ctx: &'c mut Ctx<'a>,
    events: Vec<NewEvent>,
    effects: Vec<Effect>,
    message: Option<Message>,
    reason: Option<String>,
}

impl Builder<'_, '_> {
    fn emit(&mut self, kind: EventKind, before: Value, after: Value, data: Value) {
        self.emit_with_reason(kind, before, after, data, self.reason.clone());
    }

    fn emit_with_reason(
        &mut self,
        kind: EventKind,
        before: Value,
        after: Value,
        data: Value,
        reason: Option<String>,
    ) {
        self.events.push(NewEvent {
            kind,
            conversation_id: Some(self.conv.id),
            actor: self.actor.clone(),
            at: self.ctx.now,
            before,
            after,
            reason,
            data,
        });
    }

    fn end_session(&mut self, reason: SessionEndReason) {
        if let Some(s) = self.conv.agent_session.take() {
            self.effects.push(Effect::EndSession {
                id: s.id,
                at: self.ctx.now,
                reason,
            });
            self.emit_with_reason(
                EventKind::SessionEnded,
                json!({"session_id": s.id, "agent_id": s.agent_id, "active": true}),
                json!({"session_id": s.id, "agent_id": s.agent_id, "active": false}),
                json!({"session_id": s.id, "agent_id": s.agent_id, "started_at": s.started_at}),
                Some(reason.as_str().to_string()),
            );
        }
    }

    fn start_session(&mut self, agent_id: AgentId, send_initial_message: bool) {
        let session = AgentSession {
            id: SessionId::generate(self.ctx.ids),
            agent_id,
            started_at: self.ctx.now,
        };
        self.conv.agent_session = Some(session.clone());
        self.effects.push(Effect::StartSession {
            session: session.clone(),
            send_initial_message,
        });
        self.emit(
            EventKind::SessionStarted,
            Value::Null,
            json!({"session_id": session.id, "agent_id": agent_id, "active": true}),
            json!({"session_id": session.id, "agent_id": agent_id,
                   "send_initial_message": send_initial_message}),
        );
    }

    fn set_assignee(&mut self, to: Option<UserId>) {
        let from = self.conv.assignee_id;
        if from != to {
            self.conv.assignee_id = to;
            self.emit(
                EventKind::AssigneeChanged,
                json!({"assignee_id": from}),
                json!({"assignee_id": to}),
                Value::Null,
            );
        }
    }

    fn set_status(&mut self, status: Status, snoozed_until: Option<Timestamp>) {
        let before = json!({"status": self.conv.status, "snoozed_until": self.conv.snoozed_until});
        if self.conv.status == status && self.conv.snoozed_until == snoozed_until {
            return;
        }
        self.conv.status = status;
        self.conv.snoozed_until = snoozed_until;
        let after = json!({"status": status, "snoozed_until": snoozed_until});
        self.emit(EventKind::StatusChanged, before, after, Value::Null);
    }

    fn finish(mut self) -> Decision {
        if !self.events.is_empty() {
            self.conv.version += self.events.len() as i64;
            self.conv.updated_at = self.ctx.now;
        }
        Decision {
            conversation: self.conv,
            events: self.events,
            effects: self.effects,
            message: self.message,
        }
    }
}

fn require(actor: &Actor, action: Action) -> Result<(), DomainError> {
    match actor {
        Actor::User { role, .. } if !role.allows(action) => Err(DomainError::forbidden(action)),
        _ => Ok(()),
    }
}

fn required_action(cmd: &Command) -> Action {
    match cmd {
        Command::AssignUser { .. }
        | Command::UnassignUser
        | Command::AssignAgent { .. }
        | Command::UnassignAgent
        | Command::EndAgentSession
        | Command::ResumeAgentSession
        | Command::AssignTeam { .. }
        | Command::UnassignTeam
        | Command::TakeOver
        | Command::HandOff { .. }
        | Command::TimeOutSession
        | Command::Transfer { .. } => Action::Assign,
        Command::SetStatus { .. }
        | Command::SetPriority { .. }
        | Command::SetTags { .. }
        | Command::MarkUnread => Action::Reply,
        Command::MarkRead => Action::Read,
        Command::PostMessage { kind, .. } => match kind {
            MessageKind::Note => Action::WriteNote,
            _ => Action::Reply,
        },
    }
}

/// Create a conversation: the state and its `conversation.created` event.
pub fn create_conversation(
    id: ConversationId,
    workspace_id: WorkspaceId,
    channel_id: ChannelId,
    contact_id: ContactId,
    actor: &Actor,
    now: Timestamp,
) -> Decision {
    let mut conv = Conversation::new(id, workspace_id, channel_id, contact_id, now);
    conv.version = 1;
    let event = NewEvent {
        kind: EventKind::ConversationCreated,
        conversation_id: Some(id),
        actor: actor.clone(),
        at: now,
        before: Value::Null,
        after: json!({"status": conv.status, "channel_id": channel_id, "contact_id": contact_id}),
        reason: None,
        data: Value::Null,
    };
    Decision {
        conversation: conv,
        events: vec![event],
        effects: vec![],
        message: None,
    }
}

/// Decide a command on a conversation.
///
/// `reason` explains automatic changes (e.g. `routing rule "VIP"`); manual
/// commands by users default to `manual`.
pub fn decide(
    conv: &Conversation,
    actor: &Actor,
    cmd: &Command,
    refs: &Refs,
    reason: Option<String>,
    ctx: &mut Ctx<'_>,
) -> Result<Decision, DomainError> {
    require(actor, required_action(cmd))?;
    let reason = reason.or_else(|| match actor {
        Actor::User { .. } => Some("manual".to_string()),
        _ => None,
    });
    let mut b = Builder {
        conv: conv.clone(),
        actor,
        ctx,
        events: Vec::new(),
        effects: Vec::new(),
        message: None,
        reason,
    };

    match cmd {
        Command::AssignUser { user_id } => {
            let user = refs.user.as_ref().filter(|u| u.id == *user_id);
            let user = user.ok_or(DomainError::not_found("user"))?;
            if !user.active {
                return Err(DomainError::invalid(
                    "user_deactivated",
                    "a deactivated user cannot be assigned",
                ));
            }
            if !user.role.allows(Action::Reply) {
                return Err(DomainError::invalid(
                    "user_cannot_reply",
                    "a viewer cannot own a conversation: they may not reply",
                ));
            }
            b.set_assignee(Some(*user_id));
        }
        Command::UnassignUser => b.set_assignee(None),
        Command::AssignAgent {
            agent_id,
            send_initial_message,
        } => {
            if refs.agent != Some(*agent_id) {
                return Err(DomainError::not_found("agent"));
            }
            let same_agent = b.conv.agent_id == Some(*agent_id);
            if same_agent && b.conv.agent_session.is_some() {
                return Err(DomainError::conflict(
                    "agent_session_active",
                    "this agent already has an active session on the conversation",
                ));
            }
            if !same_agent {
                b.end_session(SessionEndReason::Unassigned);
                let from = b.conv.agent_id;
                b.conv.agent_id = Some(*agent_id);
                b.emit(
                    EventKind::AgentChanged,
                    json!({"agent_id": from}),
                    json!({"agent_id": agent_id}),
                    Value::Null,
                );
            }
            b.start_session(*agent_id, *send_initial_message);
        }
        Command::UnassignAgent => {
            let Some(from) = b.conv.agent_id else {
                return Err(DomainError::conflict(
                    "no_agent",
                    "the conversation has no AI agent",
                ));
            };
            b.end_session(SessionEndReason::Unassigned);
            b.conv.agent_id = None;
            b.emit(
                EventKind::AgentChanged,
                json!({"agent_id": from}),
                json!({"agent_id": null}),
                Value::Null,
            );
        }
        Command::EndAgentSession => {
            if b.conv.agent_session.is_none() {
                return Err(no_active_session());
            }
            b.end_session(SessionEndReason::EndedByUser);
        }
        Command::ResumeAgentSession => {
            let Some(agent_id) = b.conv.agent_id else {
                return Err(DomainError::conflict(
                    "no_agent",
                    "the conversation has no AI agent to hand back to",
                ));
            };
            if b.conv.agent_session.is_some() {
                return Err(DomainError::conflict(
                    "agent_session_active",
                    "the agent already has an active session",
                ));
            }
            b.start_session(agent_id, false);
        }
        Command::AssignTeam { team_id } => {
            if refs.team != Some(*team_id) {
                return Err(DomainError::not_found("team"));
            }
            set_team(&mut b, Some(*team_id));
        }
        Command::UnassignTeam => set_team(&mut b, None),
        Command::TakeOver => {
            let Some(caller) = actor.user_id() else {
                return Err(DomainError::invalid("not_a_user", "only a user can take over"));
            };
            if b.conv.agent_session.is_none() {
                return Err(no_active_session());
            }
            b.reason = Some("take_over".to_string());
            b.end_session(SessionEndReason::TakenOver);
            let before = json!({"assignee_id": b.conv.assignee_id, "ai_handoff_at": b.conv.ai_handoff_at});
            b.conv.assignee_id = Some(caller);
            b.conv.ai_handoff_at = Some(b.ctx.now);
            let after = json!({"assignee_id": caller, "ai_handoff_at": b.ctx.now});
            b.emit(EventKind::TakenOver, before, after, Value::Null);
        }
        Command::HandOff { reason } => {
            let Actor::Agent { id } = actor else {
                return Err(DomainError::invalid("not_an_agent", "only an AI agent hands off"));
            };
            match &b.conv.agent_session {
                Some(s) if s.agent_id == *id => {}
                _ => return Err(no_active_session()),
            }
            b.end_session(SessionEndReason::HandedOff);
            if let Some(last) = b.events.last_mut() {
                last.data["handoff_reason"] = Value::String(reason.clone());
            }
        }
        Command::TimeOutSession => {
            if !matches!(actor, Actor::System { .. }) {
                return Err(DomainError::invalid(
                    "not_system",
                    "only Baton times out an agent session",
                ));
            }
            if b.conv.agent_session.is_none() {
                return Err(no_active_session());
            }
            b.end_session(SessionEndReason::TimedOut);
        }
        Command::SetStatus {
            status,
            snoozed_until,
        } => {
            match (status, snoozed_until) {
                (Status::Snoozed, None) => {
                    return Err(DomainError::invalid(
                        "snoozed_until_required",
                        "snoozing needs snoozed_until",
                    ));
                }
                (Status::Snoozed, Some(t)) if *t <= b.ctx.now => {
                    return Err(DomainError::invalid(
                        "snoozed_until_in_past",
                        "snoozed_until must be in the future",
                    ));
                }
                (Status::Snoozed, Some(_)) => {}
                (_, Some(_)) => {
                    return Err(DomainError::invalid(
                        "snoozed_until_not_allowed",
                        "snoozed_until is only for status snoozed",
                    ));
                }
                _ => {}
            }
            b.set_status(*status, *snoozed_until);
        }
        Command::SetPriority { priority } => {
            if b.conv.priority != *priority {
                let from = b.conv.priority;
                b.conv.priority = *priority;
                b.emit(
                    EventKind::PriorityChanged,
                    json!({"priority": from}),
                    json!({"priority": priority}),
                    Value::Null,
                );
            }
        }
        Command::SetTags { tags } => {
            let tags = normalize_tags(tags);
            if let Some(t) = tags.iter().find(|t| t.chars().count() > 64) {
                return Err(DomainError::invalid(
                    "tag_too_long",
                    format!("tag {t:?} is longer than 64 characters"),
                ));
            }
            if tags.len() > 50 {
                return Err(DomainError::invalid("too_many_tags", "at most 50 tags"));
            }
            if b.conv.tags != tags {
                let from = std::mem::replace(&mut b.conv.tags, tags.clone());
                b.emit(
                    EventKind::TagsChanged,
                    json!({"tags": from}),
                    json!({"tags": tags}),
                    Value::Null,
                );
            }
        }
        Command::MarkRead | Command::MarkUnread => {
            let Some(user_id) = actor.user_id() else {
                return Err(DomainError::invalid("not_a_user", "read state belongs to users"));
            };
            let was_unread = refs.read_state.is_unread(b.conv.last_incoming_at);
            let want_unread = matches!(cmd, Command::MarkUnread);
            if was_unread != want_unread || (!want_unread && refs.read_state.read_at.is_none()) {
                let state = if want_unread {
                    ReadState {
                        read_at: refs.read_state.read_at,
                        marked_unread: true,
                    }
                } else {
                    ReadState {
                        read_at: Some(b.ctx.now),
                        marked_unread: false,
                    }
                };
                b.effects.push(Effect::SetReadState { user_id, state });
                if was_unread != want_unread {
                    let kind = if want_unread {
                        EventKind::MarkedUnread
                    } else {
                        EventKind::Read
                    };
                    b.reason = None;
                    b.emit(
                        kind,
                        json!({"unread": was_unread}),
                        json!({"unread": want_unread}),
                        json!({"user_id": user_id}),
                    );
                }
            }
        }
        Command::Transfer { channel_id } => {
            if refs.channel != Some(*channel_id) {
                return Err(DomainError::not_found("channel"));
            }
            if b.conv.channel_id == *channel_id {
                return Err(DomainError::conflict(
                    "same_channel",
                    "the conversation is already on that channel",
                ));
            }
            let from = b.conv.channel_id;
            b.conv.channel_id = *channel_id;
            b.emit(
                EventKind::Transferred,
                json!({"channel_id": from}),
                json!({"channel_id": channel_id}),
                Value::Null,
            );
        }
        Command::PostMessage {
            kind,
            body,
            agent_session_id,
        } => {
            post_message(&mut b, *kind, body, *agent_session_id, refs)?;
        }
    }
    Ok(b.finish())
}

fn no_active_session() -> DomainError {
    DomainError::conflict(
        "no_active_agent_session",
        "the conversation has no active agent session",
    )
}

fn set_team(b: &mut Builder<'_, '_>, to: Option<TeamId>) {
    let from = b.conv.team_id;
    if from != to {
        b.conv.team_id = to;
        b.emit(
            EventKind::TeamChanged,
            json!({"team_id": from}),
            json!({"team_id": to}),
            Value::Null,
        );
    }
}

/// The longest message body accepted (characters).
pub const MAX_BODY_CHARS: usize = 65_536;

fn post_message(
    b: &mut Builder<'_, '_>,
    kind: MessageKind,
    body: &str,
    agent_session_id: Option<SessionId>,
    refs: &Refs,
) -> Result<(), DomainError> {
    if body.trim().is_empty() {
        return Err(DomainError::invalid("empty_body", "the message body is empty"));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(DomainError::invalid(
            "body_too_long",
            "the message body is over 65,536 characters",
        ));
    }
    match (b.actor, kind) {
        (Actor::Contact { id }, MessageKind::Incoming) if *id == b.conv.contact_id => {}
        (Actor::System { .. }, MessageKind::Incoming) => {}
        (_, MessageKind::Incoming) => {
            return Err(DomainError::invalid(
                "invalid_kind",
                "only the contact writes incoming messages; use outgoing or note",
            ));
        }
        (Actor::Contact { .. }, _) => {
            return Err(DomainError::invalid(
                "invalid_kind",
                "a contact writes incoming messages",
            ));
        }
        (Actor::Agent { id }, MessageKind::Outgoing) => {
            let ok = agent_session_id.is_some_and(|s| b.conv.agent_may_reply(*id, s));
            if !ok {
                return Err(DomainError::conflict(
                    "agent_session_not_active",
                    "the agent's session is not active: it may not reply",
                ));
            }
        }
        _ => {}
    }
    let now = b.ctx.now;
    let mentions = if kind == MessageKind::Note {
        refs.mentioned.clone()
    } else {
        Vec::new()
    };
    let message = Message {
        id: MessageId::generate(b.ctx.ids),
        conversation_id: b.conv.id,
        kind,
        body: body.to_string(),
        author: b.actor.clone(),
        agent_session_id: match b.actor {
            Actor::Agent { .. } => agent_session_id,
            _ => None,
        },
        channel_id: b.conv.channel_id,
        mentions: mentions.clone(),
        created_at: now,
    };
    if kind != MessageKind::Note {
        b.conv.last_activity_at = now;
        b.conv.last_message_preview = Some(preview(body));
    }
    // A contact writing in wakes the conversation up.
    if kind == MessageKind::Incoming {
        b.conv.last_incoming_at = Some(now);
        if b.conv.status != Status::Open {
            b.reason = Some("contact_replied".to_string());
            b.set_status(Status::Open, None);
            b.reason = None;
        }
    }
    b.reason = None;
    let mut data = json!({"message_id": message.id, "kind": kind, "author": message.author,
                          "agent_session_id": message.agent_session_id, "preview": preview(body),
                          "mentions": mentions});
    // Which AI session, if any, the contact wrote into: followers that
    // answer for a session skip the others without reading the conversation.
    if kind == MessageKind::Incoming {
        data["active_session_id"] = json!(b.conv.agent_session.as_ref().map(|s| s.id));
    }
    b.emit(EventKind::MessageCreated, Value::Null, Value::Null, data);
    for user_id in &mentions {
        b.effects.push(Effect::InsertMention {
            user_id: *user_id,
            message_id: message.id,
        });
        b.emit(
            EventKind::Mentioned,
            Value::Null,
            Value::Null,
            json!({"user_id": user_id, "message_id": message.id}),
        );
    }
    b.effects.insert(0, Effect::InsertMessage(message.clone()));
    b.message = Some(message);
    Ok(())
}

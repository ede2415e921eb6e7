//! What the page's buttons and forms do: each turns into one core command
//! applied through the store, exactly as the JSON API would, so permissions
//! and history are the core's. Success answers `204` with an
//! `HX-Trigger: baton-refresh` (the page re-reads its live regions).

use super::auth::{WebUser, done, go_to};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use baton_core::directory::UserPatch;
use baton_core::{
    AgentId, Availability, ChannelId, Command, ConversationId, MessageKind, Status, TeamId, UserId,
};
use serde::Deserialize;
use uuid::Uuid;

fn conversation(id: &str) -> Result<ConversationId, ApiError> {
    Uuid::parse_str(id)
        .map(ConversationId)
        .map_err(|_| ApiError::not_found("conversation"))
}

/// An optional id from a form: empty means "none".
fn opt_id(raw: &str, what: &str) -> Result<Option<Uuid>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(raw)
        .map(Some)
        .map_err(|_| ApiError::not_found(what))
}

async fn apply(state: &AppState, me: &WebUser, id: &str, cmd: Command) -> Result<Response, ApiError> {
    let id = conversation(id)?;
    state
        .store
        .apply(me.caller.ws(), &me.caller.actor(), id, cmd, None)
        .await?;
    Ok(done())
}

fn answer(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Assign (or, empty, unassign) a user.
#[derive(Debug, Deserialize)]
pub struct AssigneeForm {
    /// The user, or empty to unassign.
    #[serde(default)]
    pub user_id: String,
}

/// `POST /c/{id}/assignee`.
pub async fn assignee(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<AssigneeForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.user_id, "user")? {
                Some(u) => Command::AssignUser { user_id: UserId(u) },
                None => Command::UnassignUser,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// Assign (or, empty, unassign) an AI agent.
#[derive(Debug, Deserialize)]
pub struct AgentForm {
    /// The agent, or empty to unassign.
    #[serde(default)]
    pub agent_id: String,
    /// `true` when the box is ticked.
    #[serde(default)]
    pub send_initial_message: Option<String>,
}

/// `POST /c/{id}/agent`.
pub async fn agent(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<AgentForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.agent_id, "agent")? {
                Some(a) => Command::AssignAgent {
                    agent_id: AgentId(a),
                    send_initial_message: matches!(f.send_initial_message.as_deref(), Some("true" | "on")),
                },
                None => Command::UnassignAgent,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// Assign (or, empty, unassign) a team.
#[derive(Debug, Deserialize)]
pub struct TeamForm {
    /// The team, or empty to unassign.
    #[serde(default)]
    pub team_id: String,
}

/// `POST /c/{id}/team`.
pub async fn team(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TeamForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.team_id, "team")? {
                Some(t) => Command::AssignTeam { team_id: TeamId(t) },
                None => Command::UnassignTeam,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// `POST /c/{id}/agent_session/end`.
pub async fn end_session(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::EndAgentSession).await)
}

/// `POST /c/{id}/agent_session/resume`.
pub async fn resume_session(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::ResumeAgentSession).await)
}

/// `POST /c/{id}/draft`: ask the conversation's AI agent for a draft reply.
pub async fn draft(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(
        async {
            me.caller.require(baton_core::Action::Reply)?;
            let id = conversation(&id)?;
            state
                .agents
                .draft(me.caller.ws(), &me.caller.actor(), id, None)
                .await?;
            Ok(done())
        }
        .await,
    )
}

/// `POST /c/{id}/take_over`.
pub async fn take_over(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::TakeOver).await)
}

/// A new status.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    /// `open`, `pending` or `closed`.
    pub status: String,
}

/// `POST /c/{id}/status`.
pub async fn status(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    answer(
        async {
            let status = f
                .status
                .parse::<Status>()
                .map_err(|e| ApiError::invalid("invalid_status", e.to_string()))?;
            apply(
                &state,
                &me,
                &id,
                Command::SetStatus {
                    status,
                    snoozed_until: None,
                },
            )
            .await
        }
        .await,
    )
}

/// `POST /c/{id}/unread`: mark unread for me, and go back to the inbox
/// (staying would read it again).
pub async fn unread(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(
        async {
            apply(&state, &me, &id, Command::MarkUnread).await?;
            Ok(go_to("/"))
        }
        .await,
    )
}

/// A channel to move to.
#[derive(Debug, Deserialize)]
pub struct TransferForm {
    /// The channel.
    pub channel_id: String,
}

/// `POST /c/{id}/transfer`.
pub async fn transfer(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> Response {
    answer(
        async {
            let ch = opt_id(&f.channel_id, "channel")?.ok_or_else(|| ApiError::not_found("channel"))?;
            apply(
                &state,
                &me,
                &id,
                Command::Transfer {
                    channel_id: ChannelId(ch),
                },
            )
            .await
        }
        .await,
    )
}

/// A reply or a note.
#[derive(Debug, Deserialize)]
pub struct MessageForm {
    /// The text.
    pub body: String,
    /// `outgoing` (reply) or `note`.
    pub kind: String,
}

/// `POST /c/{id}/messages`.
pub async fn message(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> Response {
    answer(
        async {
            let kind = match f.kind.as_str() {
                "note" => MessageKind::Note,
                "outgoing" => MessageKind::Outgoing,
                other => {
                    return Err(ApiError::invalid(
                        "invalid_kind",
                        format!("a message from the inbox is a reply or a note, not {other:?}"),
                    ));
                }
            };
            apply(
                &state,
                &me,
                &id,
                Command::PostMessage {
                    kind,
                    body: f.body,
                    agent_session_id: None,
                },
            )
            .await
        }
        .await,
    )
}

/// My availability.
#[derive(Debug, Deserialize)]
pub struct AvailabilityForm {
    /// `online`, `away` or `offline`.
    pub availability: String,
}

/// `POST /me/availability`: anyone sets their own.
pub async fn availability(
    State(state): State<AppState>,
    me: WebUser,
    Form(f): Form<AvailabilityForm>,
) -> Response {
    answer(
        async {
            let av = f
                .availability
                .parse::<Availability>()
                .map_err(|e| ApiError::invalid("invalid_availability", e.to_string()))?;
            let patch = UserPatch {
                availability: Some(av),
                ..Default::default()
            };
            let u = &me.caller.user;
            state
                .store
                .update_user(u.workspace_id, &me.caller.actor(), u.id, patch)
                .await?;
            state.auth.forget_user(u.id);
            Ok(done())
        }
        .await,
    )
}

//! Ownership and state commands on one conversation. Each handler turns the
//! request into one core `Command`, applies it through the store (which asks
//! the core to decide) and answers with the conversation afterwards.

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::json::{ConversationJson, StatusSchema};
use crate::state::AppState;
use axum::extract::State;
use baton_core::{AgentId, ChannelId, Command, ConversationId, Status, TeamId, UserId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign_user, unassign_user))
        .routes(routes!(assign_agent, unassign_agent))
        .routes(routes!(end_agent_session))
        .routes(routes!(resume_agent_session))
        .routes(routes!(assign_team, unassign_team))
        .routes(routes!(take_over))
        .routes(routes!(set_status))
        .routes(routes!(mark_read))
        .routes(routes!(mark_unread))
        .routes(routes!(transfer))
}

/// Apply one command as the caller; the answer is the conversation afterwards.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    id: ConversationId,
    cmd: Command,
) -> ApiResult<Json<ConversationJson>> {
    let out = state
        .store
        .apply(caller.ws(), &caller.actor(), id, cmd, None)
        .await?;
    Ok(Json(out.view.into()))
}

/// Assign a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignUser {
    /// The new assignee: an active member who may reply.
    #[schema(value_type = uuid::Uuid)]
    pub user_id: UserId,
}

/// Assign an AI agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignAgent {
    /// The agent; a new session starts.
    #[schema(value_type = uuid::Uuid)]
    pub agent_id: AgentId,
    /// Whether the agent speaks first (default false: it waits for the contact).
    #[serde(default)]
    pub send_initial_message: bool,
}

/// Assign a team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignTeam {
    /// The team.
    #[schema(value_type = uuid::Uuid)]
    pub team_id: TeamId,
}

/// Change status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// The new status.
    #[schema(value_type = StatusSchema)]
    pub status: Status,
    /// Required for `snoozed` (in the future), refused otherwise.
    pub snoozed_until: Option<DateTime<Utc>>,
}

/// Move to another channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// A channel of the workspace other than the current one.
    #[schema(value_type = uuid::Uuid)]
    pub channel_id: ChannelId,
}

/// Assign a user (replaces any current assignee).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/assignee", tag = "ownership", request_body = AssignUser,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not assign", body = ErrorBody),
        (status = 404, description = "No such conversation or user", body = ErrorBody),
        (status = 422, description = "User deactivated or may not reply", body = ErrorBody)))]
pub async fn assign_user(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<AssignUser>,
) -> ApiResult<Json<ConversationJson>> {
    run(
        &state,
        &caller,
        id,
        Command::AssignUser {
            user_id: body.user_id,
        },
    )
    .await
}

/// Unassign the user.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/assignee", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not unassign", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn unassign_user(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::UnassignUser).await
}

/// Assign an AI agent: a new session starts (ending another agent's).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/agent", tag = "ownership", request_body = AssignAgent,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not assign", body = ErrorBody),
        (status = 404, description = "No such conversation or agent", body = ErrorBody),
        (status = 409, description = "The agent already has an active session", body = ErrorBody),
        (status = 422, description = "The agent is disabled", body = ErrorBody)))]
pub async fn assign_agent(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<AssignAgent>,
) -> ApiResult<Json<ConversationJson>> {
    let cmd = Command::AssignAgent {
        agent_id: body.agent_id,
        send_initial_message: body.send_initial_message,
    };
    run(&state, &caller, id, cmd).await
}

/// Unassign the AI agent; its active session ends (reason `unassigned`).
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/agent", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not unassign", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 409, description = "The conversation has no agent", body = ErrorBody)))]
pub async fn unassign_agent(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::UnassignAgent).await
}

/// End the active agent session (reason `ended_by_user`); the agent stays.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/agent_session/end", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 409, description = "No active agent session", body = ErrorBody)))]
pub async fn end_agent_session(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::EndAgentSession).await
}

/// Hand back to the AI: a new session for the conversation's agent.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/agent_session/resume", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 409, description = "No agent, or its session is active", body = ErrorBody)))]
pub async fn resume_agent_session(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::ResumeAgentSession).await
}

/// Assign a team.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/team", tag = "ownership", request_body = AssignTeam,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not assign", body = ErrorBody),
        (status = 404, description = "No such conversation or team", body = ErrorBody)))]
pub async fn assign_team(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<AssignTeam>,
) -> ApiResult<Json<ConversationJson>> {
    run(
        &state,
        &caller,
        id,
        Command::AssignTeam {
            team_id: body.team_id,
        },
    )
    .await
}

/// Unassign the team.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/team", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not unassign", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn unassign_team(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::UnassignTeam).await
}

/// Take over from the AI: the session ends (`taken_over`), `ai_handoff_at` is
/// stamped and the caller becomes the assignee.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/take_over", tag = "ownership",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 409, description = "No active agent session", body = ErrorBody)))]
pub async fn take_over(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::TakeOver).await
}

/// Change status: open, pending, snoozed (until a time) or closed.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/status", tag = "conversations", request_body = SetStatus,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "snoozed_until missing, in the past, or not allowed", body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<SetStatus>,
) -> ApiResult<Json<ConversationJson>> {
    let cmd = Command::SetStatus {
        status: body.status,
        snoozed_until: body.snoozed_until.map(baton_core::time::normalize),
    };
    run(&state, &caller, id, cmd).await
}

/// Mark read for the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::MarkRead).await
}

/// Mark unread for the caller.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/unread", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn mark_unread(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    run(&state, &caller, id, Command::MarkUnread).await
}

/// Continue the conversation on another channel; history is kept.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transfer", tag = "ownership", request_body = Transfer,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation or channel", body = ErrorBody),
        (status = 409, description = "Already on that channel", body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<Transfer>,
) -> ApiResult<Json<ConversationJson>> {
    run(
        &state,
        &caller,
        id,
        Command::Transfer {
            channel_id: body.channel_id,
        },
    )
    .await
}

//! AI agents: configuration only; secrets in their settings are never shown.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, double_option};
use crate::json::{AgentJson, HandoffModeSchema, List, RuntimeSchema, restore_redacted};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::directory::{AgentRuntime, HandoffMode};
use baton_core::{AgentId, TeamId};
use baton_store::{AgentPatch, NewAgent};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(get_agent, update_agent))
}

/// A new AI agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    /// Display name.
    pub name: String,
    /// `builtin` (knowledge base) or `openai` (an OpenAI-compatible endpoint).
    #[schema(value_type = RuntimeSchema)]
    pub runtime: AgentRuntime,
    /// Runtime settings, a JSON object (for `openai`: `base_url`, `model`, `api_key`, …).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
    /// Team that receives handoffs.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub handoff_team_id: Option<TeamId>,
    /// How a human is picked on handoff; default `round_robin`.
    #[schema(value_type = Option<HandoffModeSchema>)]
    pub handoff_mode: Option<HandoffMode>,
}

/// A change to an AI agent; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    /// New name.
    pub name: Option<String>,
    /// New runtime.
    #[schema(value_type = Option<RuntimeSchema>)]
    pub runtime: Option<AgentRuntime>,
    /// New settings (replace the whole object).
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
    /// New handoff team; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<uuid::Uuid>, nullable)]
    pub handoff_team_id: Option<Option<TeamId>>,
    /// New handoff mode.
    #[schema(value_type = Option<HandoffModeSchema>)]
    pub handoff_mode: Option<HandoffMode>,
    /// `false` disables the agent: it can no longer be assigned.
    pub active: Option<bool>,
}

/// Refuse settings the agent's runtime could not run with (422), so a typo
/// shows up now rather than as a handoff mid-conversation.
fn check_settings(runtime: AgentRuntime, settings: &Value) -> Result<(), ApiError> {
    if !settings.is_object() {
        // The store words this one.
        return Ok(());
    }
    baton_agents::validate_settings(runtime, settings)
        .map_err(|e| ApiError::invalid("invalid_settings", e.to_string()))
}

/// All AI agents.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    responses((status = 200, description = "Every agent", body = List<AgentJson>)))]
pub async fn list_agents(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<AgentJson>>> {
    let agents = state.store.list_agents(caller.ws()).await?;
    Ok(Json(List::all(agents.into_iter().map(Into::into).collect())))
}

/// Configure an AI agent (admins).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = CreateAgent,
    responses((status = 201, description = "The new agent", body = AgentJson),
        (status = 403, description = "Role may not manage agents", body = ErrorBody),
        (status = 404, description = "No such handoff team", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn create_agent(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateAgent>,
) -> ApiResult<(StatusCode, Json<AgentJson>)> {
    let settings = body.settings.unwrap_or_else(|| Value::Object(Default::default()));
    check_settings(body.runtime, &settings)?;
    let new = NewAgent {
        name: body.name,
        runtime: body.runtime,
        settings,
        handoff_team_id: body.handoff_team_id,
        handoff_mode: body.handoff_mode.unwrap_or(HandoffMode::RoundRobin),
    };
    let agent = state
        .store
        .create_agent(caller.ws(), &caller.actor(), new)
        .await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

/// One AI agent.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents",
    params(("id" = uuid::Uuid, Path, description = "Agent id")),
    responses((status = 200, description = "The agent", body = AgentJson),
        (status = 404, description = "No such agent", body = ErrorBody)))]
pub async fn get_agent(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<AgentId>,
) -> ApiResult<Json<AgentJson>> {
    Ok(Json(state.store.get_agent(caller.ws(), id).await?.into()))
}

/// Change an AI agent (admins).
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", request_body = UpdateAgent,
    params(("id" = uuid::Uuid, Path, description = "Agent id")),
    responses((status = 200, description = "The agent afterwards", body = AgentJson),
        (status = 403, description = "Role may not manage agents", body = ErrorBody),
        (status = 404, description = "No such agent or handoff team", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn update_agent(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<AgentId>,
    Json(body): Json<UpdateAgent>,
) -> ApiResult<Json<AgentJson>> {
    let settings = match body.settings {
        Some(new) => {
            let current = state.store.get_agent(caller.ws(), id).await?;
            let merged = restore_redacted(new, &current.settings);
            check_settings(body.runtime.unwrap_or(current.runtime), &merged)?;
            Some(merged)
        }
        None => None,
    };
    let patch = AgentPatch {
        name: body.name,
        runtime: body.runtime,
        settings,
        handoff_team_id: body.handoff_team_id,
        handoff_mode: body.handoff_mode,
        active: body.active,
    };
    let agent = state
        .store
        .update_agent(caller.ws(), &caller.actor(), id, patch)
        .await?;
    Ok(Json(agent.into()))
}

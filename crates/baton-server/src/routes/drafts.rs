//! AI drafts: a proposed reply an agent writes for a human to edit and send.
//! One per conversation, visible to every member, kept across reassignment,
//! replaced by the next request and cleared when a user sends a reply.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::{Actor, AgentId, ConversationId};
use baton_store::Draft;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_draft, request_draft))
}

/// An AI draft reply.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Draft)]
pub struct DraftJson {
    /// The conversation.
    #[schema(value_type = uuid::Uuid)]
    pub conversation_id: ConversationId,
    /// The agent that wrote it.
    #[schema(value_type = uuid::Uuid)]
    pub agent_id: AgentId,
    /// The proposed reply.
    pub body: String,
    /// Why: runtime, model, sources (articles), confidence, action, reason.
    #[schema(value_type = Object)]
    pub receipt: Value,
    /// Who asked for it.
    #[schema(value_type = Object)]
    pub requested_by: Actor,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Draft> for DraftJson {
    fn from(d: Draft) -> Self {
        Self {
            conversation_id: d.conversation_id,
            agent_id: d.agent_id,
            body: d.body,
            receipt: d.receipt,
            requested_by: d.requested_by,
            created_at: d.created_at,
        }
    }
}

/// Which agent should draft.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestDraft {
    /// The agent; default the conversation's agent.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub agent_id: Option<AgentId>,
}

/// The conversation's AI draft; 404 `no_draft` when there is none.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/draft", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The draft", body = DraftJson),
        (status = 404, description = "No such conversation (`not_found`) or no draft (`no_draft`)", body = ErrorBody)))]
pub async fn get_draft(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<DraftJson>> {
    match state.store.get_draft(caller.ws(), id).await? {
        Some(d) => Ok(Json(d.into())),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_draft",
            "the conversation has no AI draft",
        )),
    }
}

/// Ask an AI agent for a draft reply to the contact's last message; it
/// replaces any earlier draft. The body may be empty (`{}`) to use the
/// conversation's agent.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/draft", tag = "conversations",
    request_body = RequestDraft,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 201, description = "The new draft", body = DraftJson),
        (status = 403, description = "Role may not reply", body = ErrorBody),
        (status = 404, description = "No such conversation or agent", body = ErrorBody),
        (status = 409, description = "Nothing to answer, or the agent proposes no reply (`no_draft`)", body = ErrorBody),
        (status = 422, description = "No agent given and none on the conversation, or the agent is disabled", body = ErrorBody)))]
pub async fn request_draft(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<DraftJson>)> {
    caller.require(baton_core::Action::Reply)?;
    // The body is optional: none means the conversation's agent.
    let req: RequestDraft = if body.iter().all(u8::is_ascii_whitespace) {
        RequestDraft::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid("invalid_body", format!("the body is not a draft request: {e}")))?
    };
    let agent = req.agent_id;
    let d = state
        .agents
        .draft(caller.ws(), &caller.actor(), id, agent)
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

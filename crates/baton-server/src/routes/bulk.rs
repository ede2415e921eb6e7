//! The same command on many conversations, with a result per id.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
use crate::extract::Json;
use crate::json::{ConversationJson, PrioritySchema, StatusSchema};
use crate::state::AppState;
use axum::extract::State;
use baton_core::{AgentId, ChannelId, Command, ConversationId, Priority, Status, TeamId, UserId};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The most ids one bulk request may name.
pub const MAX_BULK_IDS: usize = 500;

/// How many commands of one request run at once: enough to let the store
/// group commits, few enough not to starve other clients.
const CONCURRENCY: usize = 8;

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk))
}

// Variants without fields are written `{}` so that unknown fields are refused
// for them too: serde ignores extra fields of unit variants.
/// One operation, shaped like the body of the matching single endpoint.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkOp {
    /// Like `PUT .../assignee`.
    AssignUser {
        /// The new assignee.
        #[schema(value_type = uuid::Uuid)]
        user_id: UserId,
    },
    /// Like `DELETE .../assignee`.
    UnassignUser {},
    /// Like `PUT .../agent`.
    AssignAgent {
        /// The agent.
        #[schema(value_type = uuid::Uuid)]
        agent_id: AgentId,
        /// Whether the agent speaks first.
        #[serde(default)]
        send_initial_message: bool,
    },
    /// Like `DELETE .../agent`.
    UnassignAgent {},
    /// Like `POST .../agent_session/end`.
    EndAgentSession {},
    /// Like `POST .../agent_session/resume`.
    ResumeAgentSession {},
    /// Like `PUT .../team`.
    AssignTeam {
        /// The team.
        #[schema(value_type = uuid::Uuid)]
        team_id: TeamId,
    },
    /// Like `DELETE .../team`.
    UnassignTeam {},
    /// Like `POST .../take_over`.
    TakeOver {},
    /// Like `POST .../status`.
    SetStatus {
        /// The new status.
        #[schema(value_type = StatusSchema)]
        status: Status,
        /// For `snoozed`.
        #[serde(default)]
        snoozed_until: Option<DateTime<Utc>>,
    },
    /// Like `PATCH` with `priority`.
    SetPriority {
        /// The new priority.
        #[schema(value_type = PrioritySchema)]
        priority: Priority,
    },
    /// Like `PATCH` with `tags`.
    SetTags {
        /// The new tags.
        tags: Vec<String>,
    },
    /// Like `POST .../read`.
    MarkRead {},
    /// Like `POST .../unread`.
    MarkUnread {},
    /// Like `POST .../transfer`.
    Transfer {
        /// The new channel.
        #[schema(value_type = uuid::Uuid)]
        channel_id: ChannelId,
    },
}

impl BulkOp {
    fn command(&self) -> Command {
        match self.clone() {
            BulkOp::AssignUser { user_id } => Command::AssignUser { user_id },
            BulkOp::UnassignUser {} => Command::UnassignUser,
            BulkOp::AssignAgent {
                agent_id,
                send_initial_message,
            } => Command::AssignAgent {
                agent_id,
                send_initial_message,
            },
            BulkOp::UnassignAgent {} => Command::UnassignAgent,
            BulkOp::EndAgentSession {} => Command::EndAgentSession,
            BulkOp::ResumeAgentSession {} => Command::ResumeAgentSession,
            BulkOp::AssignTeam { team_id } => Command::AssignTeam { team_id },
            BulkOp::UnassignTeam {} => Command::UnassignTeam,
            BulkOp::TakeOver {} => Command::TakeOver,
            BulkOp::SetStatus {
                status,
                snoozed_until,
            } => Command::SetStatus {
                status,
                snoozed_until: snoozed_until.map(baton_core::time::normalize),
            },
            BulkOp::SetPriority { priority } => Command::SetPriority { priority },
            BulkOp::SetTags { tags } => Command::SetTags { tags },
            BulkOp::MarkRead {} => Command::MarkRead,
            BulkOp::MarkUnread {} => Command::MarkUnread,
            BulkOp::Transfer { channel_id } => Command::Transfer { channel_id },
        }
    }
}

/// A bulk request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Conversation ids (at most 500).
    pub ids: Vec<String>,
    /// The operation.
    pub op: BulkOp,
}

/// The outcome for one id.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItem {
    /// The id as sent.
    pub id: String,
    /// Whether the operation was applied.
    pub ok: bool,
    /// The conversation afterwards, when `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationJson>,
    /// Why not, when not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// Per-id results, in the order of `ids`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// One per id.
    pub results: Vec<BulkItem>,
}

/// Apply one operation to many conversations. Each id succeeds or fails on
/// its own (its own transaction); the answer is 200 with a result per id.
#[utoipa::path(post, path = "/api/v1/conversations/bulk", tag = "conversations", request_body = BulkRequest,
    responses((status = 200, description = "A result per id", body = BulkResponse),
        (status = 422, description = "Too many ids, or a malformed op", body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BulkRequest>,
) -> ApiResult<Json<BulkResponse>> {
    if body.ids.len() > MAX_BULK_IDS {
        return Err(ApiError::invalid(
            "too_many_ids",
            format!("at most {MAX_BULK_IDS} ids per request, got {}", body.ids.len()),
        ));
    }
    let cmd = body.op.command();
    let (ws, actor) = (caller.ws(), caller.actor());
    let results = futures::stream::iter(body.ids)
        .map(|raw| {
            let (state, actor, cmd) = (&state, &actor, cmd.clone());
            async move {
                let outcome = match raw.parse::<ConversationId>() {
                    Ok(id) => state
                        .store
                        .apply(ws, actor, id, cmd, None)
                        .await
                        .map_err(ApiError::from),
                    Err(_) => Err(ApiError::not_found("conversation")),
                };
                match outcome {
                    Ok(out) => BulkItem {
                        id: raw,
                        ok: true,
                        conversation: Some(out.view.into()),
                        error: None,
                    },
                    Err(e) => BulkItem {
                        id: raw,
                        ok: false,
                        conversation: None,
                        error: Some(ErrorDetail {
                            code: e.code.to_string(),
                            message: e.message,
                        }),
                    },
                }
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    Ok(Json(BulkResponse { results }))
}

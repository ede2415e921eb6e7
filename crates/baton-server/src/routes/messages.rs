//! Messages and internal notes of a conversation.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, Params};
use crate::json::{List, MessageJson, PostKindSchema};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::{Command, ConversationId, MessageKind};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_messages, post_message))
}

/// A reply to the contact, or an internal note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// The text. In notes, `@handle` mentions a user.
    pub body: String,
    /// `outgoing` (default: sent to the contact) or `note` (internal).
    #[schema(value_type = Option<PostKindSchema>)]
    pub kind: Option<MessageKind>,
}

/// Messages and notes, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messages",
    params(("id" = uuid::Uuid, Path, description = "Conversation id"), PageParams),
    responses((status = 200, description = "A page of messages", body = List<MessageJson>),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<List<MessageJson>>> {
    let page = state
        .store
        .list_messages(caller.ws(), id, &page.request())
        .await?;
    Ok(Json(List::from_page(page, MessageJson::from)))
}

/// Reply (`outgoing`) or write an internal note (`note`, any role).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messages", request_body = PostMessage,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 201, description = "The new message", body = MessageJson),
        (status = 403, description = "Viewers may only write notes", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Empty or too long body, or kind incoming", body = ErrorBody)))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<PostMessage>,
) -> ApiResult<(StatusCode, Json<MessageJson>)> {
    let kind = body.kind.unwrap_or(MessageKind::Outgoing);
    if kind == MessageKind::Incoming {
        return Err(ApiError::invalid(
            "invalid_kind",
            "incoming messages come from contacts: post to /api/v1/channels/{id}/inbound",
        ));
    }
    let cmd = Command::PostMessage {
        kind,
        body: body.body,
        agent_session_id: None,
    };
    let out = state
        .store
        .apply(caller.ws(), &caller.actor(), id, cmd, None)
        .await?;
    let message = out
        .message
        .ok_or_else(|| ApiError::internal("an accepted message was not returned by the store"))?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

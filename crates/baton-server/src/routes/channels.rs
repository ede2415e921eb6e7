//! Channels, and inbound messages posted to them.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, double_option};
use crate::json::{ChannelJson, ChannelKindSchema, ConversationJson, List, ReplyModeSchema};
use crate::routes::contacts::ContactFields;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::directory::{ChannelKind, ReplyMode};
use baton_core::{Action, AgentId, ChannelId};
use baton_store::{ChannelPatch, NewChannel};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(get_channel, update_channel))
        .routes(routes!(inbound))
}

/// A new channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    /// Kind: `web_chat`, `email`, `sms` or `api`.
    #[schema(value_type = ChannelKindSchema)]
    pub kind: ChannelKind,
    /// Display name.
    pub name: String,
    /// Agent that starts every new conversation (autopilot).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub autopilot_agent_id: Option<AgentId>,
    /// What AI agents may do here (default `auto`).
    #[schema(value_type = Option<ReplyModeSchema>)]
    pub reply_mode: Option<ReplyMode>,
}

/// A change to a channel; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannel {
    /// New display name.
    pub name: Option<String>,
    /// New autopilot agent; `null` turns autopilot off.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<uuid::Uuid>, nullable)]
    pub autopilot_agent_id: Option<Option<AgentId>>,
    /// New reply mode.
    #[schema(value_type = Option<ReplyModeSchema>)]
    pub reply_mode: Option<ReplyMode>,
}

/// An inbound message from a contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    /// Who writes: at least one of `email`, `phone`, `external_id`.
    pub contact: ContactFields,
    /// The message text.
    pub body: String,
}

/// All channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "Every channel", body = List<ChannelJson>)))]
pub async fn list_channels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<List<ChannelJson>>> {
    let channels = state.store.list_channels(caller.ws()).await?;
    Ok(Json(List::all(channels.into_iter().map(Into::into).collect())))
}

/// Create a channel (admins).
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = CreateChannel,
    responses((status = 201, description = "The new channel", body = ChannelJson),
        (status = 403, description = "Role may not manage channels", body = ErrorBody),
        (status = 404, description = "No such autopilot agent", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn create_channel(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateChannel>,
) -> ApiResult<(StatusCode, Json<ChannelJson>)> {
    let new = NewChannel {
        kind: body.kind,
        name: body.name,
        autopilot_agent_id: body.autopilot_agent_id,
        reply_mode: body.reply_mode.unwrap_or_default(),
    };
    let channel = state
        .store
        .create_channel(caller.ws(), &caller.actor(), new)
        .await?;
    Ok((StatusCode::CREATED, Json(channel.into())))
}

/// One channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 200, description = "The channel", body = ChannelJson),
        (status = 404, description = "No such channel", body = ErrorBody)))]
pub async fn get_channel(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ChannelId>,
) -> ApiResult<Json<ChannelJson>> {
    Ok(Json(state.store.get_channel(caller.ws(), id).await?.into()))
}

/// Change a channel's name, autopilot agent or reply mode (admins).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = UpdateChannel,
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 200, description = "The channel afterwards", body = ChannelJson),
        (status = 403, description = "Role may not manage channels", body = ErrorBody),
        (status = 404, description = "No such channel or autopilot agent", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn update_channel(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ChannelId>,
    Json(body): Json<UpdateChannel>,
) -> ApiResult<Json<ChannelJson>> {
    let patch = ChannelPatch {
        name: body.name,
        autopilot_agent_id: body.autopilot_agent_id,
        reply_mode: body.reply_mode,
    };
    let channel = state
        .store
        .update_channel(caller.ws(), &caller.actor(), id, patch)
        .await?;
    Ok(Json(channel.into()))
}

/// Post an inbound message from a contact: the contact is found by a handle or
/// created; the message joins their open (or pending/snoozed) conversation on
/// this channel, or reopens the closed one, or starts a new one. Integrations
/// call this with the token of a user who may reply (any role but viewer).
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbound", tag = "channels", request_body = Inbound,
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 201, description = "A new conversation", body = ConversationJson),
        (status = 200, description = "The existing conversation, continued or reopened", body = ConversationJson),
        (status = 403, description = "Viewers may not post inbound messages", body = ErrorBody),
        (status = 404, description = "No such channel", body = ErrorBody),
        (status = 409, description = "The handles name different contacts", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn inbound(
    State(state): State<AppState>,
    caller: Caller,
    Id(channel): Id<ChannelId>,
    Json(body): Json<Inbound>,
) -> ApiResult<(StatusCode, Json<ConversationJson>)> {
    caller.require(Action::Reply)?;
    let contact = body.contact.into_input()?;
    if body.body.trim().is_empty() {
        return Err(ApiError::invalid("empty_body", "the message body is empty"));
    }
    let out = state
        .store
        .inbound_view(caller.ws(), channel, contact, &body.body, Some(caller.user.id))
        .await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out.view.into())))
}

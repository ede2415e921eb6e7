//! Conversations: the list views, counts, one conversation, priority and tags,
//! and the timeline.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, Params, parse_word};
use crate::json::{ConversationJson, EventJson, List, PrioritySchema, ViewCountsJson};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use baton_core::{ChannelId, Command, ConversationId, Priority, Status, TeamId};
use baton_store::{CommandOutcome, StatusFilter, View, ViewFilter, in_tx, ops};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversations))
        .routes(routes!(counts))
        .routes(routes!(get_conversation, update_conversation))
        .routes(routes!(timeline))
}

/// Which conversations to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `mine`, `unassigned`, `assigned`, `mentions`, `all` (default) or `ai_queue`.
    pub view: Option<String>,
    /// Only this team's conversations.
    pub team_id: Option<String>,
    /// `open` (default), `pending`, `snoozed`, `closed` or `all`.
    pub status: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    /// Only this channel.
    pub channel_id: Option<String>,
    /// Search message text and contact names.
    pub q: Option<String>,
    /// `true`: only unread for the caller; `false`: only read.
    pub unread: Option<bool>,
    /// Page size: default 50, at most 200.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn parse_id<T: std::str::FromStr>(raw: Option<&str>, name: &str) -> Result<Option<T>, ApiError> {
    raw.map(|s| {
        s.parse::<T>()
            .map_err(|_| ApiError::invalid("invalid_query", format!("{name} {s:?} is not a valid id")))
    })
    .transpose()
}

impl ListQuery {
    fn filter(&self) -> Result<ViewFilter, ApiError> {
        let status = match self.status.as_deref() {
            None | Some("open") => StatusFilter::Open,
            Some("all") => StatusFilter::Any,
            Some(s) => StatusFilter::Only(s.parse::<Status>().map_err(|_| {
                ApiError::invalid(
                    "invalid_status",
                    format!("unknown status {s:?}: use open, pending, snoozed, closed or all"),
                )
            })?),
        };
        Ok(ViewFilter {
            view: parse_word::<View>(self.view.as_deref(), "invalid_view")?,
            team_id: parse_id::<TeamId>(self.team_id.as_deref(), "team_id")?,
            status,
            priority: parse_word::<Priority>(self.priority.as_deref(), "invalid_priority")?,
            channel_id: parse_id::<ChannelId>(self.channel_id.as_deref(), "channel_id")?,
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_string),
            unread: self.unread,
        })
    }
}

/// An inbox view, newest activity first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListQuery),
    responses((status = 200, description = "A page of conversations", body = List<ConversationJson>),
        (status = 422, description = "Unknown view, status, priority, bad id or cursor", body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    Params(query): Params<ListQuery>,
) -> ApiResult<Json<List<ConversationJson>>> {
    let filter = query.filter()?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let page = state
        .store
        .list_conversations(caller.ws(), caller.user.id, &filter, &page.request())
        .await?;
    Ok(Json(List::from_page(page, ConversationJson::from)))
}

/// Open conversations in each view, for the caller.
#[utoipa::path(get, path = "/api/v1/conversations/counts", tag = "conversations",
    responses((status = 200, description = "Counts per view and team", body = ViewCountsJson)))]
pub async fn counts(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<ViewCountsJson>> {
    Ok(Json(
        state.store.view_counts(caller.ws(), caller.user.id).await?.into(),
    ))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation", body = ConversationJson),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
) -> ApiResult<Json<ConversationJson>> {
    let view = state
        .store
        .get_conversation(caller.ws(), Some(caller.user.id), id)
        .await?;
    Ok(Json(view.into()))
}

/// Priority and tags.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    /// New priority.
    #[schema(value_type = Option<PrioritySchema>)]
    pub priority: Option<Priority>,
    /// Replace the tags (trimmed, lower-cased, unique).
    pub tags: Option<Vec<String>>,
}

/// Change priority and/or tags, both or neither.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    request_body = UpdateConversation,
    params(("id" = uuid::Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation afterwards", body = ConversationJson),
        (status = 403, description = "Viewers may not", body = ErrorBody),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody)))]
pub async fn update_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Json(body): Json<UpdateConversation>,
) -> ApiResult<Json<ConversationJson>> {
    let mut cmds = Vec::new();
    if let Some(tags) = body.tags {
        cmds.push(Command::SetTags { tags });
    }
    if let Some(priority) = body.priority {
        cmds.push(Command::SetPriority { priority });
    }
    if cmds.is_empty() {
        return get_conversation(State(state), caller, Id(id)).await;
    }
    let (ws, actor) = (caller.ws(), caller.actor());
    // One transaction for both, so a refused half leaves the other undone.
    let out: CommandOutcome = in_tx(state.store.as_ref(), move |tx| {
        Box::pin(async move {
            let mut last = None;
            for cmd in &cmds {
                last = Some(ops::apply(&mut *tx, ws, &actor, id, cmd, None).await?);
            }
            last.ok_or_else(|| baton_store::StoreError::Database("no command ran".into()))
        })
    })
    .await?;
    Ok(Json(out.view.into()))
}

/// Every event of the conversation, oldest first: kind, actor, time, before,
/// after, reason and (for routing) the explanation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/timeline", tag = "conversations",
    params(("id" = uuid::Uuid, Path, description = "Conversation id"), PageParams),
    responses((status = 200, description = "A page of events", body = List<EventJson>),
        (status = 404, description = "No such conversation", body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<ConversationId>,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<List<EventJson>>> {
    let page = state.store.timeline(caller.ws(), id, &page.request()).await?;
    Ok(Json(List::from_page(page, EventJson::from)))
}

//! Outbound webhook subscriptions (admins).

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::json::List;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::{UserId, WebhookId};
use baton_store::notifications::{NewWebhook, Webhook};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
}

/// A subscription (the secret is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookJson {
    /// The subscription.
    #[schema(value_type = uuid::Uuid)]
    pub id: WebhookId,
    /// Where events are POSTed.
    pub url: String,
    /// Event kinds, or `["*"]`.
    pub events: Vec<String>,
    /// False once disabled after repeated failures.
    pub enabled: bool,
    /// Failed deliveries in a row.
    pub consecutive_failures: u32,
    /// Who created it (told when it is disabled).
    #[schema(value_type = uuid::Uuid)]
    pub created_by: UserId,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookJson {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            enabled: w.enabled,
            consecutive_failures: w.consecutive_failures,
            created_by: w.created_by,
            created_at: w.created_at,
        }
    }
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// Event kinds (e.g. `conversation.assignee_changed`), or `["*"]` for all.
    pub events: Vec<String>,
    /// The HMAC-SHA256 key for `X-Baton-Signature` (16 to 256 characters).
    pub secret: String,
}

/// The workspace's subscriptions (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "Subscriptions", body = List<WebhookJson>),
        (status = 403, description = "Only owners and admins", body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<List<WebhookJson>>> {
    let hooks = state.store.list_webhooks(caller.ws(), &caller.actor()).await?;
    Ok(Json(List::all(hooks.into_iter().map(Into::into).collect())))
}

/// Subscribe a URL to events (admins). Deliveries start with the next event.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, description = "The subscription", body = WebhookJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "Only owners and admins", body = ErrorBody),
        (status = 422, description = "URL not http(s), unknown event kind or short secret", body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookJson>)> {
    let new = NewWebhook {
        url: body.url,
        events: body.events,
        secret: body.secret,
    };
    let hook = state
        .store
        .create_webhook(caller.ws(), &caller.actor(), new)
        .await?;
    Ok((StatusCode::CREATED, Json(hook.into())))
}

/// Delete a subscription (admins); its pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = uuid::Uuid, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Only owners and admins", body = ErrorBody),
        (status = 404, description = "No such webhook", body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<WebhookId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_webhook(caller.ws(), &caller.actor(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! The caller's in-app notifications and notification preferences, and the
//! admins' view of deliveries.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Id, Json, Params};
use crate::routes::PageParams;
use crate::state::AppState;
use axum::extract::State;
use baton_core::notify::{Media, NotificationKind, Preferences};
use baton_core::{Action, ConversationId, DeliveryId, NotificationId, WebhookId};
use baton_store::notifications::{Attempt, Delivery, Notification, status};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(list_deliveries))
}

/// One in-app notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationJson {
    /// The notification.
    #[schema(value_type = uuid::Uuid)]
    pub id: NotificationId,
    /// Why: `assigned`, `team_assigned`, `mentioned`, `contact_replied`, `handed_off`, `webhook_disabled`.
    pub kind: String,
    /// The conversation it is about.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub conversation_id: Option<ConversationId>,
    /// The event that caused it (its seq in the workspace log).
    pub event_seq: Option<i64>,
    /// One line for people.
    pub title: String,
    /// The message or reason.
    pub body: String,
    /// Not read yet.
    pub unread: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationJson {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str().to_string(),
            conversation_id: n.conversation_id,
            event_seq: n.event_seq,
            title: n.title,
            body: n.body,
            unread: n.read_at.is_none(),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// A page of notifications and the unread count.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    /// Newest first.
    pub items: Vec<NotificationJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread notifications in all pages.
    pub unread_count: i64,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(PageParams),
    responses((status = 200, description = "A page of notifications", body = NotificationList),
        (status = 422, description = "Bad cursor", body = ErrorBody)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Params(page): Params<PageParams>,
) -> ApiResult<Json<NotificationList>> {
    let (page, unread_count) = state
        .store
        .list_notifications(caller.ws(), caller.user.id, &page.request())
        .await?;
    Ok(Json(NotificationList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
        unread_count,
    }))
}

/// Mark one of the caller's notifications read (idempotent).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = uuid::Uuid, Path, description = "Notification id")),
    responses((status = 200, description = "The notification, read", body = NotificationJson),
        (status = 404, description = "Not one of the caller's notifications", body = ErrorBody)))]
pub async fn read_notification(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<NotificationId>,
) -> ApiResult<Json<NotificationJson>> {
    let n = state
        .store
        .mark_notification_read(caller.ws(), caller.user.id, id)
        .await?;
    Ok(Json(n.into()))
}

/// Which media one kind goes to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaJson {
    /// In the app (list and header counter).
    pub in_app: bool,
    /// By email.
    pub email: bool,
    /// By Slack DM (needs `slack_member_id`).
    pub slack: bool,
}

/// Media per notification kind; a kind left out of a PUT takes its default.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindsJson {
    /// A conversation was assigned to you by someone else or by routing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<MediaJson>,
    /// Your team was given a conversation (default off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_assigned: Option<MediaJson>,
    /// You were @mentioned in a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentioned: Option<MediaJson>,
    /// The contact wrote into a conversation you own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_replied: Option<MediaJson>,
    /// An AI agent handed a conversation to you.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_off: Option<MediaJson>,
    /// A webhook you created was disabled after failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_disabled: Option<MediaJson>,
}

/// Notification preferences.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesJson {
    /// Your Slack member id (e.g. `U012AB3CD`); Slack DMs need it. Null turns Slack off.
    #[serde(default)]
    pub slack_member_id: Option<String>,
    /// Media per kind.
    #[serde(default)]
    pub kinds: KindsJson,
}

impl KindsJson {
    fn slot(&mut self, k: NotificationKind) -> &mut Option<MediaJson> {
        match k {
            NotificationKind::Assigned => &mut self.assigned,
            NotificationKind::TeamAssigned => &mut self.team_assigned,
            NotificationKind::Mentioned => &mut self.mentioned,
            NotificationKind::ContactReplied => &mut self.contact_replied,
            NotificationKind::HandedOff => &mut self.handed_off,
            NotificationKind::WebhookDisabled => &mut self.webhook_disabled,
        }
    }
}

impl From<Preferences> for PreferencesJson {
    fn from(p: Preferences) -> Self {
        let mut kinds = KindsJson::default();
        for (k, m) in p.kinds {
            *kinds.slot(k) = Some(MediaJson {
                in_app: m.in_app,
                email: m.email,
                slack: m.slack,
            });
        }
        Self {
            slack_member_id: p.slack_member_id,
            kinds,
        }
    }
}

impl From<PreferencesJson> for Preferences {
    fn from(mut j: PreferencesJson) -> Self {
        let mut p = Preferences {
            slack_member_id: j.slack_member_id,
            kinds: Default::default(),
        };
        for k in NotificationKind::ALL {
            if let Some(m) = j.kinds.slot(k).take() {
                p.kinds.insert(
                    k,
                    Media {
                        in_app: m.in_app,
                        email: m.email,
                        slack: m.slack,
                    },
                );
            }
        }
        p
    }
}

/// The caller's notification preferences, defaults filled in.
#[utoipa::path(get, path = "/api/v1/me/notification_preferences", tag = "notifications",
    responses((status = 200, description = "Preferences", body = PreferencesJson)))]
pub async fn get_preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PreferencesJson>> {
    let p = state.store.notification_preferences(caller.user.id).await?;
    Ok(Json(p.into()))
}

/// Replace the caller's notification preferences.
#[utoipa::path(put, path = "/api/v1/me/notification_preferences", tag = "notifications",
    request_body = PreferencesJson,
    responses((status = 200, description = "Preferences afterwards", body = PreferencesJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 422, description = "Invalid Slack member id", body = ErrorBody)))]
pub async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<PreferencesJson>,
) -> ApiResult<Json<PreferencesJson>> {
    let p = state
        .store
        .set_notification_preferences(caller.user.id, body.into())
        .await?;
    Ok(Json(p.into()))
}

/// Delivery filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// Only the deliveries of this webhook (its attempt log).
    #[param(value_type = Option<uuid::Uuid>)]
    pub webhook_id: Option<String>,
    /// How many, newest first (default 50, at most 200).
    pub limit: Option<u32>,
}

/// One attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptJson {
    /// When.
    pub at: DateTime<Utc>,
    /// Succeeded.
    pub ok: bool,
    /// What went wrong.
    pub error: Option<String>,
}

/// A delivery of a notification (email, Slack) or an event (webhook).
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryJson {
    /// The delivery.
    #[schema(value_type = uuid::Uuid)]
    pub id: DeliveryId,
    /// `email`, `slack` or `webhook`.
    pub target: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// The notification (email, Slack).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub notification_id: Option<NotificationId>,
    /// The subscription (webhook).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub webhook_id: Option<WebhookId>,
    /// The event kind (webhook) or notification kind.
    pub kind: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Next attempt not before (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Every attempt.
    pub log: Vec<AttemptJson>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryJson {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            kind: d.payload.get("kind").and_then(|k| k.as_str()).map(str::to_string),
            target: d.target,
            status: d.status,
            notification_id: d.notification_id,
            webhook_id: d.webhook_id,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            log: d
                .log
                .into_iter()
                .map(|Attempt { at, ok, error }| AttemptJson { at, ok, error })
                .collect(),
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// Deliveries of the workspace, newest first (admins): what failed and why.
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "notifications", params(DeliveryQuery),
    responses((status = 200, description = "Deliveries", body = crate::json::List<DeliveryJson>),
        (status = 403, description = "Only owners and admins", body = ErrorBody),
        (status = 422, description = "Unknown status", body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<DeliveryQuery>,
) -> ApiResult<Json<crate::json::List<DeliveryJson>>> {
    caller.require(Action::Manage)?;
    if let Some(s) = q.status.as_deref()
        && ![status::PENDING, status::DELIVERED, status::FAILED].contains(&s)
    {
        return Err(ApiError::invalid(
            "invalid_status",
            "status must be pending, delivered or failed",
        ));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let webhook = match q.webhook_id.as_deref() {
        Some(w) => Some(
            w.parse::<WebhookId>()
                .map_err(|_| ApiError::invalid("invalid_webhook_id", "webhook_id must be a webhook id"))?,
        ),
        None => None,
    };
    let items = state
        .store
        .list_deliveries(caller.ws(), &caller.actor(), q.status, webhook, limit)
        .await?;
    Ok(Json(crate::json::List::all(
        items.into_iter().map(Into::into).collect(),
    )))
}

//! The signed-in user's notifications (list and the live header counter),
//! their notification settings, and the admins' list of deliveries.

use super::auth::{WebUser, done, render};
use super::layout::{Layout, long_time, short_time};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::notify::{Media, NotificationKind, Preferences};
use baton_core::{Action, NotificationId};
use baton_store::PageRequest;

/// Routes of these pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_page))
        .route("/notifications/badge", get(badge))
        .route("/notifications/{id}/read", post(mark_read))
        .route("/settings/notifications", get(settings_page).post(save_settings))
        .route("/admin/deliveries", get(deliveries_page))
}

fn page<T: Template>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

/// The header counter, swapped in on load and after live events.
#[derive(Template)]
#[template(path = "notification_badge.html")]
pub struct Badge {
    /// Unread notifications.
    pub unread: i64,
}

async fn badge(State(state): State<AppState>, me: WebUser) -> Response {
    match state
        .store
        .unread_notifications(me.caller.ws(), me.caller.user.id)
        .await
    {
        Ok(unread) => render(StatusCode::OK, &Badge { unread }),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// One row of the list.
pub struct Row {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Detail.
    pub body: String,
    /// Link to the conversation, if any.
    pub href: Option<String>,
    /// Unread?
    pub unread: bool,
    /// Short time.
    pub when: String,
    /// Full time.
    pub when_long: String,
}

/// `/notifications`.
#[derive(Template)]
#[template(path = "notifications.html")]
pub struct ListPage {
    /// Frame.
    pub layout: Layout,
    /// Newest first.
    pub rows: Vec<Row>,
    /// Unread count.
    pub unread: i64,
}

async fn list_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            let (items, unread) = state
                .store
                .list_notifications(me.caller.ws(), me.caller.user.id, &PageRequest::first(100))
                .await?;
            Ok(ListPage {
                layout: Layout::new(&me, "Notifications", "notifications"),
                unread,
                rows: items
                    .items
                    .into_iter()
                    .map(|n| Row {
                        id: n.id.to_string(),
                        title: n.title,
                        body: n.body,
                        href: n.conversation_id.map(|c| format!("/c/{c}")),
                        unread: n.read_at.is_none(),
                        when: short_time(n.created_at),
                        when_long: long_time(n.created_at),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

async fn mark_read(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<NotificationId>() else {
        return ApiError::not_found("notification").into_response();
    };
    match state
        .store
        .mark_notification_read(me.caller.ws(), me.caller.user.id, id)
        .await
    {
        Ok(_) => done(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// One line of the settings grid.
pub struct KindRow {
    /// The kind's word (form field prefix).
    pub kind: &'static str,
    /// What it means.
    pub label: &'static str,
    /// Media chosen.
    pub media: Media,
}

/// `/settings/notifications`.
#[derive(Template)]
#[template(path = "notification_settings.html")]
pub struct SettingsPage {
    /// Frame.
    pub layout: Layout,
    /// Slack member id, empty for none.
    pub slack_member_id: String,
    /// One row per kind.
    pub kinds: Vec<KindRow>,
}

async fn settings_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            let prefs = state.store.notification_preferences(me.caller.user.id).await?;
            Ok(SettingsPage {
                layout: Layout::new(&me, "Notification settings", "notifications"),
                slack_member_id: prefs.slack_member_id.clone().unwrap_or_default(),
                kinds: NotificationKind::ALL
                    .into_iter()
                    .map(|k| KindRow {
                        kind: k.as_str(),
                        label: k.title(),
                        media: prefs
                            .kinds
                            .get(&k)
                            .copied()
                            .unwrap_or_else(|| Preferences::default_media(k)),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Checkboxes arrive as `<kind>.<medium>=on`; an unchecked box sends nothing.
async fn save_settings(
    State(state): State<AppState>,
    me: WebUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let on = |name: String| fields.iter().any(|(k, _)| *k == name);
    let mut prefs = Preferences {
        slack_member_id: fields
            .iter()
            .find(|(k, _)| k == "slack_member_id")
            .map(|(_, v)| v.clone()),
        kinds: Default::default(),
    };
    for k in NotificationKind::ALL {
        let kind = k.as_str();
        prefs.kinds.insert(
            k,
            Media {
                in_app: on(format!("{kind}.in_app")),
                email: on(format!("{kind}.email")),
                slack: on(format!("{kind}.slack")),
            },
        );
    }
    match state
        .store
        .set_notification_preferences(me.caller.user.id, prefs)
        .await
    {
        Ok(_) => done(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// One delivery, for admins.
pub struct DeliveryRow {
    /// `email`, `slack` or `webhook`.
    pub target: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// The notification or event kind.
    pub kind: String,
    /// Attempts.
    pub attempts: u32,
    /// The last failure.
    pub last_error: String,
    /// When it was queued.
    pub when: String,
}

/// `/admin/deliveries`.
#[derive(Template)]
#[template(path = "admin_deliveries.html")]
pub struct DeliveriesPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Failed first, then the rest, newest first.
    pub rows: Vec<DeliveryRow>,
}

async fn deliveries_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            if !me.can(Action::Manage) {
                return Err(ApiError::forbidden(
                    "forbidden",
                    "only owners and admins see deliveries",
                ));
            }
            let actor = me.caller.actor();
            let failed = state
                .store
                .list_deliveries(me.caller.ws(), &actor, Some("failed".into()), None, 100)
                .await?;
            let recent = state
                .store
                .list_deliveries(me.caller.ws(), &actor, None, None, 100)
                .await?;
            let rows = failed
                .into_iter()
                .chain(recent.into_iter().filter(|d| d.status != "failed"))
                .map(|d| DeliveryRow {
                    kind: d
                        .payload
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or("")
                        .to_string(),
                    target: d.target,
                    status: d.status,
                    attempts: d.attempts,
                    last_error: d.last_error.unwrap_or_default(),
                    when: long_time(d.created_at),
                })
                .collect();
            Ok(DeliveriesPage {
                layout: Layout::new(&me, "Deliveries", "admin"),
                tab: "deliveries",
                rows,
            })
        }
        .await,
    )
}

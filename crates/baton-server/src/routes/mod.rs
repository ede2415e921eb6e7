//! The `/api/v1` handlers, one file per resource, registered so that the
//! OpenAPI document is generated from them.

pub mod agents;
pub mod articles;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod channels;
pub mod commands;
pub mod contacts;
pub mod conversations;
pub mod drafts;
pub mod events;
pub mod export;
pub mod health;
pub mod me;
pub mod messages;
pub mod notifications;
pub mod routing;
pub mod teams;
pub mod users;
pub mod webhooks;

use crate::state::AppState;
use baton_store::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

/// Every documented route.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(users::router())
        .merge(teams::router())
        .merge(agents::router())
        .merge(channels::router())
        .merge(contacts::router())
        .merge(conversations::router())
        .merge(commands::router())
        .merge(messages::router())
        .merge(bulk::router())
        .merge(export::router())
        .merge(events::router())
        .merge(audit::router())
        .merge(routing::router())
        .merge(articles::router())
        .merge(drafts::router())
        .merge(notifications::router())
        .merge(webhooks::router())
}

/// Cursor paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size: default 50, at most 200.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// As the store's page request.
    pub fn request(&self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
        }
    }
}

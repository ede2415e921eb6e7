//! The web inbox (PRODUCT.md §6): server-rendered pages (askama templates)
//! with htmx, on top of the same store commands and event log as the JSON
//! API. Assets are embedded; live updates come from `/api/v1/events` (SSE),
//! read by a small script that re-fetches the affected parts of the page.
//!
//! Map: [`auth`] the session and CSRF checks of pages; [`layout`] the frame;
//! [`login`] sign in/out; [`inbox`] the list; [`conversation`] one
//! conversation and its timeline; [`actions`] what its buttons do;
//! [`admin`] users, teams, agents, channels and routing; [`notifications`]
//! the header counter, the list and settings; [`assets`] CSS/JS.

pub mod actions;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod conversation;
pub mod inbox;
pub mod layout;
pub mod login;
pub mod notifications;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every page and form route of the web inbox.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(inbox::inbox))
        .route("/login", get(login::login_form).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/assets/{name}", get(assets::asset))
        .route("/me/availability", post(actions::availability))
        .route("/c/{id}", get(conversation::page))
        .route("/c/{id}/timeline", get(conversation::timeline))
        .route("/c/{id}/assignee", post(actions::assignee))
        .route("/c/{id}/agent", post(actions::agent))
        .route("/c/{id}/team", post(actions::team))
        .route("/c/{id}/agent_session/end", post(actions::end_session))
        .route("/c/{id}/agent_session/resume", post(actions::resume_session))
        .route("/c/{id}/take_over", post(actions::take_over))
        .route("/c/{id}/draft", post(actions::draft))
        .route("/c/{id}/status", post(actions::status))
        .route("/c/{id}/snooze", post(actions::snooze))
        .route("/c/{id}/priority", post(actions::priority))
        .route("/c/{id}/tags", post(actions::tags))
        .route("/c/{id}/unread", post(actions::unread))
        .route("/c/{id}/transfer", post(actions::transfer))
        .route("/c/{id}/messages", post(actions::message))
        .merge(admin::router())
        .merge(notifications::router())
}

//! Baton's HTTP server: the `/api/v1` JSON API (with its generated OpenAPI
//! document), server-sent events, authentication (API tokens, Argon2id
//! passwords, session cookies with CSRF), export, health and metrics.
//!
//! Handlers are thin: parse the request, call the store (which asks the core
//! to decide), answer with a DTO from [`json`].
//!
//! Map: [`app`] builds and runs the server; [`routes`] holds one file per
//! resource; [`extract`] the extractors whose failures answer in the API's
//! error shape ([`error`]); [`auth`] tokens, passwords, sessions, CSRF and the
//! credential cache; [`openapi`] the document's fixed parts; [`export`] the
//! JSON/CSV/HTML renderings; [`metrics`] the Prometheus text; [`notify`]
//! email, Slack and signed webhook sending; [`workers`] the background loops.

pub mod agents;
pub mod app;
pub mod auth;
pub mod error;
pub mod export;
pub mod extract;
pub mod json;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod web;
pub mod workers;

pub use app::{Application, ServerConfig};

//! HTTP API tests: the real server on port 0, a fresh SQLite file per test.
//! One test binary (modules below) so the suite links once.

mod common;

mod agents;
mod audit;
mod auth;
mod bulk;
mod commands;
mod conversations;
mod directory;
mod errors;
mod events;
mod export;
mod messages;
mod notifications;
mod ops;
mod routing;

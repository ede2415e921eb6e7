//! Setup shared by the SQLite-only tests.
#![allow(dead_code, clippy::unwrap_used)]

use baton_core::directory::ChannelKind;
use baton_core::*;
use baton_sqlite::SqliteStore;
use baton_store::*;
use std::sync::Arc;

/// A `sqlite://` URL of a new file in the tests' temporary directory.
pub fn db_url() -> String {
    let dir = std::env::temp_dir().join("baton-sqlite-tests");
    format!(
        "sqlite://{}",
        dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()))
            .display()
    )
}

/// The store at `url` with a workspace "Acme" (created if missing) and a new API channel.
pub async fn acme_with_api_channel(url: &str) -> (Arc<SqliteStore>, WorkspaceId, ChannelId) {
    acme_on(SqliteStore::open(url, Arc::new(SystemClock)).await.unwrap()).await
}

/// `store` with a workspace "Acme" (created if missing) and a new API channel.
pub async fn acme_on(store: Arc<SqliteStore>) -> (Arc<SqliteStore>, WorkspaceId, ChannelId) {
    let ws = store.ensure_workspace("Acme").await.unwrap().id;
    let channel = NewChannel {
        kind: ChannelKind::Api,
        name: "api".into(),
        autopilot_agent_id: None,
        reply_mode: Default::default(),
    };
    let ch = store
        .create_channel(ws, &Actor::system("test"), channel)
        .await
        .unwrap()
        .id;
    (store, ws, ch)
}

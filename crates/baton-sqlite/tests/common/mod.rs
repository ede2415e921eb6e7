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

/// A team of online agents named `names` and a rule sending everyone to it
/// by `mode` (`round_robin` or `balanced`); returns the team and the agents.
pub async fn team_routed_by(
    store: &dyn Store,
    ws: WorkspaceId,
    mode: &str,
    names: &[&str],
) -> (TeamId, Vec<UserId>) {
    let sys = Actor::system("test");
    let team = store.create_team(ws, &sys, "Support").await.unwrap().id;
    let mut users = Vec::new();
    for name in names {
        let u = store
            .create_user(
                ws,
                &sys,
                NewUser {
                    email: Email::parse(&format!("{name}@acme.example")).unwrap(),
                    name: (*name).into(),
                    handle: None,
                    role: Role::Agent,
                    password_hash: None,
                    availability: Availability::Online,
                    max_open: None,
                },
            )
            .await
            .unwrap();
        store.add_team_member(ws, &sys, team, u.id).await.unwrap();
        users.push(u.id);
    }
    let rule = RuleInput {
        name: "everyone".into(),
        enabled: true,
        position: None,
        conditions: vec![],
        actions: serde_json::from_value(serde_json::json!([{"type": mode, "team_id": team}])).unwrap(),
    };
    store.create_rule(ws, &sys, rule).await.unwrap();
    (team, users)
}

//! Setup shared by the SQLite-only tests.
#![allow(dead_code, clippy::unwrap_used)]

use baton_core::directory::ChannelKind;
use baton_core::*;
use baton_sqlite::SqliteStore;
use baton_store::*;
use std::path::Path;
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime};

/// A `sqlite://` URL of a new file in the tests' temporary directory.
///
/// The suite has no tear-down hook and a run leaves about 400 MB of
/// databases and logs there, so once per test process the files of earlier
/// runs, an hour old or more, are removed first (as the PostgreSQL tests do
/// with their schemas); a run still going elsewhere keeps its own.
pub fn db_url() -> String {
    static SWEPT: Once = Once::new();
    let dir = std::env::temp_dir().join("baton-sqlite-tests");
    SWEPT.call_once(|| {
        sweep_older_than(&dir, Duration::from_secs(3600));
    });
    format!(
        "sqlite://{}",
        dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()))
            .display()
    )
}

/// Remove the files directly in `dir` last written more than `age` ago;
/// how many were removed. A missing directory has none.
pub fn sweep_older_than(dir: &Path, age: Duration) -> usize {
    let Some(cutoff) = SystemTime::now().checked_sub(age) else {
        return 0;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.metadata()
                .is_ok_and(|m| m.is_file() && m.modified().is_ok_and(|t| t < cutoff))
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
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

//! Reply-timer rows on PostgreSQL: team settings, assignment and reply times,
//! overdue conversations. The SQLite backend's rows, value for value.

use crate::rows::{self, db_err, get, json};
use baton_core::routing::TeamSettings;
use baton_core::*;
use baton_store::StoreResult;
use sqlx::PgConnection;
use sqlx::types::Json;

type R<T> = StoreResult<T>;

/// A team's settings.
pub async fn team_settings(c: &mut PgConnection, ws: WorkspaceId, team: TeamId) -> R<Option<TeamSettings>> {
    let row = sqlx::query("SELECT settings FROM teams WHERE id = $1 AND workspace_id = $2")
        .bind(team.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    match row {
        Some(r) => {
            let v: Json<serde_json::Value> = get(&r, 0)?;
            Ok(Some(serde_json::from_value(v.0).unwrap_or_default()))
        }
        None => Ok(None),
    }
}

/// Store a team's settings.
pub async fn set_team_settings(c: &mut PgConnection, team: TeamId, settings: &TeamSettings) -> R<()> {
    sqlx::query("UPDATE teams SET settings = $2 WHERE id = $1")
        .bind(team.0)
        .bind(json(settings))
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Teams with a reply timeout.
pub async fn teams_with_reply_timeouts(c: &mut PgConnection) -> R<Vec<(WorkspaceId, TeamId, TeamSettings)>> {
    let found = sqlx::query(
        // In workspace order: a timer run takes each workspace's counter in
        // turn, and two nodes' runs must take them in the same order.
        "SELECT workspace_id, id, settings FROM teams WHERE settings ? 'reply_timeout_minutes' \
                             AND settings->'reply_timeout_minutes' <> 'null'::jsonb ORDER BY workspace_id, id",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(found, |r| {
        let v: Json<serde_json::Value> = get(r, 2)?;
        Ok((
            rows::id(r, 0)?,
            rows::id(r, 1)?,
            serde_json::from_value(v.0).unwrap_or_default(),
        ))
    })
}

/// Record the assignment time.
pub async fn note_assignment(c: &mut PgConnection, conv: ConversationId, at: Option<Timestamp>) -> R<()> {
    sqlx::query("UPDATE conversations SET assigned_at = $2 WHERE id = $1")
        .bind(conv.0)
        .bind(at)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Record a person's reply.
pub async fn note_reply(c: &mut PgConnection, conv: ConversationId, at: Timestamp) -> R<()> {
    sqlx::query("UPDATE conversations SET last_reply_at = $2 WHERE id = $1")
        .bind(conv.0)
        .bind(at)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Conversations of the team owing a reply since before `cutoff`.
pub async fn overdue_replies(
    c: &mut PgConnection,
    ws: WorkspaceId,
    team: TeamId,
    cutoff: Timestamp,
    limit: u32,
) -> R<Vec<ConversationId>> {
    let found = sqlx::query(
        "SELECT id FROM (SELECT id, last_reply_at, GREATEST(assigned_at, last_incoming_at) AS since \
           FROM conversations WHERE workspace_id = $1 AND status = 'open' AND team_id = $2 \
             AND assignee_id IS NOT NULL) o \
         WHERE since IS NOT NULL AND since < $3 AND (last_reply_at IS NULL OR last_reply_at < since) \
         ORDER BY since, id LIMIT $4",
    )
    .bind(ws.0)
    .bind(team.0)
    .bind(cutoff)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(found, |r| rows::id(r, 0))
}

/// Open conversations of the team assigned to the user.
pub async fn open_assigned_in_team(
    c: &mut PgConnection,
    ws: WorkspaceId,
    user: UserId,
    team: TeamId,
) -> R<Vec<ConversationId>> {
    let found = sqlx::query(
        "SELECT id FROM conversations WHERE workspace_id = $1 AND status = 'open' AND assignee_id = $2 \
         AND team_id = $3 ORDER BY last_activity_at, id",
    )
    .bind(ws.0)
    .bind(user.0)
    .bind(team.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(found, |r| rows::id(r, 0))
}

//! Routing rows on SQLite: rules, candidates with their load, round-robin
//! pointers, the waiting queue, business hours.

use crate::rows::{self, db_err, json, ts, ts_opt};
use baton_core::routing::pick::Candidate;
use baton_core::routing::{BusinessHours, PickMode, RoutingRule, TeamSettings};
use baton_core::*;
use baton_store::StoreResult;
use rusqlite::{Connection, OptionalExtension, Row, params};

type R<T> = StoreResult<T>;

const RULE_COLS: &str =
    "id, workspace_id, name, enabled, position, conditions, actions, created_at, updated_at";

fn rule(row: &Row<'_>) -> rusqlite::Result<RoutingRule> {
    Ok(RoutingRule {
        id: rows::p(row, 0)?,
        workspace_id: rows::p(row, 1)?,
        name: row.get(2)?,
        enabled: row.get(3)?,
        position: row.get::<_, i64>(4)? as u32,
        conditions: rows::j(row, 5)?,
        actions: rows::j(row, 6)?,
        created_at: rows::t(row, 7)?,
        updated_at: rows::t(row, 8)?,
    })
}

/// The workspace's rules.
pub fn rules(conn: &Connection, ws: WorkspaceId) -> R<Vec<RoutingRule>> {
    let sql = format!(
        "SELECT {RULE_COLS} FROM routing_rules WHERE workspace_id = ?1 ORDER BY position, created_at, id"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_map([ws.to_string()], rule)?.collect())
        .map_err(db_err)
}

/// Insert or replace a rule.
pub fn upsert_rule(conn: &Connection, r: &RoutingRule) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO routing_rules (id, workspace_id, name, enabled, position, conditions, actions, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         enabled = excluded.enabled, position = excluded.position, conditions = excluded.conditions, \
         actions = excluded.actions, updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            r.id.to_string(),
            r.workspace_id.to_string(),
            r.name,
            r.enabled,
            r.position,
            json(&r.conditions),
            json(&r.actions),
            ts(r.created_at),
            ts(r.updated_at)
        ])
    })
    .map(drop)
    .map_err(db_err)
}

/// Delete a rule.
pub fn delete_rule(conn: &Connection, ws: WorkspaceId, id: RuleId) -> R<bool> {
    conn.prepare_cached("DELETE FROM routing_rules WHERE id = ?1 AND workspace_id = ?2")
        .and_then(|mut s| s.execute(params![id.to_string(), ws.to_string()]))
        .map(|n| n == 1)
        .map_err(db_err)
}

const CANDIDATE_COLS: &str =
    "u.id, u.active, u.role, u.availability, u.open_count, u.max_open, u.last_assigned_at";

fn candidate(row: &Row<'_>) -> rusqlite::Result<Candidate> {
    let role: Role = rows::p(row, 2)?;
    Ok(Candidate {
        user_id: rows::p(row, 0)?,
        active: row.get(1)?,
        can_reply: role.allows(Action::Reply),
        member: true,
        availability: rows::p(row, 3)?,
        open_count: row.get::<_, i64>(4)?.max(0) as u32,
        max_open: row.get::<_, Option<i64>>(5)?.map(|m| m as u32),
        last_assigned_at: rows::to(row, 6)?,
    })
}

/// A user as a candidate.
pub fn user_candidate(conn: &Connection, ws: WorkspaceId, id: UserId) -> R<Option<Candidate>> {
    let sql = format!("SELECT {CANDIDATE_COLS} FROM users u WHERE u.id = ?1 AND u.workspace_id = ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], candidate)
                .optional()
        })
        .map_err(db_err)
}

/// A team's members and round-robin pointer.
pub fn team_candidates(
    conn: &Connection,
    ws: WorkspaceId,
    team: TeamId,
) -> R<Option<(Vec<Candidate>, Option<UserId>)>> {
    let pointer: Option<Option<String>> = conn
        .prepare_cached("SELECT rr_last_user_id FROM teams WHERE id = ?1 AND workspace_id = ?2")
        .and_then(|mut s| {
            s.query_row(params![team.to_string(), ws.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(db_err)?;
    let Some(pointer) = pointer else { return Ok(None) };
    let sql = format!(
        "SELECT {CANDIDATE_COLS} FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ?1 ORDER BY u.id"
    );
    let members = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_map([team.to_string()], candidate)?.collect())
        .map_err(db_err)?;
    Ok(Some((members, pointer.and_then(|p| p.parse().ok()))))
}

/// Move a team's round-robin pointer.
pub fn set_pointer(conn: &Connection, team: TeamId, user: UserId) -> R<()> {
    conn.prepare_cached("UPDATE teams SET rr_last_user_id = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![team.to_string(), user.to_string()]))
        .map(drop)
        .map_err(db_err)
}

/// Change a user's open count (never below zero) and stamp an assignment.
pub fn adjust_load(conn: &Connection, user: UserId, delta: i64, at: Option<Timestamp>) -> R<()> {
    conn.prepare_cached(
        "UPDATE users SET open_count = max(open_count + ?2, 0), \
         last_assigned_at = COALESCE(?3, last_assigned_at) WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![user.to_string(), delta, ts_opt(at)]))
    .map(drop)
    .map_err(db_err)
}

fn mode_word(m: PickMode) -> &'static str {
    match m {
        PickMode::RoundRobin => "round_robin",
        PickMode::Balanced => "balanced",
    }
}

/// Queue a conversation for a team.
pub fn enqueue(
    conn: &Connection,
    ws: WorkspaceId,
    conv: ConversationId,
    team: TeamId,
    mode: PickMode,
    at: Timestamp,
) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO routing_queue (conversation_id, workspace_id, team_id, mode, enqueued_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (conversation_id) DO UPDATE SET team_id = excluded.team_id, mode = excluded.mode, \
         enqueued_at = excluded.enqueued_at",
    )
    .and_then(|mut s| s.execute(params![conv.to_string(), ws.to_string(), team.to_string(), mode_word(mode), ts(at)]))
    .map(drop)
    .map_err(db_err)
}

/// Remove a conversation from the queue.
pub fn dequeue(conn: &Connection, conv: ConversationId) -> R<bool> {
    conn.prepare_cached("DELETE FROM routing_queue WHERE conversation_id = ?1")
        .and_then(|mut s| s.execute([conv.to_string()]))
        .map(|n| n == 1)
        .map_err(db_err)
}

/// A team's queue, oldest first.
pub fn queued(conn: &Connection, team: TeamId, limit: u32) -> R<Vec<(ConversationId, PickMode)>> {
    conn.prepare_cached(
        "SELECT conversation_id, mode FROM routing_queue WHERE team_id = ?1 ORDER BY enqueued_at, conversation_id LIMIT ?2",
    )
    .and_then(|mut s| {
        s.query_map(params![team.to_string(), limit], |r| {
            let mode: String = r.get(1)?;
            let mode = if mode == "balanced" { PickMode::Balanced } else { PickMode::RoundRobin };
            Ok((rows::p(r, 0)?, mode))
        })?
        .collect()
    })
    .map_err(db_err)
}

/// The teams of a user.
pub fn user_teams(conn: &Connection, user: UserId) -> R<Vec<TeamId>> {
    conn.prepare_cached("SELECT team_id FROM team_members WHERE user_id = ?1 ORDER BY team_id")
        .and_then(|mut s| s.query_map([user.to_string()], |r| rows::p(r, 0))?.collect())
        .map_err(db_err)
}

/// The workspace's business hours.
pub fn business_hours(conn: &Connection, ws: WorkspaceId) -> R<Option<BusinessHours>> {
    let raw: Option<Option<String>> = conn
        .prepare_cached("SELECT business_hours FROM workspaces WHERE id = ?1")
        .and_then(|mut s| s.query_row([ws.to_string()], |r| r.get(0)).optional())
        .map_err(db_err)?;
    Ok(raw.flatten().and_then(|s| serde_json::from_str(&s).ok()))
}

/// Set the workspace's business hours.
pub fn set_business_hours(conn: &Connection, ws: WorkspaceId, hours: Option<&BusinessHours>) -> R<()> {
    conn.prepare_cached("UPDATE workspaces SET business_hours = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![ws.to_string(), hours.map(json)]))
        .map(drop)
        .map_err(db_err)
}

/// Incoming messages the contact has written.
pub fn contact_incoming_count(conn: &Connection, contact: ContactId) -> R<i64> {
    conn.prepare_cached(
        "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.contact_id = ?1 AND m.kind = 'incoming'",
    )
    .and_then(|mut s| s.query_row([contact.to_string()], |r| r.get(0)))
    .map_err(db_err)
}

/// A team's settings.
pub fn team_settings(conn: &Connection, ws: WorkspaceId, team: TeamId) -> R<Option<TeamSettings>> {
    let raw: Option<String> = conn
        .prepare_cached("SELECT settings FROM teams WHERE id = ?1 AND workspace_id = ?2")
        .and_then(|mut s| {
            s.query_row(params![team.to_string(), ws.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(db_err)?;
    Ok(raw.map(|s| serde_json::from_str(&s).unwrap_or_default()))
}

/// Store a team's settings.
pub fn set_team_settings(conn: &Connection, team: TeamId, settings: &TeamSettings) -> R<()> {
    conn.prepare_cached("UPDATE teams SET settings = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![team.to_string(), json(settings)]))
        .map(drop)
        .map_err(db_err)
}

/// Teams with a reply timeout.
pub fn teams_with_reply_timeouts(conn: &Connection) -> R<Vec<(WorkspaceId, TeamId, TeamSettings)>> {
    conn.prepare_cached(
        "SELECT workspace_id, id, settings FROM teams \
         WHERE json_extract(settings, '$.reply_timeout_minutes') IS NOT NULL",
    )
    .and_then(|mut s| {
        s.query_map([], |r| {
            let settings: String = r.get(2)?;
            Ok((
                rows::p(r, 0)?,
                rows::p(r, 1)?,
                serde_json::from_str(&settings).unwrap_or_default(),
            ))
        })?
        .collect()
    })
    .map_err(db_err)
}

/// Conversations of the team owing a reply since before `cutoff`.
pub fn overdue_replies(
    conn: &Connection,
    ws: WorkspaceId,
    team: TeamId,
    cutoff: Timestamp,
    limit: u32,
) -> R<Vec<ConversationId>> {
    conn.prepare_cached(
        "SELECT id FROM ( \
           SELECT id, last_reply_at, max(COALESCE(assigned_at, 0), COALESCE(last_incoming_at, 0)) AS since \
           FROM conversations WHERE workspace_id = ?1 AND status = 'open' AND team_id = ?2 \
             AND assignee_id IS NOT NULL) \
         WHERE since > 0 AND since < ?3 AND (last_reply_at IS NULL OR last_reply_at < since) \
         ORDER BY since, id LIMIT ?4",
    )
    .and_then(|mut s| {
        s.query_map(
            params![ws.to_string(), team.to_string(), ts(cutoff), limit],
            |r| rows::p(r, 0),
        )?
        .collect()
    })
    .map_err(db_err)
}

/// Open conversations of the team assigned to the user.
pub fn open_assigned_in_team(
    conn: &Connection,
    ws: WorkspaceId,
    user: UserId,
    team: TeamId,
) -> R<Vec<ConversationId>> {
    conn.prepare_cached(
        "SELECT id FROM conversations WHERE workspace_id = ?1 AND status = 'open' AND assignee_id = ?2 \
         AND team_id = ?3 ORDER BY last_activity_at, id",
    )
    .and_then(|mut s| {
        s.query_map(params![ws.to_string(), user.to_string(), team.to_string()], |r| {
            rows::p(r, 0)
        })?
        .collect()
    })
    .map_err(db_err)
}

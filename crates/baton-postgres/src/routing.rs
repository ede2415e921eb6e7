//! Routing rows on PostgreSQL: rules, candidates with their load, round-robin
//! pointers, the waiting queue, business hours. The SQLite backend's rows,
//! value for value; the locks they take are described in `tx.rs`.

use crate::rows::{self, db_err, get, json};
use baton_core::directory::{Team, User};
use baton_core::routing::pick::Candidate;
use baton_core::routing::{BusinessHours, PickMode, RoutingRule};
use baton_core::*;
use baton_store::StoreResult;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

type R<T> = StoreResult<T>;

const RULE_COLS: &str =
    "id, workspace_id, name, enabled, position, conditions, actions, created_at, updated_at";

fn rule(row: &PgRow) -> R<RoutingRule> {
    Ok(RoutingRule {
        id: rows::id(row, 0)?,
        workspace_id: rows::id(row, 1)?,
        name: get(row, 2)?,
        enabled: get(row, 3)?,
        position: get::<i32>(row, 4)?.max(0) as u32,
        conditions: rows::j(row, 5)?,
        actions: rows::j(row, 6)?,
        created_at: get(row, 7)?,
        updated_at: get(row, 8)?,
    })
}

/// The workspace's rules, in position order.
pub async fn rules(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<RoutingRule>> {
    let sql = format!(
        "SELECT {RULE_COLS} FROM routing_rules WHERE workspace_id = $1 ORDER BY position, created_at, id"
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, rule)
}

/// Insert or replace a rule.
pub async fn upsert_rule(c: &mut PgConnection, r: &RoutingRule) -> R<()> {
    sqlx::query(
        "INSERT INTO routing_rules (id, workspace_id, name, enabled, position, conditions, actions, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET \
         name = excluded.name, enabled = excluded.enabled, position = excluded.position, \
         conditions = excluded.conditions, actions = excluded.actions, updated_at = excluded.updated_at",
    )
    .bind(r.id.0)
    .bind(r.workspace_id.0)
    .bind(&r.name)
    .bind(r.enabled)
    .bind(i32::try_from(r.position).unwrap_or(i32::MAX))
    .bind(json(&r.conditions))
    .bind(json(&r.actions))
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *c)
    .await
    .map(drop)
    .map_err(db_err)
}

/// Delete a rule; false if there was none.
pub async fn delete_rule(c: &mut PgConnection, ws: WorkspaceId, id: RuleId) -> R<bool> {
    sqlx::query("DELETE FROM routing_rules WHERE id = $1 AND workspace_id = $2")
        .bind(id.0)
        .bind(ws.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db_err)
}

/// Columns of a candidate (users aliased `u`) in [`candidate`] order.
const CANDIDATE_COLS: &str =
    "u.id, u.active, u.role, u.availability, u.open_count, u.max_open, u.last_assigned_at";

/// A candidate from the columns starting at `at`.
fn candidate_at(row: &PgRow, at: usize) -> R<Candidate> {
    let role: Role = rows::p(row, at + 2)?;
    Ok(Candidate {
        user_id: rows::id(row, at)?,
        active: get(row, at + 1)?,
        can_reply: role.allows(Action::Reply),
        member: true,
        availability: rows::p(row, at + 3)?,
        open_count: get::<i32>(row, at + 4)?.max(0) as u32,
        max_open: get::<Option<i64>>(row, at + 5)?.map(|m| m.clamp(0, i64::from(u32::MAX)) as u32),
        last_assigned_at: get(row, at + 6)?,
    })
}

/// A user as a candidate (no lock: loads change only under the counter).
pub async fn user_candidate(c: &mut PgConnection, ws: WorkspaceId, id: UserId) -> R<Option<Candidate>> {
    let sql = format!("SELECT {CANDIDATE_COLS} FROM users u WHERE u.id = $1 AND u.workspace_id = $2");
    sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|r| candidate_at(&r, 0))
        .transpose()
}

/// A team as routing reads it.
pub struct TeamCandidates {
    /// The team, with its members.
    pub team: Team,
    /// The members' rows, by id.
    pub users: Vec<User>,
    /// The members as candidates, by id.
    pub candidates: Vec<Candidate>,
    /// Whom round robin picked last.
    pub pointer: Option<UserId>,
}

/// A team's members (by id) and its round-robin pointer, the team row locked
/// `FOR NO KEY UPDATE` until commit. One statement: the caller already holds
/// the workspace's counter (see `tx.rs`), so the lock never waits on a
/// routing writer and the statement's snapshot already shows every load and
/// membership committed before it.
pub async fn team_candidates(
    c: &mut PgConnection,
    ws: WorkspaceId,
    team: TeamId,
) -> R<Option<TeamCandidates>> {
    let user_cols = rows::USER_COLS
        .split(", ")
        .map(|col| format!("u.{col}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH t AS (SELECT id, workspace_id, name, created_at, rr_last_user_id FROM teams \
                    WHERE id = $1 AND workspace_id = $2 FOR NO KEY UPDATE) \
         SELECT t.id, t.workspace_id, t.name, t.created_at, t.rr_last_user_id, {user_cols}, \
                u.open_count, u.last_assigned_at \
         FROM t LEFT JOIN team_members m ON m.team_id = t.id LEFT JOIN users u ON u.id = m.user_id \
         ORDER BY u.id"
    );
    let found = sqlx::query(&sql)
        .bind(team.0)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let mut out = TeamCandidates {
        team: Team {
            id: rows::id(first, 0)?,
            workspace_id: rows::id(first, 1)?,
            name: get(first, 2)?,
            member_ids: Vec::with_capacity(found.len()),
            created_at: get(first, 3)?,
        },
        users: Vec::with_capacity(found.len()),
        candidates: Vec::with_capacity(found.len()),
        pointer: rows::ido(first, 4)?,
    };
    const U: usize = 5;
    const N: usize = 11;
    for r in &found {
        // A team without members yields one row of NULLs.
        if get::<Option<uuid::Uuid>>(r, U)?.is_none() {
            continue;
        }
        let u = rows::user_at(r, U)?;
        out.candidates.push(Candidate {
            user_id: u.id,
            active: u.active,
            can_reply: u.role.allows(Action::Reply),
            member: true,
            availability: u.availability,
            open_count: get::<i32>(r, U + N)?.max(0) as u32,
            max_open: u.max_open,
            last_assigned_at: get(r, U + N + 1)?,
        });
        out.team.member_ids.push(u.id);
        out.users.push(u);
    }
    Ok(Some(out))
}

fn mode_word(m: PickMode) -> &'static str {
    match m {
        PickMode::RoundRobin => "round_robin",
        PickMode::Balanced => "balanced",
    }
}

/// Queue a conversation for a team (replacing any entry).
pub async fn enqueue(
    c: &mut PgConnection,
    ws: WorkspaceId,
    conv: ConversationId,
    team: TeamId,
    mode: PickMode,
    at: Timestamp,
) -> R<()> {
    sqlx::query(
        "INSERT INTO routing_queue (conversation_id, workspace_id, team_id, mode, enqueued_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) DO UPDATE SET team_id = excluded.team_id, \
         mode = excluded.mode, enqueued_at = excluded.enqueued_at",
    )
    .bind(conv.0)
    .bind(ws.0)
    .bind(team.0)
    .bind(mode_word(mode))
    .bind(at)
    .execute(&mut *c)
    .await
    .map(drop)
    .map_err(db_err)
}

/// Take a conversation out of the queue; false if it was not there.
pub async fn dequeue(c: &mut PgConnection, conv: ConversationId) -> R<bool> {
    sqlx::query("DELETE FROM routing_queue WHERE conversation_id = $1")
        .bind(conv.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(db_err)
}

/// A team's queue, oldest first.
pub async fn queued(c: &mut PgConnection, team: TeamId, limit: u32) -> R<Vec<(ConversationId, PickMode)>> {
    let found = sqlx::query(
        "SELECT conversation_id, mode FROM routing_queue WHERE team_id = $1 \
         ORDER BY enqueued_at, conversation_id LIMIT $2",
    )
    .bind(team.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(found, |r| {
        let mode = match get::<&str>(r, 1)? {
            "balanced" => PickMode::Balanced,
            _ => PickMode::RoundRobin,
        };
        Ok((rows::id(r, 0)?, mode))
    })
}

/// The teams of a user, by id.
pub async fn user_teams(c: &mut PgConnection, user: UserId) -> R<Vec<TeamId>> {
    let found = sqlx::query("SELECT team_id FROM team_members WHERE user_id = $1 ORDER BY team_id")
        .bind(user.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, |r| rows::id(r, 0))
}

/// The workspace's business hours (unreadable ones count as none, like SQLite).
pub async fn business_hours(c: &mut PgConnection, ws: WorkspaceId) -> R<Option<BusinessHours>> {
    let row = sqlx::query("SELECT business_hours FROM workspaces WHERE id = $1")
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let raw: Option<serde_json::Value> = get(&row, 0)?;
    Ok(raw.and_then(|v| serde_json::from_value(v).ok()))
}

/// Set (or clear) the workspace's business hours.
pub async fn set_business_hours(
    c: &mut PgConnection,
    ws: WorkspaceId,
    hours: Option<&BusinessHours>,
) -> R<()> {
    sqlx::query("UPDATE workspaces SET business_hours = $2 WHERE id = $1")
        .bind(ws.0)
        .bind(hours.map(Json))
        .execute(&mut *c)
        .await
        .map(drop)
        .map_err(db_err)
}

/// Incoming messages the contact has written, in any conversation. The
/// contact's conversations first, then their messages by index: planned
/// afresh each time, so it never becomes a scan of all messages (as a cached
/// generic plan guessing many conversations per contact can).
pub async fn contact_incoming_count(c: &mut PgConnection, contact: ContactId) -> R<i64> {
    let row = sqlx::query(
        "SELECT count(*) FROM messages m WHERE m.kind = 'incoming' AND m.conversation_id = ANY (ARRAY( \
           SELECT c.id FROM conversations c WHERE c.contact_id = $1))",
    )
    .persistent(false)
    .bind(contact.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    get(&row, 0)
}

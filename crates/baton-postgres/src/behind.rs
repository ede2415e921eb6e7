//! Writes a job defers: new and changed conversations (with their
//! reply-timer columns), new messages, users' load, round-robin pointers and
//! numbered events. While the job holds its workspace's counter
//! nobody else can touch these rows (see `tx.rs` on lock order), so they
//! need not reach the database until a query of the job reads them, or until
//! commit; then they go in one statement, which also queues the NOTIFY.

use crate::listen;
use crate::rows::{db_err, get};
use baton_core::*;
use baton_store::{StoreError, StoreResult, Wakeup};
use serde_json::{Value, json};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

type R<T> = StoreResult<T>;

/// Changes to one user's open count and assignment stamp. A run of
/// `open_count = max(open_count + d, 0)` steps composes to
/// `max(open_count + add, floor)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    add: i64,
    floor: i64,
    at: Option<Timestamp>,
}

impl Load {
    /// One more step.
    pub fn push(&mut self, delta: i64, at: Option<Timestamp>) {
        self.add += delta;
        self.floor = (self.floor + delta).max(0);
        if at.is_some() {
            self.at = at;
        }
    }

    /// A count as stored, with these steps applied.
    pub fn apply(&self, open: u32) -> u32 {
        (i64::from(open) + self.add)
            .max(self.floor)
            .clamp(0, i64::from(u32::MAX)) as u32
    }

    /// The assignment stamp after these steps.
    pub fn stamp(&self, stored: Option<Timestamp>) -> Option<Timestamp> {
        self.at.or(stored)
    }
}

/// Events of one workspace to write, with the wake-up they lead to.
pub struct Events<'a> {
    /// The workspace and its last seq.
    pub wake: &'a Wakeup,
    /// The events, in seq order.
    pub events: Vec<&'a (WorkspaceId, i64, NewEvent)>,
    /// This node, for the NOTIFY payload.
    pub node: Uuid,
}

/// Deferred writes other than events.
#[derive(Default)]
pub struct State {
    /// New conversations, as they are to be stored.
    pub new_convs: Vec<Conversation>,
    /// New messages, with their workspace.
    pub messages: Vec<(WorkspaceId, Message)>,
    /// Changed conversations, as they are to be stored.
    pub convs: Vec<Conversation>,
    /// Load changes by user.
    pub loads: HashMap<UserId, Load>,
    /// Round-robin pointers by team.
    pub pointers: HashMap<TeamId, UserId>,
    /// Reply-timer marks of new or changed conversations.
    pub marks: HashMap<ConversationId, Marks>,
}

/// Reply-timer columns of a conversation to set (`None`: leave as stored).
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    /// When the current assignee got it (`Some(None)`: nobody has it).
    pub assigned_at: Option<Option<Timestamp>>,
    /// When a person last replied.
    pub last_reply_at: Option<Timestamp>,
}

impl State {
    /// Nothing to write?
    pub fn is_empty(&self) -> bool {
        self.new_convs.is_empty()
            && self.marks.is_empty()
            && self.messages.is_empty()
            && self.convs.is_empty()
            && self.loads.is_empty()
            && self.pointers.is_empty()
    }
}

fn conv_json(c: &Conversation, marks: Option<&Marks>) -> Value {
    let s = c.agent_session.as_ref();
    let m = marks.copied().unwrap_or_default();
    json!({
        "assigned_at": m.assigned_at.flatten(),
        "last_reply_at": m.last_reply_at,
        "id": c.id,
        "workspace_id": c.workspace_id,
        "channel_id": c.channel_id,
        "contact_id": c.contact_id,
        "status": c.status.as_str(),
        "snoozed_until": c.snoozed_until,
        "priority": c.priority.as_str(),
        "tags": c.tags,
        "assignee_id": c.assignee_id,
        "agent_id": c.agent_id,
        "session_id": s.map(|s| s.id),
        "session_agent_id": s.map(|s| s.agent_id),
        "session_started_at": s.map(|s| s.started_at),
        "team_id": c.team_id,
        "ai_handoff_at": c.ai_handoff_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "last_activity_at": c.last_activity_at,
        "last_incoming_at": c.last_incoming_at,
        "preview": c.last_message_preview,
        "version": c.version,
    })
}

fn message_json(ws: WorkspaceId, m: &Message) -> Value {
    json!({
        "id": m.id,
        "workspace_id": ws,
        "conversation_id": m.conversation_id,
        "kind": m.kind.as_str(),
        "body": m.body,
        "author": m.author,
        "agent_session_id": m.agent_session_id,
        "channel_id": m.channel_id,
        "mentions": m.mentions,
        "created_at": m.created_at,
    })
}

/// The columns of `conversations` written here, and the same prefixed `d.`.
const CONV_COLUMNS: &str = "id, workspace_id, channel_id, contact_id, status, snoozed_until, priority, tags, \
     assignee_id, agent_id, session_id, session_agent_id, session_started_at, team_id, ai_handoff_at, created_at, \
     updated_at, last_activity_at, last_incoming_at, preview, version, assigned_at, last_reply_at";
const CONV_VALUES: &str = "d.id, d.workspace_id, d.channel_id, d.contact_id, d.status, d.snoozed_until, \
     d.priority, d.tags, d.assignee_id, d.agent_id, d.session_id, d.session_agent_id, d.session_started_at, \
     d.team_id, d.ai_handoff_at, d.created_at, d.updated_at, d.last_activity_at, d.last_incoming_at, d.preview, \
     d.version, d.assigned_at, d.last_reply_at";

fn to_json<T: serde::Serialize>(v: &T) -> R<Value> {
    serde_json::to_value(v).map_err(|e| StoreError::Database(format!("cannot encode JSON: {e}")))
}

/// Write `state` and, if given, one workspace's events, its counter and the
/// NOTIFY, in one statement. Data-modifying `WITH` parts run to completion
/// whether read or not; each touches rows only this job may lock.
pub async fn write(conn: &mut PgConnection, state: &State, events: Option<Events<'_>>) -> R<()> {
    let convs = Value::Array(
        state
            .convs
            .iter()
            .map(|c| conv_json(c, state.marks.get(&c.id)))
            .collect(),
    );
    // The ids again as an array, for the row lookups: the planner guesses a
    // set-returning function's size and would scan the table to join it.
    let conv_ids: Vec<Uuid> = state.convs.iter().map(|c| c.id.0).collect();
    let new_convs = Value::Array(
        state
            .new_convs
            .iter()
            .map(|c| conv_json(c, state.marks.get(&c.id)))
            .collect(),
    );
    // Changed conversations whose timer columns change too.
    let (mut assigned, mut replied) = (Vec::new(), Vec::new());
    for c in &state.convs {
        let m = state.marks.get(&c.id).copied().unwrap_or_default();
        if m.assigned_at.is_some() {
            assigned.push(c.id.0);
        }
        if m.last_reply_at.is_some() {
            replied.push(c.id.0);
        }
    }
    let messages = Value::Array(
        state
            .messages
            .iter()
            .map(|(ws, m)| message_json(*ws, m))
            .collect(),
    );
    let (mut l_ids, mut l_add, mut l_floor, mut l_at) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (u, l) in &state.loads {
        l_ids.push(u.0);
        l_add.push(l.add);
        l_floor.push(l.floor);
        l_at.push(l.at);
    }
    let (p_teams, p_users): (Vec<Uuid>, Vec<Uuid>) = state.pointers.iter().map(|(t, u)| (t.0, u.0)).unzip();
    let n = events.as_ref().map_or(0, |e| e.events.len());
    let mut seqs = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut ev_convs: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut actors = Vec::with_capacity(n);
    let mut ats = Vec::with_capacity(n);
    let mut befores = Vec::with_capacity(n);
    let mut afters = Vec::with_capacity(n);
    let mut reasons: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut datas = Vec::with_capacity(n);
    for (_, seq, e) in events.iter().flat_map(|e| e.events.iter().copied()) {
        seqs.push(*seq);
        kinds.push(e.kind.as_str());
        ev_convs.push(e.conversation_id.map(|c| c.0));
        actors.push(to_json(&e.actor)?);
        ats.push(e.at);
        befores.push(&e.before);
        afters.push(&e.after);
        reasons.push(e.reason.as_deref());
        datas.push(&e.data);
    }
    let wake = events.as_ref().map(|e| e.wake);
    let payload = events.as_ref().map(|e| listen::payload(e.wake, e.node));
    // A new conversation and its first messages go in together: foreign
    // keys are checked at the end of the statement.
    let sql = format!(
        "WITH nconv AS ( \
           INSERT INTO conversations ({CONV_COLUMNS}) \
           SELECT {CONV_VALUES} FROM jsonb_populate_recordset(NULL::conversations, $21) AS d RETURNING 1 \
         ), msg AS ( \
           INSERT INTO messages (id, workspace_id, conversation_id, kind, body, author, agent_session_id, \
             channel_id, mentions, created_at) \
           SELECT d.id, d.workspace_id, d.conversation_id, d.kind, d.body, d.author, d.agent_session_id, \
             d.channel_id, d.mentions, d.created_at \
           FROM jsonb_populate_recordset(NULL::messages, $22) AS d RETURNING 1 \
         ), conv AS ( \
           UPDATE conversations c SET workspace_id = d.workspace_id, channel_id = d.channel_id, \
             contact_id = d.contact_id, status = d.status, snoozed_until = d.snoozed_until, \
             priority = d.priority, tags = d.tags, assignee_id = d.assignee_id, agent_id = d.agent_id, \
             session_id = d.session_id, session_agent_id = d.session_agent_id, \
             session_started_at = d.session_started_at, team_id = d.team_id, ai_handoff_at = d.ai_handoff_at, \
             created_at = d.created_at, updated_at = d.updated_at, last_activity_at = d.last_activity_at, \
             last_incoming_at = d.last_incoming_at, preview = d.preview, version = d.version, \
             assigned_at = CASE WHEN c.id = ANY($24::uuid[]) THEN d.assigned_at ELSE c.assigned_at END, \
             last_reply_at = CASE WHEN c.id = ANY($25::uuid[]) THEN d.last_reply_at ELSE c.last_reply_at END \
           FROM jsonb_populate_recordset(NULL::conversations, $1) AS d \
           WHERE c.id = ANY($23::uuid[]) AND c.id = d.id RETURNING 1 \
         ), load AS ( \
           UPDATE users u SET open_count = GREATEST(u.open_count + d.add, d.floor), \
             last_assigned_at = COALESCE(d.at, u.last_assigned_at) \
           FROM UNNEST($2::uuid[], $3::bigint[], $4::bigint[], $5::timestamptz[]) AS d(id, add, floor, at) \
           WHERE u.id = ANY($2::uuid[]) AND u.id = d.id RETURNING 1 \
         ), ptr AS ( \
           UPDATE teams t SET rr_last_user_id = d.u FROM UNNEST($6::uuid[], $7::uuid[]) AS d(t, u) \
           WHERE t.id = ANY($6::uuid[]) AND t.id = d.t RETURNING 1 \
         ), counter AS ( \
           UPDATE workspaces SET event_seq = $9 WHERE id = $8 RETURNING 1 \
         ), ins AS ( \
           INSERT INTO events (workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data) \
           SELECT $8, e.seq, e.kind, e.conv, e.actor, e.at, e.before, e.after, e.reason, e.data \
           FROM UNNEST($10::bigint[], $11::text[], $12::uuid[], $13::jsonb[], $14::timestamptz[], \
                       $15::jsonb[], $16::jsonb[], $17::text[], $18::jsonb[]) \
                AS e(seq, kind, conv, actor, at, before, after, reason, data) \
           RETURNING 1 \
         ) \
         SELECT (SELECT count(*) FROM conv), (SELECT count(*) FROM counter), (SELECT count(*) FROM ins), \
                (SELECT count(*) FROM nconv), (SELECT count(*) FROM msg), \
                (SELECT count(*) FROM (SELECT pg_notify($19, p) FROM (SELECT $20::text AS p) x \
                                       WHERE p IS NOT NULL) n)"
    );
    let row = sqlx::query(&sql)
        .bind(&convs)
        .bind(&l_ids)
        .bind(&l_add)
        .bind(&l_floor)
        .bind(&l_at)
        .bind(&p_teams)
        .bind(&p_users)
        .bind(wake.map(|w| w.workspace_id.0))
        .bind(wake.map(|w| w.seq))
        .bind(&seqs)
        .bind(&kinds)
        .bind(&ev_convs)
        .bind(&actors)
        .bind(&ats)
        .bind(&befores)
        .bind(&afters)
        .bind(&reasons)
        .bind(&datas)
        .bind(listen::CHANNEL)
        .bind(payload)
        .bind(&new_convs)
        .bind(&messages)
        .bind(&conv_ids)
        .bind(&assigned)
        .bind(&replied)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let written: i64 = get(&row, 0)?;
    let moved: i64 = get(&row, 1)?;
    let inserted: i64 = get(&row, 2)?;
    let created: i64 = get(&row, 3)?;
    let posted: i64 = get(&row, 4)?;
    if written != state.convs.len() as i64
        || created != state.new_convs.len() as i64
        || posted != state.messages.len() as i64
    {
        return Err(StoreError::Database("a deferred write did not apply".into()));
    }
    if let Some(w) = wake
        && (moved != 1 || inserted != n as i64)
    {
        return Err(StoreError::Database(format!(
            "no workspace {} to append events to",
            w.workspace_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The composed form gives what the steps one by one would, from any
    /// stored count, for every run of steps of -2..=2 up to length 5.
    #[test]
    fn load_steps_compose_like_one_by_one() {
        let deltas = [-2i64, -1, 0, 1, 2];
        let mut runs: Vec<Vec<i64>> = Vec::new();
        for len in 0..=5u32 {
            for mut k in 0..5usize.pow(len) {
                let mut run = Vec::new();
                for _ in 0..len {
                    run.push(deltas[k % 5]);
                    k /= 5;
                }
                runs.push(run);
            }
        }
        for run in &runs {
            let mut load = Load::default();
            for d in run {
                load.push(*d, None);
            }
            for start in 0u32..6 {
                let one_by_one = run.iter().fold(i64::from(start), |n, d| (n + d).max(0));
                assert_eq!(i64::from(load.apply(start)), one_by_one, "{run:?} from {start}");
            }
        }
    }

    #[test]
    fn the_last_assignment_stamp_wins() {
        let t1 = chrono::DateTime::from_timestamp(1_000, 0).unwrap();
        let t2 = chrono::DateTime::from_timestamp(2_000, 0).unwrap();
        let mut load = Load::default();
        assert_eq!(load.stamp(Some(t1)), Some(t1));
        load.push(1, Some(t2));
        load.push(-1, None);
        assert_eq!(load.stamp(Some(t1)), Some(t2));
    }
}

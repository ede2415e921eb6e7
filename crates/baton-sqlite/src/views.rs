//! Inbox list views and their counts. Each view is served by its own index
//! (see the migration) in `last_activity_at DESC, id DESC` order, so a page
//! costs the same at ten conversations or ten million.

use crate::reads::fts_query;
use crate::rows::{self, db_err, ts};
use baton_core::*;
use baton_store::*;
use rusqlite::Connection;
use rusqlite::types::Value;

struct Sql {
    where_: Vec<String>,
    params: Vec<Value>,
}

impl Sql {
    fn param(&mut self, v: impl Into<Value>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }
}

fn view_condition(sql: &mut Sql, view: View, viewer: &str) {
    let cond = match view {
        View::Mine => {
            let p = sql.param(viewer.to_string());
            format!("c.assignee_id = {p}")
        }
        View::Unassigned => "c.assignee_id IS NULL AND c.session_id IS NULL".to_string(),
        View::Assigned => "c.assignee_id IS NOT NULL".to_string(),
        // `mv` is the viewer's mentions, joined first (see `list`): as an
        // `IN` condition, SQLite walks every open conversation to test it.
        View::Mentions => "c.id = mv.mid".to_string(),
        View::All => return,
        View::AiQueue => "c.session_id IS NOT NULL".to_string(),
    };
    sql.where_.push(cond);
}

fn status_condition(sql: &mut Sql, status: StatusFilter) {
    match status {
        StatusFilter::Open => sql.where_.push("c.status = 'open'".into()),
        StatusFilter::Only(s) => {
            let p = sql.param(s.as_str().to_string());
            sql.where_.push(format!("c.status = {p}"));
        }
        StatusFilter::Any => {}
    }
}

/// A page of a list view.
pub fn list(
    conn: &Connection,
    ws: WorkspaceId,
    viewer: UserId,
    f: &ViewFilter,
    page: &PageRequest,
) -> StoreResult<Page<ConversationView>> {
    let viewer_s = viewer.to_string();
    let mut sql = Sql {
        where_: Vec::new(),
        params: vec![Value::Text(viewer_s.clone())],
    };
    let p = sql.param(ws.to_string());
    sql.where_.push(format!("c.workspace_id = {p}"));
    status_condition(&mut sql, f.status);
    view_condition(&mut sql, f.view.unwrap_or(View::All), &viewer_s);
    if let Some(team) = f.team_id {
        let p = sql.param(team.to_string());
        sql.where_.push(format!("c.team_id = {p}"));
    }
    if let Some(pr) = f.priority {
        let p = sql.param(pr.as_str().to_string());
        sql.where_.push(format!("c.priority = {p}"));
    }
    if let Some(ch) = f.channel_id {
        let p = sql.param(ch.to_string());
        sql.where_.push(format!("c.channel_id = {p}"));
    }
    if let Some(q) = f.q.as_deref().and_then(fts_query) {
        let p = sql.param(q);
        sql.where_.push(format!(
            "(c.id IN (SELECT m.conversation_id FROM messages m WHERE m.rowid IN \
               (SELECT rowid FROM messages_fts WHERE messages_fts MATCH {p})) \
             OR c.contact_id IN (SELECT ct2.id FROM contacts ct2 WHERE ct2.rowid IN \
               (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH {p})))"
        ));
    }
    match f.unread {
        Some(true) => sql.where_.push(UNREAD.into()),
        Some(false) => sql.where_.push(format!("NOT ({UNREAD})")),
        None => {}
    }
    if let Some((t, id)) = page.time_cursor()? {
        let pt = sql.param(ts(t));
        let pi = sql.param(id.to_string());
        sql.where_
            .push(format!("(c.last_activity_at, c.id) < ({pt}, {pi})"));
    }
    let limit = page.limit();
    let pl = sql.param(i64::from(limit) + 1);
    // The mentions view starts from the viewer's few mentions (CROSS JOIN
    // fixes that order) and sorts them, instead of scanning the whole
    // workspace in activity order for the rare mentioned conversation.
    let from = if f.view == Some(View::Mentions) {
        format!(
            "FROM (SELECT DISTINCT conversation_id AS mid FROM mentions WHERE user_id = ?1) mv \
             CROSS JOIN {}",
            rows::VIEW_FROM.trim_start_matches("FROM ")
        )
    } else {
        rows::VIEW_FROM.to_string()
    };
    let text = format!(
        "SELECT {}, {} {from} WHERE {} ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {pl}",
        rows::CONV_COLS,
        rows::VIEW_COLS,
        sql.where_.join(" AND ")
    );
    let items: Vec<ConversationView> = conn
        .prepare_cached(&text)
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(sql.params.iter()), rows::view)?
                .collect()
        })
        .map_err(db_err)?;
    Ok(Page::from_overfetch(items, limit, |v| {
        encode_time_cursor(v.conversation.last_activity_at, v.conversation.id.0)
    }))
}

const UNREAD: &str = "(COALESCE(r.marked_unread, 0) = 1 OR (c.last_incoming_at IS NOT NULL \
     AND (r.read_at IS NULL OR r.read_at < c.last_incoming_at)))";

/// Counts of open conversations per view.
pub fn counts(conn: &Connection, ws: WorkspaceId, viewer: UserId) -> StoreResult<ViewCounts> {
    let ws_s = ws.to_string();
    let viewer_s = viewer.to_string();
    // The buckets of open conversations the triggers of migration 0006 keep.
    let mut out = conn
        .prepare_cached(
            "SELECT coalesce(sum(n) FILTER (WHERE assignee_id = ?2), 0), \
                    coalesce(sum(n) FILTER (WHERE assignee_id = '' AND ai = 0), 0), \
                    coalesce(sum(n) FILTER (WHERE assignee_id <> ''), 0), \
                    coalesce(sum(n), 0), \
                    coalesce(sum(n) FILTER (WHERE ai = 1), 0) \
             FROM conversation_counts WHERE workspace_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row([&ws_s, &viewer_s], |r| {
                Ok(ViewCounts {
                    mine: r.get::<_, i64>(0)? as u64,
                    unassigned: r.get::<_, i64>(1)? as u64,
                    assigned: r.get::<_, i64>(2)? as u64,
                    mentions: 0,
                    all: r.get::<_, i64>(3)? as u64,
                    ai_queue: r.get::<_, i64>(4)? as u64,
                    teams: Vec::new(),
                })
            })
        })
        .map_err(db_err)?;
    // Mentions are per user and few: counted directly, starting from them
    // (CROSS JOIN keeps SQLite from walking every open conversation instead).
    out.mentions = conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT DISTINCT conversation_id AS id FROM mentions WHERE user_id = ?2) m \
             CROSS JOIN conversations c ON c.id = m.id WHERE c.workspace_id = ?1 AND c.status = 'open'",
        )
        .and_then(|mut s| s.query_row([&ws_s, &viewer_s], |r| r.get::<_, i64>(0)))
        .map_err(db_err)? as u64;
    let mut stmt = conn
        .prepare_cached(
            "SELECT t.id, (SELECT coalesce(sum(n), 0) FROM conversation_counts b \
               WHERE b.workspace_id = ?1 AND b.team_id = t.id) \
             FROM teams t WHERE t.workspace_id = ?1 ORDER BY t.name_key",
        )
        .map_err(db_err)?;
    out.teams = stmt
        .query_map([&ws_s], |r| {
            Ok(TeamCount {
                team_id: rows::p(r, 0)?,
                count: r.get::<_, i64>(1)? as u64,
            })
        })
        .and_then(|it| it.collect())
        .map_err(db_err)?;
    Ok(out)
}

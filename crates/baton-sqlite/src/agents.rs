//! SQL for the AI agent tables: articles, AI replies, drafts, worker cursors.

use crate::rows::{self, db_err, json, ts};
use baton_core::*;
use baton_store::{Article, Draft, StoreResult};
use rusqlite::{Connection, OptionalExtension, Row, params};

type R<T> = StoreResult<T>;

fn article(r: &Row<'_>) -> rusqlite::Result<Article> {
    Ok(Article {
        id: rows::p(r, 0)?,
        workspace_id: rows::p(r, 1)?,
        title: r.get(2)?,
        body: r.get(3)?,
        created_at: rows::t(r, 4)?,
        updated_at: rows::t(r, 5)?,
    })
}

const ARTICLE: &str = "SELECT id, workspace_id, title, body, created_at, updated_at FROM articles";

/// Every article of the workspace, oldest first.
pub fn articles(conn: &Connection, ws: WorkspaceId) -> R<Vec<Article>> {
    let mut s = conn
        .prepare_cached(&format!("{ARTICLE} WHERE workspace_id = ?1 ORDER BY id"))
        .map_err(db_err)?;
    let rows = s
        .query_map([ws.to_string()], article)
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
    Ok(rows)
}

/// One article.
pub fn article_by_id(conn: &Connection, ws: WorkspaceId, id: ArticleId) -> R<Option<Article>> {
    conn.prepare_cached(&format!("{ARTICLE} WHERE workspace_id = ?1 AND id = ?2"))
        .and_then(|mut s| s.query_row([ws.to_string(), id.to_string()], article).optional())
        .map_err(db_err)
}

/// Insert an article.
pub fn insert_article(conn: &Connection, a: &Article) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO articles (id, workspace_id, title, body, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.id.to_string(),
            a.workspace_id.to_string(),
            a.title,
            a.body,
            ts(a.created_at),
            ts(a.updated_at)
        ])
    })
    .map(drop)
    .map_err(db_err)
}

/// Write an article's fields.
pub fn update_article(conn: &Connection, a: &Article) -> R<()> {
    conn.prepare_cached("UPDATE articles SET title = ?2, body = ?3, updated_at = ?4 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![a.id.to_string(), a.title, a.body, ts(a.updated_at)]))
        .map(drop)
        .map_err(db_err)
}

/// Delete an article.
pub fn delete_article(conn: &Connection, ws: WorkspaceId, id: ArticleId) -> R<bool> {
    conn.prepare_cached("DELETE FROM articles WHERE workspace_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute([ws.to_string(), id.to_string()]))
        .map(|n| n > 0)
        .map_err(db_err)
}

/// Is the idempotency key used?
pub fn ai_reply_exists(conn: &Connection, key: &str) -> R<bool> {
    conn.prepare_cached("SELECT 1 FROM ai_replies WHERE idempotency_key = ?1")
        .and_then(|mut s| s.exists([key]))
        .map_err(db_err)
}

/// Record an AI reply or handoff.
#[allow(clippy::too_many_arguments)]
pub fn insert_ai_reply(
    conn: &Connection,
    ws: WorkspaceId,
    conv: ConversationId,
    key: &str,
    message: Option<MessageId>,
    session: SessionId,
    receipt: &serde_json::Value,
    at: Timestamp,
) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO ai_replies (idempotency_key, workspace_id, conversation_id, message_id, session_id, \
         receipt, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            key,
            ws.to_string(),
            conv.to_string(),
            message.map(|m| m.to_string()),
            session.to_string(),
            json(receipt),
            ts(at)
        ])
    })
    .map(drop)
    .map_err(db_err)
}

/// The conversation's draft.
pub fn draft(conn: &Connection, ws: WorkspaceId, conv: ConversationId) -> R<Option<Draft>> {
    conn.prepare_cached(
        "SELECT conversation_id, agent_id, body, receipt, requested_by, created_at FROM drafts \
         WHERE workspace_id = ?1 AND conversation_id = ?2",
    )
    .and_then(|mut s| {
        s.query_row([ws.to_string(), conv.to_string()], |r| {
            Ok(Draft {
                conversation_id: rows::p(r, 0)?,
                agent_id: rows::p(r, 1)?,
                body: r.get(2)?,
                receipt: rows::j(r, 3)?,
                requested_by: rows::j(r, 4)?,
                created_at: rows::t(r, 5)?,
            })
        })
        .optional()
    })
    .map_err(db_err)
}

/// Store a draft, replacing the conversation's previous one.
pub fn upsert_draft(conn: &Connection, ws: WorkspaceId, d: &Draft) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO drafts (conversation_id, workspace_id, agent_id, body, receipt, requested_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (conversation_id) DO UPDATE SET \
         agent_id = excluded.agent_id, body = excluded.body, receipt = excluded.receipt, \
         requested_by = excluded.requested_by, created_at = excluded.created_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            d.conversation_id.to_string(),
            ws.to_string(),
            d.agent_id.to_string(),
            d.body,
            json(&d.receipt),
            json(&d.requested_by),
            ts(d.created_at)
        ])
    })
    .map(drop)
    .map_err(db_err)
}

/// Remove a draft.
pub fn delete_draft(conn: &Connection, conv: ConversationId) -> R<bool> {
    conn.prepare_cached("DELETE FROM drafts WHERE conversation_id = ?1")
        .and_then(|mut s| s.execute([conv.to_string()]))
        .map(|n| n > 0)
        .map_err(db_err)
}

/// The worker's cursor.
pub fn agent_cursor(conn: &Connection, ws: WorkspaceId) -> R<i64> {
    conn.prepare_cached("SELECT seq FROM agent_cursors WHERE workspace_id = ?1")
        .and_then(|mut s| s.query_row([ws.to_string()], |r| r.get::<_, i64>(0)).optional())
        .map(|v| v.unwrap_or(0))
        .map_err(db_err)
}

/// Set the worker's cursor.
pub fn set_agent_cursor(conn: &Connection, ws: WorkspaceId, seq: i64) -> R<()> {
    conn.prepare_cached(
        "INSERT INTO agent_cursors (workspace_id, seq) VALUES (?1, ?2) \
         ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq",
    )
    .and_then(|mut s| s.execute(params![ws.to_string(), seq]))
    .map(drop)
    .map_err(db_err)
}

/// Every workspace id.
pub fn workspace_ids(conn: &Connection) -> R<Vec<WorkspaceId>> {
    let mut s = conn
        .prepare_cached("SELECT id FROM workspaces ORDER BY id")
        .map_err(db_err)?;
    let rows = s
        .query_map([], |r| rows::p(r, 0))
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
    Ok(rows)
}

/// Conversations whose active session has been idle past its agent's maximum.
pub fn idle_sessions(conn: &Connection, now: Timestamp, limit: u32) -> R<Vec<(WorkspaceId, ConversationId)>> {
    let mut s = conn
        .prepare_cached(
            "SELECT c.workspace_id, c.id FROM conversations c JOIN agents a ON a.id = c.session_agent_id \
             WHERE c.session_id IS NOT NULL AND max(c.session_started_at, c.last_activity_at) + \
               CAST(CASE WHEN json_type(a.settings, '$.max_session_minutes') IN ('integer', 'real') \
                    AND json_extract(a.settings, '$.max_session_minutes') > 0 \
                    THEN json_extract(a.settings, '$.max_session_minutes') ELSE 1440 END * 60000000 AS INTEGER) <= ?1 \
             ORDER BY c.workspace_id, c.id LIMIT ?2",
        )
        .map_err(db_err)?;
    let rows = s
        .query_map(params![ts(now), limit], |r| Ok((rows::p(r, 0)?, rows::p(r, 1)?)))
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
    Ok(rows)
}

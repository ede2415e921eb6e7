//! SQL for the AI agent tables: articles, AI replies, drafts, worker cursors.
//! None of these rows is locked before a workspace's counter (see `tx.rs`):
//! drafts and AI replies are written under the conversation's lock, articles
//! and cursors are rows nobody else locks.

use crate::rows::{self, db_err, get, json};
use baton_core::*;
use baton_store::{Article, Draft, StoreResult};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

type R<T> = StoreResult<T>;

fn article(r: &PgRow) -> R<Article> {
    Ok(Article {
        id: rows::id(r, 0)?,
        workspace_id: rows::id(r, 1)?,
        title: get(r, 2)?,
        body: get(r, 3)?,
        created_at: get(r, 4)?,
        updated_at: get(r, 5)?,
    })
}

const ARTICLE: &str = "SELECT id, workspace_id, title, body, created_at, updated_at FROM articles";

/// Every article of the workspace, oldest first.
pub async fn articles(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<Article>> {
    let rows = sqlx::query(&format!("{ARTICLE} WHERE workspace_id = $1 ORDER BY id"))
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(rows, article)
}

/// One article.
pub async fn article_by_id(c: &mut PgConnection, ws: WorkspaceId, id: ArticleId) -> R<Option<Article>> {
    sqlx::query(&format!("{ARTICLE} WHERE workspace_id = $1 AND id = $2"))
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(article)
        .transpose()
}

async fn exec(
    c: &mut PgConnection,
    q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> R<u64> {
    q.execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
        .map_err(db_err)
}

/// Insert an article.
pub async fn insert_article(c: &mut PgConnection, a: &Article) -> R<()> {
    let q = sqlx::query(
        "INSERT INTO articles (id, workspace_id, title, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.id.0)
    .bind(a.workspace_id.0)
    .bind(&a.title)
    .bind(&a.body)
    .bind(a.created_at)
    .bind(a.updated_at);
    exec(c, q).await.map(drop)
}

/// Write an article's fields.
pub async fn update_article(c: &mut PgConnection, a: &Article) -> R<()> {
    let q = sqlx::query("UPDATE articles SET title = $2, body = $3, updated_at = $4 WHERE id = $1")
        .bind(a.id.0)
        .bind(&a.title)
        .bind(&a.body)
        .bind(a.updated_at);
    exec(c, q).await.map(drop)
}

/// Delete an article.
pub async fn delete_article(c: &mut PgConnection, ws: WorkspaceId, id: ArticleId) -> R<bool> {
    let q = sqlx::query("DELETE FROM articles WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id.0);
    exec(c, q).await.map(|n| n > 0)
}

/// Is the idempotency key used?
pub async fn ai_reply_exists(c: &mut PgConnection, key: &str) -> R<bool> {
    Ok(sqlx::query("SELECT 1 FROM ai_replies WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .is_some())
}

/// Record an AI reply or handoff.
#[allow(clippy::too_many_arguments)]
pub async fn insert_ai_reply(
    c: &mut PgConnection,
    ws: WorkspaceId,
    conv: ConversationId,
    key: &str,
    message: Option<MessageId>,
    session: SessionId,
    receipt: &serde_json::Value,
    at: Timestamp,
) -> R<()> {
    let q = sqlx::query(
        "INSERT INTO ai_replies (idempotency_key, workspace_id, conversation_id, message_id, session_id, receipt, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key)
    .bind(ws.0)
    .bind(conv.0)
    .bind(message.map(|m| m.0))
    .bind(session.0)
    .bind(json(receipt))
    .bind(at);
    exec(c, q).await.map(drop)
}

/// The conversation's draft.
pub async fn draft(c: &mut PgConnection, ws: WorkspaceId, conv: ConversationId) -> R<Option<Draft>> {
    let row = sqlx::query(
        "SELECT conversation_id, agent_id, body, receipt, requested_by, created_at FROM drafts \
         WHERE workspace_id = $1 AND conversation_id = $2",
    )
    .bind(ws.0)
    .bind(conv.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    row.map(|r| {
        Ok(Draft {
            conversation_id: rows::id(&r, 0)?,
            agent_id: rows::id(&r, 1)?,
            body: get(&r, 2)?,
            receipt: rows::j(&r, 3)?,
            requested_by: rows::j(&r, 4)?,
            created_at: get(&r, 5)?,
        })
    })
    .transpose()
}

/// Store a draft, replacing the conversation's previous one.
pub async fn upsert_draft(c: &mut PgConnection, ws: WorkspaceId, d: &Draft) -> R<()> {
    let q = sqlx::query(
        "INSERT INTO drafts (conversation_id, workspace_id, agent_id, body, receipt, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (conversation_id) DO UPDATE SET \
         agent_id = excluded.agent_id, body = excluded.body, receipt = excluded.receipt, \
         requested_by = excluded.requested_by, created_at = excluded.created_at",
    )
    .bind(d.conversation_id.0)
    .bind(ws.0)
    .bind(d.agent_id.0)
    .bind(&d.body)
    .bind(json(&d.receipt))
    .bind(json(&d.requested_by))
    .bind(d.created_at);
    exec(c, q).await.map(drop)
}

/// Remove a draft.
pub async fn delete_draft(c: &mut PgConnection, conv: ConversationId) -> R<bool> {
    let q = sqlx::query("DELETE FROM drafts WHERE conversation_id = $1").bind(conv.0);
    exec(c, q).await.map(|n| n > 0)
}

/// The worker's cursor.
pub async fn agent_cursor(c: &mut PgConnection, ws: WorkspaceId) -> R<i64> {
    let row = sqlx::query("SELECT seq FROM agent_cursors WHERE workspace_id = $1")
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| get::<i64>(&r, 0)).transpose().map(|v| v.unwrap_or(0))
}

/// Set the worker's cursor.
pub async fn set_agent_cursor(c: &mut PgConnection, ws: WorkspaceId, seq: i64) -> R<()> {
    let q = sqlx::query(
        "INSERT INTO agent_cursors (workspace_id, seq) VALUES ($1, $2) \
         ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq",
    )
    .bind(ws.0)
    .bind(seq);
    exec(c, q).await.map(drop)
}

/// Every workspace id.
pub async fn workspace_ids(c: &mut PgConnection) -> R<Vec<WorkspaceId>> {
    let rows = sqlx::query("SELECT id FROM workspaces ORDER BY id")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(rows, |r| rows::id(r, 0))
}

/// Conversations whose active session has been idle past its agent's maximum.
pub async fn idle_sessions(
    c: &mut PgConnection,
    now: Timestamp,
    limit: u32,
) -> R<Vec<(WorkspaceId, ConversationId)>> {
    let rows = sqlx::query(
        "SELECT c.workspace_id, c.id FROM conversations c JOIN agents a ON a.id = c.session_agent_id \
         WHERE c.session_id IS NOT NULL AND GREATEST(c.session_started_at, c.last_activity_at) + \
           (CASE WHEN jsonb_typeof(a.settings -> 'max_session_minutes') = 'number' \
                 AND (a.settings ->> 'max_session_minutes')::numeric > 0 \
                 THEN (a.settings ->> 'max_session_minutes')::numeric ELSE 1440 END) * interval '1 minute' <= $1 \
         ORDER BY c.workspace_id, c.id LIMIT $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(rows, |r| Ok((rows::id(r, 0)?, rows::id(r, 1)?)))
}

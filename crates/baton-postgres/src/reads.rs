//! Read queries, used on pooled connections and inside write transactions.

use crate::rows::{self, db_err, get};
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

type R<T> = StoreResult<T>;

/// A workspace by id.
pub async fn workspace(c: &mut PgConnection, id: WorkspaceId) -> R<Option<Workspace>> {
    let row = sqlx::query("SELECT id, name, created_at FROM workspaces WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| {
        Ok(Workspace {
            id: rows::id(&r, 0)?,
            name: get(&r, 1)?,
            created_at: get(&r, 2)?,
        })
    })
    .transpose()
}

/// A user in a workspace.
pub async fn user(c: &mut PgConnection, ws: WorkspaceId, id: UserId) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE id = $1 AND workspace_id = $2",
        rows::USER_COLS
    );
    sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::user)
        .transpose()
}

/// Users, oldest first (ids are time-ordered).
pub async fn list_users(c: &mut PgConnection, ws: WorkspaceId, page: &PageRequest) -> R<Page<User>> {
    let after = page.id_cursor()?.unwrap_or(Uuid::nil());
    let limit = page.limit();
    let sql = format!(
        "SELECT {} FROM users WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        rows::USER_COLS
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::user)?;
    Ok(Page::from_overfetch(items, limit, |u| u.id.to_string()))
}

/// Credentials by email.
pub async fn credentials(c: &mut PgConnection, email: &Email) -> R<Option<Credentials>> {
    let sql = format!(
        "SELECT {}, password_hash FROM users WHERE email = $1",
        rows::USER_COLS
    );
    let row = sqlx::query(&sql)
        .bind(email.as_str())
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| {
        Ok(Credentials {
            user: rows::user(&r)?,
            password_hash: get(&r, 11)?,
        })
    })
    .transpose()
}

/// The active user behind a token hash.
pub async fn user_by_token(c: &mut PgConnection, hash: &str) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE active AND id = (SELECT user_id FROM api_tokens WHERE token_hash = $1)",
        rows::USER_COLS
    );
    sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::user)
        .transpose()
}

/// The active user behind an unexpired web session.
pub async fn user_by_session(c: &mut PgConnection, hash: &str, now: Timestamp) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE active AND id = \
         (SELECT user_id FROM web_sessions WHERE session_hash = $1 AND expires_at > $2)",
        rows::USER_COLS
    );
    sqlx::query(&sql)
        .bind(hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::user)
        .transpose()
}

/// A team with its members.
pub async fn team(c: &mut PgConnection, ws: WorkspaceId, id: TeamId) -> R<Option<Team>> {
    let row = sqlx::query(
        "SELECT t.id, t.workspace_id, t.name, t.created_at, \
         ARRAY(SELECT m.user_id FROM team_members m WHERE m.team_id = t.id ORDER BY m.user_id) \
         FROM teams t WHERE t.id = $1 AND t.workspace_id = $2",
    )
    .bind(id.0)
    .bind(ws.0)
    .fetch_optional(&mut *c)
    .await
    .map_err(db_err)?;
    let Some(r) = row else { return Ok(None) };
    let mut team = team_row(&r)?;
    team.member_ids = get::<Vec<Uuid>>(&r, 4)?.into_iter().map(UserId).collect();
    Ok(Some(team))
}

fn team_row(r: &sqlx::postgres::PgRow) -> R<Team> {
    Ok(Team {
        id: rows::id(r, 0)?,
        workspace_id: rows::id(r, 1)?,
        name: get(r, 2)?,
        member_ids: vec![],
        created_at: get(r, 3)?,
    })
}

/// All teams by name, with their members (two queries, not one per team).
pub async fn list_teams(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<Team>> {
    let found = sqlx::query(
        "SELECT id, workspace_id, name, created_at FROM teams WHERE workspace_id = $1 ORDER BY name_key",
    )
    .bind(ws.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let mut teams = rows::all(found, team_row)?;
    let members = sqlx::query(
        "SELECT m.team_id, m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id \
         WHERE t.workspace_id = $1 ORDER BY m.user_id",
    )
    .bind(ws.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    let mut by_team: HashMap<TeamId, Vec<UserId>> = HashMap::new();
    for r in &members {
        by_team.entry(rows::id(r, 0)?).or_default().push(rows::id(r, 1)?);
    }
    for t in &mut teams {
        t.member_ids = by_team.remove(&t.id).unwrap_or_default();
    }
    Ok(teams)
}

/// An agent.
pub async fn agent(c: &mut PgConnection, ws: WorkspaceId, id: AgentId) -> R<Option<Agent>> {
    let sql = format!(
        "SELECT {} FROM agents WHERE id = $1 AND workspace_id = $2",
        rows::AGENT_COLS
    );
    sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::agent)
        .transpose()
}

/// All agents.
pub async fn list_agents(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<Agent>> {
    let sql = format!(
        "SELECT {} FROM agents WHERE workspace_id = $1 ORDER BY id",
        rows::AGENT_COLS
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, rows::agent)
}

/// A channel.
pub async fn channel(c: &mut PgConnection, ws: WorkspaceId, id: ChannelId) -> R<Option<Channel>> {
    let sql = format!(
        "SELECT {} FROM channels WHERE id = $1 AND workspace_id = $2",
        rows::CHANNEL_COLS
    );
    sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::channel)
        .transpose()
}

/// All channels.
pub async fn list_channels(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<Channel>> {
    let sql = format!(
        "SELECT {} FROM channels WHERE workspace_id = $1 ORDER BY id",
        rows::CHANNEL_COLS
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, rows::channel)
}

/// A contact.
pub async fn contact(c: &mut PgConnection, ws: WorkspaceId, id: ContactId) -> R<Option<Contact>> {
    let sql = format!(
        "SELECT {} FROM contacts WHERE id = $1 AND workspace_id = $2",
        rows::CONTACT_COLS
    );
    sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::contact)
        .transpose()
}

/// Contacts, newest first; `q` searches names and emails (full text) and
/// matches phone or external id exactly.
pub async fn list_contacts(
    c: &mut PgConnection,
    ws: WorkspaceId,
    q: Option<&str>,
    page: &PageRequest,
) -> R<Page<Contact>> {
    let limit = page.limit();
    let cursor = page.time_cursor()?;
    let tsq = q.and_then(ts_query);
    // Parameters: $1 workspace, $2 $3 cursor, $4 query, $5 raw text; unused
    // ones are still bound so one statement text serves every call shape.
    let mut conds = vec!["workspace_id = $1".to_string()];
    if cursor.is_some() {
        conds.push("(created_at, id) < ($2, $3)".into());
    }
    if tsq.is_some() {
        conds
            .push("(search @@ to_tsquery('simple'::regconfig, $4) OR phone = $5 OR external_id = $5)".into());
    }
    let sql = format!(
        "SELECT {} FROM contacts WHERE {} ORDER BY created_at DESC, id DESC LIMIT $6",
        rows::CONTACT_COLS,
        conds.join(" AND ")
    );
    let (ct, cid) = cursor.unzip();
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(ct)
        .bind(cid)
        .bind(tsq)
        .bind(q.unwrap_or_default().trim())
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::contact)?;
    Ok(Page::from_overfetch(items, limit, |c| {
        encode_time_cursor(c.created_at, c.id.0)
    }))
}

/// Turn user search text into a safe `to_tsquery('simple', …)` text that
/// behaves like the SQLite backend's FTS5 query: words split as FTS5 splits
/// them, each word prefix-matched, all required. A word with inner
/// punctuation (`zelda@customer.te`) becomes a phrase whose last part is a
/// prefix, as FTS5 reads `"zelda@customer.te"*`. Only letters and digits
/// reach the query text, so input can never be tsquery syntax. `None` when
/// there are no words.
pub fn ts_query(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_' && c != '-')
        .filter(|t| !t.is_empty())
        .take(16)
        .filter_map(|term| {
            let parts: Vec<&str> = term
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .collect();
            let (last, init) = parts.split_last()?;
            let mut phrase: Vec<String> = init.iter().map(|p| format!("'{p}'")).collect();
            phrase.push(format!("'{last}':*"));
            Some(phrase.join(" <-> "))
        })
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" & "))
    }
}

/// One conversation as a viewer sees it.
pub async fn conversation_view(
    c: &mut PgConnection,
    ws: WorkspaceId,
    viewer: Option<UserId>,
    id: ConversationId,
) -> R<Option<ConversationView>> {
    let sql = format!(
        "SELECT {}, {} {} WHERE c.id = $2 AND c.workspace_id = $3",
        rows::CONV_COLS,
        rows::VIEW_COLS,
        rows::VIEW_FROM
    );
    sqlx::query(&sql)
        .bind(viewer.map(|v| v.0))
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::view)
        .transpose()
}

/// Messages, oldest first.
pub async fn list_messages(
    c: &mut PgConnection,
    ws: WorkspaceId,
    conv: ConversationId,
    page: &PageRequest,
) -> R<Page<Message>> {
    ensure_conversation(c, ws, conv).await?;
    let limit = page.limit();
    let cursor = page.time_cursor()?;
    let after = if cursor.is_some() {
        "AND (created_at, id) > ($2, $3)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {} FROM messages WHERE conversation_id = $1 {after} ORDER BY created_at, id LIMIT $4",
        rows::MESSAGE_COLS
    );
    let (ct, cid) = cursor.unzip();
    let found = sqlx::query(&sql)
        .bind(conv.0)
        .bind(ct)
        .bind(cid)
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::message)?;
    Ok(Page::from_overfetch(items, limit, |m| {
        encode_time_cursor(m.created_at, m.id.0)
    }))
}

async fn ensure_conversation(c: &mut PgConnection, ws: WorkspaceId, conv: ConversationId) -> R<()> {
    sqlx::query("SELECT 1 FROM conversations WHERE id = $1 AND workspace_id = $2")
        .bind(conv.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .map(|_| ())
        .ok_or(StoreError::not_found("conversation"))
}

/// A conversation's events, oldest first.
pub async fn timeline(
    c: &mut PgConnection,
    ws: WorkspaceId,
    conv: ConversationId,
    page: &PageRequest,
) -> R<Page<Event>> {
    ensure_conversation(c, ws, conv).await?;
    let limit = page.limit();
    let after = page.seq_cursor()?.unwrap_or(0);
    let sql = format!(
        "SELECT {} FROM events WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        rows::EVENT_COLS
    );
    let found = sqlx::query(&sql)
        .bind(conv.0)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::event)?;
    Ok(Page::from_overfetch(items, limit, |e| e.seq.to_string()))
}

/// A conversation's agent sessions.
pub async fn list_sessions(
    c: &mut PgConnection,
    ws: WorkspaceId,
    conv: ConversationId,
) -> R<Vec<SessionRecord>> {
    ensure_conversation(c, ws, conv).await?;
    let found = sqlx::query(
        "SELECT id, conversation_id, agent_id, started_at, ended_at, end_reason FROM agent_sessions \
         WHERE conversation_id = $1 ORDER BY started_at, id",
    )
    .bind(conv.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows::all(found, |r| {
        Ok(SessionRecord {
            id: rows::id(r, 0)?,
            conversation_id: rows::id(r, 1)?,
            agent_id: rows::id(r, 2)?,
            started_at: get(r, 3)?,
            ended_at: get(r, 4)?,
            end_reason: rows::po(r, 5)?,
        })
    })
}

/// The audit log, newest first.
pub async fn audit(
    c: &mut PgConnection,
    ws: WorkspaceId,
    kind: Option<EventKind>,
    page: &PageRequest,
) -> R<Page<Event>> {
    let limit = page.limit();
    let before = page.seq_cursor()?.unwrap_or(i64::MAX);
    let by_kind = if kind.is_some() { "AND kind = $4" } else { "" };
    let sql = format!(
        "SELECT {} FROM events WHERE workspace_id = $1 AND seq < $2 {by_kind} ORDER BY seq DESC LIMIT $3",
        rows::EVENT_COLS
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(before)
        .bind(i64::from(limit) + 1)
        .bind(kind.map(EventKind::as_str))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::event)?;
    Ok(Page::from_overfetch(items, limit, |e| e.seq.to_string()))
}

/// Events after a seq, oldest first.
pub async fn events_after(c: &mut PgConnection, ws: WorkspaceId, after: i64, limit: u32) -> R<Vec<Event>> {
    let sql = format!(
        "SELECT {} FROM events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        rows::EVENT_COLS
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, rows::event)
}

/// Events after `after` of the given kinds, in order.
pub async fn events_after_of(
    c: &mut PgConnection,
    ws: WorkspaceId,
    after: i64,
    kinds: &[EventKind],
    limit: u32,
) -> R<Vec<Event>> {
    let sql = format!(
        "SELECT {} FROM events WHERE workspace_id = $1 AND seq > $2 AND kind = ANY($3) ORDER BY seq LIMIT $4",
        rows::EVENT_COLS
    );
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(after)
        .bind(kinds)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, rows::event)
}

/// The newest seq.
pub async fn latest_seq(c: &mut PgConnection, ws: WorkspaceId) -> R<i64> {
    let row = sqlx::query("SELECT event_seq FROM workspaces WHERE id = $1")
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::not_found("workspace"))?;
    get(&row, 0)
}

#[cfg(test)]
mod tests {
    use super::ts_query;

    #[test]
    fn words_become_required_prefixes() {
        assert_eq!(
            ts_query("refund BLEND").as_deref(),
            Some("'refund':* & 'BLEND':*")
        );
    }

    #[test]
    fn inner_punctuation_makes_a_phrase() {
        assert_eq!(
            ts_query("zelda@customer.te").as_deref(),
            Some("'zelda' <-> 'customer' <-> 'te':*")
        );
    }

    #[test]
    fn syntax_in_input_is_only_text() {
        assert_eq!(
            ts_query("\"refund\" OR NEAR( !x | y:* 'z'").as_deref(),
            Some("'refund':* & 'OR':* & 'NEAR':* & 'x':* & 'y':* & 'z':*")
        );
        assert_eq!(ts_query("  -- ... !!"), None);
        assert_eq!(ts_query(""), None);
    }
}

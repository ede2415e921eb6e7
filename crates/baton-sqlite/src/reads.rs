//! Read queries, used by the read pool and inside write transactions.

use crate::rows::{self, db_err, ts};
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use rusqlite::{Connection, OptionalExtension, params};

type R<T> = StoreResult<T>;

/// A workspace by id.
pub fn workspace(conn: &Connection, id: WorkspaceId) -> R<Option<Workspace>> {
    conn.prepare_cached("SELECT id, name, created_at FROM workspaces WHERE id = ?1")
        .and_then(|mut s| {
            s.query_row([id.to_string()], |r| {
                Ok(Workspace {
                    id: rows::p(r, 0)?,
                    name: r.get(1)?,
                    created_at: rows::t(r, 2)?,
                })
            })
            .optional()
        })
        .map_err(db_err)
}

/// A user in a workspace.
pub fn user(conn: &Connection, ws: WorkspaceId, id: UserId) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE id = ?1 AND workspace_id = ?2",
        rows::USER_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], rows::user)
                .optional()
        })
        .map_err(db_err)
}

/// Users, oldest first (ids are time-ordered).
pub fn list_users(conn: &Connection, ws: WorkspaceId, page: &PageRequest) -> R<Page<User>> {
    let after = page.id_cursor()?.map(|u| u.to_string()).unwrap_or_default();
    let sql = format!(
        "SELECT {} FROM users WHERE workspace_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        rows::USER_COLS
    );
    let limit = page.limit();
    let items = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![ws.to_string(), after, limit + 1], rows::user)?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db_err)?;
    Ok(Page::from_overfetch(items, limit, |u| u.id.to_string()))
}

/// Credentials by email.
pub fn credentials(conn: &Connection, email: &Email) -> R<Option<Credentials>> {
    let sql = format!(
        "SELECT {}, password_hash FROM users WHERE email = ?1",
        rows::USER_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row([email.as_str()], |r| {
                Ok(Credentials {
                    user: rows::user(r)?,
                    password_hash: r.get(11)?,
                })
            })
            .optional()
        })
        .map_err(db_err)
}

/// The active user behind a token hash.
pub fn user_by_token(conn: &Connection, hash: &str) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE active = 1 AND id = (SELECT user_id FROM api_tokens WHERE token_hash = ?1)",
        rows::USER_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([hash], rows::user).optional())
        .map_err(db_err)
}

/// The active user behind an unexpired web session.
pub fn user_by_session(conn: &Connection, hash: &str, now: Timestamp) -> R<Option<User>> {
    let sql = format!(
        "SELECT {} FROM users WHERE active = 1 AND id = \
         (SELECT user_id FROM web_sessions WHERE session_hash = ?1 AND expires_at > ?2)",
        rows::USER_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params![hash, ts(now)], rows::user).optional())
        .map_err(db_err)
}

/// A team with its members.
pub fn team(conn: &Connection, ws: WorkspaceId, id: TeamId) -> R<Option<Team>> {
    let found = conn
        .prepare_cached(
            "SELECT id, workspace_id, name, created_at FROM teams WHERE id = ?1 AND workspace_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], |r| {
                Ok(Team {
                    id: rows::p(r, 0)?,
                    workspace_id: rows::p(r, 1)?,
                    name: r.get(2)?,
                    member_ids: vec![],
                    created_at: rows::t(r, 3)?,
                })
            })
            .optional()
        })
        .map_err(db_err)?;
    let Some(mut team) = found else { return Ok(None) };
    team.member_ids = members(conn, team.id)?;
    Ok(Some(team))
}

fn members(conn: &Connection, team: TeamId) -> R<Vec<UserId>> {
    conn.prepare_cached("SELECT user_id FROM team_members WHERE team_id = ?1 ORDER BY user_id")
        .and_then(|mut s| s.query_map([team.to_string()], |r| rows::p(r, 0))?.collect())
        .map_err(db_err)
}

/// All teams by name.
pub fn list_teams(conn: &Connection, ws: WorkspaceId) -> R<Vec<Team>> {
    let ids: Vec<TeamId> = conn
        .prepare_cached("SELECT id FROM teams WHERE workspace_id = ?1 ORDER BY name_key")
        .and_then(|mut s| s.query_map([ws.to_string()], |r| rows::p(r, 0))?.collect())
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(t) = team(conn, ws, id)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// An agent.
pub fn agent(conn: &Connection, ws: WorkspaceId, id: AgentId) -> R<Option<Agent>> {
    let sql = format!(
        "SELECT {} FROM agents WHERE id = ?1 AND workspace_id = ?2",
        rows::AGENT_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], rows::agent)
                .optional()
        })
        .map_err(db_err)
}

/// All agents.
pub fn list_agents(conn: &Connection, ws: WorkspaceId) -> R<Vec<Agent>> {
    let sql = format!(
        "SELECT {} FROM agents WHERE workspace_id = ?1 ORDER BY id",
        rows::AGENT_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_map([ws.to_string()], rows::agent)?.collect())
        .map_err(db_err)
}

/// A channel.
pub fn channel(conn: &Connection, ws: WorkspaceId, id: ChannelId) -> R<Option<Channel>> {
    let sql = format!(
        "SELECT {} FROM channels WHERE id = ?1 AND workspace_id = ?2",
        rows::CHANNEL_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], rows::channel)
                .optional()
        })
        .map_err(db_err)
}

/// All channels.
pub fn list_channels(conn: &Connection, ws: WorkspaceId) -> R<Vec<Channel>> {
    let sql = format!(
        "SELECT {} FROM channels WHERE workspace_id = ?1 ORDER BY id",
        rows::CHANNEL_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_map([ws.to_string()], rows::channel)?.collect())
        .map_err(db_err)
}

/// A contact.
pub fn contact(conn: &Connection, ws: WorkspaceId, id: ContactId) -> R<Option<Contact>> {
    let sql = format!(
        "SELECT {} FROM contacts WHERE id = ?1 AND workspace_id = ?2",
        rows::CONTACT_COLS
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], rows::contact)
                .optional()
        })
        .map_err(db_err)
}

/// Contacts, newest first; `q` searches names and emails (full text) and
/// matches phone or external id exactly.
pub fn list_contacts(
    conn: &Connection,
    ws: WorkspaceId,
    q: Option<&str>,
    page: &PageRequest,
) -> R<Page<Contact>> {
    let limit = page.limit();
    let (ct, cid) = match page.time_cursor()? {
        Some((t, id)) => (ts(t), id.to_string()),
        None => (i64::MAX, String::new()),
    };
    let cols = rows::CONTACT_COLS;
    let items: Vec<Contact> = match q.and_then(fts_query) {
        Some(fq) => {
            let raw = q.unwrap_or_default().trim().to_string();
            let sql = format!(
                "SELECT {cols} FROM contacts WHERE workspace_id = ?1 AND (created_at, id) < (?2, ?3) AND \
                 (rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?4) \
                  OR phone = ?5 OR external_id = ?5) \
                 ORDER BY created_at DESC, id DESC LIMIT ?6"
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_map(
                        params![ws.to_string(), ct, cid, fq, raw, limit + 1],
                        rows::contact,
                    )?
                    .collect()
                })
                .map_err(db_err)?
        }
        None => {
            let sql = format!(
                "SELECT {cols} FROM contacts WHERE workspace_id = ?1 AND (created_at, id) < (?2, ?3) \
                 ORDER BY created_at DESC, id DESC LIMIT ?4"
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_map(params![ws.to_string(), ct, cid, limit + 1], rows::contact)?
                        .collect()
                })
                .map_err(db_err)?
        }
    };
    Ok(Page::from_overfetch(items, limit, |c| {
        encode_time_cursor(c.created_at, c.id.0)
    }))
}

/// Turn user search text into a safe FTS5 query: each word quoted, prefix-matched,
/// all required. `None` when there are no words.
pub fn fts_query(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_' && c != '-')
        .filter(|t| !t.is_empty())
        .take(16)
        .map(|t| format!("\"{}\"*", t.replace('"', "")))
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" "))
    }
}

/// One conversation as a viewer sees it.
pub fn conversation_view(
    conn: &Connection,
    ws: WorkspaceId,
    viewer: Option<UserId>,
    id: ConversationId,
) -> R<Option<ConversationView>> {
    let sql = format!(
        "SELECT {}, {} {} WHERE c.id = ?2 AND c.workspace_id = ?3",
        rows::CONV_COLS,
        rows::VIEW_COLS,
        rows::VIEW_FROM
    );
    let viewer = viewer.map(|v| v.to_string()).unwrap_or_default();
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![viewer, id.to_string(), ws.to_string()], rows::view)
                .optional()
        })
        .map_err(db_err)
}

/// Messages, oldest first.
pub fn list_messages(
    conn: &Connection,
    ws: WorkspaceId,
    conv: ConversationId,
    page: &PageRequest,
) -> R<Page<Message>> {
    ensure_conversation(conn, ws, conv)?;
    let limit = page.limit();
    let (ct, cid) = match page.time_cursor()? {
        Some((t, id)) => (ts(t), id.to_string()),
        None => (i64::MIN, String::new()),
    };
    let sql = format!(
        "SELECT {} FROM messages WHERE conversation_id = ?1 AND (created_at, id) > (?2, ?3) \
         ORDER BY created_at, id LIMIT ?4",
        rows::MESSAGE_COLS
    );
    let items: Vec<Message> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![conv.to_string(), ct, cid, limit + 1], rows::message)?
                .collect()
        })
        .map_err(db_err)?;
    Ok(Page::from_overfetch(items, limit, |m| {
        encode_time_cursor(m.created_at, m.id.0)
    }))
}

fn ensure_conversation(conn: &Connection, ws: WorkspaceId, conv: ConversationId) -> R<()> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1 AND workspace_id = ?2")
        .and_then(|mut s| {
            s.query_row(params![conv.to_string(), ws.to_string()], |r| r.get(0))
                .optional()
        })
        .map_err(db_err)?;
    found.map(|_| ()).ok_or(StoreError::not_found("conversation"))
}

/// A conversation's events, oldest first.
pub fn timeline(
    conn: &Connection,
    ws: WorkspaceId,
    conv: ConversationId,
    page: &PageRequest,
) -> R<Page<Event>> {
    ensure_conversation(conn, ws, conv)?;
    let limit = page.limit();
    let after = page.seq_cursor()?.unwrap_or(0);
    let sql = format!(
        "SELECT {} FROM events WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        rows::EVENT_COLS
    );
    let items: Vec<Event> = conn
        .prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![conv.to_string(), after, limit + 1], rows::event)?
                .collect()
        })
        .map_err(db_err)?;
    let items = finish_events(conn, items)?;
    Ok(Page::from_overfetch(items, limit, |e| e.seq.to_string()))
}

/// A conversation's agent sessions.
pub fn list_sessions(conn: &Connection, ws: WorkspaceId, conv: ConversationId) -> R<Vec<SessionRecord>> {
    ensure_conversation(conn, ws, conv)?;
    conn.prepare_cached(
        "SELECT id, conversation_id, agent_id, started_at, ended_at, end_reason FROM agent_sessions \
         WHERE conversation_id = ?1 ORDER BY started_at, id",
    )
    .and_then(|mut s| {
        s.query_map([conv.to_string()], |r| {
            Ok(SessionRecord {
                id: rows::p(r, 0)?,
                conversation_id: rows::p(r, 1)?,
                agent_id: rows::p(r, 2)?,
                started_at: rows::t(r, 3)?,
                ended_at: rows::to(r, 4)?,
                end_reason: rows::po(r, 5)?,
            })
        })?
        .collect()
    })
    .map_err(db_err)
}

/// The audit log, newest first.
pub fn audit(
    conn: &Connection,
    ws: WorkspaceId,
    kind: Option<EventKind>,
    page: &PageRequest,
) -> R<Page<Event>> {
    let limit = page.limit();
    let before = page.seq_cursor()?.unwrap_or(i64::MAX);
    let items: Vec<Event> = match kind {
        Some(k) => {
            let sql = format!(
                "SELECT {} FROM events WHERE {} AND workspace_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT ?4",
                rows::EVENT_COLS,
                seqs_before("?3")
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_map(
                        params![ws.to_string(), k.as_str(), before, limit + 1],
                        rows::event,
                    )?
                    .collect()
                })
                .map_err(db_err)?
        }
        None => {
            let sql = format!(
                "SELECT {} FROM events WHERE {} AND workspace_id = ?1 ORDER BY id DESC LIMIT ?3",
                rows::EVENT_COLS,
                seqs_before("?2")
            );
            conn.prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_map(params![ws.to_string(), before, limit + 1], rows::event)?
                        .collect()
                })
                .map_err(db_err)?
        }
    };
    let items = finish_events(conn, items)?;
    Ok(Page::from_overfetch(items, limit, |e| e.seq.to_string()))
}

/// Events after a seq, oldest first.
pub fn events_after(conn: &Connection, ws: WorkspaceId, after: i64, limit: u32) -> R<Vec<Event>> {
    let sql = format!(
        "SELECT {} FROM events WHERE {} AND workspace_id = ?1 ORDER BY id LIMIT ?3",
        rows::EVENT_COLS,
        seqs_after("?2")
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![ws.to_string(), after, limit], rows::event)?
                .collect()
        })
        .map_err(db_err)
        .and_then(|events| finish_events(conn, events))
}

/// Events after `after` of the given kinds, in order.
pub fn events_after_of(
    conn: &Connection,
    ws: WorkspaceId,
    after: i64,
    kinds: &[&str],
    limit: u32,
) -> R<Vec<Event>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let sql = events_of_kinds_sql(kinds.len());
    let mut values: Vec<rusqlite::types::Value> =
        vec![ws.to_string().into(), after.into(), i64::from(limit).into()];
    values.extend(kinds.iter().map(|k| rusqlite::types::Value::from(k.to_string())));
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(values.iter()), rows::event)?
                .collect()
        })
        .map_err(db_err)
        .and_then(|events| finish_events(conn, events))
}

/// Events as the API shows them: interned parts of routing explanations put
/// back, and candidate runs expanded.
fn finish_events(conn: &Connection, mut events: Vec<Event>) -> R<Vec<Event>> {
    for e in &mut events {
        crate::intern::inflate(conn, &mut e.event.data)?;
        baton_core::routing::explain::expand_event_data(&mut e.event.data);
    }
    Ok(events)
}

/// A workspace's events are the rowids from its event key shifted left 40
/// bits, plus each one's seq (migration 0013).
const EVENT_BASE: &str = "((SELECT event_key FROM workspaces WHERE id = ?1) << 40)";

/// Seqs are below this (2^40).
const SEQ_LIMIT: i64 = 1 << 40;

/// The condition for workspace ?1's events with seq after `param`: a rowid range.
fn seqs_after(param: &str) -> String {
    format!("id > {EVENT_BASE} + max(min({param}, {SEQ_LIMIT}), 0) AND id < {EVENT_BASE} + {SEQ_LIMIT}")
}

/// The condition for workspace ?1's events with seq before `param`: a rowid range.
fn seqs_before(param: &str) -> String {
    format!("id < {EVENT_BASE} + max(min({param}, {SEQ_LIMIT}), 0) AND id > {EVENT_BASE}")
}

/// Events after ?2 of ?1 whose kind is one of ?4.. (`kinds` of them), at most ?3.
/// Read forward along the workspace's rowid range, keeping the kinds
/// asked for: callers read from near the head of the log (see migration
/// 0009), so an index per kind would cost every append more than it saves.
fn events_of_kinds_sql(kinds: usize) -> String {
    let marks: Vec<String> = (0..kinds).map(|i| format!("?{}", i + 4)).collect();
    format!(
        "SELECT {} FROM events WHERE {} AND workspace_id = ?1 AND kind IN ({}) ORDER BY id LIMIT ?3",
        rows::EVENT_COLS,
        seqs_after("?2"),
        marks.join(", ")
    )
}

/// The newest seq.
pub fn latest_seq(conn: &Connection, ws: WorkspaceId) -> R<i64> {
    conn.prepare_cached("SELECT event_seq FROM workspaces WHERE id = ?1")
        .and_then(|mut s| s.query_row([ws.to_string()], |r| r.get::<_, i64>(0)).optional())
        .map_err(db_err)?
        .ok_or(StoreError::not_found("workspace"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followed_kinds_are_read_along_the_rowid_range_without_a_kind_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrate::migrate(&mut conn).unwrap();
        let kind_index: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'events_kind'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            kind_index, 0,
            "appends no longer pay for a (workspace, kind, seq) index"
        );
        let plan = crate::plan::query_plan(
            &conn,
            &events_of_kinds_sql(3),
            rusqlite::params!["ws", 0, 10, "a", "b", "c"],
        );
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }
}

//! Conversions between SQLite values and domain types.

use baton_core::directory::*;
use baton_core::*;
use baton_store::{ContactSummary, ConversationView, NamedRef, StoreError, UserSummary};
use chrono::DateTime;
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use serde::de::DeserializeOwned;
use std::str::FromStr;

/// Timestamp to stored microseconds.
pub fn ts(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// Optional timestamp to stored microseconds.
pub fn ts_opt(t: Option<Timestamp>) -> Option<i64> {
    t.map(ts)
}

/// Stored microseconds to a timestamp.
pub fn from_ts(v: i64) -> Timestamp {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

/// A value parsed from stored text (ids, enum words, emails).
pub struct Parsed<T>(pub T);

impl<T: FromStr> FromSql for Parsed<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        s.parse::<T>()
            .map(Parsed)
            .map_err(|_| FromSqlError::Other(format!("unparsable stored value {s:?}").into()))
    }
}

/// A JSON value stored as text.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromSql for Json<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?)
            .map(Json)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// Read a parsed column.
pub fn p<T: FromStr>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    Ok(row.get::<_, Parsed<T>>(idx)?.0)
}

/// Read an optional parsed column.
pub fn po<T: FromStr>(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    Ok(row.get::<_, Option<Parsed<T>>>(idx)?.map(|x| x.0))
}

/// Read a JSON column.
pub fn j<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    Ok(row.get::<_, Json<T>>(idx)?.0)
}

/// Read a timestamp column.
pub fn t(row: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    Ok(from_ts(row.get(idx)?))
}

/// Read an optional timestamp column.
pub fn to(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(from_ts))
}

/// JSON text of a value.
pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Map a SQLite error to a store error; constraint violations are conflicts.
pub fn db_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return StoreError::conflict(
            "constraint",
            msg.clone().unwrap_or_else(|| "constraint violated".into()),
        );
    }
    StoreError::Database(e.to_string())
}

/// Columns of `users` in [`user`] order.
pub const USER_COLS: &str =
    "id, workspace_id, email, name, handle, role, active, availability, max_open, created_at, updated_at";

/// A user row.
pub fn user(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: p(row, 0)?,
        workspace_id: p(row, 1)?,
        email: p::<EmailText>(row, 2)?.0,
        name: row.get(3)?,
        handle: row.get(4)?,
        role: p(row, 5)?,
        active: row.get(6)?,
        availability: p(row, 7)?,
        max_open: row.get::<_, Option<i64>>(8)?.map(|m| m as u32),
        created_at: t(row, 9)?,
        updated_at: t(row, 10)?,
    })
}

/// An email parsed from text.
pub struct EmailText(pub Email);

impl FromStr for EmailText {
    type Err = baton_core::email::InvalidEmail;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s).map(EmailText)
    }
}

/// Columns of `agents` in [`agent`] order.
pub const AGENT_COLS: &str = "id, workspace_id, name, runtime, settings, handoff_team_id, handoff_mode, active, created_at, updated_at";

/// An agent row.
pub fn agent(row: &Row<'_>) -> rusqlite::Result<Agent> {
    Ok(Agent {
        id: p(row, 0)?,
        workspace_id: p(row, 1)?,
        name: row.get(2)?,
        runtime: p(row, 3)?,
        settings: j(row, 4)?,
        handoff_team_id: po(row, 5)?,
        handoff_mode: p(row, 6)?,
        active: row.get(7)?,
        created_at: t(row, 8)?,
        updated_at: t(row, 9)?,
    })
}

/// Columns of `channels` in [`channel`] order.
pub const CHANNEL_COLS: &str = "id, workspace_id, kind, name, autopilot_agent_id, created_at, reply_mode";

/// A channel row.
pub fn channel(row: &Row<'_>) -> rusqlite::Result<Channel> {
    Ok(Channel {
        id: p(row, 0)?,
        workspace_id: p(row, 1)?,
        kind: p(row, 2)?,
        name: row.get(3)?,
        autopilot_agent_id: po(row, 4)?,
        created_at: t(row, 5)?,
        reply_mode: p(row, 6)?,
    })
}

/// Columns of `contacts` in [`contact`] order.
pub const CONTACT_COLS: &str =
    "id, workspace_id, name, email, phone, external_id, tags, attributes, created_at, updated_at";

/// A contact row.
pub fn contact(row: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: p(row, 0)?,
        workspace_id: p(row, 1)?,
        name: row.get(2)?,
        email: po::<EmailText>(row, 3)?.map(|e| e.0),
        phone: row.get(4)?,
        external_id: row.get(5)?,
        tags: j(row, 6)?,
        attributes: j(row, 7)?,
        created_at: t(row, 8)?,
        updated_at: t(row, 9)?,
    })
}

/// Columns of `conversations` (aliased `c`) in [`conversation`] order.
pub const CONV_COLS: &str = "c.id, c.workspace_id, c.channel_id, c.contact_id, c.status, c.snoozed_until, \
     c.priority, c.tags, c.assignee_id, c.agent_id, c.session_id, c.session_agent_id, \
     c.session_started_at, c.team_id, c.ai_handoff_at, c.created_at, c.updated_at, \
     c.last_activity_at, c.last_incoming_at, c.preview, c.version";

/// Number of columns in [`CONV_COLS`].
pub const CONV_NCOLS: usize = 21;

/// A conversation row.
pub fn conversation(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    let session_id: Option<SessionId> = po(row, 10)?;
    let agent_session = match session_id {
        Some(id) => Some(AgentSession {
            id,
            agent_id: p(row, 11)?,
            started_at: t(row, 12)?,
        }),
        None => None,
    };
    Ok(Conversation {
        id: p(row, 0)?,
        workspace_id: p(row, 1)?,
        channel_id: p(row, 2)?,
        contact_id: p(row, 3)?,
        status: p(row, 4)?,
        snoozed_until: to(row, 5)?,
        priority: p(row, 6)?,
        tags: j(row, 7)?,
        assignee_id: po(row, 8)?,
        agent_id: po(row, 9)?,
        agent_session,
        team_id: po(row, 13)?,
        ai_handoff_at: to(row, 14)?,
        created_at: t(row, 15)?,
        updated_at: t(row, 16)?,
        last_activity_at: t(row, 17)?,
        last_incoming_at: to(row, 18)?,
        last_message_preview: row.get(19)?,
        version: row.get(20)?,
    })
}

/// The joins and extra columns of a conversation view; `?1` is the viewer.
pub const VIEW_FROM: &str = "FROM conversations c \
     JOIN contacts ct ON ct.id = c.contact_id \
     JOIN channels ch ON ch.id = c.channel_id \
     LEFT JOIN users u ON u.id = c.assignee_id \
     LEFT JOIN agents a ON a.id = c.agent_id \
     LEFT JOIN teams tm ON tm.id = c.team_id \
     LEFT JOIN read_states r ON r.conversation_id = c.id AND r.user_id = ?1";

/// Extra columns of a view after [`CONV_COLS`].
pub const VIEW_COLS: &str = "ct.name, ct.email, ct.phone, ct.external_id, u.name, u.email, u.handle, \
     a.name, tm.name, ch.name, r.read_at, r.marked_unread";

/// A conversation view row (`CONV_COLS, VIEW_COLS`).
pub fn view(row: &Row<'_>) -> rusqlite::Result<ConversationView> {
    let c = conversation(row)?;
    let b = CONV_NCOLS;
    let read = ReadState {
        read_at: to(row, b + 10)?,
        marked_unread: row.get::<_, Option<bool>>(b + 11)?.unwrap_or(false),
    };
    let assignee = match c.assignee_id {
        Some(id) => Some(UserSummary {
            id,
            name: row.get(b + 4)?,
            email: row.get(b + 5)?,
            handle: row.get(b + 6)?,
        }),
        None => None,
    };
    let agent = match c.agent_id {
        Some(id) => Some(NamedRef {
            id,
            name: row.get(b + 7)?,
        }),
        None => None,
    };
    let team = match c.team_id {
        Some(id) => Some(NamedRef {
            id,
            name: row.get(b + 8)?,
        }),
        None => None,
    };
    Ok(ConversationView {
        unread: read.is_unread(c.last_incoming_at),
        contact: ContactSummary {
            id: c.contact_id,
            name: row.get(b)?,
            email: row.get(b + 1)?,
            phone: row.get(b + 2)?,
            external_id: row.get(b + 3)?,
        },
        assignee,
        agent,
        team,
        channel: NamedRef {
            id: c.channel_id,
            name: row.get(b + 9)?,
        },
        conversation: c,
    })
}

/// Columns of `messages` in [`message`] order.
pub const MESSAGE_COLS: &str =
    "id, conversation_id, kind, body, author, agent_session_id, channel_id, mentions, created_at";

/// A message row.
pub fn message(row: &Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: p(row, 0)?,
        conversation_id: p(row, 1)?,
        kind: p(row, 2)?,
        body: row.get(3)?,
        author: j(row, 4)?,
        agent_session_id: po(row, 5)?,
        channel_id: p(row, 6)?,
        mentions: j(row, 7)?,
        created_at: t(row, 8)?,
    })
}

/// An event's rowid: its workspace's event key in the high bits, its seq
/// (below 2^40) in the low ones (migration 0013), so a workspace's events
/// are one rowid range in seq order.
pub fn event_rowid(event_key: i64, seq: i64) -> i64 {
    (event_key << 40) | seq
}

/// Columns of `events` in [`event`] order.
pub const EVENT_COLS: &str =
    "seq, workspace_id, kind, conversation_id, actor, at, before, after, reason, data";

/// An event row, as stored: its routing explanation may still hold
/// interned parts and candidate runs (see `reads::finish_events`).
pub fn event(row: &Row<'_>) -> rusqlite::Result<Event> {
    let kind: String = row.get(2)?;
    let kind = EventKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, "event kind".into())
    })?;
    Ok(Event {
        seq: row.get(0)?,
        workspace_id: p(row, 1)?,
        event: NewEvent {
            kind,
            conversation_id: po(row, 3)?,
            actor: j(row, 4)?,
            at: t(row, 5)?,
            before: j(row, 6)?,
            after: j(row, 7)?,
            reason: row.get(8)?,
            data: j(row, 9)?,
        },
    })
}

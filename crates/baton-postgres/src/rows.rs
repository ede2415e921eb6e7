//! Conversions between PostgreSQL rows and domain types, and error mapping.

use baton_core::directory::*;
use baton_core::*;
use baton_store::{ContactSummary, ConversationView, NamedRef, StoreError, StoreResult, UserSummary};
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Postgres, Row};
use std::str::FromStr;
use uuid::Uuid;

type R<T> = StoreResult<T>;

/// Map a PostgreSQL error to a store error. Integrity violations (SQLSTATE
/// class 23: unique, foreign key, not null, check) are conflicts, as on SQLite.
/// Text PostgreSQL cannot store (a NUL character, in `text` or `jsonb`) is
/// refused as invalid input rather than reported as a database failure.
pub fn db_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        match d.code().as_deref() {
            Some(c) if c.starts_with("23") => {
                return StoreError::conflict("constraint", d.message().to_string());
            }
            Some("22021" | "22P05") => {
                return StoreError::invalid("invalid_text", "text must not contain NUL characters");
            }
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("unreadable stored value: {what}"))
}

/// Read a column.
pub fn get<'r, T>(row: &'r PgRow, idx: usize) -> R<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(idx).map_err(db_err)
}

/// An id newtype built from its stored uuid.
pub trait FromUuid {
    /// Wrap the uuid.
    fn from_uuid(u: Uuid) -> Self;
}

macro_rules! from_uuid {
    ($($t:ty),*) => {$(
        impl FromUuid for $t {
            fn from_uuid(u: Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}
from_uuid!(
    WorkspaceId,
    ArticleId,
    UserId,
    TeamId,
    AgentId,
    ChannelId,
    ContactId,
    ConversationId,
    MessageId,
    SessionId,
    TokenId,
    RuleId,
    NotificationId,
    DeliveryId,
    WebhookId
);

/// Read an id column.
pub fn id<T: FromUuid>(row: &PgRow, idx: usize) -> R<T> {
    get::<Uuid>(row, idx).map(T::from_uuid)
}

/// Read an optional id column.
pub fn ido<T: FromUuid>(row: &PgRow, idx: usize) -> R<Option<T>> {
    Ok(get::<Option<Uuid>>(row, idx)?.map(T::from_uuid))
}

/// Read a text column holding an enum word.
pub fn p<T: FromStr>(row: &PgRow, idx: usize) -> R<T> {
    let s: &str = get(row, idx)?;
    s.parse::<T>().map_err(|_| corrupt(format!("{s:?}")))
}

/// Read an optional text column holding an enum word.
pub fn po<T: FromStr>(row: &PgRow, idx: usize) -> R<Option<T>> {
    let s: Option<&str> = get(row, idx)?;
    s.map(|s| s.parse::<T>().map_err(|_| corrupt(format!("{s:?}"))))
        .transpose()
}

/// Read an optional email column.
pub fn email_o(row: &PgRow, idx: usize) -> R<Option<Email>> {
    let s: Option<&str> = get(row, idx)?;
    s.map(|s| Email::parse(s).map_err(corrupt)).transpose()
}

/// Read a jsonb column.
pub fn j<T: DeserializeOwned>(row: &PgRow, idx: usize) -> R<T> {
    Ok(get::<Json<T>>(row, idx)?.0)
}

/// The jsonb parameter for a value.
pub fn json<T: serde::Serialize>(v: &T) -> Json<&T> {
    Json(v)
}

/// Columns of `users` in [`user`] order.
pub const USER_COLS: &str =
    "id, workspace_id, email, name, handle, role, active, availability, max_open, created_at, updated_at";

/// A user row.
pub fn user(row: &PgRow) -> R<User> {
    user_at(row, 0)
}

/// A user from the [`USER_COLS`] starting at column `at`.
pub fn user_at(row: &PgRow, at: usize) -> R<User> {
    let email: &str = get(row, at + 2)?;
    Ok(User {
        id: id(row, at)?,
        workspace_id: id(row, at + 1)?,
        email: Email::parse(email).map_err(corrupt)?,
        name: get(row, at + 3)?,
        handle: get(row, at + 4)?,
        role: p(row, at + 5)?,
        active: get(row, at + 6)?,
        availability: p(row, at + 7)?,
        max_open: get::<Option<i64>>(row, at + 8)?.map(|m| m as u32),
        created_at: get(row, at + 9)?,
        updated_at: get(row, at + 10)?,
    })
}

/// Columns of `agents` in [`agent`] order.
pub const AGENT_COLS: &str = "id, workspace_id, name, runtime, settings, handoff_team_id, handoff_mode, active, created_at, updated_at";

/// An agent row.
pub fn agent(row: &PgRow) -> R<Agent> {
    Ok(Agent {
        id: id(row, 0)?,
        workspace_id: id(row, 1)?,
        name: get(row, 2)?,
        runtime: p(row, 3)?,
        settings: j(row, 4)?,
        handoff_team_id: ido(row, 5)?,
        handoff_mode: p(row, 6)?,
        active: get(row, 7)?,
        created_at: get(row, 8)?,
        updated_at: get(row, 9)?,
    })
}

/// Columns of `channels` in [`channel`] order.
pub const CHANNEL_COLS: &str = "id, workspace_id, kind, name, autopilot_agent_id, created_at, reply_mode";

/// A channel row.
pub fn channel(row: &PgRow) -> R<Channel> {
    Ok(Channel {
        id: id(row, 0)?,
        workspace_id: id(row, 1)?,
        kind: p(row, 2)?,
        name: get(row, 3)?,
        autopilot_agent_id: ido(row, 4)?,
        created_at: get(row, 5)?,
        reply_mode: p(row, 6)?,
    })
}

/// Columns of `contacts` in [`contact`] order.
pub const CONTACT_COLS: &str =
    "id, workspace_id, name, email, phone, external_id, tags, attributes, created_at, updated_at";

/// A contact row.
pub fn contact(row: &PgRow) -> R<Contact> {
    Ok(Contact {
        id: id(row, 0)?,
        workspace_id: id(row, 1)?,
        name: get(row, 2)?,
        email: email_o(row, 3)?,
        phone: get(row, 4)?,
        external_id: get(row, 5)?,
        tags: j(row, 6)?,
        attributes: j(row, 7)?,
        created_at: get(row, 8)?,
        updated_at: get(row, 9)?,
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
pub fn conversation(row: &PgRow) -> R<Conversation> {
    let session_id: Option<SessionId> = ido(row, 10)?;
    let agent_session = match session_id {
        Some(id_) => Some(AgentSession {
            id: id_,
            agent_id: id(row, 11)?,
            started_at: get(row, 12)?,
        }),
        None => None,
    };
    Ok(Conversation {
        id: id(row, 0)?,
        workspace_id: id(row, 1)?,
        channel_id: id(row, 2)?,
        contact_id: id(row, 3)?,
        status: p(row, 4)?,
        snoozed_until: get(row, 5)?,
        priority: p(row, 6)?,
        tags: j(row, 7)?,
        assignee_id: ido(row, 8)?,
        agent_id: ido(row, 9)?,
        agent_session,
        team_id: ido(row, 13)?,
        ai_handoff_at: get(row, 14)?,
        created_at: get(row, 15)?,
        updated_at: get(row, 16)?,
        last_activity_at: get(row, 17)?,
        last_incoming_at: get(row, 18)?,
        last_message_preview: get(row, 19)?,
        version: get(row, 20)?,
    })
}

/// The joins of a conversation view; `$1` is the viewer (NULL for nobody).
pub const VIEW_FROM: &str = "FROM conversations c \
     JOIN contacts ct ON ct.id = c.contact_id \
     JOIN channels ch ON ch.id = c.channel_id \
     LEFT JOIN users u ON u.id = c.assignee_id \
     LEFT JOIN agents a ON a.id = c.agent_id \
     LEFT JOIN teams tm ON tm.id = c.team_id \
     LEFT JOIN read_states r ON r.conversation_id = c.id AND r.user_id = $1";

/// Extra columns of a view after [`CONV_COLS`].
pub const VIEW_COLS: &str = "ct.name, ct.email, ct.phone, ct.external_id, u.name, u.email, u.handle, \
     a.name, tm.name, ch.name, r.read_at, r.marked_unread";

/// A conversation view row (`CONV_COLS, VIEW_COLS`).
pub fn view(row: &PgRow) -> R<ConversationView> {
    let c = conversation(row)?;
    let b = CONV_NCOLS;
    let read = ReadState {
        read_at: get(row, b + 10)?,
        marked_unread: get::<Option<bool>>(row, b + 11)?.unwrap_or(false),
    };
    let assignee = match c.assignee_id {
        Some(id) => Some(UserSummary {
            id,
            name: get(row, b + 4)?,
            email: get(row, b + 5)?,
            handle: get(row, b + 6)?,
        }),
        None => None,
    };
    let agent = match c.agent_id {
        Some(id) => Some(NamedRef {
            id,
            name: get(row, b + 7)?,
        }),
        None => None,
    };
    let team = match c.team_id {
        Some(id) => Some(NamedRef {
            id,
            name: get(row, b + 8)?,
        }),
        None => None,
    };
    Ok(ConversationView {
        unread: read.is_unread(c.last_incoming_at),
        contact: ContactSummary {
            id: c.contact_id,
            name: get(row, b)?,
            email: get(row, b + 1)?,
            phone: get(row, b + 2)?,
            external_id: get(row, b + 3)?,
        },
        assignee,
        agent,
        team,
        channel: NamedRef {
            id: c.channel_id,
            name: get(row, b + 9)?,
        },
        conversation: c,
    })
}

/// Columns of `messages` in [`message`] order.
pub const MESSAGE_COLS: &str =
    "id, conversation_id, kind, body, author, agent_session_id, channel_id, mentions, created_at";

/// A message row.
pub fn message(row: &PgRow) -> R<Message> {
    Ok(Message {
        id: id(row, 0)?,
        conversation_id: id(row, 1)?,
        kind: p(row, 2)?,
        body: get(row, 3)?,
        author: j(row, 4)?,
        agent_session_id: ido(row, 5)?,
        channel_id: id(row, 6)?,
        mentions: j(row, 7)?,
        created_at: get(row, 8)?,
    })
}

/// Columns of `events` in [`event`] order.
pub const EVENT_COLS: &str =
    "seq, workspace_id, kind, conversation_id, actor, at, before, after, reason, data";

/// An event row.
pub fn event(row: &PgRow) -> R<Event> {
    let kind: &str = get(row, 2)?;
    let kind = EventKind::parse(kind).ok_or_else(|| corrupt(format!("event kind {kind:?}")))?;
    Ok(Event {
        seq: get(row, 0)?,
        workspace_id: id(row, 1)?,
        event: NewEvent {
            kind,
            conversation_id: ido(row, 3)?,
            actor: j(row, 4)?,
            at: get(row, 5)?,
            before: j(row, 6)?,
            after: j(row, 7)?,
            reason: get(row, 8)?,
            data: {
                let mut data = j(row, 9)?;
                baton_core::routing::explain::expand_event_data(&mut data);
                data
            },
        },
    })
}

/// Decode every row with `f`.
pub fn all<T>(rows: Vec<PgRow>, f: impl Fn(&PgRow) -> R<T>) -> R<Vec<T>> {
    rows.iter().map(f).collect()
}

//! What a write job has read or written while it holds its workspace's event
//! counter. Every job that changes a workspace's rows takes that counter
//! before it commits (see `tx.rs` on lock order), so while a job holds it
//! nobody else can commit a change there: these copies stay exact until the
//! job commits, and are served instead of reading the rows again. Only rows
//! read or written under the counter go in, with one exception that is exact
//! anyway: rows this job wrote itself (it holds their row locks).

use crate::rows::{db_err, get};
use baton_core::directory::*;
use baton_core::time::normalize;
use baton_core::*;
use baton_store::{ContactSummary, ConversationView, NamedRef, StoreResult, UserSummary};
use sqlx::PgConnection;
use std::collections::HashMap;

type R<T> = StoreResult<T>;

/// The parts of a conversation view that are not the conversation or a name
/// of one of its references.
#[derive(Clone)]
struct ViewBase {
    contact: ContactSummary,
    channel: NamedRef<ChannelId>,
    read: ReadState,
}

/// Rows held by the job (see the module docs).
#[derive(Default)]
pub struct Held {
    /// Conversations the job has locked or created, as last written.
    pub convs: HashMap<ConversationId, Conversation>,
    /// Of those, the ones written here but not yet to the database, in order.
    pub dirty: Vec<ConversationId>,
    /// Users read or written.
    pub users: HashMap<UserId, User>,
    /// Teams read, with their members.
    pub teams: HashMap<TeamId, Team>,
    /// Agents read or written.
    pub agents: HashMap<AgentId, Agent>,
    /// Contacts read or written.
    pub contacts: HashMap<ContactId, Contact>,
    /// Channels read or created.
    pub channels: HashMap<ChannelId, Channel>,
    /// Read states read or written, by conversation and user.
    pub read_states: HashMap<(ConversationId, UserId), ReadState>,
    user_names: HashMap<UserId, UserSummary>,
    team_names: HashMap<TeamId, String>,
    agent_names: HashMap<AgentId, String>,
    bases: HashMap<(ConversationId, Option<UserId>), ViewBase>,
}

impl Held {
    /// Hold a conversation as stored (timestamps in microseconds).
    pub fn conv(&mut self, c: &Conversation) {
        let mut c = c.clone();
        for t in [&mut c.created_at, &mut c.updated_at, &mut c.last_activity_at] {
            *t = normalize(*t);
        }
        for t in [
            &mut c.snoozed_until,
            &mut c.ai_handoff_at,
            &mut c.last_incoming_at,
        ] {
            *t = t.map(normalize);
        }
        if let Some(s) = &mut c.agent_session {
            s.started_at = normalize(s.started_at);
        }
        self.convs.insert(c.id, c);
    }

    /// Hold a user.
    pub fn user(&mut self, u: &User) {
        self.user_names.insert(u.id, u.into());
        self.users.insert(u.id, u.clone());
    }

    /// Hold a team.
    pub fn team(&mut self, t: &Team) {
        self.team_names.insert(t.id, t.name.clone());
        self.teams.insert(t.id, t.clone());
    }

    /// Hold an agent.
    pub fn agent(&mut self, a: &Agent) {
        self.agent_names.insert(a.id, a.name.clone());
        self.agents.insert(a.id, a.clone());
    }

    /// Forget an agent.
    pub fn forget_agent(&mut self, id: AgentId) {
        self.agents.remove(&id);
        self.agent_names.remove(&id);
    }

    /// Hold a contact (views showing it change with it).
    pub fn contact(&mut self, c: &Contact) {
        self.bases.retain(|_, b| b.contact.id != c.id);
        self.contacts.insert(c.id, c.clone());
    }

    /// Hold a user's read state of a conversation.
    pub fn read_state(&mut self, conv: ConversationId, user: UserId, state: ReadState) {
        self.bases.remove(&(conv, Some(user)));
        self.read_states.insert((conv, user), state);
    }

    /// What a view shows besides the conversation and its references' names.
    fn base(&self, viewer: Option<UserId>, c: &Conversation) -> Option<ViewBase> {
        if let Some(b) = self
            .bases
            .get(&(c.id, viewer))
            .filter(|b| b.contact.id == c.contact_id && b.channel.id == c.channel_id)
        {
            return Some(b.clone());
        }
        let contact = self.contacts.get(&c.contact_id)?;
        let channel = self.channels.get(&c.channel_id)?;
        let read = match viewer {
            // Nobody's read state: what the view query's outer join gives.
            None => ReadState::default(),
            Some(u) => *self.read_states.get(&(c.id, u))?,
        };
        Some(ViewBase {
            contact: contact.into(),
            channel: NamedRef {
                id: channel.id,
                name: channel.name.clone(),
            },
            read,
        })
    }

    /// The view of a held conversation, if everything it shows is held.
    pub fn view(&self, viewer: Option<UserId>, c: &Conversation) -> Option<ConversationView> {
        let base = self.base(viewer, c)?;
        let assignee = match c.assignee_id {
            Some(u) => Some(self.user_names.get(&u)?.clone()),
            None => None,
        };
        let agent = match c.agent_id {
            Some(id) => Some(NamedRef {
                id,
                name: self.agent_names.get(&id)?.clone(),
            }),
            None => None,
        };
        let team = match c.team_id {
            Some(id) => Some(NamedRef {
                id,
                name: self.team_names.get(&id)?.clone(),
            }),
            None => None,
        };
        Some(ConversationView {
            unread: base.read.is_unread(c.last_incoming_at),
            contact: base.contact,
            assignee,
            agent,
            team,
            channel: base.channel,
            conversation: c.clone(),
        })
    }

    /// Read what a held conversation's view shows besides the conversation
    /// (one query, the conversation's own row not needed: it may not be
    /// written yet), remember it, and return the view. `None` if the contact
    /// or channel is missing.
    pub async fn load_view(
        &mut self,
        conn: &mut PgConnection,
        viewer: Option<UserId>,
        c: &Conversation,
    ) -> R<Option<ConversationView>> {
        let row = sqlx::query(
            "SELECT ct.name, ct.email, ct.phone, ct.external_id, u.name, u.email, u.handle, a.name, tm.name, \
             ch.name, r.read_at, r.marked_unread \
             FROM contacts ct \
             JOIN channels ch ON ch.id = $2 \
             LEFT JOIN users u ON u.id = $3 \
             LEFT JOIN agents a ON a.id = $4 \
             LEFT JOIN teams tm ON tm.id = $5 \
             LEFT JOIN read_states r ON r.conversation_id = $6 AND r.user_id = $7 \
             WHERE ct.id = $1",
        )
        .bind(c.contact_id.0)
        .bind(c.channel_id.0)
        .bind(c.assignee_id.map(|x| x.0))
        .bind(c.agent_id.map(|x| x.0))
        .bind(c.team_id.map(|x| x.0))
        .bind(c.id.0)
        .bind(viewer.map(|v| v.0))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let base = ViewBase {
            contact: ContactSummary {
                id: c.contact_id,
                name: get(&row, 0)?,
                email: get(&row, 1)?,
                phone: get(&row, 2)?,
                external_id: get(&row, 3)?,
            },
            channel: NamedRef {
                id: c.channel_id,
                name: get(&row, 9)?,
            },
            read: ReadState {
                read_at: get(&row, 10)?,
                marked_unread: get::<Option<bool>>(&row, 11)?.unwrap_or(false),
            },
        };
        if let Some(id) = c.assignee_id {
            self.user_names.insert(
                id,
                UserSummary {
                    id,
                    name: get(&row, 4)?,
                    email: get(&row, 5)?,
                    handle: get(&row, 6)?,
                },
            );
        }
        if let Some(id) = c.agent_id {
            self.agent_names.insert(id, get(&row, 7)?);
        }
        if let Some(id) = c.team_id {
            self.team_names.insert(id, get(&row, 8)?);
        }
        self.bases.insert((c.id, viewer), base);
        Ok(self.view(viewer, c))
    }
}

//! `WriteTx` on a PostgreSQL connection inside a READ COMMITTED transaction.
//!
//! # Lock order
//!
//! Locks are always taken in this order, so two write transactions can
//! wait on each other but never deadlock:
//!
//! 1. names about to be claimed: contact handles (`contacts_by_handles` takes
//!    a transaction-scoped advisory lock per email, phone and external id, in
//!    key order) and workspace names (`workspace_by_name`); every use case
//!    looks these up before it writes anything, and the lookup then sees
//!    whatever a concurrent claimant committed;
//! 2. the contact (`update_contact`, `conversation_for_inbound`);
//! 3. its conversations (`update_contact` locks all of the contact's, in id
//!    order; `conversation_for_update` / `conversation_for_inbound` lock one);
//! 4. the workspace's event counter (`append_events`), held until commit.
//!
//! A use case that broke this order (say, a lookup of contact handles after
//! appending events) would not corrupt anything: PostgreSQL detects the
//! deadlock and aborts one transaction, which surfaces as a database error.
//!
//! The counter comes last because holding it serialises every writer of the
//! workspace: taking it early would make the whole transaction single-file,
//! and taking a row lock after it could deadlock with a command that holds
//! that row and waits for the counter. Inbound messages append a contact's
//! change *before* they look up the conversation, which is why changing a
//! contact first locks the contact's conversations: by the time the counter is
//! taken, every conversation the job may touch is already held.
//!
//! Other writes lock only rows nobody else locks first (new rows, users,
//! agents, team members), and foreign-key checks take KEY SHARE locks, which
//! do not conflict with the `FOR NO KEY UPDATE` locks used here.
//!
//! Because the counter row stays locked from the first `append_events` to
//! commit, a workspace's events commit in seq order: a reader that has seen
//! seq N will never later find a seq below N appear.

use crate::reads;
use crate::rows::{self, db_err, get, json};
use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// One job's view of the open write transaction.
pub struct PgTx<'c> {
    /// The transaction's connection.
    pub conn: &'c mut PgConnection,
    /// The clock reading for this job.
    pub now: Timestamp,
    /// Events appended by this job: (workspace, last seq).
    pub appended: Vec<(WorkspaceId, i64)>,
}

type R<T> = StoreResult<T>;

impl PgTx<'_> {
    async fn exec(
        &mut self,
        q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> R<u64> {
        q.execute(&mut *self.conn)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err)
    }

    async fn exists(
        &mut self,
        q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> R<bool> {
        q.fetch_optional(&mut *self.conn)
            .await
            .map(|r| r.is_some())
            .map_err(db_err)
    }
}

#[async_trait]
impl WriteTx for PgTx<'_> {
    fn now(&self) -> Timestamp {
        self.now
    }

    async fn workspace_by_name(&mut self, name: &str) -> R<Option<Workspace>> {
        // `ensure_workspace` looks up, then creates: lock the name first so a
        // second node doing the same waits and finds it instead of failing.
        let q =
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock_key(&[b"workspace", name.as_bytes()]));
        self.exec(q).await?;
        let row = sqlx::query("SELECT id, name, created_at FROM workspaces WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *self.conn)
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

    async fn insert_workspace(&mut self, ws: &Workspace) -> R<()> {
        let q =
            sqlx::query("INSERT INTO workspaces (id, name, event_seq, created_at) VALUES ($1, $2, 0, $3)")
                .bind(ws.id.0)
                .bind(&ws.name)
                .bind(ws.created_at);
        self.exec(q).await.map(drop)
    }

    async fn user(&mut self, ws: WorkspaceId, id: UserId) -> R<Option<User>> {
        reads::user(self.conn, ws, id).await
    }

    async fn email_taken(&mut self, email: &Email) -> R<bool> {
        let q = sqlx::query("SELECT 1 FROM users WHERE email = $1").bind(email.as_str());
        self.exists(q).await
    }

    async fn handle_taken(&mut self, ws: WorkspaceId, handle: &str) -> R<bool> {
        let q = sqlx::query("SELECT 1 FROM users WHERE workspace_id = $1 AND handle = $2")
            .bind(ws.0)
            .bind(handle);
        self.exists(q).await
    }

    async fn insert_user(&mut self, u: &User, password_hash: Option<&str>) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO users (id, workspace_id, email, name, handle, role, active, availability, max_open, \
             password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(u.id.0)
        .bind(u.workspace_id.0)
        .bind(u.email.as_str())
        .bind(&u.name)
        .bind(&u.handle)
        .bind(u.role.as_str())
        .bind(u.active)
        .bind(u.availability.as_str())
        .bind(u.max_open.map(i64::from))
        .bind(password_hash)
        .bind(u.created_at)
        .bind(u.updated_at);
        self.exec(q).await.map(drop)
    }

    async fn update_user(&mut self, u: &User) -> R<()> {
        let q = sqlx::query(
            "UPDATE users SET name = $2, role = $3, active = $4, availability = $5, max_open = $6, \
             updated_at = $7 WHERE id = $1",
        )
        .bind(u.id.0)
        .bind(&u.name)
        .bind(u.role.as_str())
        .bind(u.active)
        .bind(u.availability.as_str())
        .bind(u.max_open.map(i64::from))
        .bind(u.updated_at);
        self.exec(q).await.map(drop)
    }

    async fn active_owner_count(&mut self, ws: WorkspaceId) -> R<usize> {
        let row =
            sqlx::query("SELECT count(*) FROM users WHERE workspace_id = $1 AND role = 'owner' AND active")
                .bind(ws.0)
                .fetch_one(&mut *self.conn)
                .await
                .map_err(db_err)?;
        Ok(get::<i64>(&row, 0)? as usize)
    }

    async fn active_users_by_handles(&mut self, ws: WorkspaceId, handles: &[String]) -> R<Vec<UserId>> {
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let found = sqlx::query(
            "SELECT handle, id FROM users WHERE workspace_id = $1 AND handle = ANY($2) AND active",
        )
        .bind(ws.0)
        .bind(handles)
        .fetch_all(&mut *self.conn)
        .await
        .map_err(db_err)?;
        let mut by_handle = HashMap::with_capacity(found.len());
        for r in &found {
            by_handle.insert(get::<String>(r, 0)?, rows::id::<UserId>(r, 1)?);
        }
        // In the order asked, like one lookup per handle.
        Ok(handles.iter().filter_map(|h| by_handle.get(h).copied()).collect())
    }

    async fn insert_token(
        &mut self,
        id: TokenId,
        user: UserId,
        hash: &str,
        name: &str,
        at: Timestamp,
    ) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(hash)
        .bind(name)
        .bind(at);
        self.exec(q).await.map(drop)
    }

    async fn team(&mut self, ws: WorkspaceId, id: TeamId) -> R<Option<Team>> {
        reads::team(self.conn, ws, id).await
    }

    async fn team_name_taken(&mut self, ws: WorkspaceId, name: &str) -> R<bool> {
        let q = sqlx::query("SELECT 1 FROM teams WHERE workspace_id = $1 AND name_key = $2")
            .bind(ws.0)
            .bind(name.to_lowercase());
        self.exists(q).await
    }

    async fn insert_team(&mut self, t: &Team) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO teams (id, workspace_id, name, name_key, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(t.id.0)
        .bind(t.workspace_id.0)
        .bind(&t.name)
        .bind(t.name.to_lowercase())
        .bind(t.created_at);
        self.exec(q).await.map(drop)
    }

    async fn insert_team_member(&mut self, team: TeamId, user: UserId, at: Timestamp) -> R<bool> {
        let q = sqlx::query(
            "INSERT INTO team_members (team_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(team.0)
        .bind(user.0)
        .bind(at);
        self.exec(q).await.map(|n| n == 1)
    }

    async fn delete_team_member(&mut self, team: TeamId, user: UserId) -> R<bool> {
        let q = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team.0)
            .bind(user.0);
        self.exec(q).await.map(|n| n == 1)
    }

    async fn agent(&mut self, ws: WorkspaceId, id: AgentId) -> R<Option<Agent>> {
        reads::agent(self.conn, ws, id).await
    }

    async fn insert_agent(&mut self, a: &Agent) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO agents (id, workspace_id, name, runtime, settings, handoff_team_id, handoff_mode, active, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(a.id.0)
        .bind(a.workspace_id.0)
        .bind(&a.name)
        .bind(a.runtime.as_str())
        .bind(json(&a.settings))
        .bind(a.handoff_team_id.map(|t| t.0))
        .bind(a.handoff_mode.as_str())
        .bind(a.active)
        .bind(a.created_at)
        .bind(a.updated_at);
        self.exec(q).await.map(drop)
    }

    async fn update_agent(&mut self, a: &Agent) -> R<()> {
        let q = sqlx::query(
            "UPDATE agents SET name = $2, runtime = $3, settings = $4, handoff_team_id = $5, handoff_mode = $6, \
             active = $7, updated_at = $8 WHERE id = $1",
        )
        .bind(a.id.0)
        .bind(&a.name)
        .bind(a.runtime.as_str())
        .bind(json(&a.settings))
        .bind(a.handoff_team_id.map(|t| t.0))
        .bind(a.handoff_mode.as_str())
        .bind(a.active)
        .bind(a.updated_at);
        self.exec(q).await.map(drop)
    }

    async fn channel(&mut self, ws: WorkspaceId, id: ChannelId) -> R<Option<Channel>> {
        reads::channel(self.conn, ws, id).await
    }

    async fn insert_channel(&mut self, c: &Channel) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO channels (id, workspace_id, kind, name, autopilot_agent_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id.0)
        .bind(c.workspace_id.0)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(c.autopilot_agent_id.map(|a| a.0))
        .bind(c.created_at);
        self.exec(q).await.map(drop)
    }

    async fn contact(&mut self, ws: WorkspaceId, id: ContactId) -> R<Option<Contact>> {
        reads::contact(self.conn, ws, id).await
    }

    async fn contacts_by_handles(&mut self, ws: WorkspaceId, input: &ContactInput) -> R<Vec<Contact>> {
        let sql = format!(
            "SELECT {} FROM contacts WHERE workspace_id = $1 AND \
             (external_id = $2 OR email = $3 OR phone = $4) ORDER BY created_at, id",
            rows::CONTACT_COLS
        );
        let phone = input.phone.as_deref().and_then(|p| parse_phone(p).ok());
        // Lock the handles themselves first (see the module docs): two
        // messages from one brand-new contact then take turns, and the second
        // finds the contact the first created instead of failing on the
        // unique index. The lookup runs after the wait, in a new statement,
        // so it sees what the first committed.
        let email = input.email.as_ref().map(|e| e.as_str());
        let handles = [
            ("external_id", input.external_id.as_deref()),
            ("email", email),
            ("phone", phone.as_deref()),
        ];
        let mut keys: Vec<i64> = handles
            .iter()
            .filter_map(|(kind, v)| {
                v.map(|v| lock_key(&[b"contact", ws.0.as_bytes(), kind.as_bytes(), v.as_bytes()]))
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            // unnest yields the keys in array order, so they lock in sorted order.
            let q = sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k").bind(&keys);
            self.exec(q).await?;
        }
        let found = sqlx::query(&sql)
            .bind(ws.0)
            .bind(input.external_id.as_deref())
            .bind(input.email.as_ref().map(|e| e.as_str()))
            .bind(phone)
            .fetch_all(&mut *self.conn)
            .await
            .map_err(db_err)?;
        rows::all(found, rows::contact)
    }

    async fn insert_contact(&mut self, c: &Contact) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO contacts (id, workspace_id, name, email, phone, external_id, tags, attributes, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.id.0)
        .bind(c.workspace_id.0)
        .bind(c.name.as_deref())
        .bind(c.email.as_ref().map(|e| e.as_str()))
        .bind(c.phone.as_deref())
        .bind(c.external_id.as_deref())
        .bind(json(&c.tags))
        .bind(json(&c.attributes))
        .bind(c.created_at)
        .bind(c.updated_at);
        self.exec(q).await.map(drop)
    }

    async fn update_contact(&mut self, c: &Contact) -> R<()> {
        // Lock order (see the module docs): the contact, then its
        // conversations, before anything appends to the workspace's log.
        let q = sqlx::query(
            "UPDATE contacts SET name = $2, email = $3, phone = $4, external_id = $5, tags = $6, attributes = $7, \
             updated_at = $8 WHERE id = $1",
        )
        .bind(c.id.0)
        .bind(c.name.as_deref())
        .bind(c.email.as_ref().map(|e| e.as_str()))
        .bind(c.phone.as_deref())
        .bind(c.external_id.as_deref())
        .bind(json(&c.tags))
        .bind(json(&c.attributes))
        .bind(c.updated_at);
        self.exec(q).await?;
        let q =
            sqlx::query("SELECT id FROM conversations WHERE contact_id = $1 ORDER BY id FOR NO KEY UPDATE")
                .bind(c.id.0);
        self.exec(q).await.map(drop)
    }

    async fn conversation_for_update(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> R<Option<Conversation>> {
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2 FOR NO KEY UPDATE",
            rows::CONV_COLS
        );
        sqlx::query(&sql)
            .bind(id.0)
            .bind(ws.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::conversation)
            .transpose()
    }

    async fn conversation_for_inbound(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactId,
    ) -> R<Option<Conversation>> {
        // Lock the contact first: two messages from one contact then take
        // turns, and the second (in a new statement, so a new snapshot) sees
        // the conversation the first created instead of creating another.
        let q = sqlx::query("SELECT 1 FROM contacts WHERE id = $1 AND workspace_id = $2 FOR NO KEY UPDATE")
            .bind(contact.0)
            .bind(ws.0);
        self.exec(q).await?;
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.contact_id = $1 AND c.channel_id = $2 AND c.workspace_id = $3 \
             ORDER BY (c.status = 'closed'), c.last_activity_at DESC, c.id DESC LIMIT 1 FOR NO KEY UPDATE",
            rows::CONV_COLS
        );
        sqlx::query(&sql)
            .bind(contact.0)
            .bind(channel.0)
            .bind(ws.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::conversation)
            .transpose()
    }

    async fn insert_conversation(&mut self, c: &Conversation) -> R<()> {
        let q = bind_conv(
            sqlx::query(
                "INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, snoozed_until, \
                 priority, tags, assignee_id, agent_id, session_id, session_agent_id, session_started_at, team_id, \
                 ai_handoff_at, created_at, updated_at, last_activity_at, last_incoming_at, preview, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
                 $20, $21)",
            ),
            c,
        );
        self.exec(q).await.map(drop)
    }

    async fn update_conversation(&mut self, c: &Conversation) -> R<()> {
        let q = bind_conv(
            sqlx::query(
                "UPDATE conversations SET workspace_id = $2, channel_id = $3, contact_id = $4, status = $5, \
                 snoozed_until = $6, priority = $7, tags = $8, assignee_id = $9, agent_id = $10, session_id = $11, \
                 session_agent_id = $12, session_started_at = $13, team_id = $14, ai_handoff_at = $15, \
                 created_at = $16, updated_at = $17, last_activity_at = $18, last_incoming_at = $19, preview = $20, \
                 version = $21 WHERE id = $1",
            ),
            c,
        );
        self.exec(q).await.map(drop)
    }

    async fn read_state(&mut self, user: UserId, conv: ConversationId) -> R<ReadState> {
        let row = sqlx::query(
            "SELECT read_at, marked_unread FROM read_states WHERE user_id = $1 AND conversation_id = $2",
        )
        .bind(user.0)
        .bind(conv.0)
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(db_err)?;
        match row {
            Some(r) => Ok(ReadState {
                read_at: get(&r, 0)?,
                marked_unread: get(&r, 1)?,
            }),
            None => Ok(ReadState::default()),
        }
    }

    async fn apply_effect(&mut self, ws: WorkspaceId, conv: ConversationId, effect: &Effect) -> R<()> {
        match effect {
            Effect::InsertMessage(m) => {
                let q = sqlx::query(
                    "INSERT INTO messages (id, workspace_id, conversation_id, kind, body, author, agent_session_id, \
                     channel_id, mentions, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(m.id.0)
                .bind(ws.0)
                .bind(m.conversation_id.0)
                .bind(m.kind.as_str())
                .bind(&m.body)
                .bind(json(&m.author))
                .bind(m.agent_session_id.map(|s| s.0))
                .bind(m.channel_id.0)
                .bind(json(&m.mentions))
                .bind(m.created_at);
                self.exec(q).await.map(drop)
            }
            Effect::StartSession { session, .. } => {
                let q = sqlx::query(
                    "INSERT INTO agent_sessions (id, conversation_id, agent_id, started_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(session.id.0)
                .bind(conv.0)
                .bind(session.agent_id.0)
                .bind(session.started_at);
                self.exec(q).await.map(drop)
            }
            Effect::EndSession { id, at, reason } => {
                let q = sqlx::query(
                    "UPDATE agent_sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL",
                )
                .bind(id.0)
                .bind(*at)
                .bind(reason.as_str());
                if self.exec(q).await? == 1 {
                    Ok(())
                } else {
                    Err(StoreError::conflict(
                        "agent_session_already_ended",
                        "the agent session has already ended",
                    ))
                }
            }
            Effect::SetReadState { user_id, state } => {
                let q = sqlx::query(
                    "INSERT INTO read_states (user_id, conversation_id, read_at, marked_unread) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id, conversation_id) DO UPDATE SET read_at = excluded.read_at, \
                     marked_unread = excluded.marked_unread",
                )
                .bind(user_id.0)
                .bind(conv.0)
                .bind(state.read_at)
                .bind(state.marked_unread);
                self.exec(q).await.map(drop)
            }
            Effect::InsertMention { user_id, message_id } => {
                let q = sqlx::query(
                    "INSERT INTO mentions (user_id, conversation_id, message_id, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(user_id.0)
                .bind(conv.0)
                .bind(message_id.0)
                .bind(self.now);
                self.exec(q).await.map(drop)
            }
        }
    }

    async fn append_events(&mut self, ws: WorkspaceId, events: &[NewEvent]) -> R<Vec<Event>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let n = events.len() as i64;
        // One round trip: bump the counter (locking the workspace row until
        // commit, see the module docs) and insert the events numbered below it.
        let mut kinds = Vec::with_capacity(events.len());
        let mut convs: Vec<Option<Uuid>> = Vec::with_capacity(events.len());
        let mut actors = Vec::with_capacity(events.len());
        let mut ats = Vec::with_capacity(events.len());
        let mut befores = Vec::with_capacity(events.len());
        let mut afters = Vec::with_capacity(events.len());
        let mut reasons: Vec<Option<&str>> = Vec::with_capacity(events.len());
        let mut datas = Vec::with_capacity(events.len());
        for e in events {
            kinds.push(e.kind.as_str());
            convs.push(e.conversation_id.map(|c| c.0));
            actors.push(to_json(&e.actor)?);
            ats.push(e.at);
            befores.push(e.before.clone());
            afters.push(e.after.clone());
            reasons.push(e.reason.as_deref());
            datas.push(e.data.clone());
        }
        let row = sqlx::query(
            "WITH counter AS ( \
               UPDATE workspaces SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq \
             ), ins AS ( \
               INSERT INTO events (workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, data) \
               SELECT $1, counter.event_seq - $2 + e.ord, e.kind, e.conv, e.actor, e.at, e.before, e.after, \
                      e.reason, e.data \
               FROM counter, UNNEST($3::text[], $4::uuid[], $5::jsonb[], $6::timestamptz[], $7::jsonb[], \
                                    $8::jsonb[], $9::text[], $10::jsonb[]) \
                    WITH ORDINALITY AS e(kind, conv, actor, at, before, after, reason, data, ord) \
               RETURNING 1 \
             ) \
             SELECT (SELECT event_seq FROM counter), (SELECT count(*) FROM ins)",
        )
        .bind(ws.0)
        .bind(n)
        .bind(&kinds)
        .bind(&convs)
        .bind(&actors)
        .bind(&ats)
        .bind(&befores)
        .bind(&afters)
        .bind(&reasons)
        .bind(&datas)
        .fetch_one(&mut *self.conn)
        .await
        .map_err(db_err)?;
        let last: Option<i64> = get(&row, 0)?;
        let inserted: i64 = get(&row, 1)?;
        let Some(last) = last.filter(|_| inserted == n) else {
            return Err(StoreError::Database(format!(
                "no workspace {ws} to append events to"
            )));
        };
        let first = last - n + 1;
        self.appended.push((ws, last));
        Ok(events
            .iter()
            .enumerate()
            .map(|(i, e)| Event {
                seq: first + i as i64,
                workspace_id: ws,
                event: e.clone(),
            })
            .collect())
    }

    async fn conversation_view(
        &mut self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> R<Option<ConversationView>> {
        reads::conversation_view(self.conn, ws, viewer, id).await
    }
}

/// An advisory lock key: FNV-1a over the parts, each followed by a zero
/// byte. A collision only makes two unrelated writers take turns.
fn lock_key(parts: &[&[u8]]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.iter().chain(&[0])) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

fn to_json<T: serde::Serialize>(v: &T) -> R<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| StoreError::Database(format!("cannot encode JSON: {e}")))
}

fn bind_conv<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    c: &'q Conversation,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let session = c.agent_session.as_ref();
    q.bind(c.id.0)
        .bind(c.workspace_id.0)
        .bind(c.channel_id.0)
        .bind(c.contact_id.0)
        .bind(c.status.as_str())
        .bind(c.snoozed_until)
        .bind(c.priority.as_str())
        .bind(json(&c.tags))
        .bind(c.assignee_id.map(|x| x.0))
        .bind(c.agent_id.map(|x| x.0))
        .bind(session.map(|s| s.id.0))
        .bind(session.map(|s| s.agent_id.0))
        .bind(session.map(|s| s.started_at))
        .bind(c.team_id.map(|x| x.0))
        .bind(c.ai_handoff_at)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.last_activity_at)
        .bind(c.last_incoming_at)
        .bind(c.last_message_preview.as_deref())
        .bind(c.version)
}

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
//! 2. the contact (`update_contact`);
//! 3. the workspace's event counter row (`append_events`), held until commit;
//! 4. conversations (`conversation_for_update`, `conversation_for_inbound`);
//! 5. team rows: round-robin pointers and settings (`team_candidates`, then
//!    `set_round_robin_pointer`; `set_team_settings`);
//! 6. users, i.e. their open-conversation load (`adjust_user_load`,
//!    `update_user`);
//! 7. queue entries (`enqueue`, `dequeue`), each under its conversation's lock.
//!
//! Steps 4 to 6 do not wait for an append: every method that locks a
//! conversation, a team or a user row — and `routing_rules`, so rule edits
//! renumber the list they read under the same lock — first takes the counter
//! itself ([`PgTx::lock_counter`], a no-op once the job holds it). Those rows
//! are therefore only ever locked by the workspace's one counter holder and
//! never contended; the only waits are for names, a contact, and the counter,
//! in that order. Routing needs this: the shared use cases append *before*
//! they lock routing state — an inbound message appends `contact.created`,
//! `conversation.created` and `message.created` before it locks the team and
//! the picked user's load, and a queue drain runs after the command,
//! membership or availability change that triggered it has appended, then
//! locks waiting conversations. With the counter last, an inbound pick
//! (counter, then the user's load) would deadlock with that user closing a
//! conversation (load, then counter), and a drain (counter, then the waiting
//! conversation) with the contact writing into it (conversation, then
//! counter).
//!
//! The price is that a workspace's writers run single file from their first
//! conversation lock rather than from their first append; writers in
//! different workspaces never wait on each other, and the steps before the
//! counter (contact handles, new contacts) still overlap.
//!
//! Holding the counter from the first `append_events` to commit is also what
//! makes a workspace's events commit in seq order: a reader that has seen seq
//! N will never later find a seq below N appear. The team row lock in
//! `team_candidates` (`FOR NO KEY UPDATE`) would keep two nodes off one
//! round-robin pointer on its own; under the counter it never waits.
//!
//! Other writes lock only rows nobody else locks first (new rows, agents, team
//! members, rules under the counter), and foreign-key checks take KEY SHARE
//! locks, which do not conflict with the `FOR NO KEY UPDATE` locks (and
//! non-key updates) used here. A use case that broke the order would not
//! corrupt anything: PostgreSQL detects the deadlock and aborts one
//! transaction, which surfaces as a database error.
//!
//! # Fewer round trips under the counter
//!
//! Every job that changes a workspace's rows takes its counter before it
//! commits, so while a job holds the counter nobody else can commit a change
//! to that workspace. The job therefore:
//!
//! - numbers events itself (the counter was read with the lock) and writes
//!   them at commit;
//! - defers its writes to conversations (reply-timer columns included),
//!   messages, loads and pointers to the same statement at commit
//!   (`behind.rs`), writing them earlier only when a query of its own would
//!   read or refer to them;
//! - serves repeated reads of rows it read or wrote under the counter from
//!   memory (`held.rs`), views included;
//! - reuses the node's copy of the routing rules while
//!   `workspaces.routing_version`, read with the lock, is unchanged.
//!
//! A message from a new contact, routed round robin, then takes seven
//! statements besides BEGIN and COMMIT: four before the counter (channel,
//! handle locks, contact lookup, contact insert) and three under it (the
//! counter, the team's candidates, the write at commit).

use crate::agents as ag;
use crate::behind::{self, Events, Load, Marks, State};
use crate::held::Held;
use crate::notifications as nt;
use crate::reads;
use crate::routing as rt;
use crate::rows::{self, db_err, get, json};
use crate::timers as tm;
use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::routing::pick::Candidate;
use baton_core::routing::{BusinessHours, PickMode, RoutingRule, TeamSettings};
use baton_core::*;
use baton_store::notifications::{Delivery, Notification, Webhook};
use baton_store::*;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The counter row of a workspace this job holds locked.
struct Counter {
    /// The last seq handed out (`None`: no such workspace).
    seq: Option<i64>,
    /// The workspace's business hours as stored (read with the lock).
    hours: Option<serde_json::Value>,
    /// The version of the workspace's rules (read with the lock).
    rules_version: i64,
}

/// The routing rules a node read last, by workspace, with their version
/// (`workspaces.routing_version`): shared by the node's jobs, which reuse
/// them while the version they read under the counter is the same.
pub type RulesCache = std::sync::Mutex<HashMap<WorkspaceId, (i64, Vec<RoutingRule>)>>;

/// One job's view of the open write transaction.
pub struct PgTx<'c> {
    /// The transaction's connection.
    conn: &'c mut PgConnection,
    /// The node's rules cache.
    rules: &'c RulesCache,
    /// Workspaces whose rules this job changed.
    rules_changed: HashSet<WorkspaceId>,
    /// The clock reading for this job.
    now: Timestamp,
    /// Events appended by this job: (workspace, last seq).
    appended: Vec<(WorkspaceId, i64)>,
    /// Workspaces whose counter row this job holds (see the module docs).
    counters: HashMap<WorkspaceId, Counter>,
    /// Events numbered but not yet written: written in one statement by
    /// [`PgTx::finish`], since nobody else can number events meanwhile.
    pending: Vec<(WorkspaceId, i64, NewEvent)>,
    /// Deferred load changes (see `behind.rs`).
    loads: HashMap<UserId, Load>,
    /// Deferred round-robin pointers.
    pointers: HashMap<TeamId, UserId>,
    /// Deferred reply-timer columns of held conversations.
    marks: HashMap<ConversationId, Marks>,
    /// Rows read or written under the counter (see `held.rs`).
    held: Held,
    /// Conversations created by this job, not yet written (state in `held`).
    new_convs: Vec<ConversationId>,
    /// Messages created by this job, not yet written.
    messages: Vec<(WorkspaceId, Message)>,
    /// Conversations created by this job and never queued.
    fresh_convs: HashSet<ConversationId>,
    /// Contacts created by this job.
    new_contacts: HashSet<ContactId>,
    /// Incoming messages this job created, by contact (`None`: lost track).
    incoming: Option<HashMap<ContactId, i64>>,
    /// The delivery media this deployment can send.
    sendable: baton_store::notifications::Sendable,
}

type R<T> = StoreResult<T>;

impl<'c> PgTx<'c> {
    /// A job's view of the transaction open on `conn`.
    pub fn new(
        conn: &'c mut PgConnection,
        now: Timestamp,
        rules: &'c RulesCache,
        sendable: baton_store::notifications::Sendable,
    ) -> Self {
        PgTx {
            conn,
            sendable,
            rules,
            rules_changed: HashSet::new(),
            now,
            appended: Vec::new(),
            counters: HashMap::new(),
            pending: Vec::new(),
            loads: HashMap::new(),
            pointers: HashMap::new(),
            marks: HashMap::new(),
            held: Held::default(),
            new_convs: Vec::new(),
            messages: Vec::new(),
            fresh_convs: HashSet::new(),
            new_contacts: HashSet::new(),
            incoming: Some(HashMap::new()),
        }
    }

    /// Write what the job deferred — its events (moving the counters and
    /// queueing the NOTIFY for other nodes), conversations, loads, pointers —
    /// in one statement per workspace with events; returns the wake-ups to
    /// publish after commit.
    pub async fn finish(&mut self, node: Uuid) -> R<Vec<Wakeup>> {
        let mut wakes: Vec<Wakeup> = Vec::new();
        for (ws, last) in self.appended.drain(..) {
            match wakes.iter_mut().find(|w| w.workspace_id == ws) {
                Some(w) => w.seq = w.seq.max(last),
                // Not checked on this backend: the agents' worker reads.
                None => wakes.push(Wakeup {
                    workspace_id: ws,
                    seq: last,
                    agents: true,
                }),
            }
        }
        let mut state = self.take_state();
        let pending = std::mem::take(&mut self.pending);
        if wakes.is_empty() && !state.is_empty() {
            behind::write(self.conn, &state, None).await?;
        }
        for w in &wakes {
            let events = Events {
                wake: w,
                events: pending
                    .iter()
                    .filter(|(ws, _, _)| *ws == w.workspace_id)
                    .collect(),
                node,
            };
            behind::write(self.conn, &state, Some(events)).await?;
            state = State::default();
        }
        Ok(wakes)
    }

    /// The deferred writes other than events, taken out.
    fn take_state(&mut self) -> State {
        let new_ids = std::mem::take(&mut self.new_convs);
        let new_convs = new_ids
            .iter()
            .filter_map(|id| self.held.convs.get(id).cloned())
            .collect();
        // A new conversation goes in as it is now, changes included.
        let convs = std::mem::take(&mut self.held.dirty)
            .into_iter()
            .filter(|id| !new_ids.contains(id))
            .filter_map(|id| self.held.convs.get(&id).cloned())
            .collect();
        State {
            new_convs,
            messages: std::mem::take(&mut self.messages),
            convs,
            loads: std::mem::take(&mut self.loads),
            pointers: std::mem::take(&mut self.pointers),
            marks: std::mem::take(&mut self.marks),
        }
    }

    /// Write the deferred writes other than events now, before a query that
    /// may read those rows.
    async fn flush(&mut self) -> R<()> {
        let state = self.take_state();
        if state.is_empty() {
            return Ok(());
        }
        behind::write(self.conn, &state, None).await
    }

    /// A candidate as stored, with this job's deferred load changes.
    fn with_load(&self, mut c: Candidate) -> Candidate {
        if let Some(l) = self.loads.get(&c.user_id) {
            c.open_count = l.apply(c.open_count);
            c.last_assigned_at = l.stamp(c.last_assigned_at);
        }
        c
    }

    /// Take the workspace's counter row lock (step 3 of the lock order) unless
    /// this job already holds it, reading the counter and business hours.
    async fn lock_counter(&mut self, ws: WorkspaceId) -> R<()> {
        if self.counters.contains_key(&ws) {
            return Ok(());
        }
        // After a wait, the row read is the one the previous holder committed.
        let row = sqlx::query(
            "SELECT event_seq, business_hours, routing_version FROM workspaces WHERE id = $1 FOR NO KEY UPDATE",
        )
            .bind(ws.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?;
        let counter = match row {
            Some(r) => Counter {
                seq: Some(get(&r, 0)?),
                hours: get(&r, 1)?,
                rules_version: get(&r, 2)?,
            },
            None => Counter {
                seq: None,
                hours: None,
                rules_version: 0,
            },
        };
        self.counters.insert(ws, counter);
        Ok(())
    }

    /// About to change the workspace's rules: take the counter and, once per
    /// job, bump the rules' version so every node reads them afresh.
    async fn rules_changing(&mut self, ws: WorkspaceId) -> R<()> {
        self.lock_counter(ws).await?;
        if self.rules_changed.insert(ws) {
            let q = sqlx::query("UPDATE workspaces SET routing_version = routing_version + 1 WHERE id = $1")
                .bind(ws.0);
            self.exec(q).await?;
        }
        Ok(())
    }

    /// Prepare to defer a timer column of a conversation: true if the job
    /// holds it, which then gets written with its other deferred writes.
    fn mark(&mut self, conv: ConversationId) -> bool {
        if !self.held.convs.contains_key(&conv) {
            return false;
        }
        if !self.new_convs.contains(&conv) && !self.held.dirty.contains(&conv) {
            self.held.dirty.push(conv);
        }
        true
    }

    /// Does this job hold the workspace's counter?
    fn holds(&self, ws: WorkspaceId) -> bool {
        self.counters.contains_key(&ws)
    }

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

    fn sendable(&self) -> baton_store::notifications::Sendable {
        self.sendable
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
        self.exec(q).await?;
        // A new row nobody else sees yet: this job holds its counter.
        self.counters.insert(
            ws.id,
            Counter {
                seq: Some(0),
                hours: None,
                rules_version: 0,
            },
        );
        Ok(())
    }

    async fn user(&mut self, ws: WorkspaceId, id: UserId) -> R<Option<User>> {
        if let Some(u) = self.held.users.get(&id).filter(|u| u.workspace_id == ws) {
            return Ok(Some(u.clone()));
        }
        let found = reads::user(self.conn, ws, id).await?;
        if let Some(u) = found.as_ref().filter(|_| self.holds(ws)) {
            self.held.user(u);
        }
        Ok(found)
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
        self.lock_counter(u.workspace_id).await?;
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
        self.exec(q).await?;
        self.held.user(u);
        Ok(())
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
        if let Some(t) = self.held.teams.get(&id).filter(|t| t.workspace_id == ws) {
            return Ok(Some(t.clone()));
        }
        let found = reads::team(self.conn, ws, id).await?;
        if let Some(t) = found.as_ref().filter(|_| self.holds(ws)) {
            self.held.team(t);
        }
        Ok(found)
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
        self.held.teams.remove(&team);
        self.exec(q).await.map(|n| n == 1)
    }

    async fn delete_team_member(&mut self, team: TeamId, user: UserId) -> R<bool> {
        let q = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team.0)
            .bind(user.0);
        self.held.teams.remove(&team);
        self.exec(q).await.map(|n| n == 1)
    }

    async fn agent(&mut self, ws: WorkspaceId, id: AgentId) -> R<Option<Agent>> {
        if let Some(a) = self.held.agents.get(&id).filter(|a| a.workspace_id == ws) {
            return Ok(Some(a.clone()));
        }
        let found = reads::agent(self.conn, ws, id).await?;
        if let Some(a) = found.as_ref().filter(|_| self.holds(ws)) {
            self.held.agent(a);
        }
        Ok(found)
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
        self.exec(q).await?;
        if self.holds(a.workspace_id) {
            self.held.agent(a);
        } else {
            self.held.forget_agent(a.id);
        }
        Ok(())
    }

    async fn channel(&mut self, ws: WorkspaceId, id: ChannelId) -> R<Option<Channel>> {
        // Channels change (name, autopilot, reply mode) under their
        // workspace's counter, so, like other rows, one is held only while
        // the job holds that counter.
        if let Some(c) = self.held.channels.get(&id).filter(|c| c.workspace_id == ws) {
            return Ok(Some(c.clone()));
        }
        let found = reads::channel(self.conn, ws, id).await?;
        if let Some(c) = &found
            && self.holds(ws)
        {
            self.held.channels.insert(c.id, c.clone());
        }
        Ok(found)
    }

    async fn insert_channel(&mut self, c: &Channel) -> R<()> {
        let q = sqlx::query(
            "INSERT INTO channels (id, workspace_id, kind, name, autopilot_agent_id, created_at, reply_mode) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c.id.0)
        .bind(c.workspace_id.0)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(c.autopilot_agent_id.map(|a| a.0))
        .bind(c.created_at)
        .bind(c.reply_mode.as_str());
        self.exec(q).await?;
        self.held.channels.insert(c.id, c.clone());
        Ok(())
    }

    async fn update_channel(&mut self, c: &Channel) -> R<()> {
        let q = sqlx::query(
            "UPDATE channels SET name = $2, autopilot_agent_id = $3, reply_mode = $4 WHERE id = $1",
        )
        .bind(c.id.0)
        .bind(&c.name)
        .bind(c.autopilot_agent_id.map(|a| a.0))
        .bind(c.reply_mode.as_str());
        self.exec(q).await?;
        if self.holds(c.workspace_id) {
            self.held.channels.insert(c.id, c.clone());
        } else {
            self.held.channels.remove(&c.id);
        }
        Ok(())
    }

    async fn contact(&mut self, ws: WorkspaceId, id: ContactId) -> R<Option<Contact>> {
        if let Some(c) = self.held.contacts.get(&id).filter(|c| c.workspace_id == ws) {
            return Ok(Some(c.clone()));
        }
        let found = reads::contact(self.conn, ws, id).await?;
        if let Some(c) = found.as_ref().filter(|_| self.holds(ws)) {
            self.held.contact(c);
        }
        Ok(found)
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
        // Planned afresh each time (not a cached generic plan): with the
        // absent handles' NULLs folded away it is one unique-index lookup per
        // handle, while a generic plan made when the table was small can keep
        // scanning every contact of the workspace as the table grows.
        let found = sqlx::query(&sql)
            .persistent(false)
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
        self.exec(q).await?;
        self.new_contacts.insert(c.id);
        self.held.contact(c);
        Ok(())
    }

    async fn update_contact(&mut self, c: &Contact) -> R<()> {
        // Step 2 of the lock order; the append that follows takes the counter.
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
        // Locked by the update until commit: exact from here on.
        self.held.contact(c);
        Ok(())
    }

    async fn conversation_for_update(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> R<Option<Conversation>> {
        self.lock_counter(ws).await?;
        if let Some(c) = self.held.convs.get(&id).filter(|c| c.workspace_id == ws) {
            return Ok(Some(c.clone()));
        }
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2 FOR NO KEY UPDATE",
            rows::CONV_COLS
        );
        let found = sqlx::query(&sql)
            .bind(id.0)
            .bind(ws.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::conversation)
            .transpose()?;
        if let Some(c) = &found {
            self.held.conv(c);
        }
        Ok(found)
    }

    async fn conversation_for_inbound(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactId,
    ) -> R<Option<Conversation>> {
        // Under the counter, taken in an earlier statement: two messages from
        // one contact take turns, and the second (in a new statement, so a
        // new snapshot) sees the conversation the first created instead of
        // creating another. Conversations are only created under it.
        self.lock_counter(ws).await?;
        if self.new_contacts.contains(&contact) && !self.held.convs.values().any(|c| c.contact_id == contact)
        {
            // Created by this job, which has not given it a conversation.
            return Ok(None);
        }
        self.flush().await?;
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.contact_id = $1 AND c.channel_id = $2 AND c.workspace_id = $3 \
             ORDER BY (c.status = 'closed'), c.last_activity_at DESC, c.id DESC LIMIT 1 FOR NO KEY UPDATE",
            rows::CONV_COLS
        );
        let found = sqlx::query(&sql)
            .bind(contact.0)
            .bind(channel.0)
            .bind(ws.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::conversation)
            .transpose()?;
        if let Some(c) = &found {
            self.held.conv(c);
        }
        Ok(found)
    }

    async fn insert_conversation(&mut self, c: &Conversation) -> R<()> {
        // Written with the job's other deferred writes (`finish`), or
        // before a query that reads or refers to it.
        self.lock_counter(c.workspace_id).await?;
        self.held.conv(c);
        self.fresh_convs.insert(c.id);
        self.new_convs.push(c.id);
        Ok(())
    }

    async fn update_conversation(&mut self, c: &Conversation) -> R<()> {
        // Written at commit (`finish`) or before a query that reads
        // conversation rows; until then the job's own reads are served from
        // `held`, and nobody else can lock the row (see the module docs).
        self.lock_counter(c.workspace_id).await?;
        self.held.conv(c);
        if !self.held.dirty.contains(&c.id) {
            self.held.dirty.push(c.id);
        }
        Ok(())
    }

    async fn read_state(&mut self, user: UserId, conv: ConversationId) -> R<ReadState> {
        if let Some(r) = self.held.read_states.get(&(conv, user)) {
            return Ok(*r);
        }
        let row = sqlx::query(
            "SELECT read_at, marked_unread FROM read_states WHERE user_id = $1 AND conversation_id = $2",
        )
        .bind(user.0)
        .bind(conv.0)
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(db_err)?;
        let state = match row {
            Some(r) => ReadState {
                read_at: get(&r, 0)?,
                marked_unread: get(&r, 1)?,
            },
            None => ReadState::default(),
        };
        // Read states change only under their conversation's lock: exact
        // while this job holds the conversation.
        if self.held.convs.contains_key(&conv) {
            self.held.read_state(conv, user, state);
        }
        Ok(state)
    }

    async fn apply_effect(&mut self, ws: WorkspaceId, conv: ConversationId, effect: &Effect) -> R<()> {
        match effect {
            Effect::InsertMessage(m) => {
                // Written with the job's other deferred writes (`finish`).
                if m.kind == MessageKind::Incoming {
                    let contact = self.held.convs.get(&m.conversation_id).map(|c| c.contact_id);
                    match (contact, self.incoming.as_mut()) {
                        (Some(c), Some(by)) => *by.entry(c).or_default() += 1,
                        _ => self.incoming = None,
                    }
                }
                self.messages.push((ws, m.clone()));
                Ok(())
            }
            Effect::StartSession { session, .. } => {
                if self.new_convs.contains(&conv) {
                    self.flush().await?;
                }
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
                self.held.read_state(conv, *user_id, *state);
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

    async fn append_events(&mut self, ws: WorkspaceId, events: Vec<NewEvent>) -> R<Vec<Event>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // The counter row stays locked until commit (see the module docs), so
        // the seqs are this job's to hand out now; the rows are written in one
        // statement just before commit (`finish`).
        self.lock_counter(ws).await?;
        let Some(last) = self.counters.get_mut(&ws).and_then(|c| c.seq.as_mut()) else {
            return Err(StoreError::Database(format!(
                "no workspace {ws} to append events to"
            )));
        };
        let first = *last + 1;
        *last += events.len() as i64;
        let last = *last;
        self.appended.push((ws, last));
        let out: Vec<Event> = events
            .into_iter()
            .enumerate()
            .map(|(i, e)| Event {
                seq: first + i as i64,
                workspace_id: ws,
                event: e,
            })
            .collect();
        self.pending
            .extend(out.iter().map(|e| (ws, e.seq, e.event.clone())));
        Ok(out)
    }

    async fn routing_rules(&mut self, ws: WorkspaceId) -> R<Vec<RoutingRule>> {
        // Under the counter: a rule edit renumbers the list it read here, and
        // routing reads the rules it applies after the last edit committed.
        self.lock_counter(ws).await?;
        let version = self.counters.get(&ws).map_or(0, |c| c.rules_version);
        let mine = self.rules_changed.contains(&ws);
        if !mine
            && let Some((v, rules)) = self.rules.lock().ok().as_ref().and_then(|m| m.get(&ws))
            && *v == version
        {
            return Ok(rules.clone());
        }
        let rules = rt::rules(self.conn, ws).await?;
        if !mine && let Ok(mut m) = self.rules.lock() {
            m.insert(ws, (version, rules.clone()));
        }
        Ok(rules)
    }

    async fn insert_rule(&mut self, rule: &RoutingRule) -> R<()> {
        self.rules_changing(rule.workspace_id).await?;
        rt::upsert_rule(self.conn, rule).await
    }

    async fn update_rule(&mut self, rule: &RoutingRule) -> R<()> {
        self.rules_changing(rule.workspace_id).await?;
        rt::upsert_rule(self.conn, rule).await
    }

    async fn delete_rule(&mut self, ws: WorkspaceId, id: RuleId) -> R<bool> {
        self.rules_changing(ws).await?;
        rt::delete_rule(self.conn, ws, id).await
    }

    async fn user_candidate(&mut self, ws: WorkspaceId, id: UserId) -> R<Option<Candidate>> {
        Ok(rt::user_candidate(self.conn, ws, id)
            .await?
            .map(|c| self.with_load(c)))
    }

    async fn team_candidates(
        &mut self,
        ws: WorkspaceId,
        team: TeamId,
    ) -> R<Option<(Vec<Candidate>, Option<UserId>)>> {
        self.lock_counter(ws).await?;
        let Some(found) = rt::team_candidates(self.conn, ws, team).await? else {
            return Ok(None);
        };
        // Read under the counter: the members and the team stay as read.
        self.held.team(&found.team);
        for u in &found.users {
            self.held.user(u);
        }
        let pointer = self.pointers.get(&team).copied().or(found.pointer);
        let members = found.candidates.into_iter().map(|c| self.with_load(c)).collect();
        Ok(Some((members, pointer)))
    }

    async fn set_round_robin_pointer(&mut self, team: TeamId, user: UserId) -> R<()> {
        // The team row is locked by `team_candidates` in this job; written at
        // commit (`finish`), and candidates read meanwhile include it.
        self.pointers.insert(team, user);
        Ok(())
    }

    async fn adjust_user_load(&mut self, user: UserId, delta: i64, assigned_at: Option<Timestamp>) -> R<()> {
        // Loads change after the conversation whose assignment moved was
        // locked, so the job holds its workspace's counter already; a job
        // that somehow does not takes it now, found through the user.
        if self.counters.is_empty() {
            let row = sqlx::query("SELECT workspace_id FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(db_err)?;
            if let Some(r) = row {
                self.lock_counter(rows::id(&r, 0)?).await?;
            }
        }
        // Written at commit (`finish`); candidates read meanwhile include it.
        self.loads.entry(user).or_default().push(delta, assigned_at);
        Ok(())
    }

    async fn enqueue(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        team: TeamId,
        mode: PickMode,
        at: Timestamp,
    ) -> R<()> {
        self.lock_counter(ws).await?;
        self.fresh_convs.remove(&conv);
        if self.new_convs.contains(&conv) {
            self.flush().await?;
        }
        rt::enqueue(self.conn, ws, conv, team, mode, at).await
    }

    async fn dequeue(&mut self, conv: ConversationId) -> R<bool> {
        // A conversation created by this job was never queued unless it
        // queued it itself (nobody else can see it to queue it).
        if self.fresh_convs.contains(&conv) {
            return Ok(false);
        }
        rt::dequeue(self.conn, conv).await
    }

    async fn queued(&mut self, team: TeamId, limit: u32) -> R<Vec<(ConversationId, PickMode)>> {
        rt::queued(self.conn, team, limit).await
    }

    async fn user_team_ids(&mut self, user: UserId) -> R<Vec<TeamId>> {
        rt::user_teams(self.conn, user).await
    }

    async fn business_hours(&mut self, ws: WorkspaceId) -> R<Option<BusinessHours>> {
        // Read with the counter lock, which also guards them from change.
        match self.counters.get(&ws) {
            Some(c) => Ok(c.hours.clone().and_then(|v| serde_json::from_value(v).ok())),
            None => rt::business_hours(self.conn, ws).await,
        }
    }

    async fn set_business_hours(&mut self, ws: WorkspaceId, hours: Option<&BusinessHours>) -> R<()> {
        // This updates the counter's own row.
        self.lock_counter(ws).await?;
        rt::set_business_hours(self.conn, ws, hours).await?;
        if let Some(c) = self.counters.get_mut(&ws) {
            c.hours = hours.map(to_json).transpose()?;
        }
        Ok(())
    }

    async fn team_settings(&mut self, ws: WorkspaceId, team: TeamId) -> R<Option<TeamSettings>> {
        tm::team_settings(self.conn, ws, team).await
    }

    async fn set_team_settings(&mut self, team: TeamId, settings: &TeamSettings) -> R<()> {
        // The team row is routing state: lock it under the counter (see the
        // module docs), or a pick waiting on it could wait for this job
        // while this job waits for the pick's counter.
        let row = sqlx::query("SELECT workspace_id FROM teams WHERE id = $1")
            .bind(team.0)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(db_err)?;
        if let Some(r) = row {
            self.lock_counter(rows::id(&r, 0)?).await?;
        }
        tm::set_team_settings(self.conn, team, settings).await
    }

    async fn teams_with_reply_timeouts(&mut self) -> R<Vec<(WorkspaceId, TeamId, TeamSettings)>> {
        tm::teams_with_reply_timeouts(self.conn).await
    }

    async fn note_assignment(&mut self, conv: ConversationId, at: Option<Timestamp>) -> R<()> {
        if self.mark(conv) {
            self.marks.entry(conv).or_default().assigned_at = Some(at);
            return Ok(());
        }
        self.flush().await?;
        tm::note_assignment(self.conn, conv, at).await
    }

    async fn note_reply(&mut self, conv: ConversationId, at: Timestamp) -> R<()> {
        if self.mark(conv) {
            self.marks.entry(conv).or_default().last_reply_at = Some(at);
            return Ok(());
        }
        self.flush().await?;
        tm::note_reply(self.conn, conv, at).await
    }

    async fn overdue_replies(
        &mut self,
        ws: WorkspaceId,
        team: TeamId,
        cutoff: Timestamp,
        limit: u32,
    ) -> R<Vec<ConversationId>> {
        self.flush().await?;
        tm::overdue_replies(self.conn, ws, team, cutoff, limit).await
    }

    async fn open_assigned_in_team(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        team: TeamId,
    ) -> R<Vec<ConversationId>> {
        self.flush().await?;
        tm::open_assigned_in_team(self.conn, ws, user, team).await
    }

    async fn contact_incoming_count(&mut self, contact: ContactId) -> R<i64> {
        let Some(by) = &self.incoming else {
            self.flush().await?;
            return rt::contact_incoming_count(self.conn, contact).await;
        };
        let mine = by.get(&contact).copied().unwrap_or(0);
        // A contact this job created has written only what this job wrote.
        if self.new_contacts.contains(&contact) {
            return Ok(mine);
        }
        // Stored ones, and this job's, written or not yet.
        let unwritten = self
            .messages
            .iter()
            .filter(|(_, m)| m.kind == MessageKind::Incoming)
            .filter(|(_, m)| self.held.convs.get(&m.conversation_id).map(|c| c.contact_id) == Some(contact))
            .count() as i64;
        Ok(rt::contact_incoming_count(self.conn, contact).await? + unwritten)
    }

    async fn articles(&mut self, ws: WorkspaceId) -> R<Vec<Article>> {
        ag::articles(self.conn, ws).await
    }

    async fn article(&mut self, ws: WorkspaceId, id: ArticleId) -> R<Option<Article>> {
        ag::article_by_id(self.conn, ws, id).await
    }

    async fn insert_article(&mut self, a: &Article) -> R<()> {
        ag::insert_article(self.conn, a).await
    }

    async fn update_article(&mut self, a: &Article) -> R<()> {
        ag::update_article(self.conn, a).await
    }

    async fn delete_article(&mut self, ws: WorkspaceId, id: ArticleId) -> R<bool> {
        ag::delete_article(self.conn, ws, id).await
    }

    async fn ai_reply_exists(&mut self, key: &str) -> R<bool> {
        ag::ai_reply_exists(self.conn, key).await
    }

    async fn insert_ai_reply(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        key: &str,
        message: Option<MessageId>,
        session: SessionId,
        receipt: &serde_json::Value,
        at: Timestamp,
    ) -> R<()> {
        ag::insert_ai_reply(self.conn, ws, conv, key, message, session, receipt, at).await
    }

    async fn draft(&mut self, ws: WorkspaceId, conv: ConversationId) -> R<Option<Draft>> {
        ag::draft(self.conn, ws, conv).await
    }

    async fn upsert_draft(&mut self, ws: WorkspaceId, d: &Draft) -> R<()> {
        ag::upsert_draft(self.conn, ws, d).await
    }

    async fn delete_draft(&mut self, conv: ConversationId) -> R<bool> {
        ag::delete_draft(self.conn, conv).await
    }

    async fn agent_cursor(&mut self, ws: WorkspaceId) -> R<i64> {
        ag::agent_cursor(self.conn, ws).await
    }

    async fn set_agent_cursor(&mut self, ws: WorkspaceId, seq: i64) -> R<()> {
        ag::set_agent_cursor(self.conn, ws, seq).await
    }

    async fn workspace_ids(&mut self) -> R<Vec<WorkspaceId>> {
        ag::workspace_ids(self.conn).await
    }

    async fn idle_sessions(&mut self, now: Timestamp, limit: u32) -> R<Vec<(WorkspaceId, ConversationId)>> {
        ag::idle_sessions(self.conn, now, limit).await
    }

    fn builds_new_views(&self) -> bool {
        // One query for the view beats a round trip per name.
        false
    }

    async fn conversation_view(
        &mut self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> R<Option<ConversationView>> {
        let Some(c) = self.held.convs.get(&id).filter(|c| c.workspace_id == ws).cloned() else {
            return reads::conversation_view(self.conn, ws, viewer, id).await;
        };
        if let Some(v) = self.held.view(viewer, &c) {
            return Ok(Some(v));
        }
        if let Some(v) = self.held.load_view(self.conn, viewer, &c).await? {
            return Ok(Some(v));
        }
        self.flush().await?;
        reads::conversation_view(self.conn, ws, viewer, id).await
    }

    async fn notification_prefs(&mut self, user: UserId) -> R<Option<baton_core::notify::Preferences>> {
        nt::prefs(self.conn, user).await
    }

    async fn team_notification_prefs(
        &mut self,
        team: TeamId,
    ) -> R<Vec<(UserId, baton_core::notify::Preferences)>> {
        self.flush().await?;
        nt::team_prefs(self.conn, team).await
    }

    async fn set_notification_prefs(
        &mut self,
        user: UserId,
        prefs: &baton_core::notify::Preferences,
    ) -> R<()> {
        nt::set_prefs(self.conn, user, prefs).await
    }

    async fn insert_notification(&mut self, n: &Notification, in_app: bool) -> R<()> {
        nt::insert_notification(self.conn, n, in_app).await
    }

    async fn notifications(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        before: Option<(Timestamp, uuid::Uuid)>,
        limit: u32,
    ) -> R<Vec<Notification>> {
        nt::notifications(self.conn, ws, user, before, limit).await
    }

    async fn unread_notification_count(&mut self, ws: WorkspaceId, user: UserId) -> R<i64> {
        nt::unread_count(self.conn, ws, user).await
    }

    async fn mark_notification_read(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        id: NotificationId,
        at: Timestamp,
    ) -> R<Option<Notification>> {
        nt::mark_read(self.conn, ws, user, id, at).await
    }

    async fn insert_delivery(&mut self, d: &Delivery) -> R<()> {
        nt::insert_delivery(self.conn, d).await
    }

    async fn claim_deliveries(
        &mut self,
        targets: &[&str],
        now: Timestamp,
        until: Timestamp,
        token: uuid::Uuid,
        limit: u32,
    ) -> R<Vec<Delivery>> {
        nt::claim(self.conn, targets, now, until, token, limit).await
    }

    async fn delivery(&mut self, id: DeliveryId) -> R<Option<Delivery>> {
        nt::delivery_by_id(self.conn, id).await
    }

    async fn update_delivery(&mut self, d: &Delivery) -> R<()> {
        nt::update_delivery(self.conn, d).await
    }

    async fn deliveries(
        &mut self,
        ws: WorkspaceId,
        status: Option<&str>,
        webhook: Option<WebhookId>,
        limit: u32,
    ) -> R<Vec<Delivery>> {
        nt::deliveries(self.conn, ws, status, webhook, limit).await
    }

    async fn insert_webhook(&mut self, w: &Webhook) -> R<()> {
        nt::insert_webhook(self.conn, w).await
    }

    async fn webhooks(&mut self, ws: WorkspaceId) -> R<Vec<Webhook>> {
        nt::webhooks(self.conn, ws).await
    }

    async fn webhook(&mut self, ws: WorkspaceId, id: WebhookId) -> R<Option<Webhook>> {
        nt::webhook_by_id(self.conn, ws, id).await
    }

    async fn update_webhook(&mut self, w: &Webhook) -> R<()> {
        nt::update_webhook(self.conn, w).await
    }

    async fn delete_webhook(&mut self, ws: WorkspaceId, id: WebhookId) -> R<bool> {
        nt::delete_webhook(self.conn, ws, id).await
    }

    async fn webhooks_to_feed(&mut self, limit: u32) -> R<Vec<Webhook>> {
        nt::webhooks_to_feed(self.conn, limit).await
    }

    async fn events_since(&mut self, ws: WorkspaceId, after: i64, limit: u32) -> R<Vec<Event>> {
        reads::events_after(self.conn, ws, after, limit).await
    }

    async fn latest_event_seq(&mut self, ws: WorkspaceId) -> R<i64> {
        if let Some(seq) = self.counters.get(&ws).and_then(|c| c.seq) {
            return Ok(seq);
        }
        reads::latest_seq(self.conn, ws).await
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

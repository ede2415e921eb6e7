//! `WriteTx` on a SQLite connection inside `BEGIN IMMEDIATE`. Runs on the
//! writer thread; every method is synchronous underneath.

use crate::agents as ag;
use crate::notifications as nt;
use crate::reads;
use crate::routing as rt;
use crate::rows::{self, db_err, json, ts, ts_opt};
use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::routing::pick::Candidate;
use baton_core::routing::{BusinessHours, PickMode, RoutingRule, TeamSettings};
use baton_core::*;
use baton_store::notifications::{Delivery, Notification, Webhook};
use baton_store::*;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;

/// One job's view of the open write transaction.
pub struct SqliteTx<'c> {
    /// The writer connection.
    pub conn: &'c mut Connection,
    /// The clock reading for this job.
    pub now: Timestamp,
    /// Events appended by this job: (workspace, last seq, whether any of
    /// them wakes the agents' worker).
    pub appended: Vec<(WorkspaceId, i64, bool)>,
    /// Conversations as loaded in this job, so updates write only what changed.
    pub loaded: Vec<Conversation>,
    /// A conversation this job changed and has not written yet (see
    /// [`SqliteTx::settle`]).
    pub stash: Option<Stash>,
    /// The last event sequence number per workspace as this group of jobs
    /// knows it. The writer holds the database's write lock for the whole
    /// group, so the counter read once stays true; `writer` stores it back
    /// once per group instead of once per append.
    pub seqs: HashMap<WorkspaceId, i64>,
    /// What the writer keeps between jobs.
    pub cache: &'c mut WriterCache,
    /// The delivery media this deployment can send.
    pub sendable: baton_store::notifications::Sendable,
}

/// State the writer thread keeps across jobs: each workspace's routing rules,
/// parsed, and the teams' rosters (members as routing candidates, and the
/// round-robin pointer). Both are read by every routed inbound message; a
/// roster of fifty read from the database was a tenth of the writer's time.
/// Users (the assignee of each routed message is read to notify them) and
/// the stored notification preferences of a team's members are kept too.
/// Only this thread writes the database, so it drops an entry whenever a job
/// writes a rule, a user, a membership or preferences, keeps rosters in step
/// with the load and pointer writes routing makes, drops rosters, users and
/// preferences when a job fails (its steps were rolled back), and drops
/// everything when another connection has committed.
#[derive(Default)]
pub struct WriterCache {
    rules: HashMap<WorkspaceId, Vec<RoutingRule>>,
    rosters: HashMap<TeamId, Roster>,
    users: HashMap<UserId, User>,
    /// Channels as last read (every inbound message reads its channel).
    channels: HashMap<ChannelId, Channel>,
    /// Team names as read (teams are never renamed nor deleted; every new
    /// routed conversation's view names its team).
    team_names: HashMap<TeamId, (WorkspaceId, String)>,
    team_prefs: HashMap<TeamId, Vec<(UserId, baton_core::notify::Preferences)>>,
    /// Each user's stored preferences (`None`: the defaults).
    prefs: HashMap<UserId, Option<baton_core::notify::Preferences>>,
    /// Each workspace's event key (migration 0013), read once: it never
    /// changes, but one read inside a rolled-back job may not stand.
    event_keys: HashMap<WorkspaceId, i64>,
    /// Interned explanation parts (see `intern`); dropped with any rollback.
    interned: crate::intern::Interned,
    /// Workspaces whose rules the running job wrote: what it reads back
    /// after writing is not yet committed, so those entries are dropped
    /// again when the job ends, kept or rolled back.
    written: Vec<WorkspaceId>,
    data_version: i64,
}

/// A team's candidates and round-robin pointer, as stored.
#[derive(Clone)]
struct Roster {
    ws: WorkspaceId,
    members: Vec<Candidate>,
    pointer: Option<UserId>,
}

impl WriterCache {
    /// Users or memberships changed: rosters, users and the teams'
    /// preferences must be read again.
    fn rosters_changed(&mut self) {
        self.rosters.clear();
        self.users.clear();
        self.team_prefs.clear();
        self.prefs.clear();
    }

    /// Mirror `adjust_load`'s UPDATE on every cached roster holding `user`.
    fn load_adjusted(&mut self, user: UserId, delta: i64, at: Option<Timestamp>) {
        for r in self.rosters.values_mut() {
            for c in r.members.iter_mut().filter(|c| c.user_id == user) {
                c.open_count = (i64::from(c.open_count) + delta).clamp(0, i64::from(u32::MAX)) as u32;
                if at.is_some() {
                    c.last_assigned_at = at;
                }
            }
        }
    }

    /// After a job that failed: what it changed was rolled back, and the
    /// rosters may hold its steps.
    pub fn job_failed(&mut self) {
        self.rosters_changed();
        self.channels.clear();
        self.event_keys.clear();
        self.team_names.clear();
        self.interned.clear();
    }

    fn rules_written(&mut self, ws: WorkspaceId) {
        self.rules.remove(&ws);
        self.written.push(ws);
    }

    /// After each job: forget what a job that wrote rules may have cached.
    pub fn job_ended(&mut self) {
        for ws in self.written.drain(..) {
            self.rules.remove(&ws);
        }
    }

    /// After a failed COMMIT nothing cached from the group can be trusted.
    pub fn forget_all(&mut self) {
        self.rules.clear();
        self.rosters_changed();
        self.channels.clear();
        self.event_keys.clear();
        self.team_names.clear();
        self.interned.clear();
        self.written.clear();
    }

    /// Forget everything if another connection changed the database since the last look.
    pub fn check_outside_writes(&mut self, conn: &Connection) {
        let v = conn
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .unwrap_or(-1);
        if v != self.data_version || v < 0 {
            self.rules.clear();
            self.rosters_changed();
            self.channels.clear();
            self.event_keys.clear();
            self.team_names.clear();
            self.data_version = v;
        }
    }
}

/// The latest state of one conversation, held back so that the several
/// commands of one use case (an inbound message: post it, route it to a
/// team, assign a member) write its row, and its eight indexes, once.
///
/// A conversation the job created is held too, and inserted as it ends up:
/// inserting it at once and updating it later wrote every index twice. Its
/// first messages wait with it (they refer to its row); anything else that
/// refers to it writes it first (see [`SqliteTx::settle_new`]).
pub struct Stash {
    conversation: Conversation,
    /// Not in the table yet: settling inserts it.
    new: bool,
    /// Messages of the new conversation, inserted right after it.
    messages: Vec<(WorkspaceId, Message)>,
    /// Reply-timer columns set meanwhile (`assigned_at`, `last_reply_at`).
    extra: Vec<(&'static str, rusqlite::types::Value)>,
}

impl SqliteTx<'_> {
    /// Write the held-back conversation, if any. Every method that might
    /// read conversations (or their counts) calls this first; only those
    /// that touch other tables, or add to the stash, do not. The writer
    /// calls it when a job ends.
    pub fn settle(&mut self) -> R<()> {
        let Some(stash) = self.stash.take() else {
            return Ok(());
        };
        let c = stash.conversation;
        let new = conv_params(&c);
        if stash.new {
            let mut cols: Vec<&str> = CONV_COLUMNS.to_vec();
            let mut values: Vec<rusqlite::types::Value> = new.to_vec();
            for (col, v) in stash.extra {
                cols.push(col);
                values.push(v);
            }
            let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "INSERT INTO conversations ({}) VALUES ({})",
                cols.join(", "),
                marks.join(", ")
            );
            exec(self.conn, &sql, rusqlite::params_from_iter(values.iter()))?;
            for (ws, m) in &stash.messages {
                insert_message(self.conn, *ws, m)?;
            }
            self.loaded.retain(|x| x.id != c.id);
            self.loaded.push(c);
            return Ok(());
        }
        let old = self.loaded.iter().find(|x| x.id == c.id).map(conv_params);
        let changed: Vec<usize> = match &old {
            Some(old) => (1..CONV_COLUMNS.len()).filter(|i| old[*i] != new[*i]).collect(),
            None => (1..CONV_COLUMNS.len()).collect(),
        };
        let mut set: Vec<String> = Vec::new();
        let mut values = vec![new[0].clone()];
        for i in changed {
            values.push(new[i].clone());
            set.push(format!("{} = ?{}", CONV_COLUMNS[i], values.len()));
        }
        for (col, v) in stash.extra {
            values.push(v);
            set.push(format!("{col} = ?{}", values.len()));
        }
        if !set.is_empty() {
            let sql = format!("UPDATE conversations SET {} WHERE id = ?1", set.join(", "));
            exec(self.conn, &sql, rusqlite::params_from_iter(values.iter()))?;
        }
        self.loaded.retain(|x| x.id != c.id);
        self.loaded.push(c);
        Ok(())
    }

    /// The workspace's event key (migration 0013), from the cache or read.
    fn event_key(&mut self, ws: WorkspaceId) -> R<i64> {
        if let Some(key) = self.cache.event_keys.get(&ws) {
            return Ok(*key);
        }
        let key: Option<i64> = self
            .conn
            .prepare_cached("SELECT event_key FROM workspaces WHERE id = ?1")
            .and_then(|mut s| s.query_row(params![ws.to_string()], |r| r.get(0)))
            .map_err(db_err)?;
        let key = key.ok_or_else(|| StoreError::Database(format!("workspace {ws} has no event key")))?;
        self.cache.event_keys.insert(ws, key);
        Ok(key)
    }

    /// Write the held conversation if it is new: rows that refer to it (its
    /// sessions, its place in a queue) or read its messages need it there.
    fn settle_new(&mut self) -> R<()> {
        if self.stash.as_ref().is_some_and(|s| s.new) {
            self.settle()?;
        }
        Ok(())
    }

    /// Set a reply-timer column: in the stash if it holds `conv`, else now.
    fn note_column(&mut self, conv: ConversationId, col: &'static str, v: rusqlite::types::Value) -> R<()> {
        if let Some(stash) = self.stash.as_mut().filter(|s| s.conversation.id == conv) {
            stash.extra.retain(|(c, _)| *c != col);
            stash.extra.push((col, v));
            return Ok(());
        }
        exec(
            self.conn,
            &format!("UPDATE conversations SET {col} = ?2 WHERE id = ?1"),
            params![conv.to_string(), v],
        )
        .map(drop)
    }

    fn remember(&mut self, c: &Option<Conversation>) {
        if let Some(c) = c {
            self.loaded.retain(|x| x.id != c.id);
            self.loaded.push(c.clone());
        }
    }
}

type R<T> = StoreResult<T>;

fn insert_message(conn: &Connection, ws: WorkspaceId, m: &Message) -> R<()> {
    exec(
        conn,
        "INSERT INTO messages (id, workspace_id, conversation_id, kind, body, author, agent_session_id, \
         channel_id, mentions, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.id.to_string(),
            ws.to_string(),
            m.conversation_id.to_string(),
            m.kind.as_str(),
            m.body,
            json(&m.author),
            opt_s(m.agent_session_id),
            m.channel_id.to_string(),
            json(&m.mentions),
            ts(m.created_at)
        ],
    )
    .map(drop)
}

fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> R<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(db_err)
}

fn opt_s<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|x| x.to_string())
}

#[async_trait]
impl WriteTx for SqliteTx<'_> {
    fn now(&self) -> Timestamp {
        self.now
    }

    fn sendable(&self) -> baton_store::notifications::Sendable {
        self.sendable
    }

    async fn workspace_by_name(&mut self, name: &str) -> R<Option<Workspace>> {
        self.settle()?;
        self.conn
            .prepare_cached("SELECT id, name, created_at FROM workspaces WHERE name = ?1")
            .and_then(|mut s| {
                s.query_row([name], |r| {
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

    async fn insert_workspace(&mut self, ws: &Workspace) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "INSERT INTO workspaces (id, name, event_seq, created_at) VALUES (?1, ?2, 0, ?3)",
            params![ws.id.to_string(), ws.name, ts(ws.created_at)],
        )
        .map(drop)
    }

    async fn user(&mut self, ws: WorkspaceId, id: UserId) -> R<Option<User>> {
        if let Some(u) = self.cache.users.get(&id) {
            return Ok((u.workspace_id == ws).then(|| u.clone()));
        }
        let u = reads::user(self.conn, ws, id)?;
        if let Some(u) = &u {
            self.cache.users.insert(id, u.clone());
        }
        Ok(u)
    }

    async fn email_taken(&mut self, email: &Email) -> R<bool> {
        self.settle()?;
        Ok(reads::credentials(self.conn, email)?.is_some())
    }

    async fn handle_taken(&mut self, ws: WorkspaceId, handle: &str) -> R<bool> {
        self.settle()?;
        self.conn
            .prepare_cached("SELECT 1 FROM users WHERE workspace_id = ?1 AND handle = ?2")
            .and_then(|mut s| s.exists(params![ws.to_string(), handle]))
            .map_err(db_err)
    }

    async fn insert_user(&mut self, u: &User, password_hash: Option<&str>) -> R<()> {
        self.settle()?;
        self.cache.rosters_changed();
        exec(
            self.conn,
            "INSERT INTO users (id, workspace_id, email, name, handle, role, active, availability, max_open, \
             password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                u.id.to_string(),
                u.workspace_id.to_string(),
                u.email.as_str(),
                u.name,
                u.handle,
                u.role.as_str(),
                u.active,
                u.availability.as_str(),
                u.max_open,
                password_hash,
                ts(u.created_at),
                ts(u.updated_at)
            ],
        )
        .map(drop)
    }

    async fn update_user(&mut self, u: &User) -> R<()> {
        self.settle()?;
        self.cache.rosters_changed();
        exec(
            self.conn,
            "UPDATE users SET name = ?2, role = ?3, active = ?4, availability = ?5, max_open = ?6, \
             updated_at = ?7 WHERE id = ?1",
            params![
                u.id.to_string(),
                u.name,
                u.role.as_str(),
                u.active,
                u.availability.as_str(),
                u.max_open,
                ts(u.updated_at)
            ],
        )
        .map(drop)
    }

    async fn active_owner_count(&mut self, ws: WorkspaceId) -> R<usize> {
        self.settle()?;
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM users WHERE workspace_id = ?1 AND role = 'owner' AND active = 1",
            )
            .and_then(|mut s| s.query_row([ws.to_string()], |r| r.get::<_, i64>(0)))
            .map(|n| n as usize)
            .map_err(db_err)
    }

    async fn active_users_by_handles(&mut self, ws: WorkspaceId, handles: &[String]) -> R<Vec<UserId>> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM users WHERE workspace_id = ?1 AND handle = ?2 AND active = 1")
            .map_err(db_err)?;
        for h in handles {
            if let Some(id) = stmt
                .query_row(params![ws.to_string(), h], |r| rows::p::<UserId>(r, 0))
                .optional()
                .map_err(db_err)?
            {
                out.push(id);
            }
        }
        Ok(out)
    }

    async fn insert_token(
        &mut self,
        id: TokenId,
        user: UserId,
        hash: &str,
        name: &str,
        at: Timestamp,
    ) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.to_string(), user.to_string(), hash, name, ts(at)],
        )
        .map(drop)
    }

    async fn team(&mut self, ws: WorkspaceId, id: TeamId) -> R<Option<Team>> {
        reads::team(self.conn, ws, id)
    }

    async fn team_name(&mut self, ws: WorkspaceId, id: TeamId) -> R<Option<String>> {
        if let Some((w, name)) = self.cache.team_names.get(&id) {
            return Ok((*w == ws).then(|| name.clone()));
        }
        let name: Option<String> = self
            .conn
            .prepare_cached("SELECT name FROM teams WHERE id = ?1 AND workspace_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![id.to_string(), ws.to_string()], |r| r.get(0))
                    .optional()
            })
            .map_err(db_err)?;
        if let Some(n) = &name {
            self.cache.team_names.insert(id, (ws, n.clone()));
        }
        Ok(name)
    }

    async fn team_exists(&mut self, ws: WorkspaceId, id: TeamId) -> R<bool> {
        // Teams are never deleted: a cached roster's team still exists.
        if let Some(r) = self.cache.rosters.get(&id) {
            return Ok(r.ws == ws);
        }
        self.conn
            .prepare_cached("SELECT 1 FROM teams WHERE id = ?1 AND workspace_id = ?2")
            .and_then(|mut s| s.exists(params![id.to_string(), ws.to_string()]))
            .map_err(db_err)
    }

    async fn team_name_taken(&mut self, ws: WorkspaceId, name: &str) -> R<bool> {
        self.settle()?;
        self.conn
            .prepare_cached("SELECT 1 FROM teams WHERE workspace_id = ?1 AND name_key = ?2")
            .and_then(|mut s| s.exists(params![ws.to_string(), name.to_lowercase()]))
            .map_err(db_err)
    }

    async fn insert_team(&mut self, t: &Team) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "INSERT INTO teams (id, workspace_id, name, name_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                t.id.to_string(),
                t.workspace_id.to_string(),
                t.name,
                t.name.to_lowercase(),
                ts(t.created_at)
            ],
        )
        .map(drop)
    }

    async fn insert_team_member(&mut self, team: TeamId, user: UserId, at: Timestamp) -> R<bool> {
        self.settle()?;
        self.cache.rosters_changed();
        exec(
            self.conn,
            "INSERT INTO team_members (team_id, user_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![team.to_string(), user.to_string(), ts(at)],
        )
        .map(|n| n == 1)
    }

    async fn delete_team_member(&mut self, team: TeamId, user: UserId) -> R<bool> {
        self.settle()?;
        self.cache.rosters_changed();
        exec(
            self.conn,
            "DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2",
            params![team.to_string(), user.to_string()],
        )
        .map(|n| n == 1)
    }

    async fn agent(&mut self, ws: WorkspaceId, id: AgentId) -> R<Option<Agent>> {
        reads::agent(self.conn, ws, id)
    }

    async fn insert_agent(&mut self, a: &Agent) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "INSERT INTO agents (id, workspace_id, name, runtime, settings, handoff_team_id, handoff_mode, active, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                a.id.to_string(),
                a.workspace_id.to_string(),
                a.name,
                a.runtime.as_str(),
                json(&a.settings),
                opt_s(a.handoff_team_id),
                a.handoff_mode.as_str(),
                a.active,
                ts(a.created_at),
                ts(a.updated_at)
            ],
        )
        .map(drop)
    }

    async fn update_agent(&mut self, a: &Agent) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "UPDATE agents SET name = ?2, runtime = ?3, settings = ?4, handoff_team_id = ?5, handoff_mode = ?6, \
             active = ?7, updated_at = ?8 WHERE id = ?1",
            params![
                a.id.to_string(),
                a.name,
                a.runtime.as_str(),
                json(&a.settings),
                opt_s(a.handoff_team_id),
                a.handoff_mode.as_str(),
                a.active,
                ts(a.updated_at)
            ],
        )
        .map(drop)
    }

    async fn channel(&mut self, ws: WorkspaceId, id: ChannelId) -> R<Option<Channel>> {
        if let Some(c) = self.cache.channels.get(&id) {
            return Ok((c.workspace_id == ws).then(|| c.clone()));
        }
        let c = reads::channel(self.conn, ws, id)?;
        if let Some(c) = &c {
            self.cache.channels.insert(id, c.clone());
        }
        Ok(c)
    }

    async fn insert_channel(&mut self, c: &Channel) -> R<()> {
        self.settle()?;
        self.cache.channels.remove(&c.id);
        exec(
            self.conn,
            "INSERT INTO channels (id, workspace_id, kind, name, autopilot_agent_id, created_at, reply_mode) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                c.id.to_string(),
                c.workspace_id.to_string(),
                c.kind.as_str(),
                c.name,
                opt_s(c.autopilot_agent_id),
                ts(c.created_at),
                c.reply_mode.as_str()
            ],
        )
        .map(drop)
    }

    async fn update_channel(&mut self, c: &Channel) -> R<()> {
        self.settle()?;
        self.cache.channels.remove(&c.id);
        exec(
            self.conn,
            "UPDATE channels SET name = ?2, autopilot_agent_id = ?3, reply_mode = ?4 WHERE id = ?1",
            params![
                c.id.to_string(),
                c.name,
                opt_s(c.autopilot_agent_id),
                c.reply_mode.as_str()
            ],
        )
        .map(drop)
    }

    async fn contact(&mut self, ws: WorkspaceId, id: ContactId) -> R<Option<Contact>> {
        self.settle()?;
        reads::contact(self.conn, ws, id)
    }

    async fn contacts_by_handles(&mut self, ws: WorkspaceId, input: &ContactInput) -> R<Vec<Contact>> {
        self.settle()?;
        // One lookup per handle: an OR across the partial unique indexes would
        // make SQLite scan every contact of the workspace.
        let phone = input.phone.as_deref().and_then(|p| parse_phone(p).ok());
        let probes = [
            ("external_id", input.external_id.clone()),
            ("email", input.email.as_ref().map(|e| e.as_str().to_string())),
            ("phone", phone),
        ];
        let mut out: Vec<Contact> = Vec::new();
        for (col, value) in probes {
            let Some(value) = value else { continue };
            let sql = format!(
                "SELECT {} FROM contacts WHERE workspace_id = ?1 AND {col} = ?2",
                rows::CONTACT_COLS
            );
            let found = self
                .conn
                .prepare_cached(&sql)
                .and_then(|mut s| {
                    s.query_row(params![ws.to_string(), value], rows::contact)
                        .optional()
                })
                .map_err(db_err)?;
            if let Some(c) = found.filter(|c| !out.iter().any(|o| o.id == c.id)) {
                out.push(c);
            }
        }
        out.sort_by_key(|c| (c.created_at, c.id));
        Ok(out)
    }

    async fn insert_contact(&mut self, c: &Contact) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "INSERT INTO contacts (id, workspace_id, name, email, phone, external_id, tags, attributes, \
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                c.id.to_string(),
                c.workspace_id.to_string(),
                c.name,
                c.email.as_ref().map(|e| e.as_str()),
                c.phone,
                c.external_id,
                json(&c.tags),
                json(&c.attributes),
                ts(c.created_at),
                ts(c.updated_at)
            ],
        )
        .map(drop)
    }

    async fn update_contact(&mut self, c: &Contact) -> R<()> {
        self.settle()?;
        exec(
            self.conn,
            "UPDATE contacts SET name = ?2, email = ?3, phone = ?4, external_id = ?5, tags = ?6, attributes = ?7, \
             updated_at = ?8 WHERE id = ?1",
            params![
                c.id.to_string(),
                c.name,
                c.email.as_ref().map(|e| e.as_str()),
                c.phone,
                c.external_id,
                json(&c.tags),
                json(&c.attributes),
                ts(c.updated_at)
            ],
        )
        .map(drop)
    }

    async fn conversation_for_update(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> R<Option<Conversation>> {
        self.settle()?;
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.id = ?1 AND c.workspace_id = ?2",
            rows::CONV_COLS
        );
        let found = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(params![id.to_string(), ws.to_string()], rows::conversation)
                    .optional()
            })
            .map_err(db_err)?;
        self.remember(&found);
        Ok(found)
    }

    async fn conversation_for_inbound(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactId,
    ) -> R<Option<Conversation>> {
        self.settle()?;
        let sql = format!(
            "SELECT {} FROM conversations c WHERE c.contact_id = ?1 AND c.channel_id = ?2 AND c.workspace_id = ?3 \
             ORDER BY (c.status = 'closed'), c.last_activity_at DESC, c.id DESC LIMIT 1",
            rows::CONV_COLS
        );
        let found = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_row(
                    params![contact.to_string(), channel.to_string(), ws.to_string()],
                    rows::conversation,
                )
                .optional()
            })
            .map_err(db_err)?;
        self.remember(&found);
        Ok(found)
    }

    async fn insert_conversation(&mut self, c: &Conversation) -> R<()> {
        self.settle()?;
        // Written once, when the job ends or something needs it, with what
        // the job's later commands made of it.
        self.stash = Some(Stash {
            conversation: c.clone(),
            new: true,
            messages: Vec::new(),
            extra: Vec::new(),
        });
        Ok(())
    }

    async fn update_conversation(&mut self, c: &Conversation) -> R<()> {
        // Held back until something may read it (see `settle`). SQLite
        // rewrites every index whose columns appear in SET, changed or not,
        // so `settle` writes only the columns that differ from the row.
        if self.stash.as_ref().is_some_and(|s| s.conversation.id != c.id) {
            self.settle()?;
        }
        match self.stash.as_mut() {
            Some(s) => s.conversation = c.clone(),
            None => {
                self.stash = Some(Stash {
                    conversation: c.clone(),
                    new: false,
                    messages: Vec::new(),
                    extra: Vec::new(),
                })
            }
        }
        Ok(())
    }

    async fn read_state(&mut self, user: UserId, conv: ConversationId) -> R<ReadState> {
        self.conn
            .prepare_cached(
                "SELECT read_at, marked_unread FROM read_states WHERE user_id = ?1 AND conversation_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![user.to_string(), conv.to_string()], |r| {
                    Ok(ReadState {
                        read_at: rows::to(r, 0)?,
                        marked_unread: r.get(1)?,
                    })
                })
                .optional()
            })
            .map(|o| o.unwrap_or_default())
            .map_err(db_err)
    }

    async fn apply_effect(&mut self, ws: WorkspaceId, conv: ConversationId, effect: &Effect) -> R<()> {
        if !matches!(effect, Effect::InsertMessage(_)) {
            self.settle_new()?;
        }
        match effect {
            Effect::InsertMessage(m) => {
                if let Some(s) = self.stash.as_mut().filter(|s| s.new && s.conversation.id == m.conversation_id) {
                    s.messages.push((ws, m.clone()));
                    return Ok(());
                }
                self.settle_new()?;
                insert_message(self.conn, ws, m)
            }
            Effect::StartSession { session, .. } => exec(
                self.conn,
                "INSERT INTO agent_sessions (id, conversation_id, agent_id, started_at) VALUES (?1, ?2, ?3, ?4)",
                params![session.id.to_string(), conv.to_string(), session.agent_id.to_string(), ts(session.started_at)],
            )
            .map(drop),
            Effect::EndSession { id, at, reason } => {
                let n = exec(
                    self.conn,
                    "UPDATE agent_sessions SET ended_at = ?2, end_reason = ?3 WHERE id = ?1 AND ended_at IS NULL",
                    params![id.to_string(), ts(*at), reason.as_str()],
                )?;
                if n == 1 {
                    Ok(())
                } else {
                    Err(StoreError::conflict("agent_session_already_ended", "the agent session has already ended"))
                }
            }
            Effect::SetReadState { user_id, state } => exec(
                self.conn,
                "INSERT INTO read_states (user_id, conversation_id, read_at, marked_unread) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (user_id, conversation_id) DO UPDATE SET read_at = excluded.read_at, \
                 marked_unread = excluded.marked_unread",
                params![user_id.to_string(), conv.to_string(), ts_opt(state.read_at), state.marked_unread],
            )
            .map(drop),
            Effect::InsertMention { user_id, message_id } => exec(
                self.conn,
                "INSERT INTO mentions (user_id, conversation_id, message_id, created_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT DO NOTHING",
                params![user_id.to_string(), conv.to_string(), message_id.to_string(), ts(self.now)],
            )
            .map(drop),
        }
    }

    async fn append_events(&mut self, ws: WorkspaceId, events: Vec<NewEvent>) -> R<Vec<Event>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let known = match self.seqs.get(&ws) {
            Some(seq) => *seq,
            None => self
                .conn
                .prepare_cached("SELECT event_seq FROM workspaces WHERE id = ?1")
                .and_then(|mut s| s.query_row(params![ws.to_string()], |r| r.get(0)))
                .map_err(db_err)?,
        };
        let last = known + events.len() as i64;
        self.seqs.insert(ws, last);
        let first = last - events.len() as i64 + 1;
        let key = self.event_key(ws)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO events (id, workspace_id, seq, kind, conversation_id, actor, at, before, after, reason, \
                 data) VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(db_err)?;
        let wid = ws.to_string();
        let agents = events.iter().any(baton_store::wakes_agents);
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let seq = first + i as i64;
            let data = match crate::intern::compact(self.conn, &mut self.cache.interned, &e.data)? {
                Some(stored) => stored,
                None => json(&e.data),
            };
            stmt.execute(params![
                wid,
                seq,
                e.kind.as_str(),
                opt_s(e.conversation_id),
                json(&e.actor),
                ts(e.at),
                json(&e.before),
                json(&e.after),
                e.reason,
                data,
                crate::rows::event_rowid(key, seq)
            ])
            .map_err(db_err)?;
            out.push(Event {
                seq,
                workspace_id: ws,
                event: e,
            });
        }
        self.appended.push((ws, last, agents));
        Ok(out)
    }

    async fn routing_rules(&mut self, ws: WorkspaceId) -> R<Vec<RoutingRule>> {
        if let Some(rules) = self.cache.rules.get(&ws) {
            return Ok(rules.clone());
        }
        let rules = rt::rules(self.conn, ws)?;
        self.cache.rules.insert(ws, rules.clone());
        Ok(rules)
    }

    async fn insert_rule(&mut self, rule: &RoutingRule) -> R<()> {
        self.settle()?;
        self.cache.rules_written(rule.workspace_id);
        rt::upsert_rule(self.conn, rule)
    }

    async fn update_rule(&mut self, rule: &RoutingRule) -> R<()> {
        self.settle()?;
        self.cache.rules_written(rule.workspace_id);
        rt::upsert_rule(self.conn, rule)
    }

    async fn delete_rule(&mut self, ws: WorkspaceId, id: RuleId) -> R<bool> {
        self.settle()?;
        self.cache.rules_written(ws);
        rt::delete_rule(self.conn, ws, id)
    }

    async fn user_candidate(&mut self, ws: WorkspaceId, id: UserId) -> R<Option<Candidate>> {
        rt::user_candidate(self.conn, ws, id)
    }

    async fn team_candidates(
        &mut self,
        ws: WorkspaceId,
        team: TeamId,
    ) -> R<Option<(Vec<Candidate>, Option<UserId>)>> {
        if let Some(r) = self.cache.rosters.get(&team) {
            return Ok((r.ws == ws).then(|| (r.members.clone(), r.pointer)));
        }
        let found = rt::team_candidates(self.conn, ws, team)?;
        if let Some((members, pointer)) = &found {
            let r = Roster {
                ws,
                members: members.clone(),
                pointer: *pointer,
            };
            self.cache.rosters.insert(team, r);
        }
        Ok(found)
    }

    async fn set_round_robin_pointer(&mut self, team: TeamId, user: UserId) -> R<()> {
        rt::set_pointer(self.conn, team, user)?;
        if let Some(r) = self.cache.rosters.get_mut(&team) {
            r.pointer = Some(user);
        }
        Ok(())
    }

    async fn adjust_user_load(&mut self, user: UserId, delta: i64, assigned_at: Option<Timestamp>) -> R<()> {
        rt::adjust_load(self.conn, user, delta, assigned_at)?;
        self.cache.load_adjusted(user, delta, assigned_at);
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
        self.settle_new()?;
        rt::enqueue(self.conn, ws, conv, team, mode, at)
    }

    async fn dequeue(&mut self, conv: ConversationId) -> R<bool> {
        rt::dequeue(self.conn, conv)
    }

    async fn queued(&mut self, team: TeamId, limit: u32) -> R<Vec<(ConversationId, PickMode)>> {
        self.settle()?;
        rt::queued(self.conn, team, limit)
    }

    async fn user_team_ids(&mut self, user: UserId) -> R<Vec<TeamId>> {
        self.settle()?;
        rt::user_teams(self.conn, user)
    }

    async fn business_hours(&mut self, ws: WorkspaceId) -> R<Option<BusinessHours>> {
        rt::business_hours(self.conn, ws)
    }

    async fn set_business_hours(&mut self, ws: WorkspaceId, hours: Option<&BusinessHours>) -> R<()> {
        self.settle()?;
        rt::set_business_hours(self.conn, ws, hours)
    }

    async fn contact_incoming_count(&mut self, contact: ContactId) -> R<i64> {
        self.settle_new()?;
        rt::contact_incoming_count(self.conn, contact)
    }

    async fn team_settings(&mut self, ws: WorkspaceId, team: TeamId) -> R<Option<TeamSettings>> {
        self.settle()?;
        rt::team_settings(self.conn, ws, team)
    }

    async fn set_team_settings(&mut self, team: TeamId, settings: &TeamSettings) -> R<()> {
        self.settle()?;
        rt::set_team_settings(self.conn, team, settings)
    }

    async fn teams_with_reply_timeouts(&mut self) -> R<Vec<(WorkspaceId, TeamId, TeamSettings)>> {
        self.settle()?;
        rt::teams_with_reply_timeouts(self.conn)
    }

    async fn note_assignment(&mut self, conv: ConversationId, at: Option<Timestamp>) -> R<()> {
        self.note_column(conv, "assigned_at", ts_opt(at).into())
    }

    async fn note_reply(&mut self, conv: ConversationId, at: Timestamp) -> R<()> {
        self.note_column(conv, "last_reply_at", ts(at).into())
    }

    async fn overdue_replies(
        &mut self,
        ws: WorkspaceId,
        team: TeamId,
        cutoff: Timestamp,
        limit: u32,
    ) -> R<Vec<ConversationId>> {
        self.settle()?;
        rt::overdue_replies(self.conn, ws, team, cutoff, limit)
    }

    async fn open_assigned_in_team(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        team: TeamId,
    ) -> R<Vec<ConversationId>> {
        self.settle()?;
        rt::open_assigned_in_team(self.conn, ws, user, team)
    }

    async fn conversation_view(
        &mut self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> R<Option<ConversationView>> {
        self.settle()?;
        reads::conversation_view(self.conn, ws, viewer, id)
    }

    async fn articles(&mut self, ws: WorkspaceId) -> R<Vec<Article>> {
        self.settle()?;
        ag::articles(self.conn, ws)
    }

    async fn article(&mut self, ws: WorkspaceId, id: ArticleId) -> R<Option<Article>> {
        self.settle()?;
        ag::article_by_id(self.conn, ws, id)
    }

    async fn insert_article(&mut self, a: &Article) -> R<()> {
        self.settle()?;
        ag::insert_article(self.conn, a)
    }

    async fn update_article(&mut self, a: &Article) -> R<()> {
        self.settle()?;
        ag::update_article(self.conn, a)
    }

    async fn delete_article(&mut self, ws: WorkspaceId, id: ArticleId) -> R<bool> {
        self.settle()?;
        ag::delete_article(self.conn, ws, id)
    }

    async fn ai_reply_exists(&mut self, key: &str) -> R<bool> {
        self.settle()?;
        ag::ai_reply_exists(self.conn, key)
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
        self.settle()?;
        ag::insert_ai_reply(self.conn, ws, conv, key, message, session, receipt, at)
    }

    async fn draft(&mut self, ws: WorkspaceId, conv: ConversationId) -> R<Option<Draft>> {
        self.settle()?;
        ag::draft(self.conn, ws, conv)
    }

    async fn upsert_draft(&mut self, ws: WorkspaceId, d: &Draft) -> R<()> {
        self.settle()?;
        ag::upsert_draft(self.conn, ws, d)
    }

    async fn delete_draft(&mut self, conv: ConversationId) -> R<bool> {
        self.settle()?;
        ag::delete_draft(self.conn, conv)
    }

    async fn agent_cursor(&mut self, ws: WorkspaceId) -> R<i64> {
        self.settle()?;
        ag::agent_cursor(self.conn, ws)
    }

    async fn set_agent_cursor(&mut self, ws: WorkspaceId, seq: i64) -> R<()> {
        self.settle()?;
        ag::set_agent_cursor(self.conn, ws, seq)
    }

    async fn workspace_ids(&mut self) -> R<Vec<WorkspaceId>> {
        self.settle()?;
        ag::workspace_ids(self.conn)
    }

    async fn idle_sessions(&mut self, now: Timestamp, limit: u32) -> R<Vec<(WorkspaceId, ConversationId)>> {
        self.settle()?;
        ag::idle_sessions(self.conn, now, limit)
    }

    async fn notification_prefs(&mut self, user: UserId) -> R<Option<baton_core::notify::Preferences>> {
        if let Some(p) = self.cache.prefs.get(&user) {
            return Ok(p.clone());
        }
        let p = nt::prefs(self.conn, user)?;
        self.cache.prefs.insert(user, p.clone());
        Ok(p)
    }

    async fn team_notification_prefs(
        &mut self,
        team: TeamId,
    ) -> R<Vec<(UserId, baton_core::notify::Preferences)>> {
        if let Some(p) = self.cache.team_prefs.get(&team) {
            return Ok(p.clone());
        }
        let p = nt::team_prefs(self.conn, team)?;
        self.cache.team_prefs.insert(team, p.clone());
        Ok(p)
    }

    async fn set_notification_prefs(
        &mut self,
        user: UserId,
        prefs: &baton_core::notify::Preferences,
    ) -> R<()> {
        self.settle()?;
        self.cache.team_prefs.clear();
        self.cache.prefs.remove(&user);
        nt::set_prefs(self.conn, user, prefs)
    }

    async fn insert_notification(&mut self, n: &Notification, in_app: bool) -> R<()> {
        nt::insert_notification(self.conn, n, in_app)
    }

    async fn notifications(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        before: Option<(Timestamp, uuid::Uuid)>,
        limit: u32,
    ) -> R<Vec<Notification>> {
        self.settle()?;
        nt::notifications(self.conn, ws, user, before, limit)
    }

    async fn unread_notification_count(&mut self, ws: WorkspaceId, user: UserId) -> R<i64> {
        self.settle()?;
        nt::unread_count(self.conn, ws, user)
    }

    async fn mark_notification_read(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        id: NotificationId,
        at: Timestamp,
    ) -> R<Option<Notification>> {
        self.settle()?;
        nt::mark_read(self.conn, ws, user, id, at)
    }

    async fn insert_delivery(&mut self, d: &Delivery) -> R<()> {
        nt::insert_delivery(self.conn, d)
    }

    async fn claim_deliveries(
        &mut self,
        targets: &[&str],
        now: Timestamp,
        until: Timestamp,
        token: uuid::Uuid,
        limit: u32,
    ) -> R<Vec<Delivery>> {
        self.settle()?;
        nt::claim(self.conn, targets, now, until, token, limit)
    }

    async fn delivery(&mut self, id: DeliveryId) -> R<Option<Delivery>> {
        self.settle()?;
        nt::delivery_by_id(self.conn, id)
    }

    async fn update_delivery(&mut self, d: &Delivery) -> R<()> {
        self.settle()?;
        nt::update_delivery(self.conn, d)
    }

    async fn deliveries(
        &mut self,
        ws: WorkspaceId,
        status: Option<&str>,
        webhook: Option<WebhookId>,
        limit: u32,
    ) -> R<Vec<Delivery>> {
        self.settle()?;
        nt::deliveries(self.conn, ws, status, webhook, limit)
    }

    async fn insert_webhook(&mut self, w: &Webhook) -> R<()> {
        self.settle()?;
        nt::insert_webhook(self.conn, w)
    }

    async fn webhooks(&mut self, ws: WorkspaceId) -> R<Vec<Webhook>> {
        self.settle()?;
        nt::webhooks(self.conn, Some(ws), false, 1000)
    }

    async fn webhook(&mut self, ws: WorkspaceId, id: WebhookId) -> R<Option<Webhook>> {
        self.settle()?;
        nt::webhook_by_id(self.conn, ws, id)
    }

    async fn update_webhook(&mut self, w: &Webhook) -> R<()> {
        self.settle()?;
        nt::update_webhook(self.conn, w)
    }

    async fn delete_webhook(&mut self, ws: WorkspaceId, id: WebhookId) -> R<bool> {
        self.settle()?;
        nt::delete_webhook(self.conn, ws, id)
    }

    async fn webhooks_to_feed(&mut self, limit: u32) -> R<Vec<Webhook>> {
        self.settle()?;
        nt::webhooks(self.conn, None, true, limit)
    }

    async fn events_since(&mut self, ws: WorkspaceId, after: i64, limit: u32) -> R<Vec<Event>> {
        self.settle()?;
        reads::events_after(self.conn, ws, after, limit)
    }

    async fn latest_event_seq(&mut self, ws: WorkspaceId) -> R<i64> {
        self.settle()?;
        reads::latest_seq(self.conn, ws)
    }
}

/// The columns of `conversations` in [`conv_params`] order.
const CONV_COLUMNS: [&str; 21] = [
    "id",
    "workspace_id",
    "channel_id",
    "contact_id",
    "status",
    "snoozed_until",
    "priority",
    "tags",
    "assignee_id",
    "agent_id",
    "session_id",
    "session_agent_id",
    "session_started_at",
    "team_id",
    "ai_handoff_at",
    "created_at",
    "updated_at",
    "last_activity_at",
    "last_incoming_at",
    "preview",
    "version",
];

fn conv_params(c: &Conversation) -> [rusqlite::types::Value; 21] {
    use rusqlite::types::Value as V;
    let s = |x: String| V::Text(x);
    let os = |x: Option<String>| x.map(V::Text).unwrap_or(V::Null);
    let oi = |x: Option<i64>| x.map(V::Integer).unwrap_or(V::Null);
    let session = c.agent_session.as_ref();
    [
        s(c.id.to_string()),
        s(c.workspace_id.to_string()),
        s(c.channel_id.to_string()),
        s(c.contact_id.to_string()),
        s(c.status.as_str().into()),
        oi(ts_opt(c.snoozed_until)),
        s(c.priority.as_str().into()),
        s(json(&c.tags)),
        os(opt_s(c.assignee_id)),
        os(opt_s(c.agent_id)),
        os(session.map(|x| x.id.to_string())),
        os(session.map(|x| x.agent_id.to_string())),
        oi(session.map(|x| ts(x.started_at))),
        os(opt_s(c.team_id)),
        oi(ts_opt(c.ai_handoff_at)),
        V::Integer(ts(c.created_at)),
        V::Integer(ts(c.updated_at)),
        V::Integer(ts(c.last_activity_at)),
        oi(ts_opt(c.last_incoming_at)),
        os(c.last_message_preview.clone()),
        V::Integer(c.version),
    ]
}

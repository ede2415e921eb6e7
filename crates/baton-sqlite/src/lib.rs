//! Baton's [`Store`] on SQLite: WAL mode, one writer thread committing in
//! groups, a small read pool, migrations embedded and run at open.

mod agents;
mod checkpoint;
mod fts;
mod intern;
mod migrate;
mod notifications;
mod options;
#[cfg(test)]
mod plan;
mod readers;
mod reads;
mod routing;
mod rows;
mod seed;
mod tx;
mod views;
mod writer;

pub use options::SqliteOptions;

use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use readers::Readers;
use rows::{db_err, ts};
use rusqlite::{Connection, OpenFlags, params};
use std::any::Any;
use std::sync::{Arc, mpsc};
use tokio::sync::{broadcast, oneshot};
use writer::WriterMsg;

/// The SQLite store.
pub struct SqliteStore {
    writer: mpsc::Sender<WriterMsg>,
    sendable: Arc<baton_store::notifications::SendableSetting>,
    readers: Readers,
    wake: broadcast::Sender<Wakeup>,
    clock: Arc<dyn Clock>,
}

fn open_conn(opts: &SqliteOptions, read_only: bool) -> StoreResult<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI
    };
    let conn = Connection::open_with_flags(&opts.path, flags).map_err(db_err)?;
    let sync = if opts.synchronous_full { "FULL" } else { "NORMAL" };
    // Page caches are per connection: the writer keeps 16 MiB of hot pages,
    // each reader 4 MiB (the OS page cache holds the rest of the file), so
    // memory stays flat however large the workspace grows.
    let cache_kib = if read_only { 4_000 } else { 16_000 };
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync}; \
         PRAGMA cache_size = -{cache_kib}; PRAGMA temp_store = MEMORY;"
    ))
    .map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Open (creating if missing) the database at a `sqlite://` URL and run migrations.
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Arc<Self>> {
        let opts = SqliteOptions::from_url(url)?;
        Self::open_with(opts, clock).await
    }

    /// Open with explicit options.
    pub async fn open_with(opts: SqliteOptions, clock: Arc<dyn Clock>) -> StoreResult<Arc<Self>> {
        tokio::task::spawn_blocking(move || Self::open_blocking(opts, clock))
            .await
            .map_err(|e| StoreError::Database(format!("open task failed: {e}")))?
    }

    fn open_blocking(opts: SqliteOptions, clock: Arc<dyn Clock>) -> StoreResult<Arc<Self>> {
        if let Some(dir) = opts.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = open_conn(&opts, false)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database(format!(
                "could not enable WAL (journal_mode={mode})"
            )));
        }
        migrate::migrate(&mut conn)?;
        fts::install(&conn)?;
        // Checkpoints run on their own thread (see `checkpoint`); a WAL
        // that starts over keeps its file up to a little past the catch-up
        // threshold (the idle checkpoint truncates it).
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(db_err)?;
        let limit = checkpoint::journal_size_limit(opts.wal_catch_up_frames, page_size);
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {limit};"
        ))
        .map_err(db_err)?;
        let checkpoints = checkpoint::Checkpoints::start(open_conn(&opts, false)?, opts.wal_catch_up_frames)
            .map_err(|e| StoreError::Database(format!("cannot start checkpoint thread: {e}")))?;
        let readers = (0..opts.readers)
            .map(|_| open_conn(&opts, true))
            .collect::<StoreResult<Vec<_>>>()?;
        let (tx, rx) = mpsc::channel();
        let (wake, _) = broadcast::channel(1024);
        let thread_wake = wake.clone();
        let thread_clock = clock.clone();
        let sendable = Arc::new(baton_store::notifications::SendableSetting::default());
        let thread_sendable = sendable.clone();
        std::thread::Builder::new()
            .name("baton-sqlite-writer".into())
            .spawn(move || writer::run(conn, rx, thread_clock, thread_wake, thread_sendable, checkpoints))
            .map_err(|e| StoreError::Database(format!("cannot start writer thread: {e}")))?;
        Ok(Arc::new(SqliteStore {
            writer: tx,
            sendable,
            readers: Readers::new(readers),
            wake,
            clock,
        }))
    }

    async fn raw<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job = Box::new(move |c: &mut Connection| f(c).map(|v| Box::new(v) as Box<dyn Any + Send>));
        self.writer
            .send(WriterMsg::Raw(job, reply))
            .map_err(|_| closed())?;
        let out = rx.await.map_err(|_| closed())??;
        out.downcast::<T>()
            .map(|b| *b)
            .map_err(|_| StoreError::Database("unexpected result type".into()))
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.read(f).await
    }
}

fn closed() -> StoreError {
    StoreError::Database("the sqlite writer has stopped".into())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn subscribe(&self) -> broadcast::Receiver<Wakeup> {
        self.wake.subscribe()
    }

    fn set_sendable(&self, media: baton_store::notifications::Sendable) {
        self.sendable.set(media);
    }

    async fn write(&self, job: TxJob) -> StoreResult<Box<dyn Any + Send>> {
        let (reply, rx) = oneshot::channel();
        self.writer
            .send(WriterMsg::Job(job, reply))
            .map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        self.read(move |c| reads::workspace(c, id)?.ok_or(StoreError::not_found("workspace")))
            .await
    }

    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> StoreResult<User> {
        self.read(move |c| reads::user(c, ws, id)?.ok_or(StoreError::not_found("user")))
            .await
    }

    async fn list_users(&self, ws: WorkspaceId, page: &PageRequest) -> StoreResult<Page<User>> {
        let page = page.clone();
        self.read(move |c| reads::list_users(c, ws, &page)).await
    }

    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let email = email.clone();
        self.read(move |c| reads::credentials(c, &email)).await
    }

    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()> {
        let hash = hash.to_string();
        self.raw(move |c| {
            let n = c
                .execute(
                    "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                    params![user.to_string(), hash],
                )
                .map_err(db_err)?;
            if n == 1 {
                Ok(())
            } else {
                Err(StoreError::not_found("user"))
            }
        })
        .await
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let h = token_hash.to_string();
        self.read(move |c| reads::user_by_token(c, &h)).await
    }

    async fn create_web_session(
        &self,
        user: UserId,
        session_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let h = session_hash.to_string();
        let now = self.clock.now();
        self.raw(move |c| {
            c.execute(
                "INSERT INTO web_sessions (session_hash, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![h, user.to_string(), ts(expires_at), ts(now)],
            )
            .map_err(db_err)?;
            // Sweep expired sessions while we hold the writer anyway.
            c.execute("DELETE FROM web_sessions WHERE expires_at < ?1", params![ts(now)]).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn user_by_web_session(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
        let h = session_hash.to_string();
        self.read(move |c| reads::user_by_session(c, &h, now)).await
    }

    async fn delete_web_session(&self, session_hash: &str) -> StoreResult<()> {
        let h = session_hash.to_string();
        self.raw(move |c| {
            c.execute("DELETE FROM web_sessions WHERE session_hash = ?1", [h])
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn get_team(&self, ws: WorkspaceId, id: TeamId) -> StoreResult<Team> {
        self.read(move |c| reads::team(c, ws, id)?.ok_or(StoreError::not_found("team")))
            .await
    }

    async fn list_teams(&self, ws: WorkspaceId) -> StoreResult<Vec<Team>> {
        self.read(move |c| reads::list_teams(c, ws)).await
    }

    async fn get_agent(&self, ws: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
        self.read(move |c| reads::agent(c, ws, id)?.ok_or(StoreError::not_found("agent")))
            .await
    }

    async fn list_agents(&self, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
        self.read(move |c| reads::list_agents(c, ws)).await
    }

    async fn get_channel(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<Channel> {
        self.read(move |c| reads::channel(c, ws, id)?.ok_or(StoreError::not_found("channel")))
            .await
    }

    async fn list_channels(&self, ws: WorkspaceId) -> StoreResult<Vec<Channel>> {
        self.read(move |c| reads::list_channels(c, ws)).await
    }

    async fn get_contact(&self, ws: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
        self.read(move |c| reads::contact(c, ws, id)?.ok_or(StoreError::not_found("contact")))
            .await
    }

    async fn list_contacts(
        &self,
        ws: WorkspaceId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Contact>> {
        let (q, page) = (q.map(str::to_string), page.clone());
        self.read(move |c| reads::list_contacts(c, ws, q.as_deref(), &page))
            .await
    }

    async fn get_conversation(
        &self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> StoreResult<ConversationView> {
        self.read(move |c| {
            reads::conversation_view(c, ws, viewer, id)?.ok_or(StoreError::not_found("conversation"))
        })
        .await
    }

    async fn list_conversations(
        &self,
        ws: WorkspaceId,
        viewer: UserId,
        filter: &ViewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<ConversationView>> {
        let (filter, page) = (filter.clone(), page.clone());
        self.read(move |c| views::list(c, ws, viewer, &filter, &page))
            .await
    }

    async fn view_counts(&self, ws: WorkspaceId, viewer: UserId) -> StoreResult<ViewCounts> {
        self.read(move |c| views::counts(c, ws, viewer)).await
    }

    async fn list_messages(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Message>> {
        let page = page.clone();
        self.read(move |c| reads::list_messages(c, ws, conversation, &page))
            .await
    }

    async fn timeline(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>> {
        let page = page.clone();
        self.read(move |c| reads::timeline(c, ws, conversation, &page))
            .await
    }

    async fn list_sessions(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<SessionRecord>> {
        self.read(move |c| reads::list_sessions(c, ws, conversation))
            .await
    }

    async fn audit(
        &self,
        ws: WorkspaceId,
        kind: Option<EventKind>,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>> {
        let page = page.clone();
        self.read(move |c| reads::audit(c, ws, kind, &page)).await
    }

    async fn events_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        self.read(move |c| reads::events_after(c, ws, after, limit)).await
    }

    async fn events_after_of(
        &self,
        ws: WorkspaceId,
        after: i64,
        kinds: &[EventKind],
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        let kinds: Vec<&'static str> = kinds.iter().map(|k| k.as_str()).collect();
        self.read(move |c| reads::events_after_of(c, ws, after, &kinds, limit))
            .await
    }

    async fn latest_seq(&self, ws: WorkspaceId) -> StoreResult<i64> {
        self.read(move |c| reads::latest_seq(c, ws)).await
    }

    // The list and the header counter are read on every page and after live
    // events: they go to the read pool, not the writer.
    async fn list_notifications(
        &self,
        ws: WorkspaceId,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<(Page<baton_store::notifications::Notification>, i64)> {
        let before = page.time_cursor()?;
        let limit = page.limit();
        self.read(move |c| {
            let rows = notifications::notifications(c, ws, user, before, limit + 1)?;
            let unread = notifications::unread_count(c, ws, user)?;
            let page = Page::from_overfetch(rows, limit, |n| encode_time_cursor(n.created_at, n.id.0));
            Ok((page, unread))
        })
        .await
    }

    async fn unread_notifications(&self, ws: WorkspaceId, user: UserId) -> StoreResult<i64> {
        self.read(move |c| notifications::unread_count(c, ws, user)).await
    }

    async fn seed_conversations(&self, ws: WorkspaceId, spec: SeedSpec) -> StoreResult<u64> {
        let now = self.clock.now();
        let run = seed::run_tag();
        let mut n = 0;
        while n < spec.conversations {
            let (spec, run) = (spec.clone(), run.clone());
            let range = n..(n + seed::PER_JOB).min(spec.conversations);
            n += self
                .raw(move |c| seed::seed(c, ws, &spec, now, &run, range))
                .await?;
        }
        self.raw(move |c| seed::refresh_open_counts(c, ws)).await?;
        if let Ok(seq) = self.latest_seq(ws).await {
            // Seeded events are not checked one by one.
            let _ = self.wake.send(Wakeup {
                workspace_id: ws,
                seq,
                agents: true,
            });
        }
        Ok(n)
    }
}

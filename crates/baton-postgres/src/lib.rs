//! Baton's [`Store`] on PostgreSQL: a small sqlx pool, READ COMMITTED write
//! transactions with row locks in a fixed order (see `tx.rs`), migrations
//! embedded and run at start-up, and LISTEN/NOTIFY as a cross-node wake-up.

mod agents;
mod behind;
mod held;
mod listen;
mod migrate;
mod notifications;
mod options;
mod reads;
mod routing;
mod rows;
mod seed;
mod timers;
mod tx;
mod views;

pub use options::{DEFAULT_MAX_CONNECTIONS, PgOptions};

use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use rows::db_err;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use std::any::Any;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tx::PgTx;
use uuid::Uuid;

/// The PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
    wake: broadcast::Sender<Wakeup>,
    clock: Arc<dyn Clock>,
    /// This process's id in NOTIFY payloads, so it skips its own.
    node: Uuid,
    listener: JoinHandle<()>,
    /// The routing rules this node read last (see `tx.rs`).
    rules: tx::RulesCache,
    /// The delivery media this deployment can send.
    sendable: baton_store::notifications::SendableSetting,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connect to a `postgres://` URL, run migrations and start listening for
    /// other nodes' commits.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> StoreResult<Arc<Self>> {
        Self::connect_with(PgOptions::new(url), clock).await
    }

    /// Like [`PgStore::connect`], with every table in `schema` (created if
    /// missing): one database can hold many isolated stores (tests, tenants).
    pub async fn connect_with_schema(
        url: &str,
        schema: &str,
        clock: Arc<dyn Clock>,
    ) -> StoreResult<Arc<Self>> {
        Self::connect_with(PgOptions::new(url).with_schema(schema), clock).await
    }

    /// Connect with explicit options.
    pub async fn connect_with(opts: PgOptions, clock: Arc<dyn Clock>) -> StoreResult<Arc<Self>> {
        let connect = opts.connect_options()?;
        if let Some(schema) = &opts.schema {
            create_schema(
                &PgOptions {
                    schema: None,
                    ..opts.clone()
                }
                .connect_options()?,
                schema,
            )
            .await?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect.clone())
            .await
            .map_err(|e| StoreError::Database(format!("cannot connect to postgres: {e}")))?;
        {
            let mut conn = pool.acquire().await.map_err(db_err)?;
            migrate::migrate(&mut conn).await?;
        }
        let (wake, _) = broadcast::channel(1024);
        let node = Uuid::now_v7();
        let (listener, ready) = listen::spawn(connect, wake.clone(), node);
        // Be listening before the first commit of ours that someone may await
        // elsewhere; if the listener cannot start, carry on: it keeps retrying
        // and in-process wake-ups work regardless.
        if tokio::time::timeout(Duration::from_secs(10), ready)
            .await
            .is_err()
        {
            tracing::warn!("postgres listener not ready yet; cross-node wake-ups start when it is");
        }
        Ok(Arc::new(PgStore {
            pool,
            wake,
            clock,
            node,
            listener,
            rules: Default::default(),
            sendable: Default::default(),
        }))
    }

    /// The connection pool (for health checks and tools).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn conn(&self) -> StoreResult<PoolConnection<Postgres>> {
        self.pool.acquire().await.map_err(db_err)
    }
}

async fn create_schema(opts: &PgConnectOptions, schema: &str) -> StoreResult<()> {
    let schema = options::check_schema(schema)?;
    let mut conn = PgConnection::connect_with(opts)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to postgres: {e}")))?;
    let out = sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    match out {
        Ok(_) => Ok(()),
        // Two nodes creating it at once: the loser sees a duplicate, which is fine.
        Err(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("23505" | "42P06")) => Ok(()),
        Err(e) => Err(db_err(e)),
    }
}

/// Drop a schema and everything in it (test clean-up).
pub async fn drop_schema(url: &str, schema: &str) -> StoreResult<()> {
    let schema = options::check_schema(schema)?;
    let opts = PgOptions::new(url).connect_options()?;
    let mut conn = PgConnection::connect_with(&opts)
        .await
        .map_err(|e| StoreError::Database(format!("cannot connect to postgres: {e}")))?;
    let out = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(db_err);
    let _ = conn.close().await;
    out
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn subscribe(&self) -> broadcast::Receiver<Wakeup> {
        self.wake.subscribe()
    }

    fn set_sendable(&self, media: baton_store::notifications::Sendable) {
        self.sendable.set(media);
    }

    async fn write(&self, mut job: TxJob) -> StoreResult<Box<dyn Any + Send>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let mut ptx = PgTx::new(&mut tx, self.clock.now(), &self.rules, self.sendable.get());
        let result = match job.run(&mut ptx).await {
            // The job's events are written now, with the NOTIFY for other
            // nodes (delivered only if the commit succeeds).
            Ok(v) => ptx.finish(self.node).await.map(|wakes| (v, wakes)),
            Err(e) => Err(e),
        };
        drop(ptx);
        match result {
            Ok((v, wakes)) => {
                tx.commit().await.map_err(db_err)?;
                for w in wakes {
                    let _ = self.wake.send(w);
                }
                Ok(v)
            }
            Err(e) => {
                // A failed statement has aborted the transaction anyway; if
                // the rollback itself fails the connection is discarded.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        reads::workspace(&mut *self.conn().await?, id)
            .await?
            .ok_or(StoreError::not_found("workspace"))
    }

    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> StoreResult<User> {
        reads::user(&mut *self.conn().await?, ws, id)
            .await?
            .ok_or(StoreError::not_found("user"))
    }

    async fn list_users(&self, ws: WorkspaceId, page: &PageRequest) -> StoreResult<Page<User>> {
        reads::list_users(&mut *self.conn().await?, ws, page).await
    }

    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        reads::credentials(&mut *self.conn().await?, email).await
    }

    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.0)
            .bind(hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::not_found("user"))
        }
    }

    async fn user_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<User>> {
        reads::user_by_token(&mut *self.conn().await?, token_hash).await
    }

    async fn create_web_session(
        &self,
        user: UserId,
        session_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        let mut c = self.conn().await?;
        sqlx::query(
            "INSERT INTO web_sessions (session_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(session_hash)
        .bind(user.0)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
        // Sweep expired sessions now and then, as a side effect of signing in.
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn user_by_web_session(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
        reads::user_by_session(&mut *self.conn().await?, session_hash, now).await
    }

    async fn delete_web_session(&self, session_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE session_hash = $1")
            .bind(session_hash)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_err)
    }

    async fn get_team(&self, ws: WorkspaceId, id: TeamId) -> StoreResult<Team> {
        reads::team(&mut *self.conn().await?, ws, id)
            .await?
            .ok_or(StoreError::not_found("team"))
    }

    async fn list_teams(&self, ws: WorkspaceId) -> StoreResult<Vec<Team>> {
        reads::list_teams(&mut *self.conn().await?, ws).await
    }

    async fn get_agent(&self, ws: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
        reads::agent(&mut *self.conn().await?, ws, id)
            .await?
            .ok_or(StoreError::not_found("agent"))
    }

    async fn list_agents(&self, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
        reads::list_agents(&mut *self.conn().await?, ws).await
    }

    async fn get_channel(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<Channel> {
        reads::channel(&mut *self.conn().await?, ws, id)
            .await?
            .ok_or(StoreError::not_found("channel"))
    }

    async fn list_channels(&self, ws: WorkspaceId) -> StoreResult<Vec<Channel>> {
        reads::list_channels(&mut *self.conn().await?, ws).await
    }

    async fn get_contact(&self, ws: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
        reads::contact(&mut *self.conn().await?, ws, id)
            .await?
            .ok_or(StoreError::not_found("contact"))
    }

    async fn list_contacts(
        &self,
        ws: WorkspaceId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Contact>> {
        reads::list_contacts(&mut *self.conn().await?, ws, q, page).await
    }

    async fn get_conversation(
        &self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> StoreResult<ConversationView> {
        reads::conversation_view(&mut *self.conn().await?, ws, viewer, id)
            .await?
            .ok_or(StoreError::not_found("conversation"))
    }

    async fn list_conversations(
        &self,
        ws: WorkspaceId,
        viewer: UserId,
        filter: &ViewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<ConversationView>> {
        views::list(&mut *self.conn().await?, ws, viewer, filter, page).await
    }

    async fn view_counts(&self, ws: WorkspaceId, viewer: UserId) -> StoreResult<ViewCounts> {
        views::counts(&mut *self.conn().await?, ws, viewer).await
    }

    async fn list_messages(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Message>> {
        reads::list_messages(&mut *self.conn().await?, ws, conversation, page).await
    }

    async fn timeline(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>> {
        reads::timeline(&mut *self.conn().await?, ws, conversation, page).await
    }

    async fn list_sessions(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<SessionRecord>> {
        reads::list_sessions(&mut *self.conn().await?, ws, conversation).await
    }

    async fn audit(
        &self,
        ws: WorkspaceId,
        kind: Option<EventKind>,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>> {
        reads::audit(&mut *self.conn().await?, ws, kind, page).await
    }

    async fn events_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        reads::events_after(&mut *self.conn().await?, ws, after, limit).await
    }

    async fn events_after_of(
        &self,
        ws: WorkspaceId,
        after: i64,
        kinds: &[EventKind],
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        reads::events_after_of(&mut *self.conn().await?, ws, after, kinds, limit).await
    }

    async fn latest_seq(&self, ws: WorkspaceId) -> StoreResult<i64> {
        reads::latest_seq(&mut *self.conn().await?, ws).await
    }

    // Read on every page and after live events: outside any write transaction.
    async fn list_notifications(
        &self,
        ws: WorkspaceId,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<(Page<baton_store::notifications::Notification>, i64)> {
        let before = page.time_cursor()?;
        let limit = page.limit();
        let mut c = self.conn().await?;
        let rows = notifications::notifications(&mut c, ws, user, before, limit + 1).await?;
        let unread = notifications::unread_count(&mut c, ws, user).await?;
        let page = Page::from_overfetch(rows, limit, |n| encode_time_cursor(n.created_at, n.id.0));
        Ok((page, unread))
    }

    async fn unread_notifications(&self, ws: WorkspaceId, user: UserId) -> StoreResult<i64> {
        notifications::unread_count(&mut *self.conn().await?, ws, user).await
    }

    async fn seed_conversations(&self, ws: WorkspaceId, spec: SeedSpec) -> StoreResult<u64> {
        let (n, wake) = seed::seed(&self.pool, ws, &spec, self.clock.now(), self.node).await?;
        if let Some(w) = wake {
            let _ = self.wake.send(w);
        }
        Ok(n)
    }
}

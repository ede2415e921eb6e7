//! The `Store` trait — Baton's persistence at use-case granularity — and the
//! conformance suite that every backend must pass.
//!
//! Each state-changing method runs in one write transaction that loads the
//! state, asks `baton_core` to decide, writes the new state and appends the
//! events. After commit the backend publishes a [`Wakeup`].

pub mod agents;
pub mod conformance;
pub mod cursor;
pub mod error;
pub mod notifications;
pub mod ops;
pub mod routing;
pub mod tx;
pub mod types;

pub use agents::{AgentCommit, AgentTurn, Article, ArticlePatch, Draft};
pub use cursor::{Page, PageRequest, encode_time_cursor};
pub use error::{StoreError, StoreResult};
pub use tx::WriteTx;
pub use types::*;

use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::*;
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::broadcast;

/// The future a write job returns, borrowing the transaction.
pub type TxFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;
/// A type-erased unit of work run inside one write transaction.
///
/// Most jobs run once. A *repeatable* job may be run again after the writes
/// of its first run were rolled back, and gives the same answer from the same
/// state: the SQLite writer runs a group's repeatable jobs without any
/// savepoint and, if one fails after writing, rolls the transaction back and
/// runs the others again (see `baton-sqlite`'s writer). Only the result of
/// the run that commits is returned.
pub struct TxJob {
    run: ErasedJob,
    repeatable: bool,
}

/// A job with its result type erased.
type ErasedJob = Box<dyn for<'a> FnMut(&'a mut dyn WriteTx) -> TxFuture<'a, Box<dyn Any + Send>> + Send>;

fn erase<T: Send + 'static>(fut: TxFuture<'_, T>) -> TxFuture<'_, Box<dyn Any + Send>> {
    Box::pin(async move { fut.await.map(|v| Box::new(v) as Box<dyn Any + Send>) })
}

impl TxJob {
    /// Work that runs once.
    pub fn once<T, F>(f: F) -> TxJob
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut dyn WriteTx) -> TxFuture<'a, T> + Send + 'static,
    {
        let mut f = Some(f);
        let run: ErasedJob = Box::new(move |tx| match f.take() {
            Some(f) => erase(f(tx)),
            None => Box::pin(async {
                Err(StoreError::Database(
                    "a write job that runs once ran twice".into(),
                ))
            }),
        });
        TxJob {
            run,
            repeatable: false,
        }
    }

    /// Work that may run again from the same state (see [`TxJob`]).
    pub fn repeatable<T, F>(mut f: F) -> TxJob
    where
        T: Send + 'static,
        F: for<'a> FnMut(&'a mut dyn WriteTx) -> TxFuture<'a, T> + Send + 'static,
    {
        let run: ErasedJob = Box::new(move |tx| erase(f(tx)));
        TxJob {
            run,
            repeatable: true,
        }
    }

    /// May this job run again?
    pub fn is_repeatable(&self) -> bool {
        self.repeatable
    }

    /// Run the job on `tx`.
    pub fn run<'a>(&mut self, tx: &'a mut dyn WriteTx) -> TxFuture<'a, Box<dyn Any + Send>> {
        (self.run)(tx)
    }
}

/// Run `f` in one write transaction of `store` and return its typed result.
pub async fn in_tx<S, T, F>(store: &S, f: F) -> StoreResult<T>
where
    S: Store + ?Sized,
    T: Send + 'static,
    F: for<'a> FnOnce(&'a mut dyn WriteTx) -> TxFuture<'a, T> + Send + 'static,
{
    typed(store.write(TxJob::once(f)).await?)
}

/// [`in_tx`] for a repeatable job (see [`TxJob`]): `f` clones what it
/// needs on every call.
pub async fn in_tx_repeatable<S, T, F>(store: &S, f: F) -> StoreResult<T>
where
    S: Store + ?Sized,
    T: Send + 'static,
    F: for<'a> FnMut(&'a mut dyn WriteTx) -> TxFuture<'a, T> + Send + 'static,
{
    typed(store.write(TxJob::repeatable(f)).await?)
}

/// The repeatable job of an inbound message; `answer` turns its outcome
/// into what the caller gets, inside the job (so what it drops is freed
/// on the thread that built it).
fn inbound_job<T: Send + 'static>(
    ws: WorkspaceId,
    channel: ChannelId,
    contact: ContactInput,
    body: &str,
    viewer: Option<UserId>,
    answer: fn(InboundOutcome) -> T,
) -> TxJob {
    let body = body.to_string();
    TxJob::repeatable(move |tx| {
        let (contact, body) = (contact.clone(), body.clone());
        Box::pin(async move {
            Ok(answer(
                ops::inbound(tx, ws, channel, contact, &body, viewer).await?,
            ))
        })
    })
}

fn typed<T: 'static>(out: Box<dyn Any + Send>) -> StoreResult<T> {
    out.downcast::<T>()
        .map(|b| *b)
        .map_err(|_| StoreError::Database("write job returned an unexpected type".into()))
}

/// Baton's persistence. Every workspace-scoped method takes the caller's
/// workspace; an id from another workspace answers `not_found`.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Backend name (`sqlite` or `postgres`).
    fn backend(&self) -> &'static str;

    /// Subscribe to commit wake-ups (in-process; PostgreSQL also relays other nodes').
    fn subscribe(&self) -> broadcast::Receiver<Wakeup>;

    /// Tell the store which delivery media this deployment can send: from
    /// then on, notifications queue deliveries for those only.
    fn set_sendable(&self, media: notifications::Sendable);

    /// Run a job in one write transaction: commit if it returns `Ok`, roll back
    /// otherwise; after a commit that appended events, publish a [`Wakeup`].
    async fn write(&self, job: TxJob) -> StoreResult<Box<dyn Any + Send>>;

    // --- workspaces and users -------------------------------------------------

    /// Find a workspace by name, or create it (CLI bootstrap).
    async fn ensure_workspace(&self, name: &str) -> StoreResult<Workspace> {
        let name = name.to_string();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::ensure_workspace(tx, &name).await })
        })
        .await
    }
    /// A workspace by name, if it exists (runs as a short write job so no
    /// backend needs its own query for this rare CLI lookup).
    async fn find_workspace(&self, name: &str) -> StoreResult<Option<Workspace>> {
        let name = name.trim().to_string();
        in_tx(self, move |tx| {
            Box::pin(async move { tx.workspace_by_name(&name).await })
        })
        .await
    }
    /// A workspace by id.
    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    /// Add a user. `actor` must be allowed to manage users (System for the CLI).
    async fn create_user(&self, ws: WorkspaceId, actor: &Actor, new: NewUser) -> StoreResult<User> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_user(tx, ws, &actor, new).await })
        })
        .await
    }
    /// One user.
    async fn get_user(&self, ws: WorkspaceId, id: UserId) -> StoreResult<User>;
    /// Users, oldest first.
    async fn list_users(&self, ws: WorkspaceId, page: &PageRequest) -> StoreResult<Page<User>>;
    /// Change a user (role, active, availability, capacity, name).
    async fn update_user(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: UserId,
        patch: UserPatch,
    ) -> StoreResult<User> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::update_user(tx, ws, &actor, id, patch).await })
        })
        .await
    }
    /// A user and password hash by email, across workspaces (sign-in).
    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<Credentials>>;
    /// Set a user's password hash.
    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()>;

    // --- tokens and web sessions -----------------------------------------------

    /// Store a new API token's hash for a user.
    async fn create_token(
        &self,
        ws: WorkspaceId,
        user: UserId,
        token_hash: &str,
        name: &str,
    ) -> StoreResult<TokenId> {
        let (hash, name) = (token_hash.to_string(), name.to_string());
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_token(tx, ws, user, &hash, &name).await })
        })
        .await
    }
    /// The active user owning a token hash, if any.
    async fn user_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<User>>;
    /// Store a web session's hash.
    async fn create_web_session(
        &self,
        user: UserId,
        session_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The active user owning an unexpired web session hash.
    async fn user_by_web_session(&self, session_hash: &str, now: Timestamp) -> StoreResult<Option<User>>;
    /// Delete a web session (sign out).
    async fn delete_web_session(&self, session_hash: &str) -> StoreResult<()>;

    // --- teams, agents, channels, contacts --------------------------------------

    /// Create a team.
    async fn create_team(&self, ws: WorkspaceId, actor: &Actor, name: &str) -> StoreResult<Team> {
        let (actor, name) = (actor.clone(), name.to_string());
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_team(tx, ws, &actor, &name).await })
        })
        .await
    }
    /// One team with its members.
    async fn get_team(&self, ws: WorkspaceId, id: TeamId) -> StoreResult<Team>;
    /// All teams, by name.
    async fn list_teams(&self, ws: WorkspaceId) -> StoreResult<Vec<Team>>;
    /// Add a member (idempotent).
    async fn add_team_member(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        team: TeamId,
        user: UserId,
    ) -> StoreResult<Team> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::set_team_member(tx, ws, &actor, team, user, true).await })
        })
        .await
    }
    /// Remove a member (idempotent).
    async fn remove_team_member(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        team: TeamId,
        user: UserId,
    ) -> StoreResult<Team> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::set_team_member(tx, ws, &actor, team, user, false).await })
        })
        .await
    }

    /// Configure an AI agent.
    async fn create_agent(&self, ws: WorkspaceId, actor: &Actor, new: NewAgent) -> StoreResult<Agent> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_agent(tx, ws, &actor, new).await })
        })
        .await
    }
    /// One agent.
    async fn get_agent(&self, ws: WorkspaceId, id: AgentId) -> StoreResult<Agent>;
    /// All agents.
    async fn list_agents(&self, ws: WorkspaceId) -> StoreResult<Vec<Agent>>;
    /// Change an agent.
    async fn update_agent(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: AgentId,
        patch: AgentPatch,
    ) -> StoreResult<Agent> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::update_agent(tx, ws, &actor, id, patch).await })
        })
        .await
    }

    /// Create a channel.
    async fn create_channel(&self, ws: WorkspaceId, actor: &Actor, new: NewChannel) -> StoreResult<Channel> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_channel(tx, ws, &actor, new).await })
        })
        .await
    }
    /// Change a channel's name, autopilot agent or reply mode (admins).
    async fn update_channel(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: ChannelId,
        patch: ChannelPatch,
    ) -> StoreResult<Channel> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::update_channel(tx, ws, &actor, id, patch).await })
        })
        .await
    }
    /// One channel.
    async fn get_channel(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<Channel>;
    /// All channels.
    async fn list_channels(&self, ws: WorkspaceId) -> StoreResult<Vec<Channel>>;

    /// Create a contact; a handle already in use is a conflict.
    async fn create_contact(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        input: ContactInput,
    ) -> StoreResult<Contact> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::create_contact(tx, ws, &actor, input).await })
        })
        .await
    }
    /// One contact.
    async fn get_contact(&self, ws: WorkspaceId, id: ContactId) -> StoreResult<Contact>;
    /// Contacts, newest first; `q` matches name, email, phone or external id.
    async fn list_contacts(
        &self,
        ws: WorkspaceId,
        q: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Contact>>;
    /// Change a contact.
    async fn update_contact(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: ContactId,
        patch: ContactPatch,
    ) -> StoreResult<Contact> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { ops::update_contact(tx, ws, &actor, id, patch).await })
        })
        .await
    }

    // --- conversations ------------------------------------------------------------

    /// An inbound message: find or create the contact, join their open (or
    /// pending/snoozed) conversation on the channel, or reopen the latest closed
    /// one, or start a new one; then add the message. One transaction.
    async fn inbound(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactInput,
        body: &str,
    ) -> StoreResult<InboundOutcome> {
        self.inbound_as(ws, channel, contact, body, None).await
    }

    /// [`Store::inbound`], with the outcome's view as `viewer` sees it (their
    /// unread state), so an API caller is answered without a second read.
    async fn inbound_as(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactInput,
        body: &str,
        viewer: Option<UserId>,
    ) -> StoreResult<InboundOutcome> {
        typed(
            self.write(inbound_job(ws, channel, contact, body, viewer, |out| out))
                .await?,
        )
    }

    /// [`Store::inbound_as`] for a caller that answers with the conversation
    /// only (the inbound API). The outcome's events and message are dropped
    /// inside the job, where they were built: a routed message's events hold
    /// a few hundred small JSON values, and freeing them on the caller's
    /// thread cost it about a sixth of its time under routed load.
    async fn inbound_view(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactInput,
        body: &str,
        viewer: Option<UserId>,
    ) -> StoreResult<InboundView> {
        let answer = |out: InboundOutcome| InboundView {
            view: out.view,
            created: out.created,
        };
        typed(
            self.write(inbound_job(ws, channel, contact, body, viewer, answer))
                .await?,
        )
    }

    /// Decide and apply one command on a conversation, in one transaction.
    /// `viewer` is the user whose read state the returned view shows.
    async fn apply(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        conversation: ConversationId,
        command: Command,
        reason: Option<String>,
    ) -> StoreResult<CommandOutcome> {
        let actor = actor.clone();
        in_tx_repeatable(self, move |tx| {
            let (actor, command, reason) = (actor.clone(), command.clone(), reason.clone());
            Box::pin(async move { ops::apply(tx, ws, &actor, conversation, &command, reason).await })
        })
        .await
    }

    /// One conversation as `viewer` sees it.
    async fn get_conversation(
        &self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> StoreResult<ConversationView>;

    /// A list view, newest activity first, keyset-paged.
    async fn list_conversations(
        &self,
        ws: WorkspaceId,
        viewer: UserId,
        filter: &ViewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<ConversationView>>;

    /// Counts of open conversations per view for `viewer`.
    async fn view_counts(&self, ws: WorkspaceId, viewer: UserId) -> StoreResult<ViewCounts>;

    /// Messages and notes, oldest first.
    async fn list_messages(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Message>>;

    /// The conversation's events, oldest first.
    async fn timeline(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>>;

    /// Agent sessions of a conversation, oldest first.
    async fn list_sessions(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<SessionRecord>>;

    // --- routing ----------------------------------------------------------------

    /// The routing rules in order.
    async fn list_rules(&self, ws: WorkspaceId) -> StoreResult<Vec<baton_core::routing::RoutingRule>> {
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::list_rules(tx, ws).await })
        })
        .await
    }

    /// Create a routing rule (admins).
    async fn create_rule(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        input: RuleInput,
    ) -> StoreResult<baton_core::routing::RoutingRule> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::create_rule(tx, ws, &actor, input).await })
        })
        .await
    }

    /// Replace a routing rule, possibly moving it (admins).
    async fn replace_rule(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: RuleId,
        input: RuleInput,
    ) -> StoreResult<baton_core::routing::RoutingRule> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::replace_rule(tx, ws, &actor, id, input).await })
        })
        .await
    }

    /// Delete a routing rule (admins).
    async fn delete_rule(&self, ws: WorkspaceId, actor: &Actor, id: RuleId) -> StoreResult<()> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::delete_rule(tx, ws, &actor, id).await })
        })
        .await
    }

    /// Who would get a hypothetical inbound message, and why (admins; writes nothing).
    async fn dry_run_routing(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        probe: RoutingProbe,
    ) -> StoreResult<baton_core::routing::Routed> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::dry_run(tx, ws, &actor, probe).await })
        })
        .await
    }

    /// The workspace's business hours.
    async fn business_hours(
        &self,
        ws: WorkspaceId,
    ) -> StoreResult<Option<baton_core::routing::BusinessHours>> {
        in_tx(self, move |tx| {
            Box::pin(async move { tx.business_hours(ws).await })
        })
        .await
    }

    /// Set or clear the workspace's business hours (admins).
    async fn set_business_hours(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        hours: Option<baton_core::routing::BusinessHours>,
    ) -> StoreResult<Option<baton_core::routing::BusinessHours>> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::set_business_hours(tx, ws, &actor, hours).await })
        })
        .await
    }

    /// A team's routing settings (timers, queue mode).
    async fn team_settings(
        &self,
        ws: WorkspaceId,
        team: TeamId,
    ) -> StoreResult<baton_core::routing::TeamSettings> {
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::team_settings(tx, ws, team).await })
        })
        .await
    }

    /// Change a team's routing settings (admins).
    async fn set_team_settings(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        team: TeamId,
        settings: baton_core::routing::TeamSettings,
    ) -> StoreResult<baton_core::routing::TeamSettings> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::set_team_settings(tx, ws, &actor, team, settings).await })
        })
        .await
    }

    /// Fire the reply timers due at `now` (called periodically by the server;
    /// tests pass a time of their choosing). Returns how many conversations moved.
    async fn run_timers(&self, now: Timestamp) -> StoreResult<u32> {
        in_tx(self, move |tx| {
            Box::pin(async move { crate::routing::run_reply_timers(tx, now).await })
        })
        .await
    }

    // --- notifications and webhooks -------------------------------------------------

    /// The caller's in-app notifications, newest first, and their unread count.
    async fn list_notifications(
        &self,
        ws: WorkspaceId,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<(Page<notifications::Notification>, i64)> {
        let before = page.time_cursor()?;
        let limit = page.limit();
        in_tx(self, move |tx| {
            Box::pin(async move {
                let rows = tx.notifications(ws, user, before, limit + 1).await?;
                let unread = tx.unread_notification_count(ws, user).await?;
                let page = Page::from_overfetch(rows, limit, |n| encode_time_cursor(n.created_at, n.id.0));
                Ok((page, unread))
            })
        })
        .await
    }
    /// How many in-app notifications the user has not read.
    async fn unread_notifications(&self, ws: WorkspaceId, user: UserId) -> StoreResult<i64> {
        in_tx(self, move |tx| {
            Box::pin(async move { tx.unread_notification_count(ws, user).await })
        })
        .await
    }
    /// Mark one of the caller's notifications read.
    async fn mark_notification_read(
        &self,
        ws: WorkspaceId,
        user: UserId,
        id: NotificationId,
    ) -> StoreResult<notifications::Notification> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::mark_read(tx, ws, user, id).await })
        })
        .await
    }
    /// A user's notification preferences, defaults filled in.
    async fn notification_preferences(&self, user: UserId) -> StoreResult<baton_core::notify::Preferences> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::preferences(tx, user).await })
        })
        .await
    }
    /// Replace a user's notification preferences.
    async fn set_notification_preferences(
        &self,
        user: UserId,
        prefs: baton_core::notify::Preferences,
    ) -> StoreResult<baton_core::notify::Preferences> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::set_preferences(tx, user, prefs).await })
        })
        .await
    }
    /// Lease due deliveries of `targets` (see [`notifications::claim`]).
    async fn claim_deliveries(
        &self,
        targets: &'static [&'static str],
        now: Timestamp,
        lease_secs: i64,
        limit: u32,
    ) -> StoreResult<Vec<notifications::Delivery>> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::claim(tx, targets, now, lease_secs, limit).await })
        })
        .await
    }
    /// Record an attempt's result (see [`notifications::finish`]).
    async fn finish_delivery(
        &self,
        claimed: notifications::Delivery,
        now: Timestamp,
        result: notifications::AttemptResult,
    ) -> StoreResult<bool> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::finish(tx, &claimed, now, result).await })
        })
        .await
    }
    /// A workspace's deliveries, newest first (admins), optionally of one status.
    async fn list_deliveries(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        status: Option<String>,
        webhook: Option<WebhookId>,
        limit: u32,
    ) -> StoreResult<Vec<notifications::Delivery>> {
        if let Actor::User { role, .. } = actor
            && !role.allows(Action::Manage)
        {
            return Err(DomainError::forbidden(Action::Manage).into());
        }
        in_tx(self, move |tx| {
            Box::pin(async move { tx.deliveries(ws, status.as_deref(), webhook, limit).await })
        })
        .await
    }
    /// Subscribe a URL to events (admins).
    async fn create_webhook(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        new: notifications::NewWebhook,
    ) -> StoreResult<notifications::Webhook> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::create_webhook(tx, ws, &actor, new).await })
        })
        .await
    }
    /// A workspace's subscriptions (admins).
    async fn list_webhooks(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
    ) -> StoreResult<Vec<notifications::Webhook>> {
        if let Actor::User { role, .. } = actor
            && !role.allows(Action::Manage)
        {
            return Err(DomainError::forbidden(Action::Manage).into());
        }
        in_tx(self, move |tx| Box::pin(async move { tx.webhooks(ws).await })).await
    }
    /// Delete a subscription (admins).
    async fn delete_webhook(&self, ws: WorkspaceId, actor: &Actor, id: WebhookId) -> StoreResult<()> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::delete_webhook(tx, ws, &actor, id).await })
        })
        .await
    }
    /// Turn new events into webhook deliveries (see [`notifications::feed_webhooks`]).
    async fn feed_webhooks(&self) -> StoreResult<u32> {
        in_tx(self, move |tx| {
            Box::pin(async move { notifications::feed_webhooks(tx, 500).await })
        })
        .await
    }

    // --- the event log ------------------------------------------------------------

    /// The workspace's events, newest first (the audit log); `kind` filters.
    async fn audit(
        &self,
        ws: WorkspaceId,
        kind: Option<EventKind>,
        page: &PageRequest,
    ) -> StoreResult<Page<Event>>;
    /// Events with `seq > after`, oldest first, at most `limit`.
    async fn events_after(&self, ws: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<Event>>;

    /// Like [`Store::events_after`], only events of these kinds (in order; the
    /// sequence numbers between them skipped): for followers that react to a
    /// few kinds and should not receive every event of a busy workspace. The
    /// SQLite store scans forward from `after` to find them, so a follower
    /// keeps `after` near the head: when a batch comes back short, nothing it
    /// follows is left up to the `latest_seq` it read before.
    async fn events_after_of(
        &self,
        ws: WorkspaceId,
        after: i64,
        kinds: &[EventKind],
        limit: u32,
    ) -> StoreResult<Vec<Event>>;
    /// The newest event's seq (0 when none).
    async fn latest_seq(&self, ws: WorkspaceId) -> StoreResult<i64>;

    // --- AI agents: knowledge base, replies, drafts ----------------------------------

    /// Articles, oldest first, paged by id.
    async fn list_articles(&self, ws: WorkspaceId, page: &PageRequest) -> StoreResult<Page<Article>> {
        let after = page.id_cursor()?;
        let limit = page.limit();
        let all = self.all_articles(ws).await?;
        let rows: Vec<Article> = all
            .into_iter()
            .filter(|a| after.is_none_or(|c| a.id.0 > c))
            .take(limit as usize + 1)
            .collect();
        Ok(Page::from_overfetch(rows, limit, |a| a.id.to_string()))
    }
    /// Every article of the workspace, oldest first (what the built-in agent searches).
    async fn all_articles(&self, ws: WorkspaceId) -> StoreResult<Vec<Article>> {
        in_tx(self, move |tx| Box::pin(async move { tx.articles(ws).await })).await
    }
    /// One article.
    async fn get_article(&self, ws: WorkspaceId, id: ArticleId) -> StoreResult<Article> {
        in_tx(self, move |tx| {
            Box::pin(async move { tx.article(ws, id).await?.ok_or(StoreError::not_found("article")) })
        })
        .await
    }
    /// Write an article (admins).
    async fn create_article(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        title: &str,
        body: &str,
    ) -> StoreResult<Article> {
        let (actor, title, body) = (actor.clone(), title.to_string(), body.to_string());
        in_tx(self, move |tx| {
            Box::pin(async move { agents::create_article(tx, ws, &actor, &title, &body).await })
        })
        .await
    }
    /// Change an article (admins).
    async fn update_article(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        id: ArticleId,
        patch: ArticlePatch,
    ) -> StoreResult<Article> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { agents::update_article(tx, ws, &actor, id, patch).await })
        })
        .await
    }
    /// Delete an article (admins).
    async fn delete_article(&self, ws: WorkspaceId, actor: &Actor, id: ArticleId) -> StoreResult<()> {
        let actor = actor.clone();
        in_tx(self, move |tx| {
            Box::pin(async move { agents::delete_article(tx, ws, &actor, id).await })
        })
        .await
    }
    /// Commit an AI agent's reply if `turn.session_id` is still the active
    /// session (checked inside the transaction) and the key is new.
    async fn agent_reply(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        turn: AgentTurn,
        body: &str,
    ) -> StoreResult<AgentCommit> {
        let body = body.to_string();
        in_tx(self, move |tx| {
            Box::pin(async move { agents::agent_reply(tx, ws, conversation, turn, &body).await })
        })
        .await
    }
    /// The AI agent hands off (same checks as [`Store::agent_reply`]); the
    /// agent's handoff team gets the conversation.
    async fn agent_handoff(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        turn: AgentTurn,
        reason: &str,
        parting: Option<&str>,
    ) -> StoreResult<AgentCommit> {
        let (reason, parting) = (reason.to_string(), parting.map(str::to_string));
        in_tx(self, move |tx| {
            Box::pin(async move {
                agents::agent_handoff(tx, ws, conversation, turn, &reason, parting.as_deref()).await
            })
        })
        .await
    }
    /// Store an AI draft on a conversation, replacing any.
    async fn save_draft(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        conversation: ConversationId,
        agent: AgentId,
        body: &str,
        receipt: serde_json::Value,
    ) -> StoreResult<Draft> {
        let (actor, body) = (actor.clone(), body.to_string());
        in_tx(self, move |tx| {
            Box::pin(
                async move { agents::save_draft(tx, ws, &actor, conversation, agent, &body, receipt).await },
            )
        })
        .await
    }
    /// The conversation's AI draft, if any (404 for a foreign conversation).
    async fn get_draft(&self, ws: WorkspaceId, conversation: ConversationId) -> StoreResult<Option<Draft>> {
        in_tx(self, move |tx| {
            Box::pin(async move {
                tx.conversation_view(ws, None, conversation)
                    .await?
                    .ok_or(StoreError::not_found("conversation"))?;
                tx.draft(ws, conversation).await
            })
        })
        .await
    }
    /// The agent worker's position in the workspace's log.
    async fn agent_cursor(&self, ws: WorkspaceId) -> StoreResult<i64> {
        in_tx(self, move |tx| Box::pin(async move { tx.agent_cursor(ws).await })).await
    }
    /// Set the agent worker's position in the workspace's log.
    async fn set_agent_cursor(&self, ws: WorkspaceId, seq: i64) -> StoreResult<()> {
        in_tx(self, move |tx| {
            Box::pin(async move { tx.set_agent_cursor(ws, seq).await })
        })
        .await
    }
    /// End the agent sessions idle for their agent's maximum duration at `now`
    /// (called periodically by the server). Returns how many ended.
    async fn run_session_timeouts(&self, now: Timestamp) -> StoreResult<u32> {
        in_tx(self, move |tx| {
            Box::pin(async move { agents::run_session_timeouts(tx, now).await })
        })
        .await
    }
    /// Every workspace's id (for workers that visit them all).
    async fn workspace_ids(&self) -> StoreResult<Vec<WorkspaceId>> {
        in_tx(self, move |tx| Box::pin(async move { tx.workspace_ids().await })).await
    }

    // --- bulk -------------------------------------------------------------------

    /// Insert synthetic conversations fast (bench and demo), in large
    /// transactions. Each gets a `conversation.created` event.
    async fn seed_conversations(&self, ws: WorkspaceId, spec: SeedSpec) -> StoreResult<u64>;
}

/// Export everything about a conversation.
pub async fn export_conversation(
    store: &dyn Store,
    ws: WorkspaceId,
    viewer: Option<UserId>,
    id: ConversationId,
) -> StoreResult<ConversationExport> {
    let view = store.get_conversation(ws, viewer, id).await?;
    let mut messages = Vec::new();
    let mut req = PageRequest::first(cursor::MAX_LIMIT);
    loop {
        let page = store.list_messages(ws, id, &req).await?;
        messages.extend(page.items);
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    let mut events = Vec::new();
    let mut req = PageRequest::first(cursor::MAX_LIMIT);
    loop {
        let page = store.timeline(ws, id, &req).await?;
        events.extend(page.items);
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    let sessions = store.list_sessions(ws, id).await?;
    Ok(ConversationExport {
        view,
        messages,
        events,
        sessions,
    })
}

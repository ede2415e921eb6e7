//! `WriteTx`: the row operations a backend offers inside one write
//! transaction. The use cases in [`crate::ops`] are written once against it,
//! so both backends share every decision and differ only in SQL.

use crate::agents::{Article, Draft};
use crate::error::StoreError;
use crate::error::StoreResult;
use crate::notifications::{Delivery, Notification, Webhook};
use crate::types::{ContactInput, ConversationView};
use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::notify::Preferences;
use baton_core::routing::pick::Candidate;
use baton_core::routing::{BusinessHours, PickMode, RoutingRule, TeamSettings};
use baton_core::*;

fn unsupported<T>(what: &str) -> StoreResult<T> {
    Err(StoreError::Database(format!(
        "{what} is not supported by this backend yet"
    )))
}

/// Row operations inside an open write transaction.
#[async_trait]
pub trait WriteTx: Send {
    /// Now, from the store's clock.
    fn now(&self) -> Timestamp;

    /// A workspace by name.
    async fn workspace_by_name(&mut self, name: &str) -> StoreResult<Option<Workspace>>;
    /// Insert a workspace.
    async fn insert_workspace(&mut self, ws: &Workspace) -> StoreResult<()>;

    /// A user in a workspace.
    async fn user(&mut self, ws: WorkspaceId, id: UserId) -> StoreResult<Option<User>>;
    /// Is the email used by any user anywhere?
    async fn email_taken(&mut self, email: &Email) -> StoreResult<bool>;
    /// Is the handle used in the workspace?
    async fn handle_taken(&mut self, ws: WorkspaceId, handle: &str) -> StoreResult<bool>;
    /// Insert a user with an optional password hash.
    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> StoreResult<()>;
    /// Write a user's changed fields.
    async fn update_user(&mut self, user: &User) -> StoreResult<()>;
    /// Active owners of the workspace.
    async fn active_owner_count(&mut self, ws: WorkspaceId) -> StoreResult<usize>;
    /// Active users of the workspace with these handles (lower-case).
    async fn active_users_by_handles(
        &mut self,
        ws: WorkspaceId,
        handles: &[String],
    ) -> StoreResult<Vec<UserId>>;
    /// Insert an API token hash.
    async fn insert_token(
        &mut self,
        id: TokenId,
        user: UserId,
        hash: &str,
        name: &str,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// A team with its members.
    async fn team(&mut self, ws: WorkspaceId, id: TeamId) -> StoreResult<Option<Team>>;
    /// The team's name (without loading its members).
    async fn team_name(&mut self, ws: WorkspaceId, id: TeamId) -> StoreResult<Option<String>> {
        Ok(self.team(ws, id).await?.map(|t| t.name))
    }
    /// Whether the team is in the workspace (without loading its members).
    async fn team_exists(&mut self, ws: WorkspaceId, id: TeamId) -> StoreResult<bool> {
        Ok(self.team(ws, id).await?.is_some())
    }
    /// Is the team name used in the workspace (case-insensitive)?
    async fn team_name_taken(&mut self, ws: WorkspaceId, name: &str) -> StoreResult<bool>;
    /// Insert a team (without members).
    async fn insert_team(&mut self, team: &Team) -> StoreResult<()>;
    /// Add a member; false if already one.
    async fn insert_team_member(&mut self, team: TeamId, user: UserId, at: Timestamp) -> StoreResult<bool>;
    /// Remove a member; false if not one.
    async fn delete_team_member(&mut self, team: TeamId, user: UserId) -> StoreResult<bool>;

    /// An agent.
    async fn agent(&mut self, ws: WorkspaceId, id: AgentId) -> StoreResult<Option<Agent>>;
    /// Insert an agent.
    async fn insert_agent(&mut self, agent: &Agent) -> StoreResult<()>;
    /// Write an agent's fields.
    async fn update_agent(&mut self, agent: &Agent) -> StoreResult<()>;

    /// A channel.
    async fn channel(&mut self, ws: WorkspaceId, id: ChannelId) -> StoreResult<Option<Channel>>;
    /// Insert a channel.
    async fn insert_channel(&mut self, channel: &Channel) -> StoreResult<()>;
    /// Write a channel's name, autopilot agent and reply mode.
    async fn update_channel(&mut self, _channel: &Channel) -> StoreResult<()> {
        unsupported("channel updates")
    }

    /// A contact.
    async fn contact(&mut self, ws: WorkspaceId, id: ContactId) -> StoreResult<Option<Contact>>;
    /// Contacts matching any handle of the input (external id, email, phone).
    async fn contacts_by_handles(
        &mut self,
        ws: WorkspaceId,
        input: &ContactInput,
    ) -> StoreResult<Vec<Contact>>;
    /// Insert a contact.
    async fn insert_contact(&mut self, contact: &Contact) -> StoreResult<()>;
    /// Write a contact's fields.
    async fn update_contact(&mut self, contact: &Contact) -> StoreResult<()>;

    /// A conversation, locked for update where the backend locks rows.
    async fn conversation_for_update(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>>;
    /// The contact's conversation on the channel that an inbound message
    /// joins: the newest not closed, else the newest closed; locked.
    async fn conversation_for_inbound(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        contact: ContactId,
    ) -> StoreResult<Option<Conversation>>;
    /// Insert a conversation.
    async fn insert_conversation(&mut self, conv: &Conversation) -> StoreResult<()>;
    /// Write a conversation's state.
    async fn update_conversation(&mut self, conv: &Conversation) -> StoreResult<()>;
    /// A user's read state on a conversation.
    async fn read_state(&mut self, user: UserId, conv: ConversationId) -> StoreResult<ReadState>;

    /// Apply a side-table write. Ending a session that already ended is an error.
    async fn apply_effect(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        effect: &Effect,
    ) -> StoreResult<()>;
    /// Append events to the workspace's log, giving them consecutive seqs.
    /// Takes them by value: an explanation can be kilobytes of JSON, and the
    /// events come back as written.
    async fn append_events(&mut self, ws: WorkspaceId, events: Vec<NewEvent>) -> StoreResult<Vec<Event>>;

    /// Whether a conversation this transaction created is answered with a
    /// view built from what the job holds (`true`), or read back like any
    /// other. A store whose every read is a round trip to a server reads it
    /// in one query rather than looking up its assignee and team apart.
    fn builds_new_views(&self) -> bool {
        true
    }

    /// The conversation as a viewer sees it (reads inside the transaction).
    async fn conversation_view(
        &mut self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> StoreResult<Option<ConversationView>>;

    // --- routing -------------------------------------------------------------

    /// The workspace's routing rules, in position order.
    async fn routing_rules(&mut self, _ws: WorkspaceId) -> StoreResult<Vec<RoutingRule>> {
        unsupported("routing")
    }
    /// Insert a rule.
    async fn insert_rule(&mut self, _rule: &RoutingRule) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Write a rule's fields (including its position).
    async fn update_rule(&mut self, _rule: &RoutingRule) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Delete a rule; false if it did not exist.
    async fn delete_rule(&mut self, _ws: WorkspaceId, _id: RuleId) -> StoreResult<bool> {
        unsupported("routing")
    }
    /// A user as a routing candidate (`member` true).
    async fn user_candidate(&mut self, _ws: WorkspaceId, _id: UserId) -> StoreResult<Option<Candidate>> {
        unsupported("routing")
    }
    /// A team's members as candidates and its round-robin pointer, locked for
    /// update (the pick and the assignment are one transaction).
    async fn team_candidates(
        &mut self,
        _ws: WorkspaceId,
        _team: TeamId,
    ) -> StoreResult<Option<(Vec<Candidate>, Option<UserId>)>> {
        unsupported("routing")
    }
    /// Remember whom the team's round robin picked last.
    async fn set_round_robin_pointer(&mut self, _team: TeamId, _user: UserId) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Change a user's open-conversation count (and stamp an assignment time).
    async fn adjust_user_load(
        &mut self,
        _user: UserId,
        _delta: i64,
        _assigned_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Put a conversation in a team's waiting queue (replacing any entry).
    async fn enqueue(
        &mut self,
        _ws: WorkspaceId,
        _conv: ConversationId,
        _team: TeamId,
        _mode: PickMode,
        _at: Timestamp,
    ) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Take a conversation out of any queue; false if it was not queued.
    async fn dequeue(&mut self, _conv: ConversationId) -> StoreResult<bool> {
        unsupported("routing")
    }
    /// A team's waiting conversations, oldest first.
    async fn queued(&mut self, _team: TeamId, _limit: u32) -> StoreResult<Vec<(ConversationId, PickMode)>> {
        unsupported("routing")
    }
    /// The teams a user belongs to.
    async fn user_team_ids(&mut self, _user: UserId) -> StoreResult<Vec<TeamId>> {
        unsupported("routing")
    }
    /// The workspace's business hours.
    async fn business_hours(&mut self, _ws: WorkspaceId) -> StoreResult<Option<BusinessHours>> {
        unsupported("routing")
    }
    /// Set (or clear) the workspace's business hours.
    async fn set_business_hours(
        &mut self,
        _ws: WorkspaceId,
        _hours: Option<&BusinessHours>,
    ) -> StoreResult<()> {
        unsupported("routing")
    }
    /// Messages the contact has written before, in any conversation.
    async fn contact_incoming_count(&mut self, _contact: ContactId) -> StoreResult<i64> {
        unsupported("routing")
    }

    // --- timers ----------------------------------------------------------------

    /// A team's routing settings (defaults when never set).
    async fn team_settings(&mut self, _ws: WorkspaceId, _team: TeamId) -> StoreResult<Option<TeamSettings>> {
        unsupported("timers")
    }
    /// Store a team's routing settings.
    async fn set_team_settings(&mut self, _team: TeamId, _settings: &TeamSettings) -> StoreResult<()> {
        unsupported("timers")
    }
    /// Every team, in every workspace, that has a reply timeout.
    async fn teams_with_reply_timeouts(&mut self) -> StoreResult<Vec<(WorkspaceId, TeamId, TeamSettings)>> {
        unsupported("timers")
    }
    /// Record when the current assignee got the conversation (`None`: unassigned).
    async fn note_assignment(&mut self, _conv: ConversationId, _at: Option<Timestamp>) -> StoreResult<()> {
        unsupported("timers")
    }
    /// Record a person's outgoing reply.
    async fn note_reply(&mut self, _conv: ConversationId, _at: Timestamp) -> StoreResult<()> {
        unsupported("timers")
    }
    /// Open, assigned conversations of the team that have owed a reply since
    /// before `cutoff` (the later of assignment and last incoming message, with
    /// no person's reply after it), oldest first.
    async fn overdue_replies(
        &mut self,
        _ws: WorkspaceId,
        _team: TeamId,
        _cutoff: Timestamp,
        _limit: u32,
    ) -> StoreResult<Vec<ConversationId>> {
        unsupported("timers")
    }
    /// Open conversations of the team assigned to the user.
    async fn open_assigned_in_team(
        &mut self,
        _ws: WorkspaceId,
        _user: UserId,
        _team: TeamId,
    ) -> StoreResult<Vec<ConversationId>> {
        unsupported("timers")
    }

    // --- AI agents ---------------------------------------------------------------

    /// Every article of the workspace, oldest first.
    async fn articles(&mut self, _ws: WorkspaceId) -> StoreResult<Vec<Article>> {
        unsupported("articles")
    }
    /// One article.
    async fn article(&mut self, _ws: WorkspaceId, _id: ArticleId) -> StoreResult<Option<Article>> {
        unsupported("articles")
    }
    /// Insert an article.
    async fn insert_article(&mut self, _a: &Article) -> StoreResult<()> {
        unsupported("articles")
    }
    /// Write an article's title, body and update time.
    async fn update_article(&mut self, _a: &Article) -> StoreResult<()> {
        unsupported("articles")
    }
    /// Delete an article; false if it did not exist.
    async fn delete_article(&mut self, _ws: WorkspaceId, _id: ArticleId) -> StoreResult<bool> {
        unsupported("articles")
    }
    /// Was an AI reply or handoff committed under this idempotency key?
    async fn ai_reply_exists(&mut self, _key: &str) -> StoreResult<bool> {
        unsupported("agents")
    }
    /// Record a committed AI reply or handoff under its (unique) idempotency key.
    #[allow(clippy::too_many_arguments)]
    async fn insert_ai_reply(
        &mut self,
        _ws: WorkspaceId,
        _conv: ConversationId,
        _key: &str,
        _message: Option<MessageId>,
        _session: SessionId,
        _receipt: &serde_json::Value,
        _at: Timestamp,
    ) -> StoreResult<()> {
        unsupported("agents")
    }
    /// The conversation's AI draft.
    async fn draft(&mut self, _ws: WorkspaceId, _conv: ConversationId) -> StoreResult<Option<Draft>> {
        unsupported("drafts")
    }
    /// Store the conversation's AI draft, replacing any.
    async fn upsert_draft(&mut self, _ws: WorkspaceId, _d: &Draft) -> StoreResult<()> {
        unsupported("drafts")
    }
    /// Remove the conversation's AI draft; false if there was none.
    async fn delete_draft(&mut self, _conv: ConversationId) -> StoreResult<bool> {
        unsupported("drafts")
    }
    /// The agent worker's position in the workspace's log (0 if never set).
    async fn agent_cursor(&mut self, _ws: WorkspaceId) -> StoreResult<i64> {
        unsupported("agents")
    }
    /// Set the agent worker's position.
    async fn set_agent_cursor(&mut self, _ws: WorkspaceId, _seq: i64) -> StoreResult<()> {
        unsupported("agents")
    }
    /// Every workspace's id.
    async fn workspace_ids(&mut self) -> StoreResult<Vec<WorkspaceId>> {
        unsupported("agents")
    }
    /// Conversations, in any workspace, whose active session saw no message for
    /// its agent's `max_session_minutes` (default one day) before `now`.
    async fn idle_sessions(
        &mut self,
        _now: Timestamp,
        _limit: u32,
    ) -> StoreResult<Vec<(WorkspaceId, ConversationId)>> {
        unsupported("agents")
    }

    // --- notifications, deliveries, webhooks --------------------------------------

    /// The delivery media this deployment can send.
    fn sendable(&self) -> crate::notifications::Sendable {
        crate::notifications::Sendable::default()
    }
    /// A user's stored notification preferences (`None`: never set).
    async fn notification_prefs(&mut self, _user: UserId) -> StoreResult<Option<Preferences>> {
        unsupported("notifications")
    }
    /// The stored preferences of a team's members who have any: the others
    /// have the defaults.
    async fn team_notification_prefs(&mut self, _team: TeamId) -> StoreResult<Vec<(UserId, Preferences)>> {
        unsupported("notifications")
    }
    /// Store a user's notification preferences.
    async fn set_notification_prefs(&mut self, _user: UserId, _prefs: &Preferences) -> StoreResult<()> {
        unsupported("notifications")
    }
    /// Insert a notification; `in_app` false keeps it out of the user's list.
    async fn insert_notification(&mut self, _n: &Notification, _in_app: bool) -> StoreResult<()> {
        unsupported("notifications")
    }
    /// A user's in-app notifications, newest first, strictly before the
    /// `(created_at, id)` cursor, at most `limit`.
    async fn notifications(
        &mut self,
        _ws: WorkspaceId,
        _user: UserId,
        _before: Option<(Timestamp, uuid::Uuid)>,
        _limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        unsupported("notifications")
    }
    /// How many in-app notifications the user has not read.
    async fn unread_notification_count(&mut self, _ws: WorkspaceId, _user: UserId) -> StoreResult<i64> {
        unsupported("notifications")
    }
    /// Stamp a notification read (keeping an earlier stamp); `None` if it is
    /// not the user's.
    async fn mark_notification_read(
        &mut self,
        _ws: WorkspaceId,
        _user: UserId,
        _id: NotificationId,
        _at: Timestamp,
    ) -> StoreResult<Option<Notification>> {
        unsupported("notifications")
    }
    /// Insert a delivery.
    async fn insert_delivery(&mut self, _d: &Delivery) -> StoreResult<()> {
        unsupported("notifications")
    }
    /// Lease up to `limit` pending deliveries of `targets` that are due at
    /// `now` and not leased (or whose lease ran out), oldest due first, to
    /// `token` until `until`. Two concurrent claims never return one row
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the single writer).
    async fn claim_deliveries(
        &mut self,
        _targets: &[&str],
        _now: Timestamp,
        _until: Timestamp,
        _token: uuid::Uuid,
        _limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        unsupported("notifications")
    }
    /// One delivery, locked for update.
    async fn delivery(&mut self, _id: DeliveryId) -> StoreResult<Option<Delivery>> {
        unsupported("notifications")
    }
    /// Write a delivery's state.
    async fn update_delivery(&mut self, _d: &Delivery) -> StoreResult<()> {
        unsupported("notifications")
    }
    /// A workspace's deliveries, newest first, optionally of one status.
    async fn deliveries(
        &mut self,
        _ws: WorkspaceId,
        _status: Option<&str>,
        _webhook: Option<WebhookId>,
        _limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        unsupported("notifications")
    }
    /// Insert a webhook subscription.
    async fn insert_webhook(&mut self, _w: &Webhook) -> StoreResult<()> {
        unsupported("webhooks")
    }
    /// A workspace's subscriptions, oldest first.
    async fn webhooks(&mut self, _ws: WorkspaceId) -> StoreResult<Vec<Webhook>> {
        unsupported("webhooks")
    }
    /// One subscription, locked for update.
    async fn webhook(&mut self, _ws: WorkspaceId, _id: WebhookId) -> StoreResult<Option<Webhook>> {
        unsupported("webhooks")
    }
    /// Write a subscription's state.
    async fn update_webhook(&mut self, _w: &Webhook) -> StoreResult<()> {
        unsupported("webhooks")
    }
    /// Delete a subscription and its pending deliveries; false if unknown.
    async fn delete_webhook(&mut self, _ws: WorkspaceId, _id: WebhookId) -> StoreResult<bool> {
        unsupported("webhooks")
    }
    /// Enabled subscriptions in every workspace, locked so that two nodes
    /// never feed one at once (PostgreSQL skips those another node holds).
    async fn webhooks_to_feed(&mut self, _limit: u32) -> StoreResult<Vec<Webhook>> {
        unsupported("webhooks")
    }
    /// Committed events with `seq > after`, oldest first.
    async fn events_since(&mut self, _ws: WorkspaceId, _after: i64, _limit: u32) -> StoreResult<Vec<Event>> {
        unsupported("webhooks")
    }
    /// The workspace's newest event seq.
    async fn latest_event_seq(&mut self, _ws: WorkspaceId) -> StoreResult<i64> {
        unsupported("webhooks")
    }
}

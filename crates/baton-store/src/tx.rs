//! `WriteTx`: the row operations a backend offers inside one write
//! transaction. The use cases in [`crate::ops`] are written once against it,
//! so both backends share every decision and differ only in SQL.

use crate::error::StoreResult;
use crate::types::{ContactInput, ConversationView};
use async_trait::async_trait;
use baton_core::directory::*;
use baton_core::*;

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
    async fn append_events(&mut self, ws: WorkspaceId, events: &[NewEvent]) -> StoreResult<Vec<Event>>;

    /// The conversation as a viewer sees it (reads inside the transaction).
    async fn conversation_view(
        &mut self,
        ws: WorkspaceId,
        viewer: Option<UserId>,
        id: ConversationId,
    ) -> StoreResult<Option<ConversationView>>;
}

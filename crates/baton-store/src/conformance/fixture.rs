use crate::*;
use baton_core::directory::*;
use baton_core::*;
use std::sync::Arc;

/// A workspace with people, a team, two channels and an AI agent.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub ws: WorkspaceId,
    pub owner: User,
    pub admin: User,
    pub alice: User,
    pub bob: User,
    pub viewer: User,
    pub team: Team,
    pub chat: Channel,
    pub email: Channel,
    pub bot: Agent,
}

pub fn system() -> Actor {
    Actor::system("test")
}

pub fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).unwrap(),
        name: name.into(),
        handle: None,
        role,
        password_hash: None,
        availability: Availability::Online,
        max_open: None,
    }
}

impl Fixture {
    pub async fn new(store: Arc<dyn Store>) -> Self {
        Self::named(store, "Acme").await
    }

    pub async fn named(store: Arc<dyn Store>, name: &str) -> Self {
        let ws = store.ensure_workspace(name).await.unwrap().id;
        let tag = name.to_lowercase();
        let mk = |local: &str, n: &str, role: Role| new_user(&format!("{local}@{tag}.example.com"), n, role);
        let owner = store
            .create_user(ws, &system(), mk("olga", "Olga Owner", Role::Owner))
            .await
            .unwrap();
        let admin = store
            .create_user(ws, &system(), mk("adam", "Adam Admin", Role::Admin))
            .await
            .unwrap();
        let alice = store
            .create_user(ws, &system(), mk("alice", "Alice Agent", Role::Agent))
            .await
            .unwrap();
        let bob = store
            .create_user(ws, &system(), mk("bob", "Bob Agent", Role::Agent))
            .await
            .unwrap();
        let viewer = store
            .create_user(ws, &system(), mk("vic", "Vic Viewer", Role::Viewer))
            .await
            .unwrap();
        let team = store.create_team(ws, &system(), "Support").await.unwrap();
        let team = store
            .add_team_member(ws, &system(), team.id, alice.id)
            .await
            .unwrap();
        let chat = store
            .create_channel(
                ws,
                &system(),
                NewChannel {
                    kind: ChannelKind::WebChat,
                    name: "Chat".into(),
                    autopilot_agent_id: None,
                    reply_mode: Default::default(),
                },
            )
            .await
            .unwrap();
        let email = store
            .create_channel(
                ws,
                &system(),
                NewChannel {
                    kind: ChannelKind::Email,
                    name: "Email".into(),
                    autopilot_agent_id: None,
                    reply_mode: Default::default(),
                },
            )
            .await
            .unwrap();
        let bot = store
            .create_agent(
                ws,
                &system(),
                NewAgent {
                    name: "Botty".into(),
                    runtime: AgentRuntime::Builtin,
                    settings: serde_json::json!({}),
                    handoff_team_id: Some(team.id),
                    handoff_mode: HandoffMode::RoundRobin,
                },
            )
            .await
            .unwrap();
        Fixture {
            store,
            ws,
            owner,
            admin,
            alice,
            bob,
            viewer,
            team,
            chat,
            email,
            bot,
        }
    }

    pub fn actor(&self, u: &User) -> Actor {
        Actor::User {
            id: u.id,
            role: u.role,
        }
    }

    /// An inbound chat message from `who@customer.test`.
    pub async fn inbound(&self, who: &str, body: &str) -> InboundOutcome {
        let contact = ContactInput {
            email: Some(Email::parse(&format!("{who}@customer.test")).unwrap()),
            name: Some(format!("Customer {who}")),
            ..Default::default()
        };
        self.store
            .inbound(self.ws, self.chat.id, contact, body)
            .await
            .unwrap()
    }

    /// A new conversation id.
    pub async fn conversation(&self, who: &str) -> ConversationId {
        self.inbound(who, "Hello, I need help").await.view.conversation.id
    }

    pub async fn run(&self, by: &User, conv: ConversationId, cmd: Command) -> StoreResult<CommandOutcome> {
        self.store.apply(self.ws, &self.actor(by), conv, cmd, None).await
    }

    pub async fn ok(&self, by: &User, conv: ConversationId, cmd: Command) -> CommandOutcome {
        self.run(by, conv, cmd).await.unwrap()
    }

    pub async fn get(&self, conv: ConversationId) -> Conversation {
        self.store
            .get_conversation(self.ws, None, conv)
            .await
            .unwrap()
            .conversation
    }

    /// Every event of the conversation, through all pages.
    pub async fn events(&self, conv: ConversationId) -> Vec<Event> {
        let mut out = Vec::new();
        let mut req = PageRequest::first(200);
        loop {
            let page = self.store.timeline(self.ws, conv, &req).await.unwrap();
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => return out,
            }
        }
    }

    pub async fn kinds(&self, conv: ConversationId) -> Vec<&'static str> {
        self.events(conv)
            .await
            .iter()
            .map(|e| e.event.kind.as_str())
            .collect()
    }

    pub async fn list(&self, viewer: &User, filter: ViewFilter) -> Vec<ConversationId> {
        self.store
            .list_conversations(self.ws, viewer.id, &filter, &PageRequest::first(200))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|v| v.conversation.id)
            .collect()
    }
}

/// The stable code of a failed store call.
pub fn code<T: std::fmt::Debug>(r: StoreResult<T>) -> &'static str {
    match r {
        Err(StoreError::Domain(d)) => d.code(),
        other => panic!("expected a domain refusal, got {other:?}"),
    }
}

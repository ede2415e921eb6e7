//! Typed identifiers. Every id is a UUID v7 (time-ordered, so indexes stay
//! append-mostly), wrapped in a newtype so a `UserId` can never be passed where a
//! `TeamId` is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A source of fresh ids, injected so tests are deterministic.
pub trait IdSource: Send {
    /// The next unused id.
    fn next_id(&mut self) -> Uuid;
}

/// Production id source: UUID v7 from the system clock and randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn next_id(&mut self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Deterministic id source for tests: 1, 2, 3, … as UUIDs.
#[derive(Debug, Default, Clone)]
pub struct SequentialIds(pub u128);

impl IdSource for SequentialIds {
    fn next_id(&mut self) -> Uuid {
        self.0 += 1;
        Uuid::from_u128(self.0)
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id from the given source.
            pub fn generate(ids: &mut dyn IdSource) -> Self {
                Self(ids.next_id())
            }
            /// A fresh time-ordered id (production use).
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.as_hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(/// A workspace: the hard security boundary.
    WorkspaceId);
id_type!(/// A human member of a workspace.
    UserId);
id_type!(/// A team of users.
    TeamId);
id_type!(/// A configured AI agent.
    AgentId);
id_type!(/// A channel (web chat, email, SMS, API).
    ChannelId);
id_type!(/// A customer.
    ContactId);
id_type!(/// A conversation thread.
    ConversationId);
id_type!(/// One message, outgoing reply or internal note.
    MessageId);
id_type!(/// One active period of an AI agent on a conversation.
    SessionId);
id_type!(/// An API token.
    TokenId);
id_type!(/// A routing rule.
    RuleId);
id_type!(/// A knowledge-base article.
    ArticleId);
id_type!(/// An in-app notification for one user.
    NotificationId);
id_type!(/// One delivery of a notification or event over one medium.
    DeliveryId);
id_type!(/// An outbound webhook subscription.
    WebhookId);

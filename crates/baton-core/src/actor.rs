//! Who did something.

use crate::ids::*;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// The author of a command and of the events it yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A signed-in user (or an API token acting as one).
    User {
        /// The user.
        id: UserId,
        /// Their role when they acted.
        role: Role,
    },
    /// An AI agent.
    Agent {
        /// The agent.
        id: AgentId,
    },
    /// The customer, writing in.
    Contact {
        /// The contact.
        id: ContactId,
    },
    /// Baton itself: routing, timers, the CLI.
    System {
        /// Which part of Baton (e.g. `routing`, `cli`, `timer`).
        name: String,
    },
}

impl Actor {
    /// Baton itself, as the named component.
    pub fn system(name: &str) -> Self {
        Actor::System {
            name: name.to_string(),
        }
    }

    /// The user behind this actor, if it is a user.
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }
}

//! Baton's pure domain: typed ids, the conversation ownership state machine,
//! commands and the events they yield, and the permission table.
//!
//! Nothing here does I/O: the store loads state, calls [`decide`], and writes
//! the resulting state, events and effects in one transaction.

pub mod actor;
pub mod command;
pub mod conversation;
pub mod decide;
pub mod directory;
pub mod email;
pub mod error;
pub mod event;
pub mod ids;
pub mod mention;
pub mod notify;
pub mod role;
pub mod routing;
pub mod time;

pub use actor::Actor;
pub use command::{Command, Effect, Message, ReadState, Refs, UserRef, Wants};
pub use conversation::{AgentSession, Conversation, MessageKind, Priority, SessionEndReason, Status};
pub use decide::{Ctx, Decision, create_conversation, decide};
pub use email::Email;
pub use error::DomainError;
pub use event::{Event, EventKind, NewEvent};
pub use ids::*;
pub use role::{Action, Availability, Role};
pub use time::{Clock, SystemClock, Timestamp};

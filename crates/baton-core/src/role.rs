//! Roles, availability and the permission table of PRODUCT.md §3.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role in their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including the workspace itself.
    Owner,
    /// Everything but workspace-level settings.
    Admin,
    /// Works conversations.
    Agent,
    /// Reads, and writes internal notes.
    Viewer,
}

/// A user's presence, which routing respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Can be picked by routing.
    Online,
    /// Temporarily away: not picked.
    Away,
    /// Signed off: not picked.
    Offline,
}

/// Something a user may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read conversations, timelines, exports.
    Read,
    /// Write an internal note (with mentions).
    WriteNote,
    /// Reply, mark unread, tags, priority, status.
    Reply,
    /// Change ownership (user, agent, team), take over, transfer channel.
    Assign,
    /// Manage users, teams, AI agents, channels, routing rules.
    Manage,
    /// Manage the workspace itself.
    ManageWorkspace,
}

impl Action {
    /// A short phrase for error messages: "may not <phrase>".
    pub fn phrase(self) -> &'static str {
        match self {
            Action::Read => "read conversations",
            Action::WriteNote => "write notes",
            Action::Reply => "reply to or edit conversations",
            Action::Assign => "change who owns a conversation",
            Action::Manage => "manage users, teams, agents, channels or routing rules",
            Action::ManageWorkspace => "manage the workspace",
        }
    }
}

impl Role {
    /// The permission table: may a user of this role do `action`?
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Admin => action != ManageWorkspace,
            Role::Agent => matches!(action, Read | WriteNote | Reply | Assign),
            Role::Viewer => matches!(action, Read | WriteNote),
        }
    }

    /// The role as its API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }
}

impl Availability {
    /// The availability as its API string.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }
}

/// An unknown enum word in input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownWord {
    /// What kind of word was expected.
    pub what: &'static str,
    /// What was given.
    pub value: String,
}

impl FromStr for Role {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "agent" => Ok(Role::Agent),
            "viewer" => Ok(Role::Viewer),
            _ => Err(UnknownWord {
                what: "role",
                value: s.into(),
            }),
        }
    }
}

impl FromStr for Availability {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "online" => Ok(Availability::Online),
            "away" => Ok(Availability::Away),
            "offline" => Ok(Availability::Offline),
            _ => Err(UnknownWord {
                what: "availability",
                value: s.into(),
            }),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewer_may_only_read_and_write_notes() {
        assert!(Role::Viewer.allows(Action::Read));
        assert!(Role::Viewer.allows(Action::WriteNote));
        for a in [
            Action::Reply,
            Action::Assign,
            Action::Manage,
            Action::ManageWorkspace,
        ] {
            assert!(!Role::Viewer.allows(a), "{a:?}");
        }
    }

    #[test]
    fn agent_may_assign_but_not_manage() {
        assert!(Role::Agent.allows(Action::Assign));
        assert!(Role::Agent.allows(Action::Reply));
        assert!(!Role::Agent.allows(Action::Manage));
    }

    #[test]
    fn only_owner_manages_the_workspace() {
        assert!(Role::Owner.allows(Action::ManageWorkspace));
        assert!(!Role::Admin.allows(Action::ManageWorkspace));
        assert!(Role::Admin.allows(Action::Manage));
    }

    #[test]
    fn roles_round_trip_through_strings() {
        for r in [Role::Owner, Role::Admin, Role::Agent, Role::Viewer] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}

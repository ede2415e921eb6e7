#![allow(dead_code, missing_docs, clippy::unwrap_used)]
//! Shared test fixtures for the core.

use baton_core::command::UserRef;
use baton_core::ids::SequentialIds;
use baton_core::*;
use chrono::TimeZone;
use uuid::Uuid;

pub fn t(secs: i64) -> Timestamp {
    chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub fn uid(n: u128) -> UserId {
    UserId(Uuid::from_u128(1000 + n))
}

pub const AGENT: AgentId = AgentId(Uuid::from_u128(2001));
pub const AGENT2: AgentId = AgentId(Uuid::from_u128(2002));
pub const TEAM: TeamId = TeamId(Uuid::from_u128(3001));
pub const CHANNEL2: ChannelId = ChannelId(Uuid::from_u128(4002));

pub fn conv() -> Conversation {
    Conversation::new(
        ConversationId(Uuid::from_u128(1)),
        WorkspaceId(Uuid::from_u128(2)),
        ChannelId(Uuid::from_u128(4001)),
        ContactId(Uuid::from_u128(5001)),
        t(0),
    )
}

pub fn user(n: u128, role: Role) -> Actor {
    Actor::User { id: uid(n), role }
}

/// The facts a store would look up, for a workspace where users 1..=3 are
/// active agents, user 4 is deactivated and user 5 is a viewer.
pub fn refs_for(cmd: &Command) -> Refs {
    let w = cmd.wants();
    Refs {
        user: w.user.map(|id| {
            let n = id.0.as_u128() - 1000;
            UserRef {
                id,
                active: n != 4,
                role: if n == 5 { Role::Viewer } else { Role::Agent },
            }
        }),
        agent: w.agent.filter(|a| *a == AGENT || *a == AGENT2),
        team: w.team.filter(|x| *x == TEAM),
        channel: w.channel.filter(|c| *c == CHANNEL2),
        read_state: ReadState::default(),
        mentioned: vec![],
    }
}

pub fn run(c: &Conversation, actor: &Actor, cmd: Command, secs: i64) -> Result<Decision, DomainError> {
    let mut ids = SequentialIds(u128::from(secs as u64) * 1000);
    let mut ctx = Ctx {
        now: t(secs),
        ids: &mut ids,
    };
    decide(c, actor, &cmd, &refs_for(&cmd), None, &mut ctx)
}

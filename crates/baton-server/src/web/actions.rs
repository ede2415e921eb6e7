//! What the page's buttons and forms do: each turns into one core command
//! applied through the store, exactly as the JSON API would, so permissions
//! and history are the core's. Success answers `204` with an
//! `HX-Trigger: baton-refresh` (the page re-reads its live regions).

use super::auth::{WebUser, done, go_to};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use baton_core::directory::UserPatch;
use baton_core::{
    AgentId, Availability, ChannelId, Command, ConversationId, MessageKind, Priority, Status, TeamId,
    Timestamp, UserId,
};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use uuid::Uuid;

fn conversation(id: &str) -> Result<ConversationId, ApiError> {
    Uuid::parse_str(id)
        .map(ConversationId)
        .map_err(|_| ApiError::not_found("conversation"))
}

/// An optional id from a form: empty means "none".
fn opt_id(raw: &str, what: &str) -> Result<Option<Uuid>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(raw)
        .map(Some)
        .map_err(|_| ApiError::not_found(what))
}

async fn apply(state: &AppState, me: &WebUser, id: &str, cmd: Command) -> Result<Response, ApiError> {
    let id = conversation(id)?;
    state
        .store
        .apply(me.caller.ws(), &me.caller.actor(), id, cmd, None)
        .await?;
    Ok(done())
}

fn answer(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Assign (or, empty, unassign) a user.
#[derive(Debug, Deserialize)]
pub struct AssigneeForm {
    /// The user, or empty to unassign.
    #[serde(default)]
    pub user_id: String,
}

/// `POST /c/{id}/assignee`.
pub async fn assignee(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<AssigneeForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.user_id, "user")? {
                Some(u) => Command::AssignUser { user_id: UserId(u) },
                None => Command::UnassignUser,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// Assign (or, empty, unassign) an AI agent.
#[derive(Debug, Deserialize)]
pub struct AgentForm {
    /// The agent, or empty to unassign.
    #[serde(default)]
    pub agent_id: String,
    /// `true` when the box is ticked.
    #[serde(default)]
    pub send_initial_message: Option<String>,
}

/// `POST /c/{id}/agent`.
pub async fn agent(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<AgentForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.agent_id, "agent")? {
                Some(a) => Command::AssignAgent {
                    agent_id: AgentId(a),
                    send_initial_message: matches!(f.send_initial_message.as_deref(), Some("true" | "on")),
                },
                None => Command::UnassignAgent,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// Assign (or, empty, unassign) a team.
#[derive(Debug, Deserialize)]
pub struct TeamForm {
    /// The team, or empty to unassign.
    #[serde(default)]
    pub team_id: String,
}

/// `POST /c/{id}/team`.
pub async fn team(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TeamForm>,
) -> Response {
    answer(
        async {
            let cmd = match opt_id(&f.team_id, "team")? {
                Some(t) => Command::AssignTeam { team_id: TeamId(t) },
                None => Command::UnassignTeam,
            };
            apply(&state, &me, &id, cmd).await
        }
        .await,
    )
}

/// `POST /c/{id}/agent_session/end`.
pub async fn end_session(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::EndAgentSession).await)
}

/// `POST /c/{id}/agent_session/resume`.
pub async fn resume_session(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::ResumeAgentSession).await)
}

/// `POST /c/{id}/draft`: ask the conversation's AI agent for a draft reply.
pub async fn draft(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(
        async {
            me.caller.require(baton_core::Action::Reply)?;
            let id = conversation(&id)?;
            state
                .agents
                .draft(me.caller.ws(), &me.caller.actor(), id, None)
                .await?;
            Ok(done())
        }
        .await,
    )
}

/// `POST /c/{id}/take_over`.
pub async fn take_over(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(apply(&state, &me, &id, Command::TakeOver).await)
}

/// A new status.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    /// `open`, `pending` or `closed`.
    pub status: String,
}

/// `POST /c/{id}/status`.
pub async fn status(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    answer(
        async {
            let status = f
                .status
                .parse::<Status>()
                .map_err(|e| ApiError::invalid("invalid_status", e.to_string()))?;
            apply(
                &state,
                &me,
                &id,
                Command::SetStatus {
                    status,
                    snoozed_until: None,
                },
            )
            .await
        }
        .await,
    )
}

/// `POST /c/{id}/unread`: mark unread for me, and go back to the inbox
/// (staying would read it again).
pub async fn unread(State(state): State<AppState>, me: WebUser, Path(id): Path<String>) -> Response {
    answer(
        async {
            apply(&state, &me, &id, Command::MarkUnread).await?;
            Ok(go_to("/"))
        }
        .await,
    )
}

/// A channel to move to.
#[derive(Debug, Deserialize)]
pub struct TransferForm {
    /// The channel.
    pub channel_id: String,
}

/// `POST /c/{id}/transfer`.
pub async fn transfer(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> Response {
    answer(
        async {
            let ch = opt_id(&f.channel_id, "channel")?.ok_or_else(|| ApiError::not_found("channel"))?;
            apply(
                &state,
                &me,
                &id,
                Command::Transfer {
                    channel_id: ChannelId(ch),
                },
            )
            .await
        }
        .await,
    )
}

/// A reply or a note.
#[derive(Debug, Deserialize)]
pub struct MessageForm {
    /// The text.
    pub body: String,
    /// `outgoing` (reply) or `note`.
    pub kind: String,
}

/// `POST /c/{id}/messages`.
pub async fn message(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> Response {
    answer(
        async {
            let kind = match f.kind.as_str() {
                "note" => MessageKind::Note,
                "outgoing" => MessageKind::Outgoing,
                other => {
                    return Err(ApiError::invalid(
                        "invalid_kind",
                        format!("a message from the inbox is a reply or a note, not {other:?}"),
                    ));
                }
            };
            apply(
                &state,
                &me,
                &id,
                Command::PostMessage {
                    kind,
                    body: f.body,
                    agent_session_id: None,
                },
            )
            .await
        }
        .await,
    )
}

/// My availability.
#[derive(Debug, Deserialize)]
pub struct AvailabilityForm {
    /// `online`, `away` or `offline`.
    pub availability: String,
}

/// `POST /me/availability`: anyone sets their own.
pub async fn availability(
    State(state): State<AppState>,
    me: WebUser,
    Form(f): Form<AvailabilityForm>,
) -> Response {
    answer(
        async {
            let av = f
                .availability
                .parse::<Availability>()
                .map_err(|e| ApiError::invalid("invalid_availability", e.to_string()))?;
            let patch = UserPatch {
                availability: Some(av),
                ..Default::default()
            };
            let u = &me.caller.user;
            state
                .store
                .update_user(u.workspace_id, &me.caller.actor(), u.id, patch)
                .await?;
            state.auth.forget_user(u.id);
            Ok(done())
        }
        .await,
    )
}

/// When to wake a snoozed conversation: one of the Snooze menu's choices.
#[derive(Debug, Deserialize)]
pub struct SnoozeForm {
    /// `1h`, `4h`, `tomorrow` (9:00) or `next_week` (Monday 9:00).
    pub until: String,
}

/// The moment a Snooze choice means, `now` being the server's clock and
/// `tz` the workspace's time zone (its business hours', else UTC): `1h`,
/// `4h`, `tomorrow` 9:00 local, `next_week` Monday 9:00 local.
pub fn snooze_until(choice: &str, now: Timestamp, tz: Tz) -> Option<Timestamp> {
    let nine = |date: NaiveDate| {
        let local = date.and_hms_opt(9, 0, 0)?;
        // A 9:00 that a clock change skips becomes 10:00.
        let at = tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())?;
        Some(at.with_timezone(&Utc))
    };
    let today = now.with_timezone(&tz).date_naive();
    match choice {
        "1h" => Some(now + Duration::hours(1)),
        "4h" => Some(now + Duration::hours(4)),
        "tomorrow" => nine(today.succ_opt()?),
        "next_week" => {
            let days = 7 - i64::from(today.weekday().num_days_from_monday());
            nine(today + Duration::days(days))
        }
        _ => None,
    }
}

/// `POST /c/{id}/snooze`: status snoozed until the chosen time, computed here.
pub async fn snooze(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<SnoozeForm>,
) -> Response {
    answer(
        async {
            let tz = state
                .store
                .business_hours(me.caller.ws())
                .await?
                .and_then(|h| h.timezone.parse::<Tz>().ok())
                .unwrap_or(Tz::UTC);
            let until = snooze_until(&f.until, state.clock.now(), tz).ok_or_else(|| {
                ApiError::invalid(
                    "invalid_snooze",
                    format!("snooze for 1h, 4h, tomorrow or next_week, not {:?}", f.until),
                )
            })?;
            apply(
                &state,
                &me,
                &id,
                Command::SetStatus {
                    status: Status::Snoozed,
                    snoozed_until: Some(until),
                },
            )
            .await
        }
        .await,
    )
}

/// A new priority.
#[derive(Debug, Deserialize)]
pub struct PriorityForm {
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
}

/// `POST /c/{id}/priority`.
pub async fn priority(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<PriorityForm>,
) -> Response {
    answer(
        async {
            let priority = f
                .priority
                .parse::<Priority>()
                .map_err(|e| ApiError::invalid("invalid_priority", e.to_string()))?;
            apply(&state, &me, &id, Command::SetPriority { priority }).await
        }
        .await,
    )
}

/// Tags to add (comma-separated) or one to remove.
#[derive(Debug, Deserialize)]
pub struct TagsForm {
    /// Tags to add, separated by commas.
    #[serde(default)]
    pub add: String,
    /// A tag to remove.
    #[serde(default)]
    pub remove: String,
}

/// `POST /c/{id}/tags`: add or remove tags; the store normalizes them
/// (trimmed, lower case, sorted, no duplicates) and checks their length.
pub async fn tags(
    State(state): State<AppState>,
    me: WebUser,
    Path(id): Path<String>,
    Form(f): Form<TagsForm>,
) -> Response {
    answer(
        async {
            let cid = conversation(&id)?;
            let view = state
                .store
                .get_conversation(me.caller.ws(), Some(me.caller.user.id), cid)
                .await?;
            let mut tags = view.conversation.tags;
            let added: Vec<&str> = f
                .add
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            let removed = f.remove.trim().to_lowercase();
            if added.is_empty() && removed.is_empty() {
                return Err(ApiError::invalid("empty_tag", "type a tag to add"));
            }
            tags.retain(|t| *t != removed);
            tags.extend(added.into_iter().map(str::to_string));
            apply(&state, &me, &id, Command::SetTags { tags }).await
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn snooze_choices_are_computed_in_the_workspace_time_zone() {
        // A Wednesday, 22:30 UTC (Thursday 00:30 in Berlin, summer time).
        let now = at("2025-07-02T22:30:00Z");
        let utc = Tz::UTC;
        assert_eq!(snooze_until("1h", now, utc), Some(at("2025-07-02T23:30:00Z")));
        assert_eq!(snooze_until("4h", now, utc), Some(at("2025-07-03T02:30:00Z")));
        assert_eq!(
            snooze_until("tomorrow", now, utc),
            Some(at("2025-07-03T09:00:00Z"))
        );
        assert_eq!(
            snooze_until("next_week", now, utc),
            Some(at("2025-07-07T09:00:00Z"))
        );
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            snooze_until("tomorrow", now, berlin),
            Some(at("2025-07-04T07:00:00Z"))
        );
        assert_eq!(
            snooze_until("next_week", now, berlin),
            Some(at("2025-07-07T07:00:00Z"))
        );
        // On a Monday, next week is the Monday after.
        let monday = at("2025-07-07T08:00:00Z");
        assert_eq!(
            snooze_until("next_week", monday, utc),
            Some(at("2025-07-14T09:00:00Z"))
        );
        assert_eq!(snooze_until("later", now, utc), None);
    }
}

//! Routing rules, the dry run, and the workspace's business hours.

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Id, Json};
use crate::json::List;
use crate::routes::contacts::ContactFields;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_core::routing::TeamSettings;
use baton_core::routing::{BusinessHours, Condition, RoutingRule, RuleAction};
use baton_core::{ChannelId, Command, Priority, RuleId, TeamId, Timestamp};
use baton_store::{RoutingProbe, RuleInput};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this file.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(replace_rule, delete_rule))
        .routes(routes!(dry_run))
        .routes(routes!(
            get_business_hours,
            set_business_hours,
            clear_business_hours
        ))
        .routes(routes!(get_team_settings, set_team_settings))
}

/// A routing rule as sent: conditions that must all hold, actions applied in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// Display name.
    pub name: String,
    /// Whether the rule runs (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Place in the list, 0 first; omitted: last (create) or unchanged (replace).
    pub position: Option<u32>,
    /// Conditions, e.g. `{"field": "contact.attribute", "key": "vip", "op": "eq", "value": true}`.
    /// Fields: `channel`, `contact.tag`, `contact.attribute`, `sender_domain`, `message`,
    /// `first_message`, `priority`, `business_hours`, `unassigned`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    /// Actions, e.g. `{"type": "round_robin", "team_id": "…"}`. Types: `assign_user`,
    /// `round_robin`, `balanced`, `assign_team`, `assign_agent`, `add_tag`, `set_priority`, `stop`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<RuleAction>,
}

fn yes() -> bool {
    true
}

impl RuleBody {
    fn input(self) -> RuleInput {
        RuleInput {
            name: self.name,
            enabled: self.enabled,
            position: self.position,
            conditions: self.conditions,
            actions: self.actions,
        }
    }
}

/// A stored routing rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleJson {
    /// The rule.
    #[schema(value_type = uuid::Uuid)]
    pub id: RuleId,
    /// Display name.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Place in the list, 0 first.
    pub position: u32,
    /// Conditions.
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    /// Actions.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<RuleAction>,
    /// Created.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<RoutingRule> for RuleJson {
    fn from(r: RoutingRule) -> Self {
        RuleJson {
            id: r.id,
            name: r.name,
            enabled: r.enabled,
            position: r.position,
            conditions: r.conditions,
            actions: r.actions,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The routing rules, in the order they run.
#[utoipa::path(get, path = "/api/v1/routing_rules", tag = "routing",
    responses((status = 200, description = "Every rule, by position", body = List<RuleJson>)))]
pub async fn list_rules(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<RuleJson>>> {
    let rules = state.store.list_rules(caller.ws()).await?;
    Ok(Json(List::all(rules.into_iter().map(Into::into).collect())))
}

/// Create a rule (admins); the others move down to make room.
#[utoipa::path(post, path = "/api/v1/routing_rules", tag = "routing", request_body = RuleBody,
    responses((status = 201, description = "The new rule", body = RuleJson),
        (status = 403, description = "Role may not manage routing", body = ErrorBody),
        (status = 422, description = "Invalid rule: empty condition, unknown team, user of another workspace…", body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<RuleBody>,
) -> ApiResult<(StatusCode, Json<RuleJson>)> {
    let rule = state
        .store
        .create_rule(caller.ws(), &caller.actor(), body.input())
        .await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// Replace a rule; a new `position` moves it (admins).
#[utoipa::path(put, path = "/api/v1/routing_rules/{id}", tag = "routing", request_body = RuleBody,
    params(("id" = uuid::Uuid, Path, description = "Rule id")),
    responses((status = 200, description = "The rule afterwards", body = RuleJson),
        (status = 403, description = "Role may not manage routing", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 422, description = "Invalid rule", body = ErrorBody)))]
pub async fn replace_rule(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<RuleId>,
    Json(body): Json<RuleBody>,
) -> ApiResult<Json<RuleJson>> {
    let rule = state
        .store
        .replace_rule(caller.ws(), &caller.actor(), id, body.input())
        .await?;
    Ok(Json(rule.into()))
}

/// Delete a rule (admins); the ones below move up.
#[utoipa::path(delete, path = "/api/v1/routing_rules/{id}", tag = "routing",
    params(("id" = uuid::Uuid, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"),
        (status = 403, description = "Role may not manage routing", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<RuleId>,
) -> ApiResult<StatusCode> {
    state.store.delete_rule(caller.ws(), &caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A hypothetical inbound message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunBody {
    /// The channel it would arrive on.
    #[schema(value_type = uuid::Uuid)]
    pub channel_id: ChannelId,
    /// The contact (matched to an existing one by handle; nothing is created).
    pub contact: ContactFields,
    /// The message text.
    pub body: String,
    /// The conversation's priority (default normal).
    #[schema(value_type = Option<String>)]
    pub priority: Option<Priority>,
}

/// Who would get the conversation, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunJson {
    /// The routing explanation: `rule_id`, `rule_name`, `action`, `chosen`,
    /// `candidates` (`user_id`, `eligible`, `reason`), `skipped_rules`, `queued`.
    #[schema(value_type = Object)]
    pub explanation: Value,
    /// The commands routing would apply, in order.
    #[schema(value_type = Vec<Object>)]
    pub would_apply: Vec<Command>,
    /// The team whose queue it would wait in, when nobody is eligible.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub would_wait_for_team: Option<baton_core::TeamId>,
}

/// Explain who would get a conversation for this message; changes nothing (admins).
#[utoipa::path(post, path = "/api/v1/routing_rules/dry_run", tag = "routing", request_body = DryRunBody,
    responses((status = 200, description = "The decision and its explanation", body = DryRunJson),
        (status = 403, description = "Role may not manage routing", body = ErrorBody),
        (status = 404, description = "No such channel", body = ErrorBody)))]
pub async fn dry_run(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<DryRunBody>,
) -> ApiResult<Json<DryRunJson>> {
    let probe = RoutingProbe {
        channel_id: body.channel_id,
        contact: body.contact.into_input()?,
        body: body.body,
        priority: body.priority.unwrap_or(Priority::Normal),
    };
    let routed = state
        .store
        .dry_run_routing(caller.ws(), &caller.actor(), probe)
        .await?;
    Ok(Json(DryRunJson {
        explanation: routed.explanation,
        would_apply: routed.commands,
        would_wait_for_team: routed.waiting.map(|(team, _)| team),
    }))
}

/// The workspace's business hours (null: always open).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursJson {
    /// `{"timezone": "Europe/Berlin", "days": [{"day": "mon", "open": "09:00", "close": "17:00"}, …]}`, or null.
    #[schema(value_type = Option<Object>)]
    pub business_hours: Option<BusinessHours>,
}

/// The business hours the `business_hours` routing condition uses.
#[utoipa::path(get, path = "/api/v1/workspace/business_hours", tag = "routing",
    responses((status = 200, description = "Business hours, or null", body = BusinessHoursJson)))]
pub async fn get_business_hours(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<BusinessHoursJson>> {
    let business_hours = state.store.business_hours(caller.ws()).await?;
    Ok(Json(BusinessHoursJson { business_hours }))
}

/// Set the business hours (admins).
#[utoipa::path(put, path = "/api/v1/workspace/business_hours", tag = "routing", request_body = BusinessHoursJson,
    responses((status = 200, description = "The business hours afterwards", body = BusinessHoursJson),
        (status = 403, description = "Role may not manage routing", body = ErrorBody),
        (status = 422, description = "Unknown time zone or day, or close before open", body = ErrorBody)))]
pub async fn set_business_hours(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<BusinessHoursJson>,
) -> ApiResult<Json<BusinessHoursJson>> {
    let business_hours = state
        .store
        .set_business_hours(caller.ws(), &caller.actor(), body.business_hours)
        .await?;
    Ok(Json(BusinessHoursJson { business_hours }))
}

/// Remove the business hours: always open (admins).
#[utoipa::path(delete, path = "/api/v1/workspace/business_hours", tag = "routing",
    responses((status = 200, description = "Cleared", body = BusinessHoursJson),
        (status = 403, description = "Role may not manage routing", body = ErrorBody)))]
pub async fn clear_business_hours(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<BusinessHoursJson>> {
    let business_hours = state
        .store
        .set_business_hours(caller.ws(), &caller.actor(), None)
        .await?;
    Ok(Json(BusinessHoursJson { business_hours }))
}

/// A team's routing settings: reply timer and going-away behaviour.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamSettingsJson {
    /// Minutes an assignee has to reply before the timer fires (null: off; 1 to 10080).
    pub reply_timeout_minutes: Option<u32>,
    /// `requeue` (unassign; another eligible member takes it, else it waits) or
    /// `reassign` (straight to another eligible member; kept if there is none).
    #[serde(default)]
    #[schema(value_type = String)]
    pub on_reply_timeout: baton_core::routing::TimeoutAction,
    /// Return a member's open conversations of this team to the queue when they go away or offline.
    #[serde(default)]
    pub requeue_when_away: bool,
    /// How the team's queue picks: `round_robin` (default) or `balanced`.
    #[schema(value_type = Option<String>)]
    pub queue_mode: Option<baton_core::routing::PickMode>,
}

impl From<TeamSettings> for TeamSettingsJson {
    fn from(s: TeamSettings) -> Self {
        TeamSettingsJson {
            reply_timeout_minutes: s.reply_timeout_minutes,
            on_reply_timeout: s.on_reply_timeout,
            requeue_when_away: s.requeue_when_away,
            queue_mode: s.queue_mode,
        }
    }
}

/// A team's routing settings.
#[utoipa::path(get, path = "/api/v1/teams/{id}/settings", tag = "routing",
    params(("id" = uuid::Uuid, Path, description = "Team id")),
    responses((status = 200, description = "The settings", body = TeamSettingsJson),
        (status = 404, description = "No such team", body = ErrorBody)))]
pub async fn get_team_settings(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<TeamId>,
) -> ApiResult<Json<TeamSettingsJson>> {
    Ok(Json(state.store.team_settings(caller.ws(), id).await?.into()))
}

/// Replace a team's routing settings (admins).
#[utoipa::path(put, path = "/api/v1/teams/{id}/settings", tag = "routing", request_body = TeamSettingsJson,
    params(("id" = uuid::Uuid, Path, description = "Team id")),
    responses((status = 200, description = "The settings afterwards", body = TeamSettingsJson),
        (status = 403, description = "Role may not manage teams", body = ErrorBody),
        (status = 404, description = "No such team", body = ErrorBody),
        (status = 422, description = "Timeout out of range", body = ErrorBody)))]
pub async fn set_team_settings(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id<TeamId>,
    Json(body): Json<TeamSettingsJson>,
) -> ApiResult<Json<TeamSettingsJson>> {
    let settings = TeamSettings {
        reply_timeout_minutes: body.reply_timeout_minutes,
        on_reply_timeout: body.on_reply_timeout,
        requeue_when_away: body.requeue_when_away,
        queue_mode: body.queue_mode,
    };
    let saved = state
        .store
        .set_team_settings(caller.ws(), &caller.actor(), id, settings)
        .await?;
    Ok(Json(saved.into()))
}

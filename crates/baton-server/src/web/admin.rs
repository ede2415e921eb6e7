//! Admin pages (owners and admins): users, teams, AI agents, channels and
//! routing rules with a dry run. Every change goes through the store, whose
//! core refuses anyone without the manage permission.

use super::auth::{WebUser, done, render};
use super::conversation::all_users;
use super::layout::Layout;
use crate::auth::password::{MIN_PASSWORD_CHARS, hash_password};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::directory::{AgentRuntime, ChannelKind, HandoffMode, ReplyMode, UserPatch};
use baton_core::routing::{Condition, RuleAction};
use baton_core::{Action, AgentId, Availability, ChannelId, Email, Priority, Role, RuleId, TeamId, UserId};
use baton_store::{
    AgentPatch, ChannelPatch, ContactInput, NewAgent, NewChannel, NewUser, RoutingProbe, RuleInput,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// Routes of the admin pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin",
            get(|| async { axum::response::Redirect::to("/admin/users") }),
        )
        .route("/admin/users", get(users_page).post(invite))
        .route("/admin/users/{id}", post(update_user))
        .route("/admin/teams", get(teams_page).post(create_team))
        .route("/admin/teams/{id}/members", post(team_member))
        .route("/admin/agents", get(agents_page).post(create_agent))
        .route("/admin/agents/{id}", post(update_agent))
        .route("/admin/channels", get(channels_page).post(create_channel))
        .route("/admin/channels/{id}", post(update_channel))
        .route("/admin/routing", get(routing_page).post(create_rule))
        .route("/admin/routing/dry_run", post(dry_run))
        .route("/admin/routing/{id}", post(change_rule))
}

fn id<T>(raw: &str, what: &str, f: fn(Uuid) -> T) -> Result<T, ApiError> {
    Uuid::parse_str(raw.trim())
        .map(f)
        .map_err(|_| ApiError::not_found(what))
}

fn opt<T>(raw: &str, what: &str, f: fn(Uuid) -> T) -> Result<Option<T>, ApiError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        id(raw, what, f).map(Some)
    }
}

fn word<T: std::str::FromStr>(raw: &str, code: &'static str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    raw.trim()
        .parse::<T>()
        .map_err(|e| ApiError::invalid(code, e.to_string()))
}

fn forbid(me: &WebUser) -> Result<(), ApiError> {
    if me.can(Action::Manage) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "forbidden",
            "only owners and admins manage the workspace",
        ))
    }
}

fn page<T: Template>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

fn act(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// A `(value, label)` option.
pub type Opt = (String, String);

// --- users ---------------------------------------------------------------------

/// A member row.
pub struct UserRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Handle.
    pub handle: String,
    /// Role word.
    pub role: &'static str,
    /// Active?
    pub active: bool,
    /// Availability word.
    pub availability: &'static str,
    /// Capacity, empty for none.
    pub max_open: String,
    /// Is it the signed-in user?
    pub is_me: bool,
}

/// `/admin/users`.
#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Members.
    pub users: Vec<UserRow>,
    /// Roles this admin may give.
    pub roles: Vec<&'static str>,
}

fn roles_for(me: &WebUser) -> Vec<&'static str> {
    if me.can(Action::ManageWorkspace) {
        vec!["owner", "admin", "agent", "viewer"]
    } else {
        vec!["admin", "agent", "viewer"]
    }
}

async fn users_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            forbid(&me)?;
            let users = all_users(&state, me.caller.ws()).await?;
            Ok(UsersPage {
                layout: Layout::new(&me, "Users", "admin"),
                tab: "users",
                roles: roles_for(&me),
                users: users
                    .into_iter()
                    .map(|u| UserRow {
                        id: u.id.to_string(),
                        is_me: u.id == me.caller.user.id,
                        name: u.name,
                        email: u.email.as_str().to_string(),
                        handle: u.handle,
                        role: u.role.as_str(),
                        active: u.active,
                        availability: u.availability.as_str(),
                        max_open: u.max_open.map(|m| m.to_string()).unwrap_or_default(),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// Invite a member.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role word.
    pub role: String,
    /// Initial password (optional).
    #[serde(default)]
    pub password: String,
}

async fn invite(State(state): State<AppState>, me: WebUser, Form(f): Form<InviteForm>) -> Response {
    act(async {
        forbid(&me)?;
        let email = Email::parse(&f.email).map_err(|e| ApiError::invalid("invalid_email", e.to_string()))?;
        let role: Role = word(&f.role, "invalid_role")?;
        let password_hash = match f.password.as_str() {
            "" => None,
            p if p.chars().count() < MIN_PASSWORD_CHARS => {
                return Err(ApiError::invalid(
                    "password_too_short",
                    format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
                ));
            }
            p => {
                let p = p.to_string();
                Some(
                    tokio::task::spawn_blocking(move || hash_password(&p))
                        .await
                        .map_err(ApiError::internal)?
                        .map_err(ApiError::internal)?,
                )
            }
        };
        let new = NewUser {
            email,
            name: f.name,
            handle: None,
            role,
            password_hash,
            availability: Availability::Online,
            max_open: None,
        };
        state
            .store
            .create_user(me.caller.ws(), &me.caller.actor(), new)
            .await?;
        Ok(done())
    }
    .await)
}

/// One change to a member (only the fields sent).
#[derive(Debug, Deserialize)]
pub struct UserForm {
    /// Role word.
    pub role: Option<String>,
    /// `true`/`false`.
    pub active: Option<String>,
    /// Availability word.
    pub availability: Option<String>,
    /// Capacity; empty removes the limit.
    pub max_open: Option<String>,
}

async fn update_user(
    State(state): State<AppState>,
    me: WebUser,
    Path(uid): Path<String>,
    Form(f): Form<UserForm>,
) -> Response {
    act(async {
        let uid = id(&uid, "user", UserId)?;
        let patch = UserPatch {
            role: f
                .role
                .as_deref()
                .map(|r| word::<Role>(r, "invalid_role"))
                .transpose()?,
            active: f.active.as_deref().map(|a| a == "true"),
            availability: f
                .availability
                .as_deref()
                .map(|a| word::<Availability>(a, "invalid_availability"))
                .transpose()?,
            max_open: f
                .max_open
                .as_deref()
                .map(|m| {
                    if m.trim().is_empty() {
                        Ok(None)
                    } else {
                        word::<u32>(m, "invalid_max_open").map(Some)
                    }
                })
                .transpose()?,
            ..Default::default()
        };
        state
            .store
            .update_user(me.caller.ws(), &me.caller.actor(), uid, patch)
            .await?;
        // A deactivated user is signed out at once, on this node.
        state.auth.forget_user(uid);
        Ok(done())
    }
    .await)
}

// --- teams ---------------------------------------------------------------------

/// A team with its members.
pub struct TeamRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Members: (id, name).
    pub members: Vec<Opt>,
    /// Active people not yet in it.
    pub others: Vec<Opt>,
}

/// `/admin/teams`.
#[derive(Template)]
#[template(path = "admin_teams.html")]
pub struct TeamsPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Teams.
    pub teams: Vec<TeamRow>,
}

async fn teams_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            forbid(&me)?;
            let ws = me.caller.ws();
            let users = all_users(&state, ws).await?;
            let teams = state.store.list_teams(ws).await?;
            let name = |id: &UserId| {
                users
                    .iter()
                    .find(|u| u.id == *id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default()
            };
            Ok(TeamsPage {
                layout: Layout::new(&me, "Teams", "admin"),
                tab: "teams",
                teams: teams
                    .into_iter()
                    .map(|t| TeamRow {
                        id: t.id.to_string(),
                        members: t.member_ids.iter().map(|m| (m.to_string(), name(m))).collect(),
                        others: users
                            .iter()
                            .filter(|u| u.active && !t.member_ids.contains(&u.id))
                            .map(|u| (u.id.to_string(), u.name.clone()))
                            .collect(),
                        name: t.name,
                    })
                    .collect(),
            })
        }
        .await,
    )
}

/// A new team.
#[derive(Debug, Deserialize)]
pub struct TeamForm {
    /// Name.
    pub name: String,
}

async fn create_team(State(state): State<AppState>, me: WebUser, Form(f): Form<TeamForm>) -> Response {
    act(async {
        state
            .store
            .create_team(me.caller.ws(), &me.caller.actor(), &f.name)
            .await?;
        Ok(done())
    }
    .await)
}

/// Add or remove a member.
#[derive(Debug, Deserialize)]
pub struct MemberForm {
    /// The user.
    pub user_id: String,
    /// `add` or `remove`.
    pub op: String,
}

async fn team_member(
    State(state): State<AppState>,
    me: WebUser,
    Path(tid): Path<String>,
    Form(f): Form<MemberForm>,
) -> Response {
    act(async {
        let team = id(&tid, "team", TeamId)?;
        let user = id(&f.user_id, "user", UserId)?;
        let (ws, actor) = (me.caller.ws(), me.caller.actor());
        if f.op == "remove" {
            state.store.remove_team_member(ws, &actor, team, user).await?;
        } else {
            state.store.add_team_member(ws, &actor, team, user).await?;
        }
        Ok(done())
    }
    .await)
}

// --- agents --------------------------------------------------------------------

/// An agent row.
pub struct AgentRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Runtime word.
    pub runtime: &'static str,
    /// Model, for OpenAI-compatible agents.
    pub model: String,
    /// Handoff team name.
    pub handoff: String,
    /// Enabled?
    pub active: bool,
}

/// `/admin/agents`.
#[derive(Template)]
#[template(path = "admin_agents.html")]
pub struct AgentsPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Agents.
    pub agents: Vec<AgentRow>,
    /// Teams for the handoff choice.
    pub teams: Vec<Opt>,
}

async fn agents_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            forbid(&me)?;
            let ws = me.caller.ws();
            let teams = state.store.list_teams(ws).await?;
            let agents = state.store.list_agents(ws).await?;
            Ok(AgentsPage {
                layout: Layout::new(&me, "AI agents", "admin"),
                tab: "agents",
                agents: agents
                    .into_iter()
                    .map(|a| AgentRow {
                        id: a.id.to_string(),
                        runtime: match a.runtime {
                            AgentRuntime::Builtin => "built-in",
                            AgentRuntime::Openai => "OpenAI-compatible",
                        },
                        model: a
                            .settings
                            .get("model")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        handoff: a
                            .handoff_team_id
                            .and_then(|t| teams.iter().find(|x| x.id == t))
                            .map(|t| t.name.clone())
                            .unwrap_or_default(),
                        active: a.active,
                        name: a.name,
                    })
                    .collect(),
                teams: teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect(),
            })
        }
        .await,
    )
}

/// A new agent.
#[derive(Debug, Deserialize)]
pub struct AgentForm {
    /// Name.
    pub name: String,
    /// `builtin` or `openai`.
    pub runtime: String,
    /// OpenAI-compatible endpoint.
    #[serde(default)]
    pub base_url: String,
    /// Model.
    #[serde(default)]
    pub model: String,
    /// API key.
    #[serde(default)]
    pub api_key: String,
    /// Handoff team, or empty.
    #[serde(default)]
    pub handoff_team_id: String,
    /// `round_robin` or `balanced`.
    #[serde(default)]
    pub handoff_mode: String,
}

async fn create_agent(State(state): State<AppState>, me: WebUser, Form(f): Form<AgentForm>) -> Response {
    act(async {
        let runtime = match f.runtime.as_str() {
            "openai" => AgentRuntime::Openai,
            _ => AgentRuntime::Builtin,
        };
        let settings = if runtime == AgentRuntime::Openai {
            json!({"base_url": f.base_url, "model": f.model, "api_key": f.api_key})
        } else {
            json!({})
        };
        let new = NewAgent {
            name: f.name,
            runtime,
            settings,
            handoff_team_id: opt(&f.handoff_team_id, "team", TeamId)?,
            handoff_mode: if f.handoff_mode == "balanced" {
                HandoffMode::Balanced
            } else {
                HandoffMode::RoundRobin
            },
        };
        state
            .store
            .create_agent(me.caller.ws(), &me.caller.actor(), new)
            .await?;
        Ok(done())
    }
    .await)
}

/// Enable or disable an agent.
#[derive(Debug, Deserialize)]
pub struct AgentActiveForm {
    /// `true` or `false`.
    pub active: String,
}

async fn update_agent(
    State(state): State<AppState>,
    me: WebUser,
    Path(aid): Path<String>,
    Form(f): Form<AgentActiveForm>,
) -> Response {
    act(async {
        let agent = id(&aid, "agent", AgentId)?;
        let patch = AgentPatch {
            active: Some(f.active == "true"),
            ..Default::default()
        };
        state
            .store
            .update_agent(me.caller.ws(), &me.caller.actor(), agent, patch)
            .await?;
        Ok(done())
    }
    .await)
}

// --- channels ------------------------------------------------------------------

/// A channel row.
pub struct ChannelRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind word.
    pub kind: String,
    /// Autopilot agent's name.
    pub autopilot: String,
    /// Autopilot agent's id, or empty.
    pub autopilot_id: String,
    /// Reply mode word.
    pub reply_mode: &'static str,
}

/// `/admin/channels`.
#[derive(Template)]
#[template(path = "admin_channels.html")]
pub struct ChannelsPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Channels.
    pub channels: Vec<ChannelRow>,
    /// Active agents for autopilot.
    pub agents: Vec<Opt>,
}

fn kind_word(k: ChannelKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn channels_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            forbid(&me)?;
            let ws = me.caller.ws();
            let agents = state.store.list_agents(ws).await?;
            let channels = state.store.list_channels(ws).await?;
            Ok(ChannelsPage {
                layout: Layout::new(&me, "Channels", "admin"),
                tab: "channels",
                channels: channels
                    .into_iter()
                    .map(|c| ChannelRow {
                        id: c.id.to_string(),
                        kind: kind_word(c.kind),
                        autopilot: c
                            .autopilot_agent_id
                            .and_then(|a| agents.iter().find(|x| x.id == a))
                            .map(|a| a.name.clone())
                            .unwrap_or_default(),
                        autopilot_id: c.autopilot_agent_id.map(|a| a.to_string()).unwrap_or_default(),
                        reply_mode: c.reply_mode.as_str(),
                        name: c.name,
                    })
                    .collect(),
                agents: agents
                    .iter()
                    .filter(|a| a.active)
                    .map(|a| (a.id.to_string(), a.name.clone()))
                    .collect(),
            })
        }
        .await,
    )
}

/// A new channel.
#[derive(Debug, Deserialize)]
pub struct ChannelForm {
    /// Kind word.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Autopilot agent, or empty.
    #[serde(default)]
    pub autopilot_agent_id: String,
    /// Reply mode word (default `auto`).
    #[serde(default)]
    pub reply_mode: String,
}

fn reply_mode_word(w: &str) -> Result<ReplyMode, ApiError> {
    if w.is_empty() {
        return Ok(ReplyMode::Auto);
    }
    w.parse()
        .map_err(|_| ApiError::invalid("invalid_reply_mode", format!("unknown reply mode {w:?}")))
}

/// A channel's autopilot agent and reply mode.
#[derive(Debug, Deserialize)]
pub struct ChannelUpdateForm {
    /// Autopilot agent, or empty for none.
    #[serde(default)]
    pub autopilot_agent_id: String,
    /// Reply mode word.
    pub reply_mode: String,
}

async fn update_channel(
    State(state): State<AppState>,
    me: WebUser,
    Path(cid): Path<String>,
    Form(f): Form<ChannelUpdateForm>,
) -> Response {
    act(async {
        let channel = id(&cid, "channel", ChannelId)?;
        let patch = ChannelPatch {
            name: None,
            autopilot_agent_id: Some(opt(&f.autopilot_agent_id, "agent", AgentId)?),
            reply_mode: Some(reply_mode_word(&f.reply_mode)?),
        };
        state
            .store
            .update_channel(me.caller.ws(), &me.caller.actor(), channel, patch)
            .await?;
        Ok(done())
    }
    .await)
}

async fn create_channel(State(state): State<AppState>, me: WebUser, Form(f): Form<ChannelForm>) -> Response {
    act(async {
        let kind: ChannelKind = serde_json::from_value(Value::String(f.kind.clone()))
            .map_err(|_| ApiError::invalid("invalid_kind", format!("unknown channel kind {:?}", f.kind)))?;
        let new = NewChannel {
            kind,
            name: f.name,
            autopilot_agent_id: opt(&f.autopilot_agent_id, "agent", AgentId)?,
            reply_mode: reply_mode_word(&f.reply_mode)?,
        };
        state
            .store
            .create_channel(me.caller.ws(), &me.caller.actor(), new)
            .await?;
        Ok(done())
    }
    .await)
}

// --- routing -------------------------------------------------------------------

/// A rule row.
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// Position.
    pub position: u32,
    /// Name.
    pub name: String,
    /// Enabled?
    pub enabled: bool,
    /// Conditions as JSON.
    pub conditions: String,
    /// Actions as JSON.
    pub actions: String,
}

/// `/admin/routing`.
#[derive(Template)]
#[template(path = "admin_routing.html")]
pub struct RoutingPage {
    /// Frame.
    pub layout: Layout,
    /// Tab.
    pub tab: &'static str,
    /// Rules in order.
    pub rules: Vec<RuleRow>,
    /// Channels for the dry run.
    pub channels: Vec<Opt>,
    /// A reference card of ids for writing rules: (kind, name, id).
    pub ids: Vec<(String, String, String)>,
}

async fn routing_page(State(state): State<AppState>, me: WebUser) -> Response {
    page(
        async {
            forbid(&me)?;
            let ws = me.caller.ws();
            let rules = state.store.list_rules(ws).await?;
            let channels = state.store.list_channels(ws).await?;
            let teams = state.store.list_teams(ws).await?;
            let agents = state.store.list_agents(ws).await?;
            let users = all_users(&state, ws).await?;
            let mut ids = Vec::new();
            ids.extend(
                channels
                    .iter()
                    .map(|c| ("channel".into(), c.name.clone(), c.id.to_string())),
            );
            ids.extend(
                teams
                    .iter()
                    .map(|t| ("team".into(), t.name.clone(), t.id.to_string())),
            );
            ids.extend(
                agents
                    .iter()
                    .map(|a| ("agent".into(), a.name.clone(), a.id.to_string())),
            );
            ids.extend(
                users
                    .iter()
                    .filter(|u| u.active)
                    .map(|u| ("user".into(), u.name.clone(), u.id.to_string())),
            );
            Ok(RoutingPage {
                layout: Layout::new(&me, "Routing rules", "admin"),
                tab: "routing",
                rules: rules
                    .into_iter()
                    .map(|r| RuleRow {
                        id: r.id.to_string(),
                        position: r.position,
                        conditions: serde_json::to_string(&r.conditions).unwrap_or_default(),
                        actions: serde_json::to_string(&r.actions).unwrap_or_default(),
                        name: r.name,
                        enabled: r.enabled,
                    })
                    .collect(),
                channels: channels
                    .iter()
                    .map(|c| (c.id.to_string(), c.name.clone()))
                    .collect(),
                ids,
            })
        }
        .await,
    )
}

/// A new rule: conditions and actions as the API's JSON.
#[derive(Debug, Deserialize)]
pub struct RuleForm {
    /// Name.
    pub name: String,
    /// Conditions (JSON array).
    #[serde(default)]
    pub conditions: String,
    /// Actions (JSON array).
    pub actions: String,
    /// Position, empty for last.
    #[serde(default)]
    pub position: String,
}

fn json_list<T: serde::de::DeserializeOwned>(raw: &str, what: &'static str) -> Result<Vec<T>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(raw).map_err(|e| ApiError::invalid(what, format!("{what}: {e}")))
}

async fn create_rule(State(state): State<AppState>, me: WebUser, Form(f): Form<RuleForm>) -> Response {
    act(async {
        let input = RuleInput {
            name: f.name,
            enabled: true,
            position: if f.position.trim().is_empty() {
                None
            } else {
                Some(word(&f.position, "invalid_position")?)
            },
            conditions: json_list::<Condition>(&f.conditions, "invalid_conditions")?,
            actions: json_list::<RuleAction>(&f.actions, "invalid_actions")?,
        };
        state
            .store
            .create_rule(me.caller.ws(), &me.caller.actor(), input)
            .await?;
        Ok(done())
    }
    .await)
}

/// Enable, disable, move or delete a rule.
#[derive(Debug, Deserialize)]
pub struct RuleChange {
    /// `enable`, `disable`, `up`, `down` or `delete`.
    pub op: String,
}

async fn change_rule(
    State(state): State<AppState>,
    me: WebUser,
    Path(rid): Path<String>,
    Form(f): Form<RuleChange>,
) -> Response {
    act(async {
        let rule = id(&rid, "routing rule", RuleId)?;
        let (ws, actor) = (me.caller.ws(), me.caller.actor());
        if f.op == "delete" {
            state.store.delete_rule(ws, &actor, rule).await?;
            return Ok(done());
        }
        let r = state
            .store
            .list_rules(ws)
            .await?
            .into_iter()
            .find(|r| r.id == rule)
            .ok_or_else(|| ApiError::not_found("routing rule"))?;
        let mut input = RuleInput {
            name: r.name,
            enabled: r.enabled,
            position: Some(r.position),
            conditions: r.conditions,
            actions: r.actions,
        };
        match f.op.as_str() {
            "enable" => input.enabled = true,
            "disable" => input.enabled = false,
            "up" => input.position = Some(r.position.saturating_sub(1)),
            "down" => input.position = Some(r.position + 1),
            other => {
                return Err(ApiError::invalid(
                    "invalid_op",
                    format!("unknown change {other:?}"),
                ));
            }
        }
        state.store.replace_rule(ws, &actor, rule, input).await?;
        Ok(done())
    }
    .await)
}

/// A hypothetical inbound message.
#[derive(Debug, Deserialize)]
pub struct DryRunForm {
    /// Channel.
    pub channel_id: String,
    /// Contact email (optional).
    #[serde(default)]
    pub email: String,
    /// Contact tags, comma separated.
    #[serde(default)]
    pub tags: String,
    /// Contact is VIP.
    #[serde(default)]
    pub vip: Option<String>,
    /// Message text.
    #[serde(default)]
    pub body: String,
    /// Priority word.
    #[serde(default)]
    pub priority: String,
}

/// The dry run's answer, swapped into the page.
#[derive(Template)]
#[template(path = "admin_dry_run.html")]
pub struct DryRunResult {
    /// Matched rule.
    pub rule: String,
    /// What it would do, one line each.
    pub commands: Vec<String>,
    /// Who would get it.
    pub chosen: String,
    /// Waiting for a team.
    pub waiting: Option<String>,
    /// Candidates: name, eligible, why.
    pub candidates: Vec<(String, bool, String)>,
    /// The raw explanation.
    pub raw: String,
}

async fn dry_run(State(state): State<AppState>, me: WebUser, Form(f): Form<DryRunForm>) -> Response {
    let r: Result<DryRunResult, ApiError> = async {
        let ws = me.caller.ws();
        let mut contact = ContactInput {
            email: if f.email.trim().is_empty() {
                None
            } else {
                Some(Email::parse(&f.email).map_err(|e| ApiError::invalid("invalid_email", e.to_string()))?)
            },
            tags: f
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            ..Default::default()
        };
        if f.vip.is_some() {
            contact.attributes.insert("vip".into(), Value::Bool(true));
        }
        if contact.email.is_none() {
            contact.external_id = Some("dry-run".into());
        }
        let probe = RoutingProbe {
            channel_id: id(&f.channel_id, "channel", ChannelId)?,
            contact,
            body: f.body,
            priority: if f.priority.is_empty() {
                Priority::Normal
            } else {
                word(&f.priority, "invalid_priority")?
            },
        };
        let routed = state.store.dry_run_routing(ws, &me.caller.actor(), probe).await?;
        let users = all_users(&state, ws).await?;
        let teams = state.store.list_teams(ws).await?;
        let by_id: std::collections::HashMap<String, String> =
            users.iter().map(|u| (u.id.to_string(), u.name.clone())).collect();
        let explained = super::conversation::routing_of(&routed.explanation, &by_id);
        Ok(DryRunResult {
            rule: routed
                .rule
                .as_ref()
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| "no rule matched".into()),
            commands: routed
                .commands
                .iter()
                .map(|c| serde_json::to_string(c).unwrap_or_default())
                .collect(),
            chosen: explained
                .as_ref()
                .map(|e| e.chosen.clone())
                .unwrap_or_else(|| "nobody".into()),
            waiting: routed.waiting.map(|(t, _)| {
                teams
                    .iter()
                    .find(|x| x.id == t)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| t.to_string())
            }),
            candidates: explained.map(|e| e.candidates).unwrap_or_default(),
            raw: serde_json::to_string_pretty(&routed.explanation).unwrap_or_default(),
        })
    }
    .await;
    page(r)
}

//! The conversation page (messages, notes, composer, ownership controls,
//! drawer, agent banner) and its timeline page.

use super::auth::{WebUser, is_script_request, render};
use super::inbox::contact_name;
use super::layout::{Layout, iso_time, long_time, short_time};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use baton_core::directory::{Agent, Team, User};
use baton_core::{Action, Actor, Command, ConversationId, Role, Status};
use baton_store::{PageRequest, cursor::MAX_LIMIT};
use std::collections::HashMap;

/// One choice of a picker.
pub struct Pick {
    /// Id sent to the server.
    pub id: String,
    /// Name shown.
    pub label: String,
    /// A second, quieter line (email, availability…).
    pub sub: String,
    /// Is it the current holder of the slot?
    pub current: bool,
}

/// A searchable picker that offers only eligible choices.
pub struct Picker {
    /// Stable name for tests and scripts: `assignee`, `agent`, `team`.
    pub name: &'static str,
    /// Unique part of element ids (the same picker shows in header and drawer).
    pub dom: String,
    /// Button label.
    pub label: String,
    /// What it searches ("users", "agents", "teams").
    pub noun: &'static str,
    /// Endpoint the choice is posted to.
    pub endpoint: String,
    /// Form field carrying the id.
    pub field: &'static str,
    /// The choices.
    pub choices: Vec<Pick>,
    /// Offer "Unassign".
    pub can_unassign: bool,
    /// Ask before unassigning (it ends an agent session).
    pub confirm_unassign: Option<String>,
    /// Ask before choosing (it ends an agent session).
    pub confirm_choose: Option<String>,
    /// Offer "Send initial message" (agents).
    pub initial_message: bool,
}

/// A message or note as shown.
pub struct Msg {
    /// `incoming`, `outgoing` or `note`.
    pub kind: &'static str,
    /// Written by an AI agent.
    pub ai: bool,
    /// Author's name.
    pub author: String,
    /// Text.
    pub body: String,
    /// Short time.
    pub time: String,
    /// ISO time.
    pub time_iso: String,
}

/// The active agent session, for the banner.
pub struct SessionBanner {
    /// Agent name.
    pub agent: String,
    /// Since when.
    pub since: String,
}

/// The conversation page.
#[derive(Template)]
#[template(path = "conversation.html")]
pub struct ConversationPage {
    /// Frame.
    pub layout: Layout,
    /// Conversation id.
    pub id: String,
    /// Contact name.
    pub contact: String,
    /// Contact handles.
    pub handles: String,
    /// Channel name.
    pub channel: String,
    /// Status word.
    pub status: &'static str,
    /// Is it closed?
    pub closed: bool,
    /// Priority word.
    pub priority: &'static str,
    /// The priority picker's options.
    pub priorities: Vec<(&'static str, bool)>,
    /// When a snoozed conversation wakes, readable.
    pub snoozed_until: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Assignee name.
    pub assignee: Option<String>,
    /// Agent name.
    pub agent: Option<String>,
    /// Team name.
    pub team: Option<String>,
    /// Active session.
    pub session: Option<SessionBanner>,
    /// The agent is on the conversation without a session (can be resumed).
    pub can_resume: bool,
    /// Messages and notes, oldest first.
    pub messages: Vec<Msg>,
    /// Header "Assign user" picker.
    pub assign_user: Picker,
    /// Header "Assign agent" picker.
    pub assign_agent: Picker,
    /// Drawer pickers.
    pub drawer: Vec<(String, Picker)>,
    /// Channels it can move to.
    pub transfer_to: Vec<Pick>,
    /// May change ownership.
    pub can_assign: bool,
    /// May reply, close, mark unread.
    pub can_reply: bool,
    /// Mention candidates, as JSON for the composer script.
    pub mention_json: String,
    /// The AI draft reply, if an agent proposed one: (agent name, text).
    pub draft: Option<(String, String)>,
}

/// Every member, across pages (a workspace's people are few).
pub async fn all_users(state: &AppState, ws: baton_core::WorkspaceId) -> Result<Vec<User>, ApiError> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(MAX_LIMIT);
    loop {
        let page = state.store.list_users(ws, &req).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Names of everyone who can write in a conversation.
pub struct Names {
    users: HashMap<baton_core::UserId, String>,
    agents: HashMap<baton_core::AgentId, String>,
}

impl Names {
    /// From the directory.
    pub fn new(users: &[User], agents: &[Agent]) -> Self {
        Self {
            users: users.iter().map(|u| (u.id, u.name.clone())).collect(),
            agents: agents.iter().map(|a| (a.id, a.name.clone())).collect(),
        }
    }

    /// An actor's name.
    pub fn actor(&self, a: &Actor, contact: &str) -> String {
        match a {
            Actor::User { id, .. } => self
                .users
                .get(id)
                .cloned()
                .unwrap_or_else(|| "A former member".into()),
            Actor::Agent { id } => self
                .agents
                .get(id)
                .cloned()
                .unwrap_or_else(|| "An AI agent".into()),
            Actor::Contact { .. } => contact.to_string(),
            Actor::System { name } => format!("Baton ({name})"),
        }
    }
}

/// `GET /c/{id}`.
pub async fn page(
    State(state): State<AppState>,
    me: WebUser,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(uuid) = uuid::Uuid::parse_str(&id) else {
        return ApiError::not_found("conversation").into_response();
    };
    match build(&state, &me, ConversationId(uuid), !is_script_request(&headers)).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

fn user_picks(users: &[User], current: Option<baton_core::UserId>) -> Vec<Pick> {
    let mut picks: Vec<Pick> = users
        .iter()
        // Only people who can hold a conversation: active, and allowed to reply.
        .filter(|u| u.active && u.role != Role::Viewer)
        .map(|u| Pick {
            id: u.id.to_string(),
            label: u.name.clone(),
            sub: format!("@{} · {}", u.handle, u.availability.as_str()),
            current: Some(u.id) == current,
        })
        .collect();
    picks.sort_by_key(|p| p.label.to_lowercase());
    picks
}

fn agent_picks(agents: &[Agent], current: Option<baton_core::AgentId>) -> Vec<Pick> {
    agents
        .iter()
        .filter(|a| a.active)
        .map(|a| Pick {
            id: a.id.to_string(),
            label: a.name.clone(),
            sub: match a.runtime {
                baton_core::directory::AgentRuntime::Builtin => "built-in".into(),
                baton_core::directory::AgentRuntime::Openai => "OpenAI-compatible".into(),
            },
            current: Some(a.id) == current,
        })
        .collect()
}

fn team_picks(teams: &[Team], current: Option<baton_core::TeamId>) -> Vec<Pick> {
    teams
        .iter()
        .map(|t| Pick {
            id: t.id.to_string(),
            label: t.name.clone(),
            sub: format!("{} members", t.member_ids.len()),
            current: Some(t.id) == current,
        })
        .collect()
}

async fn build(
    state: &AppState,
    me: &WebUser,
    id: ConversationId,
    mark_read: bool,
) -> Result<ConversationPage, ApiError> {
    let ws = me.caller.ws();
    let uid = me.caller.user.id;
    let mut view = state.store.get_conversation(ws, Some(uid), id).await?;
    if mark_read && view.unread {
        let out = state
            .store
            .apply(ws, &me.caller.actor(), id, Command::MarkRead, None)
            .await?;
        view = out.view;
    }
    let (users, agents, teams, channels, draft) = tokio::join!(
        all_users(state, ws),
        state.store.list_agents(ws),
        state.store.list_teams(ws),
        state.store.list_channels(ws),
        state.store.get_draft(ws, id),
    );
    let (users, agents, teams, channels, draft) = (users?, agents?, teams?, channels?, draft?);
    let draft = draft.map(|d| {
        let name = agents
            .iter()
            .find(|a| a.id == d.agent_id)
            .map_or_else(|| "AI agent".to_string(), |a| a.name.clone());
        (name, d.body)
    });
    let mut messages = Vec::new();
    let mut req = PageRequest::first(MAX_LIMIT);
    loop {
        let page = state.store.list_messages(ws, id, &req).await?;
        messages.extend(page.items);
        match page.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    let c = &view.conversation;
    let contact = contact_name(&view);
    let names = Names::new(&users, &agents);
    let msgs = messages
        .iter()
        .map(|m| Msg {
            kind: m.kind.as_str(),
            ai: matches!(m.author, Actor::Agent { .. }),
            author: names.actor(&m.author, &contact),
            body: m.body.clone(),
            time: short_time(m.created_at),
            time_iso: iso_time(m.created_at),
        })
        .collect();
    let session = c.agent_session.as_ref().map(|s| SessionBanner {
        agent: view.agent.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        since: long_time(s.started_at),
    });
    let ends_session = session
        .as_ref()
        .map(|s| format!("This ends {}'s active session. Continue?", s.agent));
    let handles = [
        view.contact.email.clone(),
        view.contact.phone.clone(),
        view.contact.external_id.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let base = format!("/c/{id}");
    let assignee_picker = |label: &str| Picker {
        name: "assignee",
        dom: format!("assignee-{}", label.len()),
        label: label.to_string(),
        noun: "users",
        endpoint: format!("{base}/assignee"),
        field: "user_id",
        choices: user_picks(&users, c.assignee_id),
        can_unassign: c.assignee_id.is_some(),
        confirm_unassign: None,
        confirm_choose: None,
        initial_message: false,
    };
    let agent_picker = |label: &str| Picker {
        name: "agent",
        dom: format!("agent-{}", label.len()),
        label: label.to_string(),
        noun: "agents",
        endpoint: format!("{base}/agent"),
        field: "agent_id",
        choices: agent_picks(&agents, c.agent_id),
        can_unassign: c.agent_id.is_some(),
        confirm_unassign: ends_session.clone(),
        confirm_choose: ends_session.clone(),
        initial_message: true,
    };
    let team_picker = Picker {
        name: "team",
        dom: "team".to_string(),
        label: "Change".to_string(),
        noun: "teams",
        endpoint: format!("{base}/team"),
        field: "team_id",
        choices: team_picks(&teams, c.team_id),
        can_unassign: c.team_id.is_some(),
        confirm_unassign: None,
        confirm_choose: None,
        initial_message: false,
    };
    let mention: Vec<serde_json::Value> = users
        .iter()
        .filter(|u| u.active)
        .map(|u| serde_json::json!({"handle": u.handle, "name": u.name}))
        .collect();
    Ok(ConversationPage {
        layout: Layout::new(me, format!("{contact} — conversation"), "inbox"),
        id: id.to_string(),
        handles,
        channel: view.channel.name.clone(),
        status: c.status.as_str(),
        closed: c.status == Status::Closed,
        priority: c.priority.as_str(),
        priorities: ["low", "normal", "high", "urgent"]
            .into_iter()
            .map(|p| (p, p == c.priority.as_str()))
            .collect(),
        snoozed_until: c
            .snoozed_until
            .filter(|_| c.status == Status::Snoozed)
            .map(long_time),
        tags: c.tags.clone(),
        assignee: view.assignee.as_ref().map(|u| u.name.clone()),
        agent: view.agent.as_ref().map(|a| a.name.clone()),
        team: view.team.as_ref().map(|t| t.name.clone()),
        can_resume: c.agent_id.is_some() && c.agent_session.is_none(),
        session,
        messages: msgs,
        assign_user: assignee_picker("Assign user"),
        assign_agent: agent_picker("Assign agent"),
        drawer: vec![
            ("Assignee".to_string(), assignee_picker("Change")),
            ("Agent".to_string(), agent_picker("Change")),
            ("Team".to_string(), team_picker),
        ],
        transfer_to: channels
            .iter()
            .filter(|ch| ch.id != c.channel_id)
            .map(|ch| Pick {
                id: ch.id.to_string(),
                label: ch.name.clone(),
                sub: format!("{:?}", ch.kind).to_lowercase(),
                current: false,
            })
            .collect(),
        can_assign: me.can(Action::Assign),
        can_reply: me.can(Action::Reply),
        draft,
        mention_json: serde_json::to_string(&mention)
            .unwrap_or_else(|_| "[]".into())
            // Never let a name close the <script> element it sits in.
            .replace('<', "\\u003c"),
        contact,
    })
}

/// One timeline entry.
pub struct TimelineEntry {
    /// Event kind.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// When.
    pub time: String,
    /// Before, as compact JSON.
    pub before: String,
    /// After, as compact JSON.
    pub after: String,
    /// Why.
    pub reason: Option<String>,
    /// The routing explanation, if any.
    pub routing: Option<Routing>,
    /// What an AI agent did and why (its receipt, a handoff's reason), in words.
    pub ai: Option<String>,
}

/// A routing explanation, readable.
pub struct Routing {
    /// Matched rule's name.
    pub rule: String,
    /// The action taken.
    pub action: String,
    /// Who was chosen.
    pub chosen: String,
    /// Candidates considered: name, eligible, reason.
    pub candidates: Vec<(String, bool, String)>,
}

/// The timeline page.
#[derive(Template)]
#[template(path = "timeline.html")]
pub struct TimelinePage {
    /// Frame.
    pub layout: Layout,
    /// Conversation id.
    pub id: String,
    /// Contact name.
    pub contact: String,
    /// Events, oldest first.
    pub entries: Vec<TimelineEntry>,
}

fn compact(v: &serde_json::Value) -> String {
    if v.is_null() || v.as_object().is_some_and(|o| o.is_empty()) {
        String::new()
    } else {
        v.to_string()
    }
}

/// Turn `data.routing` into words, naming users where known.
pub fn routing_of(v: &serde_json::Value, users: &HashMap<String, String>) -> Option<Routing> {
    let r = v.get("routing").unwrap_or(v);
    if !r.is_object() || (r.get("rule_name").is_none() && r.get("candidates").is_none()) {
        return None;
    }
    let s = |k: &str| match r.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let name = |id: &str| users.get(id).cloned().unwrap_or_else(|| id.to_string());
    let chosen = s("chosen");
    let candidates = r
        .get("candidates")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let id = c.get("user_id").and_then(|v| v.as_str()).unwrap_or_default();
                    (
                        name(id),
                        c.get("eligible").and_then(|v| v.as_bool()).unwrap_or(false),
                        c.get("reason")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Routing {
        rule: if s("rule_name").is_empty() {
            "no rule matched".into()
        } else {
            s("rule_name")
        },
        action: s("action"),
        chosen: if chosen.is_empty() {
            "nobody".into()
        } else {
            name(&chosen)
        },
        candidates,
    })
}

/// Turn `data.receipt` and `data.handoff_reason` into one readable line.
pub fn ai_of(data: &serde_json::Value) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(why) = data.get("handoff_reason").and_then(|v| v.as_str()) {
        parts.push(format!("handoff: {why}"));
    }
    if let Some(r) = data.get("receipt").filter(|r| r.is_object()) {
        let word = |k: &str| r.get(k).and_then(|v| v.as_str()).map(str::to_string);
        if let Some(a) = word("action") {
            parts.push(format!("action {a}"));
        }
        if let Some(c) = r.get("confidence").and_then(|v| v.as_f64()) {
            parts.push(format!("confidence {c:.2}"));
        }
        let sources: Vec<String> = r
            .get("sources")
            .and_then(|v| v.as_array())
            .map(|s| {
                s.iter()
                    .filter_map(|x| x.get("title").and_then(|t| t.as_str()))
                    .map(|t| format!("“{t}”"))
                    .collect()
            })
            .unwrap_or_default();
        if !sources.is_empty() {
            parts.push(format!("from {}", sources.join(", ")));
        }
        let runtime = [word("runtime"), word("model")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        if !runtime.is_empty() {
            parts.push(format!("by {}", runtime.join(" ")));
        }
        if let Some(reason) = word("reason").filter(|_| data.get("handoff_reason").is_none()) {
            parts.push(format!("because {reason}"));
        }
        if let Some(e) = word("error") {
            parts.push(format!("error: {e}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// `GET /c/{id}/timeline`.
pub async fn timeline(
    State(state): State<AppState>,
    me: WebUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Ok(uuid) = uuid::Uuid::parse_str(&id) else {
        return ApiError::not_found("conversation").into_response();
    };
    let id = ConversationId(uuid);
    let ws = me.caller.ws();
    let result: Result<TimelinePage, ApiError> = async {
        let view = state
            .store
            .get_conversation(ws, Some(me.caller.user.id), id)
            .await?;
        let users = all_users(&state, ws).await?;
        let agents = state.store.list_agents(ws).await?;
        let names = Names::new(&users, &agents);
        let by_id: HashMap<String, String> =
            users.iter().map(|u| (u.id.to_string(), u.name.clone())).collect();
        let contact = contact_name(&view);
        let mut entries = Vec::new();
        let mut req = PageRequest::first(MAX_LIMIT);
        loop {
            let page = state.store.timeline(ws, id, &req).await?;
            for e in page.items {
                let n = e.event;
                entries.push(TimelineEntry {
                    kind: n.kind.as_str().to_string(),
                    actor: names.actor(&n.actor, &contact),
                    time: long_time(n.at),
                    before: compact(&n.before),
                    after: compact(&n.after),
                    reason: n.reason.clone(),
                    routing: routing_of(&n.data, &by_id),
                    ai: ai_of(&n.data),
                });
            }
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        Ok(TimelinePage {
            layout: Layout::new(&me, format!("Timeline — {contact}"), "inbox"),
            id: id.to_string(),
            contact,
            entries,
        })
    }
    .await;
    match result {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => e.into_response(),
    }
}

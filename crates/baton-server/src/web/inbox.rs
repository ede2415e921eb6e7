//! The inbox: views with live counts, filters, search, unread markers and
//! cursor paging, served from the store's indexed list views.

use super::auth::{WebUser, render};
use super::layout::{Layout, iso_time, short_time};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baton_core::{Action, ChannelId, Priority, Status, TeamId};
use baton_store::{ConversationView, PageRequest, StatusFilter, View, ViewFilter};
use serde::Deserialize;
use uuid::Uuid;

/// Rows per page.
const PAGE: u32 = 50;

/// The inbox's query string; anything unknown falls back to the default.
#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    /// `mine`, `unassigned`, `mentions`, `all` or `ai_queue`.
    pub view: Option<String>,
    /// A team's view.
    pub team: Option<String>,
    /// `open` (default), `pending`, `snoozed`, `closed` or `any`.
    pub status: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this priority: `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    /// Search over contacts and message text.
    pub q: Option<String>,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

/// One entry of the view list.
pub struct NavItem {
    /// Label.
    pub label: String,
    /// Link.
    pub href: String,
    /// Open conversations in it, if counted.
    pub count: Option<u64>,
    /// Is it the current view?
    pub current: bool,
    /// Stable id for live updates.
    pub key: String,
}

/// One conversation row.
pub struct Row {
    /// Conversation id.
    pub id: String,
    /// Contact's display name.
    pub contact: String,
    /// Channel name.
    pub channel: String,
    /// Last message, shortened.
    pub preview: String,
    /// Short time of last activity.
    pub time: String,
    /// ISO time.
    pub time_iso: String,
    /// Assignee name.
    pub assignee: Option<String>,
    /// Agent name.
    pub agent: Option<String>,
    /// Is the agent's session active?
    pub ai_active: bool,
    /// Team name.
    pub team: Option<String>,
    /// Unread for the viewer.
    pub unread: bool,
    /// Status word.
    pub status: &'static str,
    /// Priority word, when not normal.
    pub priority: Option<&'static str>,
}

/// A `<select>` option.
pub struct Choice {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selected?
    pub selected: bool,
}

/// The inbox page.
#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    /// Frame.
    pub layout: Layout,
    /// Views with counts.
    pub nav: Vec<NavItem>,
    /// Heading of the current view.
    pub heading: String,
    /// Rows.
    pub rows: Vec<Row>,
    /// Status filter options.
    pub statuses: Vec<Choice>,
    /// Channel filter options.
    pub channels: Vec<Choice>,
    /// Priority filter options.
    pub priorities: Vec<Choice>,
    /// The search text.
    pub q: String,
    /// Hidden fields keeping the view while filtering.
    pub view_field: String,
    /// Hidden team field.
    pub team_field: String,
    /// Link to the next page.
    pub next_href: Option<String>,
    /// Link to the first page (when not on it).
    pub first_href: Option<String>,
    /// Show Take over buttons (AI queue, may assign).
    pub take_over: bool,
    /// May the user assign and close (keyboard `a`/`e`)?
    pub can_assign: bool,
}

/// Percent-encode a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn href(pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if q.is_empty() {
        "/".to_string()
    } else {
        format!("/?{}", q.join("&"))
    }
}

/// Shorten a preview to one calm line.
pub fn clip(s: &str, n: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= n {
        one
    } else {
        let mut t: String = one.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// The contact's best display name.
pub fn contact_name(v: &ConversationView) -> String {
    let c = &v.contact;
    c.name
        .clone()
        .or_else(|| c.email.clone())
        .or_else(|| c.phone.clone())
        .or_else(|| c.external_id.clone())
        .unwrap_or_else(|| "Unknown contact".to_string())
}

fn row(v: ConversationView) -> Row {
    let c = &v.conversation;
    Row {
        id: c.id.to_string(),
        contact: contact_name(&v),
        channel: v.channel.name.clone(),
        preview: clip(c.last_message_preview.as_deref().unwrap_or(""), 140),
        time: short_time(c.last_activity_at),
        time_iso: iso_time(c.last_activity_at),
        assignee: v.assignee.as_ref().map(|u| u.name.clone()),
        agent: v.agent.as_ref().map(|a| a.name.clone()),
        ai_active: c.agent_session.is_some(),
        team: v.team.as_ref().map(|t| t.name.clone()),
        unread: v.unread,
        status: c.status.as_str(),
        priority: (c.priority != baton_core::Priority::Normal).then(|| c.priority.as_str()),
    }
}

/// `GET /`: the inbox.
pub async fn inbox(State(state): State<AppState>, me: WebUser, Query(q): Query<InboxQuery>) -> Response {
    match build(&state, &me, q).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(e) => e.into_response(),
    }
}

async fn build(state: &AppState, me: &WebUser, q: InboxQuery) -> Result<InboxPage, ApiError> {
    let ws = me.caller.ws();
    let uid = me.caller.user.id;
    let team: Option<TeamId> = q
        .team
        .as_deref()
        .and_then(|t| Uuid::parse_str(t).ok())
        .map(TeamId);
    let view = match (team, q.view.as_deref()) {
        (Some(_), _) => View::All,
        (None, Some(v)) => v.parse().unwrap_or(View::All),
        (None, None) => View::Mine,
    };
    let status_word = q.status.as_deref().unwrap_or("open");
    let status = match status_word {
        "any" => StatusFilter::Any,
        w => w
            .parse::<Status>()
            .map(|s| {
                if s == Status::Open {
                    StatusFilter::Open
                } else {
                    StatusFilter::Only(s)
                }
            })
            .unwrap_or_default(),
    };
    let channel: Option<ChannelId> = q
        .channel
        .as_deref()
        .and_then(|c| Uuid::parse_str(c).ok())
        .map(ChannelId);
    let priority: Option<Priority> = q.priority.as_deref().and_then(|p| p.parse().ok());
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let filter = ViewFilter {
        view: Some(view),
        team_id: team,
        status,
        channel_id: channel,
        priority,
        q: search.map(str::to_string),
        ..Default::default()
    };
    let req = PageRequest {
        limit: Some(PAGE),
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
    };
    let (page, counts, teams, channels) = tokio::join!(
        state.store.list_conversations(ws, uid, &filter, &req),
        state.store.view_counts(ws, uid),
        state.store.list_teams(ws),
        state.store.list_channels(ws),
    );
    let (page, counts, teams, channels) = (page?, counts?, teams?, channels?);

    let view_word = match view {
        View::Mine => "mine",
        View::Unassigned => "unassigned",
        View::Assigned => "assigned",
        View::Mentions => "mentions",
        View::All => "all",
        View::AiQueue => "ai_queue",
    };
    let team_str = team.map(|t| t.to_string()).unwrap_or_default();
    let closed_view = team.is_none() && view == View::All && status_word == "closed";
    let current_key = if let Some(t) = team {
        format!("team-{t}")
    } else if closed_view {
        "closed".to_string()
    } else {
        view_word.to_string()
    };
    let mut nav = vec![];
    for (key, label, count) in [
        ("mine", "Mine", Some(counts.mine)),
        ("unassigned", "Unassigned", Some(counts.unassigned)),
        ("mentions", "Mentions", Some(counts.mentions)),
        ("all", "All", Some(counts.all)),
        ("ai_queue", "AI queue", Some(counts.ai_queue)),
        ("closed", "Closed", None),
    ] {
        let link = if key == "closed" {
            href(&[("view", "all"), ("status", "closed")])
        } else {
            href(&[("view", key)])
        };
        nav.push(NavItem {
            label: label.to_string(),
            href: link,
            count,
            current: current_key == key,
            key: key.to_string(),
        });
    }
    for t in &teams {
        let key = format!("team-{}", t.id);
        let count = counts
            .teams
            .iter()
            .find(|c| c.team_id == t.id)
            .map(|c| c.count)
            .unwrap_or(0);
        nav.push(NavItem {
            label: t.name.clone(),
            href: href(&[("team", &t.id.to_string())]),
            count: Some(count),
            current: current_key == key,
            key,
        });
    }
    let heading = nav
        .iter()
        .find(|n| n.current)
        .map(|n| n.label.clone())
        .unwrap_or_else(|| "Inbox".to_string());

    let statuses = ["open", "pending", "snoozed", "closed", "any"]
        .iter()
        .map(|s| Choice {
            value: s.to_string(),
            label: if *s == "any" {
                "Any status".to_string()
            } else {
                capitalise(s)
            },
            selected: *s == status_word,
        })
        .collect();
    let channel_str = channel.map(|c| c.to_string()).unwrap_or_default();
    let mut channel_choices = vec![Choice {
        value: String::new(),
        label: "All channels".to_string(),
        selected: channel.is_none(),
    }];
    channel_choices.extend(channels.iter().map(|c| Choice {
        value: c.id.to_string(),
        label: c.name.clone(),
        selected: Some(c.id) == channel,
    }));
    let priority_str = priority.map(Priority::as_str).unwrap_or_default();
    let mut priority_choices = vec![Choice {
        value: String::new(),
        label: "Any priority".to_string(),
        selected: priority.is_none(),
    }];
    priority_choices.extend(["urgent", "high", "normal", "low"].iter().map(|p| Choice {
        value: p.to_string(),
        label: capitalise(p),
        selected: *p == priority_str,
    }));
    let q_str = search.unwrap_or_default().to_string();
    let view_field = if team.is_some() {
        String::new()
    } else {
        view_word.to_string()
    };
    let status_param = if status_word == "open" { "" } else { status_word };
    let next_href = page.next_cursor.as_ref().map(|c| {
        href(&[
            ("view", &view_field),
            ("team", &team_str),
            ("status", status_param),
            ("channel", &channel_str),
            ("priority", priority_str),
            ("q", &q_str),
            ("cursor", c),
        ])
    });
    let first_href = req.cursor.as_ref().map(|_| {
        href(&[
            ("view", &view_field),
            ("team", &team_str),
            ("status", status_param),
            ("channel", &channel_str),
            ("priority", priority_str),
            ("q", &q_str),
        ])
    });
    let can_assign = me.can(Action::Assign);
    Ok(InboxPage {
        layout: Layout::new(me, heading.clone(), "inbox"),
        nav,
        heading,
        rows: page.items.into_iter().map(row).collect(),
        statuses,
        channels: channel_choices,
        priorities: priority_choices,
        q: q_str,
        view_field,
        team_field: team_str,
        next_href,
        first_href,
        take_over: can_assign && view == View::AiQueue,
        can_assign,
    })
}

/// `open` -> `Open`.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

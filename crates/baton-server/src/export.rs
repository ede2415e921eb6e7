//! Conversation export as JSON, CSV or a readable HTML transcript. Pure
//! rendering over [`ConversationExport`]; the CLI uses it too.

use crate::json::{ConversationJson, EventJson, MessageJson, SessionJson};
use baton_core::{Actor, AgentId, MessageKind, UserId};
use baton_store::ConversationExport;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"conversation", "messages", "events", "sessions"}`.
    Json,
    /// One row per message/note and per event.
    Csv,
    /// A readable transcript.
    Html,
}

impl Format {
    /// The MIME type of the rendering.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            _ => Err(format!("unknown export format {s:?}: use json, csv or html")),
        }
    }
}

/// Rendering failed (never for well-formed exports).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// JSON encoding failed.
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV encoding failed.
    #[error("cannot encode CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The CSV writer could not be finished.
    #[error("cannot finish CSV: {0}")]
    CsvFinish(String),
}

/// Display names for the people and agents an export mentions by id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    users: HashMap<UserId, String>,
    agents: HashMap<AgentId, String>,
}

impl Names {
    /// Names the export itself knows (assignee, agent).
    pub fn from_export(x: &ConversationExport) -> Self {
        let mut n = Names::default();
        if let Some(a) = &x.view.assignee {
            n.users.insert(a.id, a.name.clone());
        }
        if let Some(a) = &x.view.agent {
            n.agents.insert(a.id, a.name.clone());
        }
        n
    }

    /// Add a user's name.
    pub fn add_user(&mut self, id: UserId, name: String) {
        self.users.insert(id, name);
    }

    /// Add an agent's name.
    pub fn add_agent(&mut self, id: AgentId, name: String) {
        self.agents.insert(id, name);
    }

    /// Users named in messages or events whose names are not known yet.
    pub fn missing_users(&self, x: &ConversationExport) -> Vec<UserId> {
        let mut out: Vec<UserId> = x
            .messages
            .iter()
            .map(|m| &m.author)
            .chain(x.events.iter().map(|e| &e.event.actor))
            .filter_map(Actor::user_id)
            .filter(|id| !self.users.contains_key(id))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn label(&self, actor: &Actor, x: &ConversationExport) -> String {
        match actor {
            Actor::User { id, .. } => self
                .users
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("user {id}")),
            Actor::Agent { id } => match self.agents.get(id) {
                Some(n) => format!("{n} (AI)"),
                None => format!("AI agent {id}"),
            },
            Actor::Contact { id } if *id == x.view.contact.id => {
                let c = &x.view.contact;
                c.name
                    .clone()
                    .or_else(|| c.email.clone())
                    .or_else(|| c.phone.clone())
                    .or_else(|| c.external_id.clone())
                    .unwrap_or_else(|| format!("contact {id}"))
            }
            Actor::Contact { id } => format!("contact {id}"),
            Actor::System { name } => format!("Baton ({name})"),
        }
    }
}

#[derive(Serialize)]
struct JsonExport {
    conversation: ConversationJson,
    messages: Vec<MessageJson>,
    events: Vec<EventJson>,
    sessions: Vec<SessionJson>,
}

/// Render with ids where names are unknown.
pub fn render(x: &ConversationExport, format: Format) -> Result<Vec<u8>, ExportError> {
    render_with(x, format, &Names::from_export(x))
}

/// Render with the given display names.
pub fn render_with(x: &ConversationExport, format: Format, names: &Names) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Json => render_json(x),
        Format::Csv => render_csv(x, names),
        Format::Html => Ok(render_html(x, names).into_bytes()),
    }
}

fn render_json(x: &ConversationExport) -> Result<Vec<u8>, ExportError> {
    let doc = JsonExport {
        conversation: x.view.clone().into(),
        messages: x.messages.iter().cloned().map(Into::into).collect(),
        events: x.events.iter().cloned().map(Into::into).collect(),
        sessions: x.sessions.iter().cloned().map(Into::into).collect(),
    };
    Ok(serde_json::to_vec_pretty(&doc)?)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// One line of the transcript: a message or an event.
enum Entry<'a> {
    Message(&'a baton_core::Message),
    Event(&'a baton_core::Event),
}

/// Messages and events in time order; at equal times a message comes before
/// the events it caused.
fn entries(x: &ConversationExport) -> Vec<Entry<'_>> {
    let mut v: Vec<(DateTime<Utc>, u8, usize, Entry<'_>)> = Vec::new();
    for (i, m) in x.messages.iter().enumerate() {
        v.push((m.created_at, 0, i, Entry::Message(m)));
    }
    for (i, e) in x.events.iter().enumerate() {
        v.push((e.event.at, 1, i, Entry::Event(e)));
    }
    v.sort_by_key(|a| (a.0, a.1, a.2));
    v.into_iter().map(|(_, _, _, e)| e).collect()
}

fn event_details(e: &baton_core::Event) -> String {
    let n = &e.event;
    let mut s = String::new();
    if !n.before.is_null() {
        let _ = write!(s, "before={} ", n.before);
    }
    if !n.after.is_null() {
        let _ = write!(s, "after={} ", n.after);
    }
    if let Some(r) = &n.reason {
        let _ = write!(s, "reason={r} ");
    }
    if !n.data.is_null() {
        let _ = write!(s, "data={}", n.data);
    }
    s.trim_end().to_string()
}

fn render_csv(x: &ConversationExport, names: &Names) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time", "type", "kind", "author", "body"])?;
    for entry in entries(x) {
        match entry {
            Entry::Message(m) => w.write_record([
                time(m.created_at).as_str(),
                "message",
                m.kind.as_str(),
                names.label(&m.author, x).as_str(),
                m.body.as_str(),
            ])?,
            Entry::Event(e) => w.write_record([
                time(e.event.at).as_str(),
                "event",
                e.event.kind.as_str(),
                names.label(&e.event.actor, x).as_str(),
                event_details(e).as_str(),
            ])?,
        }
    }
    w.into_inner().map_err(|e| ExportError::CsvFinish(e.to_string()))
}

/// Escape text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d2433}\
h1{font-size:1.4rem;margin-bottom:.2rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;color:#4a5468}\
dd{margin:0}.msg{border:1px solid #d6dbe4;border-radius:8px;padding:.6rem .9rem;margin:.8rem 0}\
.incoming{background:#f6f8fb}.outgoing{background:#eef6ff}.note{background:#fff8e1;border-color:#f0d98c}\
.who{font-weight:600}.when,.ev{color:#6b7487;font-size:.85rem}.body{white-space:pre-wrap;margin-top:.3rem}\
.ev{margin:.3rem 0 .3rem .9rem}";

fn render_html(x: &ConversationExport, names: &Names) -> String {
    let v = &x.view;
    let c = &v.conversation;
    let contact = names.label(&Actor::Contact { id: v.contact.id }, x);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Conversation with {who}</title><style>{STYLE}</style></head><body>\n\
         <h1>Conversation with {who}</h1>\n<dl>",
        who = escape_html(&contact)
    );
    let row = |h: &mut String, k: &str, val: &str| {
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape_html(k), escape_html(val));
    };
    row(&mut h, "Conversation", &c.id.to_string());
    row(&mut h, "Channel", &v.channel.name);
    row(&mut h, "Status", c.status.as_str());
    row(&mut h, "Priority", c.priority.as_str());
    row(
        &mut h,
        "Assignee",
        v.assignee.as_ref().map_or("nobody", |a| a.name.as_str()),
    );
    row(
        &mut h,
        "AI agent",
        v.agent.as_ref().map_or("none", |a| a.name.as_str()),
    );
    row(
        &mut h,
        "Team",
        v.team.as_ref().map_or("none", |t| t.name.as_str()),
    );
    if !c.tags.is_empty() {
        row(&mut h, "Tags", &c.tags.join(", "));
    }
    row(&mut h, "Started", &time(c.created_at));
    h.push_str("</dl>\n");
    for entry in entries(x) {
        match entry {
            Entry::Message(m) => {
                let label = match m.kind {
                    MessageKind::Incoming => "",
                    MessageKind::Outgoing => " replied",
                    MessageKind::Note => " wrote an internal note",
                };
                let _ = writeln!(
                    h,
                    "<div class=\"msg {kind}\"><span class=\"who\">{who}</span>{label} \
                     <span class=\"when\">{when}</span><div class=\"body\">{body}</div></div>",
                    kind = m.kind.as_str(),
                    who = escape_html(&names.label(&m.author, x)),
                    when = escape_html(&time(m.created_at)),
                    body = escape_html(&m.body),
                );
            }
            Entry::Event(e) if e.event.kind == baton_core::EventKind::MessageCreated => {}
            Entry::Event(e) => {
                let _ = writeln!(
                    h,
                    "<div class=\"ev\">{when} · {who} · {kind}{reason}</div>",
                    when = escape_html(&time(e.event.at)),
                    who = escape_html(&names.label(&e.event.actor, x)),
                    kind = escape_html(e.event.kind.as_str()),
                    reason = e
                        .event
                        .reason
                        .as_deref()
                        .map(|r| format!(" ({})", escape_html(r)))
                        .unwrap_or_default(),
                );
            }
        }
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_refused() {
        assert_eq!("csv".parse::<Format>(), Ok(Format::Csv));
        assert!("pdf".parse::<Format>().is_err());
    }
}

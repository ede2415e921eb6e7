//! What every AI runtime takes and gives: the request, the response, the
//! outcome with its bookkeeping, and the receipt the caller stores.

use crate::floors::{Decision, Floors, ReplyMode, decide};
use async_trait::async_trait;
use baton_core::directory::{Agent, AgentRuntime};
use baton_core::ids::AgentId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a turn of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The customer.
    Contact,
    /// An AI agent (this one or another).
    Agent,
    /// A human user of the workspace.
    Human,
}

/// One message of the conversation as an agent sees it (outgoing messages and
/// incoming ones; internal notes are never shown to an agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who wrote it.
    pub speaker: Speaker,
    /// The message text.
    pub text: String,
}

impl Turn {
    /// A turn from its parts.
    pub fn new(speaker: Speaker, text: impl Into<String>) -> Self {
        Self {
            speaker,
            text: text.into(),
        }
    }
}

/// The agent being run: its name (for greetings and prompts) and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// The agent, if it is a stored one.
    pub id: Option<AgentId>,
    /// Display name.
    pub name: String,
    /// The agent's settings object (see the crate documentation for its fields).
    pub settings: Value,
}

impl AgentConfig {
    /// A config from a name and settings.
    pub fn new(name: impl Into<String>, settings: Value) -> Self {
        Self {
            id: None,
            name: name.into(),
            settings,
        }
    }
}

impl From<&Agent> for AgentConfig {
    fn from(a: &Agent) -> Self {
        Self {
            id: Some(a.id),
            name: a.name.clone(),
            settings: a.settings.clone(),
        }
    }
}

/// One call of an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRequest {
    /// The agent.
    pub agent: AgentConfig,
    /// Earlier turns, oldest first, *without* `message`. (If the last turn is the
    /// contact's and equals `message`, runtimes do not repeat it.)
    pub history: Vec<Turn>,
    /// The contact message to answer; empty for a greeting.
    pub message: String,
    /// Open the conversation with a greeting instead of answering.
    pub send_initial_message: bool,
}

impl AgentRequest {
    /// A request for the agent's opening greeting.
    pub fn greeting(agent: AgentConfig) -> Self {
        Self {
            agent,
            history: Vec::new(),
            message: String::new(),
            send_initial_message: true,
        }
    }

    /// A request to answer `message` after `history`.
    pub fn reply(agent: AgentConfig, history: Vec<Turn>, message: impl Into<String>) -> Self {
        Self {
            agent,
            history,
            message: message.into(),
            send_initial_message: false,
        }
    }

    /// The history followed by the message, without repeating the message when
    /// the caller already put it at the end of the history.
    pub fn turns(&self) -> impl Iterator<Item = Turn> + '_ {
        let repeated = self
            .history
            .last()
            .is_some_and(|t| t.speaker == Speaker::Contact && t.text.trim() == self.message.trim());
        let latest = (!repeated && !self.message.trim().is_empty())
            .then(|| Turn::new(Speaker::Contact, &self.message));
        self.history.iter().cloned().chain(latest)
    }
}

/// An article (or other document) an answer was drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// What the agent wants to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentResponse {
    /// Say this to the contact (subject to the floors and the reply mode).
    Reply {
        /// The message.
        text: String,
        /// How sure the runtime is, 0..=1.
        confidence: f32,
        /// What it was drawn from.
        sources: Vec<Source>,
    },
    /// Give the conversation to humans.
    Handoff {
        /// Why, for the timeline.
        reason: String,
    },
}

impl AgentResponse {
    /// The reply's confidence, if it is a reply.
    pub fn confidence(&self) -> Option<f32> {
        match self {
            AgentResponse::Reply { confidence, .. } => Some(*confidence),
            AgentResponse::Handoff { .. } => None,
        }
    }

    /// The reply's sources (none for a handoff).
    pub fn sources(&self) -> &[Source] {
        match self {
            AgentResponse::Reply { sources, .. } => sources,
            AgentResponse::Handoff { .. } => &[],
        }
    }
}

/// A response with what the caller must log about how it came about.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentOutcome {
    /// The response.
    pub response: AgentResponse,
    /// The runtime that produced it.
    pub runtime: AgentRuntime,
    /// The model that produced it (as the endpoint reported it), if one was called.
    pub model: Option<String>,
    /// Wall time of the call, retries and back-off included.
    pub latency_ms: u64,
    /// The error that forced a handoff, if one did.
    pub error: Option<String>,
}

impl AgentOutcome {
    /// Apply the floors and the channel's reply mode ([`decide`]), and write the
    /// receipt for what was decided.
    pub fn decide(&self, floors: Floors, mode: ReplyMode) -> (Decision, Receipt) {
        let decision = decide(&self.response, floors, mode);
        let receipt = self.receipt(&decision);
        (decision, receipt)
    }

    /// The receipt for this outcome once `decision` was taken.
    pub fn receipt(&self, decision: &Decision) -> Receipt {
        Receipt {
            runtime: self.runtime,
            model: self.model.clone(),
            sources: self.response.sources().to_vec(),
            confidence: self.response.confidence(),
            action: decision.action(),
            reason: decision.reason().map(str::to_string),
            latency_ms: self.latency_ms,
            error: self.error.clone(),
        }
    }
}

/// What was finally done with an AI answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sent to the contact.
    Reply,
    /// Saved as a draft for a human to send.
    Draft,
    /// The conversation was handed to humans.
    Handoff,
    /// Neither sent nor drafted (the channel's reply mode is `off`).
    Withheld,
}

impl Action {
    /// The receipt word.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reply => "reply",
            Action::Draft => "draft",
            Action::Handoff => "handoff",
            Action::Withheld => "withheld",
        }
    }
}

/// The AI receipt: one per AI answer, sent, drafted or not, stored by the
/// caller (e.g. in the event's data) so anyone can see why the AI did what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// `builtin` or `openai`.
    pub runtime: AgentRuntime,
    /// The model, when one was called.
    pub model: Option<String>,
    /// What the answer was drawn from.
    pub sources: Vec<Source>,
    /// The answer's confidence (none for a handoff the runtime asked for).
    pub confidence: Option<f32>,
    /// What was done.
    pub action: Action,
    /// Why it was drafted or handed off.
    pub reason: Option<String>,
    /// Wall time of the runtime call.
    pub latency_ms: u64,
    /// The error behind a forced handoff.
    pub error: Option<String>,
}

/// An AI runtime. Never fails: errors become a handoff whose outcome carries the
/// error, so the conversation always lands with someone.
#[async_trait]
pub trait Runtime: Send + Sync {
    /// Answer the request (or greet, or hand off).
    async fn respond(&self, req: &AgentRequest) -> AgentOutcome;
}

/// The greeting when the agent's settings give none: "Hi! I'm {name}, …".
pub fn default_greeting(agent_name: &str) -> String {
    format!(
        "Hi! I'm {agent_name}, an AI assistant. Ask me anything, or ask for a person at any time. How can I help?"
    )
}

/// The greeting from settings (`greeting`, where `{name}` stands for the agent's
/// name) or the default one.
pub(crate) fn greeting_text(agent_name: &str, template: Option<&str>) -> String {
    match template {
        Some(t) => t.replace("{name}", agent_name),
        None => default_greeting(agent_name),
    }
}

/// Milliseconds since `start`, saturating.
pub(crate) fn elapsed_ms(start: std::time::Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

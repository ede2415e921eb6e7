//! The bridge between the store and the AI runtimes: a per-workspace
//! knowledge index (rebuilt after article changes), a runtime per agent
//! (rebuilt when its settings change), and the two things an agent does —
//! take a turn in its session (reply, draft or hand off) and propose a draft
//! on request. Whether a reply may still be sent is decided by the store, in
//! the transaction that would commit it.

use baton_agents::{
    AgentConfig, AgentOutcome, AgentRequest, Decision, Floors, KnowledgeIndex, ReplyMode, Runtime, Speaker,
    Turn, runtime_for,
};
use baton_core::directory::Agent;
use baton_core::*;
use baton_store::{AgentCommit, AgentTurn, Draft, PageRequest, Store, StoreError, StoreResult};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the agent says to the contact when it hands off.
pub const PARTING: &str = "I'm handing you over to a member of our team — they'll reply here shortly.";

/// The history an agent sees at most (messages, oldest dropped first).
const HISTORY: u32 = 50;

/// Caches and entry points for AI agents, shared by the worker and the API.
pub struct AgentHub {
    store: Arc<dyn Store>,
    knowledge: Mutex<HashMap<WorkspaceId, Arc<KnowledgeIndex>>>,
    runtimes: Mutex<HashMap<AgentId, CachedRuntime>>,
}

/// A built runtime, valid while the agent's `updated_at` and the index are the same.
type CachedRuntime = (Timestamp, Arc<KnowledgeIndex>, Arc<dyn Runtime>);

/// Why a turn was triggered.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// The session started with `send_initial_message`.
    Greeting,
    /// The contact wrote this message.
    Message {
        /// The incoming message.
        id: MessageId,
    },
}

impl AgentHub {
    /// A hub over the store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            knowledge: Mutex::default(),
            runtimes: Mutex::default(),
        }
    }

    /// Forget the workspace's index: the next answer rebuilds it from the articles.
    pub fn invalidate(&self, ws: WorkspaceId) {
        if let Ok(mut k) = self.knowledge.lock() {
            k.remove(&ws);
        }
    }

    /// The workspace's knowledge index (built from its articles on first use).
    pub async fn knowledge(&self, ws: WorkspaceId) -> StoreResult<Arc<KnowledgeIndex>> {
        if let Some(k) = self.knowledge.lock().ok().and_then(|k| k.get(&ws).cloned()) {
            return Ok(k);
        }
        let articles = self.store.all_articles(ws).await?;
        let docs: Vec<baton_agents::Article> = articles
            .iter()
            .map(|a| baton_agents::Article::new(a.id.to_string(), a.title.clone(), a.body.clone()))
            .collect();
        // Indexing a large knowledge base is CPU work: keep it off the async threads.
        let index = tokio::task::spawn_blocking(move || Arc::new(KnowledgeIndex::build(&docs)))
            .await
            .map_err(|e| StoreError::Database(format!("indexing failed: {e}")))?;
        if let Ok(mut k) = self.knowledge.lock() {
            k.insert(ws, index.clone());
        }
        Ok(index)
    }

    /// The agent's runtime, rebuilt when its settings or the index changed.
    async fn runtime(&self, agent: &Agent) -> Result<Arc<dyn Runtime>, String> {
        let kb = self
            .knowledge(agent.workspace_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some((at, k, rt)) = self.runtimes.lock().ok().and_then(|r| r.get(&agent.id).cloned())
            && at == agent.updated_at
            && Arc::ptr_eq(&k, &kb)
        {
            return Ok(rt);
        }
        let rt = runtime_for(agent, kb.clone()).map_err(|e| e.to_string())?;
        if let Ok(mut r) = self.runtimes.lock() {
            r.insert(agent.id, (agent.updated_at, kb, rt.clone()));
        }
        Ok(rt)
    }

    /// The conversation's messages as turns, without notes, up to and
    /// without `upto` (when given), and that message's text.
    async fn history(
        &self,
        ws: WorkspaceId,
        conv: ConversationId,
        upto: Option<MessageId>,
    ) -> StoreResult<(Vec<Turn>, Option<String>)> {
        let mut all = Vec::new();
        let mut req = PageRequest::first(baton_store::cursor::MAX_LIMIT);
        let mut found = None;
        'pages: loop {
            let page = self.store.list_messages(ws, conv, &req).await?;
            for m in page.items {
                if Some(m.id) == upto {
                    found = Some(m.body);
                    break 'pages;
                }
                all.push(m);
            }
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        let mut turns: Vec<Turn> = all
            .into_iter()
            .filter(|m| m.kind != MessageKind::Note)
            .map(|m| {
                let speaker = match (&m.kind, &m.author) {
                    (MessageKind::Incoming, _) => Speaker::Contact,
                    (_, Actor::Agent { .. }) => Speaker::Agent,
                    _ => Speaker::Human,
                };
                Turn::new(speaker, m.body)
            })
            .collect();
        let excess = turns.len().saturating_sub(HISTORY as usize);
        turns.drain(..excess);
        Ok((turns, found))
    }

    /// Ask the agent (no store writes).
    async fn ask(&self, agent: &Agent, conv: ConversationId, trigger: &Trigger) -> StoreResult<AgentOutcome> {
        let config = AgentConfig::from(agent);
        let req = match trigger {
            Trigger::Greeting => AgentRequest::greeting(config),
            Trigger::Message { id } => {
                let (history, body) = self.history(agent.workspace_id, conv, Some(*id)).await?;
                let body = body.ok_or(StoreError::not_found("message"))?;
                AgentRequest::reply(config, history, body)
            }
        };
        Ok(match self.runtime(agent).await {
            Ok(rt) => rt.respond(&req).await,
            Err(e) => AgentOutcome {
                response: baton_agents::AgentResponse::Handoff {
                    reason: format!("the agent is misconfigured: {e}"),
                },
                runtime: agent.runtime,
                model: None,
                latency_ms: 0,
                error: Some(e),
            },
        })
    }

    /// One turn of the agent holding `session` on the conversation: answer,
    /// then commit a reply, a draft or a handoff. The store refuses the commit
    /// if the session ended meanwhile, and ignores a repeated `key`.
    pub async fn take_turn(
        &self,
        ws: WorkspaceId,
        conv: ConversationId,
        session: SessionId,
        agent: AgentId,
        trigger: Trigger,
        key: String,
    ) -> StoreResult<AgentCommit> {
        let agent = self.store.get_agent(ws, agent).await?;
        // The channel may hold the agent back (PRODUCT.md §5: reply mode per
        // channel); the agent's own setting may too. The stricter one holds.
        let channel_id = self
            .store
            .get_conversation(ws, None, conv)
            .await?
            .conversation
            .channel_id;
        let channel_mode = self.store.get_channel(ws, channel_id).await?.reply_mode;
        let mode = channel_mode.strictest(agent_reply_mode(&agent.settings));
        if mode == baton_core::directory::ReplyMode::Off {
            // Silent here: nothing to ask the runtime, nothing written (as `Withhold`).
            return Ok(AgentCommit::Duplicate);
        }
        let outcome = self.ask(&agent, conv, &trigger).await?;
        let floors = Floors::from_settings(&agent.settings).unwrap_or_default();
        let mode = match mode {
            baton_core::directory::ReplyMode::Auto => ReplyMode::Auto,
            baton_core::directory::ReplyMode::Draft => ReplyMode::Draft,
            baton_core::directory::ReplyMode::Off => ReplyMode::Off,
        };
        let (decision, receipt) = outcome.decide(floors, mode);
        let receipt = serde_json::to_value(&receipt).unwrap_or(Value::Null);
        let turn = AgentTurn {
            session_id: session,
            idempotency_key: key,
            receipt: receipt.clone(),
        };
        let text = match &outcome.response {
            baton_agents::AgentResponse::Reply { text, .. } => text.clone(),
            baton_agents::AgentResponse::Handoff { .. } => String::new(),
        };
        match decision {
            Decision::Send => self.store.agent_reply(ws, conv, turn, &text).await,
            Decision::Handoff { reason } => {
                self.store
                    .agent_handoff(ws, conv, turn, &reason, Some(PARTING))
                    .await
            }
            Decision::Draft { .. } => {
                // Only while the session is still the one that asked.
                let c = self.store.get_conversation(ws, None, conv).await?.conversation;
                if !c.agent_may_reply(agent.id, session) {
                    return Ok(AgentCommit::SessionInactive);
                }
                let actor = Actor::Agent { id: agent.id };
                self.store
                    .save_draft(ws, &actor, conv, agent.id, &text, receipt)
                    .await?;
                Ok(AgentCommit::Duplicate)
            }
            Decision::Withhold => Ok(AgentCommit::Duplicate),
        }
    }

    /// Ask an agent for a proposed reply to the conversation and store it as
    /// its draft (replacing any). `agent` defaults to the conversation's agent.
    pub async fn draft(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        conv: ConversationId,
        agent: Option<AgentId>,
    ) -> StoreResult<Draft> {
        let view = self.store.get_conversation(ws, None, conv).await?;
        let agent_id = agent.or(view.conversation.agent_id).ok_or_else(|| {
            StoreError::invalid(
                "agent_required",
                "the conversation has no AI agent: say which agent should draft (agent_id)",
            )
        })?;
        let agent = self.store.get_agent(ws, agent_id).await?;
        if !agent.active {
            return Err(StoreError::invalid("agent_inactive", "that AI agent is disabled"));
        }
        let (history, _) = self.history(ws, conv, None).await?;
        let last_incoming = history
            .iter()
            .rev()
            .find(|t| t.speaker == Speaker::Contact)
            .map(|t| t.text.clone())
            .ok_or_else(|| {
                StoreError::conflict(
                    "nothing_to_answer",
                    "the contact has not written anything to answer",
                )
            })?;
        let trigger_history: Vec<Turn> = history;
        let config = AgentConfig::from(&agent);
        let req = AgentRequest::reply(config, trigger_history, last_incoming);
        let outcome = match self.runtime(&agent).await {
            Ok(rt) => rt.respond(&req).await,
            Err(e) => return Err(StoreError::invalid("agent_misconfigured", e)),
        };
        let floors = Floors::from_settings(&agent.settings).unwrap_or_default();
        let (decision, receipt) = outcome.decide(floors, ReplyMode::Draft);
        let body = match (&outcome.response, &decision) {
            (baton_agents::AgentResponse::Reply { text, .. }, Decision::Draft { .. }) => text.clone(),
            (_, d) => {
                let why = d.reason().unwrap_or("the agent has no answer").to_string();
                return Err(StoreError::conflict(
                    "no_draft",
                    format!("the agent proposes no reply: {why}"),
                ));
            }
        };
        let receipt = serde_json::to_value(&receipt).unwrap_or_else(|_| json!({}));
        self.store
            .save_draft(ws, actor, conv, agent.id, &body, receipt)
            .await
    }
}

/// The agent's reply mode from its settings (`reply_mode`: auto, draft, off; default auto).
fn agent_reply_mode(settings: &Value) -> baton_core::directory::ReplyMode {
    use baton_core::directory::ReplyMode as M;
    match settings.get("reply_mode").and_then(Value::as_str) {
        Some("draft") => M::Draft,
        Some("off") => M::Off,
        _ => M::Auto,
    }
}

//! The built-in agent: answers from the workspace's help articles, no network.
//!
//! In order: greet when asked to; hand off when the contact asks for a person;
//! hand off when the knowledge base is empty or no article reaches
//! `min_confidence`; otherwise quote the best article, naming it.

use crate::bm25::KnowledgeIndex;
use crate::floors::Floors;
use crate::handoff::HandoffDetector;
use crate::runtime::{
    AgentOutcome, AgentRequest, AgentResponse, Runtime, Source, Speaker, elapsed_ms, greeting_text,
};
use crate::settings::{SettingsError, object, opt_f32, opt_str, opt_u64};
use crate::tokenize::terms;
use async_trait::async_trait;
use baton_core::directory::AgentRuntime;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// What the built-in agent asks when a message has nothing to look up ("hi").
pub const CLARIFY: &str = "Could you tell me in a few words what your question is about?";

/// Settings of the built-in agent (all optional).
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltinSettings {
    /// Hand off when the best article's confidence is below this
    /// (`min_confidence`; default: the agent's handoff floor, see [`Floors`]).
    pub min_confidence: f32,
    /// Longest quoted excerpt in characters (`max_reply_chars`, 100..=4000, default 600).
    pub max_reply_chars: usize,
    /// Greeting, `{name}` for the agent's name (`greeting`).
    pub greeting: Option<String>,
}

impl Default for BuiltinSettings {
    fn default() -> Self {
        Self {
            min_confidence: 0.25,
            max_reply_chars: 600,
            greeting: None,
        }
    }
}

impl BuiltinSettings {
    /// Read from the agent's settings JSON.
    pub fn from_settings(settings: &Value) -> Result<Self, SettingsError> {
        let m = object(settings)?;
        let d = Self::default();
        // Defaulting to the handoff floor keeps the two "too unsure" rules in
        // step, and this runtime's own handoff names the best article.
        let handoff_floor = Floors::from_settings(settings)?.handoff_floor;
        Ok(Self {
            min_confidence: opt_f32(m, "min_confidence", 0.0, 1.0)?.unwrap_or(handoff_floor),
            max_reply_chars: opt_u64(m, "max_reply_chars", 100, 4000)?
                .map_or(d.max_reply_chars, |n| n as usize),
            greeting: opt_str(m, "greeting")?.map(str::to_string),
        })
    }
}

/// The built-in runtime over one workspace's knowledge index.
#[derive(Debug, Clone)]
pub struct BuiltinRuntime {
    index: Arc<KnowledgeIndex>,
    detector: &'static HandoffDetector,
}

impl BuiltinRuntime {
    /// A runtime answering from `index` (rebuild the index and the runtime when
    /// articles change; both are cheap to share).
    pub fn new(index: Arc<KnowledgeIndex>) -> Self {
        Self {
            index,
            detector: HandoffDetector::shared(),
        }
    }

    /// The knowledge index it answers from.
    pub fn index(&self) -> &Arc<KnowledgeIndex> {
        &self.index
    }

    /// Answer synchronously (the work is CPU-only and takes well under a
    /// millisecond, so it needs no blocking pool); [`Runtime::respond`] calls this.
    pub fn answer(&self, req: &AgentRequest) -> AgentOutcome {
        let start = Instant::now();
        let (response, error) = match BuiltinSettings::from_settings(&req.agent.settings) {
            Ok(settings) => (self.compose(req, &settings), None),
            Err(e) => (
                AgentResponse::Handoff {
                    reason: format!("the agent is misconfigured: {e}"),
                },
                Some(e.to_string()),
            ),
        };
        AgentOutcome {
            response,
            runtime: AgentRuntime::Builtin,
            model: None,
            latency_ms: elapsed_ms(start),
            error,
        }
    }

    fn compose(&self, req: &AgentRequest, settings: &BuiltinSettings) -> AgentResponse {
        if req.send_initial_message {
            return AgentResponse::Reply {
                text: greeting_text(&req.agent.name, settings.greeting.as_deref()),
                confidence: 1.0,
                sources: Vec::new(),
            };
        }
        let message = req.message.trim();
        if let Some(m) = self.detector.detect(message) {
            return AgentResponse::Handoff {
                reason: format!("contact asked for a human (“{}”)", m.phrase),
            };
        }
        if self.index.is_empty() {
            return AgentResponse::Handoff {
                reason:
                    "no article matches the question well enough (best: none, the knowledge base is empty)"
                        .into(),
            };
        }
        if terms(message).is_empty() {
            // "hi", "?" or "thanks": nothing to look up. Ask once; if the contact
            // still gives nothing to search for, a person will do better.
            let asked_already = req
                .history
                .iter()
                .rev()
                .find(|t| t.speaker != Speaker::Contact)
                .is_some_and(|t| t.text == CLARIFY);
            if asked_already {
                return AgentResponse::Handoff {
                    reason: "the contact's messages give nothing to look up in the knowledge base".into(),
                };
            }
            return AgentResponse::Reply {
                text: CLARIFY.into(),
                confidence: 1.0,
                sources: Vec::new(),
            };
        }

        let hits = self.index.search(message, 3);
        let Some(best) = hits.first().filter(|h| h.confidence >= settings.min_confidence) else {
            let best = hits.first().map_or_else(
                || "none".to_string(),
                |h| format!("“{}” at {:.2}", h.title, h.confidence),
            );
            return AgentResponse::Handoff {
                reason: format!(
                    "no article matches the question well enough (best: {best}, needed {:.2})",
                    settings.min_confidence
                ),
            };
        };
        let excerpt = self.index.excerpt(best, settings.max_reply_chars);
        let text = if excerpt.is_empty() {
            format!("Our help article “{}” should answer this.", best.title)
        } else {
            format!("From our help article “{}”: {excerpt}", best.title)
        };
        AgentResponse::Reply {
            text,
            confidence: best.confidence,
            sources: vec![Source {
                id: best.article_id.clone(),
                title: best.title.clone(),
            }],
        }
    }
}

#[async_trait]
impl Runtime for BuiltinRuntime {
    async fn respond(&self, req: &AgentRequest) -> AgentOutcome {
        self.answer(req)
    }
}

//! Baton's AI runtimes: the built-in knowledge-base agent and an
//! OpenAI-compatible chat completions client.
//!
//! The crate decides *what an agent would say*; the server's worker decides
//! *whether it may* (session still active, nobody took over) and records what
//! happened. One turn, as the worker drives it:
//!
//! ```no_run
//! # async fn turn(agent: &baton_core::directory::Agent, kb: std::sync::Arc<baton_agents::KnowledgeIndex>) {
//! use baton_agents::*;
//! let runtime = runtime_for(agent, kb).expect("valid settings"); // cache per agent
//! let req = AgentRequest::reply(AgentConfig::from(agent), vec![], "How do I get a refund?");
//! let outcome = runtime.respond(&req).await;
//! let floors = Floors::from_settings(&agent.settings).unwrap_or_default();
//! let (decision, receipt) = outcome.decide(floors, ReplyMode::Auto);
//! // Send / Draft / Handoff{reason} / Withhold — and store `receipt` (serde) with it.
//! # let _ = (decision, receipt);
//! # }
//! ```
//!
//! # Agent settings (`Agent::settings`, a JSON object; every field optional unless noted)
//!
//! | field | runtime | meaning |
//! | --- | --- | --- |
//! | `confidence_floor` | both | below it an `auto` reply becomes a draft (0..=1, default 0.55) |
//! | `handoff_floor` | both | below it the agent hands off (0..=1, ≤ `confidence_floor`, default 0.25) |
//! | `greeting` | both | opening message, `{name}` = agent name |
//! | `min_confidence` | builtin | hand off when the best article is below it (default `handoff_floor`) |
//! | `max_reply_chars` | builtin | longest quoted excerpt (100..=4000, default 600) |
//! | `base_url` | openai | **required**; `…/v1` or the server root |
//! | `model` | openai | **required** |
//! | `api_key` | openai | bearer token (secret) |
//! | `system_prompt`, `temperature` (0.3), `timeout_ms` (20000), `max_retries` (2), `backoff_ms` (500), `default_confidence` (0.7), `logprobs` (false), `max_tokens` | openai | see [`OpenAiSettings`] |

pub mod bm25;
pub mod builtin;
pub mod floors;
pub mod handoff;
pub mod openai;
pub mod runtime;
pub mod settings;
pub mod tokenize;

pub use bm25::{Article, Bm25Params, Hit, KnowledgeIndex};
pub use builtin::{BuiltinRuntime, BuiltinSettings};
pub use floors::{Decision, Floors, ReplyMode, UnknownReplyMode, apply_floors, decide};
pub use handoff::{HandoffDetector, HandoffMatch, Lang};
pub use openai::{ApiKey, OpenAiError, OpenAiRuntime, OpenAiSettings};
pub use runtime::{
    Action, AgentConfig, AgentOutcome, AgentRequest, AgentResponse, Receipt, Runtime, Source, Speaker, Turn,
    default_greeting,
};
pub use settings::SettingsError;

use baton_core::directory::{Agent, AgentRuntime};
use std::sync::Arc;

/// The runtime for a stored agent. `knowledge` is the workspace's index (only
/// the built-in runtime reads it). Build once per agent and settings version and
/// keep it: the OpenAI runtime holds a connection pool.
pub fn runtime_for(agent: &Agent, knowledge: Arc<KnowledgeIndex>) -> Result<Arc<dyn Runtime>, OpenAiError> {
    Ok(match agent.runtime {
        AgentRuntime::Builtin => {
            // Validate now so a bad setting shows up at configuration, not mid-conversation.
            BuiltinSettings::from_settings(&agent.settings)?;
            Arc::new(BuiltinRuntime::new(knowledge))
        }
        AgentRuntime::Openai => Arc::new(OpenAiRuntime::from_settings(&agent.settings)?),
    })
}

/// Check an agent's settings for its runtime (for the API's create/update
/// validation), without building anything.
pub fn validate_settings(runtime: AgentRuntime, settings: &serde_json::Value) -> Result<(), SettingsError> {
    Floors::from_settings(settings)?;
    match runtime {
        AgentRuntime::Builtin => BuiltinSettings::from_settings(settings).map(drop),
        AgentRuntime::Openai => OpenAiSettings::from_settings(settings).map(drop),
    }
}

//! An agent backed by any OpenAI-compatible chat completions endpoint.
//!
//! One call per contact message: the system prompt and the conversation go to
//! `POST …/v1/chat/completions` with one tool, `handoff(reason)`, that the model
//! may call to give the conversation to humans. Time-outs, connection errors,
//! 429 and 5xx are retried with exponential back-off and jitter (honouring
//! `Retry-After`); any other failure, or retries running out, becomes a handoff
//! whose reason and receipt carry the error. The API key is never logged and
//! never shown by `Debug`.

use crate::handoff::HandoffDetector;
use crate::runtime::{
    AgentOutcome, AgentRequest, AgentResponse, Runtime, Speaker, elapsed_ms, greeting_text,
};
use crate::settings::{SettingsError, invalid, object, opt_bool, opt_f32, opt_str, opt_u64, req_str};
use async_trait::async_trait;
use baton_core::directory::AgentRuntime;
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use std::time::{Duration, Instant};

/// Longest wait honoured from a `Retry-After` header; a longer one is cut, so a
/// contact is never left waiting for minutes on one answer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Longest computed back-off between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Most conversation turns sent (the latest ones): bounds request size and cost
/// on very long threads.
const MAX_TURNS: usize = 50;
/// Characters of an error response body kept in the error summary.
const ERROR_BODY_CHARS: usize = 200;

/// Appended to every system prompt: tells the model about the handoff tool and
/// that earlier support-side messages may be from people.
const RUNTIME_NOTE: &str = "Earlier assistant messages may have been written by human colleagues. \
If you cannot answer reliably, or the customer asks for a person, call the `handoff` tool with a short reason \
instead of replying.";

/// An API key. Its `Debug` prints a placeholder, it has no `Display`, and it is
/// not serialisable, so it cannot end up in logs or receipts by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Settings of an OpenAI-compatible agent.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiSettings {
    /// Endpoint root, e.g. `https://api.openai.com` or `http://localhost:11434/v1`
    /// (`base_url`, required, http or https).
    pub base_url: String,
    /// Model name (`model`, required).
    pub model: String,
    /// Bearer token (`api_key`; optional, local servers often need none).
    pub api_key: Option<ApiKey>,
    /// System prompt (`system_prompt`; default: a short support-assistant prompt
    /// naming the agent).
    pub system_prompt: Option<String>,
    /// Sampling temperature (`temperature`, 0..=2, default 0.3).
    pub temperature: f32,
    /// Per-attempt time-out (`timeout_ms`, 100..=600000, default 20000).
    pub timeout_ms: u64,
    /// Retries after the first attempt (`max_retries`, 0..=10, default 2).
    pub max_retries: u32,
    /// First back-off; doubles per retry, jittered to 50–100 % (`backoff_ms`,
    /// 0..=10000, default 500).
    pub backoff_ms: u64,
    /// Confidence of a reply when the response has no logprobs
    /// (`default_confidence`, 0..=1, default 0.7).
    pub default_confidence: f32,
    /// Ask the endpoint for token logprobs to derive confidence (`logprobs`,
    /// default false: not every compatible server supports it).
    pub logprobs: bool,
    /// Cap on generated tokens (`max_tokens`, optional).
    pub max_tokens: Option<u32>,
    /// Greeting, `{name}` for the agent's name (`greeting`).
    pub greeting: Option<String>,
}

impl OpenAiSettings {
    /// Settings with the defaults for everything but the endpoint and model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            system_prompt: None,
            temperature: 0.3,
            timeout_ms: 20_000,
            max_retries: 2,
            backoff_ms: 500,
            default_confidence: 0.7,
            logprobs: false,
            max_tokens: None,
            greeting: None,
        }
    }

    /// Read from the agent's settings JSON; errors name the field.
    pub fn from_settings(settings: &Value) -> Result<Self, SettingsError> {
        let m = object(settings)?;
        let base_url = req_str(m, "base_url")?.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(invalid("base_url", "must start with http:// or https://"));
        }
        let mut s = Self::new(base_url, req_str(m, "model")?);
        s.api_key = opt_str(m, "api_key")?.map(ApiKey::new);
        s.system_prompt = opt_str(m, "system_prompt")?.map(str::to_string);
        s.temperature = opt_f32(m, "temperature", 0.0, 2.0)?.unwrap_or(s.temperature);
        s.timeout_ms = opt_u64(m, "timeout_ms", 100, 600_000)?.unwrap_or(s.timeout_ms);
        s.max_retries = opt_u64(m, "max_retries", 0, 10)?.map_or(s.max_retries, |n| n as u32);
        s.backoff_ms = opt_u64(m, "backoff_ms", 0, 10_000)?.unwrap_or(s.backoff_ms);
        s.default_confidence = opt_f32(m, "default_confidence", 0.0, 1.0)?.unwrap_or(s.default_confidence);
        s.logprobs = opt_bool(m, "logprobs")?.unwrap_or(s.logprobs);
        s.max_tokens = opt_u64(m, "max_tokens", 1, 1_000_000)?.map(|n| n as u32);
        s.greeting = opt_str(m, "greeting")?.map(str::to_string);
        Ok(s)
    }

    /// The chat completions URL: `{base_url}/chat/completions` when the base URL
    /// already ends in `/v1`, else `{base_url}/v1/chat/completions`.
    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        }
    }
}

/// Why an [`OpenAiRuntime`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OpenAiError {
    /// The settings are wrong.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client could not be set up.
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

/// The OpenAI-compatible runtime. Holds a connection pool: build one per agent
/// and keep it.
#[derive(Debug, Clone)]
pub struct OpenAiRuntime {
    settings: OpenAiSettings,
    endpoint: String,
    client: reqwest::Client,
}

/// How one attempt failed.
struct Failure {
    summary: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            retryable: false,
            retry_after: None,
        }
    }
}

impl OpenAiRuntime {
    /// A runtime with these settings.
    pub fn new(settings: OpenAiSettings) -> Result<Self, OpenAiError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .build()
            .map_err(|e| OpenAiError::Client(e.to_string()))?;
        Ok(Self {
            endpoint: settings.endpoint(),
            settings,
            client,
        })
    }

    /// A runtime from the agent's settings JSON.
    pub fn from_settings(settings: &Value) -> Result<Self, OpenAiError> {
        Self::new(OpenAiSettings::from_settings(settings)?)
    }

    /// Its settings.
    pub fn settings(&self) -> &OpenAiSettings {
        &self.settings
    }

    /// The JSON body sent for `req`.
    pub fn request_body(&self, req: &AgentRequest) -> Value {
        let s = &self.settings;
        let prompt = match &s.system_prompt {
            Some(p) => p.clone(),
            None => format!(
                "You are {}, a friendly customer support assistant. Answer briefly and accurately, \
                 in the customer's language.",
                req.agent.name
            ),
        };
        let mut messages = vec![json!({"role": "system", "content": format!("{prompt}\n\n{RUNTIME_NOTE}")})];
        let turns: Vec<_> = req.turns().filter(|t| !t.text.trim().is_empty()).collect();
        let skip = turns.len().saturating_sub(MAX_TURNS);
        for t in turns.into_iter().skip(skip) {
            // Human colleagues' messages are the support side of the thread, so
            // they go as `assistant`, unprefixed: a prefix would invite the model
            // to imitate it.
            let role = match t.speaker {
                Speaker::Contact => "user",
                Speaker::Agent | Speaker::Human => "assistant",
            };
            messages.push(json!({"role": role, "content": t.text}));
        }
        let mut body = json!({
            "model": s.model,
            "temperature": s.temperature,
            "messages": messages,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "handoff",
                    "description": "Hand the conversation to a human support agent. Use it when you cannot \
                                    answer reliably or the customer asks for a person.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "reason": {"type": "string", "description": "Why a human should take over, in one sentence."}
                        },
                        "required": ["reason"]
                    }
                }
            }],
            "tool_choice": "auto",
        });
        if let Some(obj) = body.as_object_mut() {
            if s.logprobs {
                obj.insert("logprobs".into(), Value::Bool(true));
            }
            if let Some(n) = s.max_tokens {
                obj.insert("max_tokens".into(), json!(n));
            }
        }
        body
    }

    async fn call(&self, req: &AgentRequest) -> (AgentResponse, Option<String>, Option<String>) {
        let body = self.request_body(req);
        let attempts = self.settings.max_retries + 1;
        let mut last = String::new();
        for attempt in 1..=attempts {
            tracing::debug!(model = %self.settings.model, endpoint = %self.endpoint, attempt, "chat completion");
            match self.attempt(&body).await {
                Ok((response, model)) => return (response, Some(model), None),
                Err(f) => {
                    last = self.redact(&f.summary);
                    if !f.retryable || attempt == attempts {
                        break;
                    }
                    let wait = f
                        .retry_after
                        .map_or_else(|| self.backoff(attempt), |d| d.min(MAX_RETRY_AFTER));
                    tracing::warn!(
                        model = %self.settings.model, attempt, error = %last, wait_ms = wait.as_millis() as u64,
                        "AI endpoint failed; retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
        tracing::warn!(model = %self.settings.model, error = %last, "AI endpoint failed; handing off");
        let reason = format!("AI endpoint failed: {last}");
        (
            AgentResponse::Handoff { reason },
            Some(self.settings.model.clone()),
            Some(last),
        )
    }

    /// One HTTP round trip; `Ok` with the response and the model that answered.
    async fn attempt(&self, body: &Value) -> Result<(AgentResponse, String), Failure> {
        let mut rb = self.client.post(&self.endpoint).json(body);
        if let Some(key) = &self.settings.api_key {
            rb = rb.bearer_auth(key.expose());
        }
        let resp = rb.send().await.map_err(|e| self.transport_failure(&e))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.map_err(|e| self.transport_failure(&e))?;
        if !status.is_success() {
            let snippet: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let snippet = crate::bm25::shorten(&snippet, ERROR_BODY_CHARS);
            let summary = if snippet.is_empty() {
                format!("HTTP {}", status.as_u16())
            } else {
                format!("HTTP {}: {snippet}", status.as_u16())
            };
            let retryable = status.as_u16() == 429 || status.is_server_error();
            return Err(Failure {
                summary,
                retryable,
                retry_after: retry_after.filter(|_| retryable),
            });
        }
        let parsed: ChatResponse =
            serde_json::from_str(&text).map_err(|e| Failure::fatal(format!("invalid response: {e}")))?;
        let model = parsed
            .model
            .clone()
            .unwrap_or_else(|| self.settings.model.clone());
        self.interpret(parsed).map(|r| (r, model)).map_err(Failure::fatal)
    }

    fn interpret(&self, parsed: ChatResponse) -> Result<AgentResponse, String> {
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or("invalid response: no choices")?;
        let handoff = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.function.name == "handoff");
        if let Some(call) = handoff {
            let reason = serde_json::from_str::<HandoffArgs>(&call.function.arguments)
                .ok()
                .map(|a| a.reason.trim().to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "the AI model handed off without giving a reason".into());
            return Ok(AgentResponse::Handoff {
                reason: crate::bm25::shorten(&reason, 500),
            });
        }
        let text = choice.message.content.unwrap_or_default().trim().to_string();
        if text.is_empty() {
            return Err("invalid response: empty reply and no handoff".into());
        }
        let confidence = choice
            .logprobs
            .and_then(|l| l.content)
            .and_then(|tokens| confidence_from_logprobs(&tokens))
            .unwrap_or(self.settings.default_confidence);
        Ok(AgentResponse::Reply {
            text,
            confidence,
            sources: Vec::new(),
        })
    }

    fn transport_failure(&self, e: &reqwest::Error) -> Failure {
        let root = root_cause(e);
        if e.is_timeout() {
            Failure {
                summary: format!("timed out after {} ms", self.settings.timeout_ms),
                retryable: true,
                retry_after: None,
            }
        } else if e.is_builder() {
            Failure::fatal(format!("invalid request: {root}"))
        } else if e.is_connect() {
            Failure {
                summary: format!("could not connect: {root}"),
                retryable: true,
                retry_after: None,
            }
        } else {
            // Resets and truncated bodies: the request may not have been
            // processed, and a chat completion is safe to repeat.
            Failure {
                summary: format!("request failed: {root}"),
                retryable: true,
                retry_after: None,
            }
        }
    }

    /// Exponential back-off with jitter: `backoff_ms · 2^(attempt-1)`, scaled by
    /// a random 50–100 % so that many agents failing together do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = Duration::from_millis(self.settings.backoff_ms)
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        base.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// Remove the key from text that may echo it (an endpoint's error body).
    fn redact(&self, text: &str) -> String {
        match &self.settings.api_key {
            Some(k) if !k.expose().is_empty() => text.replace(k.expose(), "<redacted>"),
            _ => text.to_string(),
        }
    }
}

/// Confidence from token logprobs: the geometric mean of the tokens'
/// probabilities, `exp(mean(logprob))` — how sure the model was of the text it
/// produced, on average per token, independent of the reply's length.
fn confidence_from_logprobs(tokens: &[TokenLogprob]) -> Option<f32> {
    let finite: Vec<f64> = tokens
        .iter()
        .map(|t| t.logprob)
        .filter(|l| l.is_finite())
        .collect();
    if finite.is_empty() {
        return None;
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    Some(mean.exp().clamp(0.0, 1.0) as f32)
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[async_trait]
impl Runtime for OpenAiRuntime {
    async fn respond(&self, req: &AgentRequest) -> AgentOutcome {
        let start = Instant::now();
        let (response, model, error) = if req.send_initial_message {
            // A fixed greeting: instant, free, and cannot fail.
            let text = greeting_text(&req.agent.name, self.settings.greeting.as_deref());
            let r = AgentResponse::Reply {
                text,
                confidence: 1.0,
                sources: Vec::new(),
            };
            (r, None, None)
        } else if let Some(m) = HandoffDetector::shared().detect(&req.message) {
            // Same rule as the built-in agent, and no tokens spent on it.
            let reason = format!("contact asked for a human (“{}”)", m.phrase);
            (AgentResponse::Handoff { reason }, None, None)
        } else {
            self.call(req).await
        };
        AgentOutcome {
            response,
            runtime: AgentRuntime::Openai,
            model,
            latency_ms: elapsed_ms(start),
            error,
        }
    }
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
    #[serde(default)]
    logprobs: Option<ChoiceLogprobs>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: FunctionCall,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    /// A JSON document encoded as a string, per the protocol.
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize)]
struct HandoffArgs {
    reason: String,
}

#[derive(Deserialize)]
struct ChoiceLogprobs {
    #[serde(default)]
    content: Option<Vec<TokenLogprob>>,
}

#[derive(Deserialize)]
struct TokenLogprob {
    logprob: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_appends_v1_only_when_missing() {
        let s = |u: &str| OpenAiSettings::new(u, "m").endpoint();
        assert_eq!(
            s("https://api.openai.com"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            s("https://api.openai.com/"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            s("http://localhost:11434/v1"),
            "http://localhost:11434/v1/chat/completions"
        );
        assert_eq!(
            s("http://proxy/openai/v1/"),
            "http://proxy/openai/v1/chat/completions"
        );
    }

    #[test]
    fn logprobs_give_the_geometric_mean_probability() {
        let t = |l| TokenLogprob { logprob: l };
        let c = confidence_from_logprobs(&[t(0.0), t((0.25f64).ln())]).unwrap();
        assert!((c - 0.5).abs() < 1e-6);
        assert_eq!(confidence_from_logprobs(&[]), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let rt = OpenAiRuntime::new(OpenAiSettings::new("http://x", "m")).unwrap();
        for attempt in 1..=3u32 {
            let full = 500u64 << (attempt - 1);
            let d = rt.backoff(attempt).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
        }
        assert!(rt.backoff(30) <= MAX_BACKOFF);
    }
}

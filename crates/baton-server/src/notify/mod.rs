//! Sending what the store queued: notification emails (SMTP), Slack direct
//! messages, and signed webhook POSTs. The worker in
//! [`crate::workers::deliveries`] claims delivery rows and hands each to
//! [`Senders::send`]; the outcome goes back to the store, which schedules
//! retries with backoff.

pub mod email;
pub mod signature;
pub mod slack;
pub mod webhook;

use baton_core::{Actor, Timestamp};
use baton_store::Store;
use baton_store::notifications::{AttemptResult, Delivery, target};
use std::fmt;
use std::time::Duration;

/// SMTP settings.
#[derive(Clone, Default)]
pub struct SmtpConfig {
    /// Server host.
    pub host: String,
    /// Server port (25, 587, 465, or a test server's).
    pub port: u16,
    /// The From address, e.g. `Baton <baton@example.com>`.
    pub from: String,
    /// STARTTLS (off only for a loopback relay or tests).
    pub tls: bool,
    /// Optional user name.
    pub username: Option<String>,
    /// Optional password.
    pub password: Option<String>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Slack Web API settings.
#[derive(Clone, Default)]
pub struct SlackConfig {
    /// API base, `https://slack.com/api` (a fake's in tests).
    pub base_url: String,
    /// Bot token (`xoxb-…`) with `chat:write`.
    pub bot_token: String,
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackConfig")
            .field("base_url", &self.base_url)
            .field("bot_token", &"<redacted>")
            .finish()
    }
}

/// Notification and webhook delivery settings.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Where people open Baton, for links in emails and DMs.
    pub public_url: String,
    /// Email; `None` leaves email deliveries waiting.
    pub smtp: Option<SmtpConfig>,
    /// Slack; `None` leaves Slack deliveries waiting.
    pub slack: Option<SlackConfig>,
    /// How often the worker looks for due deliveries without a wake-up.
    pub poll: Duration,
    /// Run the delivery worker in this process.
    pub worker: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            smtp: None,
            slack: None,
            poll: Duration::from_secs(2),
            worker: true,
        }
    }
}

/// The configured ways out.
pub struct Senders {
    mailer: Option<email::Mailer>,
    slack: Option<slack::SlackClient>,
    http: reqwest::Client,
    public_url: String,
}

impl Senders {
    /// Build the clients; a malformed setting (e.g. the From address) is an error.
    pub fn new(config: &NotifyConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            mailer: config.smtp.as_ref().map(email::Mailer::new).transpose()?,
            slack: config
                .slack
                .as_ref()
                .map(|s| slack::SlackClient::new(http.clone(), s.clone())),
            http,
            public_url: config.public_url.trim_end_matches('/').to_string(),
        })
    }

    /// The delivery targets this node can send.
    pub fn targets(&self) -> &'static [&'static str] {
        match (self.mailer.is_some(), self.slack.is_some()) {
            (true, true) => &[target::EMAIL, target::SLACK, target::WEBHOOK],
            (true, false) => &[target::EMAIL, target::WEBHOOK],
            (false, true) => &[target::SLACK, target::WEBHOOK],
            (false, false) => &[target::WEBHOOK],
        }
    }

    /// A link to a conversation.
    pub fn link(&self, d: &Delivery) -> Option<String> {
        d.payload
            .get("conversation_id")
            .and_then(|v| v.as_str())
            .map(|c| format!("{}/c/{c}", self.public_url))
    }

    /// Make one attempt.
    pub async fn send(&self, store: &dyn Store, d: &Delivery, now: Timestamp) -> AttemptResult {
        match d.target.as_str() {
            target::EMAIL => match &self.mailer {
                Some(m) => m.send(d, self.link(d)).await,
                None => not_configured("email"),
            },
            target::SLACK => match &self.slack {
                Some(s) => s.send(d, self.link(d)).await,
                None => not_configured("slack"),
            },
            target::WEBHOOK => {
                let hook = match d.webhook_id {
                    Some(id) => store
                        .list_webhooks(d.workspace_id, &Actor::system("webhooks"))
                        .await
                        .ok()
                        .and_then(|hs| hs.into_iter().find(|h| h.id == id)),
                    None => None,
                };
                match hook {
                    Some(h) if h.enabled => webhook::send(&self.http, &h, d, now).await,
                    _ => AttemptResult::Failed {
                        error: "the webhook was deleted or disabled".into(),
                        permanent: true,
                    },
                }
            }
            other => AttemptResult::Failed {
                error: format!("unknown delivery target {other:?}"),
                permanent: true,
            },
        }
    }
}

fn not_configured(what: &str) -> AttemptResult {
    AttemptResult::Failed {
        error: format!("{what} is not configured on this node"),
        permanent: false,
    }
}

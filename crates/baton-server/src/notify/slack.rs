//! Slack direct messages through `chat.postMessage` (a bot token with
//! `chat:write`; posting to a member id opens the DM with the bot).

use super::SlackConfig;
use baton_store::notifications::{AttemptResult, Delivery};
use serde::Deserialize;
use serde_json::json;

/// Slack errors that retrying cannot fix.
const PERMANENT: &[&str] = &[
    "channel_not_found",
    "user_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "user_disabled",
    "cannot_dm_bot",
    "invalid_arguments",
];

#[derive(Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

/// A Slack Web API client.
pub struct SlackClient {
    http: reqwest::Client,
    config: SlackConfig,
}

impl SlackClient {
    /// A client for the configured workspace.
    pub fn new(http: reqwest::Client, config: SlackConfig) -> Self {
        Self { http, config }
    }

    /// Post the notification to the member's DM.
    pub async fn send(&self, d: &Delivery, link: Option<String>) -> AttemptResult {
        let Some(channel) = d.payload.get("channel").and_then(|c| c.as_str()) else {
            return AttemptResult::Failed {
                error: "no Slack member id".into(),
                permanent: true,
            };
        };
        let title = d.payload.get("title").and_then(|v| v.as_str()).unwrap_or("");
        let body = d.payload.get("body").and_then(|v| v.as_str()).unwrap_or("");
        let mut text = format!("*{title}*");
        if !body.is_empty() {
            text.push_str(&format!("\n> {}", body.replace('\n', "\n> ")));
        }
        if let Some(l) = link {
            text.push_str(&format!("\n<{l}|Open in Baton>"));
        }
        let url = format!("{}/chat.postMessage", self.config.base_url.trim_end_matches('/'));
        let res = self
            .http
            .post(url)
            .bearer_auth(&self.config.bot_token)
            .json(&json!({"channel": channel, "text": text, "unfurl_links": false}))
            .send()
            .await;
        let r = match res {
            Ok(r) => r,
            Err(e) => {
                return AttemptResult::Failed {
                    error: format!("request failed: {e}"),
                    permanent: false,
                };
            }
        };
        let status = r.status();
        if !status.is_success() {
            return AttemptResult::Failed {
                error: format!("HTTP {}", status.as_u16()),
                permanent: false,
            };
        }
        match r.json::<Reply>().await {
            Ok(Reply { ok: true, .. }) => AttemptResult::Delivered,
            Ok(Reply { error, .. }) => {
                let error = error.unwrap_or_else(|| "unknown_error".into());
                AttemptResult::Failed {
                    permanent: PERMANENT.contains(&error.as_str()),
                    error: format!("slack: {error}"),
                }
            }
            Err(e) => AttemptResult::Failed {
                error: format!("unreadable Slack reply: {e}"),
                permanent: false,
            },
        }
    }
}

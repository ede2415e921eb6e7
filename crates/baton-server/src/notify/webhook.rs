//! POSTing one event to one subscription.

use super::signature::{EVENT_HEADER, SIGNATURE_HEADER, header_value};
use baton_core::Timestamp;
use baton_store::notifications::{AttemptResult, Delivery, Webhook};

/// Send the delivery's body, signed; any 2xx is success, anything else
/// (including timeouts) is retried, and counts toward disabling the hook.
pub async fn send(http: &reqwest::Client, hook: &Webhook, d: &Delivery, now: Timestamp) -> AttemptResult {
    let body = match serde_json::to_vec(&d.payload) {
        Ok(b) => b,
        Err(e) => {
            return AttemptResult::Failed {
                error: e.to_string(),
                permanent: true,
            };
        }
    };
    let t = now.timestamp();
    let kind = d.payload.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let res = http
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "Baton-Webhooks/1")
        .header(SIGNATURE_HEADER, header_value(&hook.secret, t, &body))
        .header(EVENT_HEADER, kind)
        .header("X-Baton-Delivery", d.id.to_string())
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => AttemptResult::Delivered,
        Ok(r) => AttemptResult::Failed {
            error: format!("HTTP {}", r.status().as_u16()),
            permanent: false,
        },
        Err(e) => AttemptResult::Failed {
            error: if e.is_timeout() {
                "timed out".into()
            } else {
                format!("request failed: {e}")
            },
            permanent: false,
        },
    }
}

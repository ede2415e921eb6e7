//! Notification emails over SMTP (lettre): a plain-text and an HTML part,
//! each with a link to the conversation.

use super::SmtpConfig;
use askama::Template;
use baton_store::notifications::{AttemptResult, Delivery};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

#[derive(Template)]
#[template(path = "email_notification.html")]
struct HtmlBody<'a> {
    title: &'a str,
    body: &'a str,
    link: Option<&'a str>,
}

/// An SMTP sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A sender for the settings; a bad From address or host is an error.
    pub fn new(c: &SmtpConfig) -> Result<Self, String> {
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| format!("smtp from address {:?}: {e}", c.from))?;
        let mut b = if c.tls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host).map_err(|e| e.to_string())?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host)
        };
        b = b.port(c.port).timeout(Some(Duration::from_secs(15)));
        if let (Some(u), Some(p)) = (&c.username, &c.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Self {
            transport: b.build(),
            from,
        })
    }

    /// Build the message for a delivery.
    pub fn message(&self, d: &Delivery, link: Option<String>) -> Result<Message, String> {
        let s = |k: &str| d.payload.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let to = Mailbox::new(
            Some(s("name").to_string()).filter(|n| !n.is_empty()),
            s("to")
                .parse()
                .map_err(|e| format!("recipient {:?}: {e}", s("to")))?,
        );
        let (title, body) = (s("title"), s("body"));
        let mut text = format!("{title}\n");
        if !body.is_empty() {
            text.push_str(&format!("\n{body}\n"));
        }
        if let Some(l) = &link {
            text.push_str(&format!("\nOpen the conversation: {l}\n"));
        }
        text.push_str("\n-- \nBaton · change what you are told about in your notification settings\n");
        let html = HtmlBody {
            title,
            body,
            link: link.as_deref(),
        }
        .render()
        .map_err(|e| e.to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(title)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())
    }

    /// Send one notification email.
    pub async fn send(&self, d: &Delivery, link: Option<String>) -> AttemptResult {
        let msg = match self.message(d, link) {
            Ok(m) => m,
            Err(error) => {
                return AttemptResult::Failed {
                    error,
                    permanent: true,
                };
            }
        };
        match self.transport.send(msg).await {
            Ok(_) => AttemptResult::Delivered,
            Err(e) => AttemptResult::Failed {
                // 5xx answers are permanent (unknown mailbox, refused).
                permanent: e.is_permanent(),
                error: format!("smtp: {e}"),
            },
        }
    }
}

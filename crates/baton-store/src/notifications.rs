//! Notifications, their deliveries, and outbound webhooks: records and the
//! use cases shared by both backends.
//!
//! In-app notifications and their email/Slack deliveries are written by
//! [`record`] inside the transaction that wrote the events causing them, so a
//! notification exists exactly when its change does.
//!
//! Webhooks are fed from the event log instead of outbox rows written with
//! each event: every subscription keeps a cursor (`cursor_seq`) into its
//! workspace's log, and [`feed_webhooks`] turns the events past it into
//! delivery rows and moves the cursor in one transaction. Every kind of event
//! (directory changes, rules, …) then reaches integrations without each write
//! path knowing about webhooks, writes pay nothing when nobody subscribes, and
//! a new subscription starts at the log's head instead of replaying history.
//! Seqs commit in order (see the backends' append), so a cursor never skips
//! an event that commits late.

use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use baton_core::notify::{self, Medium, NotificationKind, Preferences};
use baton_core::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An in-app notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The notification.
    pub id: NotificationId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Who it is for.
    pub user_id: UserId,
    /// Why.
    pub kind: NotificationKind,
    /// The conversation it is about, if any.
    pub conversation_id: Option<ConversationId>,
    /// The event that caused it, if any.
    pub event_seq: Option<i64>,
    /// A one-line title.
    pub title: String,
    /// More detail (message preview, reason).
    pub body: String,
    /// Created.
    pub created_at: Timestamp,
    /// When the user read it (`None`: unread).
    pub read_at: Option<Timestamp>,
}

/// Where a delivery goes.
pub mod target {
    /// An email to the user.
    pub const EMAIL: &str = "email";
    /// A Slack DM to the user.
    pub const SLACK: &str = "slack";
    /// A POST to a webhook.
    pub const WEBHOOK: &str = "webhook";
}

/// A delivery's state.
pub mod status {
    /// Waiting for (another) attempt.
    pub const PENDING: &str = "pending";
    /// Delivered.
    pub const DELIVERED: &str = "delivered";
    /// Given up.
    pub const FAILED: &str = "failed";
}

/// One attempt of a delivery, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it finished.
    pub at: Timestamp,
    /// Did it succeed?
    pub ok: bool,
    /// What went wrong.
    pub error: Option<String>,
}

/// One notification or event going out over one medium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The delivery.
    pub id: DeliveryId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// `email`, `slack` or `webhook` (see [`target`]).
    pub target: String,
    /// The notification delivered (email, Slack).
    pub notification_id: Option<NotificationId>,
    /// The subscription delivered to (webhook).
    pub webhook_id: Option<WebhookId>,
    /// What to send: address and text, or the webhook body.
    pub payload: Value,
    /// `pending`, `delivered` or `failed` (see [`status`]).
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// Not before.
    pub next_attempt_at: Timestamp,
    /// A worker holds it until then.
    #[serde(skip)]
    pub lease_until: Option<Timestamp>,
    /// The holding worker's claim.
    #[serde(skip)]
    pub lease_token: Option<uuid::Uuid>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Every attempt.
    pub log: Vec<Attempt>,
    /// Created.
    pub created_at: Timestamp,
    /// Delivered.
    pub delivered_at: Option<Timestamp>,
}

impl Delivery {
    fn new(ws: WorkspaceId, target: &str, now: Timestamp, payload: Value) -> Self {
        Delivery {
            id: DeliveryId::new_v7(),
            workspace_id: ws,
            target: target.to_string(),
            notification_id: None,
            webhook_id: None,
            payload,
            status: status::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            lease_token: None,
            last_error: None,
            log: Vec::new(),
            created_at: now,
            delivered_at: None,
        }
    }
}

/// An outbound webhook subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// The subscription.
    pub id: WebhookId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Where events are POSTed.
    pub url: String,
    /// Event kinds, or `*` for all.
    pub events: Vec<String>,
    /// The HMAC key (never shown after creation).
    #[serde(skip_serializing)]
    pub secret: String,
    /// Who created it (told when it is disabled).
    pub created_by: UserId,
    /// Disabled subscriptions get nothing.
    pub enabled: bool,
    /// Failed deliveries in a row.
    pub consecutive_failures: u32,
    /// The last event seq turned into deliveries.
    pub cursor_seq: i64,
    /// Created.
    pub created_at: Timestamp,
}

impl Webhook {
    /// Does this subscription want events of `kind`?
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind.as_str())
    }
}

/// A new subscription.
#[derive(Debug, Clone, Deserialize)]
pub struct NewWebhook {
    /// `http(s)://…`.
    pub url: String,
    /// Event kinds or `["*"]`.
    pub events: Vec<String>,
    /// The signing secret (at least 16 characters).
    pub secret: String,
}

/// How one attempt went, as the worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    /// Delivered.
    Delivered,
    /// Failed; retry later unless `permanent`.
    Failed {
        /// Why.
        error: String,
        /// Retrying cannot help (e.g. no such Slack user).
        permanent: bool,
    },
}

fn require_admin(actor: &Actor) -> StoreResult<()> {
    match actor {
        Actor::User { role, .. } if !role.allows(Action::Manage) => {
            Err(DomainError::forbidden(Action::Manage).into())
        }
        _ => Ok(()),
    }
}

/// A user's preferences, defaults filled in.
pub async fn preferences(tx: &mut dyn WriteTx, user: UserId) -> StoreResult<Preferences> {
    Ok(tx.notification_prefs(user).await?.unwrap_or_default().completed())
}

/// Replace a user's preferences (kinds left out take their defaults).
pub async fn set_preferences(
    tx: &mut dyn WriteTx,
    user: UserId,
    prefs: Preferences,
) -> StoreResult<Preferences> {
    prefs.validate()?;
    let prefs = prefs.completed();
    tx.set_notification_prefs(user, &prefs).await?;
    Ok(prefs)
}

/// The text shown under the title: the message for mentions and contact
/// messages, the reason (e.g. the routing rule) for assignments.
fn body_of(e: &Event, batch: &[Event]) -> String {
    let preview = || {
        batch
            .iter()
            .find_map(|x| x.event.data.get("preview").and_then(Value::as_str))
            .map(str::to_string)
    };
    match e.event.kind {
        EventKind::Mentioned | EventKind::MessageCreated => preview().unwrap_or_default(),
        _ => e.event.reason.clone().or_else(preview).unwrap_or_default(),
    }
}

/// Write the notifications (and their email/Slack deliveries) that the events
/// one command just appended call for. Runs in the command's transaction.
pub async fn record(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: &Conversation,
    events: &[Event],
) -> StoreResult<()> {
    let raw: Vec<NewEvent> = events.iter().map(|e| e.event.clone()).collect();
    let members = match notify::assigned_team(&raw) {
        Some(t) => opted_in_members(tx, ws, t).await?,
        None => Vec::new(),
    };
    let triggers = notify::triggers(&raw, conv, &members);
    // A mention of someone also notified in this batch as the new assignee
    // still reads as two things; keeping both is deliberate.
    for t in triggers {
        let e = &events[t.event_index];
        notify_user(
            tx,
            ws,
            t.user_id,
            t.kind,
            Some(conv.id),
            Some(e.seq),
            body_of(e, events),
        )
        .await?;
    }
    Ok(())
}

/// The delivery media this deployment can send: SMTP and a Slack bot token
/// configured or not. Notifications queue deliveries only for these; a row
/// for a medium nobody can send would wait forever. Every node of one
/// deployment should be configured alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sendable {
    /// Email can be sent.
    pub email: bool,
    /// Slack messages can be sent.
    pub slack: bool,
}

impl Default for Sendable {
    /// Until told otherwise, a store queues every medium.
    fn default() -> Self {
        Sendable {
            email: true,
            slack: true,
        }
    }
}

impl Sendable {
    /// Whether a notification may go out over `m` (in-app always can).
    pub fn allows(&self, m: Medium) -> bool {
        match m {
            Medium::InApp => true,
            Medium::Email => self.email,
            Medium::Slack => self.slack,
        }
    }
}

/// A [`Sendable`] a store shares with its transactions, set at start-up.
#[derive(Debug, Default)]
pub struct SendableSetting(std::sync::RwLock<Sendable>);

impl SendableSetting {
    /// The current setting.
    pub fn get(&self) -> Sendable {
        *self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Change it.
    pub fn set(&self, media: Sendable) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = media;
    }
}

/// The members of a team who want to hear of its assignments. That is opt-in,
/// so only members with stored preferences can: one query, instead of
/// reading every member's preferences for each conversation routed to a
/// team of fifty.
async fn opted_in_members(tx: &mut dyn WriteTx, ws: WorkspaceId, team: TeamId) -> StoreResult<Vec<UserId>> {
    let kind = NotificationKind::TeamAssigned;
    if Preferences::default().wants_any(kind) {
        // Were it ever opt-out, everyone would count.
        return Ok(tx.team(ws, team).await?.map(|t| t.member_ids).unwrap_or_default());
    }
    Ok(tx
        .team_notification_prefs(team)
        .await?
        .into_iter()
        .filter(|(_, p)| p.clone().completed().wants_any(kind))
        .map(|(u, _)| u)
        .collect())
}

/// Notify one user of one thing, by their preferences; nothing for a
/// deactivated user or one who opted out of every medium.
pub async fn notify_user(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    user_id: UserId,
    kind: NotificationKind,
    conversation_id: Option<ConversationId>,
    event_seq: Option<i64>,
    body: String,
) -> StoreResult<Option<Notification>> {
    let Some(user) = tx.user(ws, user_id).await? else {
        return Ok(None);
    };
    if !user.active {
        return Ok(None);
    }
    let prefs = preferences(tx, user_id).await?;
    let sendable = tx.sendable();
    let media: Vec<Medium> = [Medium::InApp, Medium::Email, Medium::Slack]
        .into_iter()
        .filter(|m| prefs.wants(kind, *m) && sendable.allows(*m))
        .collect();
    if media.is_empty() {
        return Ok(None);
    }
    let now = tx.now();
    let n = Notification {
        id: NotificationId::new_v7(),
        workspace_id: ws,
        user_id,
        kind,
        conversation_id,
        event_seq,
        title: kind.title().to_string(),
        body,
        created_at: now,
        read_at: None,
    };
    tx.insert_notification(&n, media.contains(&Medium::InApp)).await?;
    for m in media {
        let payload = match m {
            Medium::InApp => continue,
            Medium::Email => json!({"to": user.email.as_str(), "name": user.name}),
            Medium::Slack => json!({"channel": prefs.slack_member_id}),
        };
        let mut payload = payload;
        payload["title"] = json!(n.title);
        payload["body"] = json!(n.body);
        payload["kind"] = json!(kind);
        payload["conversation_id"] = json!(conversation_id);
        let mut d = Delivery::new(ws, m.as_str(), now, payload);
        d.notification_id = Some(n.id);
        tx.insert_delivery(&d).await?;
    }
    Ok(Some(n))
}

/// Mark one of the caller's notifications read (idempotent).
pub async fn mark_read(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    user: UserId,
    id: NotificationId,
) -> StoreResult<Notification> {
    let now = tx.now();
    tx.mark_notification_read(ws, user, id, now)
        .await?
        .ok_or(StoreError::not_found("notification"))
}

/// Claim up to `limit` due deliveries of the given targets for `lease_secs`:
/// nobody else gets them until the lease runs out or they are finished.
pub async fn claim(
    tx: &mut dyn WriteTx,
    targets: &[&str],
    now: Timestamp,
    lease_secs: i64,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let token = uuid::Uuid::now_v7();
    let until = now + chrono::Duration::seconds(lease_secs);
    tx.claim_deliveries(targets, now, until, token, limit).await
}

/// Record how a claimed delivery's attempt went. A worker whose lease was
/// lost (another worker claimed the row after it ran out) changes nothing and
/// gets `false`. Failing webhooks are disabled after
/// [`notify::WEBHOOK_DISABLE_AFTER`] failures in a row and their creator told.
pub async fn finish(
    tx: &mut dyn WriteTx,
    claimed: &Delivery,
    now: Timestamp,
    result: AttemptResult,
) -> StoreResult<bool> {
    let Some(mut d) = tx.delivery(claimed.id).await? else {
        return Ok(false);
    };
    if d.status != status::PENDING || d.lease_token != claimed.lease_token {
        return Ok(false);
    }
    d.attempts += 1;
    d.lease_until = None;
    d.lease_token = None;
    let ok = result == AttemptResult::Delivered;
    match &result {
        AttemptResult::Delivered => {
            d.status = status::DELIVERED.into();
            d.delivered_at = Some(now);
            d.last_error = None;
        }
        AttemptResult::Failed { error, permanent } => {
            d.last_error = Some(error.clone());
            if *permanent || d.attempts >= notify::MAX_ATTEMPTS {
                d.status = status::FAILED.into();
            } else {
                d.next_attempt_at = now + chrono::Duration::seconds(notify::backoff_seconds(d.attempts));
            }
        }
    }
    d.log.push(Attempt {
        at: now,
        ok,
        error: match &result {
            AttemptResult::Failed { error, .. } => Some(error.clone()),
            AttemptResult::Delivered => None,
        },
    });
    tx.update_delivery(&d).await?;
    if let Some(hook_id) = d.webhook_id
        && let Some(mut hook) = tx.webhook(d.workspace_id, hook_id).await?
    {
        if ok {
            hook.consecutive_failures = 0;
        } else {
            hook.consecutive_failures += 1;
        }
        let disable = hook.enabled && hook.consecutive_failures >= notify::WEBHOOK_DISABLE_AFTER;
        if disable {
            hook.enabled = false;
        }
        tx.update_webhook(&hook).await?;
        if disable {
            let body = format!(
                "{} failed {} times in a row and was disabled",
                hook.url, hook.consecutive_failures
            );
            notify_user(
                tx,
                hook.workspace_id,
                hook.created_by,
                NotificationKind::WebhookDisabled,
                None,
                None,
                body,
            )
            .await?;
        }
    }
    Ok(true)
}

/// Check and create a webhook subscription (admins). It starts at the
/// workspace's current event: history is not replayed.
pub async fn create_webhook(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    new: NewWebhook,
) -> StoreResult<Webhook> {
    require_admin(actor)?;
    let Some(created_by) = actor.user_id() else {
        return Err(StoreError::invalid(
            "user_required",
            "webhooks are created by a user",
        ));
    };
    let url = new.url.trim().to_string();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > 2000 || url.len() < 10
    {
        return Err(StoreError::invalid("invalid_url", "url must be an http(s) URL"));
    }
    if new.secret.chars().count() < 16 || new.secret.len() > 256 {
        return Err(StoreError::invalid(
            "invalid_secret",
            "secret must be 16 to 256 characters",
        ));
    }
    if new.events.is_empty() {
        return Err(StoreError::invalid(
            "invalid_events",
            "events must list event kinds or \"*\"",
        ));
    }
    for e in &new.events {
        if e != "*" && EventKind::parse(e).is_none() {
            return Err(StoreError::invalid(
                "invalid_events",
                format!("unknown event kind {e:?}"),
            ));
        }
    }
    let mut events = new.events.clone();
    events.sort();
    events.dedup();
    let hook = Webhook {
        id: WebhookId::new_v7(),
        workspace_id: ws,
        url,
        events,
        secret: new.secret,
        created_by,
        enabled: true,
        consecutive_failures: 0,
        cursor_seq: tx.latest_event_seq(ws).await?,
        created_at: tx.now(),
    };
    tx.insert_webhook(&hook).await?;
    Ok(hook)
}

/// Delete a subscription (admins); its pending deliveries are dropped.
pub async fn delete_webhook(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: WebhookId,
) -> StoreResult<()> {
    require_admin(actor)?;
    if tx.delete_webhook(ws, id).await? {
        Ok(())
    } else {
        Err(StoreError::not_found("webhook"))
    }
}

/// The body POSTed for an event (see API.md, "Webhook signatures").
pub fn webhook_body(e: &Event) -> Value {
    json!({
        "id": format!("{}:{}", e.workspace_id, e.seq),
        "kind": e.event.kind.as_str(),
        "workspace_id": e.workspace_id,
        "conversation_id": e.event.conversation_id,
        "at": e.event.at,
        "data": {
            "seq": e.seq,
            "actor": e.event.actor,
            "before": e.event.before,
            "after": e.event.after,
            "reason": e.event.reason,
            "data": e.event.data,
        },
    })
}

/// Turn the events past each enabled subscription's cursor into deliveries,
/// moving the cursors, in one transaction. Returns the deliveries written.
pub async fn feed_webhooks(tx: &mut dyn WriteTx, batch: u32) -> StoreResult<u32> {
    let now = tx.now();
    let mut written = 0;
    for mut hook in tx.webhooks_to_feed(100).await? {
        let events = tx.events_since(hook.workspace_id, hook.cursor_seq, batch).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            continue;
        };
        for e in events.iter().filter(|e| hook.wants(e.event.kind)) {
            let mut d = Delivery::new(hook.workspace_id, target::WEBHOOK, now, webhook_body(e));
            d.webhook_id = Some(hook.id);
            tx.insert_delivery(&d).await?;
            written += 1;
        }
        hook.cursor_seq = last;
        tx.update_webhook(&hook).await?;
    }
    Ok(written)
}

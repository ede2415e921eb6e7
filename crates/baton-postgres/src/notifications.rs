//! SQL for notifications, deliveries and webhooks (`WriteTx` methods). These
//! rows are locked only by the statements here, never with conversations,
//! teams or users, so they add no step to the lock order in `tx.rs`.

use crate::rows::{self, db_err, get, json};
use baton_core::notify::{NotificationKind, Preferences};
use baton_core::*;
use baton_store::notifications::{Delivery, Notification, Webhook};
use baton_store::*;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

type R<T> = StoreResult<T>;

pub async fn prefs(c: &mut PgConnection, user: UserId) -> R<Option<Preferences>> {
    let row = sqlx::query("SELECT prefs FROM notification_prefs WHERE user_id = $1")
        .bind(user.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| rows::j(&r, 0)).transpose()
}

pub async fn team_prefs(c: &mut PgConnection, team: TeamId) -> R<Vec<(UserId, Preferences)>> {
    let rows = sqlx::query(
        "SELECT p.user_id, p.prefs FROM team_members m \
         JOIN notification_prefs p ON p.user_id = m.user_id WHERE m.team_id = $1",
    )
    .bind(team.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| Ok((UserId(get(r, 0)?), rows::j(r, 1)?)))
        .collect()
}

pub async fn set_prefs(c: &mut PgConnection, user: UserId, p: &Preferences) -> R<()> {
    sqlx::query(
        "INSERT INTO notification_prefs (user_id, prefs) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs",
    )
    .bind(user.0)
    .bind(json(p))
    .execute(&mut *c)
    .await
    .map_err(db_err)
    .map(drop)
}

const N_COLS: &str =
    "id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, created_at, read_at";

fn notification(r: &PgRow) -> R<Notification> {
    let kind: &str = get(r, 3)?;
    Ok(Notification {
        id: rows::id(r, 0)?,
        workspace_id: rows::id(r, 1)?,
        user_id: rows::id(r, 2)?,
        kind: NotificationKind::parse(kind)
            .ok_or_else(|| StoreError::Database(format!("unknown notification kind {kind:?}")))?,
        conversation_id: rows::ido(r, 4)?,
        event_seq: get(r, 5)?,
        title: get(r, 6)?,
        body: get(r, 7)?,
        created_at: get(r, 8)?,
        read_at: get(r, 9)?,
    })
}

pub async fn insert_notification(c: &mut PgConnection, n: &Notification, in_app: bool) -> R<()> {
    sqlx::query(
        "INSERT INTO notifications (id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, \
         in_app, created_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(n.id.0)
    .bind(n.workspace_id.0)
    .bind(n.user_id.0)
    .bind(n.kind.as_str())
    .bind(n.conversation_id.map(|x| x.0))
    .bind(n.event_seq)
    .bind(&n.title)
    .bind(&n.body)
    .bind(in_app)
    .bind(n.created_at)
    .bind(n.read_at)
    .execute(&mut *c)
    .await
    .map_err(db_err)
    .map(drop)
}

pub async fn notifications(
    c: &mut PgConnection,
    ws: WorkspaceId,
    user: UserId,
    before: Option<(Timestamp, uuid::Uuid)>,
    limit: u32,
) -> R<Vec<Notification>> {
    let sql = format!(
        "SELECT {N_COLS} FROM notifications WHERE user_id = $1 AND workspace_id = $2 AND in_app \
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4)) \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    );
    let found = sqlx::query(&sql)
        .bind(user.0)
        .bind(ws.0)
        .bind(before.map(|b| b.0))
        .bind(before.map(|b| b.1).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, notification)
}

pub async fn unread_count(c: &mut PgConnection, ws: WorkspaceId, user: UserId) -> R<i64> {
    let row = sqlx::query(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND workspace_id = $2 AND in_app AND read_at IS NULL",
    )
    .bind(user.0)
    .bind(ws.0)
    .fetch_one(&mut *c)
    .await
    .map_err(db_err)?;
    get(&row, 0)
}

pub async fn mark_read(
    c: &mut PgConnection,
    ws: WorkspaceId,
    user: UserId,
    id: NotificationId,
    at: Timestamp,
) -> R<Option<Notification>> {
    let sql = format!(
        "UPDATE notifications SET read_at = coalesce(read_at, $4) \
         WHERE id = $1 AND user_id = $2 AND workspace_id = $3 AND in_app RETURNING {N_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(user.0)
        .bind(ws.0)
        .bind(at)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| notification(&r)).transpose()
}

const D_COLS: &str = "doc, lease_until, lease_token";

fn delivery(r: &PgRow) -> R<Delivery> {
    let mut d: Delivery = rows::j(r, 0)?;
    d.lease_until = get(r, 1)?;
    d.lease_token = get(r, 2)?;
    Ok(d)
}

pub async fn insert_delivery(c: &mut PgConnection, d: &Delivery) -> R<()> {
    sqlx::query(
        "INSERT INTO deliveries (id, workspace_id, target, status, webhook_id, next_attempt_at, lease_until, \
         lease_token, created_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(d.id.0)
    .bind(d.workspace_id.0)
    .bind(&d.target)
    .bind(&d.status)
    .bind(d.webhook_id.map(|w| w.0))
    .bind(d.next_attempt_at)
    .bind(d.lease_until)
    .bind(d.lease_token)
    .bind(d.created_at)
    .bind(json(d))
    .execute(&mut *c)
    .await
    .map_err(db_err)
    .map(drop)
}

/// Rows another worker is claiming right now are skipped, not waited for,
/// and a leased row is not due: two claims never return one row.
pub async fn claim(
    c: &mut PgConnection,
    targets: &[&str],
    now: Timestamp,
    until: Timestamp,
    token: uuid::Uuid,
    limit: u32,
) -> R<Vec<Delivery>> {
    let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let sql = format!(
        "UPDATE deliveries SET lease_until = $2, lease_token = $3 WHERE id IN ( \
           SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
           AND (lease_until IS NULL OR lease_until <= $1) AND target = ANY($4) \
           ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
         RETURNING {D_COLS}"
    );
    let found = sqlx::query(&sql)
        .bind(now)
        .bind(until)
        .bind(token)
        .bind(&targets)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, delivery)
}

pub async fn delivery_by_id(c: &mut PgConnection, id: DeliveryId) -> R<Option<Delivery>> {
    let sql = format!("SELECT {D_COLS} FROM deliveries WHERE id = $1 FOR UPDATE");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| delivery(&r)).transpose()
}

pub async fn update_delivery(c: &mut PgConnection, d: &Delivery) -> R<()> {
    sqlx::query(
        "UPDATE deliveries SET status = $2, next_attempt_at = $3, lease_until = $4, lease_token = $5, doc = $6 \
         WHERE id = $1",
    )
    .bind(d.id.0)
    .bind(&d.status)
    .bind(d.next_attempt_at)
    .bind(d.lease_until)
    .bind(d.lease_token)
    .bind(json(d))
    .execute(&mut *c)
    .await
    .map_err(db_err)
    .map(drop)
}

pub async fn deliveries(
    c: &mut PgConnection,
    ws: WorkspaceId,
    status: Option<&str>,
    webhook: Option<WebhookId>,
    limit: u32,
) -> R<Vec<Delivery>> {
    let sql = format!(
        "SELECT {D_COLS} FROM deliveries WHERE workspace_id = $1 AND ($2::text IS NULL OR status = $2) \
         AND ($4::uuid IS NULL OR webhook_id = $4) ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .bind(status)
        .bind(i64::from(limit))
        .bind(webhook.map(|w| w.0))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, delivery)
}

const W_COLS: &str = "id, workspace_id, url, events, secret, created_by, enabled, consecutive_failures, cursor_seq, created_at";

fn webhook(r: &PgRow) -> R<Webhook> {
    Ok(Webhook {
        id: rows::id(r, 0)?,
        workspace_id: rows::id(r, 1)?,
        url: get(r, 2)?,
        events: rows::j(r, 3)?,
        secret: get(r, 4)?,
        created_by: rows::id(r, 5)?,
        enabled: get(r, 6)?,
        consecutive_failures: get::<i32>(r, 7)?.max(0) as u32,
        cursor_seq: get(r, 8)?,
        created_at: get(r, 9)?,
    })
}

pub async fn insert_webhook(c: &mut PgConnection, w: &Webhook) -> R<()> {
    sqlx::query(
        "INSERT INTO webhooks (id, workspace_id, url, events, secret, created_by, enabled, consecutive_failures, \
         cursor_seq, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(w.id.0)
    .bind(w.workspace_id.0)
    .bind(&w.url)
    .bind(json(&w.events))
    .bind(&w.secret)
    .bind(w.created_by.0)
    .bind(w.enabled)
    .bind(w.consecutive_failures as i32)
    .bind(w.cursor_seq)
    .bind(w.created_at)
    .execute(&mut *c)
    .await
    .map_err(db_err)
    .map(drop)
}

pub async fn webhooks(c: &mut PgConnection, ws: WorkspaceId) -> R<Vec<Webhook>> {
    let sql = format!("SELECT {W_COLS} FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, id");
    let found = sqlx::query(&sql)
        .bind(ws.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, webhook)
}

/// Locked, skipping subscriptions another node is feeding.
pub async fn webhooks_to_feed(c: &mut PgConnection, limit: u32) -> R<Vec<Webhook>> {
    let sql = format!(
        "SELECT {W_COLS} FROM webhooks WHERE enabled ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED"
    );
    let found = sqlx::query(&sql)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    rows::all(found, webhook)
}

pub async fn webhook_by_id(c: &mut PgConnection, ws: WorkspaceId, id: WebhookId) -> R<Option<Webhook>> {
    let sql = format!("SELECT {W_COLS} FROM webhooks WHERE id = $1 AND workspace_id = $2 FOR UPDATE");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(ws.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    row.map(|r| webhook(&r)).transpose()
}

pub async fn update_webhook(c: &mut PgConnection, w: &Webhook) -> R<()> {
    sqlx::query("UPDATE webhooks SET enabled = $2, consecutive_failures = $3, cursor_seq = $4 WHERE id = $1")
        .bind(w.id.0)
        .bind(w.enabled)
        .bind(w.consecutive_failures as i32)
        .bind(w.cursor_seq)
        .execute(&mut *c)
        .await
        .map_err(db_err)
        .map(drop)
}

pub async fn delete_webhook(c: &mut PgConnection, ws: WorkspaceId, id: WebhookId) -> R<bool> {
    sqlx::query("DELETE FROM deliveries WHERE webhook_id = $1 AND status = 'pending'")
        .bind(id.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    let n = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND workspace_id = $2")
        .bind(id.0)
        .bind(ws.0)
        .execute(&mut *c)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n > 0)
}

//! SQL for notifications, deliveries and webhooks (`WriteTx` methods).

use crate::rows::{self, db_err, json, ts, ts_opt};
use baton_core::notify::{NotificationKind, Preferences};
use baton_core::*;
use baton_store::notifications::{Delivery, Notification, Webhook};
use baton_store::*;
use rusqlite::{Connection, OptionalExtension, Row, params};

type R<T> = StoreResult<T>;

fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> R<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(db_err)
}

pub fn prefs(conn: &Connection, user: UserId) -> R<Option<Preferences>> {
    conn.prepare_cached("SELECT prefs FROM notification_prefs WHERE user_id = ?1")
        .and_then(|mut s| s.query_row([user.to_string()], |r| rows::j(r, 0)).optional())
        .map_err(db_err)
}

pub fn team_prefs(conn: &Connection, team: TeamId) -> R<Vec<(UserId, Preferences)>> {
    conn.prepare_cached(
        "SELECT p.user_id, p.prefs FROM team_members m \
         JOIN notification_prefs p ON p.user_id = m.user_id WHERE m.team_id = ?1",
    )
    .and_then(|mut s| {
        s.query_map([team.to_string()], |r| Ok((rows::p(r, 0)?, rows::j(r, 1)?)))?
            .collect()
    })
    .map_err(db_err)
}

pub fn set_prefs(conn: &Connection, user: UserId, p: &Preferences) -> R<()> {
    exec(
        conn,
        "INSERT INTO notification_prefs (user_id, prefs) VALUES (?1, ?2) \
         ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs",
        params![user.to_string(), json(p)],
    )
    .map(drop)
}

const N_COLS: &str =
    "id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, created_at, read_at";

fn notification(r: &Row<'_>) -> rusqlite::Result<Notification> {
    let kind: String = r.get(3)?;
    Ok(Notification {
        id: rows::p(r, 0)?,
        workspace_id: rows::p(r, 1)?,
        user_id: rows::p(r, 2)?,
        kind: NotificationKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                3,
                rusqlite::types::Type::Text,
                "notification kind".into(),
            )
        })?,
        conversation_id: rows::po(r, 4)?,
        event_seq: r.get(5)?,
        title: r.get(6)?,
        body: r.get(7)?,
        created_at: rows::t(r, 8)?,
        read_at: rows::to(r, 9)?,
    })
}

pub fn insert_notification(conn: &Connection, n: &Notification, in_app: bool) -> R<()> {
    exec(
        conn,
        "INSERT INTO notifications (id, workspace_id, user_id, kind, conversation_id, event_seq, title, body, \
         in_app, created_at, read_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            n.id.to_string(),
            n.workspace_id.to_string(),
            n.user_id.to_string(),
            n.kind.as_str(),
            n.conversation_id.map(|c| c.to_string()),
            n.event_seq,
            n.title,
            n.body,
            in_app,
            ts(n.created_at),
            ts_opt(n.read_at)
        ],
    )?;
    if in_app && n.read_at.is_none() {
        exec(
            conn,
            "INSERT INTO notification_unread (user_id, n) VALUES (?1, 1) ON CONFLICT DO UPDATE SET n = n + 1",
            [n.user_id.to_string()],
        )?;
    }
    Ok(())
}

pub fn notifications(
    conn: &Connection,
    ws: WorkspaceId,
    user: UserId,
    before: Option<(Timestamp, uuid::Uuid)>,
    limit: u32,
) -> R<Vec<Notification>> {
    let (bt, bid) = match before {
        Some((t, id)) => (ts(t), id.to_string()),
        // Every id sorts before this one (ids are lowercase hex and '-').
        None => (i64::MAX, "~".to_string()),
    };
    conn.prepare_cached(&list_sql())
        .and_then(|mut s| {
            s.query_map(
                params![user.to_string(), ws.to_string(), bt, bid, limit],
                notification,
            )?
            .collect()
        })
        .map_err(db_err)
}

/// A user's in-app notifications before (?3, ?4), newest first, at most ?5.
/// The row-value bound makes the page start with a seek in the user's
/// (created_at, id) index order rather than a walk past the pages before it.
fn list_sql() -> String {
    format!(
        "SELECT {N_COLS} FROM notifications WHERE user_id = ?1 AND workspace_id = ?2 AND in_app = 1 \
         AND (created_at, id) < (?3, ?4) ORDER BY created_at DESC, id DESC LIMIT ?5"
    )
}

pub fn unread_count(conn: &Connection, ws: WorkspaceId, user: UserId) -> R<i64> {
    // The count is kept per user; a user belongs to one workspace.
    conn.prepare_cached(
        "SELECT coalesce((SELECT u.n FROM notification_unread u JOIN users ON users.id = u.user_id \
         WHERE u.user_id = ?1 AND users.workspace_id = ?2), 0)",
    )
    .and_then(|mut s| s.query_row(params![user.to_string(), ws.to_string()], |r| r.get(0)))
    .map_err(db_err)
}

pub fn mark_read(
    conn: &Connection,
    ws: WorkspaceId,
    user: UserId,
    id: NotificationId,
    at: Timestamp,
) -> R<Option<Notification>> {
    let first_read = exec(
        conn,
        "UPDATE notifications SET read_at = ?4 \
         WHERE id = ?1 AND user_id = ?2 AND workspace_id = ?3 AND in_app = 1 AND read_at IS NULL",
        params![id.to_string(), user.to_string(), ws.to_string(), ts(at)],
    )?;
    if first_read == 1 {
        exec(
            conn,
            "UPDATE notification_unread SET n = max(n - 1, 0) WHERE user_id = ?1",
            [user.to_string()],
        )?;
    }
    let sql = format!(
        "SELECT {N_COLS} FROM notifications WHERE id = ?1 AND user_id = ?2 AND workspace_id = ?3 AND in_app = 1"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(
                params![id.to_string(), user.to_string(), ws.to_string()],
                notification,
            )
            .optional()
        })
        .map_err(db_err)
}

const D_COLS: &str = "doc, lease_until, lease_token";

fn delivery(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    let mut d: Delivery = rows::j(r, 0)?;
    d.lease_until = rows::to(r, 1)?;
    d.lease_token = rows::po(r, 2)?;
    Ok(d)
}

pub fn insert_delivery(conn: &Connection, d: &Delivery) -> R<()> {
    exec(
        conn,
        "INSERT INTO deliveries (id, workspace_id, target, status, webhook_id, next_attempt_at, lease_until, \
         lease_token, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            d.id.to_string(),
            d.workspace_id.to_string(),
            d.target,
            d.status,
            d.webhook_id.map(|w| w.to_string()),
            ts(d.next_attempt_at),
            ts_opt(d.lease_until),
            d.lease_token.map(|t| t.to_string()),
            ts(d.created_at),
            json(d)
        ],
    )
    .map(drop)
}

/// The single writer runs one job at a time, so selecting the due rows and
/// leasing them in this one job cannot hand a row to two workers.
pub fn claim(
    conn: &Connection,
    targets: &[&str],
    now: Timestamp,
    until: Timestamp,
    token: uuid::Uuid,
    limit: u32,
) -> R<Vec<Delivery>> {
    let targets_json = json(&targets);
    let ids: Vec<String> = conn
        .prepare_cached(
            "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
             AND (lease_until IS NULL OR lease_until <= ?1) \
             AND target IN (SELECT value FROM json_each(?2)) \
             ORDER BY next_attempt_at, id LIMIT ?3",
        )
        .and_then(|mut s| {
            s.query_map(params![ts(now), targets_json, limit], |r| r.get(0))?
                .collect()
        })
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        exec(
            conn,
            "UPDATE deliveries SET lease_until = ?2, lease_token = ?3 WHERE id = ?1",
            params![id, ts(until), token.to_string()],
        )?;
        if let Some(d) = get_delivery(conn, &id)? {
            out.push(d);
        }
    }
    Ok(out)
}

fn get_delivery(conn: &Connection, id: &str) -> R<Option<Delivery>> {
    let sql = format!("SELECT {D_COLS} FROM deliveries WHERE id = ?1");
    conn.prepare_cached(&sql)
        .and_then(|mut s| s.query_row([id], delivery).optional())
        .map_err(db_err)
}

pub fn delivery_by_id(conn: &Connection, id: DeliveryId) -> R<Option<Delivery>> {
    get_delivery(conn, &id.to_string())
}

pub fn update_delivery(conn: &Connection, d: &Delivery) -> R<()> {
    exec(
        conn,
        "UPDATE deliveries SET status = ?2, next_attempt_at = ?3, lease_until = ?4, lease_token = ?5, doc = ?6 WHERE id = ?1",
        params![
            d.id.to_string(),
            d.status,
            ts(d.next_attempt_at),
            ts_opt(d.lease_until),
            d.lease_token.map(|t| t.to_string()),
            json(d)
        ],
    )
    .map(drop)
}

pub fn deliveries(
    conn: &Connection,
    ws: WorkspaceId,
    status: Option<&str>,
    webhook: Option<WebhookId>,
    limit: u32,
) -> R<Vec<Delivery>> {
    let sql = format!(
        "SELECT {D_COLS} FROM deliveries WHERE workspace_id = ?1 AND (?2 IS NULL OR status = ?2) \
         AND (?4 IS NULL OR webhook_id = ?4) ORDER BY created_at DESC, id DESC LIMIT ?3"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(
                params![ws.to_string(), status, limit, webhook.map(|w| w.to_string())],
                delivery,
            )?
            .collect()
        })
        .map_err(db_err)
}

const W_COLS: &str = "id, workspace_id, url, events, secret, created_by, enabled, consecutive_failures, cursor_seq, created_at";

fn webhook(r: &Row<'_>) -> rusqlite::Result<Webhook> {
    Ok(Webhook {
        id: rows::p(r, 0)?,
        workspace_id: rows::p(r, 1)?,
        url: r.get(2)?,
        events: rows::j(r, 3)?,
        secret: r.get(4)?,
        created_by: rows::p(r, 5)?,
        enabled: r.get(6)?,
        consecutive_failures: r.get(7)?,
        cursor_seq: r.get(8)?,
        created_at: rows::t(r, 9)?,
    })
}

pub fn insert_webhook(conn: &Connection, w: &Webhook) -> R<()> {
    exec(
        conn,
        "INSERT INTO webhooks (id, workspace_id, url, events, secret, created_by, enabled, consecutive_failures, \
         cursor_seq, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            w.id.to_string(),
            w.workspace_id.to_string(),
            w.url,
            json(&w.events),
            w.secret,
            w.created_by.to_string(),
            w.enabled,
            w.consecutive_failures,
            w.cursor_seq,
            ts(w.created_at)
        ],
    )
    .map(drop)
}

pub fn webhooks(
    conn: &Connection,
    ws: Option<WorkspaceId>,
    enabled_only: bool,
    limit: u32,
) -> R<Vec<Webhook>> {
    let sql = format!(
        "SELECT {W_COLS} FROM webhooks WHERE (?1 IS NULL OR workspace_id = ?1) AND (?2 = 0 OR enabled = 1) \
         ORDER BY created_at, id LIMIT ?3"
    );
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_map(params![ws.map(|w| w.to_string()), enabled_only, limit], webhook)?
                .collect()
        })
        .map_err(db_err)
}

pub fn webhook_by_id(conn: &Connection, ws: WorkspaceId, id: WebhookId) -> R<Option<Webhook>> {
    let sql = format!("SELECT {W_COLS} FROM webhooks WHERE id = ?1 AND workspace_id = ?2");
    conn.prepare_cached(&sql)
        .and_then(|mut s| {
            s.query_row(params![id.to_string(), ws.to_string()], webhook)
                .optional()
        })
        .map_err(db_err)
}

pub fn update_webhook(conn: &Connection, w: &Webhook) -> R<()> {
    exec(
        conn,
        "UPDATE webhooks SET enabled = ?2, consecutive_failures = ?3, cursor_seq = ?4 WHERE id = ?1",
        params![w.id.to_string(), w.enabled, w.consecutive_failures, w.cursor_seq],
    )
    .map(drop)
}

pub fn delete_webhook(conn: &Connection, ws: WorkspaceId, id: WebhookId) -> R<bool> {
    exec(
        conn,
        "DELETE FROM deliveries WHERE webhook_id = ?1 AND status = 'pending'",
        [id.to_string()],
    )?;
    Ok(exec(
        conn,
        "DELETE FROM webhooks WHERE id = ?1 AND workspace_id = ?2",
        params![id.to_string(), ws.to_string()],
    )? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_page_is_a_seek_in_the_users_index_without_a_sort() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrate::migrate(&mut conn).unwrap();
        let plan = crate::plan::query_plan(&conn, &list_sql(), rusqlite::params!["u", "w", 5, "id", 50]);
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX notifications_user (user_id=? AND ")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }
}

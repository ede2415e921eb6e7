//! Fast synthetic fill for benchmarks and the demo: array inserts (`UNNEST`)
//! in large transactions, bypassing the command path (there is nothing to
//! decide). The rows are the SQLite backend's, value for value.

use crate::listen;
use crate::rows::{db_err, get};
use baton_core::*;
use baton_store::{SeedSpec, StoreError, StoreResult, Wakeup};
use serde_json::{Value, json};
use sqlx::{Acquire, PgPool};
use uuid::Uuid;

const CHUNK: u64 = 5_000;

/// Insert `spec.conversations` conversations, each with a new contact, one
/// incoming message and a `conversation.created` event. Returns how many and
/// the workspace's last seq afterwards.
pub async fn seed(
    pool: &PgPool,
    ws: WorkspaceId,
    spec: &SeedSpec,
    now: Timestamp,
    node: Uuid,
) -> StoreResult<(u64, Option<Wakeup>)> {
    // Contacts of separate seed runs must not collide on their unique email.
    let run = uuid::Uuid::now_v7().simple().to_string()[24..].to_string();
    let mut done = 0u64;
    let mut last_wake = None;
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let channel = spec.channel_id.0;
    let actor =
        serde_json::to_value(Actor::system("seed")).map_err(|e| StoreError::Database(e.to_string()))?;
    while done < spec.conversations {
        let n = CHUNK.min(spec.conversations - done);
        let cap = n as usize;
        let mut contact_ids = Vec::with_capacity(cap);
        let mut names = Vec::with_capacity(cap);
        let mut emails = Vec::with_capacity(cap);
        let mut ats = Vec::with_capacity(cap);
        let mut conv_ids = Vec::with_capacity(cap);
        let mut statuses = Vec::with_capacity(cap);
        let mut assignees: Vec<Option<Uuid>> = Vec::with_capacity(cap);
        let mut teams: Vec<Option<Uuid>> = Vec::with_capacity(cap);
        let mut previews = Vec::with_capacity(cap);
        let mut msg_ids = Vec::with_capacity(cap);
        let mut bodies = Vec::with_capacity(cap);
        let mut authors: Vec<Value> = Vec::with_capacity(cap);
        let mut afters: Vec<Value> = Vec::with_capacity(cap);
        for i in 0..n {
            let k = done + i;
            // Spread activity over the past, a second apart, newest last.
            let at = now - chrono::Duration::seconds((spec.conversations - k) as i64);
            let contact_id = ContactId::new_v7();
            let status = match k % 10 {
                0..=5 => "open",
                6 => "pending",
                7 => "snoozed",
                _ => "closed",
            };
            let assignee = match (k % 4, spec.assignees.len()) {
                (_, 0) | (0, _) => None,
                (_, len) => Some(spec.assignees[(k as usize / 4) % len].0),
            };
            let team = (!spec.teams.is_empty()).then(|| spec.teams[k as usize % spec.teams.len()].0);
            let body = format!("Hello, I need help with order #{k}: the parcel has not arrived yet.");
            contact_ids.push(contact_id.0);
            names.push(format!("Customer {k}"));
            emails.push(format!("customer{k}-{run}@example.test"));
            ats.push(at);
            conv_ids.push(ConversationId::new_v7().0);
            statuses.push(status);
            assignees.push(assignee);
            teams.push(team);
            previews.push(conversation::preview(&body));
            msg_ids.push(MessageId::new_v7().0);
            bodies.push(body);
            authors.push(json!(Actor::Contact { id: contact_id }));
            afters.push(json!({"status": status, "channel_id": spec.channel_id}));
        }
        let mut tx = conn.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO contacts (id, workspace_id, name, email, tags, attributes, created_at, updated_at) \
             SELECT r.id, $1, r.name, r.email, '[]'::jsonb, '{}'::jsonb, r.at, r.at \
             FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) AS r(id, name, email, at)",
        )
        .bind(ws.0)
        .bind(&contact_ids)
        .bind(&names)
        .bind(&emails)
        .bind(&ats)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, priority, tags, \
             assignee_id, team_id, created_at, updated_at, last_activity_at, last_incoming_at, preview, version) \
             SELECT r.id, $1, $2, r.contact, r.status, 'normal', '[]'::jsonb, r.assignee, r.team, r.at, r.at, \
                    r.at, r.at, r.preview, 2 \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::text[], $6::uuid[], $7::uuid[], $8::timestamptz[], \
                         $9::text[]) AS r(id, contact, status, assignee, team, at, preview)",
        )
        .bind(ws.0)
        .bind(channel)
        .bind(&conv_ids)
        .bind(&contact_ids)
        .bind(&statuses)
        .bind(&assignees)
        .bind(&teams)
        .bind(&ats)
        .bind(&previews)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, conversation_id, kind, body, author, channel_id, mentions, \
             created_at) \
             SELECT r.id, $1, r.conv, 'incoming', r.body, r.author, $2, '[]'::jsonb, r.at \
             FROM UNNEST($3::uuid[], $4::uuid[], $5::text[], $6::jsonb[], $7::timestamptz[]) \
                  AS r(id, conv, body, author, at)",
        )
        .bind(ws.0)
        .bind(channel)
        .bind(&msg_ids)
        .bind(&conv_ids)
        .bind(&bodies)
        .bind(&authors)
        .bind(&ats)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // The counter last: the rows above are new, so nobody else can be
        // waiting on them (see tx.rs on lock order).
        let row = sqlx::query(
            "WITH counter AS ( \
               UPDATE workspaces SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq \
             ), ins AS ( \
               INSERT INTO events (workspace_id, seq, kind, conversation_id, actor, at, before, after, data) \
               SELECT $1, counter.event_seq - $2 + r.ord, 'conversation.created', r.conv, $3, r.at, \
                      'null'::jsonb, r.after, 'null'::jsonb \
               FROM counter, UNNEST($4::uuid[], $5::timestamptz[], $6::jsonb[]) \
                    WITH ORDINALITY AS r(conv, at, after, ord) \
               RETURNING 1 \
             ) \
             SELECT (SELECT event_seq FROM counter), (SELECT count(*) FROM ins)",
        )
        .bind(ws.0)
        .bind(n as i64)
        .bind(&actor)
        .bind(&conv_ids)
        .bind(&ats)
        .bind(&afters)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let last: Option<i64> = get(&row, 0)?;
        let Some(seq) = last.filter(|_| get::<i64>(&row, 1).ok() == Some(n as i64)) else {
            return Err(StoreError::not_found("workspace"));
        };
        let wake = Wakeup {
            workspace_id: ws,
            seq,
            agents: true,
        };
        listen::notify(&mut tx, &[wake], node).await?;
        tx.commit().await.map_err(db_err)?;
        last_wake = Some(wake);
        done += n;
    }
    // Routing reads each user's open load from a counter: bring it up to
    // date. Users' loads are locked after the workspace's counter (see tx.rs
    // on lock order), here too.
    let mut tx = conn.begin().await.map_err(db_err)?;
    sqlx::query("SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE")
        .bind(ws.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "UPDATE users u SET open_count = (SELECT count(*) FROM conversations c \
         WHERE c.workspace_id = u.workspace_id AND c.status = 'open' AND c.assignee_id = u.id)::integer \
         WHERE u.workspace_id = $1",
    )
    .bind(ws.0)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    // Fresh statistics, so the first list after a big fill is planned on the
    // view indexes rather than on guesses (autovacuum would get there later).
    sqlx::query("ANALYZE contacts, conversations, messages, events")
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok((done, last_wake))
}

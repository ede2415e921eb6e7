//! Fast synthetic fill for benchmarks and the demo: plain inserts in large
//! transactions, bypassing the command path (there is nothing to decide).

use crate::rows::{db_err, json, ts};
use baton_core::*;
use baton_store::{SeedSpec, StoreResult};
use rusqlite::{Connection, params};
use serde_json::json;

use std::ops::Range;

/// Conversations per transaction.
const CHUNK: u64 = 5_000;

/// Conversations per writer job. Between jobs the writer's checkpointing
/// runs, which keeps the log bounded: a million seeded in one job left a
/// 2.7 GB log, which the server then started on (every page read searched
/// its index, and its checkpoint ran beside the first requests).
pub const PER_JOB: u64 = 50_000;

/// A tag that keeps the contacts of separate seed runs from colliding on
/// their unique email.
pub fn run_tag() -> String {
    uuid::Uuid::now_v7().simple().to_string()[24..].to_string()
}

/// Insert conversations `range` of `spec.conversations` (`range.start`
/// counts from 0), each with a new contact, one incoming message and a
/// `conversation.created` event; `run` is the seed run's [`run_tag`].
/// Returns how many were inserted. Call [`refresh_open_counts`] after the last.
pub fn seed(
    conn: &mut Connection,
    ws: WorkspaceId,
    spec: &SeedSpec,
    now: Timestamp,
    run: &str,
    range: Range<u64>,
) -> StoreResult<u64> {
    let mut done = range.start;
    let end = range.end.min(spec.conversations);
    let ws_s = ws.to_string();
    let channel = spec.channel_id.to_string();
    while done < end {
        let n = CHUNK.min(end - done);
        let tx = conn.transaction().map_err(db_err)?;
        {
            let mut contact = tx
                .prepare_cached(
                    "INSERT INTO contacts (id, workspace_id, name, email, tags, attributes, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, '[]', '{}', ?5, ?5)",
                )
                .map_err(db_err)?;
            let mut conv = tx
                .prepare_cached(
                    "INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, priority, tags, \
                     assignee_id, team_id, created_at, updated_at, last_activity_at, last_incoming_at, preview, version) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 'normal', '[]', ?6, ?7, ?8, ?8, ?8, ?8, ?9, 2)",
                )
                .map_err(db_err)?;
            let mut msg = tx
                .prepare_cached(
                    "INSERT INTO messages (id, workspace_id, conversation_id, kind, body, author, channel_id, mentions, \
                     created_at) VALUES (?1, ?2, ?3, 'incoming', ?4, ?5, ?6, '[]', ?7)",
                )
                .map_err(db_err)?;
            let mut seq_stmt = tx
                .prepare_cached(
                    "UPDATE workspaces SET event_seq = event_seq + ?2 WHERE id = ?1 RETURNING event_seq",
                )
                .map_err(db_err)?;
            let last: i64 = seq_stmt
                .query_row(params![ws_s, n as i64], |r| r.get(0))
                .map_err(db_err)?;
            let mut seq = last - n as i64;
            let key: i64 = tx
                .query_row("SELECT event_key FROM workspaces WHERE id = ?1", [&ws_s], |r| {
                    r.get(0)
                })
                .map_err(db_err)?;
            let mut ev = tx
                .prepare_cached(
                    "INSERT INTO events (id, workspace_id, seq, kind, conversation_id, actor, at, before, after, data) \
                     VALUES (?7, ?1, ?2, 'conversation.created', ?3, ?4, ?5, 'null', ?6, 'null')",
                )
                .map_err(db_err)?;
            for i in 0..n {
                let k = done + i;
                // Spread activity over the past, a second apart, newest last.
                let at = now - chrono::Duration::seconds((spec.conversations - k) as i64);
                let contact_id = ContactId::new_v7();
                let conv_id = ConversationId::new_v7();
                let status = match k % 10 {
                    0..=5 => "open",
                    6 => "pending",
                    7 => "snoozed",
                    _ => "closed",
                };
                let assignee = match (k % 4, spec.assignees.len()) {
                    (_, 0) | (0, _) => None,
                    (_, len) => Some(spec.assignees[(k as usize / 4) % len].to_string()),
                };
                let team =
                    (!spec.teams.is_empty()).then(|| spec.teams[k as usize % spec.teams.len()].to_string());
                let body = format!("Hello, I need help with order #{k}: the parcel has not arrived yet.");
                contact
                    .execute(params![
                        contact_id.to_string(),
                        ws_s,
                        format!("Customer {k}"),
                        format!("customer{k}-{run}@example.test"),
                        ts(at)
                    ])
                    .map_err(db_err)?;
                conv.execute(params![
                    conv_id.to_string(),
                    ws_s,
                    channel,
                    contact_id.to_string(),
                    status,
                    assignee,
                    team,
                    ts(at),
                    conversation::preview(&body)
                ])
                .map_err(db_err)?;
                msg.execute(params![
                    MessageId::new_v7().to_string(),
                    ws_s,
                    conv_id.to_string(),
                    body,
                    json(&Actor::Contact { id: contact_id }),
                    channel,
                    ts(at)
                ])
                .map_err(db_err)?;
                seq += 1;
                ev.execute(params![
                    ws_s,
                    seq,
                    conv_id.to_string(),
                    json(&Actor::system("seed")),
                    ts(at),
                    json(&json!({"status": status, "channel_id": channel})),
                    crate::rows::event_rowid(key, seq)
                ])
                .map_err(db_err)?;
            }
        }
        crate::fts::flush(&tx)?;
        tx.commit().map_err(db_err)?;
        done += n;
    }
    Ok(done.saturating_sub(range.start))
}

/// Routing reads each user's open load from a counter: bring it up to date
/// after seeding.
pub fn refresh_open_counts(conn: &Connection, ws: WorkspaceId) -> StoreResult<()> {
    let ws_s = ws.to_string();
    conn.execute(
        "UPDATE users SET open_count = (SELECT count(*) FROM conversations c \
         WHERE c.assignee_id = users.id AND c.status = 'open') WHERE workspace_id = ?1",
        [&ws_s],
    )
    .map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_split_into_ranges_is_one_run_a_second_apart_with_a_gapless_log() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrate::migrate(&mut conn).unwrap();
        let (ws, ch) = (WorkspaceId::new_v7(), ChannelId::new_v7());
        conn.execute_batch(&format!(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('{ws}', 'Acme', 0);
             INSERT INTO channels (id, workspace_id, kind, name, created_at) VALUES ('{ch}', '{ws}', 'api', 'api', 0);"
        ))
        .unwrap();
        let spec = SeedSpec {
            conversations: 7,
            channel_id: ch,
            assignees: vec![],
            teams: vec![],
        };
        let now = Timestamp::from_timestamp(1_800_000_000, 0).unwrap();
        let run = run_tag();
        assert_eq!(seed(&mut conn, ws, &spec, now, &run, 0..3).unwrap(), 3);
        assert_eq!(
            seed(&mut conn, ws, &spec, now, &run, 3..9).unwrap(),
            4,
            "stops at the total"
        );
        refresh_open_counts(&conn, ws).unwrap();
        let times: Vec<i64> = conn
            .prepare("SELECT last_activity_at FROM conversations ORDER BY last_activity_at")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let second = 1_000_000;
        let expected: Vec<i64> = (0..7).map(|k| ts(now) - (7 - k) * second).collect();
        assert_eq!(
            times, expected,
            "one second apart across the ranges, newest a second ago"
        );
        let (emails, seqs, max_seq): (i64, i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(DISTINCT email) FROM contacts), \
                 (SELECT count(*) FROM events), (SELECT max(seq) FROM events)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((emails, seqs, max_seq), (7, 7, 7));
    }
}

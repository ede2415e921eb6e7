//! Inbox list views and their counts. Each view is served by its own index
//! (see the migration) in `last_activity_at DESC, id DESC` order, so a page
//! costs the same at ten conversations or ten million.

use crate::reads::ts_query;
use crate::rows::{self, db_err, get};
use baton_core::*;
use baton_store::*;
use sqlx::PgConnection;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Row};
use uuid::Uuid;

/// A query parameter of a dynamically built statement.
enum Arg {
    Uuid(Uuid),
    Text(String),
    Time(Timestamp),
    Int(i64),
}

struct Sql {
    where_: Vec<String>,
    args: Vec<Arg>,
}

impl Sql {
    fn param(&mut self, v: Arg) -> String {
        self.args.push(v);
        format!("${}", self.args.len())
    }

    fn bind<'q>(&self, mut q: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        for a in &self.args {
            q = match a {
                Arg::Uuid(u) => q.bind(*u),
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Time(t) => q.bind(*t),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

fn view_condition(sql: &mut Sql, view: View) {
    // `$1` is always the viewer (the read-state join uses it too).
    let cond = match view {
        View::Mine => "c.assignee_id = $1",
        View::Unassigned => "c.assignee_id IS NULL AND c.session_id IS NULL",
        View::Assigned => "c.assignee_id IS NOT NULL",
        View::Mentions => "c.id IN (SELECT conversation_id FROM mentions WHERE user_id = $1)",
        View::All => return,
        View::AiQueue => "c.session_id IS NOT NULL",
    };
    sql.where_.push(cond.to_string());
}

fn status_condition(sql: &mut Sql, status: StatusFilter) {
    match status {
        StatusFilter::Open => sql.where_.push("c.status = 'open'".into()),
        StatusFilter::Only(s) => {
            let p = sql.param(Arg::Text(s.as_str().to_string()));
            sql.where_.push(format!("c.status = {p}"));
        }
        StatusFilter::Any => {}
    }
}

/// A page of a list view.
pub async fn list(
    c: &mut PgConnection,
    ws: WorkspaceId,
    viewer: UserId,
    f: &ViewFilter,
    page: &PageRequest,
) -> StoreResult<Page<ConversationView>> {
    let mut sql = Sql {
        where_: Vec::new(),
        args: vec![Arg::Uuid(viewer.0)],
    };
    let p = sql.param(Arg::Uuid(ws.0));
    sql.where_.push(format!("c.workspace_id = {p}"));
    status_condition(&mut sql, f.status);
    view_condition(&mut sql, f.view.unwrap_or(View::All));
    if let Some(team) = f.team_id {
        let p = sql.param(Arg::Uuid(team.0));
        sql.where_.push(format!("c.team_id = {p}"));
    }
    if let Some(pr) = f.priority {
        let p = sql.param(Arg::Text(pr.as_str().to_string()));
        sql.where_.push(format!("c.priority = {p}"));
    }
    if let Some(ch) = f.channel_id {
        let p = sql.param(Arg::Uuid(ch.0));
        sql.where_.push(format!("c.channel_id = {p}"));
    }
    if let Some(q) = f.q.as_deref().and_then(ts_query) {
        let p = sql.param(Arg::Text(q));
        let w = sql.param(Arg::Uuid(ws.0));
        sql.where_.push(format!(
            "(c.id IN (SELECT m.conversation_id FROM messages m WHERE m.workspace_id = {w} \
               AND m.search @@ to_tsquery('simple'::regconfig, {p})) \
             OR c.contact_id IN (SELECT ct2.id FROM contacts ct2 WHERE ct2.workspace_id = {w} \
               AND ct2.search @@ to_tsquery('simple'::regconfig, {p})))"
        ));
    }
    match f.unread {
        Some(true) => sql.where_.push(UNREAD.into()),
        Some(false) => sql.where_.push(format!("NOT {UNREAD}")),
        None => {}
    }
    if let Some((t, id)) = page.time_cursor()? {
        let pt = sql.param(Arg::Time(t));
        let pi = sql.param(Arg::Uuid(id));
        sql.where_
            .push(format!("(c.last_activity_at, c.id) < ({pt}, {pi})"));
    }
    let limit = page.limit();
    let pl = sql.param(Arg::Int(i64::from(limit) + 1));
    let text = format!(
        "SELECT {}, {} {} WHERE {} ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {pl}",
        rows::CONV_COLS,
        rows::VIEW_COLS,
        rows::VIEW_FROM,
        sql.where_.join(" AND ")
    );
    let found = sql
        .bind(sqlx::query(&text))
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let items = rows::all(found, rows::view)?;
    Ok(Page::from_overfetch(items, limit, |v| {
        encode_time_cursor(v.conversation.last_activity_at, v.conversation.id.0)
    }))
}

const UNREAD: &str = "(COALESCE(r.marked_unread, false) OR (c.last_incoming_at IS NOT NULL \
     AND (r.read_at IS NULL OR r.read_at < c.last_incoming_at)))";

/// Counts of open conversations per view, in one statement.
pub async fn counts(c: &mut PgConnection, ws: WorkspaceId, viewer: UserId) -> StoreResult<ViewCounts> {
    // The buckets of open conversations the trigger of migration 0006 keeps;
    // mentions are per user and few, counted directly.
    let open = "FROM conversations c WHERE c.workspace_id = $1 AND c.status = 'open'";
    let sql = format!(
        "SELECT \
           (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts WHERE workspace_id = $1 AND assignee_id = $2), \
           (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts \
              WHERE workspace_id = $1 AND assignee_id IS NULL AND NOT ai), \
           (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts \
              WHERE workspace_id = $1 AND assignee_id IS NOT NULL), \
           (SELECT count(*) {open} AND c.id IN (SELECT conversation_id FROM mentions WHERE user_id = $2)), \
           (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts WHERE workspace_id = $1), \
           (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts WHERE workspace_id = $1 AND ai)"
    );
    let row = sqlx::query(&sql)
        .bind(ws.0)
        .bind(viewer.0)
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    let n = |i: usize| get::<i64>(&row, i).map(|v| v as u64);
    let mut out = ViewCounts {
        mine: n(0)?,
        unassigned: n(1)?,
        assigned: n(2)?,
        mentions: n(3)?,
        all: n(4)?,
        ai_queue: n(5)?,
        teams: Vec::new(),
    };
    let teams = sqlx::query(
        "SELECT t.id, (SELECT coalesce(sum(n), 0)::bigint FROM conversation_counts b \
           WHERE b.workspace_id = $1 AND b.team_id = t.id) FROM teams t WHERE t.workspace_id = $1 ORDER BY t.name_key",
    )
    .bind(ws.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db_err)?;
    out.teams = teams
        .iter()
        .map(|r| {
            Ok(TeamCount {
                team_id: rows::id(r, 0)?,
                count: r.try_get::<i64, _>(1).map_err(db_err)? as u64,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(out)
}

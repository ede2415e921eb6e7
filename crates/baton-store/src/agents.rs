//! AI agent use cases over [`WriteTx`]: the knowledge base (articles), the
//! replies and handoffs an agent commits, drafts, and the agent worker's
//! cursor. The rule that matters most lives here: an AI reply is committed
//! only if, inside the writing transaction, the session it was generated for
//! is still the conversation's active session and nobody took over.

use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use crate::types::CommandOutcome;
use baton_core::directory::*;
use baton_core::routing::PickMode;
use baton_core::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The longest article title (characters).
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest article body (characters).
pub const MAX_ARTICLE_CHARS: usize = 100_000;

/// A help article of a workspace's knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The article.
    pub id: ArticleId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Title (searched with more weight).
    pub title: String,
    /// Body text.
    pub body: String,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

/// A change to an article; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticlePatch {
    /// New title.
    pub title: Option<String>,
    /// New body.
    pub body: Option<String>,
}

/// An AI draft reply stored on a conversation (one at most).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The agent that wrote it.
    pub agent_id: AgentId,
    /// The proposed reply.
    pub body: String,
    /// Why the agent proposed it (runtime, sources, confidence), as JSON.
    pub receipt: Value,
    /// Who asked for it.
    pub requested_by: Actor,
    /// When.
    pub created_at: Timestamp,
}

/// What an agent wants to commit on a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentTurn {
    /// The session the answer was generated in.
    pub session_id: SessionId,
    /// Unique per trigger (e.g. `reply:<message id>`): a second commit with
    /// the same key is a no-op.
    pub idempotency_key: String,
    /// The receipt (JSON) stored with the message and its event.
    pub receipt: Value,
}

/// The result of committing an agent's reply or handoff.
#[derive(Debug, Clone)]
pub enum AgentCommit {
    /// Committed.
    Done(Box<CommandOutcome>),
    /// Already committed under this idempotency key: nothing written.
    Duplicate,
    /// The session is no longer active (ended, taken over, unassigned): nothing written.
    SessionInactive,
}

fn parse_title(t: &str) -> StoreResult<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(StoreError::invalid("empty_title", "the article title is empty"));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(StoreError::invalid(
            "title_too_long",
            format!("the article title is over {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(t.to_string())
}

fn parse_body(b: &str) -> StoreResult<String> {
    if b.trim().is_empty() {
        return Err(StoreError::invalid("empty_body", "the article body is empty"));
    }
    if b.chars().count() > MAX_ARTICLE_CHARS {
        return Err(StoreError::invalid(
            "body_too_long",
            format!("the article body is over {MAX_ARTICLE_CHARS} characters"),
        ));
    }
    Ok(b.trim().to_string())
}

fn require_manage(actor: &Actor) -> StoreResult<()> {
    match actor {
        Actor::User { role, .. } if !role.allows(Action::Manage) => {
            Err(DomainError::forbidden(Action::Manage).into())
        }
        _ => Ok(()),
    }
}

/// Write a new article (admins).
pub async fn create_article(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    title: &str,
    body: &str,
) -> StoreResult<Article> {
    require_manage(actor)?;
    let (title, body) = (parse_title(title)?, parse_body(body)?);
    let now = tx.now();
    let a = Article {
        id: ArticleId::new_v7(),
        workspace_id: ws,
        title,
        body,
        created_at: now,
        updated_at: now,
    };
    tx.insert_article(&a).await?;
    let ev = workspace_event(
        EventKind::ArticleCreated,
        actor,
        now,
        Value::Null,
        json!({"title": a.title}),
        json!({"article_id": a.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(a)
}

/// Change an article (admins).
pub async fn update_article(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ArticleId,
    patch: ArticlePatch,
) -> StoreResult<Article> {
    require_manage(actor)?;
    let before = tx
        .article(ws, id)
        .await?
        .ok_or(StoreError::not_found("article"))?;
    let mut a = before.clone();
    if let Some(t) = &patch.title {
        a.title = parse_title(t)?;
    }
    if let Some(b) = &patch.body {
        a.body = parse_body(b)?;
    }
    if a == before {
        return Ok(a);
    }
    let now = tx.now();
    a.updated_at = now;
    tx.update_article(&a).await?;
    let ev = workspace_event(
        EventKind::ArticleUpdated,
        actor,
        now,
        json!({"title": before.title, "body_changed": false}),
        json!({"title": a.title, "body_changed": a.body != before.body}),
        json!({"article_id": a.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(a)
}

/// Delete an article (admins).
pub async fn delete_article(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ArticleId,
) -> StoreResult<()> {
    require_manage(actor)?;
    let before = tx
        .article(ws, id)
        .await?
        .ok_or(StoreError::not_found("article"))?;
    tx.delete_article(ws, id).await?;
    let now = tx.now();
    let ev = workspace_event(
        EventKind::ArticleDeleted,
        actor,
        now,
        json!({"title": before.title}),
        Value::Null,
        json!({"article_id": id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(())
}

/// Lock the conversation and check that `session` is still its active,
/// speaking session; `Ok(None)` when it is not.
async fn active_session(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: ConversationId,
    session: SessionId,
) -> StoreResult<Option<(Conversation, AgentId)>> {
    let c = tx
        .conversation_for_update(ws, conv)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    let Some(agent) = c.agent_session.as_ref().map(|s| s.agent_id) else {
        return Ok(None);
    };
    Ok(c.agent_may_reply(agent, session).then_some((c, agent)))
}

/// Commit an AI agent's outgoing message, if its session is still active and
/// the idempotency key is new. The message's event carries the receipt.
pub async fn agent_reply(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: ConversationId,
    turn: AgentTurn,
    body: &str,
) -> StoreResult<AgentCommit> {
    let Some((_, agent)) = active_session(tx, ws, conv, turn.session_id).await? else {
        return Ok(AgentCommit::SessionInactive);
    };
    // Checked under the conversation's lock, so two workers cannot both pass.
    if tx.ai_reply_exists(&turn.idempotency_key).await? {
        return Ok(AgentCommit::Duplicate);
    }
    let cmd = Command::PostMessage {
        kind: MessageKind::Outgoing,
        body: body.to_string(),
        agent_session_id: Some(turn.session_id),
    };
    let actor = Actor::Agent { id: agent };
    let out =
        crate::ops::apply_annotated_with(tx, ws, &actor, conv, &cmd, None, "receipt", &turn.receipt).await?;
    let message = out.message.as_ref().map(|m| m.id);
    let now = tx.now();
    tx.insert_ai_reply(
        ws,
        conv,
        &turn.idempotency_key,
        message,
        turn.session_id,
        &turn.receipt,
        now,
    )
    .await?;
    Ok(AgentCommit::Done(Box::new(out)))
}

/// The AI agent hands the conversation to humans: an optional parting message
/// to the contact, the session ends (`handed_off`, the reason recorded), and
/// the agent's handoff team gets the conversation, a member picked round robin
/// or balanced (queued when nobody is eligible).
pub async fn agent_handoff(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: ConversationId,
    turn: AgentTurn,
    reason: &str,
    parting: Option<&str>,
) -> StoreResult<AgentCommit> {
    let Some((_, agent_id)) = active_session(tx, ws, conv, turn.session_id).await? else {
        return Ok(AgentCommit::SessionInactive);
    };
    if tx.ai_reply_exists(&turn.idempotency_key).await? {
        return Ok(AgentCommit::Duplicate);
    }
    let actor = Actor::Agent { id: agent_id };
    let mut message = None;
    if let Some(text) = parting.filter(|t| !t.trim().is_empty()) {
        let cmd = Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: text.to_string(),
            agent_session_id: Some(turn.session_id),
        };
        let out =
            crate::ops::apply_annotated_with(tx, ws, &actor, conv, &cmd, None, "receipt", &turn.receipt)
                .await?;
        message = out.message.map(|m| m.id);
    }
    let cmd = Command::HandOff {
        reason: reason.to_string(),
    };
    let mut out = crate::ops::apply_annotated_with(
        tx,
        ws,
        &actor,
        conv,
        &cmd,
        Some(format!("AI handoff: {reason}")),
        "receipt",
        &turn.receipt,
    )
    .await?;
    let agent = tx.agent(ws, agent_id).await?;
    if let Some(team) = agent.as_ref().and_then(|a| a.handoff_team_id) {
        let mode = match agent.as_ref().map(|a| a.handoff_mode) {
            Some(HandoffMode::Balanced) => PickMode::Balanced,
            _ => PickMode::RoundRobin,
        };
        let why = Some(format!("AI handoff: {reason}"));
        let system = Actor::system("agent handoff");
        let set_team = Command::AssignTeam { team_id: team };
        let x = json!({"handoff_reason": reason, "agent_id": agent_id});
        let o = crate::ops::apply_annotated(tx, ws, &system, conv, &set_team, why.clone(), Some(&x)).await?;
        out.events.extend(o.events);
        if o.conversation.assignee_id.is_none() {
            match crate::routing::pick_in_team(tx, ws, team, mode).await? {
                Some((user, mut x)) => {
                    x["handoff_reason"] = json!(reason);
                    let cmd = Command::AssignUser { user_id: user };
                    let o = crate::ops::apply_annotated(tx, ws, &system, conv, &cmd, why, Some(&x)).await?;
                    out.events.extend(o.events);
                }
                None => {
                    let now = tx.now();
                    tx.enqueue(ws, conv, team, mode, now).await?;
                }
            }
        }
        out.view = tx
            .conversation_view(ws, None, conv)
            .await?
            .ok_or(StoreError::not_found("conversation"))?;
    }
    let now = tx.now();
    tx.insert_ai_reply(
        ws,
        conv,
        &turn.idempotency_key,
        message,
        turn.session_id,
        &turn.receipt,
        now,
    )
    .await?;
    Ok(AgentCommit::Done(Box::new(out)))
}

/// Store an agent's proposed reply on the conversation, replacing any earlier
/// one, and record it in the timeline.
pub async fn save_draft(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    conv: ConversationId,
    agent: AgentId,
    body: &str,
    receipt: Value,
) -> StoreResult<Draft> {
    if let Actor::User { role, .. } = actor
        && !role.allows(Action::Reply)
    {
        return Err(DomainError::forbidden(Action::Reply).into());
    }
    let mut c = tx
        .conversation_for_update(ws, conv)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    tx.agent(ws, agent).await?.ok_or(StoreError::not_found("agent"))?;
    if body.trim().is_empty() {
        return Err(StoreError::invalid("empty_draft", "the agent proposed nothing"));
    }
    let now = tx.now();
    let draft = Draft {
        conversation_id: conv,
        agent_id: agent,
        body: body.to_string(),
        receipt: receipt.clone(),
        requested_by: actor.clone(),
        created_at: now,
    };
    tx.upsert_draft(ws, &draft).await?;
    c.version += 1;
    c.updated_at = now;
    tx.update_conversation(&c).await?;
    let ev = NewEvent {
        kind: EventKind::DraftSaved,
        conversation_id: Some(conv),
        actor: actor.clone(),
        at: now,
        before: Value::Null,
        after: Value::Null,
        reason: None,
        data: json!({"agent_id": agent, "preview": conversation::preview(body), "receipt": receipt}),
    };
    tx.append_events(ws, vec![ev]).await?;
    Ok(draft)
}

/// A session ends by itself after this long without a message (minutes),
/// unless the agent's `max_session_minutes` says otherwise.
pub const DEFAULT_MAX_SESSION_MINUTES: f64 = 1440.0;

/// The agent's maximum session idle time.
pub fn max_session(agent: &Agent) -> chrono::Duration {
    let minutes = agent
        .settings
        .get("max_session_minutes")
        .and_then(Value::as_f64)
        .filter(|m| m.is_finite() && *m > 0.0)
        .unwrap_or(DEFAULT_MAX_SESSION_MINUTES);
    chrono::Duration::microseconds((minutes * 60_000_000.0) as i64)
}

/// End every session that saw no message for its agent's maximum duration
/// (reason `timed_out`), so a late reply never wakes a stale agent. Returns
/// how many ended.
pub async fn run_session_timeouts(tx: &mut dyn WriteTx, now: Timestamp) -> StoreResult<u32> {
    let mut ended = 0;
    for (ws, conv) in tx.idle_sessions(now, 200).await? {
        let Some(c) = tx.conversation_for_update(ws, conv).await? else {
            continue;
        };
        let Some(s) = &c.agent_session else { continue };
        let Some(agent) = tx.agent(ws, s.agent_id).await? else {
            continue;
        };
        // Checked again under the lock: a message may have just arrived.
        let since = s.started_at.max(c.last_activity_at);
        if since + max_session(&agent) > now {
            continue;
        }
        let reason = Some("no message for the agent's maximum session duration".to_string());
        crate::ops::apply_annotated(
            tx,
            ws,
            &Actor::system("timer"),
            conv,
            &Command::TimeOutSession,
            reason,
            None,
        )
        .await?;
        ended += 1;
    }
    Ok(ended)
}

//! The write use cases, written once over [`WriteTx`]. Each runs inside one
//! transaction that the backend opens and commits.

use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use crate::types::*;
use baton_core::command::UserRef;
use baton_core::directory::*;
use baton_core::ids::UuidV7;
use baton_core::*;
use serde_json::{Map, Value, json};

fn require(actor: &Actor, action: Action) -> StoreResult<()> {
    match actor {
        Actor::User { role, .. } if !role.allows(action) => Err(DomainError::forbidden(action).into()),
        _ => Ok(()),
    }
}

/// Find a workspace by name or create it.
pub async fn ensure_workspace(tx: &mut dyn WriteTx, name: &str) -> StoreResult<Workspace> {
    let name = parse_name(name, "workspace name")?;
    if let Some(ws) = tx.workspace_by_name(&name).await? {
        return Ok(ws);
    }
    let now = tx.now();
    let ws = Workspace {
        id: WorkspaceId::new_v7(),
        name,
        created_at: now,
    };
    tx.insert_workspace(&ws).await?;
    let ev = workspace_event(
        EventKind::WorkspaceCreated,
        &Actor::system("cli"),
        now,
        Value::Null,
        json!({"name": ws.name}),
        json!({"workspace_id": ws.id}),
    );
    tx.append_events(ws.id, vec![ev]).await?;
    Ok(ws)
}

/// Add a user to a workspace.
pub async fn create_user(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    new: NewUser,
) -> StoreResult<User> {
    require(actor, Action::Manage)?;
    if new.role == Role::Owner {
        require(actor, Action::ManageWorkspace)?;
    }
    let name = parse_name(&new.name, "name")?;
    if tx.email_taken(&new.email).await? {
        return Err(StoreError::conflict(
            "email_taken",
            format!("{} is already a user", new.email),
        ));
    }
    let handle = match &new.handle {
        Some(h) => {
            let h = parse_handle(h)?;
            if tx.handle_taken(ws, &h).await? {
                return Err(StoreError::conflict(
                    "handle_taken",
                    format!("@{h} is already taken"),
                ));
            }
            h
        }
        None => unique_handle(tx, ws, new.email.local_part()).await?,
    };
    if new.max_open.is_some_and(|m| m > 100_000) {
        return Err(StoreError::invalid(
            "invalid_max_open",
            "max_open must be at most 100000",
        ));
    }
    let now = tx.now();
    let user = User {
        id: UserId::new_v7(),
        workspace_id: ws,
        email: new.email,
        name,
        handle,
        role: new.role,
        active: true,
        availability: new.availability,
        max_open: new.max_open,
        created_at: now,
        updated_at: now,
    };
    tx.insert_user(&user, new.password_hash.as_deref()).await?;
    let ev = workspace_event(
        EventKind::UserCreated,
        actor,
        now,
        Value::Null,
        json!({"email": user.email, "name": user.name, "role": user.role, "handle": user.handle}),
        json!({"user_id": user.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(user)
}

async fn unique_handle(tx: &mut dyn WriteTx, ws: WorkspaceId, base: &str) -> StoreResult<String> {
    let base: String = base
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(56)
        .collect();
    let base = if base.is_empty() { "user".to_string() } else { base };
    if !tx.handle_taken(ws, &base).await? {
        return Ok(base);
    }
    for n in 2..10_000 {
        let h = format!("{base}{n}");
        if !tx.handle_taken(ws, &h).await? {
            return Ok(h);
        }
    }
    Err(StoreError::conflict("handle_taken", "no free handle"))
}

/// Change a user.
pub async fn update_user(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: UserId,
    patch: UserPatch,
) -> StoreResult<User> {
    let target = tx.user(ws, id).await?.ok_or(StoreError::not_found("user"))?;
    let owners = OwnerCount(tx.active_owner_count(ws).await?);
    let (next, event) = decide_user_patch(actor, &target, &patch, owners, tx.now())?;
    if let Some(ev) = event {
        tx.update_user(&next).await?;
        tx.append_events(ws, vec![ev]).await?;
        // Someone who may now take conversations gets the waiting ones at once.
        let more_room = match (patch.max_open, target.max_open) {
            (Some(None), Some(_)) => true,
            (Some(Some(new)), Some(old)) => new > old,
            _ => false,
        };
        let became_available = (next.availability == Availability::Online
            && target.availability != Availability::Online)
            || (next.active && !target.active);
        if next.active && next.availability == Availability::Online && (became_available || more_room) {
            crate::routing::drain_for_user(tx, ws, next.id).await?;
        }
        let went_away =
            target.availability == Availability::Online && next.availability != Availability::Online;
        if went_away {
            crate::routing::requeue_when_away(tx, ws, next.id).await?;
        }
    }
    Ok(next)
}

/// Issue an API token for a user.
pub async fn create_token(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    user: UserId,
    hash: &str,
    name: &str,
) -> StoreResult<TokenId> {
    let u = tx.user(ws, user).await?.ok_or(StoreError::not_found("user"))?;
    let now = tx.now();
    let id = TokenId::new_v7();
    tx.insert_token(id, u.id, hash, name, now).await?;
    let ev = workspace_event(
        EventKind::TokenCreated,
        &Actor::system("cli"),
        now,
        Value::Null,
        json!({"token_id": id, "name": name}),
        json!({"user_id": u.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(id)
}

/// Create a team.
pub async fn create_team(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    name: &str,
) -> StoreResult<Team> {
    require(actor, Action::Manage)?;
    let name = parse_name(name, "team name")?;
    if tx.team_name_taken(ws, &name).await? {
        return Err(StoreError::conflict(
            "team_name_taken",
            format!("a team named {name:?} exists"),
        ));
    }
    let now = tx.now();
    let team = Team {
        id: TeamId::new_v7(),
        workspace_id: ws,
        name,
        member_ids: vec![],
        created_at: now,
    };
    tx.insert_team(&team).await?;
    let ev = workspace_event(
        EventKind::TeamCreated,
        actor,
        now,
        Value::Null,
        json!({"name": team.name}),
        json!({"team_id": team.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(team)
}

/// Add (`add = true`) or remove a team member; idempotent.
pub async fn set_team_member(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    team: TeamId,
    user: UserId,
    add: bool,
) -> StoreResult<Team> {
    require(actor, Action::Manage)?;
    tx.team(ws, team).await?.ok_or(StoreError::not_found("team"))?;
    tx.user(ws, user).await?.ok_or(StoreError::not_found("user"))?;
    let now = tx.now();
    let changed = if add {
        tx.insert_team_member(team, user, now).await?
    } else {
        tx.delete_team_member(team, user).await?
    };
    if changed {
        let kind = if add {
            EventKind::TeamMemberAdded
        } else {
            EventKind::TeamMemberRemoved
        };
        let ev = workspace_event(
            kind,
            actor,
            now,
            json!({"member": !add}),
            json!({"member": add}),
            json!({"team_id": team, "user_id": user}),
        );
        tx.append_events(ws, vec![ev]).await?;
        if add {
            crate::routing::drain_queue(tx, ws, team).await?;
        }
    }
    tx.team(ws, team).await?.ok_or(StoreError::not_found("team"))
}

/// Configure an AI agent.
pub async fn create_agent(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    new: NewAgent,
) -> StoreResult<Agent> {
    require(actor, Action::Manage)?;
    let name = parse_name(&new.name, "agent name")?;
    check_settings(&new.settings)?;
    if let Some(t) = new.handoff_team_id {
        tx.team(ws, t)
            .await?
            .ok_or(StoreError::not_found("handoff team"))?;
    }
    let now = tx.now();
    let agent = Agent {
        id: AgentId::new_v7(),
        workspace_id: ws,
        name,
        runtime: new.runtime,
        settings: new.settings,
        handoff_team_id: new.handoff_team_id,
        handoff_mode: new.handoff_mode,
        active: true,
        created_at: now,
        updated_at: now,
    };
    tx.insert_agent(&agent).await?;
    let ev = workspace_event(
        EventKind::AgentCreated,
        actor,
        now,
        Value::Null,
        json!({"name": agent.name, "runtime": agent.runtime}),
        json!({"agent_id": agent.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(agent)
}

fn check_settings(settings: &Value) -> StoreResult<()> {
    if settings.is_object() {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "invalid_settings",
            "settings must be a JSON object",
        ))
    }
}

/// Change an AI agent.
pub async fn update_agent(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: AgentId,
    patch: AgentPatch,
) -> StoreResult<Agent> {
    require(actor, Action::Manage)?;
    let mut agent = tx.agent(ws, id).await?.ok_or(StoreError::not_found("agent"))?;
    let mut before = Map::new();
    let mut after = Map::new();
    if let Some(name) = &patch.name {
        let name = parse_name(name, "agent name")?;
        if name != agent.name {
            before.insert("name".into(), json!(agent.name));
            after.insert("name".into(), json!(name));
            agent.name = name;
        }
    }
    if let Some(rt) = patch.runtime.filter(|r| *r != agent.runtime) {
        before.insert("runtime".into(), json!(agent.runtime));
        after.insert("runtime".into(), json!(rt));
        agent.runtime = rt;
    }
    if let Some(settings) = patch.settings {
        check_settings(&settings)?;
        if settings != agent.settings {
            // Settings may hold secrets: the event says that they changed, not how.
            before.insert("settings".into(), json!("changed"));
            after.insert("settings".into(), json!("changed"));
            agent.settings = settings;
        }
    }
    if let Some(team) = patch.handoff_team_id.filter(|t| *t != agent.handoff_team_id) {
        if let Some(t) = team {
            tx.team(ws, t)
                .await?
                .ok_or(StoreError::not_found("handoff team"))?;
        }
        before.insert("handoff_team_id".into(), json!(agent.handoff_team_id));
        after.insert("handoff_team_id".into(), json!(team));
        agent.handoff_team_id = team;
    }
    if let Some(mode) = patch.handoff_mode.filter(|m| *m != agent.handoff_mode) {
        before.insert("handoff_mode".into(), json!(agent.handoff_mode));
        after.insert("handoff_mode".into(), json!(mode));
        agent.handoff_mode = mode;
    }
    if let Some(active) = patch.active.filter(|a| *a != agent.active) {
        before.insert("active".into(), json!(agent.active));
        after.insert("active".into(), json!(active));
        agent.active = active;
    }
    if !after.is_empty() {
        let now = tx.now();
        agent.updated_at = now;
        tx.update_agent(&agent).await?;
        let ev = workspace_event(
            EventKind::AgentUpdated,
            actor,
            now,
            Value::Object(before),
            Value::Object(after),
            json!({"agent_id": agent.id}),
        );
        tx.append_events(ws, vec![ev]).await?;
    }
    Ok(agent)
}

/// Create a channel.
pub async fn create_channel(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    new: NewChannel,
) -> StoreResult<Channel> {
    require(actor, Action::Manage)?;
    let name = parse_name(&new.name, "channel name")?;
    if let Some(a) = new.autopilot_agent_id {
        tx.agent(ws, a)
            .await?
            .ok_or(StoreError::not_found("autopilot agent"))?;
    }
    let now = tx.now();
    let channel = Channel {
        id: ChannelId::new_v7(),
        workspace_id: ws,
        kind: new.kind,
        name,
        autopilot_agent_id: new.autopilot_agent_id,
        reply_mode: new.reply_mode,
        created_at: now,
    };
    tx.insert_channel(&channel).await?;
    let ev = workspace_event(
        EventKind::ChannelCreated,
        actor,
        now,
        Value::Null,
        json!({"name": channel.name, "kind": channel.kind, "reply_mode": channel.reply_mode}),
        json!({"channel_id": channel.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(channel)
}

/// Change a channel (see [`crate::Store::update_channel`]); a change that
/// changes nothing writes nothing.
pub async fn update_channel(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ChannelId,
    patch: ChannelPatch,
) -> StoreResult<Channel> {
    require(actor, Action::Manage)?;
    let mut channel = tx
        .channel(ws, id)
        .await?
        .ok_or(StoreError::not_found("channel"))?;
    let mut before = Map::new();
    let mut after = Map::new();
    if let Some(name) = &patch.name {
        let name = parse_name(name, "channel name")?;
        if name != channel.name {
            before.insert("name".into(), json!(channel.name));
            after.insert("name".into(), json!(name));
            channel.name = name;
        }
    }
    if let Some(agent) = patch
        .autopilot_agent_id
        .filter(|a| *a != channel.autopilot_agent_id)
    {
        if let Some(a) = agent {
            tx.agent(ws, a)
                .await?
                .ok_or(StoreError::not_found("autopilot agent"))?;
        }
        before.insert("autopilot_agent_id".into(), json!(channel.autopilot_agent_id));
        after.insert("autopilot_agent_id".into(), json!(agent));
        channel.autopilot_agent_id = agent;
    }
    if let Some(mode) = patch.reply_mode.filter(|m| *m != channel.reply_mode) {
        before.insert("reply_mode".into(), json!(channel.reply_mode));
        after.insert("reply_mode".into(), json!(mode));
        channel.reply_mode = mode;
    }
    if !after.is_empty() {
        tx.update_channel(&channel).await?;
        let ev = workspace_event(
            EventKind::ChannelUpdated,
            actor,
            tx.now(),
            Value::Object(before),
            Value::Object(after),
            json!({"channel_id": channel.id}),
        );
        tx.append_events(ws, vec![ev]).await?;
    }
    Ok(channel)
}

fn validate_contact_input(input: &ContactInput) -> StoreResult<()> {
    if input.email.is_none() && input.phone.is_none() && input.external_id.is_none() {
        return Err(StoreError::invalid(
            "contact_handle_required",
            "a contact needs an email, a phone or an external_id",
        ));
    }
    if let Some(x) = &input.external_id
        && (x.trim().is_empty() || x.chars().count() > 200)
    {
        return Err(StoreError::invalid(
            "invalid_external_id",
            "external_id must be 1 to 200 characters",
        ));
    }
    Ok(())
}

/// Create a contact; a handle already in use is a conflict.
pub async fn create_contact(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    input: ContactInput,
) -> StoreResult<Contact> {
    require(actor, Action::Reply)?;
    validate_contact_input(&input)?;
    if !tx.contacts_by_handles(ws, &input).await?.is_empty() {
        return Err(StoreError::conflict(
            "contact_exists",
            "a contact with that handle exists",
        ));
    }
    insert_contact(tx, ws, actor, input).await
}

async fn insert_contact(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    input: ContactInput,
) -> StoreResult<Contact> {
    let now = tx.now();
    let phone = input.phone.as_deref().map(parse_phone).transpose()?;
    let name = input
        .name
        .as_deref()
        .map(|n| parse_name(n, "contact name"))
        .transpose()?;
    let contact = Contact {
        id: ContactId::new_v7(),
        workspace_id: ws,
        name,
        email: input.email,
        phone,
        external_id: input.external_id.map(|x| x.trim().to_string()),
        tags: baton_core::conversation::normalize_tags(&input.tags),
        attributes: input
            .attributes
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect(),
        created_at: now,
        updated_at: now,
    };
    tx.insert_contact(&contact).await?;
    let ev = workspace_event(
        EventKind::ContactCreated,
        actor,
        now,
        Value::Null,
        json!({"name": contact.name}),
        json!({"contact_id": contact.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(contact)
}

/// Change a contact.
pub async fn update_contact(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ContactId,
    patch: ContactPatch,
) -> StoreResult<Contact> {
    require(actor, Action::Reply)?;
    let before = tx
        .contact(ws, id)
        .await?
        .ok_or(StoreError::not_found("contact"))?;
    let mut c = before.clone();
    if let Some(name) = patch.name {
        c.name = name
            .as_deref()
            .map(|n| parse_name(n, "contact name"))
            .transpose()?;
    }
    if let Some(email) = patch.email {
        c.email = email;
    }
    if let Some(phone) = patch.phone {
        c.phone = phone.as_deref().map(parse_phone).transpose()?;
    }
    if let Some(x) = patch.external_id {
        c.external_id = x.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    }
    if let Some(tags) = patch.tags {
        c.tags = baton_core::conversation::normalize_tags(&tags);
    }
    if let Some(attrs) = patch.attributes {
        merge_attributes(&mut c.attributes, attrs);
    }
    if c.email.is_none() && c.phone.is_none() && c.external_id.is_none() {
        return Err(StoreError::invalid(
            "contact_handle_required",
            "a contact needs an email, a phone or an external_id",
        ));
    }
    // A new handle must not belong to another contact.
    let probe = ContactInput {
        email: c.email.clone().filter(|e| Some(e) != before.email.as_ref()),
        phone: c.phone.clone().filter(|p| Some(p) != before.phone.as_ref()),
        external_id: c
            .external_id
            .clone()
            .filter(|x| Some(x) != before.external_id.as_ref()),
        ..Default::default()
    };
    if (probe.email.is_some() || probe.phone.is_some() || probe.external_id.is_some())
        && tx
            .contacts_by_handles(ws, &probe)
            .await?
            .iter()
            .any(|o| o.id != c.id)
    {
        return Err(StoreError::conflict(
            "contact_exists",
            "another contact has that handle",
        ));
    }
    write_contact_change(tx, ws, actor, &before, c).await
}

fn merge_attributes(into: &mut Map<String, Value>, attrs: Map<String, Value>) {
    for (k, v) in attrs {
        if v.is_null() {
            into.remove(&k);
        } else {
            into.insert(k, v);
        }
    }
}

async fn write_contact_change(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    before: &Contact,
    mut c: Contact,
) -> StoreResult<Contact> {
    if c == *before {
        return Ok(c);
    }
    let now = tx.now();
    c.updated_at = now;
    tx.update_contact(&c).await?;
    let ev = workspace_event(
        EventKind::ContactUpdated,
        actor,
        now,
        json!({"name": before.name, "email": before.email, "phone": before.phone,
               "external_id": before.external_id, "tags": before.tags, "attributes": before.attributes}),
        json!({"name": c.name, "email": c.email, "phone": c.phone,
               "external_id": c.external_id, "tags": c.tags, "attributes": c.attributes}),
        json!({"contact_id": c.id}),
    );
    tx.append_events(ws, vec![ev]).await?;
    Ok(c)
}

/// Find the contact an inbound message comes from (by external id, then email,
/// then phone), creating it or merging what the message says about it.
/// Also says whether the contact is new.
async fn upsert_contact(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    input: ContactInput,
) -> StoreResult<(Contact, bool)> {
    validate_contact_input(&input)?;
    let found = tx.contacts_by_handles(ws, &input).await?;
    let existing = found
        .iter()
        .find(|c| input.external_id.is_some() && c.external_id == input.external_id)
        .or_else(|| {
            found
                .iter()
                .find(|c| input.email.is_some() && c.email == input.email)
        })
        .or_else(|| found.first())
        .cloned();
    let Some(before) = existing else {
        return Ok((
            insert_contact(tx, ws, &Actor::system("inbound"), input).await?,
            true,
        ));
    };
    let mut c = before.clone();
    if let Some(n) = input.name.as_deref() {
        c.name = Some(parse_name(n, "contact name")?);
    }
    // Fill missing handles only when no other contact holds them.
    if c.email.is_none()
        && input.email.is_some()
        && !found.iter().any(|o| o.id != c.id && o.email == input.email)
    {
        c.email = input.email.clone();
    }
    if c.phone.is_none()
        && let Some(p) = input.phone.as_deref()
    {
        let p = parse_phone(p)?;
        if !found
            .iter()
            .any(|o| o.id != c.id && o.phone.as_deref() == Some(p.as_str()))
        {
            c.phone = Some(p);
        }
    }
    let mut tags = c.tags.clone();
    tags.extend(input.tags.iter().cloned());
    c.tags = baton_core::conversation::normalize_tags(&tags);
    merge_attributes(&mut c.attributes, input.attributes);
    Ok((
        write_contact_change(tx, ws, &Actor::system("inbound"), &before, c).await?,
        false,
    ))
}

/// An inbound message from a contact (see [`crate::Store::inbound`]); the
/// outcome's view is as `viewer` sees it (`None`: as the contact does).
pub async fn inbound(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    channel: ChannelId,
    contact: ContactInput,
    body: &str,
    viewer: Option<UserId>,
) -> StoreResult<InboundOutcome> {
    let ch = tx
        .channel(ws, channel)
        .await?
        .ok_or(StoreError::not_found("channel"))?;
    let (contact, new_contact) = upsert_contact(tx, ws, contact).await?;
    let now = tx.now();
    let actor = Actor::Contact { id: contact.id };
    let mut written = Vec::new();
    // A contact this message created has no conversation to continue.
    let existing = if new_contact {
        None
    } else {
        tx.conversation_for_inbound(ws, channel, contact.id).await?
    };
    let (conv, created) = match existing {
        Some(c) => (c, false),
        None => {
            let d = create_conversation(ConversationId::new_v7(), ws, channel, contact.id, &actor, now);
            tx.insert_conversation(&d.conversation).await?;
            written.extend(tx.append_events(ws, d.events).await?);
            (d.conversation, true)
        }
    };
    let reopened = conv.status == Status::Closed;
    // A contact created by this message has written nothing before.
    let first_message = new_contact || tx.contact_incoming_count(contact.id).await? == 0;
    // Autopilot: a new conversation starts with the channel's agent, before the
    // message, so the agent's session covers it. Routing rules then do not run:
    // the conversation waits in the AI queue until the agent hands off.
    let mut conv = conv;
    let mut autopilot = false;
    if created && let Some(agent) = autopilot_agent(tx, ws, ch.autopilot_agent_id).await? {
        let cmd = Command::AssignAgent {
            agent_id: agent,
            send_initial_message: false,
        };
        let system = Actor::system("autopilot");
        let out = apply_to(tx, ws, &system, &conv, &cmd, Some("autopilot".into()), None).await?;
        written.extend(out.events);
        conv = out.conversation;
        autopilot = true;
    }
    let cmd = Command::PostMessage {
        kind: MessageKind::Incoming,
        body: body.to_string(),
        agent_session_id: None,
    };
    let posted = apply_to(tx, ws, &actor, &conv, &cmd, None, None).await?;
    written.extend(posted.events);
    let message = posted
        .message
        .ok_or_else(|| StoreError::Database("inbound message was not stored".into()))?;
    // Rules run for a new conversation, and for a reopened one whose assignee
    // can no longer take it.
    let reroute = (created && !autopilot)
        || (reopened
            && match conv.assignee_id {
                None => true,
                Some(u) => tx
                    .user_candidate(ws, u)
                    .await?
                    .is_none_or(|c| c.eligibility().is_err()),
            });
    let mut latest = posted.conversation;
    if reroute {
        let routed =
            crate::routing::route_conversation(tx, ws, latest, &contact, body, first_message).await?;
        written.extend(routed.events);
        latest = routed.conversation;
    }
    let view = if created && tx.builds_new_views() {
        new_conversation_view(tx, ws, latest, &contact, &ch).await?
    } else {
        tx.conversation_view(ws, viewer, conv.id)
            .await?
            .ok_or(StoreError::not_found("conversation"))?
    };
    Ok(InboundOutcome {
        view,
        message,
        created,
        reopened,
        events: written,
    })
}

/// The view of a conversation this job created, from what the job holds.
///
/// Nobody has a read state for a conversation that did not exist, so it is
/// unread for every viewer exactly when a contact wrote in it. Every inbound
/// message that opens a conversation used to read back the row it had just
/// written, joined with five tables, on the single writer (a store that
/// reads over the network reads it still: see
/// [`WriteTx::builds_new_views`]); the conformance
/// behaviour `inbound_view_of_a_new_conversation_is_what_a_read_shows` holds
/// this to what [`WriteTx::conversation_view`] reads.
async fn new_conversation_view(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    conv: Conversation,
    contact: &Contact,
    channel: &Channel,
) -> StoreResult<ConversationView> {
    let assignee = match conv.assignee_id {
        Some(id) => {
            let u = tx.user(ws, id).await?.ok_or(StoreError::not_found("user"))?;
            Some(UserSummary::from(&u))
        }
        None => None,
    };
    let agent = match conv.agent_id {
        Some(id) => {
            let a = tx.agent(ws, id).await?.ok_or(StoreError::not_found("agent"))?;
            Some(NamedRef { id, name: a.name })
        }
        None => None,
    };
    let team = match conv.team_id {
        Some(id) => {
            let name = tx.team_name(ws, id).await?.ok_or(StoreError::not_found("team"))?;
            Some(NamedRef { id, name })
        }
        None => None,
    };
    Ok(ConversationView {
        unread: ReadState::default().is_unread(conv.last_incoming_at),
        contact: contact.into(),
        assignee,
        agent,
        team,
        channel: NamedRef {
            id: channel.id,
            name: channel.name.clone(),
        },
        conversation: conv,
    })
}

/// The channel's autopilot agent, if it has one and it is active.
async fn autopilot_agent(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    agent: Option<AgentId>,
) -> StoreResult<Option<AgentId>> {
    let Some(id) = agent else { return Ok(None) };
    Ok(tx.agent(ws, id).await?.filter(|a| a.active).map(|a| a.id))
}

/// Decide and apply one command on a conversation.
pub async fn apply(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ConversationId,
    cmd: &Command,
    reason: Option<String>,
) -> StoreResult<CommandOutcome> {
    let conv = tx
        .conversation_for_update(ws, id)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    let outcome = apply_decided(tx, ws, actor, &conv, cmd, reason, None).await?;
    // Closing or reassigning frees the old assignee's capacity: their teams'
    // waiting conversations may now go to them, in this same transaction.
    let before = open_owner(&conv);
    if before.is_some()
        && before != open_owner(&outcome.view.conversation)
        && let Some(u) = before
        && crate::routing::drain_for_user(tx, ws, u).await? > 0
    {
        let view = tx
            .conversation_view(ws, actor.user_id(), id)
            .await?
            .ok_or(StoreError::not_found("conversation"))?;
        return Ok(CommandOutcome { view, ..outcome });
    }
    Ok(outcome)
}

/// The user whose open load a conversation counts toward.
fn open_owner(c: &Conversation) -> Option<UserId> {
    if c.status == Status::Open {
        c.assignee_id
    } else {
        None
    }
}

/// A command applied inside a larger use case: the conversation afterwards,
/// the events written and the message added. No view is built, so a use
/// case that applies several commands reads the conversation once.
pub struct Applied {
    /// The conversation afterwards.
    pub conversation: Conversation,
    /// The events written (empty if nothing changed).
    pub events: Vec<Event>,
    /// The message added, if any.
    pub message: Option<Message>,
}

/// Apply a command whose events carry an explanation (`data.routing`), as
/// routing does.
pub async fn apply_annotated(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ConversationId,
    cmd: &Command,
    reason: Option<String>,
    explanation: Option<&Value>,
) -> StoreResult<Applied> {
    let conv = tx
        .conversation_for_update(ws, id)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    apply_to(
        tx,
        ws,
        actor,
        &conv,
        cmd,
        reason,
        explanation.map(|x| ("routing", x)),
    )
    .await
}

/// Apply a command whose events carry `data.<key> = value` (e.g. an AI receipt).
#[allow(clippy::too_many_arguments)]
pub async fn apply_annotated_with(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    id: ConversationId,
    cmd: &Command,
    reason: Option<String>,
    key: &str,
    value: &Value,
) -> StoreResult<CommandOutcome> {
    let conv = tx
        .conversation_for_update(ws, id)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    apply_decided(tx, ws, actor, &conv, cmd, reason, Some((key, value))).await
}

async fn load_refs(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    conv: ConversationId,
    wants: &Wants,
) -> StoreResult<Refs> {
    let mut refs = Refs::default();
    if let Some(id) = wants.user {
        refs.user = tx.user(ws, id).await?.map(|u| UserRef {
            id: u.id,
            active: u.active,
            role: u.role,
        });
    }
    if let Some(id) = wants.agent {
        match tx.agent(ws, id).await? {
            Some(a) if !a.active => {
                return Err(StoreError::invalid("agent_inactive", "that AI agent is disabled"));
            }
            Some(a) => refs.agent = Some(a.id),
            None => {}
        }
    }
    if let Some(id) = wants.team {
        refs.team = tx.team_exists(ws, id).await?.then_some(id);
    }
    if let Some(id) = wants.channel {
        refs.channel = tx.channel(ws, id).await?.map(|c| c.id);
    }
    if wants.read_state
        && let Some(user) = actor.user_id()
    {
        refs.read_state = tx.read_state(user, conv).await?;
    }
    if !wants.mention_handles.is_empty() {
        refs.mentioned = tx.active_users_by_handles(ws, &wants.mention_handles).await?;
    }
    Ok(refs)
}

/// Apply a command and answer with the conversation's view as `actor` sees it.
async fn apply_decided(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    conv: &Conversation,
    cmd: &Command,
    reason: Option<String>,
    annotation: Option<(&str, &Value)>,
) -> StoreResult<CommandOutcome> {
    let applied = apply_to(tx, ws, actor, conv, cmd, reason, annotation).await?;
    let view = tx
        .conversation_view(ws, actor.user_id(), conv.id)
        .await?
        .ok_or(StoreError::not_found("conversation"))?;
    Ok(CommandOutcome {
        view,
        events: applied.events,
        message: applied.message,
    })
}

/// Decide `cmd` on the already loaded (and locked) `conv` and write the result.
pub async fn apply_to(
    tx: &mut dyn WriteTx,
    ws: WorkspaceId,
    actor: &Actor,
    conv: &Conversation,
    cmd: &Command,
    reason: Option<String>,
    annotation: Option<(&str, &Value)>,
) -> StoreResult<Applied> {
    let refs = load_refs(tx, ws, actor, conv.id, &cmd.wants()).await?;
    let mut ids = UuidV7;
    let mut ctx = Ctx {
        now: tx.now(),
        ids: &mut ids,
    };
    let mut decision = decide(conv, actor, cmd, &refs, reason, &mut ctx)?;
    if let Some((key, x)) = annotation {
        for e in &mut decision.events {
            match &mut e.data {
                Value::Object(m) => {
                    m.insert(key.into(), x.clone());
                }
                other => *other = json!({ key: x }),
            }
        }
    }
    let mut events = Vec::new();
    if decision.conversation != *conv {
        tx.update_conversation(&decision.conversation).await?;
        let next = &decision.conversation;
        let (was, is) = (open_owner(conv), open_owner(next));
        let reassigned = conv.assignee_id != next.assignee_id;
        if let Some(u) = was.filter(|u| Some(*u) != is) {
            tx.adjust_user_load(u, -1, None).await?;
        }
        if let Some(u) = next.assignee_id {
            let delta = i64::from(is == Some(u) && was != Some(u));
            if delta != 0 || reassigned {
                tx.adjust_user_load(u, delta, reassigned.then_some(next.updated_at))
                    .await?;
            }
        }
        // An owned or closed conversation no longer waits in a team queue.
        if (reassigned && next.assignee_id.is_some()) || next.status == Status::Closed {
            tx.dequeue(next.id).await?;
        }
        // What reply timers measure: when the assignee got it, when a person last replied.
        if reassigned {
            tx.note_assignment(next.id, next.assignee_id.map(|_| next.updated_at))
                .await?;
        }
    }
    for effect in &decision.effects {
        tx.apply_effect(ws, conv.id, effect).await?;
    }
    if let Some(m) = &decision.message
        && m.kind == MessageKind::Outgoing
        && matches!(m.author, Actor::User { .. })
    {
        tx.note_reply(conv.id, m.created_at).await?;
        // A person answered: the AI's proposal for this turn is spent.
        tx.delete_draft(conv.id).await?;
    }
    if !decision.events.is_empty() {
        events = tx.append_events(ws, std::mem::take(&mut decision.events)).await?;
        crate::notifications::record(tx, ws, &decision.conversation, &events).await?;
    }
    Ok(Applied {
        conversation: decision.conversation,
        events,
        message: decision.message,
    })
}

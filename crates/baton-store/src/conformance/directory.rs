//! Users, tokens, sessions, teams, agents, channels, contacts.

use super::fixture::*;
use crate::*;
use baton_core::directory::*;
use baton_core::*;
use std::sync::Arc;

pub async fn users_have_unique_emails_and_handles(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let dup = new_user("ALICE@acme.example.com", "Alice Two", Role::Agent);
    assert_eq!(
        code(f.store.create_user(f.ws, &f.actor(&f.admin), dup).await),
        "email_taken"
    );
    // Same local part elsewhere: the handle gets a number.
    let u = f
        .store
        .create_user(
            f.ws,
            &f.actor(&f.admin),
            new_user("alice@other.test", "Alice Other", Role::Agent),
        )
        .await
        .unwrap();
    assert_eq!(u.handle, "alice2");
    assert_eq!(f.alice.handle, "alice");
    let mut explicit = new_user("x@other.test", "X", Role::Agent);
    explicit.handle = Some("alice".into());
    assert_eq!(
        code(f.store.create_user(f.ws, &f.actor(&f.admin), explicit).await),
        "handle_taken"
    );
    // Agents may not add users; admins may not add owners.
    let r = f
        .store
        .create_user(
            f.ws,
            &f.actor(&f.alice),
            new_user("y@other.test", "Y", Role::Agent),
        )
        .await;
    assert_eq!(code(r), "forbidden");
    let r = f
        .store
        .create_user(
            f.ws,
            &f.actor(&f.admin),
            new_user("z@other.test", "Z", Role::Owner),
        )
        .await;
    assert_eq!(code(r), "forbidden");
    let page = f.store.list_users(f.ws, &PageRequest::first(2)).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let rest = f
        .store
        .list_users(
            f.ws,
            &PageRequest {
                limit: Some(50),
                cursor: page.next_cursor,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len() + rest.items.len(), 6);
}

pub async fn last_owner_is_protected(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let demote = UserPatch {
        role: Some(Role::Admin),
        ..Default::default()
    };
    let r = f
        .store
        .update_user(f.ws, &system(), f.owner.id, demote.clone())
        .await;
    assert_eq!(code(r), "last_owner");
    let promote = UserPatch {
        role: Some(Role::Owner),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &f.actor(&f.owner), f.admin.id, promote)
        .await
        .unwrap();
    let u = f
        .store
        .update_user(f.ws, &system(), f.owner.id, demote)
        .await
        .unwrap();
    assert_eq!(u.role, Role::Admin);
    // Anyone sets their own availability.
    let away = UserPatch {
        availability: Some(Availability::Away),
        ..Default::default()
    };
    let v = f
        .store
        .update_user(f.ws, &f.actor(&f.viewer), f.viewer.id, away.clone())
        .await
        .unwrap();
    assert_eq!(v.availability, Availability::Away);
    assert_eq!(
        code(
            f.store
                .update_user(f.ws, &f.actor(&f.viewer), f.alice.id, away)
                .await
        ),
        "forbidden"
    );
    let audit = f
        .store
        .audit(f.ws, Some(EventKind::UserUpdated), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 3);
}

pub async fn tokens_and_web_sessions_authenticate_active_users(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    f.store
        .create_token(f.ws, f.alice.id, "hash-a", "cli")
        .await
        .unwrap();
    assert_eq!(
        f.store.user_by_token_hash("hash-a").await.unwrap().unwrap().id,
        f.alice.id
    );
    assert!(f.store.user_by_token_hash("hash-b").await.unwrap().is_none());
    let now = chrono::Utc::now();
    f.store
        .create_web_session(f.alice.id, "sess-a", now + chrono::Duration::hours(1))
        .await
        .unwrap();
    f.store
        .create_web_session(f.alice.id, "sess-old", now + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert!(
        f.store
            .user_by_web_session("sess-a", now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        f.store
            .user_by_web_session("sess-old", now + chrono::Duration::seconds(5))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    f.store
        .set_password_hash(f.alice.id, "$argon2id$fake")
        .await
        .unwrap();
    let cred = f
        .store
        .credentials_by_email(&f.alice.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cred.password_hash.as_deref(), Some("$argon2id$fake"));
    let off = UserPatch {
        active: Some(false),
        ..Default::default()
    };
    f.store
        .update_user(f.ws, &f.actor(&f.admin), f.alice.id, off)
        .await
        .unwrap();
    assert!(
        f.store.user_by_token_hash("hash-a").await.unwrap().is_none(),
        "deactivated users cannot authenticate"
    );
    assert!(
        f.store
            .user_by_web_session("sess-a", now)
            .await
            .unwrap()
            .is_none()
    );
    f.store.delete_web_session("sess-a").await.unwrap();
}

pub async fn contacts_are_created_updated_and_unique(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let input = ContactInput {
        name: Some("Eve".into()),
        phone: Some("+44 20 7946 0000".into()),
        ..Default::default()
    };
    let c = f
        .store
        .create_contact(f.ws, &f.actor(&f.alice), input.clone())
        .await
        .unwrap();
    assert_eq!(c.phone.as_deref(), Some("+442079460000"));
    assert_eq!(
        code(f.store.create_contact(f.ws, &f.actor(&f.alice), input).await),
        "contact_exists"
    );
    assert_eq!(
        code(
            f.store
                .create_contact(f.ws, &f.actor(&f.alice), ContactInput::default())
                .await
        ),
        "contact_handle_required"
    );
    let mut attrs = serde_json::Map::new();
    attrs.insert("plan".into(), serde_json::json!("pro"));
    let patch = ContactPatch {
        tags: Some(vec!["VIP".into()]),
        attributes: Some(attrs),
        ..Default::default()
    };
    let c2 = f
        .store
        .update_contact(f.ws, &f.actor(&f.alice), c.id, patch)
        .await
        .unwrap();
    assert_eq!(c2.tags, vec!["vip"]);
    assert_eq!(c2.attributes["plan"], "pro");
    let mut remove = serde_json::Map::new();
    remove.insert("plan".into(), serde_json::Value::Null);
    let patch = ContactPatch {
        attributes: Some(remove),
        ..Default::default()
    };
    let c3 = f
        .store
        .update_contact(f.ws, &f.actor(&f.alice), c.id, patch)
        .await
        .unwrap();
    assert!(c3.attributes.is_empty());
    let other = f.inbound("frank", "hi").await.view.contact;
    let steal = ContactPatch {
        email: Some(other.email.map(|e| Email::parse(&e).unwrap())),
        ..Default::default()
    };
    assert_eq!(
        code(
            f.store
                .update_contact(f.ws, &f.actor(&f.alice), c.id, steal)
                .await
        ),
        "contact_exists"
    );
    assert_eq!(
        code(
            f.store
                .create_contact(
                    f.ws,
                    &f.actor(&f.viewer),
                    ContactInput {
                        external_id: Some("x".into()),
                        ..Default::default()
                    }
                )
                .await
        ),
        "forbidden"
    );
}

pub async fn teams_and_members(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    assert_eq!(f.team.member_ids, vec![f.alice.id]);
    assert_eq!(
        code(f.store.create_team(f.ws, &f.actor(&f.admin), "support").await),
        "team_name_taken"
    );
    assert_eq!(
        code(f.store.create_team(f.ws, &f.actor(&f.alice), "Sales").await),
        "forbidden"
    );
    let t = f
        .store
        .add_team_member(f.ws, &f.actor(&f.admin), f.team.id, f.bob.id)
        .await
        .unwrap();
    assert_eq!(t.member_ids.len(), 2);
    let again = f
        .store
        .add_team_member(f.ws, &f.actor(&f.admin), f.team.id, f.bob.id)
        .await
        .unwrap();
    assert_eq!(again.member_ids.len(), 2, "idempotent");
    let t = f
        .store
        .remove_team_member(f.ws, &f.actor(&f.admin), f.team.id, f.alice.id)
        .await
        .unwrap();
    assert_eq!(t.member_ids, vec![f.bob.id]);
    let teams = f.store.list_teams(f.ws).await.unwrap();
    assert_eq!(teams.len(), 1);
    let added = f
        .store
        .audit(f.ws, Some(EventKind::TeamMemberAdded), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(added.items.len(), 2, "only real changes are events");
}

pub async fn agents_and_channels(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let patch = crate::AgentPatch {
        name: Some("Botty 2".into()),
        settings: Some(serde_json::json!({"api_key": "sk-secret"})),
        active: Some(false),
        ..Default::default()
    };
    let a = f
        .store
        .update_agent(f.ws, &f.actor(&f.admin), f.bot.id, patch)
        .await
        .unwrap();
    assert_eq!(a.name, "Botty 2");
    assert!(!a.active);
    let ev = f
        .store
        .audit(f.ws, Some(EventKind::AgentUpdated), &PageRequest::default())
        .await
        .unwrap();
    assert!(
        !ev.items[0].event.after.to_string().contains("sk-secret"),
        "secrets stay out of the log"
    );
    let id = f.conversation("carol").await;
    let r = f
        .run(
            &f.alice,
            id,
            Command::AssignAgent {
                agent_id: a.id,
                send_initial_message: false,
            },
        )
        .await;
    assert_eq!(code(r), "agent_inactive");
    assert_eq!(f.store.list_agents(f.ws).await.unwrap().len(), 1);
    assert_eq!(f.store.list_channels(f.ws).await.unwrap().len(), 2);
    let bad = NewChannel {
        kind: ChannelKind::Sms,
        name: "  ".into(),
        autopilot_agent_id: None,
        reply_mode: Default::default(),
    };
    assert_eq!(
        code(f.store.create_channel(f.ws, &f.actor(&f.admin), bad).await),
        "invalid_name"
    );
    let r = f
        .store
        .update_agent(f.ws, &f.actor(&f.alice), f.bot.id, crate::AgentPatch::default())
        .await;
    assert_eq!(code(r), "forbidden");
}

/// Admins change a channel's name, autopilot agent and reply mode; each real
/// change is one `channel.updated` event, a change to nothing writes none.
pub async fn channels_change_name_autopilot_and_reply_mode(store: Arc<dyn Store>) {
    let f = Fixture::new(store).await;
    let admin = f.actor(&f.admin);
    let ch = f
        .store
        .create_channel(
            f.ws,
            &admin,
            NewChannel {
                kind: ChannelKind::WebChat,
                name: "Chat".into(),
                autopilot_agent_id: None,
                reply_mode: ReplyMode::Draft,
            },
        )
        .await
        .unwrap();
    assert_eq!(ch.reply_mode, ReplyMode::Draft);
    let patch = ChannelPatch {
        name: Some("Website chat".into()),
        autopilot_agent_id: Some(Some(f.bot.id)),
        reply_mode: Some(ReplyMode::Off),
    };
    let changed = f
        .store
        .update_channel(f.ws, &admin, ch.id, patch.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.autopilot_agent_id,
            changed.reply_mode
        ),
        ("Website chat", Some(f.bot.id), ReplyMode::Off)
    );
    assert_eq!(f.store.get_channel(f.ws, ch.id).await.unwrap(), changed, "stored");
    // The same change again changes nothing and records nothing.
    f.store.update_channel(f.ws, &admin, ch.id, patch).await.unwrap();
    let events = f
        .store
        .audit(f.ws, Some(EventKind::ChannelUpdated), &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(events.items.len(), 1);
    assert_eq!(events.items[0].event.before["reply_mode"], "draft");
    assert_eq!(events.items[0].event.after["reply_mode"], "off");
    // Autopilot off again.
    let off = ChannelPatch {
        autopilot_agent_id: Some(None),
        ..Default::default()
    };
    assert_eq!(
        f.store
            .update_channel(f.ws, &admin, ch.id, off)
            .await
            .unwrap()
            .autopilot_agent_id,
        None
    );
    // Refusals: not an admin, an agent from nowhere, a blank name, a channel from nowhere.
    let r = f
        .store
        .update_channel(f.ws, &f.actor(&f.alice), ch.id, ChannelPatch::default())
        .await;
    assert_eq!(code(r), "forbidden");
    let stray = ChannelPatch {
        autopilot_agent_id: Some(Some(AgentId::new_v7())),
        ..Default::default()
    };
    assert_eq!(
        code(f.store.update_channel(f.ws, &admin, ch.id, stray).await),
        "not_found"
    );
    let blank = ChannelPatch {
        name: Some(" ".into()),
        ..Default::default()
    };
    assert_eq!(
        code(f.store.update_channel(f.ws, &admin, ch.id, blank).await),
        "invalid_name"
    );
    let nowhere = f
        .store
        .update_channel(f.ws, &admin, ChannelId::new_v7(), ChannelPatch::default())
        .await;
    assert_eq!(code(nowhere), "not_found");
}

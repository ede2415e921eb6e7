//! Web inbox tests: the real server on port 0, a fresh SQLite file per test,
//! driven through its pages and forms with a session cookie and CSRF token.

#[path = "../api/common.rs"]
mod common;

use baton_core::directory::User;
use baton_core::*;
use baton_server::auth::password::hash_password;
use baton_store::*;
use common::TestApp;
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery";

/// A signed-in browser, as far as the server can tell.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn sign_in(app: &TestApp, user: &User) -> Browser {
    let hash = hash_password(PASSWORD).expect("hash");
    app.store
        .set_password_hash(user.id, &hash)
        .await
        .expect("password");
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[("email", user.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let mut cookie = Vec::new();
    let mut csrf = String::new();
    for v in res.headers().get_all("set-cookie") {
        let pair = v
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair")
            .to_string();
        if let Some(t) = pair.strip_prefix("baton_csrf=") {
            csrf = t.to_string();
        }
        cookie.push(pair);
    }
    Browser {
        cookie: cookie.join("; "),
        csrf,
    }
}

impl Browser {
    async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let res = app
            .client
            .get(app.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        (res.status(), res.text().await.expect("body"))
    }

    async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> StatusCode {
        app.client
            .post(app.url(path))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .form(form)
            .send()
            .await
            .expect("post")
            .status()
    }
}

async fn conversation(app: &TestApp) -> ConversationId {
    let contact = ContactInput {
        name: Some("Casey Customer".into()),
        email: Some(
            Email::parse(&format!("casey-{}@example.com", uuid::Uuid::now_v7().simple())).expect("email"),
        ),
        ..Default::default()
    };
    app.store
        .inbound(app.ws.id, app.ws.api.id, contact, "My parcel is late")
        .await
        .expect("inbound")
        .view
        .conversation
        .id
}

async fn view(app: &TestApp, id: ConversationId, user: &User) -> ConversationView {
    app.store
        .get_conversation(app.ws.id, Some(user.id), id)
        .await
        .expect("conversation")
}

#[tokio::test]
async fn sign_in_leads_to_the_inbox_and_sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let login = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .expect("login page");
    assert_eq!(login.status(), StatusCode::OK);
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let (status, html) = b.get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "Mine",
        "Unassigned",
        "AI queue",
        "Support",
        "csrf-token",
        "Alice Agent",
    ] {
        assert!(html.contains(needle), "inbox shows {needle}");
    }
    // Sign-out needs the CSRF token too.
    let res = app
        .client
        .post(app.url("/logout"))
        .header("cookie", &b.cookie)
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url("/logout"))
        .header("cookie", &b.cookie)
        .form(&[("csrf_token", b.csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .client
        .get(app.url("/"))
        .header("cookie", &b.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn wrong_password_shows_the_form_again() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    sign_in(&app, &alice).await;
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[("email", alice.email.as_str()), ("password", "wrong password")])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("Wrong email or password")
    );
}

#[tokio::test]
async fn changes_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let id = conversation(&app).await;
    let res = app
        .client
        .post(app.url(&format!("/c/{id}/status")))
        .header("cookie", &b.cookie)
        .form(&[("status", "closed")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(view(&app, id, &alice).await.conversation.status, Status::Open);
    assert_eq!(
        b.post(&app, &format!("/c/{id}/status"), &[("status", "closed")])
            .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.status, Status::Closed);
}

#[tokio::test]
async fn form_actions_change_state_through_the_store() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let id = conversation(&app).await;
    let c = |p: &str| format!("/c/{id}/{p}");
    let bob = app.ws.bob.id();
    let team = app.ws.team.id.to_string();
    let bot = app.ws.bot.id.to_string();
    let chat = app.ws.chat.id.to_string();

    assert_eq!(
        b.post(&app, &c("assignee"), &[("user_id", &bob)]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        view(&app, id, &alice).await.conversation.assignee_id,
        Some(app.ws.bob.user.id)
    );
    assert_eq!(
        b.post(&app, &c("assignee"), &[("user_id", "")]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.assignee_id, None);

    assert_eq!(
        b.post(&app, &c("team"), &[("team_id", &team)]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        view(&app, id, &alice).await.conversation.team_id,
        Some(app.ws.team.id)
    );

    let agent_form = [("agent_id", bot.as_str()), ("send_initial_message", "true")];
    assert_eq!(
        b.post(&app, &c("agent"), &agent_form).await,
        StatusCode::NO_CONTENT
    );
    assert!(view(&app, id, &alice).await.conversation.agent_session.is_some());
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("data-testid=\"agent-banner\""), "the banner shows");
    assert!(html.contains("hx-confirm"), "ending a session asks first");

    assert_eq!(
        b.post(&app, &c("agent_session/end"), &[]).await,
        StatusCode::NO_CONTENT
    );
    let v = view(&app, id, &alice).await;
    assert!(v.conversation.agent_session.is_none());
    assert_eq!(v.conversation.agent_id, Some(app.ws.bot.id));

    assert_eq!(
        b.post(&app, &c("agent_session/resume"), &[]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(b.post(&app, &c("take_over"), &[]).await, StatusCode::NO_CONTENT);
    let v = view(&app, id, &alice).await;
    assert_eq!(v.conversation.assignee_id, Some(alice.id));
    assert!(v.conversation.ai_handoff_at.is_some());

    assert_eq!(
        b.post(&app, &c("transfer"), &[("channel_id", &chat)]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        view(&app, id, &alice).await.conversation.channel_id,
        app.ws.chat.id
    );

    let note = [("body", "Ping @bob"), ("kind", "note")];
    assert_eq!(b.post(&app, &c("messages"), &note).await, StatusCode::NO_CONTENT);
    let reply = [("body", "On its way"), ("kind", "outgoing")];
    assert_eq!(b.post(&app, &c("messages"), &reply).await, StatusCode::NO_CONTENT);
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("msg-note") && html.contains("Ping @bob") && html.contains("On its way"));

    // Opening the page read it; "Mark as unread" makes it unread again and leaves.
    assert!(!view(&app, id, &alice).await.unread);
    let res = app
        .client
        .post(app.url(&c("unread")))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .send()
        .await
        .expect("unread");
    assert_eq!(res.headers()["hx-redirect"], "/");
    assert!(view(&app, id, &alice).await.unread);

    assert_eq!(
        b.post(&app, &c("agent"), &[("agent_id", "")]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.agent_id, None);

    let (status, html) = b.get(&app, &c("timeline")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("conversation.taken_over"));
}

#[tokio::test]
async fn a_viewer_sees_no_mutating_controls_and_forged_posts_are_refused() {
    let app = TestApp::spawn().await;
    let vic = app.ws.viewer.user.clone();
    let b = sign_in(&app, &vic).await;
    let id = conversation(&app).await;
    let (status, html) = b.get(&app, &format!("/c/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for control in [
        "data-picker",
        "data-action=\"close\"",
        "data-action=\"unread\"",
        "data-transfer",
        "value=\"outgoing\"",
        "/take_over",
    ] {
        assert!(!html.contains(control), "viewer sees no {control}");
    }
    let (_, inbox) = b.get(&app, "/?view=ai_queue").await;
    assert!(!inbox.contains("Take over") && !inbox.contains("/admin/users"));
    let bob = app.ws.bob.id();
    assert_eq!(
        b.post(&app, &format!("/c/{id}/assignee"), &[("user_id", &bob)])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.post(&app, &format!("/c/{id}/status"), &[("status", "closed")])
            .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.post(&app, "/admin/teams", &[("name", "Sneaky")]).await,
        StatusCode::FORBIDDEN
    );
    let (status, _) = b.get(&app, "/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let v = view(&app, id, &vic).await;
    assert_eq!(v.conversation.assignee_id, None);
    assert_eq!(v.conversation.status, Status::Open);
    // Notes are allowed for viewers (PRODUCT.md §3).
    assert_eq!(
        b.post(
            &app,
            &format!("/c/{id}/messages"),
            &[("body", "fyi"), ("kind", "note")]
        )
        .await,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let admin = app.ws.admin.user.clone();
    let a = sign_in(&app, &alice).await;
    let boss = sign_in(&app, &admin).await;
    assert_eq!(a.get(&app, "/").await.0, StatusCode::OK);
    let path = format!("/admin/users/{}", alice.id);
    assert_eq!(
        boss.post(&app, &path, &[("active", "false")]).await,
        StatusCode::NO_CONTENT
    );
    let res = app
        .client
        .get(app.url("/"))
        .header("cookie", &a.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test]
async fn admin_pages_manage_the_directory() {
    let app = TestApp::spawn().await;
    let owner = app.ws.owner.user.clone();
    let b = sign_in(&app, &owner).await;
    for page in [
        "/admin/users",
        "/admin/teams",
        "/admin/agents",
        "/admin/channels",
        "/admin/routing",
    ] {
        assert_eq!(b.get(&app, page).await.0, StatusCode::OK, "{page}");
    }
    let invite = [
        ("email", "nina@acme.example"),
        ("name", "Nina New"),
        ("role", "agent"),
        ("password", ""),
    ];
    assert_eq!(
        b.post(&app, "/admin/users", &invite).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        b.post(&app, "/admin/teams", &[("name", "Returns")]).await,
        StatusCode::NO_CONTENT
    );
    let teams = app.store.list_teams(app.ws.id).await.expect("teams");
    assert!(teams.iter().any(|t| t.name == "Returns"));
    let chan = [
        ("kind", "email"),
        ("name", "help@acme.example"),
        ("autopilot_agent_id", ""),
        ("reply_mode", "draft"),
    ];
    assert_eq!(
        b.post(&app, "/admin/channels", &chan).await,
        StatusCode::NO_CONTENT
    );
    let channels = app.store.list_channels(app.ws.id).await.expect("channels");
    let help = channels
        .iter()
        .find(|c| c.name == "help@acme.example")
        .expect("created");
    assert_eq!(help.reply_mode, baton_core::directory::ReplyMode::Draft);
    // Autopilot and reply mode change from the channel's row.
    let bot = app.ws.bot.id.to_string();
    let row = [("autopilot_agent_id", bot.as_str()), ("reply_mode", "off")];
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{}", help.id), &row).await,
        StatusCode::NO_CONTENT
    );
    let help = app.store.get_channel(app.ws.id, help.id).await.expect("channel");
    assert_eq!(
        (help.autopilot_agent_id, help.reply_mode),
        (Some(app.ws.bot.id), baton_core::directory::ReplyMode::Off)
    );
    let (_, page) = b.get(&app, "/admin/channels").await;
    assert!(page.contains(&format!("hx-post=\"/admin/channels/{}\"", help.id)));
    let bad = [("autopilot_agent_id", ""), ("reply_mode", "loud")];
    assert_eq!(
        b.post(&app, &format!("/admin/channels/{}", help.id), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let rule = [
        ("name", "Refunds"),
        (
            "conditions",
            r#"[{"field": "message", "op": "contains", "value": "refund"}]"#,
        ),
        ("actions", r#"[{"type": "add_tag", "tag": "billing"}]"#),
        ("position", ""),
    ];
    assert_eq!(
        b.post(&app, "/admin/routing", &rule).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.store.list_rules(app.ws.id).await.expect("rules").len(), 1);
    let api = app.ws.api.id.to_string();
    let res = app
        .client
        .post(app.url("/admin/routing/dry_run"))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .form(&[
            ("channel_id", api.as_str()),
            ("body", "I want a refund"),
            ("email", ""),
            ("priority", "normal"),
        ])
        .send()
        .await
        .expect("dry run");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("body").contains("Refunds"));
}

#[tokio::test]
async fn the_ai_draft_shows_above_the_composer_with_a_use_control() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let id = conversation(&app).await;
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(!html.contains("data-testid=\"ai-draft\""));
    assert!(
        !html.contains("data-action=\"draft\""),
        "no agent, no draft button"
    );
    let actor = Actor::User {
        id: alice.id,
        role: alice.role,
    };
    app.store
        .save_draft(
            app.ws.id,
            &actor,
            id,
            app.ws.bot.id,
            "Your parcel ships tomorrow.",
            serde_json::json!({"action": "draft"}),
        )
        .await
        .expect("draft");
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("data-testid=\"ai-draft\""), "the draft shows");
    assert!(html.contains("Your parcel ships tomorrow."));
    assert!(html.contains("data-use-draft"), "with a Use draft control");
    let (_, timeline) = b.get(&app, &format!("/c/{id}/timeline")).await;
    assert!(
        timeline.contains("data-testid=\"ai-receipt\""),
        "the receipt shows"
    );
    assert!(timeline.contains("action draft"));
}

#[tokio::test]
async fn draft_a_reply_button_asks_the_conversations_agent() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let admin = Actor::User {
        id: app.ws.admin.user.id,
        role: Role::Admin,
    };
    app.store
        .create_article(
            app.ws.id,
            &admin,
            "Late parcels",
            "If your parcel is late, check the tracking link; after 14 days we send a new one.",
        )
        .await
        .expect("article");
    let id = conversation(&app).await;
    let actor = Actor::User {
        id: alice.id,
        role: alice.role,
    };
    let cmd = Command::AssignAgent {
        agent_id: app.ws.bot.id,
        send_initial_message: false,
    };
    app.store
        .apply(app.ws.id, &actor, id, cmd, None)
        .await
        .expect("assign agent");
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("data-action=\"draft\""), "the draft button shows");
    assert_eq!(
        b.post(&app, &format!("/c/{id}/draft"), &[]).await,
        StatusCode::NO_CONTENT
    );
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("data-testid=\"ai-draft\""), "the draft shows");
    assert!(html.contains("Late parcels"));
}

#[tokio::test]
async fn the_header_counts_unread_notifications_and_the_list_marks_them_read() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let (s, page) = b.get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(r#"hx-get="/notifications/badge""#),
        "the header asks for the counter"
    );
    let (_, badge) = b.get(&app, "/notifications/badge").await;
    assert!(!badge.contains("notification-count"), "nothing unread: {badge}");
    let c = conversation(&app).await;
    let admin = Actor::User {
        id: app.ws.admin.user.id,
        role: Role::Admin,
    };
    app.store
        .apply(
            app.ws.id,
            &admin,
            c,
            Command::AssignUser { user_id: alice.id },
            None,
        )
        .await
        .expect("assign");
    let (_, badge) = b.get(&app, "/notifications/badge").await;
    assert!(
        badge.contains(r#"data-testid="notification-count">1<"#),
        "{badge}"
    );
    let (s, list) = b.get(&app, "/notifications").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("A conversation was assigned to you"), "{list}");
    assert!(list.contains(&format!("/c/{c}")), "links to the conversation");
    let (items, _) = app
        .store
        .list_notifications(app.ws.id, alice.id, &PageRequest::first(10))
        .await
        .expect("list");
    let id = items.items[0].id;
    assert_eq!(
        b.post(&app, &format!("/notifications/{id}/read"), &[]).await,
        StatusCode::NO_CONTENT
    );
    let (_, badge) = b.get(&app, "/notifications/badge").await;
    assert!(!badge.contains("notification-count"), "{badge}");
}

#[tokio::test]
async fn the_settings_page_saves_notification_preferences() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let (s, page) = b.get(&app, "/settings/notifications").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(
            r#"name="assigned.email" aria-label="A conversation was assigned to you: email" checked"#
        ),
        "{page}"
    );
    let form = [
        ("assigned.in_app", "on"),
        ("mentioned.in_app", "on"),
        ("mentioned.slack", "on"),
        ("team_assigned.in_app", "on"),
        ("slack_member_id", "U0ALICE"),
    ];
    assert_eq!(
        b.post(&app, "/settings/notifications", &form).await,
        StatusCode::NO_CONTENT
    );
    let prefs = app.store.notification_preferences(alice.id).await.expect("prefs");
    use baton_core::notify::{Medium, NotificationKind as K};
    assert!(prefs.wants(K::Assigned, Medium::InApp));
    assert!(!prefs.wants(K::Assigned, Medium::Email));
    assert!(prefs.wants(K::Mentioned, Medium::Slack));
    assert!(prefs.wants(K::TeamAssigned, Medium::InApp));
    assert!(!prefs.wants(K::ContactReplied, Medium::InApp));
    let bad = [("slack_member_id", "not an id")];
    assert_eq!(
        b.post(&app, "/settings/notifications", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let owner = sign_in(&app, &app.ws.owner.user.clone()).await;
    assert_eq!(owner.get(&app, "/admin/deliveries").await.0, StatusCode::OK);
    assert_eq!(b.get(&app, "/admin/deliveries").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn snooze_sets_status_snoozed_until_the_chosen_time() {
    use chrono::{Datelike, Duration, Timelike, Utc, Weekday};
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let id = conversation(&app).await;
    let snooze = format!("/c/{id}/snooze");

    let before = Utc::now();
    assert_eq!(
        b.post(&app, &snooze, &[("until", "1h")]).await,
        StatusCode::NO_CONTENT
    );
    let after = Utc::now();
    let c = view(&app, id, &alice).await.conversation;
    assert_eq!(c.status, Status::Snoozed);
    let until = c.snoozed_until.expect("snoozed_until");
    assert!(until >= before + Duration::hours(1) - Duration::seconds(1));
    assert!(until <= after + Duration::hours(1) + Duration::seconds(1));

    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("Snoozed until"), "the page says until when");
    assert!(
        html.contains("data-action=\"reopen\""),
        "a snoozed conversation can be reopened"
    );

    assert_eq!(
        b.post(&app, &snooze, &[("until", "4h")]).await,
        StatusCode::NO_CONTENT
    );
    let until = view(&app, id, &alice)
        .await
        .conversation
        .snoozed_until
        .expect("until");
    assert!(until >= before + Duration::hours(4) - Duration::seconds(1));

    // No business hours in this workspace: 9:00 is UTC.
    assert_eq!(
        b.post(&app, &snooze, &[("until", "tomorrow")]).await,
        StatusCode::NO_CONTENT
    );
    let until = view(&app, id, &alice)
        .await
        .conversation
        .snoozed_until
        .expect("until");
    assert_eq!(
        until.date_naive(),
        Utc::now().date_naive().succ_opt().expect("tomorrow")
    );
    assert_eq!((until.hour(), until.minute()), (9, 0));

    assert_eq!(
        b.post(&app, &snooze, &[("until", "next_week")]).await,
        StatusCode::NO_CONTENT
    );
    let until = view(&app, id, &alice)
        .await
        .conversation
        .snoozed_until
        .expect("until");
    assert_eq!(until.weekday(), Weekday::Mon);
    assert_eq!((until.hour(), until.minute()), (9, 0));
    let days = (until.date_naive() - Utc::now().date_naive()).num_days();
    assert!((1..=7).contains(&days), "next Monday, {days} days on");

    assert_eq!(
        b.post(&app, &snooze, &[("until", "someday")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Reopen wakes it.
    assert_eq!(
        b.post(&app, &format!("/c/{id}/status"), &[("status", "open")])
            .await,
        StatusCode::NO_CONTENT
    );
    let c = view(&app, id, &alice).await.conversation;
    assert_eq!(c.status, Status::Open);
    assert_eq!(c.snoozed_until, None);
}

#[tokio::test]
async fn priority_and_tags_are_set_from_the_conversation_page() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let id = conversation(&app).await;
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("id=\"priority-select\"") && html.contains("id=\"tag-input\""));

    let prio = format!("/c/{id}/priority");
    assert_eq!(
        b.post(&app, &prio, &[("priority", "high")]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.priority, Priority::High);
    assert_eq!(
        b.post(&app, &prio, &[("priority", "critical")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(view(&app, id, &alice).await.conversation.priority, Priority::High);

    let tags = format!("/c/{id}/tags");
    assert_eq!(
        b.post(&app, &tags, &[("add", " VIP, billing ,vip")]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.tags, ["billing", "vip"]);
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    assert!(html.contains("aria-label=\"Remove tag vip\""));

    assert_eq!(
        b.post(&app, &tags, &[("remove", "VIP")]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(view(&app, id, &alice).await.conversation.tags, ["billing"]);

    let long = "x".repeat(65);
    assert_eq!(
        b.post(&app, &tags, &[("add", long.as_str())]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        b.post(&app, &tags, &[("add", " , ")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(view(&app, id, &alice).await.conversation.tags, ["billing"]);
}

#[tokio::test]
async fn a_viewer_cannot_snooze_prioritise_or_tag() {
    let app = TestApp::spawn().await;
    let vic = app.ws.viewer.user.clone();
    let b = sign_in(&app, &vic).await;
    let id = conversation(&app).await;
    let (_, html) = b.get(&app, &format!("/c/{id}")).await;
    for control in [
        "data-snooze",
        "id=\"priority-select\"",
        "id=\"tag-input\"",
        "Remove tag",
    ] {
        assert!(!html.contains(control), "viewer sees no {control}");
    }
    for (path, form) in [
        ("snooze", ("until", "1h")),
        ("priority", ("priority", "urgent")),
        ("tags", ("add", "sneaky")),
    ] {
        assert_eq!(
            b.post(&app, &format!("/c/{id}/{path}"), &[form]).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let c = view(&app, id, &vic).await.conversation;
    assert_eq!(c.status, Status::Open);
    assert_eq!(c.priority, Priority::Normal);
    assert!(c.tags.is_empty());
}

#[tokio::test]
async fn the_priority_filter_narrows_the_inbox() {
    let app = TestApp::spawn().await;
    let alice = app.ws.alice.user.clone();
    let b = sign_in(&app, &alice).await;
    let urgent = conversation(&app).await;
    let calm = conversation(&app).await;
    assert_eq!(
        b.post(&app, &format!("/c/{urgent}/priority"), &[("priority", "urgent")])
            .await,
        StatusCode::NO_CONTENT
    );
    let (_, all) = b.get(&app, "/?view=all").await;
    assert!(all.contains(&urgent.to_string()) && all.contains(&calm.to_string()));
    let (status, html) = b.get(&app, "/?view=all&priority=urgent").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&urgent.to_string()), "the urgent one stays");
    assert!(
        !html.contains(&calm.to_string()),
        "the normal one is filtered out"
    );
    assert!(
        html.contains("<option value=\"urgent\" selected>"),
        "the filter shows its choice"
    );
    let (_, html) = b.get(&app, "/?view=all&priority=low").await;
    assert!(!html.contains(&urgent.to_string()) && !html.contains(&calm.to_string()));

    // Paging keeps the filter: more than a page of normal ones.
    for _ in 0..50 {
        conversation(&app).await;
    }
    let (_, html) = b.get(&app, "/?view=all&priority=normal").await;
    let next = html.find("rel=\"next\"").expect("a next page");
    let link = &html[html[..next].rfind("href=").expect("href")..next];
    assert!(link.contains("priority=normal"), "{link}");
    assert!(link.contains("cursor="), "{link}");
}

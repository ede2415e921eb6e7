//! `baton demo`: a believable workspace to click through and benchmark.

use crate::config::Config;
use baton_core::directory::*;
use baton_core::*;
use baton_store::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;

/// Options of `baton demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Workspace to create.
    #[arg(long, default_value = "Demo")]
    pub workspace: String,
    /// How many conversations.
    #[arg(long, default_value_t = 300)]
    pub conversations: u32,
    /// Password every demo user signs in with.
    #[arg(long, default_value = "baton-demo")]
    pub password: String,
}

struct Person {
    email: &'static str,
    name: &'static str,
    role: Role,
    availability: Availability,
    max_open: Option<u32>,
}

const PEOPLE: &[Person] = &[
    Person {
        email: "olivia@demo.example",
        name: "Olivia Owens",
        role: Role::Owner,
        availability: Availability::Online,
        max_open: None,
    },
    Person {
        email: "amir@demo.example",
        name: "Amir Haddad",
        role: Role::Admin,
        availability: Availability::Online,
        max_open: None,
    },
    Person {
        email: "beatriz@demo.example",
        name: "Beatriz Santos",
        role: Role::Admin,
        availability: Availability::Away,
        max_open: None,
    },
    Person {
        email: "chen@demo.example",
        name: "Chen Wei",
        role: Role::Agent,
        availability: Availability::Online,
        max_open: Some(25),
    },
    Person {
        email: "dana@demo.example",
        name: "Dana Kowalski",
        role: Role::Agent,
        availability: Availability::Online,
        max_open: Some(20),
    },
    Person {
        email: "emeka@demo.example",
        name: "Emeka Obi",
        role: Role::Agent,
        availability: Availability::Online,
        max_open: None,
    },
    Person {
        email: "fatima@demo.example",
        name: "Fatima Zahra",
        role: Role::Agent,
        availability: Availability::Away,
        max_open: Some(15),
    },
    Person {
        email: "gustav@demo.example",
        name: "Gustav Berg",
        role: Role::Agent,
        availability: Availability::Offline,
        max_open: None,
    },
    Person {
        email: "hana@demo.example",
        name: "Hana Sato",
        role: Role::Agent,
        availability: Availability::Online,
        max_open: Some(30),
    },
    Person {
        email: "ivan@demo.example",
        name: "Ivan Petrov",
        role: Role::Agent,
        availability: Availability::Online,
        max_open: None,
    },
    Person {
        email: "julia@demo.example",
        name: "Julia Weber",
        role: Role::Viewer,
        availability: Availability::Online,
        max_open: None,
    },
    Person {
        email: "kofi@demo.example",
        name: "Kofi Mensah",
        role: Role::Viewer,
        availability: Availability::Offline,
        max_open: None,
    },
];

const OPENERS: &[&str] = &[
    "Hi, my order #{n} still hasn't arrived. It's been two weeks.",
    "I was charged twice for my subscription this month, can you refund one?",
    "How do I reset my password? The reset email never comes.",
    "Can I change the shipping address on order #{n}?",
    "The app crashes every time I open the settings page.",
    "Do you ship to Canada? And how long does it take?",
    "I'd like to upgrade to the Business plan for 40 seats.",
    "Our SSO login stopped working this morning for everyone.",
    "Is there a discount for non-profits?",
    "The blender I received is damaged, the lid is cracked.",
    "How can I export all my invoices as PDF?",
    "I want to cancel my account and delete my data.",
];

/// The demo knowledge base: what the built-in agent Ava answers from.
const ARTICLES: &[(&str, &str)] = &[
    (
        "Refunds and double charges",
        "Were you charged twice, or do you want your money back? Refunds can be requested within 30 days of \
         delivery from Orders > Request a refund. A duplicate charge for a subscription is refunded \
         automatically within 3 business days; if it is not, write to us with both charge dates. Refunds go \
         back to the original payment method and take 5 to 10 business days to show on your statement.",
    ),
    (
        "Shipping times and countries",
        "We ship to the United States, Canada, the United Kingdom and the European Union. Orders leave our \
         warehouse within 2 business days. Standard shipping takes 3 to 7 business days (Canada 5 to 10); \
         express shipping takes 1 to 2 business days. Shipping is free on orders over $50.",
    ),
    (
        "Where is my order? Tracking a late parcel",
        "Every order gets a tracking link by email as soon as it ships; you also find it under Orders. If the \
         tracking has not moved for 5 business days, or your order has not arrived 14 days after shipping, we \
         send a replacement or refund it: reply to your shipping email with the order number.",
    ),
    (
        "Reset your password",
        "To reset your password, open the sign-in page and choose 'Forgot password'. We email a reset link \
         valid for one hour. If the reset email never comes, check your spam folder and make sure you use the \
         email address of your account; company mail filters sometimes hold it for a few minutes.",
    ),
    (
        "Change the shipping address of an order",
        "You can change the shipping address of an order until it ships: open Orders, pick the order and \
         choose 'Edit address'. Once an order has shipped, the address can no longer be changed, but you can \
         ask the carrier to redirect the parcel with the tracking link.",
    ),
    (
        "Damaged or broken items",
        "If an item arrives damaged or broken, for example a cracked lid or a dented box, take a photo and \
         send it to us within 14 days. We send a free replacement, or refund it if you prefer. You do not \
         need to return the damaged item.",
    ),
    (
        "Plans and upgrading to Business",
        "Baton Shop offers Free, Pro and Business plans. Upgrade at any time under Settings > Billing; the \
         price difference is prorated. The Business plan includes SSO, audit logs and volume pricing from 25 \
         seats. For 40 seats or more, our sales team prepares a quote.",
    ),
    (
        "Discounts for non-profits and education",
        "Registered non-profits and schools get a 30% discount on every plan. Send us proof of your status \
         (a registration number or an official letter) and we apply the discount to your next invoice.",
    ),
    (
        "Download invoices as PDF",
        "All invoices are under Settings > Billing > Invoices. Each one has a 'Download PDF' button; 'Export \
         all' downloads every invoice of the year as one ZIP file of PDFs.",
    ),
    (
        "Cancel your account and delete your data",
        "You can cancel your subscription at any time under Settings > Billing > Cancel; you keep access until \
         the end of the paid period. To delete your account and all your data, choose Settings > Account > \
         Delete account. Deletion is permanent and completes within 30 days.",
    ),
    (
        "Single sign-on (SSO) troubleshooting",
        "If SSO login stops working for everyone, check that your identity provider's certificate has not \
         expired and that the SSO metadata URL in Settings > Security is current. Admins can always sign in \
         with their password to fix the settings.",
    ),
    (
        "App crashes on start or in settings",
        "If the app crashes when you open it or a settings page, update to the latest version from your app \
         store, then restart your phone. If it still crashes, reinstall the app; your data is kept in your \
         account.",
    ),
];

const REPLIES: &[&str] = &[
    "Thanks for reaching out! I'm looking into this right now.",
    "Sorry about that. I've issued a refund; you'll see it in 3-5 business days.",
    "Could you send me a screenshot of the error?",
    "I've updated it for you. Anything else I can help with?",
];

/// Build the demo workspace and print one token per user.
pub async fn run(cfg: &Config, args: DemoArgs) -> Result<(), String> {
    let store = crate::store::open(&cfg.database_url).await?;
    if let Some(ws) = store
        .find_workspace(&args.workspace)
        .await
        .map_err(|e| e.to_string())?
    {
        let users = store
            .list_users(ws.id, &PageRequest::first(1))
            .await
            .map_err(|e| e.to_string())?;
        if !users.items.is_empty() {
            return Err(format!(
                "workspace {:?} already has data: pass --workspace with another name",
                ws.name
            ));
        }
    }
    let ws = store
        .ensure_workspace(&args.workspace)
        .await
        .map_err(|e| e.to_string())?
        .id;
    let sys = Actor::system("demo");
    // One Argon2id hash for all demo users: hashing is deliberately slow, and
    // they share one published demo password anyway.
    let hash = baton_server::auth::password::hash_password(&args.password).map_err(|e| e.to_string())?;
    let mut users = Vec::new();
    for p in PEOPLE {
        let new = NewUser {
            email: Email::parse(p.email).map_err(|e| e.to_string())?,
            name: p.name.into(),
            handle: None,
            role: p.role,
            password_hash: Some(hash.clone()),
            availability: p.availability,
            max_open: p.max_open,
        };
        users.push(
            store
                .create_user(ws, &sys, new)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let e = |e: StoreError| e.to_string();
    let support = store.create_team(ws, &sys, "Support").await.map_err(e)?;
    let billing = store.create_team(ws, &sys, "Billing").await.map_err(e)?;
    let enterprise = store.create_team(ws, &sys, "Enterprise").await.map_err(e)?;
    for (team, members) in [
        (&support, &[3usize, 4, 5, 6, 8][..]),
        (&billing, &[4, 7, 9][..]),
        (&enterprise, &[1, 5, 9][..]),
    ] {
        for m in members {
            store
                .add_team_member(ws, &sys, team.id, users[*m].id)
                .await
                .map_err(e)?;
        }
    }
    for (title, body) in ARTICLES {
        store.create_article(ws, &sys, title, body).await.map_err(e)?;
    }
    let ava = store
        .create_agent(
            ws,
            &sys,
            NewAgent {
                name: "Ava".into(),
                runtime: AgentRuntime::Builtin,
                settings: serde_json::json!({"confidence_floor": 0.55}),
                handoff_team_id: Some(support.id),
                handoff_mode: HandoffMode::RoundRobin,
            },
        )
        .await
        .map_err(e)?;
    let orion = store
        .create_agent(ws, &sys, NewAgent {
            name: "Orion".into(),
            runtime: AgentRuntime::Openai,
            settings: serde_json::json!({"base_url": "http://127.0.0.1:11434/v1", "model": "llama3.1", "temperature": 0.2}),
            handoff_team_id: Some(billing.id),
            handoff_mode: HandoffMode::Balanced,
        })
        .await
        .map_err(e)?;
    let mut channels = Vec::new();
    for (kind, name, autopilot) in [
        (ChannelKind::WebChat, "Website chat", Some(ava.id)),
        (ChannelKind::Email, "support@demo.example", None),
        (ChannelKind::Sms, "SMS +1 555 0100", None),
        (ChannelKind::Api, "Mobile app (API)", None),
    ] {
        let c = NewChannel {
            kind,
            name: name.into(),
            autopilot_agent_id: autopilot,
            reply_mode: Default::default(),
        };
        channels.push(store.create_channel(ws, &sys, c).await.map_err(e)?);
    }
    let bar = ProgressBar::new(u64::from(args.conversations));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message("conversations");
    let agents_idx = [3usize, 4, 5, 6, 7, 8, 9];
    for n in 0..args.conversations {
        let i = n as usize;
        let channel = &channels[i % channels.len()];
        let mut attrs = serde_json::Map::new();
        if i.is_multiple_of(11) {
            attrs.insert("vip".into(), serde_json::json!(true));
        }
        attrs.insert(
            "plan".into(),
            serde_json::json!(["free", "pro", "business"][i % 3]),
        );
        let contact = ContactInput {
            name: Some(format!(
                "{} {}",
                FIRST[i % FIRST.len()],
                LAST[(i / FIRST.len()) % LAST.len()]
            )),
            email: Some(Email::parse(&format!("customer{n}@mail.example")).map_err(|e| e.to_string())?),
            phone: (i % 4 == 2).then(|| format!("+1555{:07}", n)),
            tags: if i.is_multiple_of(7) {
                vec!["returning".into()]
            } else {
                vec![]
            },
            attributes: attrs,
            ..Default::default()
        };
        let body = OPENERS[i % OPENERS.len()].replace("{n}", &format!("{}", 10_000 + n));
        let conv = store
            .inbound(ws, channel.id, contact, &body)
            .await
            .map_err(e)?
            .view
            .conversation
            .id;
        let agent_user = &users[agents_idx[i % agents_idx.len()]];
        let by = Actor::User {
            id: users[1].id,
            role: Role::Admin,
        };
        let as_agent = Actor::User {
            id: agent_user.id,
            role: agent_user.role,
        };
        let reply = |text: &str| Command::PostMessage {
            kind: MessageKind::Outgoing,
            body: text.into(),
            agent_session_id: None,
        };
        let mut cmds: Vec<(Actor, Command)> = Vec::new();
        // Each conversation gets one of ten life stories.
        match i % 10 {
            0 => {}
            1 => {
                cmds.push((
                    by.clone(),
                    Command::AssignUser {
                        user_id: agent_user.id,
                    },
                ));
                cmds.push((as_agent.clone(), reply(REPLIES[i % REPLIES.len()])));
            }
            2 => cmds.push((
                by.clone(),
                Command::AssignAgent {
                    agent_id: ava.id,
                    send_initial_message: false,
                },
            )),
            3 => {
                cmds.push((
                    by.clone(),
                    Command::AssignAgent {
                        agent_id: orion.id,
                        send_initial_message: true,
                    },
                ));
                cmds.push((as_agent.clone(), Command::TakeOver));
            }
            4 => cmds.push((
                by.clone(),
                Command::AssignTeam {
                    team_id: [support.id, billing.id, enterprise.id][i % 3],
                },
            )),
            5 => {
                cmds.push((
                    by.clone(),
                    Command::AssignUser {
                        user_id: agent_user.id,
                    },
                ));
                cmds.push((as_agent.clone(), reply(REPLIES[2])));
                cmds.push((
                    as_agent.clone(),
                    Command::SetStatus {
                        status: Status::Pending,
                        snoozed_until: None,
                    },
                ));
            }
            6 => {
                let until = baton_core::time::normalize(chrono::Utc::now() + chrono::Duration::hours(18));
                cmds.push((
                    by.clone(),
                    Command::AssignUser {
                        user_id: agent_user.id,
                    },
                ));
                cmds.push((
                    as_agent.clone(),
                    Command::SetStatus {
                        status: Status::Snoozed,
                        snoozed_until: Some(until),
                    },
                ));
            }
            7 => {
                cmds.push((
                    by.clone(),
                    Command::AssignUser {
                        user_id: agent_user.id,
                    },
                ));
                cmds.push((as_agent.clone(), reply(REPLIES[1])));
                cmds.push((
                    as_agent.clone(),
                    Command::SetStatus {
                        status: Status::Closed,
                        snoozed_until: None,
                    },
                ));
            }
            8 => {
                cmds.push((by.clone(), Command::AssignTeam { team_id: billing.id }));
                let note = format!(
                    "@{} can you check the payment logs for this one?",
                    users[4].handle
                );
                cmds.push((
                    as_agent.clone(),
                    Command::PostMessage {
                        kind: MessageKind::Note,
                        body: note,
                        agent_session_id: None,
                    },
                ));
            }
            _ => {
                cmds.push((
                    by.clone(),
                    Command::AssignUser {
                        user_id: agent_user.id,
                    },
                ));
                cmds.push((
                    by.clone(),
                    Command::SetPriority {
                        priority: [Priority::High, Priority::Urgent][i % 2],
                    },
                ));
                cmds.push((
                    by.clone(),
                    Command::SetTags {
                        tags: vec!["escalated".into(), "vip".into()],
                    },
                ));
            }
        }
        for (actor, cmd) in cmds {
            match store.apply(ws, &actor, conv, cmd, None).await {
                // The website chat's autopilot already gave Ava a session.
                Err(StoreError::Domain(d)) if d.code() == "agent_session_active" => {}
                other => {
                    other.map_err(e)?;
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    // The demo's history is not news to the AI worker: it starts after it.
    let latest = store.latest_seq(ws).await.map_err(e)?;
    store.set_agent_cursor(ws, latest).await.map_err(e)?;
    print_tokens(store, &users).await?;
    eprintln!(
        "demo workspace {:?}: {} users, 3 teams, 2 AI agents, {} help articles, 4 channels, {} conversations; every user's password is {:?}",
        args.workspace,
        users.len(),
        ARTICLES.len(),
        args.conversations,
        args.password
    );
    Ok(())
}

async fn print_tokens(store: Arc<dyn Store>, users: &[User]) -> Result<(), String> {
    eprintln!("one API token per demo user (email, role, token):");
    for u in users {
        let token = baton_server::auth::token::generate_token();
        let hash = baton_server::auth::token::hash_token(&token);
        store
            .create_token(u.workspace_id, u.id, &hash, "demo")
            .await
            .map_err(|e| e.to_string())?;
        println!("{}\t{}\t{}", u.email, u.role, token);
    }
    Ok(())
}

const FIRST: &[&str] = &[
    "Maria", "James", "Aisha", "Lukas", "Sofia", "Noah", "Yuki", "Omar", "Elena", "Mateo", "Priya", "Liam",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Khan", "Müller", "Rossi", "Nguyen", "Tanaka", "Silva", "Novak", "Dubois",
];

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
            store.apply(ws, &actor, conv, cmd, None).await.map_err(e)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    print_tokens(store, &users).await?;
    eprintln!(
        "demo workspace {:?}: {} users, 3 teams, 2 AI agents, 4 channels, {} conversations; every user's password is {:?}",
        args.workspace,
        users.len(),
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

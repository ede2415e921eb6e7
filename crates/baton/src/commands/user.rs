//! `baton user create`.

use crate::config::Config;
use baton_core::{Actor, Availability, Email, Role};
use baton_store::NewUser;

/// User subcommands.
#[derive(clap::Subcommand)]
pub enum UserCmd {
    /// Create a user (and the workspace, if it does not exist); prints the user id.
    Create {
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// owner, admin, agent or viewer.
        #[arg(long)]
        role: String,
        /// Password for the web inbox [env: BATON_USER_PASSWORD].
        #[arg(long, env = "BATON_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// Run a user subcommand.
pub async fn run(cfg: &Config, cmd: UserCmd) -> Result<(), String> {
    let UserCmd::Create {
        workspace,
        email,
        name,
        role,
        password,
    } = cmd;
    let email = Email::parse(&email).map_err(|e| e.to_string())?;
    let role: Role = role
        .parse()
        .map_err(|e: baton_core::role::UnknownWord| format!("{e}: use owner, admin, agent or viewer"))?;
    let password_hash = match password {
        Some(p) if p.chars().count() < 8 => return Err("the password needs at least 8 characters".into()),
        Some(p) => Some(baton_server::auth::password::hash_password(&p).map_err(|e| e.to_string())?),
        None => None,
    };
    let store = crate::store::open(&cfg.database_url).await?;
    let ws = store
        .ensure_workspace(&workspace)
        .await
        .map_err(|e| e.to_string())?;
    let new = NewUser {
        email,
        name,
        handle: None,
        role,
        password_hash,
        availability: Availability::Online,
        max_open: None,
    };
    let user = store
        .create_user(ws.id, &Actor::system("cli"), new)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "created {} {} <{}> in workspace {:?}",
        user.role, user.name, user.email, ws.name
    );
    println!("{}", user.id);
    Ok(())
}

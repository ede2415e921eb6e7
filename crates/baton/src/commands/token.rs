//! `baton token create`.

use crate::config::Config;
use baton_core::Email;

/// Token subcommands.
#[derive(clap::Subcommand)]
pub enum TokenCmd {
    /// Create an API token for a user; prints the token (shown only once).
    Create {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Run a token subcommand.
pub async fn run(cfg: &Config, cmd: TokenCmd) -> Result<(), String> {
    let TokenCmd::Create { email, name } = cmd;
    let email = Email::parse(&email).map_err(|e| e.to_string())?;
    let store = crate::store::open(&cfg.database_url).await?;
    let cred = store
        .credentials_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user with email {email}"))?;
    if !cred.user.active {
        return Err(format!("{email} is deactivated"));
    }
    let token = baton_server::auth::token::generate_token();
    let hash = baton_server::auth::token::hash_token(&token);
    store
        .create_token(cred.user.workspace_id, cred.user.id, &hash, &name)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "token for {} ({}); store it now, it is not shown again",
        cred.user.name, cred.user.role
    );
    println!("{token}");
    Ok(())
}

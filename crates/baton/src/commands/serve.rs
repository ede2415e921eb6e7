//! `baton serve`.

use crate::config::{Config, redact_url};
use baton_core::SystemClock;
use baton_server::{Application, ServerConfig};
use std::sync::Arc;

/// Open the store, bind, say how to sign in, serve until Ctrl-C or SIGTERM.
pub async fn run(cfg: &Config) -> Result<(), String> {
    let store = crate::store::open(&cfg.database_url).await?;
    let backend = store.backend();
    let server = ServerConfig {
        listen: cfg.listen.clone(),
        notify: cfg.notify(),
        ..ServerConfig::default()
    };
    let app = Application::build(server, store, Arc::new(SystemClock))
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = app.local_addr();
    eprintln!(
        "Baton {} ({backend}: {})",
        env!("CARGO_PKG_VERSION"),
        redact_url(&cfg.database_url)
    );
    eprintln!("listening on http://{addr}");
    eprintln!(
        "sign in at http://{addr}/login with a user's email and password. No user yet? In another terminal:\n  \
         baton user create --workspace Acme --email you@example.com --name \"Your Name\" --role owner --password '…'\n  \
         (or `baton demo` for a filled workspace; every demo user's password is baton-demo).\n  \
         API: http://{addr}/api/v1/docs, with a token from `baton token create --email you@example.com`."
    );
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

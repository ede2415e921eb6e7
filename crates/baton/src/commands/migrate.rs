//! `baton migrate`.

use crate::config::{Config, redact_url};

/// Open the database (which runs the embedded migrations) and report.
pub async fn run(cfg: &Config) -> Result<(), String> {
    let store = crate::store::open(&cfg.database_url).await?;
    eprintln!(
        "{} database at {} is up to date",
        store.backend(),
        redact_url(&cfg.database_url)
    );
    Ok(())
}

//! `postgres://` URLs, the schema to live in, and pool settings.

use baton_store::{StoreError, StoreResult};
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

/// The default pool size: small, because a PostgreSQL server's connection
/// slots are shared by every node and every test running beside us.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// How to connect.
#[derive(Clone)]
pub struct PgOptions {
    /// A `postgres://` (or `postgresql://`) URL as libpq and sqlx understand it.
    pub url: String,
    /// Keep every table in this schema (created if missing) instead of the
    /// server's default `search_path`.
    pub schema: Option<String>,
    /// The most pooled connections (the wake-up listener holds one more).
    pub max_connections: u32,
}

impl std::fmt::Debug for PgOptions {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("url", &"<redacted>")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl PgOptions {
    /// Options for a URL with the default schema and pool size.
    pub fn new(url: &str) -> Self {
        PgOptions {
            url: url.to_string(),
            schema: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// The same options, living in `schema`.
    pub fn with_schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_string());
        self
    }

    /// sqlx connect options: the URL plus, with a schema, a `search_path`
    /// startup option so every pooled connection resolves our tables there.
    pub fn connect_options(&self) -> StoreResult<PgConnectOptions> {
        if !(self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")) {
            return Err(StoreError::Database("not a postgres URL".into()));
        }
        let opts = PgConnectOptions::from_str(&self.url)
            .map_err(|e| StoreError::Database(format!("bad postgres URL: {e}")))?
            .application_name("baton");
        Ok(match &self.schema {
            Some(s) => opts.options([("search_path", check_schema(s)?)]),
            None => opts,
        })
    }
}

/// Accept only plain lower-case identifiers as schema names, so they can be
/// put in SQL and startup options without quoting surprises.
pub fn check_schema(schema: &str) -> StoreResult<&str> {
    let mut chars = schema.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63
        && !schema.starts_with("pg_");
    if ok {
        Ok(schema)
    } else {
        Err(StoreError::Database(format!(
            "bad schema name {schema:?}: use lower-case letters, digits and _ (at most 63)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(check_schema("baton_test_0190aa").is_ok());
        assert!(check_schema("baton").is_ok());
        for bad in ["", "Baton", "a-b", "a;drop", "1abc", "pg_catalog", "a b", "\"x\""] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_postgres_urls_are_accepted() {
        assert!(PgOptions::new("sqlite://x.db").connect_options().is_err());
        assert!(
            PgOptions::new("postgres://u@localhost/db")
                .with_schema("s1")
                .connect_options()
                .is_ok()
        );
        assert!(
            PgOptions::new("postgres://u@localhost/db")
                .with_schema("S;")
                .connect_options()
                .is_err()
        );
    }

    #[test]
    fn debug_hides_the_url() {
        let o = PgOptions::new("postgres://u:secret@localhost/db");
        assert!(!format!("{o:?}").contains("secret"));
    }
}

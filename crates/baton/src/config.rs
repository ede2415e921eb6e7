//! Layered configuration: defaults, then a TOML file, then `BATON_*`
//! environment variables, then command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything a subcommand may need.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Address `baton serve` listens on.
    pub listen: String,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Log filter (tracing `EnvFilter` syntax).
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./baton-data/baton.db".into(),
            listen: "127.0.0.1:8080".into(),
            log_format: "text".into(),
            log: "info,sqlx=warn,tower_http=info".into(),
        }
    }
}

// The database URL may carry a password: never print it.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("log_format", &self.log_format)
            .field("log", &self.log)
            .finish()
    }
}

/// A URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Flags that override the file and the environment.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct GlobalFlags {
    /// Database URL (`sqlite://PATH` or `postgres://…`) [env: BATON_DATABASE_URL]
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Listen address for `serve` [env: BATON_LISTEN]
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// Config file (TOML) [env: BATON_CONFIG; default ./baton.toml if present]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

impl Config {
    /// Load the layers in order; a named config file that is missing is an error.
    pub fn load(flags: &GlobalFlags) -> Result<Config, String> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        let named = flags
            .config
            .clone()
            .or_else(|| std::env::var_os("BATON_CONFIG").map(PathBuf::from));
        match named {
            Some(path) => {
                if !path.exists() {
                    return Err(format!("config file {} does not exist", path.display()));
                }
                fig = fig.merge(Toml::file(path));
            }
            None => {
                if PathBuf::from("baton.toml").exists() {
                    fig = fig.merge(Toml::file("baton.toml"));
                }
            }
        }
        fig = fig.merge(Env::prefixed("BATON_").split("__").ignore(&["config"]));
        if let Some(u) = &flags.database_url {
            fig = fig.merge(Serialized::default("database_url", u));
        }
        if let Some(l) = &flags.listen {
            fig = fig.merge(Serialized::default("listen", l));
        }
        let cfg: Config = fig.extract().map_err(|e| format!("configuration error: {e}"))?;
        if cfg.log_format != "text" && cfg.log_format != "json" {
            return Err(format!(
                "log_format must be text or json, not {:?}",
                cfg.log_format
            ));
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }

    // figment's Jail fixes the closure's error type; its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    #[test]
    fn flags_override_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite://file.db\"",
            )?;
            jail.set_env("BATON_DATABASE_URL", "sqlite://env.db");
            let cfg = Config::load(&GlobalFlags::default()).map_err(|e| e.to_string())?;
            assert_eq!(cfg.listen, "0.0.0.0:9000");
            assert_eq!(cfg.database_url, "sqlite://env.db");
            let flags = GlobalFlags {
                listen: Some("127.0.0.1:1".into()),
                ..Default::default()
            };
            let cfg = Config::load(&flags).map_err(|e| e.to_string())?;
            assert_eq!(cfg.listen, "127.0.0.1:1");
            Ok(())
        });
    }

    #[test]
    fn missing_named_config_file_is_an_error() {
        let flags = GlobalFlags {
            config: Some("/nonexistent/baton.toml".into()),
            ..Default::default()
        };
        assert!(Config::load(&flags).is_err());
    }
}

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
    /// Where people reach Baton, for links in emails and Slack messages
    /// (default `http://<listen>`).
    #[serde(default)]
    pub public_url: Option<String>,
    /// Outgoing email for notifications.
    #[serde(default)]
    pub smtp: SmtpSettings,
    /// Slack direct messages for notifications.
    #[serde(default)]
    pub slack: SlackSettings,
}

/// `[smtp]`: notification email. Without a `host`, no email is sent.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpSettings {
    /// SMTP server host (`BATON_SMTP__HOST`).
    pub host: Option<String>,
    /// Port (default 587).
    pub port: u16,
    /// From address, e.g. `Baton <baton@example.com>`.
    pub from: String,
    /// STARTTLS (default on; turn off only for a loopback relay).
    pub tls: bool,
    /// User name, if the server wants one.
    pub username: Option<String>,
    /// Password (never printed).
    pub password: Option<String>,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            from: "Baton <baton@localhost>".into(),
            tls: true,
            username: None,
            password: None,
        }
    }
}

/// `[slack]`: Slack DMs. Without a `bot_token`, no Slack message is sent.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SlackSettings {
    /// Web API base (default `https://slack.com/api`).
    pub base_url: String,
    /// Bot token with `chat:write` (`BATON_SLACK__BOT_TOKEN`; never printed).
    pub bot_token: Option<String>,
}

impl Default for SlackSettings {
    fn default() -> Self {
        Self {
            base_url: "https://slack.com/api".into(),
            bot_token: None,
        }
    }
}

impl Config {
    /// The delivery settings for the server.
    pub fn notify(&self) -> baton_server::notify::NotifyConfig {
        use baton_server::notify::{NotifyConfig, SlackConfig, SmtpConfig};
        NotifyConfig {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
            smtp: self.smtp.host.as_ref().map(|host| SmtpConfig {
                host: host.clone(),
                port: self.smtp.port,
                from: self.smtp.from.clone(),
                tls: self.smtp.tls,
                username: self.smtp.username.clone(),
                password: self.smtp.password.clone(),
            }),
            slack: self.slack.bot_token.as_ref().map(|t| SlackConfig {
                base_url: self.slack.base_url.clone(),
                bot_token: t.clone(),
            }),
            ..NotifyConfig::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://./baton-data/baton.db".into(),
            listen: "127.0.0.1:8080".into(),
            log_format: "text".into(),
            log: "info,sqlx=warn,tower_http=info".into(),
            public_url: None,
            smtp: SmtpSettings::default(),
            slack: SlackSettings::default(),
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
            .field("public_url", &self.public_url)
            .field("smtp_host", &self.smtp.host)
            .field("smtp_port", &self.smtp.port)
            .field("smtp_password", &self.smtp.password.as_ref().map(|_| "***"))
            .field("slack_base_url", &self.slack.base_url)
            .field("slack_bot_token", &self.slack.bot_token.as_ref().map(|_| "***"))
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

    #[allow(clippy::result_large_err)]
    #[test]
    fn smtp_and_slack_settings_come_from_file_and_environment_and_stay_secret() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                "public_url = \"https://baton.example.com\"\n[smtp]\nhost = \"127.0.0.1\"\nport = 2525\ntls = false\npassword = \"hunter2\"\n",
            )?;
            jail.set_env("BATON_SLACK__BOT_TOKEN", "xoxb-secret");
            jail.set_env("BATON_SMTP__FROM", "Support <help@example.com>");
            let cfg = Config::load(&GlobalFlags::default()).map_err(|e| e.to_string())?;
            let n = cfg.notify();
            let smtp = n.smtp.clone().expect("smtp");
            assert_eq!(
                (smtp.host.as_str(), smtp.port, smtp.tls),
                ("127.0.0.1", 2525, false)
            );
            assert_eq!(smtp.from, "Support <help@example.com>");
            let slack = n.slack.clone().expect("slack");
            assert_eq!(slack.base_url, "https://slack.com/api");
            assert_eq!(n.public_url, "https://baton.example.com");
            let shown = format!("{cfg:?} {n:?}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("xoxb-secret"),
                "{shown}"
            );
            Ok(())
        });
    }

    #[test]
    fn without_hosts_or_tokens_nothing_is_sent() {
        let n = Config::default().notify();
        assert!(n.smtp.is_none() && n.slack.is_none());
        assert_eq!(n.public_url, "http://127.0.0.1:8080");
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

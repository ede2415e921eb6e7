//! `baton`: the command line. Thin: parse, load configuration, open the store,
//! call into the crates that do the work. Results go to standard output;
//! human-facing messages to standard error, so the output scripts well.

mod bench;
mod commands;
mod config;
mod store;

use clap::{Parser, Subcommand};
use config::{Config, GlobalFlags};
use std::process::ExitCode;

// mimalloc returns freed memory to the OS and avoids glibc's per-thread
// arenas, which kept the resident size of a busy server needlessly high.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Baton: an omnichannel support inbox in one binary.
#[derive(Parser)]
#[command(name = "baton", version, about)]
struct Cli {
    #[command(flatten)]
    flags: GlobalFlags,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server: API, web inbox and background workers.
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: commands::user::UserCmd,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: commands::token::TokenCmd,
    },
    /// Fill a workspace with demo users, teams, agents, channels and conversations.
    Demo(commands::demo::DemoArgs),
    /// Export conversations as JSON, CSV or HTML.
    Export(commands::export::ExportArgs),
    /// Measure throughput, latency and memory.
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match Config::load(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&cfg, matches!(cli.command, Cmd::Serve));
    // Blocking work is SQLite reads (four connections by default) and
    // password hashing: a few threads do it all. Tokio's default allows 512,
    // and bursts of reads under write load started dozens, each keeping its
    // own allocator cache (the server's RSS rose by ~90 MiB).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(16)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Cmd::Serve => commands::serve::run(&cfg).await,
            Cmd::Migrate => commands::migrate::run(&cfg).await,
            Cmd::User { command } => commands::user::run(&cfg, command).await,
            Cmd::Token { command } => commands::token::run(&cfg, command).await,
            Cmd::Demo(args) => commands::demo::run(&cfg, args).await,
            Cmd::Export(args) => commands::export::run(&cfg, args).await,
            Cmd::Bench(args) => bench::run(&cfg, args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cfg: &Config, serving: bool) {
    use tracing_subscriber::EnvFilter;
    // One-shot commands log warnings only, so their standard error stays readable.
    let default = if serving { cfg.log.as_str() } else { "warn" };
    let filter = EnvFilter::try_from_env("BATON_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

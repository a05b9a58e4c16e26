//! The `baoluu` command line: parse arguments, set up tracing, turn signals into cancellation and
//! errors into exit codes (design.md §2). anyhow lives only here; no crawl logic does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use baoluu::config::Config;
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

/// Exit codes (design.md §2, sysexits.h where one fits).
mod exit {
    pub const FATAL: u8 = 1;
    /// EX_TEMPFAIL: stopped early but resumable.
    pub const STOPPED: u8 = 75;
    /// EX_CONFIG.
    pub const CONFIG: u8 = 78;
}

#[derive(Parser)]
#[command(
    name = "baoluu",
    version,
    about = "A polite crawler and archival daemon for Vietnamese provincial news portals"
)]
struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "BAOLUU_CONFIG",
        default_value = "crawl-config/baoluu.toml"
    )]
    config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Archive these URLs now (robots.txt and politeness still apply; redirect hops are archived too).
    Save {
        #[arg(required = true)]
        urls: Vec<String>,
    },
    /// One run over all (or the named) portals, then exit; an interrupted run is resumed.
    Crawl {
        /// Crawl only this portal (repeatable).
        #[arg(long = "portal")]
        portals: Vec<String>,
    },
    /// Validate the configuration and print what would be crawled.
    CheckConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let config = match Config::load(&cli.config) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: configuration: {err}");
            return Ok(exit::CONFIG);
        }
    };
    match cli.command {
        Command::CheckConfig => {
            print!("{}", config.describe());
            Ok(0)
        }
        Command::Save { urls } => runtime()?.block_on(save(config, urls)),
        Command::Crawl { portals } => runtime()?.block_on(crawl(config, portals)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

async fn save(config: Config, urls: Vec<String>) -> anyhow::Result<u8> {
    let cancel = watch_signals();
    let report = baoluu::save::save(&config, &urls, cancel.clone())
        .await
        .context("save failed")?;
    for line in &report.lines {
        println!("{line}");
    }
    Ok(if cancel.is_cancelled() {
        exit::STOPPED
    } else {
        0
    })
}

async fn crawl(config: Config, portals: Vec<String>) -> anyhow::Result<u8> {
    if let Some(unknown) = portals.iter().find(|name| config.portal(name).is_none()) {
        eprintln!(
            "error: configuration: no portal named `{unknown}` in {}",
            config.source.display()
        );
        return Ok(exit::CONFIG);
    }
    let cancel = watch_signals();
    let summary = baoluu::crawl::crawl(&config, &portals, cancel.clone())
        .await
        .context("crawl failed")?;
    eprintln!("{summary}");
    Ok(if summary.interrupted {
        exit::STOPPED
    } else {
        0
    })
}

/// SIGINT/SIGTERM cancel the token (stop the head, drain the tail: house rule 5); a second
/// signal exits at once.
fn watch_signals() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            if wait_for_signal().await.is_err() {
                return;
            }
            signals += 1;
            if signals > 1 {
                eprintln!("second signal: exiting now");
                std::process::exit(i32::from(exit::STOPPED));
            }
            tracing::warn!(
                "signal_received: finishing in-flight fetches, then stopping (send again to exit now)"
            );
            token.cancel();
        }
    });
    cancel
}

async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    }
}

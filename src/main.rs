//! The `baoluu` command line: parse arguments, set up tracing, turn signals into cancellation and
//! errors into exit codes (docs/configuration.md). anyhow lives only here; no crawl logic does.

// Small functions (issue 16): clippy.toml sets the threshold at 80 lines.
#![warn(clippy::too_many_lines)]

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use baoluu::config::Config;
use baoluu::notify::Notifier;
use baoluu::report;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

/// Exit codes (docs/configuration.md, sysexits.h where one fits).
mod exit {
    pub const FATAL: u8 = 1;
    /// EX_TEMPFAIL: stopped early but resumable.
    /// Command-line usage error (as clap exits on its own).
    pub const USAGE: u8 = 2;
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
        /// Walk pagination chains deeper than the last backfill reached, `backfill_pages`
        /// further per run, ignoring the stale-page stop: archives a portal's history gently.
        #[arg(long)]
        backfill: bool,
        /// Run only shard K of N (`2/3`): portals by a stable hash of their `merged_into`
        /// family's name, so several instances split the work (issue 18).
        #[arg(long, value_name = "K/N")]
        shard: Option<baoluu::config::shard::Shard>,
    },
    /// Run forever, each portal on its schedule; SIGTERM drains and exits 0, SIGHUP reloads.
    Daemon {
        /// Run only shard K of N (see `crawl --shard`).
        #[arg(long, value_name = "K/N")]
        shard: Option<baoluu::config::shard::Shard>,
    },
    /// Per portal: the last run's summary, the next scheduled time and the portal's health.
    Status {
        /// One JSON document instead of text (problem codes: docs/status.md).
        #[arg(long)]
        json: bool,
    },
    /// Validate the configuration and print what would be crawled; with --url, how each URL
    /// is classified instead: `URL<TAB>PORTAL<TAB>KIND<TAB>why`.
    CheckConfig {
        /// A URL to classify (repeatable): article, listing, excluded or out-of-scope.
        #[arg(long = "url")]
        urls: Vec<String>,
    },
    /// Fixity check: every record parses, digests match, every index line opens its record.
    Verify {
        /// The archive directory (default: the configuration's `archive_dir`).
        archive_dir: Option<PathBuf>,
        /// Check a WACZ package instead: manifest hashes, indexes as replayers load them,
        /// every index line's record, every page's capture.
        #[arg(long, value_name = "FILE", conflicts_with = "archive_dir")]
        wacz: Option<PathBuf>,
        /// Check every object this instance uploaded: read back from the bucket, against the
        /// size and SHA-256 recorded at upload (issue 18).
        #[arg(long, conflicts_with_all = ["archive_dir", "wacz"])]
        remote: bool,
    },
    /// Package closed WARC files as one WACZ 1.1.1 file for ReplayWeb.page.
    Wacz {
        /// Only this portal's WARC files.
        #[arg(long)]
        portal: Option<String>,
        /// Only files with captures at or after this time: RFC 3339, a date or time read as
        /// +07:00, or a duration back from now (7d).
        #[arg(long, value_parser = baoluu::wacz::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// The output file (must end in .wacz).
        out: PathBuf,
        /// Take the WARC files and CDXJ this instance uploaded from the bucket, not from the
        /// local archive (whose copies `keep_local` may have removed; issue 18).
        #[arg(long)]
        from_storage: bool,
    },
    /// List article edits, removals, restorations and moves, newest first (issue 15).
    Changes {
        /// Only this portal's changes.
        #[arg(long)]
        portal: Option<String>,
        /// Only changes seen at or after this time (the forms of `wacz --since`).
        #[arg(long, value_parser = baoluu::wacz::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// One JSON object per line instead of text with word diffs.
        #[arg(long)]
        json: bool,
    },
    /// Print the Article JSON extracted from one saved page (FILE, or - for standard input).
    Extract {
        /// Use this portal's selectors (needs the configuration). Default: the portal whose
        /// hosts hold the --url host, if a configuration file exists; else the generic extractor.
        #[arg(long)]
        portal: Option<String>,
        /// The page's URL (resolves relative links and image sources).
        #[arg(long, default_value = "http://localhost/")]
        url: url::Url,
        /// Content-Type header the page was served with (its charset is used).
        #[arg(long)]
        content_type: Option<String>,
        /// Content-Encoding the file is in (e.g. gzip).
        #[arg(long)]
        content_encoding: Option<String>,
        file: PathBuf,
    },
    /// Which CMS family preset and selectors match a page, what they extract, and a suggested
    /// `[[portal]]` profile: the tool for adding a portal.
    Probe {
        /// A saved page (`-` for standard input); leave out with --fetch.
        file: Option<PathBuf>,
        /// Fetch this one page instead, politely (robots.txt first, its Crawl-delay honoured),
        /// with the configuration's user agent.
        #[arg(long, conflicts_with = "file")]
        fetch: Option<url::Url>,
        /// The saved page's URL (default: its canonical link).
        #[arg(long)]
        url: Option<url::Url>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Crawl a built-in sample portal on a loopback port into a fresh archive and serve its
    /// status page: baoluu at work without the network (ignores --config).
    Demo {
        /// The archive folder (default: a new temporary folder).
        #[arg(long)]
        archive: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let progress = progress_bar(&cli);
    init_tracing(cli.log_format, progress.clone());
    match run(cli, progress) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

/// A spinner with running totals for `crawl` on a terminal; None elsewhere (journald, pipes).
fn progress_bar(cli: &Cli) -> Option<ProgressBar> {
    use std::io::IsTerminal as _;
    let wanted =
        matches!(cli.command, Command::Crawl { .. }) && matches!(cli.log_format, LogFormat::Text);
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

fn init_tracing(format: LogFormat, progress: Option<ProgressBar>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter { progress });
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Writes log lines to stderr, lifting the progress bar out of the way while it does.
#[derive(Clone)]
struct LogWriter {
    progress: Option<ProgressBar>,
}

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.progress {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        self.clone()
    }
}

/// The commands that need no validated configuration (a saved page, a demo, an archive to
/// verify); `None` for the others.
fn run_without_config(cli: &Cli) -> Option<anyhow::Result<u8>> {
    if let Command::Extract {
        portal,
        url,
        content_type,
        content_encoding,
        file,
    } = &cli.command
    {
        let selectors = match extract_selectors(&cli.config, portal.as_deref(), url) {
            Ok(selectors) => selectors,
            Err(code) => return Some(Ok(code)),
        };
        return Some(extract(
            file,
            url,
            selectors.as_ref(),
            content_type.as_deref(),
            content_encoding.as_deref(),
        ));
    }
    if let Command::Probe {
        file,
        fetch,
        url,
        json,
    } = &cli.command
    {
        return Some(probe(
            &cli.config,
            file.as_deref(),
            fetch.as_ref(),
            url.as_ref(),
            *json,
        ));
    }
    if let Command::Demo { archive } = &cli.command {
        return Some(runtime().and_then(|rt| rt.block_on(demo(archive.clone()))));
    }
    if let Command::Verify {
        wacz: Some(file), ..
    } = &cli.command
    {
        return Some(baoluu::verify::run_cli_wacz(file).map_err(Into::into));
    }
    if let Command::Verify {
        archive_dir: Some(dir),
        ..
    } = &cli.command
    {
        return Some(baoluu::verify::run_cli(dir).map_err(Into::into));
    }
    None
}

/// The configuration a command needs: commands that never fetch load it without the contact
/// check. Err is the exit code after the error was printed.
fn load_for(cli: &Cli) -> Result<Config, u8> {
    let reading = matches!(
        cli.command,
        Command::Status { .. } | Command::Verify { .. } | Command::Wacz { .. }
    );
    match reading {
        true => load_to_read(&cli.config),
        false => load(&cli.config),
    }
}

fn run(cli: Cli, progress: Option<ProgressBar>) -> anyhow::Result<u8> {
    if let Some(done) = run_without_config(&cli) {
        return done;
    }
    let config = match load_for(&cli) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    match cli.command {
        Command::CheckConfig { urls } if urls.is_empty() => {
            print_stdout(&config.describe());
            Ok(0)
        }
        Command::CheckConfig { urls } => Ok(check_urls(&config, &urls)),
        Command::Save { urls } => runtime()?.block_on(save(config, urls)),
        Command::Crawl {
            portals,
            backfill,
            shard,
        } => {
            let options = baoluu::crawl::Options { backfill };
            let mut config = config;
            config.keep_shard(shard);
            runtime()?.block_on(crawl(config, portals, options, progress))
        }
        Command::Status { json } => {
            let (dir, now) = (&config.crawler.archive_dir, chrono::Utc::now());
            let text = match json {
                true => report::status_json(dir, &config, now)?,
                false => report::status(dir, &config, now)?,
            };
            print_stdout(&text);
            Ok(0)
        }
        Command::Daemon { shard } => {
            let mut config = config;
            config.keep_shard(shard);
            runtime()?.block_on(daemon(cli.config, config))
        }
        Command::Verify { remote: true, .. } => {
            Ok(runtime()?.block_on(baoluu::storage::fixity::run_cli(&config))?)
        }
        Command::Verify { .. } => Ok(baoluu::verify::run_cli(&config.crawler.archive_dir)?),
        Command::Wacz {
            portal,
            since,
            out,
            from_storage: true,
        } => wacz_from_storage(&config, &out, portal, since),
        Command::Wacz {
            portal, since, out, ..
        } => Ok(baoluu::wacz::run_cli(
            &config.crawler.archive_dir,
            &out,
            portal,
            since,
        )?),
        Command::Changes {
            portal,
            since,
            json,
        } => {
            let filter = baoluu::history::Filter { portal, since };
            let dir = &config.crawler.archive_dir;
            let text = match json {
                true => baoluu::history::render_json(dir, &filter)?,
                false => baoluu::history::render_text(dir, &filter)?,
            };
            print_stdout(&text);
            Ok(0)
        }
        Command::Extract { .. } | Command::Probe { .. } | Command::Demo { .. } => Ok(0),
    }
}

/// `baoluu probe`: a saved page needs no configuration; fetching one needs the configured
/// user agent (an honest one, with a contact).
fn probe(
    config: &std::path::Path,
    file: Option<&std::path::Path>,
    fetch: Option<&url::Url>,
    url: Option<&url::Url>,
    json: bool,
) -> anyhow::Result<u8> {
    if file.is_none() && fetch.is_none() {
        eprintln!("error: give a saved page (FILE, or - for standard input) or --fetch URL");
        return Ok(exit::USAGE);
    }
    let user_agent = match fetch {
        Some(_) => match load(config) {
            Ok(config) => config.crawler.user_agent,
            Err(code) => return Ok(code),
        },
        None => String::new(),
    };
    Ok(baoluu::probe::run_cli(file, fetch, url, json, &user_agent)?)
}

/// Writes to standard output; a reader that went away (`| head`) is not an error of ours.
fn print_stdout(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The configuration, or the exit code after printing why it is unusable.
fn load(path: &std::path::Path) -> Result<Config, u8> {
    Config::load(path).map_err(|err| config_error(&err.to_string()))
}

/// [`load`] for a command that never fetches: a placeholder contact is no error there.
fn load_to_read(path: &std::path::Path) -> Result<Config, u8> {
    Config::load_to_read(path).map_err(|err| config_error(&err.to_string()))
}

fn config_error(message: &str) -> u8 {
    eprintln!("error: configuration: {message}");
    exit::CONFIG
}

/// The selectors `extract` uses: `--portal`'s, else those of the portal whose hosts hold the
/// URL's host (issue 14); no configuration file at all means the generic extractor, since a
/// saved page needs none. A configuration that exists but is invalid is still an error.
fn extract_selectors(
    config: &std::path::Path,
    portal: Option<&str>,
    url: &url::Url,
) -> Result<Option<baoluu::config::Selectors>, u8> {
    if portal.is_none() && !config.exists() {
        return Ok(None);
    }
    let config = load_to_read(config)?;
    let found = match portal {
        None => baoluu::scope::portal_for(&config.portals, url),
        Some(name) => Some(config.portal(name).ok_or_else(|| {
            config_error(&format!(
                "no portal named `{name}` in {}",
                config.source.display()
            ))
        })?),
    };
    Ok(found.and_then(|p| p.selectors.clone()))
}

/// `check-config --url`: one `URL<TAB>PORTAL<TAB>KIND<TAB>why` line per URL, decided by the
/// crawl's own scope (src/scope.rs); 0, or 2 when a URL does not parse (its line goes to stderr).
fn check_urls(config: &Config, urls: &[String]) -> u8 {
    use baoluu::scope::{Decision, Kind, Reason, Scope};
    let mut code = 0;
    for text in urls {
        let Ok(url) = url::Url::parse(text.trim()) else {
            eprintln!(
                "error: `{text}` is not a URL: write an absolute URL such as https://example.org/"
            );
            code = exit::USAGE;
            continue;
        };
        let Some(portal) = baoluu::scope::portal_for(&config.portals, &url) else {
            print_stdout(&format!(
                "{url}\t-\tout-of-scope\tno portal's hosts hold its host\n"
            ));
            continue;
        };
        let (decision, why) = Scope::new(portal).explain(&url);
        let kind = match decision {
            Decision::In(Kind::Article) => "article",
            Decision::In(Kind::Listing | Kind::Seed) => "listing",
            Decision::Out(Reason::Excluded | Reason::Trap(_)) => "excluded",
            Decision::Out(Reason::Host | Reason::Pattern) => "out-of-scope",
        };
        print_stdout(&format!("{text}\t{}\t{kind}\t{why}\n", portal.name));
    }
    code
}

fn extract(
    file: &std::path::Path,
    url: &url::Url,
    selectors: Option<&baoluu::config::Selectors>,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> anyhow::Result<u8> {
    use std::io::Read as _;
    let mut body = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("could not read the page from standard input")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    }
    let max = baoluu::extract::MAX_DECODED;
    let article = baoluu::extract::extract_payload(
        &body,
        content_type,
        content_encoding,
        url,
        selectors,
        max,
    )
    .with_context(|| format!("could not decode {}", file.display()))?;
    print_stdout(&format!("{}\n", serde_json::to_string_pretty(&article)?));
    Ok(0)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

async fn save(config: Config, urls: Vec<String>) -> anyhow::Result<u8> {
    let cancel = watch_signals();
    let report = match baoluu::save::save(&config, &urls, cancel.clone()).await {
        Ok(report) => report,
        Err(err) if err.is_disk_full() => return Ok(disk_full(&err)),
        Err(err) => return Err(err).context("save failed"),
    };
    for line in &report.lines {
        print_stdout(&format!("{line}\n"));
    }
    Ok(if cancel.is_cancelled() {
        exit::STOPPED
    } else {
        0
    })
}

async fn crawl(
    config: Config,
    portals: Vec<String>,
    options: baoluu::crawl::Options,
    progress: Option<ProgressBar>,
) -> anyhow::Result<u8> {
    if let Some(unknown) = portals.iter().find(|name| config.portal(name).is_none()) {
        eprintln!(
            "error: configuration: no portal named `{unknown}` in {}",
            config.source.display()
        );
        return Ok(exit::CONFIG);
    }
    let cancel = watch_signals();
    let observer = progress.clone().map(|bar| -> baoluu::crawl::Observer {
        Box::new(move |s| {
            bar.set_message(format!(
                "{} fetched, {} archived, {} indexed, {} bytes",
                s.fetched, s.archived, s.indexed, s.bytes
            ))
        })
    });
    let started = chrono::Utc::now();
    let uploads = baoluu::storage::UploadTask::start(&config)
        .context("could not start uploading to the bucket")?;
    let summary =
        match baoluu::crawl::crawl(&config, &portals, options, cancel.clone(), observer).await {
            Ok(summary) => summary,
            Err(err) if err.is_disk_full() => return Ok(disk_full(&err)),
            Err(err) => return Err(err).context("crawl failed"),
        };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    eprintln!("{summary}");
    let names = match portals.is_empty() {
        true => config.portals.iter().map(|p| p.name.clone()).collect(),
        false => portals,
    };
    let times = (started, chrono::Utc::now());
    report::record_run(&config.crawler.archive_dir, names, times, &summary)
        .context("could not write the run report")?;
    // Pending uploads never change the exit code: they go with the next run (issue 18).
    match summary.interrupted {
        true => uploads.stop().await,
        false => uploads.finish(None).await,
    }
    Ok(if summary.interrupted {
        exit::STOPPED
    } else {
        0
    })
}

/// `baoluu demo`: Ctrl-C ends it cleanly (exit 0), the archive stays.
async fn demo(archive: Option<PathBuf>) -> anyhow::Result<u8> {
    let stop = watch_signals();
    let say = |line: &str| print_stdout(&format!("{line}\n"));
    baoluu::demo::run(archive, stop, &say)
        .await
        .context("the demo stopped")?;
    Ok(0)
}

async fn daemon(path: PathBuf, config: Config) -> anyhow::Result<u8> {
    let stop = watch_signals();
    let (reload_tx, reload) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("sighup_received: reloading the configuration");
            let _ = reload_tx.try_send(());
        }
    });
    let uploads = baoluu::storage::UploadTask::start(&config)
        .context("could not start uploading to the bucket")?;
    let grace = config.crawler.grace_period;
    let ran = baoluu::daemon::run(path, config, stop, reload, Notifier::from_env()).await;
    // A daemon that failed (another one holds the archive lock, a full disk) does not drain:
    // the uploads stay queued for the process that owns the archive.
    match ran.is_ok() {
        true => uploads.finish(Some(grace)).await,
        false => uploads.stop().await,
    }
    match ran {
        Ok(()) => Ok(0),
        Err(err) if err.is_disk_full() => Ok(disk_full(&err)),
        Err(err) => Err(err).context("the daemon stopped"),
    }
}

/// A full disk stops the work early but resumably: what is written stays valid (a torn last
/// record is trimmed on the next start) and the next run continues (issue 7).
fn disk_full(err: &baoluu::crawl::Error) -> u8 {
    eprintln!(
        "error: the disk under the archive is full ({err}); free some space and run again: the crawl resumes where it stopped"
    );
    exit::STOPPED
}

/// SIGINT/SIGTERM cancel the token (stop the head, drain the tail: docs/architecture.md rule 5); a second
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

/// `wacz --from-storage`: the bucket's objects staged next to `out`, packaged, unstaged.
fn wacz_from_storage(
    config: &Config,
    out: &std::path::Path,
    portal: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<u8> {
    let staging = out.with_extension("wacz.staging");
    let staged = runtime()?.block_on(baoluu::storage::package::stage(config, &staging));
    let packaged = staged
        .context("could not read the archive from the bucket")
        .and_then(|_| Ok(baoluu::wacz::run_cli(&staging, out, portal, since)?));
    let _ = std::fs::remove_dir_all(&staging);
    packaged
}

//! The command line's shape: the clap types (`Cli`, `Command`, `LogFormat`) and the exit codes
//! the commands return (docs/configuration.md). Part of the `baoluu` binary, not the library
//! (declared from src/main.rs only). It never runs a command, loads the configuration or prints:
//! it only says what can be asked for and which codes answer.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes (docs/configuration.md, sysexits.h where one fits).
pub(crate) mod exit {
    pub const FATAL: u8 = 1;
    /// Command-line usage error (as clap exits on its own).
    pub const USAGE: u8 = 2;
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
pub(crate) struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "BAOLUU_CONFIG",
        default_value = "crawl-config/baoluu.toml"
    )]
    pub(crate) config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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

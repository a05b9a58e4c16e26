//! Crawl: one run over one or more portals.
//!
//! Wires the stages of docs/architecture.md and owns concurrency, cancellation and termination: the
//! run is over when the frontier is empty and nothing is in flight. A single loop owns the
//! [`Frontier`] and hands candidates to fetch tasks (at most `max_in_flight`, one per host at a
//! time through the politeness gate); tasks visit, archive and discover, and the loop applies
//! their results in the commit order of docs/architecture.md rule 6 — WARC bytes durable (the task waited for
//! its capture) → an article's index line durable (the recorder appends it after the article's
//! metadata record) → discovered links queued → the URL marked done in the store. On cancellation
//! it stops taking from the frontier, lets in-flight fetches finish within `grace_period`,
//! closes the WARC files and reports the run as interrupted; the next `crawl` resumes it.
//! It never parses HTML or writes files itself.

mod disk;
mod explore;
mod feed;
mod links;
mod log;
mod page;
mod recover;
mod revise;
mod run;
mod session;
mod task;
mod visit;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use explore::{FLAG_LEARNED, FLAG_PATTERN_MISS, profile_key, shape};
pub use session::Session;
pub use visit::{Hop, Prior, ROBOTS_RETRY, Refusal, Visit, Visitor};

use crate::archive::{self, Info, Recorder};
use crate::config::{Config, Portal};
use crate::fetch::{self, Fetcher, Settings};
use crate::politeness::{Hosts, Policy};

/// Why a run could not go on (per-URL trouble never ends up here: docs/architecture.md rule 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Archive(#[from] archive::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error(transparent)]
    Report(#[from] crate::report::Error),
    #[error("could not set up the HTTP client: {0}")]
    Client(#[from] fetch::Error),
    /// A bug of ours, not of the input: a fetch task panicked, or the slot pool closed.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The disk guard stopped a run (the daemon stops rather than restart it at once).
    #[error("{0}")]
    DiskGuard(String),
}

impl Error {
    /// True when the cause is a full disk (ENOSPC from a WARC or index write, or SQLite's
    /// "database or disk is full"): the run stopped early but resumably (exit 75, issue 7),
    /// once space is freed.
    pub fn is_disk_full(&self) -> bool {
        if matches!(self, Error::DiskGuard(_)) {
            return true;
        }
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = cause {
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && (io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28))
            {
                return true;
            }
            if let Some(rusqlite::Error::SqliteFailure(e, _)) =
                err.downcast_ref::<rusqlite::Error>()
                && e.code == rusqlite::ErrorCode::DiskFull
            {
                return true;
            }
            cause = err.source();
        }
        false
    }
}

/// What a run did, printed at its end.
#[derive(Debug, Default)]
pub struct Summary {
    pub run: i64,
    pub resumed: bool,
    /// True when a signal stopped the run before the frontier was empty (exit 75).
    pub interrupted: bool,
    /// Why the run stopped early on its own (the disk guard), if it did.
    pub stopped_by: Option<String>,
    pub fetched: u64,
    pub archived: u64,
    /// Articles that got an index line.
    pub indexed: u64,
    pub bytes: u64,
    /// Final outcomes that were not an archived page, by reason.
    pub failed: std::collections::BTreeMap<String, u64>,
    /// 429/503 answers that made a host back off, by host.
    pub backoffs: std::collections::BTreeMap<String, u64>,
    /// URLs queued right now.
    pub queued: u64,
    /// Per portal: the signals of a redesign or a move (issue 9, portal health).
    pub portals: std::collections::BTreeMap<String, PortalStats>,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.interrupted {
            "interrupted (resumable)"
        } else {
            "finished"
        };
        let resumed = if self.resumed { ", resumed" } else { "" };
        if let Some(reason) = &self.stopped_by {
            writeln!(f, "stopped early: {reason}")?;
        }
        write!(
            f,
            "run {} {state}{resumed}: {} fetched, {} archived, {} articles indexed, {} bytes in {:.1}s",
            self.run,
            self.fetched,
            self.archived,
            self.indexed,
            self.bytes,
            self.elapsed.as_secs_f64()
        )?;
        for (reason, count) in &self.failed {
            write!(f, "\n  {reason}: {count}")?;
        }
        for (portal, stats) in &self.portals {
            let changes: Vec<String> = stats
                .changes()
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(change, n)| format!("{n} {change}"))
                .collect();
            if !changes.is_empty() {
                write!(f, "\n  {portal}: {} (baoluu changes)", changes.join(", "))?;
            }
        }
        Ok(())
    }
}

/// How a run walks its portals.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `crawl --backfill`: pagination chains go past the stale-page stop and past where the
    /// last backfill reached, `backfill_pages` further per run (issue 5, part 6).
    pub backfill: bool,
}

/// What one run saw of one portal that tells whether its profile still fits.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortalStats {
    /// Articles that got an index line.
    pub indexed: u64,
    /// Of those, articles whose body came from the generic extractor: the portal's selectors
    /// (its own or its family's) did not match.
    pub generic: u64,
    /// Hosts outside the portal that its pages redirected to, with counts.
    pub moved_to: std::collections::BTreeMap<String, u64>,
    /// Indexed articles that matched none of `article_urls` (issue 14: found through a
    /// sitemap, a feed or by their content), a few of their URLs, and their URL shapes
    /// (see [`shape`]), from which `status` suggests a pattern.
    #[serde(default)]
    pub pattern_miss: u64,
    #[serde(default)]
    pub miss_examples: Vec<String>,
    #[serde(default)]
    pub miss_shapes: std::collections::BTreeSet<String>,
    /// Seed and listing pages read, and the article links (pattern or probable) they held: a
    /// portal whose listings hold none renders them with JavaScript, or changed its URLs.
    #[serde(default)]
    pub listing_pages: u64,
    #[serde(default)]
    pub listing_article_links: u64,
    /// Article candidates read from sitemaps and from RSS/Atom feeds (with repeats).
    #[serde(default)]
    pub sitemap_entries: u64,
    #[serde(default)]
    pub feed_entries: u64,
    /// Coverage: distinct article candidates this run's sitemaps and feeds listed, and how many
    /// of them the archive holds.
    #[serde(default)]
    pub listed: u64,
    #[serde(default)]
    pub listed_archived: u64,
    /// Article changes found by revisits (issue 15).
    #[serde(default)]
    pub edited: u64,
    #[serde(default)]
    pub removed: u64,
    #[serde(default)]
    pub restored: u64,
    #[serde(default)]
    pub moved: u64,
}

impl PortalStats {
    /// Counts the change events of one fetch.
    pub fn count_changes(&mut self, changes: &[crate::history::Change]) {
        use crate::history::Change;
        for change in changes {
            match change {
                Change::Edited => self.edited += 1,
                Change::Removed | Change::Suspect => self.removed += 1,
                Change::Restored => self.restored += 1,
                Change::Moved => self.moved += 1,
            }
        }
    }

    /// The change counts by label, for reports and metrics.
    pub fn changes(&self) -> [(&'static str, u64); 4] {
        [
            ("edited", self.edited),
            ("removed", self.removed),
            ("restored", self.restored),
            ("moved", self.moved),
        ]
    }
}

/// Called with the running totals after every finished URL (a progress bar, metrics).
pub type Observer = Box<dyn Fn(&Summary) + Send + Sync>;

/// One run over `portals` (all configured portals when empty), in a session of its own.
pub async fn crawl(
    config: &Config,
    portals: &[String],
    options: Options,
    cancel: CancellationToken,
    observer: Option<Observer>,
) -> Result<Summary, Error> {
    let selected: Vec<Portal> = config
        .portals
        .iter()
        .filter(|p| portals.is_empty() || portals.contains(&p.name))
        .cloned()
        .collect();
    let session = Session::open(config)?;
    let summary = session.run(&selected, options, cancel, observer).await;
    session.close().await?;
    summary
}

/// Repairs what a crash left in `archive_dir` (torn `.open` WARC files) and indexes the files
/// it closed; returns the WARC directory.
pub fn recover(archive_dir: &Path) -> Result<std::path::PathBuf, archive::Error> {
    let warc_dir = archive_dir.join("warc");
    let recovered = archive::recover(&warc_dir)?;
    let files = recovered
        .into_iter()
        .filter(|r| r.records_kept > 0)
        .map(|r| r.path)
        .collect();
    crate::cdxj::index_closed(&warc_dir, &archive_dir.join("index"), files);
    Ok(warc_dir)
}

/// The WARC recorder for `warc_dir`, with warcinfo fields from the configuration.
pub fn start_recorder(config: &Config, warc_dir: &Path) -> Result<Recorder, archive::Error> {
    let info = Info {
        software: format!("baoluu/{}", env!("CARGO_PKG_VERSION")),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        user_agent: config.crawler.user_agent.clone(),
        from: config.crawler.from.clone(),
        is_part_of: String::new(),
    };
    let index_dir = config.crawler.archive_dir.join("index");
    let dir = warc_dir.to_path_buf();
    // Each closed file gets its CDXJ index right away, on the writer thread.
    let on_closed = Box::new(move |files| crate::cdxj::index_closed(&dir, &index_dir, files));
    Recorder::start(
        warc_dir.to_path_buf(),
        info,
        config.crawler.warc_max_size,
        on_closed,
    )
}

/// A [`Visitor`] with the configured client, politeness and redirect limit.
pub fn visitor(config: &Config, recorder: Arc<Recorder>) -> Result<Visitor, fetch::Error> {
    let crawler = &config.crawler;
    // The address guard's exemptions: exact private-by-configuration authorities (issue 13).
    let fetcher = Fetcher::new(Settings::from_config(config))?;
    let hosts = Arc::new(Hosts::new(policy(config, None)));
    for portal in &config.portals {
        let policy = policy(config, portal.min_delay);
        for host in &portal.hosts {
            hosts.configure(host, policy);
        }
    }
    Ok(Visitor::new(
        fetcher,
        hosts,
        recorder,
        crawler.max_redirects,
        &crawler.user_agent,
    )
    .with_ceiling(crawler.max_rate))
}

pub(crate) fn policy(config: &Config, min_delay: Option<Duration>) -> Policy {
    let crawler = &config.crawler;
    Policy {
        min_delay: min_delay.unwrap_or(crawler.min_delay),
        delay_factor: crawler.delay_factor,
        max_delay: crawler.max_delay,
        crawl_delay_cap: crawler.crawl_delay_cap,
    }
}

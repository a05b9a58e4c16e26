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
mod relink;
mod revise;
mod run;
mod session;
mod task;
mod visit;

use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

pub use crate::summary::{PortalStats, Summary};
pub use explore::{FLAG_LEARNED, FLAG_PATTERN_MISS, shape};
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
    #[error("could not set up the HTTP client")]
    Client(#[from] fetch::Error),
    /// The metrics and status page port could not be opened (issue 16 item 4: not an
    /// archive failure).
    #[error(
        "could not listen on metrics_listen {addr}; is another process using that port? pick another or leave it unset"
    )]
    MetricsListen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
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
                && (io.kind() == std::io::ErrorKind::StorageFull
                    || io.raw_os_error() == Some(libc::ENOSPC))
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

/// How a run walks its portals.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `crawl --backfill`: pagination chains go past the stale-page stop and past where the
    /// last backfill reached, `backfill_pages` further per run (issue 5, part 6).
    pub backfill: bool,
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
/// it closed by reading them (the CDXJ side files a crash left are not trusted, issue 17 item
/// 4, and are removed); returns the WARC directory.
pub fn recover(archive_dir: &Path) -> Result<std::path::PathBuf, archive::Error> {
    let warc_dir = archive_dir.join("warc");
    let recovered = archive::recover(&warc_dir)?;
    let files = recovered
        .into_iter()
        .filter(|r| r.records_kept > 0)
        .map(|r| r.path)
        .collect();
    let index_dir = crate::index::dir(archive_dir);
    crate::cdxj::index_closed(&warc_dir, &index_dir, files);
    crate::cdxj::discard_side_files(&warc_dir, &index_dir);
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
    let index_dir = crate::index::dir(&config.crawler.archive_dir);
    // CDXJ lines are built on the writer thread as records become durable, and each closed
    // file's index is sorted from them right away (no re-reading of the WARC, issue 17).
    let indexer = Box::new(crate::cdxj::Live::new(warc_dir, &index_dir));
    Recorder::start(
        warc_dir.to_path_buf(),
        info,
        config.crawler.warc_max_size,
        indexer,
        segment_policy(config),
    )
}

/// With `[storage]`: index and changes files are closed into segments to be shipped (issue
/// 18 item 4); without, they stay one file per portal.
pub fn segment_policy(config: &Config) -> Option<archive::segments::Policy> {
    (config.storage.as_ref()).map(|s| archive::segments::Policy {
        max_size: s.segment_size,
    })
}

/// A [`Visitor`] with the configured client, politeness and redirect limit.
pub fn visitor(config: &Config, recorder: Arc<Recorder>) -> Result<Visitor, fetch::Error> {
    let crawler = &config.crawler;
    // The address guard's exemptions: exact private-by-configuration authorities (issue 13).
    let fetcher = Fetcher::new(Settings::from_config(config))?;
    let hosts = Arc::new(Hosts::new(Policy::from_config(config, None)));
    for portal in &config.portals {
        let policy = Policy::from_config(config, portal.min_delay);
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

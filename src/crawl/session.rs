//! A crawl session: what one process holds for as long as it writes to an archive.
//!
//! Opening a session locks `archive_dir`, repairs what a crash left (torn `.open` WARC files,
//! an index line the store never heard of: docs/architecture.md rule 6), opens the store, and starts the WARC
//! recorder and the polite fetcher. Runs — one `crawl`, or each portal's scheduled run under the
//! daemon — borrow it, so several runs share one lock, one writer thread, one set of per-host
//! gates and one cap on fetches in flight. Closing it closes the WARC files.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::run::Run;
use super::{Error, Observer, Options, Summary, Visitor};
use crate::archive::{Lock, Recorder};
use crate::config::{Config, Portal};
use crate::index;
use crate::outcome::Label;
use crate::report::CrawlLog;
use crate::store::{Outcome, Store, WarcPointer};

/// The shared parts of every run in this process.
pub struct Session {
    /// Held until the session is dropped: one writer per archive.
    _lock: Lock,
    pub(super) store: Arc<Store>,
    pub(super) recorder: Arc<Recorder>,
    pub(super) visitor: Arc<Visitor>,
    /// `archive_dir/index`: the JSON index, appended by the WARC recorder with each article's
    /// metadata record.
    pub(super) index_dir: std::path::PathBuf,
    /// `max_in_flight` across all runs of the session.
    pub(super) slots: Arc<Semaphore>,
    /// `logs/crawl.log`: one line per fetch (issue 5).
    pub(super) crawl_log: Arc<CrawlLog>,
    pub(super) config: Config,
    /// Edit events a kill left unwritten, written when the first run starts (the recorder
    /// is running then; `recover`).
    lost: std::sync::Mutex<Vec<super::recover::Lost>>,
    /// `archive_dir/changes`, for those events.
    changes_dir: std::path::PathBuf,
    /// Pages a kill left indexed but with their links unqueued, for their portal's next run
    /// (`relink`).
    relink: std::sync::Mutex<Vec<index::Line>>,
    /// `archive_dir/warc`, where `relink` reads their response records.
    pub(super) warc_dir: std::path::PathBuf,
}

impl Session {
    /// Locks and repairs the archive, and gets everything ready for runs.
    pub fn open(config: &Config) -> Result<Session, Error> {
        let dir = &config.crawler.archive_dir;
        let lock = Lock::acquire(dir)?;
        let warc_dir = super::recover(dir)?;
        let store = Arc::new(Store::open(&dir.join("state.sqlite"))?);
        let index_dir = crate::index::dir(dir);
        let changes_dir = crate::history::changes_dir(dir);
        // The folders the recorder appends index lines and change events in.
        for folder in [&index_dir, &changes_dir] {
            std::fs::create_dir_all(folder).map_err(|source| index::Error::Io {
                doing: "create the folder of",
                path: folder.clone(),
                source,
            })?;
        }
        let (lines, relink) = settle_indexed(&store, &index_dir, &warc_dir)?;
        let lost = super::recover::settle_changes(&store, (&changes_dir, &warc_dir), &lines)?;
        close_due_segments(config, [&index_dir, &changes_dir])?;
        let recorder = Arc::new(super::start_recorder(config, &warc_dir)?);
        let visitor = Arc::new(super::visitor(config, recorder.clone())?.with_store(store.clone()));
        let slots = Arc::new(Semaphore::new(config.crawler.max_in_flight.max(1)));
        let crawl_log = Arc::new(CrawlLog::open(dir)?);
        Ok(Session {
            crawl_log,
            _lock: lock,
            store,
            recorder,
            visitor,
            index_dir,
            slots,
            config: config.clone(),
            lost: std::sync::Mutex::new(lost),
            relink: std::sync::Mutex::new(relink),
            warc_dir,
            changes_dir,
        })
    }

    /// One run over `portals` until their frontier is empty, or until `cancel`.
    pub async fn run(
        &self,
        portals: &[Portal],
        options: Options,
        cancel: CancellationToken,
        observer: Option<Observer>,
    ) -> Result<Summary, Error> {
        self.write_lost().await?;
        Run::prepare(self, portals, options, observer)?
            .execute(cancel)
            .await
    }

    /// The pages of `portals` whose links a kill left unqueued (`relink`), handed out once.
    pub(super) fn take_relink(&self, portals: &[String]) -> Vec<index::Line> {
        let mut all = match self.relink.lock() {
            Ok(all) => all,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (mine, rest) = std::mem::take(&mut *all)
            .into_iter()
            .partition(|l| portals.contains(&l.portal));
        *all = rest;
        mine
    }

    /// Writes the edit events a kill left unwritten (`recover::write_lost`), once.
    async fn write_lost(&self) -> Result<(), Error> {
        let lost = match self.lost.lock() {
            Ok(mut lost) => std::mem::take(&mut *lost),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        if lost.is_empty() {
            return Ok(());
        }
        super::recover::write_lost(&self.recorder, &self.changes_dir, &self.store, lost).await
    }

    /// Applies a reloaded configuration's portals (issue 13 item 7): every portal's politeness
    /// settings for its hosts, and an address guard rebuilt from the new hosts (a host added by
    /// the reload may be fetched, a removed one no longer exempt). `[crawler]` settings and
    /// `archive_dir` stay those the session was opened with.
    pub fn reconfigure(&self, config: &Config) -> Result<(), Error> {
        for portal in &config.portals {
            self.configure(portal);
        }
        let settings = crate::fetch::Settings {
            private_hosts: config.private_authorities(),
            ..crate::fetch::Settings::from_config(&self.config)
        };
        self.visitor
            .set_fetcher(crate::fetch::Fetcher::new(settings)?);
        Ok(())
    }

    /// Applies a (reloaded) portal's politeness settings to its hosts.
    fn configure(&self, portal: &Portal) {
        let policy = crate::politeness::Policy::from_config(&self.config, portal.min_delay);
        for host in &portal.hosts {
            self.visitor.hosts().configure(host, policy);
        }
    }

    /// The crawl state, for schedules and reports.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The heartbeats of the WARC writer thread and its sync thread, for the systemd
    /// watchdog (issue 13).
    pub fn writer_heartbeats(&self) -> [Arc<crate::notify::Heartbeat>; 2] {
        self.recorder.heartbeats()
    }

    /// Closes the WARC files (fsync, `.open` → final name, CDXJ) and releases the lock.
    pub async fn close(self) -> Result<(), Error> {
        let Session {
            visitor, recorder, ..
        } = self;
        drop(visitor);
        if let Ok(recorder) = Arc::try_unwrap(recorder) {
            let closed = recorder.close().await?;
            tracing::info!(files = closed.len(), "warc_files_closed");
        }
        Ok(())
    }
}

/// With `[storage]`: closes the index and changes files due for a segment (issue 18 item 4),
/// after their tails were repaired and settled and before the writer thread opens them, so a
/// portal that wrote nothing today still ships yesterday's lines.
fn close_due_segments(config: &Config, dirs: [&std::path::PathBuf; 2]) -> Result<(), Error> {
    let Some(policy) = super::segment_policy(config) else {
        return Ok(());
    };
    for dir in dirs {
        let closed = crate::archive::segments::close_due(dir, policy, chrono::Utc::now());
        let closed = closed.map_err(|source| index::Error::Io {
            doing: "close a segment of",
            path: dir.clone(),
            source,
        })?;
        for segment in closed {
            tracing::info!(segment = %segment.display(), "segment_closed");
        }
    }
    Ok(())
}

/// docs/architecture.md rule 6: a kill between an index line and the store's "done" leaves that URL unmarked;
/// the line is the proof its capture is durable, so it is marked done instead of refetched.
fn settle_indexed(
    store: &Store,
    index_dir: &std::path::Path,
    warc_dir: &std::path::Path,
) -> Result<(Vec<index::Line>, Vec<index::Line>), Error> {
    // WARC files keep_local removed after a verified upload: lines into them are whole.
    let shipped = (store.uploaded()?.into_iter())
        .filter(|u| u.deleted)
        .filter_map(|u| u.path.strip_prefix("warc/").map(str::to_string))
        .collect();
    let lines = index::reconcile(index_dir, warc_dir, &shipped)?;
    let mut relink = Vec::new();
    for line in &lines {
        let pointer = WarcPointer {
            file: line.filename.clone(),
            offset: line.offset,
            length: line.length,
        };
        let outcome = Outcome {
            status: Some(line.status),
            warc: Some(pointer),
            payload_digest: Some(line.digest.clone()),
            ..Outcome::labelled(Label::Archived)
        };
        if store.settle(&line.url, &outcome)?
            || store.settle_unqueued(&super::relink::candidate_of(line), &outcome)?
        {
            tracing::info!(url = %line.url, "index_reconciled");
            super::recover::restore_row(store, warc_dir, line);
            relink.push(line.clone());
        }
    }
    Ok((lines, relink))
}

//! The async face of the archive: one thread owns every [`Writer`] of a process.
//!
//! Writing is synchronous (std::fs, fsync), so it runs on its own thread; fetch tasks hand it
//! exchanges through a **bounded** channel (a slow disk slows the crawl instead of growing
//! memory: docs/architecture.md) and wait for the [`Capture`] that says the bytes are
//! durable. Before a job is sent, the task compresses the bulk of its record on the blocking
//! pool (`super::ahead`: the writer thread only compresses heads). One `Writer` per prefix (a
//! portal name, or "save"), created on first use. The writer thread's loop, group commit with
//! the fsyncs on a sync thread behind it, is `super::commit`: no answer goes out before its
//! bytes are durable (docs/architecture.md rule 6), and if a writer's fsync fails every job that wrote to it
//! since gets the error. After each fsync, the [`Facts`] of every record that is now durable,
//! and then every file a writer closed (rotation or shutdown), are handed, on the writer
//! thread, to the [`Indexer`] the caller gave (the crawl builds its CDXJ index there from what
//! the writer already knows, issue 17 item 4; the archive never depends on its readers, issue
//! 16). Records whose fsync failed are cut back off the file, and their facts go nowhere.
//! A `metadata` job may carry a companion line (the crawl's JSON index line): it is appended
//! only after its record is durable, and fsynced before the answer.
//!
//! Deferred captures (issue 17): the crawl writes a page's response and request records
//! *unsynced* and gets its [`Capture`] back at once, reads the page meanwhile, and then writes
//! the article's `metadata` record `after` it — one fsync makes both durable, then the index
//! line follows — or [`Recorder::settle`]s it. Either answers only after an fsync of the
//! writer that no loss preceded ([`Writer::losses`]: a failed fsync cuts off every unsynced
//! record), so the order WARC bytes durable → index line → state done holds as before; only
//! the task learns its record's offset earlier.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::ahead;
use super::commit::{self, Pulse, Setup};
use super::segments::Policy;
use super::sink::{self, Wrap};
use super::{Capture, Error, Facts, Info, Original, Placed, RevisitProfile};
use crate::fetch::Exchange;
use crate::notify::Heartbeat;

/// How many jobs may wait for the writer thread. Small: each holds a body of up to `max_body`.
const QUEUE_DEPTH: usize = 8;

/// Derived data kept up to date on the writer thread (the crawl's CDXJ index).
pub trait Indexer: Send {
    /// `records` are durable in the WARC file `file` (its final name, still open or just
    /// closed), in writing order; called before that file's [`Indexer::closed`].
    fn committed(&mut self, file: &str, records: Vec<Facts>);
    /// The WARC files just closed (final paths).
    fn closed(&mut self, files: Vec<PathBuf>);
}

/// One write, for the writer of `prefix`.
pub(super) struct Job {
    pub(super) prefix: String,
    pub(super) work: Work,
}

pub(super) enum Work {
    Exchange {
        exchange: Arc<Exchange>,
        made: Box<ahead::Response>,
        reply: oneshot::Sender<Result<Capture, Error>>,
    },
    /// An exchange answered as soon as it is written, before its fsync.
    Deferred {
        exchange: Arc<Exchange>,
        made: Box<ahead::Response>,
        /// The capture, and the writer's losses before it was written.
        reply: oneshot::Sender<Result<(Capture, u64), Error>>,
    },
    /// Makes a deferred capture durable: answered after the batch's fsync of its writer.
    Settle {
        losses: u64,
        reply: oneshot::Sender<Result<(), Error>>,
    },
    Revisit {
        exchange: Arc<Exchange>,
        profile: RevisitProfile,
        original: Box<Original>,
        reply: oneshot::Sender<Result<Capture, Error>>,
    },
    Metadata {
        refers_to: Box<Capture>,
        content_type: String,
        block: Vec<u8>,
        made: Box<ahead::Block>,
        /// A file to append the block to as one line once the record is durable (the JSON
        /// index: the line is durable when the reply comes).
        line_file: Option<PathBuf>,
        /// A deferred capture this record must follow: refused if it was lost.
        after: Option<u64>,
        reply: oneshot::Sender<Result<Placed, Error>>,
    },
}

/// A capture written but not yet durable ([`Recorder::record_deferred`]): settle it, or write
/// a metadata record after it, before telling anyone it exists.
#[derive(Debug, Clone)]
pub struct Unsynced {
    prefix: String,
    /// The writer's [`Writer::losses`] when the capture was written.
    losses: u64,
}

/// Hands exchanges to the writer thread and waits until they are durable.
pub struct Recorder {
    jobs: mpsc::Sender<Job>,
    /// Compresses records' blocks in the callers' tasks, on the blocking pool (issue 17).
    levels: Arc<ahead::Levels>,
    /// The WARC folder, named when compressing fails.
    dir: PathBuf,
    thread: JoinHandle<Result<Vec<PathBuf>, Error>>,
    /// Busy while the thread writes a batch, idle while it waits (the watchdog, issue 13).
    heartbeat: Arc<Heartbeat>,
    /// Busy while the sync thread fsyncs a flight.
    sync_heartbeat: Arc<Heartbeat>,
}

impl Recorder {
    /// Starts the writer thread for WARC files in `dir`; `info.is_part_of` is replaced by each
    /// writer's prefix. Durable records and closed files are handed to `indexer`; companion-line
    /// files are closed into segments by `segments` between batches (issue 18 item 4).
    pub fn start(
        dir: PathBuf,
        info: Info,
        max_size: u64,
        indexer: Box<dyn Indexer>,
        segments: Option<Policy>,
    ) -> Result<Recorder, Error> {
        Recorder::start_wrapped(dir, info, max_size, indexer, (segments, sink::plain()))
    }

    /// [`Recorder::start`] with every WARC file opened wrapped by `wrap` (fault injection).
    pub(super) fn start_wrapped(
        dir: PathBuf,
        info: Info,
        max_size: u64,
        indexer: Box<dyn Indexer>,
        (segments, wrap): (Option<Policy>, Wrap),
    ) -> Result<Recorder, Error> {
        let (jobs, rx) = mpsc::channel(QUEUE_DEPTH);
        let path = dir.clone();
        let failed_start = Error::io("start the writer thread for", &path);
        let heartbeat = Arc::new(Heartbeat::new("warc-writer"));
        let sync_heartbeat = Arc::new(Heartbeat::new("warc-sync"));
        let pulse = Pulse {
            heartbeat: heartbeat.clone(),
            sync_heartbeat: sync_heartbeat.clone(),
            stall: std::env::var_os("BAOLUU_TEST_STALL_WRITER").map(PathBuf::from),
        };
        let setup = Setup {
            dir,
            info,
            max_size,
            segments,
            wrap,
        };
        let thread = std::thread::Builder::new()
            .name("warc-writer".into())
            .spawn(move || commit::serve(rx, setup, &pulse, indexer))
            .map_err(failed_start)?;
        Ok(Recorder {
            jobs,
            levels: Arc::new(ahead::Levels::new()),
            dir: path,
            thread,
            heartbeat,
            sync_heartbeat,
        })
    }

    /// The heartbeats of the writer thread and of its sync thread, for the systemd watchdog
    /// (`crate::notify`): a disk that hangs either one stops the crawl from landing anything.
    pub fn heartbeats(&self) -> [Arc<Heartbeat>; 2] {
        [self.heartbeat.clone(), self.sync_heartbeat.clone()]
    }

    /// Writes the exchange as response + request records; returns once they are fsynced.
    pub async fn record(&self, prefix: &str, exchange: Arc<Exchange>) -> Result<Capture, Error> {
        let made = self.response(&exchange).await?;
        let (reply, answer) = oneshot::channel();
        let work = Work::Exchange {
            exchange,
            made,
            reply,
        };
        self.send(prefix, work).await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes the exchange as response + request records and returns as soon as they are
    /// written, before their fsync: the capture is not durable until [`Recorder::settle`] or a
    /// [`Recorder::metadata_after`] it returns (issue 17: one fsync per article, not two).
    pub async fn record_deferred(
        &self,
        prefix: &str,
        exchange: Arc<Exchange>,
    ) -> Result<(Capture, Unsynced), Error> {
        let made = self.response(&exchange).await?;
        let (reply, answer) = oneshot::channel();
        let work = Work::Deferred {
            exchange,
            made,
            reply,
        };
        self.send(prefix, work).await?;
        let (capture, losses) = answer.await.map_err(|_| stopped())??;
        let prefix = prefix.to_string();
        Ok((capture, Unsynced { prefix, losses }))
    }

    /// Returns once the deferred capture is durable, or with the error that lost it.
    pub async fn settle(&self, unsynced: Unsynced) -> Result<(), Error> {
        let (reply, answer) = oneshot::channel();
        let losses = unsynced.losses;
        self.send(&unsynced.prefix, Work::Settle { losses, reply })
            .await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes the exchange as a `revisit` record of `original` (+ its request record).
    pub async fn revisit(
        &self,
        prefix: &str,
        exchange: Arc<Exchange>,
        profile: RevisitProfile,
        original: Original,
    ) -> Result<Capture, Error> {
        let (reply, answer) = oneshot::channel();
        let original = Box::new(original);
        self.send(
            prefix,
            Work::Revisit {
                exchange,
                profile,
                original,
                reply,
            },
        )
        .await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Writes a `metadata` record that refers to `refers_to`; returns where it landed. With
    /// `line_file`, the block is also appended to that file as one line, written only after
    /// the record is durable and durable itself before this returns (the crawl's JSON index:
    /// one fsync of the index per batch instead of one per article, issue 8).
    pub async fn metadata(
        &self,
        prefix: &str,
        refers_to: &Capture,
        content_type: &str,
        block: Vec<u8>,
        line_file: Option<PathBuf>,
    ) -> Result<Placed, Error> {
        let about = (refers_to, content_type);
        self.send_metadata(prefix, about, block, line_file, None)
            .await
    }

    /// [`Recorder::metadata`] for the deferred capture `unsynced` (its prefix): written only if
    /// that capture was not lost, and durable with it in one fsync.
    pub async fn metadata_after(
        &self,
        unsynced: Unsynced,
        refers_to: &Capture,
        content_type: &str,
        block: Vec<u8>,
        line_file: Option<PathBuf>,
    ) -> Result<Placed, Error> {
        let (prefix, after) = (unsynced.prefix, Some(unsynced.losses));
        let about = (refers_to, content_type);
        self.send_metadata(&prefix, about, block, line_file, after)
            .await
    }

    async fn send_metadata(
        &self,
        prefix: &str,
        (refers_to, content_type): (&Capture, &str),
        block: Vec<u8>,
        line_file: Option<PathBuf>,
        after: Option<u64>,
    ) -> Result<Placed, Error> {
        let levels = self.levels.clone();
        let (made, block) = self.ahead(move || (levels.metadata(&block), block)).await?;
        let (reply, answer) = oneshot::channel();
        let work = Work::Metadata {
            refers_to: Box::new(refers_to.clone()),
            content_type: content_type.to_string(),
            block,
            made: Box::new(made.map_err(self.compress_failed())?),
            line_file,
            after,
            reply,
        };
        self.send(prefix, work).await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Closes every open file (fsync, `.open` → final name) and returns their paths.
    pub async fn close(self) -> Result<Vec<PathBuf>, Error> {
        drop(self.jobs);
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|_| stopped())?
            .map_err(|_| stopped())?
    }

    /// The response block of `exchange` made ahead, on the blocking pool.
    async fn response(&self, exchange: &Arc<Exchange>) -> Result<Box<ahead::Response>, Error> {
        let (levels, exchange) = (self.levels.clone(), exchange.clone());
        let made = self.ahead(move || levels.response(&exchange)).await?;
        Ok(Box::new(made.map_err(self.compress_failed())?))
    }

    /// Runs `make` on the blocking pool: compressing a page would hold up the other tasks of
    /// a runtime worker (issue 17: both cores compress now, not the writer thread alone).
    async fn ahead<T: Send + 'static>(
        &self,
        make: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        tokio::task::spawn_blocking(make)
            .await
            .map_err(|_| stopped())
    }

    fn compress_failed(&self) -> impl FnOnce(std::io::Error) -> Error {
        Error::io("compress a record for", &self.dir)
    }

    async fn send(&self, prefix: &str, work: Work) -> Result<(), Error> {
        let job = Job {
            prefix: prefix.to_string(),
            work,
        };
        self.jobs.send(job).await.map_err(|_| stopped())
    }
}

fn stopped() -> Error {
    Error::WriterStopped
}

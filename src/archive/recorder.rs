//! The async face of the archive: one thread owns every [`Writer`] of a process.
//!
//! Writing is synchronous (std::fs, fsync), so it runs on its own thread; fetch tasks hand it
//! exchanges through a **bounded** channel (a slow disk slows the crawl instead of growing
//! memory: docs/architecture.md) and wait for the [`Capture`] that says the bytes are
//! durable. One `Writer` per prefix (a portal name, or "save"), created on first use. After
//! each batch's fsync, the [`Facts`] of every record that is now durable, and then every file a
//! writer closed (rotation or shutdown), are handed right away, on this thread, to the
//! [`Indexer`] the caller gave (the crawl builds its CDXJ index there from what the writer
//! already knows, issue 17 item 4; the archive never depends on its readers, issue 16). A
//! batch whose fsync failed is cut back off the file, and its facts go nowhere.
//!
//! Group commit: the thread takes every job already waiting (up to [`MAX_BATCH`]), writes them
//! all, fsyncs each writer it touched once, and only then answers. A lone job costs one fsync
//! as before; with many hosts in flight one fsync covers several captures (fsync was a third of
//! the wall time per page, issue 8). No answer goes out before its bytes are durable (house
//! rule 6); if a writer's fsync fails, every job of the batch on that writer gets the error.
//! A `metadata` job may carry a companion line (the crawl's JSON index line): it is appended
//! only after its record is durable, and fsynced once per batch per file before the answer.
//!
//! Deferred captures (issue 17): the crawl writes a page's response and request records
//! *unsynced* and gets its [`Capture`] back at once, reads the page meanwhile, and then writes
//! the article's `metadata` record `after` it — one fsync makes both durable, then the index
//! line follows — or [`Recorder::settle`]s it. Either answers only after an fsync of the
//! writer that no loss preceded ([`Writer::losses`]: a failed fsync cuts off every unsynced
//! record), so the order WARC bytes durable → index line → state done holds as before; only
//! the task learns its record's offset earlier.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::lines::Lines;
use super::segments::Policy;
use super::{Capture, Error, Facts, Info, Original, RevisitProfile, Writer};
use crate::fetch::Exchange;
use crate::notify::{Busy, Heartbeat};

/// How many jobs may wait for the writer thread. Small: each holds a body of up to `max_body`.
const QUEUE_DEPTH: usize = 8;
/// Most jobs written under one fsync.
const MAX_BATCH: usize = 32;

/// Derived data kept up to date on the writer thread (the crawl's CDXJ index).
pub trait Indexer: Send {
    /// `records` are durable in the WARC file `file` (its final name, still open or just
    /// closed), in writing order; called before that file's [`Indexer::closed`].
    fn committed(&mut self, file: &str, records: Vec<Facts>);
    /// The WARC files just closed (final paths).
    fn closed(&mut self, files: Vec<PathBuf>);
}

/// One write, for the writer of `prefix`.
struct Job {
    prefix: String,
    work: Work,
}

enum Work {
    Exchange {
        exchange: Arc<Exchange>,
        reply: oneshot::Sender<Result<Capture, Error>>,
    },
    /// An exchange answered as soon as it is written, before its fsync.
    Deferred {
        exchange: Arc<Exchange>,
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
        /// A file to append the block to as one line once the record is durable (the JSON
        /// index: the line is durable when the reply comes).
        line_file: Option<PathBuf>,
        /// A deferred capture this record must follow: refused if it was lost.
        after: Option<u64>,
        reply: oneshot::Sender<Result<(u64, u64), Error>>,
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
    thread: JoinHandle<Result<Vec<PathBuf>, Error>>,
    /// Busy while the thread writes a batch, idle while it waits (the watchdog, issue 13).
    heartbeat: Arc<Heartbeat>,
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
        let (jobs, rx) = mpsc::channel(QUEUE_DEPTH);
        let path = dir.clone();
        let heartbeat = Arc::new(Heartbeat::new("warc-writer"));
        let pulse = Pulse {
            heartbeat: heartbeat.clone(),
            stall: std::env::var_os("BAOLUU_TEST_STALL_WRITER").map(PathBuf::from),
        };
        let thread = std::thread::Builder::new()
            .name("warc-writer".into())
            .spawn(move || serve(rx, &dir, &info, (max_size, segments), &pulse, indexer))
            .map_err(Error::io("start the writer thread for", &path))?;
        Ok(Recorder {
            jobs,
            thread,
            heartbeat,
        })
    }

    /// The writer thread's heartbeat, for the systemd watchdog (`crate::notify`).
    pub fn heartbeat(&self) -> Arc<Heartbeat> {
        self.heartbeat.clone()
    }

    /// Writes the exchange as response + request records; returns once they are fsynced.
    pub async fn record(&self, prefix: &str, exchange: Arc<Exchange>) -> Result<Capture, Error> {
        let (reply, answer) = oneshot::channel();
        self.send(prefix, Work::Exchange { exchange, reply })
            .await?;
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
        let (reply, answer) = oneshot::channel();
        self.send(prefix, Work::Deferred { exchange, reply })
            .await?;
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

    /// Writes a `metadata` record that refers to `refers_to`; returns (offset, length). With
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
    ) -> Result<(u64, u64), Error> {
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
    ) -> Result<(u64, u64), Error> {
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
    ) -> Result<(u64, u64), Error> {
        let (reply, answer) = oneshot::channel();
        let work = Work::Metadata {
            refers_to: Box::new(refers_to.clone()),
            content_type: content_type.to_string(),
            block,
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

/// The writer thread's heartbeat, and the test hook that stalls it (`crate::notify`).
struct Pulse {
    heartbeat: Arc<Heartbeat>,
    /// `BAOLUU_TEST_STALL_WRITER`: while this file exists, each batch waits before it writes,
    /// as a thread blocked on a hung disk would (issue 13: the watchdog tests).
    stall: Option<PathBuf>,
}

impl Pulse {
    /// Marks the thread busy (idle again when the guard drops), then honours the test hook.
    fn busy(&self) -> Busy<'_> {
        let busy = self.heartbeat.busy();
        while self.stall.as_deref().is_some_and(Path::exists) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        busy
    }
}

fn serve(
    mut jobs: mpsc::Receiver<Job>,
    dir: &Path,
    info: &Info,
    (max_size, segments): (u64, Option<Policy>),
    pulse: &Pulse,
    mut indexer: Box<dyn Indexer>,
) -> Result<Vec<PathBuf>, Error> {
    let mut writers: HashMap<String, Writer> = HashMap::new();
    let mut lines = Lines::new(segments);
    while let Some(first) = jobs.blocking_recv() {
        let _busy = pulse.busy();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut written = Vec::with_capacity(batch.len());
        for Job { prefix, work } in batch {
            let writer = writers.entry(prefix.clone()).or_insert_with(|| {
                let info = Info {
                    is_part_of: prefix.clone(),
                    ..info.clone()
                };
                Writer::new(dir.to_path_buf(), prefix.clone(), info, max_size)
            });
            // A deferred capture is answered now; only the other jobs wait for the fsync.
            if let Some(done) = perform(writer, work) {
                written.push((prefix, done));
            }
        }
        let failed = sync_touched(&mut writers, &written);
        let line_failed = lines.append_durable(&written, &failed);
        for (i, (prefix, done)) in written.into_iter().enumerate() {
            let failure = failed.get(&prefix).or(line_failed.get(&i));
            done.answer(failure);
        }
        for writer in writers.values_mut() {
            hand_over(writer, indexer.as_mut());
        }
    }
    let _busy = pulse.busy();
    let mut closed = Vec::new();
    for writer in writers.values_mut() {
        writer.close()?;
        closed.extend(hand_over(writer, indexer.as_mut()));
    }
    Ok(closed)
}

/// Tells `indexer` what `writer` made durable, then what it closed (in that order, so a closed
/// file's records are all in before its closing); returns the closed files.
pub(super) fn hand_over(writer: &mut Writer, indexer: &mut dyn Indexer) -> Vec<PathBuf> {
    for (file, records) in writer.take_indexed() {
        indexer.committed(&file, records);
    }
    let closed = writer.take_closed();
    if !closed.is_empty() {
        indexer.closed(closed.clone());
    }
    closed
}

/// A write done but not yet answered: the answer waits for the batch's fsync.
pub(super) enum Done {
    Capture(
        oneshot::Sender<Result<Capture, Error>>,
        Result<Capture, Error>,
    ),
    Member(
        oneshot::Sender<Result<(u64, u64), Error>>,
        Result<(u64, u64), Error>,
        /// The companion line: (file, line without its newline).
        Option<(PathBuf, Vec<u8>)>,
    ),
    Settled(oneshot::Sender<Result<(), Error>>, Result<(), Error>),
}

impl Done {
    /// Answers the waiting task (a task that went away no longer cares): the write's result,
    /// or the fsync failure of its writer.
    fn answer(self, sync_failed: Option<&SyncFailure>) {
        let failure = |f: &SyncFailure| Error::Io {
            doing: f.doing,
            path: f.path.clone(),
            // The OS error code survives (ENOSPC must still read as a full disk, issue 7).
            source: match f.code {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::other(f.message.clone()),
            },
        };
        match self {
            Done::Capture(reply, result) => {
                let _ = reply.send(sync_failed.map_or(result, |m| Err(failure(m))));
            }
            Done::Member(reply, result, _) => {
                let _ = reply.send(sync_failed.map_or(result, |m| Err(failure(m))));
            }
            Done::Settled(reply, result) => {
                let _ = reply.send(sync_failed.map_or(result, |m| Err(failure(m))));
            }
        }
    }
}

/// Does one write (not yet fsynced). None: a deferred capture, answered already.
fn perform(writer: &mut Writer, work: Work) -> Option<Done> {
    let done = match work {
        Work::Exchange { exchange, reply } => {
            Done::Capture(reply, writer.write_exchange(&exchange))
        }
        Work::Deferred { exchange, reply } => {
            let losses = writer.losses();
            let _ = reply.send(writer.write_exchange(&exchange).map(|c| (c, losses)));
            return None;
        }
        Work::Settle { losses, reply } => {
            Done::Settled(reply, writer.lost_since(losses).map_or(Ok(()), Err))
        }
        Work::Revisit {
            exchange,
            profile,
            original,
            reply,
        } => Done::Capture(reply, writer.write_revisit(&exchange, profile, &original)),
        Work::Metadata {
            refers_to,
            content_type,
            block,
            line_file,
            after,
            reply,
        } => {
            if let Some(lost) = after.and_then(|n| writer.lost_since(n)) {
                return Some(Done::Member(reply, Err(lost), None));
            }
            let written = writer.write_metadata(&refers_to, &content_type, &block);
            Done::Member(reply, written, line_file.map(|file| (file, block)))
        }
    };
    Some(done)
}

/// An fsync that failed, told to every task of the batch that wrote to that writer.
pub(super) struct SyncFailure {
    doing: &'static str,
    path: PathBuf,
    code: Option<i32>,
    message: String,
}

impl SyncFailure {
    pub(super) fn of(doing: &'static str, path: &Path, err: &std::io::Error) -> SyncFailure {
        SyncFailure {
            doing,
            path: path.to_path_buf(),
            code: err.raw_os_error(),
            message: err.to_string(),
        }
    }
}

/// Fsyncs each writer the batch wrote to, once, all at once (`parallel`: one journal commit
/// instead of one per portal, issue 17); returns the failures by prefix.
fn sync_touched(
    writers: &mut HashMap<String, Writer>,
    written: &[(String, Done)],
) -> HashMap<String, SyncFailure> {
    let touched: Vec<(&String, &mut Writer)> = writers
        .iter_mut()
        .filter(|(prefix, _)| written.iter().any(|(p, _)| p == *prefix))
        .collect();
    let results = super::parallel::each(touched, |(prefix, writer)| (prefix, writer.sync()));
    let mut failed = HashMap::new();
    for (prefix, result) in results {
        let Err(err) = result else {
            continue;
        };
        tracing::error!(prefix = %prefix, error = %err, "warc_sync_failed");
        failed.insert(prefix.clone(), sync_failure(prefix, err));
    }
    failed
}

fn sync_failure(prefix: &str, err: Error) -> SyncFailure {
    match err {
        Error::Io {
            doing,
            path,
            source,
        } => SyncFailure {
            doing,
            path,
            code: source.raw_os_error(),
            message: source.to_string(),
        },
        other => SyncFailure {
            doing: "sync the WARC files starting",
            path: PathBuf::from(prefix),
            code: None,
            message: other.to_string(),
        },
    }
}

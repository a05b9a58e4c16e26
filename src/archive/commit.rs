//! The writer thread's loop: group commit, with the fsyncs behind the writing (issue 17).
//!
//! Part of the archive stage, behind [`super::Recorder`]. The writer thread takes the jobs
//! waiting (up to [`MAX_BATCH`]) and writes them; a deferred capture is answered as soon as it
//! is written, every other job waits for an fsync of its writer. The fsyncs are not done here:
//! the jobs written since the last one go together, as one *flight*, to the sync thread, which
//! fsyncs every WARC file they touched at once ([`super::parallel`]), then appends and fsyncs
//! their companion lines, then answers them. Meanwhile this thread writes the next jobs, so a
//! host's next page no longer waits for the disk's last fsync (it was most of the time a
//! deferred capture waited, and the crawl's pages/s followed it). One flight at a time: the
//! jobs written while one is out fly together when it lands, so a flight grows with the work
//! in flight. When a flight lands here, each writer settles it ([`Writer::end_sync`]): a failed
//! fsync cuts its file back to where the flight's records began, taking the records written
//! since with it, and the jobs waiting on that writer are answered with the failure. Durable
//! records' [`Facts`] and closed files then go to the [`Indexer`].
//!
//! The order WARC bytes durable → index line → answer holds for every job: the sync thread
//! appends a line only after its record's file was fsynced, and answers only after the line's
//! file was. A file is never closed (rotated) under a flight that syncs it: its writer waits for
//! the flight first. This module never decides what to write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::lines::Lines;
use super::recorder::{Indexer, Job, Work};
use super::segments::Policy;
use super::sink::Wrap;
use super::writer::Syncing;
use super::{Capture, Error, Info, Placed, Writer};
use crate::notify::{Busy, Heartbeat};

/// Most jobs taken from the queue at once.
const MAX_BATCH: usize = 32;

/// The writer thread's heartbeat, and the test hook that stalls it (`crate::notify`).
pub(super) struct Pulse {
    pub(super) heartbeat: Arc<Heartbeat>,
    /// Busy while the sync thread works on a flight.
    pub(super) sync_heartbeat: Arc<Heartbeat>,
    /// `BAOLUU_TEST_STALL_WRITER`: while this file exists, each batch waits before it writes,
    /// as a thread blocked on a hung disk would (issue 13: the watchdog tests).
    pub(super) stall: Option<PathBuf>,
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

/// What the writer thread is told about its files.
pub(super) struct Setup {
    pub(super) dir: PathBuf,
    pub(super) info: Info,
    pub(super) max_size: u64,
    pub(super) segments: Option<Policy>,
    /// Wraps each WARC file opened (a fault injector in tests).
    pub(super) wrap: Wrap,
}

/// The writer thread: writes jobs until the queue closes, then lands every flight, closes
/// every file and returns their paths.
pub(super) fn serve(
    mut jobs: mpsc::Receiver<Job>,
    setup: Setup,
    pulse: &Pulse,
    indexer: Box<dyn Indexer>,
) -> Result<Vec<PathBuf>, Error> {
    // Only to wait for a job or a landing, whichever comes first.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(Error::io("start the writer thread for", &setup.dir))?;
    let syncer = Syncer::start(pulse.sync_heartbeat.clone(), &setup.dir)?;
    let mut commit = Commit {
        lines: Some(Lines::new(setup.segments)),
        setup,
        writers: HashMap::new(),
        waiting: Vec::new(),
        flight: None,
        indexer,
    };
    loop {
        match runtime.block_on(commit.next_event(&mut jobs)) {
            Event::Job(first) => {
                let _busy = pulse.busy();
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                for job in batch {
                    commit.write(job, &runtime)?;
                }
            }
            Event::Landed(landed) => commit.land(landed)?,
            Event::Closed => break,
        }
        commit.launch(&syncer);
    }
    let _busy = pulse.busy();
    commit.finish(&runtime, &syncer)
}

enum Event {
    Job(Job),
    /// The flight came back (None: the sync thread is gone).
    Landed(Option<Landed>),
    Closed,
}

/// The writer thread's state between events.
struct Commit {
    setup: Setup,
    writers: HashMap<String, Writer>,
    /// Jobs written since the last flight left, waiting for the next one.
    waiting: Vec<(String, Done)>,
    flight: Option<Flight>,
    /// The companion-line files; lent to the flight while one is out.
    lines: Option<Lines>,
    indexer: Box<dyn Indexer>,
}

/// A flight out on the sync thread.
struct Flight {
    landed: oneshot::Receiver<Landed>,
    /// The writers it syncs.
    prefixes: Vec<String>,
}

/// What the sync thread does with a flight.
struct Cargo {
    syncs: Vec<(String, Syncing)>,
    jobs: Vec<(String, Done)>,
    /// Writers whose records were lost before the flight left.
    failed: HashMap<String, SyncFailure>,
    lines: Lines,
}

/// A flight back from the sync thread, its jobs answered.
struct Landed {
    lines: Lines,
    synced: Vec<(String, Syncing, std::io::Result<()>)>,
}

impl Commit {
    /// The next job, or the flight's landing when it comes first.
    async fn next_event(&mut self, jobs: &mut mpsc::Receiver<Job>) -> Event {
        let Some(flight) = self.flight.as_mut() else {
            return jobs.recv().await.map_or(Event::Closed, Event::Job);
        };
        tokio::select! {
            biased;
            landed = &mut flight.landed => Event::Landed(landed.ok()),
            job = jobs.recv() => job.map_or(Event::Closed, Event::Job),
        }
    }

    /// Writes one job (not yet fsynced): a deferred capture is answered now, the rest wait.
    fn write(
        &mut self,
        Job { prefix, work }: Job,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<(), Error> {
        let Setup {
            dir,
            info,
            max_size,
            wrap,
            ..
        } = &self.setup;
        let writer = self.writers.entry(prefix.clone()).or_insert_with(|| {
            let info = Info {
                is_part_of: prefix.clone(),
                ..info.clone()
            };
            Writer::new(dir.clone(), prefix.clone(), info, *max_size).with_wrap(wrap.clone())
        });
        // A file is not closed under the flight that syncs it.
        let flying = (self.flight.as_ref()).is_some_and(|f| f.prefixes.contains(&prefix));
        if flying
            && writer.rotation_due()
            && let Some(flight) = self.flight.take()
        {
            let landed = runtime.block_on(flight.landed).ok();
            self.land(landed)?;
        }
        let Some(writer) = self.writers.get_mut(&prefix) else {
            return Ok(());
        };
        if let Some(done) = perform(writer, work) {
            self.waiting.push((prefix, done));
        }
        Ok(())
    }

    /// Sends the waiting jobs off as a flight, when none is out.
    fn launch(&mut self, syncer: &Syncer) {
        if self.flight.is_some() || self.waiting.is_empty() {
            return;
        }
        let Some(lines) = self.lines.take() else {
            return;
        };
        let jobs = std::mem::take(&mut self.waiting);
        let mut prefixes: Vec<String> = Vec::new();
        for (prefix, _) in &jobs {
            if !prefixes.contains(prefix) {
                prefixes.push(prefix.clone());
            }
        }
        let (mut syncs, mut failed) = (Vec::new(), HashMap::new());
        for prefix in &prefixes {
            let Some(writer) = self.writers.get_mut(prefix) else {
                continue;
            };
            match writer.start_sync() {
                Ok(Some(syncing)) => syncs.push((prefix.clone(), syncing)),
                Ok(None) => {}
                Err(err) => {
                    tracing::error!(prefix = %prefix, error = %err, "warc_sync_failed");
                    failed.insert(prefix.clone(), sync_failure(prefix, err));
                }
            }
        }
        let cargo = Cargo {
            syncs,
            jobs,
            failed,
            lines,
        };
        let landed = syncer.send(cargo);
        self.flight = Some(Flight { landed, prefixes });
    }

    /// Settles a flight that came back: each writer keeps or cuts its records, the jobs
    /// waiting on a writer whose fsync failed are answered with that failure, and what is
    /// durable goes to the indexer.
    fn land(&mut self, landed: Option<Landed>) -> Result<(), Error> {
        self.flight = None;
        let Landed { lines, synced } = landed.ok_or(Error::WriterStopped)?;
        self.lines = Some(lines);
        let mut failed = HashMap::new();
        for (prefix, syncing, result) in synced {
            let Some(writer) = self.writers.get_mut(&prefix) else {
                continue;
            };
            if let Err(err) = writer.end_sync(syncing, result) {
                failed.insert(prefix.clone(), sync_failure(&prefix, err));
            }
        }
        if !failed.is_empty() {
            // Written after the flight left, so cut off with its records.
            let (cut, kept) = std::mem::take(&mut self.waiting)
                .into_iter()
                .partition(|(prefix, _)| failed.contains_key(prefix));
            self.waiting = kept;
            for (prefix, done) in cut {
                done.answer(failed.get(&prefix));
            }
        }
        for writer in self.writers.values_mut() {
            hand_over(writer, self.indexer.as_mut());
        }
        Ok(())
    }

    /// The queue closed: lands what is out, flies what waits, closes every file.
    fn finish(
        mut self,
        runtime: &tokio::runtime::Runtime,
        syncer: &Syncer,
    ) -> Result<Vec<PathBuf>, Error> {
        for _ in 0..2 {
            if let Some(flight) = self.flight.take() {
                let landed = runtime.block_on(flight.landed).ok();
                self.land(landed)?;
            }
            self.launch(syncer);
        }
        let mut closed = Vec::new();
        for writer in self.writers.values_mut() {
            writer.close()?;
            closed.extend(hand_over(writer, self.indexer.as_mut()));
        }
        Ok(closed)
    }
}

/// The sync thread: fsyncs flights one after the other.
struct Syncer {
    flights: std::sync::mpsc::Sender<(Cargo, oneshot::Sender<Landed>)>,
}

impl Syncer {
    fn start(heartbeat: Arc<Heartbeat>, dir: &Path) -> Result<Syncer, Error> {
        let (flights, rx) = std::sync::mpsc::channel::<(Cargo, oneshot::Sender<Landed>)>();
        std::thread::Builder::new()
            .name("warc-sync".into())
            .spawn(move || {
                while let Ok((cargo, reply)) = rx.recv() {
                    let _busy = heartbeat.busy();
                    let _ = reply.send(fly(cargo));
                }
            })
            .map_err(Error::io("start the sync thread for", dir))?;
        Ok(Syncer { flights })
    }

    /// Sends a flight off; its landing comes on the receiver (an error if the thread is gone).
    fn send(&self, cargo: Cargo) -> oneshot::Receiver<Landed> {
        let (reply, landed) = oneshot::channel();
        let _ = self.flights.send((cargo, reply));
        landed
    }
}

/// One flight on the sync thread: the WARC files' fsyncs at once, then the companion lines of
/// the records now durable, then the answers.
fn fly(cargo: Cargo) -> Landed {
    let Cargo {
        syncs,
        jobs,
        mut failed,
        mut lines,
    } = cargo;
    let synced = super::parallel::each(syncs, |(prefix, mut syncing)| {
        let result = syncing.file.sync_data();
        (prefix, syncing, result)
    });
    for (prefix, syncing, result) in &synced {
        if let Err(err) = result {
            tracing::error!(prefix = %prefix, error = %err, "warc_sync_failed");
            failed.insert(prefix.clone(), SyncFailure::of("sync", syncing.path(), err));
        }
    }
    let line_failed = lines.append_durable(&jobs, &failed);
    for (i, (prefix, done)) in jobs.into_iter().enumerate() {
        done.answer(failed.get(&prefix).or(line_failed.get(&i)));
    }
    Landed { lines, synced }
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

/// A write done but not yet answered: the answer waits for its writer's fsync.
pub(super) enum Done {
    Capture(
        oneshot::Sender<Result<Capture, Error>>,
        Result<Capture, Error>,
    ),
    Member(
        oneshot::Sender<Result<Placed, Error>>,
        Result<Placed, Error>,
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
        Work::Exchange {
            exchange,
            made,
            reply,
        } => Done::Capture(reply, writer.write_response(&exchange, &made)),
        Work::Deferred {
            exchange,
            made,
            reply,
        } => {
            let losses = writer.losses();
            let written = writer.write_response(&exchange, &made);
            let _ = reply.send(written.map(|c| (c, losses)));
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
            made,
            line_file,
            after,
            reply,
        } => {
            if let Some(lost) = after.and_then(|n| writer.lost_since(n)) {
                return Some(Done::Member(reply, Err(lost), None));
            }
            let written = writer.write_metadata_block(&refers_to, &content_type, &made);
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

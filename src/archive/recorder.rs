//! The async face of the archive: one thread owns every [`Writer`] of a process.
//!
//! Writing is synchronous (std::fs, fsync), so it runs on its own thread; fetch tasks hand it
//! exchanges through a **bounded** channel (a slow disk slows the crawl instead of growing
//! memory: style.md, "what not to copy") and wait for the [`Capture`] that says the bytes are
//! durable. One `Writer` per prefix (a portal name, or "save"), created on first use. Every
//! file a writer closes (rotation or shutdown) gets its CDXJ index right away, on this thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::{Capture, Error, Info, Original, RevisitProfile, Writer};
use crate::fetch::Exchange;

/// How many jobs may wait for the writer thread. Small: each holds a body of up to `max_body`.
const QUEUE_DEPTH: usize = 8;

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
        reply: oneshot::Sender<Result<(u64, u64), Error>>,
    },
}

/// Hands exchanges to the writer thread and waits until they are durable.
pub struct Recorder {
    jobs: mpsc::Sender<Job>,
    thread: JoinHandle<Result<Vec<PathBuf>, Error>>,
}

impl Recorder {
    /// Starts the writer thread for WARC files in `dir`; `info.is_part_of` is replaced by each
    /// writer's prefix. Closed files are CDXJ-indexed into `index_dir/cdxj/`.
    pub fn start(
        dir: PathBuf,
        index_dir: PathBuf,
        info: Info,
        max_size: u64,
    ) -> Result<Recorder, Error> {
        let (jobs, rx) = mpsc::channel(QUEUE_DEPTH);
        let path = dir.clone();
        let thread = std::thread::Builder::new()
            .name("warc-writer".into())
            .spawn(move || serve(rx, &dir, &index_dir, &info, max_size))
            .map_err(|source| Error::Io { path, source })?;
        Ok(Recorder { jobs, thread })
    }

    /// Writes the exchange as response + request records; returns once they are fsynced.
    pub async fn record(&self, prefix: &str, exchange: Arc<Exchange>) -> Result<Capture, Error> {
        let (reply, answer) = oneshot::channel();
        self.send(prefix, Work::Exchange { exchange, reply })
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

    /// Writes a `metadata` record that refers to `refers_to`; returns (offset, length).
    pub async fn metadata(
        &self,
        prefix: &str,
        refers_to: &Capture,
        content_type: &str,
        block: Vec<u8>,
    ) -> Result<(u64, u64), Error> {
        let (reply, answer) = oneshot::channel();
        let refers_to = Box::new(refers_to.clone());
        let content_type = content_type.to_string();
        self.send(
            prefix,
            Work::Metadata {
                refers_to,
                content_type,
                block,
                reply,
            },
        )
        .await?;
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
    Error::Io {
        path: PathBuf::from("<warc-writer>"),
        source: std::io::Error::other("the WARC writer thread stopped"),
    }
}

fn serve(
    mut jobs: mpsc::Receiver<Job>,
    dir: &Path,
    index_dir: &Path,
    info: &Info,
    max_size: u64,
) -> Result<Vec<PathBuf>, Error> {
    let mut writers: HashMap<String, Writer> = HashMap::new();
    while let Some(Job { prefix, work }) = jobs.blocking_recv() {
        let writer = writers.entry(prefix.clone()).or_insert_with(|| {
            let info = Info {
                is_part_of: prefix.clone(),
                ..info.clone()
            };
            Writer::new(dir.to_path_buf(), prefix.clone(), info, max_size)
        });
        perform(writer, work);
        index_closed(dir, index_dir, writer.take_closed());
    }
    let mut closed = Vec::new();
    for writer in writers.values_mut() {
        writer.close()?;
        let files = writer.take_closed();
        index_closed(dir, index_dir, files.clone());
        closed.extend(files);
    }
    Ok(closed)
}

/// Does one write and answers the waiting task (a task that went away no longer cares).
fn perform(writer: &mut Writer, work: Work) {
    match work {
        Work::Exchange { exchange, reply } => {
            let _ = reply.send(writer.write_exchange(&exchange));
        }
        Work::Revisit {
            exchange,
            profile,
            original,
            reply,
        } => {
            let _ = reply.send(writer.write_revisit(&exchange, profile, &original));
        }
        Work::Metadata {
            refers_to,
            content_type,
            block,
            reply,
        } => {
            let _ = reply.send(writer.write_metadata(&refers_to, &content_type, &block));
        }
    }
}

/// CDXJ for closed files. CDXJ is derived data (`cdxj::write_for` can rebuild it any time), so
/// a failure is logged, not fatal; `baoluu verify` reports the missing index.
pub fn index_closed(warc_dir: &Path, index_dir: &Path, files: Vec<PathBuf>) {
    for file in files {
        if let Err(err) = crate::cdxj::write_for(warc_dir, index_dir, &file) {
            tracing::error!(file = %file.display(), error = %err, "cdxj_failed");
        }
    }
}

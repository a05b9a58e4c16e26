//! The async face of the archive: one thread owns every [`Writer`] of a process.
//!
//! Writing is synchronous (std::fs, fsync), so it runs on its own thread; fetch tasks hand it
//! exchanges through a **bounded** channel (a slow disk slows the crawl instead of growing
//! memory: style.md, "what not to copy") and wait for the [`Capture`] that says the bytes are
//! durable. One `Writer` per prefix (a portal name, or "save"), created on first use. Every
//! file a writer closes (rotation or shutdown) gets its CDXJ index right away, on this thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use super::{Capture, Error, Info, Writer};
use crate::fetch::Exchange;

/// How many jobs may wait for the writer thread. Small: each holds a body of up to `max_body`.
const QUEUE_DEPTH: usize = 8;

enum Job {
    Exchange {
        prefix: String,
        exchange: Arc<Exchange>,
        reply: oneshot::Sender<Result<Capture, Error>>,
    },
    Metadata {
        prefix: String,
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
    /// writer's prefix.
    /// Closed files are CDXJ-indexed into `index_dir/cdxj/`.
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
            .spawn(move || serve(rx, dir, index_dir, info, max_size))
            .map_err(|source| Error::Io { path, source })?;
        Ok(Recorder { jobs, thread })
    }

    /// Writes the exchange as response + request records; returns once they are fsynced.
    pub async fn record(&self, prefix: &str, exchange: Arc<Exchange>) -> Result<Capture, Error> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Exchange {
            prefix: prefix.to_string(),
            exchange,
            reply,
        };
        self.send(job).await?;
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
        let job = Job::Metadata {
            prefix: prefix.to_string(),
            refers_to: Box::new(refers_to.clone()),
            content_type: content_type.to_string(),
            block,
            reply,
        };
        self.send(job).await?;
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

    async fn send(&self, job: Job) -> Result<(), Error> {
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
    dir: PathBuf,
    index_dir: PathBuf,
    info: Info,
    max_size: u64,
) -> Result<Vec<PathBuf>, Error> {
    let mut writers: HashMap<String, Writer> = HashMap::new();
    while let Some(job) = jobs.blocking_recv() {
        let prefix = match &job {
            Job::Exchange { prefix, .. } | Job::Metadata { prefix, .. } => prefix.clone(),
        };
        match job {
            Job::Exchange {
                prefix,
                exchange,
                reply,
            } => {
                let writer = writer_for(&mut writers, &prefix, &dir, &info, max_size);
                let _ = reply.send(writer.write_exchange(&exchange));
            }
            Job::Metadata {
                prefix,
                refers_to,
                content_type,
                block,
                reply,
            } => {
                let writer = writer_for(&mut writers, &prefix, &dir, &info, max_size);
                let _ = reply.send(writer.write_metadata(&refers_to, &content_type, &block));
            }
        }
        if let Some(writer) = writers.get_mut(&prefix) {
            index_closed(&dir, &index_dir, writer.take_closed());
        }
    }
    let mut closed = Vec::new();
    for writer in writers.values_mut() {
        writer.close()?;
        let files = writer.take_closed();
        index_closed(&dir, &index_dir, files.clone());
        closed.extend(files);
    }
    Ok(closed)
}

/// CDXJ for closed files. CDXJ is derived data (`cdxj::write_for` can rebuild it any time), so
/// a failure is logged, not fatal; `baoluu verify` reports the missing index.
pub fn index_closed(warc_dir: &std::path::Path, index_dir: &std::path::Path, files: Vec<PathBuf>) {
    for file in files {
        if let Err(err) = crate::cdxj::write_for(warc_dir, index_dir, &file) {
            tracing::error!(file = %file.display(), error = %err, "cdxj_failed");
        }
    }
}

fn writer_for<'a>(
    writers: &'a mut HashMap<String, Writer>,
    prefix: &str,
    dir: &std::path::Path,
    info: &Info,
    max_size: u64,
) -> &'a mut Writer {
    writers.entry(prefix.to_string()).or_insert_with(|| {
        let info = Info {
            is_part_of: prefix.to_string(),
            ..info.clone()
        };
        Writer::new(dir.to_path_buf(), prefix.to_string(), info, max_size)
    })
}

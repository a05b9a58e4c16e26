//! The uploader as a background task beside a crawl or the daemon (issue 18 item 2): it
//! uploads while files close, and when the run ends either drains (a one-shot crawl, under
//! `drain_timeout`; the daemon, under its `grace_period`) or stops at once (Ctrl-C, a daemon
//! that failed). Stopping drops the uploads in flight: their rows stay pending and the next
//! start redoes them. Never affects the run's exit code.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Error, Uploader};
use crate::archive::Lock;
use crate::causes::Causes;
use crate::config::Config;

/// The lock file of the uploads in `archive_dir`: one uploading process per archive.
pub const UPLOADS_LOCK: &str = ".uploads.lock";

/// The running uploader of this process (nothing when `[storage]` is absent, or when another
/// process runs this archive's uploads).
#[derive(Debug)]
pub struct UploadTask {
    running: Option<Running>,
    stop: CancellationToken,
}

/// An uploader at work: its loop, and the lock it holds while this process uploads.
#[derive(Debug)]
struct Running {
    uploader: Uploader,
    task: JoinHandle<()>,
    _lock: Lock,
}

impl UploadTask {
    /// Opens the uploader (and the state store, migrating it) before the crawl opens it, and
    /// starts its loop. Call it inside the tokio runtime. The uploader starts before the crawl
    /// takes the archive lock, so it takes its own first (`.uploads.lock`): a second process
    /// on the same archive — which will stop at the archive lock — uploads nothing meanwhile
    /// (issue 18); it says so and goes on without uploads.
    pub fn start(config: &Config) -> Result<UploadTask, Error> {
        let stop = CancellationToken::new();
        if config.storage.is_none() {
            return Ok(UploadTask {
                running: None,
                stop,
            });
        }
        let lock = match Lock::acquire_named(&config.crawler.archive_dir, UPLOADS_LOCK) {
            Ok(lock) => lock,
            Err(crate::archive::Error::Locked { pid, .. }) => {
                tracing::warn!(pid = %pid, "uploads_run_elsewhere: process {pid} uploads this archive; this one does not");
                return Ok(UploadTask {
                    running: None,
                    stop,
                });
            }
            Err(err) => return Err(Error::Lock(err)),
        };
        let running = Uploader::open(config)?.map(|uploader| {
            let (me, stop) = (uploader.clone(), stop.clone());
            Running {
                uploader,
                task: tokio::spawn(async move { me.run(stop).await }),
                _lock: lock,
            }
        });
        Ok(UploadTask { running, stop })
    }

    /// Drops the uploads in flight, so Ctrl-C does not wait for a large upload.
    pub async fn stop(self) {
        if let Some(running) = self.running {
            running.task.abort();
            let _ = running.task.await;
        }
    }

    /// Drains for `limit` and says on stderr what is left. A one-shot crawl (`None`:
    /// `drain_timeout`) lets the uploads in flight finish first; the daemon, stopping, drops
    /// them and redoes them within its `grace_period`.
    pub async fn finish(self, limit: Option<Duration>) {
        let Some(running) = self.running else { return };
        match limit {
            None => self.stop.cancel(),
            Some(_) => running.task.abort(),
        }
        let _ = running.task.await;
        let uploader = running.uploader;
        match uploader
            .drain(limit.unwrap_or(uploader.drain_timeout()))
            .await
        {
            Ok(d) if d.pending == 0 => eprintln!("uploads: {} verified, none pending", d.uploaded),
            Ok(d) => eprintln!(
                "uploads: {} verified, {} pending (they go with the next run; see `baoluu status`)",
                d.uploaded, d.pending
            ),
            Err(err) => eprintln!("uploads: stopped: {}", Causes(&err)),
        }
    }
}

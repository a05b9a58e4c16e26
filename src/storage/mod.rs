//! Storage: ships the closed archive files to an S3-compatible bucket (issue 18; docs/storage.md).
//!
//! It sits after the archive in the pipeline, beside the crawl rather than inside it: it lists
//! the closed files under `archive_dir` (`scan`), queues them in the state store, and uploads
//! them on its own tasks with bounded concurrency, retrying with backoff. An upload is
//! recorded as done only after the object was read back and matched the size and SHA-256
//! computed from the bytes sent; a local WARC is deleted only after that, and only once
//! `keep_local` has passed. Fetching never waits for it: the crawl does not know it exists.
//! It never changes a WARC, an index line or a URL's state, and it never deletes anything in
//! the bucket.

pub mod fetched;
pub mod fixity;
pub mod package;
mod remote;
mod scan;
mod status;
mod task;
pub mod versions;

pub use remote::{Fixity, Remote};
pub use status::{QueueProblem, QueueStatus, queue_lines, queue_status};
pub use task::UploadTask;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::causes::Causes;
use crate::config::{Config, Storage};
use crate::store::{Store, Upload, UploadFailure, unix_now};

/// How often the daemon lists `archive_dir` for newly closed files.
const SCAN_EVERY: Duration = Duration::from_secs(5);
/// The longest backoff between two tries of one upload.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Problem codes of the upload queue, shown by `status` (docs/status.md).
pub mod code {
    /// The server could not be reached (down, wrong endpoint, timeouts).
    pub const UNREACHABLE: &str = "storage-unreachable";
    /// The server refused our keys (wrong key, clock skew, no permission on the bucket).
    pub const CREDENTIALS_REFUSED: &str = "storage-credentials-refused";
    /// Anything else: the object did not match after upload, a local read failed, ….
    pub const UPLOAD_FAILING: &str = "storage-upload-failing";
}

/// Why an upload or the uploader failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no credentials for the bucket: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or \
         credentials_file in [storage]"
    )]
    NoCredentials,
    #[error("could not set up the S3 client; check [storage] url, endpoint and region")]
    Client(#[source] object_store::Error),
    #[error("could not read {path}")]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the bucket failed on {key}")]
    Remote {
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error(
        "{key} does not match what was sent ({sent_size} bytes, sha256 {sent}; the bucket \
         holds {found_size} bytes, sha256 {found}): it will be uploaded again"
    )]
    Mismatch {
        key: String,
        sent_size: u64,
        sent: String,
        found_size: u64,
        found: String,
    },
    #[error(
        "the copy of {key} read from the bucket does not match its record ({recorded_size} \
         bytes, sha256 {recorded}; read {found_size} bytes, sha256 {found}): run `baoluu \
         verify --remote`"
    )]
    CopyMismatch {
        key: String,
        recorded_size: u64,
        recorded: String,
        found_size: u64,
        found: String,
    },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The uploads lock file could not be opened or locked (not: held by another process).
    #[error("could not take the uploads lock")]
    Lock(#[source] crate::archive::Error),
    #[error("the configuration has no [storage] table: add one (docs/storage.md)")]
    NotConfigured,
    #[error("could not list {path}")]
    Scan {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The `status` problem code this failure shows as.
    pub fn code(&self) -> &'static str {
        use object_store::Error as E;
        match self {
            Error::Remote {
                source: E::Unauthenticated { .. } | E::PermissionDenied { .. },
                ..
            } => code::CREDENTIALS_REFUSED,
            Error::Remote { source, .. } if refused_keys(&source.to_string()) => {
                code::CREDENTIALS_REFUSED
            }
            Error::Remote { .. } | Error::Client(_) => code::UNREACHABLE,
            _ => code::UPLOAD_FAILING,
        }
    }
}

/// S3 error codes that mean "these keys": some servers answer them with 400, not 403.
fn refused_keys(message: &str) -> bool {
    [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
    ]
    .iter()
    .any(|c| message.contains(c))
}

/// What a drain left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub uploaded: u64,
    pub pending: u64,
}

/// The uploader of one archive: the bucket, the queue in the state store, the local folder.
#[derive(Debug, Clone)]
pub struct Uploader {
    remote: Remote,
    store: Arc<Store>,
    archive_dir: PathBuf,
    storage: Storage,
}

impl Uploader {
    /// `None` when the configuration has no `[storage]`. Opens (and migrates) the state store:
    /// call it before the crawl opens its own handle.
    pub fn open(config: &Config) -> Result<Option<Uploader>, Error> {
        let Some(storage) = config.storage.clone() else {
            return Ok(None);
        };
        let remote = Remote::connect(&storage)?;
        let archive_dir = config.crawler.archive_dir.clone();
        std::fs::create_dir_all(&archive_dir).map_err(|source| Error::Scan {
            path: archive_dir.clone(),
            source,
        })?;
        let store = Arc::new(Store::open(&archive_dir.join("state.sqlite"))?);
        Ok(Some(Uploader {
            remote,
            store,
            archive_dir,
            storage,
        }))
    }

    /// The daemon's loop: queue newly closed files and upload what is due, until `stop`.
    pub async fn run(&self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            if let Err(err) = self.scan() {
                tracing::warn!(err = %Causes(&err), "upload_scan_failed");
            }
            self.pass(&stop, &CancellationToken::new()).await;
            self.sweep();
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(SCAN_EVERY) => {}
            }
        }
    }

    /// The configured `drain_timeout` (a one-shot crawl's limit for [`Uploader::drain`]).
    pub fn drain_timeout(&self) -> Duration {
        self.storage.drain_timeout
    }

    /// After a run: upload everything pending, giving up after `limit`. What is left stays
    /// queued for the next run (issue 18 item 2); the uploads in flight at the deadline are
    /// dropped (their rows stay pending: crash-safe by design).
    pub async fn drain(&self, limit: Duration) -> Result<Drained, Error> {
        self.scan()?;
        self.store.uploads_due_now()?;
        let before = self.store.upload_summary()?;
        let never = CancellationToken::new();
        let uploading = async {
            while self.store.upload_summary()?.pending > 0 {
                if self.pass(&never, &never).await == 0 {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            Ok::<(), Error>(())
        };
        if let Ok(finished) = tokio::time::timeout(limit, uploading).await {
            finished?;
        }
        self.sweep();
        let after = self.store.upload_summary()?;
        Ok(Drained {
            uploaded: after.done.saturating_sub(before.done),
            pending: after.pending,
        })
    }

    /// Queues every closed file not yet known.
    fn scan(&self) -> Result<(), Error> {
        let files = scan::closed_files(&self.archive_dir).map_err(|source| Error::Scan {
            path: self.archive_dir.clone(),
            source,
        })?;
        for path in self.store.upload_enqueue_all(&files, unix_now())? {
            tracing::debug!(path, "upload_queued");
        }
        Ok(())
    }

    /// One round: every due upload, `concurrency` at a time. After `stop` no new upload
    /// starts and those running finish; after `abort` they are dropped too (their rows stay
    /// pending: crash-safe by design). Returns how many were tried.
    async fn pass(&self, stop: &CancellationToken, abort: &CancellationToken) -> usize {
        let due = match self.store.uploads_due(unix_now(), 10_000) {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(err = %Causes(&err), "upload_queue_unreadable");
                return 0;
            }
        };
        let tried = due.len();
        let mut rows = due.into_iter();
        let mut running = JoinSet::new();
        loop {
            while running.len() < self.storage.concurrency && !stop.is_cancelled() {
                let Some(row) = rows.next() else { break };
                let me = self.clone();
                running.spawn(async move { me.one(row).await });
            }
            tokio::select! {
                () = abort.cancelled() => return tried,
                next = running.join_next() => if next.is_none() { return tried },
            }
        }
    }

    /// Uploads, verifies and records one file; a failure is recorded with its backoff.
    async fn one(&self, row: Upload) {
        let local = self.archive_dir.join(&row.path);
        match self.upload_verified(&local, &row.path).await {
            Ok((size, sha256)) => {
                let recorded = self.store.upload_done(&row.path, size, &sha256, unix_now());
                match recorded {
                    Ok(()) => tracing::info!(path = row.path, size, "upload_verified"),
                    Err(err) => tracing::warn!(err = %Causes(&err), "upload_unrecorded"),
                }
            }
            Err(err) => {
                let backoff = backoff(row.attempts);
                let message = format!("{}: {}", err.code(), Causes(&err));
                tracing::warn!(path = row.path, err = message, "upload_failed");
                let now = unix_now();
                let failure = UploadFailure {
                    code: err.code(),
                    message: &message,
                    at: now,
                    next_at: now + backoff.as_secs_f64(),
                };
                if let Err(err) = self.store.upload_failed(&row.path, failure) {
                    tracing::warn!(err = %Causes(&err), "upload_unrecorded");
                }
            }
        }
    }

    async fn upload_verified(&self, local: &Path, path: &str) -> Result<Fixity, Error> {
        let sent = self.remote.upload(local, path).await?;
        let found = self.remote.digest(path).await?;
        if found != sent {
            return Err(Error::Mismatch {
                key: self.remote.key(path),
                sent_size: sent.0,
                sent: sent.1,
                found_size: found.0,
                found: found.1,
            });
        }
        Ok(sent)
    }

    /// Deletes the local WARC files and index/changes segments verified in the bucket longer
    /// than `keep_local` ago (readers fetch them back: `storage::fetched`).
    fn sweep(&self) {
        let Some(keep) = self.storage.keep_local else {
            return;
        };
        let before = unix_now() - keep.as_secs_f64();
        let paths = match self.store.uploads_to_delete(before) {
            Ok(paths) => paths,
            Err(err) => return tracing::warn!(err = %Causes(&err), "upload_sweep_failed"),
        };
        for path in paths {
            let removed = std::fs::remove_file(self.archive_dir.join(&path));
            match removed {
                Ok(()) => tracing::info!(path, "local_copy_deleted"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => {
                    tracing::warn!(path, %err, "local_copy_not_deleted");
                    continue;
                }
            }
            if let Err(err) = self.store.upload_deleted(&path, unix_now()) {
                tracing::warn!(err = %Causes(&err), "upload_unrecorded");
            }
        }
    }
}

/// 1 s, 2 s, 4 s, … up to [`MAX_BACKOFF`].
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.min(16)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}

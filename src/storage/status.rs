//! What `status` says about the upload queue (issue 18 item 2): pending and verified counts,
//! and a problem when uploads keep failing — `storage-unreachable`,
//! `storage-credentials-refused` or `storage-upload-failing` (docs/status.md), the code
//! recorded with the newest failure. Read-only: it only reads the store.

use serde::Serialize;

use super::code;
use crate::store::{Store, UploadSummary};

/// The queue and its problems, as `status --json` shows them under `"storage"`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueStatus {
    pub pending: u64,
    pub done: u64,
    /// Local WARC copies removed after verification (keep_local).
    pub deleted_locally: u64,
    pub problems: Vec<QueueProblem>,
}

/// One upload problem: a stable code and what to do.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QueueProblem {
    pub code: &'static str,
    pub message: String,
    /// Uploads waiting for a retry.
    pub count: u64,
}

/// The queue's status; a store that predates the queue reads as empty.
pub fn queue_status(store: &Store) -> Result<QueueStatus, crate::store::Error> {
    let summary = store.upload_summary()?;
    Ok(QueueStatus {
        pending: summary.pending,
        done: summary.done,
        deleted_locally: summary.deleted,
        problems: problem(&summary).into_iter().collect(),
    })
}

fn problem(summary: &UploadSummary) -> Option<QueueProblem> {
    let error = summary
        .last_error
        .as_deref()
        .filter(|_| summary.failing > 0)?;
    let recorded = summary.last_code.as_deref();
    let code = [code::UNREACHABLE, code::CREDENTIALS_REFUSED]
        .into_iter()
        .find(|c| recorded == Some(*c))
        .unwrap_or(code::UPLOAD_FAILING);
    let advice = match code {
        code::UNREACHABLE => "check that the server in [storage] endpoint is up",
        code::CREDENTIALS_REFUSED => {
            "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or credentials_file, and the \
             bucket's permissions"
        }
        _ => "see the message; uploads are retried with backoff",
    };
    Some(QueueProblem {
        code,
        message: format!(
            "{} uploads failing and retried ({advice}); local files are kept until verified. \
             Last error: {error}",
            summary.failing
        ),
        count: summary.failing,
    })
}

/// The text lines of `status`: `uploads: 3 pending, 10 verified` and any problem.
pub fn queue_lines(status: &QueueStatus) -> Vec<String> {
    let mut lines = vec![format!(
        "uploads: {} pending, {} verified in the bucket, {} local copies deleted",
        status.pending, status.done, status.deleted_locally
    )];
    lines.extend(
        (status.problems.iter()).map(|p| format!("upload problem {}: {}", p.code, p.message)),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UploadFailure;
    use crate::store::testing::store;

    /// The newest by when it failed: after many failures of a server that was down (a long
    /// backoff, so the latest next try) the server answers and refuses the keys: the refusal
    /// is the problem shown (it used to be ordered by the next try).
    #[test]
    fn the_newest_failure_names_the_problem() {
        let (_dir, store) = store();
        assert!(queue_status(&store).unwrap().problems.is_empty());
        for (path, code, at, next_at) in [
            ("warc/a.warc.gz", code::UNREACHABLE, 10.0, 310.0),
            ("warc/b.warc.gz", code::CREDENTIALS_REFUSED, 20.0, 21.0),
        ] {
            store.upload_enqueue(path, "warc", 1.0).unwrap();
            let message = format!("{code}: the bucket failed");
            let failure = UploadFailure {
                code,
                message: &message,
                at,
                next_at,
            };
            store.upload_failed(path, failure).unwrap();
        }
        let status = queue_status(&store).unwrap();
        assert_eq!(status.pending, 2);
        assert_eq!(status.problems[0].code, code::CREDENTIALS_REFUSED);
        assert!(queue_lines(&status)[1].contains("AWS_ACCESS_KEY_ID"));
    }
}

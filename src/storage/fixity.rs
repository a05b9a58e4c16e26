//! `baoluu verify --remote` (issue 18 item 5): every object the upload queue recorded as
//! verified is read back from the bucket and checked against the size and SHA-256 recorded
//! when it was uploaded. Reads the store and the bucket; never uploads, deletes or repairs.

use std::fmt;

use super::{Error, Remote};
use crate::causes::Causes;
use crate::config::Config;
use crate::store::Store;

/// What `verify --remote` found.
#[derive(Debug, Default)]
pub struct RemoteReport {
    pub checked: u64,
    pub bytes: u64,
    /// `key: what is wrong`, one per bad or unreadable object.
    pub problems: Vec<String>,
}

impl fmt::Display for RemoteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "problem: {problem}")?;
        }
        let verdict = if self.problems.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        writeln!(
            f,
            "remote: {} objects, {} bytes checked against the recorded SHA-256; {} problems: {verdict}",
            self.checked,
            self.bytes,
            self.problems.len()
        )
    }
}

/// Reads back every recorded object of this instance.
pub async fn verify_remote(config: &Config) -> Result<RemoteReport, Error> {
    let storage = config.storage.as_ref().ok_or(Error::NotConfigured)?;
    let remote = Remote::connect(storage)?;
    let store = Store::open_read_only(&config.crawler.archive_dir.join("state.sqlite"))?;
    let mut report = RemoteReport::default();
    for object in store.uploaded()? {
        report.checked += 1;
        let key = remote.key(&object.path);
        match remote.digest(&object.path).await {
            Ok((size, sha)) if size == object.size && sha == object.sha256 => report.bytes += size,
            Ok((size, sha)) => report.problems.push(format!(
                "{key}: {size} bytes, sha256 {sha}; recorded {} bytes, sha256 {}",
                object.size, object.sha256
            )),
            Err(err) => report.problems.push(format!("{key}: {}", Causes(&err))),
        }
    }
    Ok(report)
}

/// `verify --remote` for `main`: prints the report, 0 when every object matches, else 1.
pub async fn run_cli(config: &Config) -> Result<u8, Error> {
    let report = verify_remote(config).await?;
    print!("{report}");
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

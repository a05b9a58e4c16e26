//! `baoluu wacz --from-storage` (issue 18 item 5): the WARC files and their CDXJ come from the
//! bucket, so a package can be built after `keep_local` removed the local copies.
//!
//! It stages a copy of the archive's layout in a folder next to the output — every object this
//! instance recorded as verified, downloaded, plus the local `index/*.jsonl` (index files are
//! not shipped yet: issue 18 item 4) — and the `wacz` module packages that folder as usual.
//! Never writes into `archive_dir` or the bucket.

use std::path::Path;

use super::{Error, Remote};
use crate::config::Config;
use crate::store::Store;

/// Fills `staging` with `warc/`, `index/cdxj/` from the bucket and `index/*.jsonl` from the
/// local archive; returns how many objects were downloaded.
pub async fn stage(config: &Config, staging: &Path) -> Result<u64, Error> {
    let storage = config.storage.as_ref().ok_or(Error::NotConfigured)?;
    let remote = Remote::connect(storage)?;
    let archive_dir = &config.crawler.archive_dir;
    let store = Store::open_read_only(&archive_dir.join("state.sqlite"))?;
    let mkdir = |dir: &Path| {
        std::fs::create_dir_all(dir).map_err(|source| Error::Local {
            path: dir.to_path_buf(),
            source,
        })
    };
    mkdir(&staging.join("warc"))?;
    mkdir(&staging.join("index/cdxj"))?;
    let mut downloaded = 0;
    let shipped = store.uploaded()?.into_iter();
    for object in shipped.filter(|o| o.path.starts_with("warc/") || o.path.starts_with("index/")) {
        remote
            .download(&object.path, &staging.join(&object.path))
            .await?;
        downloaded += 1;
    }
    copy_index_lines(&archive_dir.join("index"), &staging.join("index"))?;
    Ok(downloaded)
}

fn copy_index_lines(from: &Path, to: &Path) -> Result<(), Error> {
    let local = |path: &Path, source| Error::Local {
        path: path.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(local(from, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| local(from, e))?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let target = to.join(path.file_name().unwrap_or_default());
            std::fs::copy(&path, &target).map_err(|e| local(&path, e))?;
        }
    }
    Ok(())
}

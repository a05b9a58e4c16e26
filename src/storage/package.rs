//! `baoluu wacz --from-storage` (issue 18 items 4 and 5): a package built from what the
//! bucket holds, so it can be made after `keep_local` removed the local copies.
//!
//! The WARC files the selection may pick — judged before downloading, from the portal in
//! their names and, with `--since`, from their CDXJ, which stays local — and the index
//! segments of the selected portals are fetched from the bucket when their local copy is gone
//! (`fetched`); local copies are read where present. The `wacz` module then packages the
//! archive and the fetched copies as one. Never writes into `archive_dir`'s own folders or
//! into the bucket.

use super::Error;
use super::fetched::{Reading, is_segment_of, reading};
use crate::config::Config;
use crate::wacz::{Selection, might_pick};

/// The sources of a package of `select` from the bucket (and local copies where present).
pub async fn stage(config: &Config, select: &Selection) -> Result<Reading, Error> {
    config.storage.as_ref().ok_or(Error::NotConfigured)?;
    let index_dir = crate::index::dir(&config.crawler.archive_dir);
    let wanted = |path: &str| match path.strip_prefix("warc/") {
        Some(name) => might_pick(&index_dir, name, select),
        None => {
            let cdxj = path
                .strip_prefix("index/cdxj/")
                .and_then(|n| n.strip_suffix(".cdxj"));
            match cdxj {
                Some(name) => might_pick(&index_dir, name, select),
                None => is_segment_of(path, "index", select.portal.as_deref()),
            }
        }
    };
    reading(config, wanted).await
}

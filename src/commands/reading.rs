//! The commands of the `baoluu` binary that read what earlier runs left: `status`, `changes`,
//! `verify` and `wacz`. Part of the binary, not the library (declared under src/commands,
//! from src/main.rs only). It never fetches a page or writes to the archive: it renders the
//! library's reports (`baoluu::report`, `baoluu::history`, `baoluu::verify`) or packages the
//! archive. With `[storage]`, files `keep_local` removed are read back from the bucket
//! (`baoluu::storage::fetched`, issue 18 item 4).

use anyhow::Context;
use baoluu::config::Config;
use baoluu::report;

use baoluu::storage::fetched;

use super::{print_stdout, runtime};

/// `status`: per portal, the last run, the next scheduled time and the portal's health.
pub(crate) fn status(config: &Config, json: bool) -> anyhow::Result<u8> {
    let (dir, now) = (&config.crawler.archive_dir, chrono::Utc::now());
    let text = match json {
        true => report::status_json(dir, config, now)?,
        false => report::status(dir, config, now)?,
    };
    print_stdout(&text);
    Ok(0)
}

/// `changes`: article edits, removals, restorations and moves, newest first.
pub(crate) fn changes(
    config: &Config,
    portal: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    json: bool,
) -> anyhow::Result<u8> {
    // Only the segments the output can show are fetched back: the filter's portal, changes
    // segments closed since `since`, and the index segments holding the versions the text
    // form's diffs compare.
    let filter = baoluu::history::Filter { portal, since };
    let reading = runtime()?.block_on(baoluu::storage::versions::for_changes(
        config, &filter, json,
    ));
    let reading = reading.context(FROM_BUCKET)?;
    let text = match json {
        true => baoluu::history::render_json(&reading.sources, &filter)?,
        false => baoluu::history::render_text(&reading.sources, &filter)?,
    };
    print_stdout(&text);
    Ok(0)
}

/// `verify`: the archive, and what `keep_local` removed read back from the bucket: the index
/// segments first, then the WARC files one at a time, each removed before the next is fetched
/// (a disk sized for `keep_local` holds one, not all).
pub(crate) fn verify(config: &Config) -> anyhow::Result<u8> {
    let runtime = runtime()?;
    let reading = runtime.block_on(fetched::reading_deferring(
        config,
        fetched::for_verify,
        fetched::is_warc,
    ));
    let reading = reading.context(FROM_BUCKET)?;
    let mut removed = Deferred {
        runtime: &runtime,
        files: reading.deferred.as_ref(),
    };
    match baoluu::verify::run_cli_removed(&reading.sources, &mut removed) {
        Err(baoluu::verify::Error::Removed { source, .. }) => {
            Err(anyhow::Error::from_boxed(source).context(FROM_BUCKET))
        }
        done => Ok(done?),
    }
}

/// The WARC files a reading left in the bucket, as `verify` brings them back: `warc/{name}`
/// fetched on the command's runtime.
struct Deferred<'a> {
    runtime: &'a tokio::runtime::Runtime,
    files: Option<&'a fetched::Deferred>,
}

impl baoluu::verify::Removed for Deferred<'_> {
    fn names(&self) -> Vec<String> {
        let paths = self.files.into_iter().flat_map(fetched::Deferred::paths);
        paths
            .filter_map(|p| p.strip_prefix("warc/").map(str::to_string))
            .collect()
    }

    fn bring(&mut self, name: &str) -> Result<std::path::PathBuf, baoluu::verify::BringError> {
        let files = self.files.ok_or("no file was left in the bucket")?;
        let path = format!("warc/{name}");
        Ok(self.runtime.block_on(files.fetch(&path))?)
    }

    fn release(&mut self, copy: &std::path::Path) -> Result<(), baoluu::verify::BringError> {
        let files = self.files.ok_or("no file was left in the bucket")?;
        Ok(files.discard(copy)?)
    }
}

/// `wacz`: the local files, and with `[storage]` those `keep_local` removed fetched back;
/// `--from-storage` requires `[storage]` (issue 18 item 5).
pub(crate) fn wacz(
    config: &Config,
    out: &std::path::Path,
    select: baoluu::wacz::Selection,
    from_storage: bool,
) -> anyhow::Result<u8> {
    let reading = match (from_storage, config.storage.is_some()) {
        (false, false) => fetched::Reading::of(&config.crawler.archive_dir),
        _ => runtime()?
            .block_on(baoluu::storage::package::stage(config, &select))
            .context(FROM_BUCKET)?,
    };
    Ok(baoluu::wacz::run_cli(&reading.sources, out, select)?)
}

const FROM_BUCKET: &str = "could not read the archive's removed files back from the bucket";

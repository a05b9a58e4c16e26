//! The commands of the `baoluu` binary that read what earlier runs left: `status`, `changes` and
//! `wacz --from-storage`. Part of the binary, not the library (declared under src/commands,
//! from src/main.rs only). It never fetches a page or writes to the archive: it renders the
//! library's reports (`baoluu::report`, `baoluu::history`) or packages what the bucket holds.

use anyhow::Context;
use baoluu::config::Config;
use baoluu::report;

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
    let filter = baoluu::history::Filter { portal, since };
    let dir = &config.crawler.archive_dir;
    let text = match json {
        true => baoluu::history::render_json(dir, &filter)?,
        false => baoluu::history::render_text(dir, &filter)?,
    };
    print_stdout(&text);
    Ok(0)
}

/// `wacz --from-storage`: the bucket's objects staged next to `out`, packaged, unstaged.
pub(crate) fn wacz_from_storage(
    config: &Config,
    out: &std::path::Path,
    portal: Option<String>,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<u8> {
    let staging = out.with_extension("wacz.staging");
    let staged = runtime()?.block_on(baoluu::storage::package::stage(config, &staging));
    let packaged = staged
        .context("could not read the archive from the bucket")
        .and_then(|_| Ok(baoluu::wacz::run_cli(&staging, out, portal, since)?));
    let _ = std::fs::remove_dir_all(&staging);
    packaged
}

//! `baoluu save URL...`: the archivist's "save this page now".
//!
//! Archives each URL given on the command line, with its redirect hops, through the same polite
//! path as the crawl ([`crate::crawl::Visitor`]): robots.txt first (fetched and archived),
//! one request at a time per host with the configured delay, every exchange recorded into
//! `archive_dir/warc/save-….warc.gz`. Redirects may lead anywhere the address guard allows
//! (the user named the URL; there is no portal scope here). It prints one line per URL and never
//! fails the command for one URL's trouble (design.md §2: per-URL failures are reported).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::archive::{self, Lock, Recorder};
use crate::config::Config;
use crate::crawl::{Hop, Visit, Visitor};

/// The WARC file prefix of `save` (design.md §2 "Archive layout").
pub const PREFIX: &str = "save";

/// What `save` did, one printable line per URL.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    /// URLs whose final response was archived.
    pub archived: usize,
}

/// Saves `urls` in order; stops taking new URLs once `cancel` fires.
pub async fn save(
    config: &Config,
    urls: &[String],
    cancel: CancellationToken,
) -> Result<Report, crate::crawl::Error> {
    let _lock = Lock::acquire(&config.crawler.archive_dir)?;
    let warc_dir = crate::crawl::recover(&config.crawler.archive_dir)?;
    let recorder = Arc::new(crate::crawl::start_recorder(config, &warc_dir)?);
    let visitor = crate::crawl::visitor(config, recorder.clone())?;
    let mut report = Report::default();
    for raw in urls {
        if cancel.is_cancelled() {
            report.lines.push(format!("{raw}\tnot saved: interrupted"));
            continue;
        }
        let line = save_one(&visitor, raw, &mut report).await?;
        report.lines.push(line);
    }
    drop(visitor);
    close(recorder).await?;
    Ok(report)
}

async fn save_one(
    visitor: &Visitor,
    raw: &str,
    report: &mut Report,
) -> Result<String, archive::Error> {
    let url = match Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        Ok(url) => {
            return Ok(format!(
                "{raw}\trefused: scheme `{}` is not archived, only http and https",
                url.scheme()
            ));
        }
        Err(err) => return Ok(format!("{raw}\trefused: not a URL ({err})")),
    };
    let visit = visitor.visit(&url, PREFIX, None, &|_| Ok(())).await?;
    Ok(describe(&url, &visit, report))
}

/// One line: the final status, bytes and record address, or why nothing was saved.
fn describe(url: &Url, visit: &Visit, report: &mut Report) -> String {
    let via = |hops: &[Hop]| -> String {
        hops.iter()
            .map(|h| format!(" [{} {}]", h.capture.status, h.capture.url))
            .collect::<Vec<_>>()
            .join("")
    };
    match visit {
        Visit::Archived { hops } => match hops.split_last() {
            Some((last, before)) => {
                report.archived += 1;
                let truncated = last
                    .capture
                    .truncated
                    .map(|t| format!(" truncated:{}", t.as_warc()))
                    .unwrap_or_default();
                format!(
                    "{url}\t{} {} bytes{truncated} -> {}@{}{}",
                    last.capture.status,
                    last.exchange.body.len(),
                    last.capture.filename,
                    last.capture.offset,
                    via(before),
                )
            }
            None => format!("{url}\tnot saved: nothing was fetched"),
        },
        Visit::Refused { hops, refusal } => format!("{url}\trefused: {refusal}{}", via(hops)),
        Visit::Failed { hops, error } => format!("{url}\tfailed: {error}{}", via(hops)),
    }
}

async fn close(recorder: Arc<Recorder>) -> Result<(), crate::crawl::Error> {
    match Arc::try_unwrap(recorder) {
        Ok(recorder) => Ok(recorder.close().await.map(|_| ())?),
        // Unreachable in practice (the visitor is dropped first); the writer thread still
        // closes its files when the last handle goes away.
        Err(_) => Ok(()),
    }
}

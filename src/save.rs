//! `baoluu save URL...`: the archivist's "save this page now".
//!
//! Archives each URL given on the command line, with its redirect hops, through the same polite
//! path as the crawl ([`crate::crawl::Visitor`]): robots.txt first (fetched and archived),
//! one request at a time per host with the configured delay, every exchange recorded into
//! `archive_dir/warc/save-….warc.gz`. Redirects may lead anywhere the address guard allows
//! (the user named the URL; there is no portal scope here): public addresses, and private ones
//! only at an exact `host:port` the configuration marks private (docs/guard.md), so a URL or
//! redirect to another port of a configured loopback address fails with `address-refused`. It prints one line per URL and never
//! fails the command for one URL's trouble (docs/configuration.md: per-URL failures are reported).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::archive::{self, Lock, Recorder};
use crate::config::Config;
use crate::crawl::{Hop, Visit, Visitor};

/// The WARC file prefix of `save` (docs/archive.md).
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
    let embed_hosts = config.named_hosts();
    let mut report = Report::default();
    for raw in urls {
        if cancel.is_cancelled() {
            report.lines.push(format!("{raw}\tnot saved: interrupted"));
            continue;
        }
        let line = save_one(&visitor, raw, &embed_hosts, &mut report).await?;
        report.lines.push(line);
    }
    drop(visitor);
    close(recorder).await?;
    Ok(report)
}

async fn save_one(
    visitor: &Visitor,
    raw: &str,
    embed_hosts: &[String],
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
    let mut line = describe(&url, &visit, report);
    if let Visit::Archived { hops } = &visit
        && let Some(page) = hops.last()
    {
        let requisites = requisites(page.clone(), embed_hosts.to_vec()).await;
        let mut saved = 0;
        for requisite in &requisites {
            if let Visit::Archived { .. } =
                visitor.visit(requisite, PREFIX, None, &|_| Ok(())).await?
            {
                saved += 1;
            }
        }
        if !requisites.is_empty() {
            line.push_str(&format!(" +{saved}/{} requisites", requisites.len()));
        }
    }
    Ok(line)
}

/// The page's images and stylesheets (issue 6: a saved page replays with its photos), on the
/// page's own host or a host a portal names: one embed hop, never further.
async fn requisites(page: Hop, embed_hosts: Vec<String>) -> Vec<Url> {
    if page.capture.status != 200 || !page.capture.mime.contains("html") {
        return Vec::new();
    }
    tokio::task::spawn_blocking(move || {
        let exchange = &page.exchange;
        let (kind, coding) = (
            exchange.header("content-type"),
            exchange.header("content-encoding"),
        );
        let max = crate::extract::MAX_DECODED;
        let Ok(decoded) =
            crate::extract::decode(&exchange.body, kind.as_deref(), coding.as_deref(), max)
        else {
            return Vec::new();
        };
        let url = &page.capture.url;
        let doc = scraper::Html::parse_document(&decoded.text);
        let article = crate::extract::extract_document(&doc, &decoded.text, url, None);
        let images = article
            .images
            .iter()
            .filter_map(|i| Url::parse(&i.url).ok());
        let stylesheets = crate::discover::discover_document(&doc, url).stylesheets;
        let own = crate::canonical::host_key(url);
        let mut found: Vec<Url> = images
            .chain(stylesheets)
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .filter(|u| {
                let host = crate::canonical::host_key(u);
                host == own
                    || embed_hosts
                        .iter()
                        .any(|h| *h == crate::config::host_without_port(&host))
            })
            .collect();
        found.dedup();
        found
    })
    .await
    .unwrap_or_default()
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

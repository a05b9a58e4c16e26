//! The archivists' status page (issue 19): a small read-only web UI the daemon serves on
//! `[crawler] metrics_listen`, next to `/metrics` (the metrics server routes the other paths here).
//!
//! `/` one row per portal (health from `crate::report::health`, the last and next run, articles
//! archived, a 30-day chart); `/portal/{name}?page=N` its newest articles with links to their
//! replay (`[crawler] replay_url`) and to their index line as JSON (`/article?url=URL`);
//! `/search?q=` articles by title or URL, diacritics-insensitive; `/changes` edits and
//! takedowns, newest first, from the portals' `changes/*.jsonl` (at most 200 rows).
//!
//! Every request opens the state database read-only (`Store::open_read_only`) and asks it
//! bounded questions (`LIMIT`ed, indexed), plus the newest run report; it never scans the index
//! files, never takes the crawl's locks, and never writes anything. Labels are Vietnamese
//! unless `ui_language = "en"`; every text from the archive is escaped.

mod chart;
pub mod html;
pub mod http;
mod lookup;
mod overview;

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::store::Store;
use html::Labels;
use http::{Handler, Reply};

/// The crawl-state file inside `archive_dir` (the one the crawl and `status` open).
const STATE_FILE: &str = "state.sqlite";

/// Why a page could not be built: the state or a run report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Report(#[from] crate::report::Error),
    #[error("the index line of {url} could not be read from its WARC record: {detail}")]
    IndexLine { url: String, detail: String },
}

/// What the pages read: the configuration (portals, schedules, replay URL, language) and the
/// archive it names.
#[derive(Debug, Clone)]
pub struct Site {
    config: Arc<Config>,
}

impl Site {
    pub fn new(config: Config) -> Site {
        Site {
            config: Arc::new(config),
        }
    }

    fn archive_dir(&self) -> &PathBuf {
        &self.config.crawler.archive_dir
    }

    fn labels(&self) -> &'static Labels {
        html::labels(self.config.crawler.ui_language)
    }

    /// The store, read-only, or `None` before the first crawl created it (a page must not
    /// create state).
    fn store(&self) -> Result<Option<Store>, Error> {
        let path = self.archive_dir().join(STATE_FILE);
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(Store::open_read_only(&path)?))
    }

    /// The pages as an HTTP handler (the metrics server calls it for every path but `/metrics`).
    pub fn handler(self) -> Handler {
        Arc::new(move |method, target| self.answer(method, target))
    }

    /// One request: GET only; a failure is a 500 page that says what could not be read.
    pub fn answer(&self, method: &str, target: &str) -> Reply {
        if method != "GET" {
            return Reply::new(
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                "read-only: GET only\n",
            );
        }
        let now = chrono::Utc::now();
        let path = http::path(target);
        let result = match path {
            "/" => overview::overview(self, now).map(Some),
            "/search" => lookup::search(self, &http::query_param(target, "q").unwrap_or_default()),
            "/article" => {
                lookup::article(self, &http::query_param(target, "url").unwrap_or_default())
            }
            "/changes" => Ok(Some(lookup::changes(self))),
            _ => match path.strip_prefix("/portal/") {
                Some(name) => overview::portal(self, name, page_number(target)),
                None => Ok(None),
            },
        };
        match result {
            Ok(Some(reply)) => reply,
            Ok(None) => self.not_found(),
            Err(err) => {
                tracing::warn!(%err, target, "status_page_failed");
                let l = self.labels();
                let body = format!("<p class=\"bad\">{}</p>", html::esc(&err.to_string()));
                let mut reply = Reply::html(html::page(l, l.failed, &body));
                reply.status = "500 Internal Server Error";
                reply
            }
        }
    }

    fn not_found(&self) -> Reply {
        let l = self.labels();
        let mut reply = Reply::html(html::page(l, l.not_found, ""));
        reply.status = "404 Not Found";
        reply
    }
}

/// `?page=N`, 1-based; anything else is page 1.
fn page_number(target: &str) -> u32 {
    http::query_param(target, "page")
        .and_then(|p| p.parse().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1)
}

//! The plain types that go in and out of the store.

use chrono::{DateTime, Utc};

use crate::outcome::Label;
use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};

/// What kind of page a URL is; decides its priority and whether a later run fetches it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A portal's configured start page.
    Seed,
    /// A section or pagination page (`listing_urls`).
    Listing,
    /// An article page (`article_urls`).
    Article,
    /// A robots.txt file.
    Robots,
    /// A sitemap, sitemap index or RSS/Atom feed: a discovery source (issue 9).
    Feed,
    /// Anything else in scope (feeds, sitemaps, page requisites).
    Other,
    /// A page that matches no pattern but a sitemap or feed lists, or whose URL looks like an
    /// article's (issue 14): fetched within the portal's `explore_pages` budget and indexed
    /// only when its content shows an article.
    Probable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Seed => "seed",
            Kind::Listing => "listing",
            Kind::Article => "article",
            Kind::Robots => "robots",
            Kind::Feed => "feed",
            Kind::Other => "other",
            Kind::Probable => "probable",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Seed,
            Kind::Listing,
            Kind::Article,
            Kind::Robots,
            Kind::Feed,
            Kind::Other,
            Kind::Probable,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == s)
    }

    /// Lower is fetched first within a host: robots.txt before anything it governs, then
    /// seeds, then listings, sitemaps and feeds before articles (issue 3), so new articles are
    /// found early. Articles a feed or sitemap dates after the last run are raised to
    /// [`FRESH_ARTICLE`] (issue 9).
    pub fn priority(self) -> i64 {
        match self {
            Kind::Robots => 0,
            Kind::Seed => 1,
            Kind::Listing | Kind::Feed => 2,
            Kind::Article | Kind::Probable => 4,
            Kind::Other => 5,
        }
    }

    /// Seeds and listings change between runs and are fetched in every run; robots.txt is
    /// queued only when its cache expired. An article archived once is never fetched again
    /// (issue 3); "other" (feeds' items, requisites) behaves like an article.
    pub fn refetched_each_run(self) -> bool {
        matches!(self, Kind::Seed | Kind::Listing | Kind::Robots | Kind::Feed)
    }
}

/// The priority of an article that a feed or sitemap dates after the portal's last run: after
/// every discovery page, before the other articles (issue 9).
pub const FRESH_ARTICLE: i64 = 3;

impl ToSql for Kind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Kind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Kind::parse(text).ok_or_else(|| FromSqlError::Other(Box::new(UnknownKind(text.into()))))
    }
}

impl ToSql for Label {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Label {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A `kind` column value this build does not know (a newer baoluu or another program wrote it).
#[derive(Debug, thiserror::Error)]
#[error("unknown url kind `{0}`")]
struct UnknownKind(String);

/// A URL the crawl wants fetched, with what it knows about how it got there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Canonical URL (the dedup key).
    pub url: String,
    pub portal: String,
    /// Host key of the politeness queue (host or host:port).
    pub host: String,
    pub kind: Kind,
    /// Links followed from a seed.
    pub depth: u32,
    /// The page this URL was found on.
    pub via: Option<String>,
    /// Position in a pagination chain (0 for a chain's first page).
    pub chain_page: u32,
    /// Consecutive chain pages that yielded no new article.
    pub chain_stale: u32,
}

/// What [`crate::store::Store::enqueue`] did with a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Never seen before: queued.
    New,
    /// Seen in an earlier run and queued again for this one (a seed or listing, or a URL left
    /// queued by an abandoned run).
    Requeued,
    /// Nothing to do: queued, in flight or finished in this run, or an article already done.
    Known,
}

/// Where a capture's response record lies in a WARC file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarcPointer {
    /// Final file name, relative to `archive_dir/warc`.
    pub file: String,
    pub offset: u64,
    pub length: u64,
}

/// How the fetch of one URL ended, as recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// What became of the URL; stored as [`Label::as_str`].
    pub label: Label,
    /// Human detail for reports (why it failed or was skipped).
    pub reason: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    /// Set when the response was archived.
    pub warc: Option<WarcPointer>,
    pub payload_digest: Option<String>,
    pub record_id: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Outcome {
    /// An outcome with only a label (failures, skips).
    pub fn labelled(label: Label) -> Outcome {
        Outcome {
            status: None,
            label,
            reason: None,
            fetched_at: None,
            warc: None,
            payload_digest: None,
            record_id: None,
            etag: None,
            last_modified: None,
        }
    }
}

/// What an earlier capture of a URL left behind: validators for a conditional GET and the
/// digest and record id a revisit record refers to (WARC 1.1 §6.7.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prior {
    /// WARC-Date (RFC 3339) of the capture `warc` points at, for WARC-Refers-To-Date.
    pub captured_at: Option<String>,
    pub warc: Option<WarcPointer>,
    pub payload_digest: Option<String>,
    pub record_id: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The run a crawl works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    /// True when an unfinished run for the same portals was picked up again.
    pub resumed: bool,
}

/// How a run stands. Only `Completed` ends it; any other status keeps it resumable, so the
/// next `baoluu crawl` for the same portals continues where it stopped (issue 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    /// Stopped by a signal or the disk guard (exit 75).
    Interrupted,
    /// Stopped by a fatal error (exit 1); resumed once the cause is fixed.
    Failed,
    Completed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
            RunStatus::Completed => "completed",
        }
    }
}

/// Counts of a run's URLs by state, and of its finished URLs by outcome label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub queued: u64,
    pub inflight: u64,
    pub done: u64,
    pub failed: u64,
    /// Sorted by label spelling.
    pub by_outcome: Vec<(Label, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_roundtrips_and_orders_listings_first() {
        for kind in [
            Kind::Seed,
            Kind::Listing,
            Kind::Article,
            Kind::Robots,
            Kind::Feed,
            Kind::Other,
        ] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("page"), None);
        assert!(Kind::Listing.priority() < Kind::Article.priority());
        assert!(Kind::Robots.priority() < Kind::Seed.priority());
        assert!(Kind::Listing.refetched_each_run() && !Kind::Article.refetched_each_run());
        assert!(Kind::Feed.priority() < FRESH_ARTICLE && FRESH_ARTICLE < Kind::Article.priority());
    }
}

//! The documented defaults of every optional configuration key (docs/configuration.md, the two tables).
//!
//! The validation phase of the `config` stage applies them; `check-config` shows the result.
//! Changing one of these changes what an unedited configuration does: update docs/architecture.md with it.

use std::time::Duration;

use super::units::{GIB, MIB};

/// `crawler.archive_dir`, relative to the main configuration file's folder.
pub const DEFAULT_ARCHIVE_DIR: &str = "../archive";
/// `crawler.min_delay`: per-host gap from the end of a response to the next request.
pub const DEFAULT_MIN_DELAY: Duration = Duration::from_secs(2);
/// `crawler.delay_factor`: adaptive delay = factor × duration of the last fetch (0 disables).
pub const DEFAULT_DELAY_FACTOR: f64 = 2.0;
/// `crawler.max_delay`: cap of the adaptive part of the delay.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(30);
/// `crawler.crawl_delay_cap`: largest robots.txt Crawl-delay honoured.
pub const DEFAULT_CRAWL_DELAY_CAP: Duration = Duration::from_secs(300);
/// `crawler.max_in_flight`: fetches in flight across all hosts (docs/architecture.md rule 4).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;
/// `crawler.connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `crawler.read_timeout`.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// `crawler.total_timeout`.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(120);
/// `crawler.max_body`: body cap for pages, 20 MiB.
pub const DEFAULT_MAX_BODY: u64 = 20 * MIB;
/// `crawler.max_feed_body`: body cap for sitemaps and feeds, 50 MiB (sitemaps.org allows
/// 50 MB uncompressed per sitemap).
pub const DEFAULT_MAX_FEED_BODY: u64 = 50 * MIB;
/// `crawler.max_redirects`.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;
/// `crawler.retries`: per URL within a run, for transient failures.
pub const DEFAULT_RETRIES: u32 = 2;
/// `crawler.second_chances`: later runs that try again a URL that failed transiently (issue 5).
pub const DEFAULT_SECOND_CHANCES: u32 = 3;
/// `crawler.warc_max_size`: WARC rotation size, 1 GB (SI, as the WARC guidelines state it).
pub const DEFAULT_WARC_MAX_SIZE: u64 = 1_000_000_000;
/// `crawler.grace_period`: drain time after SIGTERM (docs/architecture.md rule 5).
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
/// `crawler.min_free_space`: the disk guard, 2 GiB.
pub const DEFAULT_MIN_FREE_SPACE: u64 = 2 * GIB;

/// `portal.max_listing_pages`: pages followed in one pagination chain (0: follow none).
pub const DEFAULT_MAX_LISTING_PAGES: u32 = 50;
/// `portal.stale_listing_pages`: stop a chain after this many pages with no new article.
pub const DEFAULT_STALE_LISTING_PAGES: u32 = 2;
/// `portal.backfill_pages`: pages a `crawl --backfill` run walks past the last backfill's
/// depth in each pagination chain (issue 5).
pub const DEFAULT_BACKFILL_PAGES: u32 = 10;
/// `portal.explore_pages`: pages per run fetched to check, by their content, links and
/// sitemap/feed entries that look like articles but match no pattern (issue 14; 0: none).
pub const DEFAULT_EXPLORE_PAGES: u32 = 30;
/// `portal.revisit`: the revisit ladder, ages since first capture in seconds: 1 day, 7 days,
/// 30 days (issue 15).
pub const DEFAULT_REVISIT: [u64; 3] = [86_400, 7 * 86_400, 30 * 86_400];
/// `portal.revisit_budget`: revisits queued per portal per run at most (issue 15).
pub const DEFAULT_REVISIT_BUDGET: u32 = 200;
/// `portal.schedule`: used by `baoluu daemon`.
pub const DEFAULT_SCHEDULE: &str = "every 2h";

/// `storage.region`: what S3-compatible servers other than AWS usually accept.
pub const DEFAULT_STORAGE_REGION: &str = "us-east-1";
/// `storage.concurrency`: uploads in flight at once (issue 18: bounded, beside the crawl).
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 2;
/// `storage.drain_timeout`: how long a one-shot `crawl` keeps uploading after its run before
/// it exits; what is left goes with the next run (issue 18 item 2).
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(300);
/// `storage.segment_size`: an index or changes file past this size is closed into a segment
/// and shipped (issue 18 item 4); 64 MiB keeps a segment quick to upload and to read back.
pub const DEFAULT_SEGMENT_SIZE: u64 = 64 * 1024 * 1024;
/// `storage.profile`: the section of the shared-credentials file.
pub const DEFAULT_CREDENTIALS_PROFILE: &str = "default";

//! Configuration: `crawl-config/*.toml` → a validated [`Config`].
//!
//! First stage of the pipeline (docs/configuration.md, docs/architecture.md rule 3). Loading happens in two phases: a raw
//! serde mirror of the TOML (unknown keys are errors, durations and sizes are strings), then a
//! validated `Config` holding real objects (compiled regexes, parsed URLs, `Duration`s). Every
//! error names the file, the line and the key, so `main` can print it and exit 78.
//! This module never touches the network.
//!
//! Files: `raw` (the serde mirror), `document` (a file's text and how to locate a key in it),
//! `validate` (raw → validated, defaults from `defaults`), `syntax` (shapes of user agents, hosts,
//! schedules), `units` (sizes and durations), `load` (main file + portal globs, checks across
//! portals), `describe` (the `check-config` report), `family` (CMS family presets: selectors and
//! URL patterns a portal inherits with `family = "…"`).

mod contact;
mod defaults;
mod describe;
mod document;
pub mod family;
mod load;
mod raw;
pub mod shard;
pub(crate) mod storage;
mod syntax;
pub mod units;
mod validate;
mod web;

#[cfg(test)]
mod tests;

pub use defaults::*;
pub use web::UiLanguage;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use url::Url;

/// The validated configuration of one baoluu process.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main file this configuration was read from (other files come from `portals` globs).
    pub source: PathBuf,
    pub crawler: Crawler,
    /// Every `[[portal]]` from the main file and the `portals` globs, in file order; names unique.
    pub portals: Vec<Portal>,
    /// `[storage]`, when the archive is also kept in an S3-compatible bucket (issue 18).
    pub storage: Option<Storage>,
    /// `--shard K/N`: this instance runs only its share of the portals (issue 18 item 5);
    /// `portals` is already filtered. `None`: every portal.
    pub shard: Option<shard::Shard>,
}

/// `[storage]` with defaults applied (docs/storage.md).
#[derive(Debug, Clone)]
pub struct Storage {
    pub bucket: String,
    /// Without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// For servers other than AWS (MinIO, Garage, s3s-fs): path-style requests go here.
    pub endpoint: Option<Url>,
    pub region: String,
    /// `None` only for commands that never upload (`status`) when no credentials are set.
    pub credentials: Option<Keys>,
    /// This process's folder in the bucket: `{prefix}/{instance}/…`. Default: the host name.
    pub instance: String,
    /// How long a verified upload's WARC stays on local disk; `None`: forever (the default).
    pub keep_local: Option<Duration>,
    pub concurrency: usize,
    pub drain_timeout: Duration,
    /// Index and changes files past this size are closed into segments (issue 18 item 4).
    pub segment_size: u64,
}

/// An access key pair; `Debug` never shows the secret.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Where they came from, for messages: the environment or the credentials file.
    pub source: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} from {})", self.access_key_id, self.source)
    }
}

/// The `[crawler]` table with defaults applied (docs/configuration.md lists them).
#[derive(Debug, Clone)]
pub struct Crawler {
    pub user_agent: String,
    pub from: Option<String>,
    /// Resolved against the main config file's folder when relative.
    pub archive_dir: PathBuf,
    pub min_delay: Duration,
    pub delay_factor: f64,
    pub max_delay: Duration,
    pub crawl_delay_cap: Duration,
    pub max_in_flight: usize,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub total_timeout: Duration,
    pub max_body: u64,
    /// Body cap for sitemaps and feeds (issue 9): larger than pages, apart from `max_body`.
    pub max_feed_body: u64,
    pub max_redirects: u32,
    pub retries: u32,
    /// Later runs that try again a URL that failed transiently after its `retries`, before it
    /// is given up (issue 5). Default 3.
    pub second_chances: u32,
    pub warc_max_size: u64,
    pub grace_period: Duration,
    pub min_free_space: u64,
    pub metrics_listen: Option<SocketAddr>,
    /// The operator's ceiling on requests across all portals (`"5/s"`: a shared office link),
    /// on top of the per-host politeness; `None` (the default) sets none.
    pub max_rate: Option<units::Rate>,
    /// Where the status page links an article's replay (`{ts}/{url}` appended); issue 19.
    pub replay_url: Option<Url>,
    /// The status page's labels: Vietnamese unless `ui_language = "en"`.
    pub ui_language: UiLanguage,
    /// The operator's contact from `BAOLUU_CONTACT`, already applied to `user_agent` and
    /// `from` (issue 13 item 13; `contact.rs` says how); `None` when unset.
    pub contact: Option<String>,
}

/// One `[[portal]]`: a newspaper, possibly spread over several hosts.
#[derive(Debug, Clone)]
pub struct Portal {
    /// `[a-z0-9_-]+`: it becomes part of WARC and index file names.
    pub name: String,
    pub seeds: Vec<Url>,
    /// Lowercase `host` or `host:port` entries.
    pub hosts: Vec<String>,
    pub article_urls: Vec<Regex>,
    pub listing_urls: Vec<Regex>,
    /// URLs matching any of these are neither articles nor listings, even when a pattern above
    /// matches (added to the pinned interface: Rust regexes have no look-ahead, so "any section
    /// except /video/" cannot be written inside `article_urls`). Default: none.
    pub exclude_urls: Vec<Regex>,
    pub min_delay: Option<Duration>,
    pub max_listing_pages: u32,
    pub stale_listing_pages: u32,
    /// Pages `crawl --backfill` walks past the last backfill's depth in each pagination chain.
    pub backfill_pages: u32,
    /// Pages per run fetched to recognise articles by their content among URLs that match no
    /// pattern (issue 14, part 3); 0 disables exploration.
    pub explore_pages: u32,
    pub schedule: String,
    pub revisit_after: Option<Duration>,
    /// Ages since an article's first capture at which it is fetched again (issue 15); empty
    /// turns the ladder off. `revisit_after`, when set, is used instead.
    pub revisit: Vec<Duration>,
    /// Revisits queued per run at most (issue 15).
    pub revisit_budget: u32,
    pub feeds: Vec<Url>,
    pub merged_into: Option<String>,
    /// The CMS family preset named by `family` (see [`family::preset`]); its selectors and,
    /// where the portal gives none, its patterns are already applied to the fields above/below.
    pub family: Option<String>,
    pub embed_hosts: Vec<String>,
    /// The operator's word that this portal's host names are private (an intranet mirror):
    /// they may resolve to private, loopback or link-local addresses (issue 13 item 6). IP
    /// literals and `localhost` need no opt-in. Default false.
    pub allow_private_addresses: bool,
    /// The portal's own `[portal.selectors]` over its family preset's (field by field, `remove`
    /// lists concatenated); `None` when it has neither (generic extractor).
    pub selectors: Option<Selectors>,
    /// `example_articles`: URLs the profile's author says are articles of this portal (issue 14
    /// part 6), so its patterns can be tested without the network. Each is an http(s) URL on
    /// one of `hosts` (checked at load time); whether each is real or only shaped after the
    /// site's patterns is said in the profile's comments (VERIFIED / INFERRED). Default: none.
    pub example_articles: Vec<Url>,
    /// `example_listings`: the same for section and pagination pages. Default: none.
    pub example_listings: Vec<Url>,
}

/// `[portal.selectors]`: CSS selectors for a known CMS family (checked to parse at load time).
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub title: Option<String>,
    pub lead: Option<String>,
    pub body: Option<String>,
    pub published: Option<String>,
    pub byline: Option<String>,
    pub remove: Vec<String>,
}

/// A configuration problem, located so a person can fix it.
#[derive(Debug, thiserror::Error)]
#[error("{}{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!(": key `{k}`")).unwrap_or_default())]
pub struct Error {
    pub file: PathBuf,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted key path such as `crawler.min_delay` or `portal[2].article_urls`.
    pub key: Option<String>,
    pub message: String,
}

impl Config {
    /// Reads and validates the main file and every file its `portals` globs name.
    ///
    /// `path` is used as given (the CLI decides the default); relative `archive_dir` and
    /// `crawler.portals` globs resolve against its folder.
    /// The operator's contact comes from the `BAOLUU_CONTACT` environment variable, when set
    /// (docs/guard.md); a placeholder contact is refused when some portal is public.
    pub fn load(path: &std::path::Path) -> Result<Config, Error> {
        let contact = contact::from_env(path)?;
        load::load(path, contact.as_deref(), true)
    }

    /// [`Config::load`] for commands that never fetch (`extract`, `status`, `verify`, `wacz`):
    /// a placeholder contact is let through, since no site operator will read it.
    pub fn load_to_read(path: &std::path::Path) -> Result<Config, Error> {
        let contact = contact::from_env(path)?;
        load::load(path, contact.as_deref(), false)
    }

    /// [`Config::load`] with the contact given here instead of read from the environment.
    pub fn load_with_contact(
        path: &std::path::Path,
        contact: Option<&str>,
    ) -> Result<Config, Error> {
        load::load(path, contact, true)
    }

    /// The portal with this name, if configured.
    pub fn portal(&self, name: &str) -> Option<&Portal> {
        self.portals.iter().find(|p| p.name == name)
    }

    /// The `hosts` and `embed_hosts` entries, exactly as validated (`host` or `host:port`), that
    /// are private by configuration: an IP literal in a restricted range, `localhost`, or any
    /// entry of a portal with `allow_private_addresses`. Only these exact authorities may reach
    /// a private, loopback or link-local address (the fetch stage's address guard, issue 13
    /// item 6); a public name whose DNS answers 10.x is refused.
    pub fn private_authorities(&self) -> Vec<String> {
        let mut entries: Vec<String> = self
            .portals
            .iter()
            .flat_map(|p| {
                let entries = p.hosts.iter().chain(p.embed_hosts.iter());
                entries.filter(|h| p.allow_private_addresses || is_private_entry(h))
            })
            .cloned()
            .collect();
        entries.sort();
        entries.dedup();
        entries
    }

    /// Hosts (without port, lowercase) that some portal names: pages' requisites on them are
    /// saved with the page (`baoluu save`).
    pub fn named_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .portals
            .iter()
            .flat_map(|p| p.hosts.iter().chain(p.embed_hosts.iter()))
            .map(|h| host_without_port(h).to_string())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

impl Portal {
    /// The key learned shapes are stored under: a hash of the profile's patterns, so that an edit
    /// of `article_urls` or `listing_urls` starts learning afresh.
    pub fn profile_key(&self) -> String {
        use sha1::Digest;
        let mut hasher = sha1::Sha1::new();
        for re in &self.article_urls {
            hasher.update(re.as_str().as_bytes());
            hasher.update(b"\n");
        }
        hasher.update(b"--\n");
        for re in &self.listing_urls {
            hasher.update(re.as_str().as_bytes());
            hasher.update(b"\n");
        }
        data_encoding::HEXLOWER.encode(&hasher.finalize()[..8])
    }

    /// Whether every host and embed host of this portal is private by configuration: such a
    /// portal is never fetched over the internet (issue 13 item 13: a placeholder contact is
    /// refused for every other portal).
    pub fn is_private(&self) -> bool {
        let mut entries = self.hosts.iter().chain(self.embed_hosts.iter());
        self.allow_private_addresses || entries.all(|h| is_private_entry(h))
    }
}

/// A `hosts` entry that is private by its spelling alone: `localhost`, or an IP literal in a
/// range the address guard restricts (loopback, RFC 1918, link-local, …).
pub fn is_private_entry(entry: &str) -> bool {
    let host = host_without_port(entry);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    literal
        .parse::<std::net::IpAddr>()
        .is_ok_and(crate::addresses::is_restricted)
}

/// `example.org:8080` → `example.org`; `[::1]:80` → `[::1]`.
pub fn host_without_port(entry: &str) -> &str {
    if entry.starts_with('[') {
        return entry.split_inclusive(']').next().unwrap_or(entry);
    }
    entry.split(':').next().unwrap_or(entry)
}

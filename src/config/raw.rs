//! The raw serde mirror of the configuration TOML (docs/architecture.md rule 3, phase one).
//!
//! Every table denies unknown keys, so a misspelt key is an error instead of a silent default.
//! Values that need checking later keep their position (`Spanned`), so the validation phase can
//! name the line. Durations and sizes stay text here; `validate` turns them into real values.
//! This module does no I/O and applies no defaults.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

/// A positioned string, the most common raw value.
pub type Text = Spanned<String>;

/// The main file: one `[crawler]` table and any number of `[[portal]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MainFile {
    pub crawler: Spanned<RawCrawler>,
    #[serde(default)]
    pub portal: Vec<Spanned<RawPortal>>,
    /// `[storage]`: the S3-compatible bucket closed files are uploaded to (issue 18).
    pub storage: Option<Spanned<RawStorage>>,
}

/// `[storage]` (docs/storage.md). The secret-looking keys are read only so that an inline
/// secret is refused by name, with the way to pass it instead (issue 18: never inline secrets).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub url: Text,
    pub endpoint: Option<Text>,
    pub region: Option<Text>,
    pub credentials_file: Option<Text>,
    pub profile: Option<Text>,
    pub instance: Option<Text>,
    /// A duration, or `"forever"`: read as text, checked by `validate`.
    pub keep_local: Option<Text>,
    pub concurrency: Option<Spanned<usize>>,
    pub drain_timeout: Option<Spanned<RawDuration>>,
    pub segment_size: Option<Spanned<RawSize>>,
    pub secret_access_key: Option<Text>,
    pub aws_secret_access_key: Option<Text>,
    pub access_key_id: Option<Text>,
    pub aws_access_key_id: Option<Text>,
}

/// A file named by a `crawler.portals` glob: only `[[portal]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalFile {
    #[serde(default)]
    pub portal: Vec<Spanned<RawPortal>>,
}

/// `[crawler]`, every key as written (docs/configuration.md, first table).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCrawler {
    pub user_agent: Text,
    pub from: Option<Text>,
    pub archive_dir: Option<Text>,
    /// Globs of further files holding `[[portal]]` tables, relative to the main file's folder.
    #[serde(default)]
    pub portals: Vec<Text>,
    pub min_delay: Option<Spanned<RawDuration>>,
    pub delay_factor: Option<Spanned<f64>>,
    pub max_delay: Option<Spanned<RawDuration>>,
    pub crawl_delay_cap: Option<Spanned<RawDuration>>,
    pub max_in_flight: Option<Spanned<usize>>,
    pub connect_timeout: Option<Spanned<RawDuration>>,
    pub read_timeout: Option<Spanned<RawDuration>>,
    pub total_timeout: Option<Spanned<RawDuration>>,
    pub max_body: Option<Spanned<RawSize>>,
    pub max_feed_body: Option<Spanned<RawSize>>,
    pub max_redirects: Option<u32>,
    pub retries: Option<u32>,
    pub second_chances: Option<u32>,
    pub warc_max_size: Option<Spanned<RawSize>>,
    pub grace_period: Option<Spanned<RawDuration>>,
    pub min_free_space: Option<Spanned<RawSize>>,
    pub metrics_listen: Option<Text>,
    /// `"5/s"`, `"120/min"`: a ceiling on requests across every portal (issue 16).
    pub max_rate: Option<Text>,
    /// The status page's replay links and labels (issue 19).
    pub replay_url: Option<Text>,
    pub ui_language: Option<Text>,
}

/// One `[[portal]]` (docs/configuration.md, second table).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPortal {
    pub name: Text,
    pub seeds: Spanned<Vec<Text>>,
    pub hosts: Spanned<Vec<Text>>,
    /// Required unless `family` names a preset, which then generates it (so are the two below).
    pub article_urls: Option<Spanned<Vec<Text>>>,
    pub listing_urls: Option<Vec<Text>>,
    /// Default: none, or the family's when `family` is set.
    pub exclude_urls: Option<Vec<Text>>,
    pub min_delay: Option<Spanned<RawDuration>>,
    pub max_listing_pages: Option<u32>,
    pub stale_listing_pages: Option<u32>,
    pub backfill_pages: Option<u32>,
    pub explore_pages: Option<u32>,
    pub schedule: Option<Text>,
    pub revisit_after: Option<Spanned<RawDuration>>,
    /// The revisit ladder: ages since first capture (issue 15).
    pub revisit: Option<Vec<Spanned<RawDuration>>>,
    pub revisit_budget: Option<u32>,
    #[serde(default)]
    pub feeds: Vec<Text>,
    pub merged_into: Option<Text>,
    pub family: Option<Text>,
    #[serde(default)]
    pub embed_hosts: Vec<Text>,
    /// Opt-in: this portal's host names may resolve to private addresses (issue 13 item 6).
    pub allow_private_addresses: Option<bool>,
    pub selectors: Option<RawSelectors>,
    /// URLs the profile says are articles / listings (issue 14 part 6): plain strings.
    #[serde(default)]
    pub example_articles: Vec<Text>,
    #[serde(default)]
    pub example_listings: Vec<Text>,
}

/// `[portal.selectors]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelectors {
    pub title: Option<Text>,
    pub lead: Option<Text>,
    pub body: Option<Text>,
    pub published: Option<Text>,
    pub byline: Option<Text>,
    #[serde(default)]
    pub remove: Vec<Text>,
}

/// A duration as written ("2s"); only strings are accepted, so `min_delay = 2` is an error
/// instead of a guess about the unit.
#[derive(Debug)]
pub struct RawDuration(pub String);

/// A size as written: "20MiB", "1GB", "1024", or a plain non-negative integer of bytes.
#[derive(Debug)]
pub enum RawSize {
    Text(String),
    Bytes(u64),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = RawDuration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a duration string such as \"500ms\", \"2s\" or \"30d\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDuration, E> {
        Ok(RawDuration(v.to_string()))
    }
}

impl<'de> Deserialize<'de> for RawSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizeVisitor)
    }
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = RawSize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a size such as \"20MiB\", \"1GB\" or a non-negative number of bytes")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSize, E> {
        Ok(RawSize::Text(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSize, E> {
        Ok(RawSize::Bytes(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSize, E> {
        u64::try_from(v)
            .map(RawSize::Bytes)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }
}

//! Phase two of loading (docs/architecture.md rule 3): raw TOML values → the validated [`Crawler`] and [`Portal`].
//!
//! Applies the documented defaults (`defaults.rs`), parses durations and sizes, compiles regexes
//! and CSS selectors, parses URLs and host entries, applies a portal's CMS family preset
//! (`family`), and locates every problem by file, line and key. Checks that span several
//! portals (duplicate names, `merged_into`) live in `load`. Never reads files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use toml::Spanned;
use url::Url;

use super::defaults::*;
use super::document::{Document, portal_key};
use super::raw::{RawCrawler, RawDuration, RawPortal, RawSelectors, RawSize, Text};
use super::syntax::{
    authority, check_from, check_portal_name, check_schedule, check_user_agent, host_entry,
};
use super::units::{parse_duration, parse_rate, parse_size};
use super::{Crawler, Error, Portal, Selectors, family};

/// Where values of one table are reported: the file and the table's dotted key.
pub(super) struct Table<'a> {
    doc: &'a Document,
    key: String,
}

impl Table<'_> {
    pub(super) fn error<T>(
        &self,
        value: &Spanned<T>,
        field: &str,
        message: impl Into<String>,
    ) -> Error {
        self.doc.at(value, format!("{}.{field}", self.key), message)
    }

    fn duration(
        &self,
        value: Option<&Spanned<RawDuration>>,
        field: &str,
    ) -> Result<Option<Duration>, Error> {
        value
            .map(|v| parse_duration(&v.get_ref().0).map_err(|m| self.error(v, field, m)))
            .transpose()
    }

    fn size(
        &self,
        value: Option<&Spanned<RawSize>>,
        field: &str,
        default: u64,
    ) -> Result<u64, Error> {
        match value.map(|v| (v, v.get_ref())) {
            None => Ok(default),
            Some((_, RawSize::Bytes(n))) => Ok(*n),
            Some((v, RawSize::Text(t))) => parse_size(t).map_err(|m| self.error(v, field, m)),
        }
    }
}

/// Validates `[crawler]`; relative `archive_dir` resolves against the main file's folder.
pub fn crawler(doc: &Document, raw: &RawCrawler) -> Result<Crawler, Error> {
    let t = Table {
        doc,
        key: "crawler".to_string(),
    };
    let ua = &raw.user_agent;
    check_user_agent(ua.get_ref()).map_err(|m| t.error(ua, "user_agent", m))?;
    let from = raw.from.as_ref().map(|f| from_address(&t, f)).transpose()?;
    Ok(Crawler {
        user_agent: ua.get_ref().trim().to_string(),
        from,
        archive_dir: archive_dir(&t, raw.archive_dir.as_ref())?,
        min_delay: t
            .duration(raw.min_delay.as_ref(), "min_delay")?
            .unwrap_or(DEFAULT_MIN_DELAY),
        delay_factor: delay_factor(&t, raw.delay_factor.as_ref())?,
        max_delay: t
            .duration(raw.max_delay.as_ref(), "max_delay")?
            .unwrap_or(DEFAULT_MAX_DELAY),
        crawl_delay_cap: (t.duration(raw.crawl_delay_cap.as_ref(), "crawl_delay_cap")?)
            .unwrap_or(DEFAULT_CRAWL_DELAY_CAP),
        max_in_flight: max_in_flight(&t, raw.max_in_flight.as_ref())?,
        connect_timeout: (t.duration(raw.connect_timeout.as_ref(), "connect_timeout")?)
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        read_timeout: t
            .duration(raw.read_timeout.as_ref(), "read_timeout")?
            .unwrap_or(DEFAULT_READ_TIMEOUT),
        total_timeout: (t.duration(raw.total_timeout.as_ref(), "total_timeout")?)
            .unwrap_or(DEFAULT_TOTAL_TIMEOUT),
        max_body: t.size(raw.max_body.as_ref(), "max_body", DEFAULT_MAX_BODY)?,
        max_feed_body: t.size(
            raw.max_feed_body.as_ref(),
            "max_feed_body",
            DEFAULT_MAX_FEED_BODY,
        )?,
        max_redirects: raw.max_redirects.unwrap_or(DEFAULT_MAX_REDIRECTS),
        retries: raw.retries.unwrap_or(DEFAULT_RETRIES),
        second_chances: raw.second_chances.unwrap_or(DEFAULT_SECOND_CHANCES),
        warc_max_size: t.size(
            raw.warc_max_size.as_ref(),
            "warc_max_size",
            DEFAULT_WARC_MAX_SIZE,
        )?,
        grace_period: t
            .duration(raw.grace_period.as_ref(), "grace_period")?
            .unwrap_or(DEFAULT_GRACE_PERIOD),
        min_free_space: t.size(
            raw.min_free_space.as_ref(),
            "min_free_space",
            DEFAULT_MIN_FREE_SPACE,
        )?,
        metrics_listen: raw
            .metrics_listen
            .as_ref()
            .map(|m| socket_address(&t, m))
            .transpose()?,
        max_rate: raw
            .max_rate
            .as_ref()
            .map(|r| parse_rate(r.get_ref()).map_err(|m| t.error(r, "max_rate", m)))
            .transpose()?,
        replay_url: super::web::replay_url(&t, raw.replay_url.as_ref())?,
        ui_language: super::web::ui_language(&t, raw.ui_language.as_ref())?,
        contact: None,
    })
}

fn from_address(t: &Table, from: &Text) -> Result<String, Error> {
    check_from(from.get_ref()).map_err(|m| t.error(from, "from", m))?;
    Ok(from.get_ref().clone())
}

fn archive_dir(t: &Table, value: Option<&Text>) -> Result<PathBuf, Error> {
    let written = value.map_or(DEFAULT_ARCHIVE_DIR, |v| v.get_ref().as_str());
    if let Some(v) = value.filter(|v| v.get_ref().trim().is_empty()) {
        return Err(t.error(
            v,
            "archive_dir",
            "archive_dir is empty: name a folder, such as \"../archive\"",
        ));
    }
    let folder = t
        .doc
        .path
        .parent()
        .unwrap_or_else(|| std::path::Path::new(""));
    // Made absolute once, here (issue 13, item 9): every later join (warc/, index/, the CDXJ
    // of a closed file) then means the same folder whatever the working directory. It fails
    // only when the working directory is unreadable; the relative path is then all we have.
    let joined = folder.join(written);
    Ok(std::path::absolute(&joined).unwrap_or(joined))
}

fn delay_factor(t: &Table, value: Option<&Spanned<f64>>) -> Result<f64, Error> {
    let Some(v) = value else {
        return Ok(DEFAULT_DELAY_FACTOR);
    };
    let factor = *v.get_ref();
    if !factor.is_finite() || factor < 0.0 {
        return Err(t.error(
            v,
            "delay_factor",
            "delay_factor must be a finite number ≥ 0 (0 disables the adaptive delay)",
        ));
    }
    Ok(factor)
}

fn max_in_flight(t: &Table, value: Option<&Spanned<usize>>) -> Result<usize, Error> {
    let Some(v) = value else {
        return Ok(DEFAULT_MAX_IN_FLIGHT);
    };
    if *v.get_ref() == 0 {
        return Err(t.error(
            v,
            "max_in_flight",
            "max_in_flight = 0 would never fetch anything: use 1 or more",
        ));
    }
    Ok(*v.get_ref())
}

fn socket_address(t: &Table, value: &Text) -> Result<SocketAddr, Error> {
    value.get_ref().parse().map_err(|_| {
        t.error(
            value,
            "metrics_listen",
            "metrics_listen must be an IP address and port, such as \"127.0.0.1:9184\"",
        )
    })
}

/// Validates one `[[portal]]`; `index` counts portals within their file. A `family` preset
/// supplies selectors and any omitted `article_urls`, `listing_urls`, `exclude_urls`.
pub fn portal(doc: &Document, index: usize, spanned: &Spanned<RawPortal>) -> Result<Portal, Error> {
    let raw = spanned.get_ref();
    let t = Table {
        doc,
        key: portal_key(index, Some(raw.name.get_ref())),
    };
    check_portal_name(raw.name.get_ref()).map_err(|m| t.error(&raw.name, "name", m))?;
    let hosts = host_list(&t, "hosts", raw.hosts.get_ref())?;
    if hosts.is_empty() {
        return Err(t.error(
            &raw.hosts,
            "hosts",
            "hosts is empty: list the portal's host names",
        ));
    }
    let preset = family(&t, raw.family.as_ref())?;
    let generated = preset.map(|(f, v)| (f.patterns(&hosts), v));
    let own = raw
        .selectors
        .as_ref()
        .map(|s| selectors(&t, s))
        .transpose()?;
    Ok(Portal {
        name: raw.name.get_ref().clone(),
        seeds: seeds(&t, &raw.seeds, &hosts)?,
        article_urls: article_urls(&t, spanned, generated.as_ref())?,
        listing_urls: listing_urls(&t, spanned, generated.as_ref())?,
        exclude_urls: match (&raw.exclude_urls, &generated) {
            (Some(own), _) => patterns(&t, "exclude_urls", own)?,
            (None, Some((g, v))) => family_patterns(&t, v, &g.exclude)?,
            (None, None) => Vec::new(),
        },
        min_delay: t.duration(raw.min_delay.as_ref(), "min_delay")?,
        max_listing_pages: raw.max_listing_pages.unwrap_or(DEFAULT_MAX_LISTING_PAGES),
        stale_listing_pages: raw
            .stale_listing_pages
            .unwrap_or(DEFAULT_STALE_LISTING_PAGES),
        backfill_pages: raw.backfill_pages.unwrap_or(DEFAULT_BACKFILL_PAGES),
        explore_pages: raw.explore_pages.unwrap_or(DEFAULT_EXPLORE_PAGES),
        schedule: schedule(&t, raw.schedule.as_ref())?,
        revisit_after: t.duration(raw.revisit_after.as_ref(), "revisit_after")?,
        revisit: ladder(&t, raw.revisit.as_deref())?,
        revisit_budget: raw.revisit_budget.unwrap_or(DEFAULT_REVISIT_BUDGET),
        feeds: urls(&t, "feeds", &raw.feeds)?,
        merged_into: raw.merged_into.as_ref().map(|m| m.get_ref().clone()),
        family: preset.map(|(f, _)| f.name.to_string()),
        embed_hosts: host_list(&t, "embed_hosts", &raw.embed_hosts)?,
        allow_private_addresses: raw.allow_private_addresses.unwrap_or(false),
        example_articles: on_host_urls(&t, "example_articles", &raw.example_articles, &hosts)?,
        example_listings: on_host_urls(&t, "example_listings", &raw.example_listings, &hosts)?,
        hosts,
        selectors: match preset {
            Some((f, _)) => Some(family::merge(f.selectors(), own)),
            None => own,
        },
    })
}

/// `revisit`: the default ladder when absent, each rung a duration, in increasing order
/// (issue 15).
fn ladder(t: &Table, raw: Option<&[Spanned<RawDuration>]>) -> Result<Vec<Duration>, Error> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_REVISIT
            .iter()
            .map(|d| Duration::from_secs(*d))
            .collect());
    };
    let mut rungs: Vec<Duration> = Vec::with_capacity(raw.len());
    for rung in raw {
        let step = t.duration(Some(rung), "revisit")?.unwrap_or_default();
        if rungs.last().is_some_and(|last| *last >= step) {
            let message = "the revisit ladder must grow: list each age after the one before";
            return Err(t.error(rung, "revisit", message.to_string()));
        }
        rungs.push(step);
    }
    Ok(rungs)
}

/// Generated patterns and the `family` value that asked for them (to locate a problem).
type Generated<'a> = (family::Patterns, &'a Text);

fn article_urls(
    t: &Table,
    raw: &Spanned<RawPortal>,
    generated: Option<&Generated>,
) -> Result<Vec<Regex>, Error> {
    match (&raw.get_ref().article_urls, generated) {
        (Some(own), _) => nonempty_patterns(t, "article_urls", own),
        (None, Some((g, v))) => family_patterns(t, v, &g.article),
        (None, None) => Err(missing(t, raw, "article_urls")),
    }
}

fn listing_urls(
    t: &Table,
    raw: &Spanned<RawPortal>,
    generated: Option<&Generated>,
) -> Result<Vec<Regex>, Error> {
    match (&raw.get_ref().listing_urls, generated) {
        (Some(own), _) => patterns(t, "listing_urls", own),
        (None, Some((g, v))) => family_patterns(t, v, &g.listing),
        (None, None) => Err(missing(t, raw, "listing_urls")),
    }
}

/// A pattern key neither written nor generated: the same error serde gives for other required
/// keys, at the `[[portal]]` header, plus the way out a family offers.
fn missing(t: &Table, raw: &Spanned<RawPortal>, field: &str) -> Error {
    let message = format!(
        "required key `{field}` is missing: add it to this table, or set `family` to a CMS preset that generates it ({})",
        family::names().join(", ")
    );
    t.error(raw, field, message)
}

/// Compiles a family's generated patterns; they are built from escaped hosts and fixed
/// templates, so a failure here is a bug in the preset, reported at the `family` key.
fn family_patterns(t: &Table, value: &Text, texts: &[String]) -> Result<Vec<Regex>, Error> {
    texts
        .iter()
        .map(|text| {
            Regex::new(text).map_err(|e| {
                let message = format!(
                    "family `{}` generated an invalid pattern ({}): write article_urls and listing_urls yourself and report this",
                    value.get_ref(),
                    regex_problem(&e)
                );
                t.error(value, "family", message)
            })
        })
        .collect()
}

fn host_list(t: &Table, field: &str, entries: &[Text]) -> Result<Vec<String>, Error> {
    let each = entries.iter().enumerate().map(|(i, e)| {
        host_entry(e.get_ref().trim()).map_err(|m| t.error(e, &format!("{field}[{i}]"), m))
    });
    let mut hosts: Vec<String> = Vec::new();
    for host in each {
        let host = host?;
        // "BaoCanTho.com.vn" and "baocantho.com.vn" are one host once normalised.
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Ok(hosts)
}

/// Seeds are http(s) URLs on one of the portal's hosts (docs/configuration.md: redirect targets and
/// discovered links must stay on them too, so a seed elsewhere would be out of scope at once).
fn seeds(t: &Table, seeds: &Spanned<Vec<Text>>, hosts: &[String]) -> Result<Vec<Url>, Error> {
    if seeds.get_ref().is_empty() {
        return Err(t.error(
            seeds,
            "seeds",
            "seeds is empty: give at least one start URL, such as the home page",
        ));
    }
    on_host_urls(t, "seeds", seeds.get_ref(), hosts)
}

/// http(s) URLs on one of the portal's hosts: seeds, and the examples (issue 14 part 6), which
/// would test nothing about this portal's patterns if they were elsewhere.
fn on_host_urls(
    t: &Table,
    field: &str,
    texts: &[Text],
    hosts: &[String],
) -> Result<Vec<Url>, Error> {
    let urls = urls(t, field, texts)?;
    for (i, (url, text)) in urls.iter().zip(texts).enumerate() {
        if !on_hosts(url, hosts) {
            let what = field.trim_end_matches('s').replace('_', " ");
            let message = format!(
                "{what} host `{}` is not in this portal's hosts ({}): add it to hosts or fix the {what}",
                authority(url),
                hosts.join(", ")
            );
            return Err(t.error(text, &format!("{field}[{i}]"), message));
        }
    }
    Ok(urls)
}

/// `host` entries match the URL's host on its scheme's default port; `host:port` entries match
/// that port, written or implied.
fn on_hosts(url: &Url, hosts: &[String]) -> bool {
    let explicit = authority(url);
    let with_port = url
        .port_or_known_default()
        .map(|p| format!("{}:{p}", url.host_str().unwrap_or("")));
    hosts
        .iter()
        .any(|h| *h == explicit || Some(h) == with_port.as_ref())
}

fn urls(t: &Table, field: &str, texts: &[Text]) -> Result<Vec<Url>, Error> {
    let each = texts.iter().enumerate().map(|(i, text)| {
        http_url(text.get_ref()).map_err(|m| t.error(text, &format!("{field}[{i}]"), m))
    });
    each.collect()
}

fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| {
        format!(
            "`{text}` is not a URL ({e}): write an absolute URL such as \"https://example.org/\""
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{text}` is not an http(s) URL: baoluu fetches only http and https"
        ));
    }
    Ok(url)
}

fn nonempty_patterns(
    t: &Table,
    field: &str,
    texts: &Spanned<Vec<Text>>,
) -> Result<Vec<Regex>, Error> {
    if texts.get_ref().is_empty() {
        return Err(t.error(
            texts,
            field,
            format!("{field} is empty: give at least one regular expression"),
        ));
    }
    patterns(t, field, texts.get_ref())
}

fn patterns(t: &Table, field: &str, texts: &[Text]) -> Result<Vec<Regex>, Error> {
    let each = texts.iter().enumerate().map(|(i, text)| {
        Regex::new(text.get_ref()).map_err(|e| {
            let message = format!("invalid regular expression ({}): fix it", regex_problem(&e));
            t.error(text, &format!("{field}[{i}]"), message)
        })
    });
    each.collect()
}

/// The one-line reason inside the regex crate's multi-line report ("unclosed group").
fn regex_problem(e: &regex::Error) -> String {
    let report = e.to_string();
    let reason = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "));
    let reason = reason.or_else(|| report.lines().last()).unwrap_or_default();
    reason.trim().to_string()
}

fn schedule(t: &Table, value: Option<&Text>) -> Result<String, Error> {
    let Some(v) = value else {
        return Ok(DEFAULT_SCHEDULE.to_string());
    };
    let written = v.get_ref().trim();
    check_schedule(written).map_err(|m| t.error(v, "schedule", m))?;
    Ok(written.to_string())
}

/// The preset `family` names, with the value (to locate problems the preset causes).
fn family<'a>(
    t: &Table,
    value: Option<&'a Text>,
) -> Result<Option<(&'static family::Family, &'a Text)>, Error> {
    let Some(v) = value else { return Ok(None) };
    let name = v.get_ref().trim();
    let preset = family::preset(name).ok_or_else(|| {
        let message = format!(
            "unknown family `{name}`: use one of {}, or remove the key and write article_urls, listing_urls and [portal.selectors] yourself",
            family::names().join(", ")
        );
        t.error(v, "family", message)
    })?;
    Ok(Some((preset, v)))
}

fn selectors(t: &Table, raw: &RawSelectors) -> Result<Selectors, Error> {
    let one = |value: &Option<Text>, field: &str| -> Result<Option<String>, Error> {
        value
            .as_ref()
            .map(|v| css(t, v, &format!("selectors.{field}")))
            .transpose()
    };
    let remove = raw
        .remove
        .iter()
        .enumerate()
        .map(|(i, v)| css(t, v, &format!("selectors.remove[{i}]")));
    Ok(Selectors {
        title: one(&raw.title, "title")?,
        lead: one(&raw.lead, "lead")?,
        body: one(&raw.body, "body")?,
        published: one(&raw.published, "published")?,
        byline: one(&raw.byline, "byline")?,
        remove: remove.collect::<Result<_, _>>()?,
    })
}

/// A CSS selector that `scraper` (the extract stage's parser) accepts.
fn css(t: &Table, value: &Text, field: &str) -> Result<String, Error> {
    // scraper's own error text asks to report a bug for plain syntax errors: not repeated here.
    scraper::Selector::parse(value.get_ref()).map_err(|_| {
        let message = format!("invalid css selector `{}`: fix its syntax", value.get_ref());
        t.error(value, field, message)
    })?;
    Ok(value.get_ref().clone())
}

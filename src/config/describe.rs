//! `baoluu check-config`'s report: what a validated [`Config`] would crawl, as plain text.
//!
//! The last step of the `config` stage, for people: one `key: value` line per setting, a block
//! per portal, stable order (the configuration's own), no colour. Never validates anything.

use std::fmt::Write;

use regex::Regex;

use super::family::preset;
use super::units::{format_duration, format_size};
use super::{Config, Crawler, Portal};

impl Config {
    /// What `baoluu check-config` prints: the files, the crawler's settings, each portal.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        line(&mut out, "config file", self.source.display());
        describe_crawler(&mut out, &self.crawler);
        line(&mut out, "portals", self.portals.len());
        for portal in &self.portals {
            out.push('\n');
            describe_portal(&mut out, portal);
        }
        out
    }
}

fn line(out: &mut String, key: &str, value: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{key}: {value}");
}

fn describe_crawler(out: &mut String, c: &Crawler) {
    line(out, "archive_dir", c.archive_dir.display());
    line(out, "user_agent", &c.user_agent);
    if let Some(contact) = &c.contact {
        line(out, "contact", format!("{contact} (from BAOLUU_CONTACT)"));
    }
    line(out, "from", c.from.as_deref().unwrap_or("(none)"));
    let adaptive = if c.delay_factor == 0.0 {
        "adaptive delay off".to_string()
    } else {
        format!(
            "{} × last fetch time, capped at {}",
            c.delay_factor,
            format_duration(c.max_delay)
        )
    };
    line(
        out,
        "delays",
        format!(
            "at least {} per host; {adaptive}; robots.txt Crawl-delay honoured up to {}",
            format_duration(c.min_delay),
            format_duration(c.crawl_delay_cap)
        ),
    );
    line(out, "fetches in flight", c.max_in_flight);
    line(
        out,
        "timeouts",
        format!(
            "connect {}, read {}, total {}",
            format_duration(c.connect_timeout),
            format_duration(c.read_timeout),
            format_duration(c.total_timeout)
        ),
    );
    line(
        out,
        "limits",
        format!(
            "body {}, {} redirects, {} retries",
            format_size(c.max_body),
            c.max_redirects,
            c.retries
        ),
    );
    line(
        out,
        "warc files",
        format!("rotated at {}", format_size(c.warc_max_size)),
    );
    line(
        out,
        "disk guard",
        format!("stop below {} free", format_size(c.min_free_space)),
    );
    line(out, "grace period", format_duration(c.grace_period));
    line(
        out,
        "metrics",
        c.metrics_listen
            .map_or("off".to_string(), |a| a.to_string()),
    );
    line(
        out,
        "ceiling across portals",
        c.max_rate.map_or("none".to_string(), |r| {
            format!("{} requests per {}", r.requests, format_duration(r.per))
        }),
    );
    let replay = c.replay_url.as_ref();
    line(
        out,
        "replay links",
        replay.map_or("off".to_string(), |u| u.to_string()),
    );
}

fn describe_portal(out: &mut String, p: &Portal) {
    let _ = writeln!(out, "portal {}", p.name);
    let item = |out: &mut String, key: &str, value: String| {
        let _ = writeln!(out, "  {key}: {value}");
    };
    item(out, "seeds", join(p.seeds.iter().map(|u| u.as_str())));
    item(out, "hosts", join(p.hosts.iter().map(String::as_str)));
    item(
        out,
        "patterns",
        format!(
            "{} article, {} listing, {} exclude{}",
            p.article_urls.len(),
            p.listing_urls.len(),
            p.exclude_urls.len(),
            generated_note(p)
        ),
    );
    item(out, "schedule", p.schedule.clone());
    if let Some(delay) = p.min_delay {
        item(out, "min_delay", format_duration(delay));
    }
    item(
        out,
        "listing pages",
        format!(
            "up to {} per chain, stop after {} without a new article",
            p.max_listing_pages, p.stale_listing_pages
        ),
    );
    match p.revisit_after {
        Some(after) => item(out, "revisit_after", format_duration(after)),
        None if p.revisit.is_empty() => item(out, "revisit", "off".to_string()),
        None => {
            let rungs: Vec<String> = p.revisit.iter().map(|d| format_duration(*d)).collect();
            item(out, "revisit", rungs.join(", "));
        }
    }
    item(
        out,
        "revisit_budget",
        format!("{} per run", p.revisit_budget),
    );
    if !p.feeds.is_empty() {
        item(out, "feeds", join(p.feeds.iter().map(|u| u.as_str())));
    }
    if !p.embed_hosts.is_empty() {
        item(
            out,
            "embed_hosts",
            join(p.embed_hosts.iter().map(String::as_str)),
        );
    }
    if !p.example_articles.is_empty() || !p.example_listings.is_empty() {
        let (a, l) = (p.example_articles.len(), p.example_listings.len());
        item(out, "examples", format!("{a} article, {l} listing"));
    }
    if let Some(family) = &p.family {
        item(out, "family", family.clone());
    }
    item(out, "selectors", selectors_note(p));
    item(
        out,
        "merged_into",
        p.merged_into
            .clone()
            .unwrap_or_else(|| "(none)".to_string()),
    );
}

/// Which pattern lists came from the portal's family preset (the others are its own).
fn generated_note(p: &Portal) -> String {
    let Some(generated) = p
        .family
        .as_deref()
        .and_then(preset)
        .map(|f| f.patterns(&p.hosts))
    else {
        return String::new();
    };
    let same = |regexes: &[Regex], texts: &[String]| {
        regexes
            .iter()
            .map(Regex::as_str)
            .eq(texts.iter().map(String::as_str))
    };
    let lists = [
        ("article", same(&p.article_urls, &generated.article)),
        ("listing", same(&p.listing_urls, &generated.listing)),
        ("exclude", same(&p.exclude_urls, &generated.exclude)),
    ];
    let from_family: Vec<&str> = lists.iter().filter(|l| l.1).map(|l| l.0).collect();
    if from_family.is_empty() {
        return String::new();
    }
    format!(" ({} from the family)", from_family.join(", "))
}

/// `configured`, the family preset with the fields the portal overrides, or the generic extractor.
fn selectors_note(p: &Portal) -> String {
    let Some(s) = &p.selectors else {
        return "none (generic extractor)".to_string();
    };
    let Some(family) = p.family.as_deref().and_then(preset) else {
        return "configured".to_string();
    };
    let f = family.selectors();
    let fields = [
        ("title", s.title != f.title),
        ("lead", s.lead != f.lead),
        ("body", s.body != f.body),
        ("published", s.published != f.published),
        ("byline", s.byline != f.byline),
        ("remove", s.remove != f.remove),
    ];
    let own: Vec<&str> = fields.iter().filter(|x| x.1).map(|x| x.0).collect();
    match own.is_empty() {
        true => format!("family {} preset", family.name),
        false => format!("family {} preset; own {}", family.name, own.join(", ")),
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

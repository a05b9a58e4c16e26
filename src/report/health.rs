//! Portal health for `baoluu status` (issue 9, part 3): the signals that a portal was
//! redesigned or moved, so a user knows which profile to update. From the last run's report:
//! no new articles, articles whose body needed the generic extractor although the portal has
//! selectors (its own or its family's), pages redirecting to a host outside the portal; from
//! the store's robots.txt cache: a robots.txt that could not be fetched or that shuts baoluu
//! out of a seed; from issue 14 on, the profile's missed articles and listings that link none
//! (judged in `discovery`); from issue 15, suspect removals (`changes`). Each signal is a [`Problem`] with a stable code (docs/status.md).
//! Read-only; it judges, it never changes a profile.

use serde::Serialize;
use url::Url;

use super::{Error, RunReport};
use crate::config::Portal;
use crate::robots::{Robots, authority, product_token};
use crate::store::{CachedRobots, Store};

/// Share of generic-extractor articles above which the selectors are said to have stopped
/// matching: a few misses are odd pages (galleries, videos), most misses are a redesign.
const GENERIC_SHARE: f64 = 0.5;
/// Listing URLs a suggested article pattern is checked against.
const MAX_LISTINGS_CHECKED: u32 = 2_000;

/// The stable problem codes (documented in docs/status.md; scripts match on them).
pub mod code {
    pub const NO_NEW_ARTICLES: &str = "no-new-articles";
    pub const SELECTORS_STOPPED_MATCHING: &str = "selectors-stopped-matching";
    pub const REDIRECTS_TO_ANOTHER_HOST: &str = "redirects-to-another-host";
    pub const ROBOTS_UNREACHABLE: &str = "robots-unreachable";
    pub const ROBOTS_DISALLOWS_SEED: &str = "robots-disallows-seed";
    pub const ARTICLE_PATTERN_MISS: &str = "article-pattern-miss";
    pub const LISTINGS_WITHOUT_ARTICLES: &str = "listings-without-articles";
    pub const SUSPECT_REMOVALS: &str = "suspect-removals";
}

/// One thing wrong with a portal's profile or its site, as `status` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// One of [`code`]: stable across releases.
    pub code: &'static str,
    /// What happened and what to do, for people.
    pub message: String,
    /// How many pages or articles the problem concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// A few URLs showing it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// `article-pattern-miss`: an `article_urls` regex matching every missed article seen and
    /// none of the portal's listing pages (None when no such regex was found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_pattern: Option<String>,
    /// `listings-without-articles`: the discovery sources that still found articles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<&'static str>>,
    /// The host concerned (a redirect target, a robots.txt authority).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Problem {
    fn new(code: &'static str, message: String) -> Problem {
        Problem {
            code,
            message,
            ..Problem::default()
        }
    }
}

/// One line per signal; `["ok"]` when nothing is wrong, and a note when the portal never ran.
pub fn signals(
    store: Option<&Store>,
    portal: &Portal,
    last: Option<&RunReport>,
    user_agent: &str,
) -> Result<Vec<String>, Error> {
    let problems = problems(store, portal, last, user_agent)?;
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| format!("{} [{}]", p.message, p.code))
        .collect();
    // "ok" only when the run recorded what health is judged by (older reports did not).
    let judged = last.is_some_and(|r| r.per_portal.contains_key(&portal.name));
    if lines.is_empty() && judged {
        lines.push("ok".to_string());
    }
    Ok(lines)
}

/// Every problem the last run's report and the store show for `portal`.
pub fn problems(
    store: Option<&Store>,
    portal: &Portal,
    last: Option<&RunReport>,
    user_agent: &str,
) -> Result<Vec<Problem>, Error> {
    let mut problems = Vec::new();
    if let Some(report) = last {
        run_signals(portal, report, &mut problems);
        if let Some(stats) = report.per_portal.get(&portal.name) {
            let listings = match store {
                Some(store) => store.listing_urls(&portal.name, MAX_LISTINGS_CHECKED)?,
                None => Vec::new(),
            };
            super::discovery::problems(stats, &listings, &mut problems);
        }
    }
    if let Some(store) = store {
        robots_signals(store, portal, &product_token(user_agent), &mut problems)?;
        super::changes::suspect(store, &portal.name, &mut problems)?;
    }
    Ok(problems)
}

fn run_signals(portal: &Portal, report: &RunReport, problems: &mut Vec<Problem>) {
    let Some(stats) = report.per_portal.get(&portal.name) else {
        return;
    };
    if stats.indexed == 0 && !report.interrupted {
        problems.push(Problem::new(
            code::NO_NEW_ARTICLES,
            "no new articles in the last run (quiet portal, or its listings changed)".into(),
        ));
    }
    let has_selectors = portal.selectors.is_some();
    let share = stats.generic as f64 / stats.indexed.max(1) as f64;
    if has_selectors && stats.indexed > 0 && share > GENERIC_SHARE {
        let profile = match &portal.family {
            Some(family) => format!("family {family}"),
            None => "its selectors".to_string(),
        };
        problems.push(Problem {
            count: Some(stats.generic),
            ..Problem::new(code::SELECTORS_STOPPED_MATCHING, format!(
                "selectors stopped matching: {} of {} new articles needed the generic extractor; the markup changed? check the profile ({profile}) with `baoluu probe`",
                stats.generic, stats.indexed
            ))
        });
    }
    for (host, count) in &stats.moved_to {
        problems.push(Problem {
            count: Some(*count),
            host: Some(host.clone()),
            ..Problem::new(code::REDIRECTS_TO_ANOTHER_HOST, format!(
                "redirects to another host: {host} ({count} pages); the portal may have moved: add the host or a new profile"
            ))
        });
    }
}

/// The cached robots.txt of each seed's authority (what the last run used).
fn robots_signals(
    store: &Store,
    portal: &Portal,
    token: &str,
    problems: &mut Vec<Problem>,
) -> Result<(), Error> {
    let mut seen = Vec::new();
    for seed in &portal.seeds {
        let key = authority(seed);
        if seen.contains(&key) {
            continue;
        }
        if let Some(problem) = robots_problem(store, seed, &key, token)? {
            problems.push(problem);
        }
        seen.push(key);
    }
    Ok(())
}

fn robots_problem(
    store: &Store,
    seed: &Url,
    key: &str,
    token: &str,
) -> Result<Option<Problem>, Error> {
    let Some(CachedRobots { body, .. }) = store.robots_get(key)? else {
        return Ok(None);
    };
    let Ok(robots) = Robots::from_cache(&body, token) else {
        return Ok(None);
    };
    let (code, message) = if robots.is_unreachable() {
        (
            code::ROBOTS_UNREACHABLE,
            format!(
                "robots.txt of {key} could not be fetched at the last try: nothing on that host is crawled until it can"
            ),
        )
    } else if !robots.allowed(seed) {
        (
            code::ROBOTS_DISALLOWS_SEED,
            format!("robots.txt of {key} disallows the seed {seed}: the portal shut crawlers out"),
        )
    } else {
        return Ok(None);
    };
    Ok(Some(Problem {
        host: Some(key.to_string()),
        ..Problem::new(code, message)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;
    use crate::summary::PortalStats;
    use std::collections::BTreeMap;

    fn portal(selectors: bool) -> Portal {
        let text = format!(
            "[crawler]\nuser_agent = \"baoluu/0.1 (+mailto:x@y.vn)\"\n[[portal]]\nname = \"p\"\nseeds = [\"https://p.vn/\"]\nhosts = [\"p.vn\"]\narticle_urls = ['^https://p\\.vn/a-\\d+$']\nlisting_urls = []\n{}",
            if selectors {
                "[portal.selectors]\nbody = \"div.x\"\n"
            } else {
                ""
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        crate::config::Config::load(&path)
            .unwrap()
            .portals
            .remove(0)
    }

    fn report(stats: PortalStats) -> RunReport {
        let mut report = sample(&["p"], 1, 9);
        report.per_portal = BTreeMap::from([("p".to_string(), stats)]);
        report
    }

    #[test]
    fn a_healthy_run_is_ok_and_a_portal_that_never_ran_says_nothing() {
        let stats = PortalStats {
            indexed: 10,
            generic: 2,
            ..PortalStats::default()
        };
        let ok = signals(None, &portal(true), Some(&report(stats)), "baoluu").unwrap();
        assert_eq!(ok, vec!["ok".to_string()]);
        assert!(
            signals(None, &portal(true), None, "baoluu")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn selectors_that_stopped_matching_and_a_move_are_flagged() {
        let stats = PortalStats {
            indexed: 4,
            generic: 3,
            moved_to: BTreeMap::from([("moi.vn".to_string(), 7)]),
            ..PortalStats::default()
        };
        let lines = signals(None, &portal(true), Some(&report(stats.clone())), "baoluu").unwrap();
        assert!(
            lines[0].starts_with("selectors stopped matching: 3 of 4"),
            "{lines:?}"
        );
        assert!(lines[1].contains("moi.vn (7 pages)"), "{lines:?}");
        // Without selectors the generic extractor is the plan, not a symptom.
        let lines = signals(None, &portal(false), Some(&report(stats)), "baoluu").unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
    }

    #[test]
    fn unreachable_and_shut_out_robots_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let p = portal(false);
        let key = authority(&p.seeds[0]);
        let shut = Robots::from_fetch(
            crate::robots::Fetched::Response {
                status: 200,
                content_encoding: None,
                body: b"User-agent: *\nDisallow: /\n",
            },
            "baoluu",
        );
        store
            .robots_put(&key, 1.0, shut.state(), &shut.to_cache())
            .unwrap();
        let lines = signals(Some(&store), &p, None, "baoluu/0.1").unwrap();
        assert!(lines[0].contains("disallows the seed"), "{lines:?}");
        let down = Robots::from_fetch(crate::robots::Fetched::Failed, "baoluu");
        store
            .robots_put(&key, 2.0, down.state(), &down.to_cache())
            .unwrap();
        let lines = signals(Some(&store), &p, None, "baoluu/0.1").unwrap();
        assert!(lines[0].contains("could not be fetched"), "{lines:?}");
    }
}
